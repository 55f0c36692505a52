-- report_selector_days: DKIM results per selector, d= domain and day over days [:from, :to]
-- (one range of daily_selectors; the HTML report's selector charts).
SELECT selector, dkim_domain, day, messages, pass, aligned_pass
FROM daily_selectors
WHERE domain = :domain AND day BETWEEN :from AND :to
ORDER BY selector, dkim_domain, day;
