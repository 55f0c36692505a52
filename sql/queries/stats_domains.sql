-- stats_domains: the policy domains with DMARC or TLS-RPT reports on days [:from, :to]
-- (Unix days, inclusive), optionally only :domain (lower case).
SELECT domain FROM daily_reporters
WHERE day BETWEEN :from AND :to AND (:domain IS NULL OR domain = :domain)
UNION
SELECT domain FROM daily_tls
WHERE day BETWEEN :from AND :to AND (:domain IS NULL OR domain = :domain)
ORDER BY 1;
