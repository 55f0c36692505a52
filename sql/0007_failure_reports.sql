-- 0007: DMARC failure (RUF) reports as data (issue 15). Forward-only.
--
-- Until now a failure report was recognised and kept as the gzip of its whole mail. Its
-- fields are now columns: the ARF report part (RFC 6591 §3.1 / RFC 5965 §3.5) or the
-- plain-text form, and the From / To / Subject / Date / Message-ID of the sample (the copy
-- of the failing mail), RFC 2047 words decoded. Fields RFC 5965 lets repeat hold their
-- values joined with "\n" (auth_failure: lower case, joined with ",").
--
-- The sample holds personal data, so what is kept follows [failure] samples:
--   headers (default): the sample's header section and the five header columns;
--   full:              also the whole mail in raw_gzip (sample body included);
--   none:              no header of the sample at all (sample_* columns and raw_gzip NULL).
-- raw_gzip is therefore NULL unless samples = "full" (rows from before 0007 keep theirs).
--
-- Deduplication (dedup_key, UNIQUE): the same failure report mail fetched or imported twice
-- is stored once. The key is "r:" and the 64-bit checksum
-- (src/core/checksum.hpp) of reporter, Source-IP, arrival (Unix seconds when Arrival-Date
-- parses, else its text), the sample's Message-ID (else a Message-ID field of the report
-- part) and the mail's checksum, one per line, so no header of the sample is kept in it; or "c:" and the checksum of
-- the whole mail when the report names no Message-ID. Rows from before 0007 have no key
-- (NULL) and only message, subject, raw_gzip (and time: the import time).

CREATE TABLE failure_reports_0007 (
  id                     INTEGER PRIMARY KEY,
  message                INTEGER NOT NULL UNIQUE REFERENCES messages (id),
  subject                TEXT,              -- the report mail's own Subject
  raw_gzip               BLOB,              -- the whole mail, samples = "full" only
  dedup_key              TEXT UNIQUE,
  format                 TEXT,              -- arf | text | unknown
  reporter               TEXT,              -- the report mail's From address, lower case
  report_date            TEXT,              -- the report mail's Date header
  time                   INTEGER,           -- Unix seconds: arrival, else report date, else import
  domain                 TEXT,              -- first reported domain, lower case, no final dot
  feedback_type          TEXT,
  user_agent             TEXT,
  version                TEXT,
  original_envelope_id   TEXT,
  original_mail_from     TEXT,
  original_rcpt_to       TEXT,
  arrival_date           TEXT,              -- as written
  arrival_ts             INTEGER,           -- Arrival-Date as Unix seconds, when it parses
  reporting_mta          TEXT,
  source_ip              TEXT,
  authentication_results TEXT,
  reported_domain        TEXT,
  reported_uri           TEXT,
  delivery_result        TEXT,
  auth_failure           TEXT,
  dkim_domain            TEXT,
  dkim_identity          TEXT,
  dkim_selector          TEXT,
  spf_dns                TEXT,
  identity_alignment     TEXT,
  samples                TEXT,              -- the [failure] samples setting it was stored under
  sample_headers_only    INTEGER,           -- 1: the reporter sent headers only
  sample_truncated       INTEGER,           -- 1: the sample ends inside its header section
  sample_from            TEXT,
  sample_to              TEXT,
  sample_subject         TEXT,
  sample_date            TEXT,
  sample_message_id      TEXT,
  sample_headers         TEXT
);

INSERT INTO failure_reports_0007 (id, message, subject, raw_gzip, time)
SELECT f.id, f.message, f.subject, f.raw_gzip, m.first_seen
FROM failure_reports AS f JOIN messages AS m ON m.id = f.message;

DROP TABLE failure_reports;
ALTER TABLE failure_reports_0007 RENAME TO failure_reports;

CREATE INDEX failure_reports_domain_time ON failure_reports (domain, time);
