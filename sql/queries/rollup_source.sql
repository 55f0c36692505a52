-- rollup_source: adds the records of one source IP in one new DMARC report to daily_sources.
-- ?1 domain (lower case), ?2 day, ?3 source_ip, ?4 messages, ?5 dmarc_pass, ?6 dkim_aligned,
-- ?7 spf_aligned, ?8 spf_pass, ?9 spf_own, ?10 spf_own_pass, ?11 forwarded,
-- ?12 dkim_signer (the first unaligned passing DKIM d=, lower case, '' when none; the
-- alphabetically first is kept).
INSERT INTO daily_sources (domain, day, source_ip, messages, dmarc_pass, dkim_aligned,
                           spf_aligned, spf_pass, spf_own, spf_own_pass, forwarded, dkim_signer)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
ON CONFLICT (domain, day, source_ip) DO UPDATE SET
  messages = messages + excluded.messages,
  dmarc_pass = dmarc_pass + excluded.dmarc_pass,
  dkim_aligned = dkim_aligned + excluded.dkim_aligned,
  spf_aligned = spf_aligned + excluded.spf_aligned,
  spf_pass = spf_pass + excluded.spf_pass,
  spf_own = spf_own + excluded.spf_own,
  spf_own_pass = spf_own_pass + excluded.spf_own_pass,
  forwarded = forwarded + excluded.forwarded,
  dkim_signer = CASE WHEN dkim_signer = '' OR (excluded.dkim_signer <> ''
                                               AND excluded.dkim_signer < dkim_signer)
                     THEN excluded.dkim_signer ELSE dkim_signer END;
