-- stats_tls_failure_hosts: a domain's TLS-RPT failed sessions per policy type, result type
-- and receiving MX host name over days [:from, :to], so a blocker can say which MX fails.
-- Read from the report tables (not a rollup): TLS reports are a few a day per reporter.
SELECT p.policy_type, f.result_type, f.receiving_mx_hostname, SUM(f.failed_session_count)
FROM tls_reports r
JOIN tls_policies p ON p.report = r.id
JOIN tls_failures f ON f.policy = p.id
WHERE lower(p.policy_domain) = :domain
  AND r.begin_ts >= :from * 86400 AND r.begin_ts < :until
  AND f.receiving_mx_hostname IS NOT NULL AND f.receiving_mx_hostname <> ''
GROUP BY p.policy_type, f.result_type, lower(f.receiving_mx_hostname)
ORDER BY p.policy_type, f.result_type, SUM(f.failed_session_count) DESC;
