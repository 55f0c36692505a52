-- stats_totals: a domain's DMARC totals over days [:from, :to].
SELECT COUNT(DISTINCT day), SUM(reports), SUM(records), SUM(messages), SUM(dmarc_pass),
       SUM(dkim_aligned), SUM(spf_aligned), SUM(quarantined), SUM(rejected),
       SUM(spf_own_fail), SUM(spf_own_softfail), SUM(spf_own_neutral),
       MIN(first_begin), MAX(last_end)
FROM daily_reporters
WHERE domain = :domain AND day BETWEEN :from AND :to;
