-- rollup_tls: one new TLS report's sessions for one policy domain and policy type.
-- ?1 domain (lower case), ?2 day, ?3 policy_type, ?4 org_name, ?5 success, ?6 failure.
INSERT INTO daily_tls (domain, day, policy_type, org_name, reports, success, failure)
VALUES (?1, ?2, ?3, ?4, 1, ?5, ?6)
ON CONFLICT (domain, day, policy_type, org_name) DO UPDATE SET
  reports = reports + 1,
  success = success + excluded.success,
  failure = failure + excluded.failure;
