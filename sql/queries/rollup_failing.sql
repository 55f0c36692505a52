-- rollup_failing: adds a source of one new DMARC report whose mail all failed (see
-- daily_failing in sql/0003_rollups.sql). ?1 domain (lower case), ?2 day, ?3 source_ip,
-- ?4 messages, ?5 spf_own.
INSERT INTO daily_failing (domain, day, source_ip, messages, spf_own)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (domain, day, source_ip) DO UPDATE SET
  messages = messages + excluded.messages,
  spf_own = spf_own + excluded.spf_own;
