-- stats_selectors: DKIM selectors seen for a domain over days [:from, :to], biggest first.
SELECT selector, dkim_domain, SUM(messages), SUM(pass), SUM(aligned_pass)
FROM daily_selectors
WHERE domain = :domain AND day BETWEEN :from AND :to
GROUP BY selector, dkim_domain
ORDER BY SUM(messages) DESC, selector, dkim_domain;
