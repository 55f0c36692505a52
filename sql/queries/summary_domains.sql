-- summary_domains: per policy domain, the DMARC totals of the reports whose date range
-- begins in [:since, :until). Reads only aggregate_reports (totals kept at import).
SELECT domain,
       COUNT(*)                 AS reports,
       SUM(record_count)        AS records,
       SUM(message_count)       AS messages,
       SUM(dmarc_pass_count)    AS dmarc_pass,
       MIN(begin_ts)            AS first_begin,
       MAX(end_ts)              AS last_end,
       COUNT(DISTINCT org_name) AS reporters
FROM aggregate_reports
WHERE (:domain IS NULL OR domain = :domain)
  AND begin_ts >= :since AND begin_ts < :until
GROUP BY domain
ORDER BY domain;
