-- stats_policy_latest: the policy_published of a domain's newest report that began before
-- :until (Unix seconds). Uses the index on (lower(domain), begin_ts).
SELECT lower(p), sp, np, adkim, aspf, fo, pct, testing, begin_ts
FROM aggregate_reports
WHERE lower(domain) = :domain AND begin_ts < :until
ORDER BY begin_ts DESC, id DESC
LIMIT 1;
