-- report_source_days: messages and DMARC passes per source IP and day over days
-- [:from, :to], from daily_sources and daily_failing (whose sources pass nothing). The
-- store hands each row to the caller, which sums them per day by the source's class.
SELECT day, source_ip, messages, dmarc_pass
FROM daily_sources
WHERE domain = :domain AND day BETWEEN :from AND :to
UNION ALL
SELECT day, source_ip, messages, 0
FROM daily_failing
WHERE domain = :domain AND day BETWEEN :from AND :to;
