-- summary_tls_domains: per policy domain, TLS-RPT reports and session counts of the
-- reports whose date range begins in [:since, :until).
SELECT p.policy_domain            AS domain,
       COUNT(DISTINCT r.id)       AS reports,
       SUM(p.success_count)       AS success,
       SUM(p.failure_count)       AS failure,
       MIN(r.begin_ts)            AS first_begin,
       MAX(r.end_ts)              AS last_end
FROM tls_reports r
JOIN tls_policies p ON p.report = r.id
WHERE (:domain IS NULL OR p.policy_domain = :domain)
  AND r.begin_ts >= :since AND r.begin_ts < :until
GROUP BY p.policy_domain
ORDER BY p.policy_domain;
