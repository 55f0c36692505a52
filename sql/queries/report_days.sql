-- report_days: a domain's DMARC reports, messages and DMARC passes per day over days
-- [:from, :to] (the HTML report's daily chart; summed they are stats_totals.sql's).
SELECT day, SUM(reports), SUM(messages), SUM(dmarc_pass)
FROM daily_reporters
WHERE domain = :domain AND day BETWEEN :from AND :to
GROUP BY day
ORDER BY day;
