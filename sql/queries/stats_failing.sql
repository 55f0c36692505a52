-- stats_failing: a domain's per day sums of sources whose mail all failed, over days
-- [:from, :to] (folded with stats_sources.sql by the store).
SELECT day, source_ip, messages, spf_own
FROM daily_failing
WHERE domain = :domain AND day BETWEEN :from AND :to;
