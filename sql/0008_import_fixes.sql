-- 0008: what import learned from real reports (issue 14). Forward-only.
--
-- tls_reports.skipped_policies: the policies of a TLS report that were invalid on their own
--   (an unknown policy-type, no usable counts) and left out, one "policies[N]: reason" per
--   line; NULL when the report was stored whole. `export` marks such a report "partial".
-- messages.from_header: the From header of the message, so a rejected mail can be named
--   by Message-ID, From, Subject and Date after it left its mailbox.
-- report_conflicts: a report whose key (type, org_name, report_id, domain) was stored
--   before with different content. The first one stays; each conflict is counted here and
--   named by `import` and `db check`.

ALTER TABLE tls_reports ADD COLUMN skipped_policies TEXT;

ALTER TABLE messages ADD COLUMN from_header TEXT;

CREATE TABLE report_conflicts (
  id             INTEGER PRIMARY KEY,
  message        INTEGER NOT NULL REFERENCES messages (id),  -- the message that came later
  report_type    TEXT NOT NULL CHECK (report_type IN ('dmarc', 'tlsrpt')),
  org_name       TEXT NOT NULL,
  report_id      TEXT NOT NULL,
  domain         TEXT NOT NULL,
  stored         TEXT NOT NULL,     -- what the kept report holds: "12 messages"
  received       TEXT NOT NULL,     -- what the later one holds: "7 messages"
  first_seen     INTEGER NOT NULL,  -- Unix seconds (the injected clock)
  UNIQUE (message, report_type, org_name, report_id, domain)
);
