-- stats_tls_failures: a domain's TLS-RPT failed sessions per policy type, result type and
-- day over days [:from, :to].
SELECT policy_type, result_type, day, sessions
FROM daily_tls_failures
WHERE domain = :domain AND day BETWEEN :from AND :to
ORDER BY policy_type, result_type, day;
