-- report_reporter_days: the first and last day each organization reported on for a domain
-- over days [:from, :to] (the reporters table of the HTML report; a reporter gone silent).
SELECT org_name, MIN(day), MAX(day)
FROM daily_reporters
WHERE domain = :domain AND day BETWEEN :from AND :to
GROUP BY org_name;
