-- stats_tls_policy_latest: the newest policy text and MX hosts of a domain's policy type,
-- from reports that began before :until (Unix seconds).
SELECT p.policy_string, p.mx_hosts
FROM tls_policies p
JOIN tls_reports r ON r.id = p.report
WHERE lower(p.policy_domain) = :domain AND p.policy_type = :type AND r.begin_ts < :until
ORDER BY r.begin_ts DESC, p.id DESC
LIMIT 1;
