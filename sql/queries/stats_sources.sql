-- stats_sources: a domain's per day and source sums over days [:from, :to], in key order
-- (one range of daily_sources). The store folds the days of each source into one line,
-- together with the narrow rows of stats_failing.sql.
--
-- Why not GROUP BY source_ip here: SQLite groups through a sorter, which costs about 14
-- times the range scan itself (1.4 s against 0.1 s for 100 domains over 1.5 million
-- window rows in bench/summary_advise); the fold in a hash map costs about as much as the
-- scan. The per day sums themselves are kept in SQL at import (rollup_source.sql).
SELECT day, source_ip, messages, dmarc_pass, dkim_aligned, spf_aligned, spf_pass, spf_own,
       spf_own_pass, forwarded, dkim_signer
FROM daily_sources
WHERE domain = :domain AND day BETWEEN :from AND :to;
