-- rollup_selector: DKIM results of one new DMARC report per selector and d= domain.
-- ?1 domain (lower case), ?2 day, ?3 selector (lower case, '' when absent),
-- ?4 dkim_domain (lower case), ?5 messages, ?6 pass, ?7 aligned_pass.
INSERT INTO daily_selectors (domain, day, selector, dkim_domain, messages, pass, aligned_pass)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (domain, day, selector, dkim_domain) DO UPDATE SET
  messages = messages + excluded.messages,
  pass = pass + excluded.pass,
  aligned_pass = aligned_pass + excluded.aligned_pass;
