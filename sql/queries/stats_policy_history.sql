-- stats_policy_history: the published stages (p, pct, testing) seen per day up to :to,
-- newest first: how long the current stage has been published.
SELECT day, p, pct, testing
FROM daily_policies
WHERE domain = :domain AND day <= :to
ORDER BY day DESC;
