-- stats_reporters: a domain's reporting organizations over days [:from, :to], biggest first.
SELECT org_name, SUM(reports), SUM(messages), COUNT(DISTINCT day)
FROM daily_reporters
WHERE domain = :domain AND day BETWEEN :from AND :to
GROUP BY org_name
ORDER BY SUM(messages) DESC, org_name;
