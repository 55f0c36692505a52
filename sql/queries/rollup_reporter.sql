-- rollup_reporter: adds one new DMARC report to daily_reporters (see sql/0003_rollups.sql).
-- ?1 domain (lower case), ?2 day, ?3 org_name, ?4 records, ?5 messages, ?6 dmarc_pass,
-- ?7 dkim_aligned, ?8 spf_aligned, ?9 quarantined, ?10 rejected, ?11 spf_own_fail,
-- ?12 spf_own_softfail, ?13 spf_own_neutral, ?14 begin_ts, ?15 end_ts.
INSERT INTO daily_reporters (domain, day, org_name, reports, records, messages, dmarc_pass,
                             dkim_aligned, spf_aligned, quarantined, rejected, spf_own_fail,
                             spf_own_softfail, spf_own_neutral, first_begin, last_end)
VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
ON CONFLICT (domain, day, org_name) DO UPDATE SET
  reports = reports + 1,
  records = records + excluded.records,
  messages = messages + excluded.messages,
  dmarc_pass = dmarc_pass + excluded.dmarc_pass,
  dkim_aligned = dkim_aligned + excluded.dkim_aligned,
  spf_aligned = spf_aligned + excluded.spf_aligned,
  quarantined = quarantined + excluded.quarantined,
  rejected = rejected + excluded.rejected,
  spf_own_fail = spf_own_fail + excluded.spf_own_fail,
  spf_own_softfail = spf_own_softfail + excluded.spf_own_softfail,
  spf_own_neutral = spf_own_neutral + excluded.spf_own_neutral,
  first_begin = MIN(first_begin, excluded.first_begin),
  last_end = MAX(last_end, excluded.last_end);
