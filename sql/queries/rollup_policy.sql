-- rollup_policy: counts one new DMARC report's published stage in daily_policies.
-- ?1 domain (lower case), ?2 day, ?3 p (lower case), ?4 pct (absent: 100),
-- ?5 testing (lower case; absent: 'n').
INSERT INTO daily_policies (domain, day, p, pct, testing, reports)
VALUES (?1, ?2, ?3, ?4, ?5, 1)
ON CONFLICT (domain, day, p, pct, testing) DO UPDATE SET reports = reports + 1;
