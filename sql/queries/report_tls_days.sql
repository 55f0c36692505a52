-- report_tls_days: TLS-RPT successful and failed sessions per policy type and day over days
-- [:from, :to] (the HTML report's TLS charts; summed they are stats_tls.sql's).
SELECT policy_type, day, SUM(reports), SUM(success), SUM(failure)
FROM daily_tls
WHERE domain = :domain AND day BETWEEN :from AND :to
GROUP BY policy_type, day
ORDER BY policy_type, day;
