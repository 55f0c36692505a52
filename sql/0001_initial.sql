-- 0001: the report history. Forward-only; PRAGMA user_version counts applied migrations.
-- Documentation of every table and column: schema/README.md.

CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  source        TEXT NOT NULL,     -- file path, "-" (stdin) or imap://account/mailbox
  account       TEXT,              -- IMAP account name (NULL for local inputs)
  mailbox       TEXT,              -- IMAP mailbox (NULL for local inputs)
  uidvalidity   INTEGER,
  uid           INTEGER,
  message_id    TEXT,              -- Message-ID header, without <>
  subject       TEXT,
  date_header   TEXT,
  checksum      TEXT NOT NULL,     -- of the raw bytes: a re-import is recognised
  size          INTEGER NOT NULL,
  first_seen    INTEGER NOT NULL,  -- Unix seconds (the injected clock)
  last_seen     INTEGER NOT NULL,
  seen_count    INTEGER NOT NULL DEFAULT 1,
  status        TEXT NOT NULL CHECK (status IN ('imported', 'duplicate', 'failure', 'rejected')),
  reason        TEXT,              -- empty | not-a-report | corrupt-archive | too-large | invalid-report
  detail        TEXT,
  reports_new   INTEGER NOT NULL DEFAULT 0,
  reports_duplicate INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_checksum ON messages (checksum);

CREATE TABLE aggregate_reports (
  id                 INTEGER PRIMARY KEY,
  message            INTEGER NOT NULL REFERENCES messages (id),
  org_name           TEXT NOT NULL,
  email              TEXT,
  extra_contact_info TEXT,
  report_id          TEXT NOT NULL,
  domain             TEXT NOT NULL,     -- policy_published/domain
  begin_ts           INTEGER NOT NULL,
  end_ts             INTEGER NOT NULL,
  version            TEXT,
  xml_namespace      TEXT NOT NULL,
  generator          TEXT,
  errors             TEXT,              -- <error> entries, one per line
  adkim              TEXT,
  aspf               TEXT,
  p                  TEXT NOT NULL,
  sp                 TEXT,
  np                 TEXT,
  pct                INTEGER,
  fo                 TEXT,
  testing            TEXT,
  discovery_method   TEXT,
  recovered          INTEGER NOT NULL DEFAULT 0,
  record_count       INTEGER NOT NULL,  -- totals kept for fast summaries
  message_count      INTEGER NOT NULL,
  dmarc_pass_count   INTEGER NOT NULL,
  UNIQUE (org_name, report_id, domain)
);
CREATE INDEX aggregate_reports_domain_begin ON aggregate_reports (domain, begin_ts);
CREATE INDEX aggregate_reports_message ON aggregate_reports (message);

CREATE TABLE aggregate_records (
  id              INTEGER PRIMARY KEY,
  report          INTEGER NOT NULL REFERENCES aggregate_reports (id),
  source_ip       TEXT NOT NULL,
  count           INTEGER NOT NULL,
  disposition     TEXT NOT NULL,
  dkim            TEXT NOT NULL,        -- policy_evaluated, lower case, '' when absent
  spf             TEXT NOT NULL,
  header_from     TEXT NOT NULL,
  envelope_from   TEXT,
  envelope_to     TEXT,
  dkim_aligned    INTEGER NOT NULL,
  spf_aligned     INTEGER NOT NULL,
  dmarc_aligned   INTEGER NOT NULL
);
CREATE INDEX aggregate_records_report ON aggregate_records (report);

-- policy_evaluated/reason entries.
CREATE TABLE override_reasons (
  record   INTEGER NOT NULL REFERENCES aggregate_records (id),
  seq      INTEGER NOT NULL,
  type     TEXT NOT NULL,
  comment  TEXT,
  PRIMARY KEY (record, seq)
) WITHOUT ROWID;

-- auth_results: one row per <dkim> or <spf> result.
CREATE TABLE auth_results (
  record        INTEGER NOT NULL REFERENCES aggregate_records (id),
  seq           INTEGER NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('dkim', 'spf')),
  domain        TEXT NOT NULL,
  selector      TEXT,                  -- dkim
  scope         TEXT,                  -- spf: helo | mfrom
  result        TEXT NOT NULL,
  human_result  TEXT,
  aligned       INTEGER NOT NULL,      -- passes with a domain aligned with header_from
  PRIMARY KEY (record, seq)
) WITHOUT ROWID;

CREATE TABLE tls_reports (
  id            INTEGER PRIMARY KEY,
  message       INTEGER NOT NULL REFERENCES messages (id),
  org_name      TEXT NOT NULL,
  contact_info  TEXT,
  report_id     TEXT NOT NULL,
  domain        TEXT NOT NULL,          -- first policy's policy-domain
  begin_ts      INTEGER NOT NULL,
  end_ts        INTEGER NOT NULL,
  UNIQUE (org_name, report_id, domain)
);
CREATE INDEX tls_reports_domain_begin ON tls_reports (domain, begin_ts);

CREATE TABLE tls_policies (
  id              INTEGER PRIMARY KEY,
  report          INTEGER NOT NULL REFERENCES tls_reports (id),
  seq             INTEGER NOT NULL,
  policy_type     TEXT NOT NULL,
  policy_string   TEXT,                 -- the policy lines joined with '\n'
  policy_domain   TEXT NOT NULL,
  mx_hosts        TEXT,                 -- joined with ','
  success_count   INTEGER NOT NULL,
  failure_count   INTEGER NOT NULL
);
CREATE INDEX tls_policies_report ON tls_policies (report);

CREATE TABLE tls_failures (
  id                      INTEGER PRIMARY KEY,
  policy                  INTEGER NOT NULL REFERENCES tls_policies (id),
  result_type             TEXT NOT NULL,
  sending_mta_ip          TEXT,
  receiving_mx_hostname   TEXT,
  receiving_mx_helo       TEXT,
  receiving_ip            TEXT,
  failed_session_count    INTEGER NOT NULL,
  additional_information  TEXT,
  failure_reason_code     TEXT
);
CREATE INDEX tls_failures_policy ON tls_failures (policy);

-- DMARC failure (RUF) reports: recognised and kept raw; parsing their content comes later.
CREATE TABLE failure_reports (
  id        INTEGER PRIMARY KEY,
  message   INTEGER NOT NULL UNIQUE REFERENCES messages (id),
  subject   TEXT,
  raw_gzip  BLOB NOT NULL
);

-- The report documents as received (gzip/zip) or gzip-compressed when they came plain.
CREATE TABLE raw_documents (
  report_type  TEXT NOT NULL CHECK (report_type IN ('dmarc', 'tlsrpt')),
  report       INTEGER NOT NULL,
  format       TEXT NOT NULL CHECK (format IN ('gzip', 'zip')),
  bytes        BLOB NOT NULL,
  PRIMARY KEY (report_type, report)
) WITHOUT ROWID;

-- Sources: filled by reverse DNS lookups (later); keyed by the textual IP.
CREATE TABLE sources (
  ip           TEXT PRIMARY KEY,
  reverse_dns  TEXT,
  base_domain  TEXT,
  name         TEXT,
  type         TEXT,
  looked_up    INTEGER
) WITHOUT ROWID;
