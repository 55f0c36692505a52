-- 0005: auth results packed into their record row. Forward-only.
--
-- Why: a record has two or three <auth_results> entries; as rows of their own they were
-- 40% of the import's store time (an insert per entry, on top of the record's). They now
-- live in aggregate_records.auth as a JSON array, one entry per result in report order:
--   ["dkim"|"spf", domain, selector, scope, result, human_result, aligned]
-- (selector is null for SPF, scope null for DKIM; aligned is 1 when the result passes with
-- a domain aligned with header_from). `auth_results` stays queryable with the same columns
-- as before, as a view over that array.

ALTER TABLE aggregate_records ADD COLUMN auth TEXT;

UPDATE aggregate_records
SET auth = (
  SELECT json_group_array(json_array(a.kind, a.domain, a.selector, a.scope, a.result,
                                     a.human_result, a.aligned))
  FROM (SELECT * FROM auth_results WHERE record = aggregate_records.id ORDER BY seq) AS a
)
WHERE id IN (SELECT record FROM auth_results);

DROP TABLE auth_results;

CREATE VIEW auth_results AS
SELECT r.id                          AS record,
       CAST(j.key AS INTEGER)        AS seq,
       j.value ->> 0                 AS kind,
       j.value ->> 1                 AS domain,
       j.value ->> 2                 AS selector,
       j.value ->> 3                 AS scope,
       j.value ->> 4                 AS result,
       j.value ->> 5                 AS human_result,
       j.value ->> 6                 AS aligned
FROM aggregate_records AS r, json_each(r.auth) AS j
WHERE r.auth IS NOT NULL;
