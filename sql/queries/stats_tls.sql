-- stats_tls: a domain's TLS-RPT sessions per policy type over days [:from, :to].
SELECT policy_type, SUM(reports), COUNT(DISTINCT org_name), COUNT(DISTINCT day),
       SUM(success), SUM(failure)
FROM daily_tls
WHERE domain = :domain AND day BETWEEN :from AND :to
GROUP BY policy_type
ORDER BY policy_type;
