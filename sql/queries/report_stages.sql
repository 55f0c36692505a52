-- report_stages: the published DMARC stages (p, pct, testing) per day over days
-- [:from, :to], with the reports that showed each (the HTML report shades them).
SELECT day, p, pct, testing, reports
FROM daily_policies
WHERE domain = :domain AND day BETWEEN :from AND :to
ORDER BY day;
