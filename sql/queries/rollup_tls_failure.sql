-- rollup_tls_failure: one new TLS report's failed sessions of one result type.
-- ?1 domain (lower case), ?2 day, ?3 policy_type, ?4 result_type, ?5 sessions.
INSERT INTO daily_tls_failures (domain, day, policy_type, result_type, sessions)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (domain, day, policy_type, result_type) DO UPDATE SET
  sessions = sessions + excluded.sessions;
