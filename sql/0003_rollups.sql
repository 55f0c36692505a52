-- 0003: rollups for `summary` and `advise` (issue #5). Forward-only.
-- Documentation: schema/README.md ("Rollups").
--
-- Why: summing aggregate_records per run does not answer in under a second once the history
-- holds millions of rows. These tables hold the same sums per policy domain and UTC day (the
-- day a report's date range begins), written in the transaction that stores a new report
-- (src/store/rollups.cpp, statements in sql/queries/rollup_*.sql) and filled here from the
-- rows already stored. Domains are lower case; a day is floor(begin_ts / 86400).
--
-- Counting rules (the same in the backfill below and at import):
--   messages       SUM(count)
--   dmarc_pass     dmarc_aligned = 1       dkim_aligned / spf_aligned: the record columns
--   spf_pass       some SPF result of scope mfrom (or none given) passes, any domain
--   spf_own        some such SPF result is for the policy domain or a name below it;
--   spf_own_pass   ... and one of those passes
--   forwarded      an override reason forwarded, mailing_list or trusted_forwarder
--   dkim_signer    the alphabetically first DKIM d= (lower case) that passes without being
--                  aligned with the From, '' when none: a relay or list signing with its own
--                  domain ([[domain]] dkim_domains names the ones that are yours)
--   quarantined / rejected: disposition quarantine / reject
--   spf_own_fail / _softfail / _neutral: no own SPF result passes and one is fail / softfail /
--                  neutral (what the published SPF "all" qualifier answers)

-- Per domain, day and reporting organization.
CREATE TABLE daily_reporters (
  domain            TEXT NOT NULL,
  day               INTEGER NOT NULL,
  org_name          TEXT NOT NULL,
  reports           INTEGER NOT NULL,
  records           INTEGER NOT NULL,
  messages          INTEGER NOT NULL,
  dmarc_pass        INTEGER NOT NULL,
  dkim_aligned      INTEGER NOT NULL,
  spf_aligned       INTEGER NOT NULL,
  quarantined       INTEGER NOT NULL,
  rejected          INTEGER NOT NULL,
  spf_own_fail      INTEGER NOT NULL,
  spf_own_softfail  INTEGER NOT NULL,
  spf_own_neutral   INTEGER NOT NULL,
  first_begin       INTEGER NOT NULL,
  last_end          INTEGER NOT NULL,
  PRIMARY KEY (domain, day, org_name)
) WITHOUT ROWID;
CREATE INDEX daily_reporters_day ON daily_reporters (day);

-- Per domain, day and published stage: pct absent = 100, testing absent = 'n'.
CREATE TABLE daily_policies (
  domain   TEXT NOT NULL,
  day      INTEGER NOT NULL,
  p        TEXT NOT NULL,
  pct      INTEGER NOT NULL,
  testing  TEXT NOT NULL,
  reports  INTEGER NOT NULL,
  PRIMARY KEY (domain, day, p, pct, testing)
) WITHOUT ROWID;

-- Per domain, day and source IP (as reported), for the sources of a report with any
-- passing, forwarded or DKIM-signed mail. Keyed by day before IP so the rows of one report
-- land on a few neighbouring pages (the import stays fast) and a window of days is one
-- range; `stats_sources.sql` reads that range and the store folds it per source.
CREATE TABLE daily_sources (
  domain        TEXT NOT NULL,
  day           INTEGER NOT NULL,
  source_ip     TEXT NOT NULL,
  messages      INTEGER NOT NULL,
  dmarc_pass    INTEGER NOT NULL,
  dkim_aligned  INTEGER NOT NULL,
  spf_aligned   INTEGER NOT NULL,
  spf_pass      INTEGER NOT NULL,
  spf_own       INTEGER NOT NULL,
  spf_own_pass  INTEGER NOT NULL,
  forwarded     INTEGER NOT NULL,
  dkim_signer   TEXT NOT NULL,       -- see the counting rules above
  PRIMARY KEY (domain, day, source_ip)
) WITHOUT ROWID;

-- The same for the sources of a report whose mail all failed (no aligned or unaligned
-- pass, no SPF pass, no forwarding reason, no DKIM signature passing): most spoofers. Their
-- other sums are zero, so the rows are narrow and a window of them reads fast.
CREATE TABLE daily_failing (
  domain     TEXT NOT NULL,
  day        INTEGER NOT NULL,
  source_ip  TEXT NOT NULL,
  messages   INTEGER NOT NULL,
  spf_own    INTEGER NOT NULL,
  PRIMARY KEY (domain, day, source_ip)
) WITHOUT ROWID;

-- DKIM results per selector and d= domain ('' when the reporter gave no selector).
CREATE TABLE daily_selectors (
  domain        TEXT NOT NULL,
  day           INTEGER NOT NULL,
  selector      TEXT NOT NULL,       -- lower case
  dkim_domain   TEXT NOT NULL,       -- lower case
  messages      INTEGER NOT NULL,
  pass          INTEGER NOT NULL,
  aligned_pass  INTEGER NOT NULL,
  PRIMARY KEY (domain, day, selector, dkim_domain)
) WITHOUT ROWID;

-- TLS-RPT per policy domain, day, policy type and reporting organization.
CREATE TABLE daily_tls (
  domain       TEXT NOT NULL,        -- the policy's policy-domain, lower case
  day          INTEGER NOT NULL,
  policy_type  TEXT NOT NULL,
  org_name     TEXT NOT NULL,
  reports      INTEGER NOT NULL,
  success      INTEGER NOT NULL,
  failure      INTEGER NOT NULL,
  PRIMARY KEY (domain, day, policy_type, org_name)
) WITHOUT ROWID;
CREATE INDEX daily_tls_day ON daily_tls (day);

-- TLS-RPT failure sessions per policy domain, day, policy type and result type.
CREATE TABLE daily_tls_failures (
  domain       TEXT NOT NULL,
  day          INTEGER NOT NULL,
  policy_type  TEXT NOT NULL,
  result_type  TEXT NOT NULL,
  sessions     INTEGER NOT NULL,
  PRIMARY KEY (domain, day, policy_type, result_type)
) WITHOUT ROWID;

-- The newest published policies of a domain: DMARC (whatever case reporters wrote the
-- domain in) and TLS (MTA-STS mode, MX patterns).
CREATE INDEX aggregate_reports_ldomain_begin ON aggregate_reports (lower(domain), begin_ts);
CREATE INDEX tls_policies_ldomain ON tls_policies (lower(policy_domain), policy_type);

-- ---- Backfill from the rows stored so far -------------------------------------------------

CREATE TEMP TABLE rollup_records AS
SELECT r.id                                                       AS id,
       r.report                                                   AS report,
       lower(rep.domain)                                          AS domain,
       (rep.begin_ts - ((rep.begin_ts % 86400) + 86400) % 86400) / 86400 AS day,
       rep.org_name                                               AS org_name,
       r.source_ip                                                AS source_ip,
       r.count                                                    AS count,
       r.disposition                                              AS disposition,
       r.dkim_aligned                                             AS dkim_aligned,
       r.spf_aligned                                              AS spf_aligned,
       r.dmarc_aligned                                            AS dmarc_aligned,
       EXISTS (SELECT 1 FROM auth_results a WHERE a.record = r.id AND a.kind = 'spf'
                 AND (a.scope IS NULL OR a.scope IN ('', 'mfrom')) AND a.result = 'pass')
                                                                  AS spf_pass,
       EXISTS (SELECT 1 FROM auth_results a WHERE a.record = r.id AND a.kind = 'spf'
                 AND (a.scope IS NULL OR a.scope IN ('', 'mfrom'))
                 AND (lower(a.domain) = lower(rep.domain)
                      OR substr(lower(a.domain), -length(rep.domain) - 1) = '.' || lower(rep.domain)))
                                                                  AS spf_own,
       (SELECT group_concat(a.result, ',') FROM auth_results a WHERE a.record = r.id
          AND a.kind = 'spf' AND (a.scope IS NULL OR a.scope IN ('', 'mfrom'))
          AND (lower(a.domain) = lower(rep.domain)
               OR substr(lower(a.domain), -length(rep.domain) - 1) = '.' || lower(rep.domain)))
                                                                  AS spf_own_results,
       EXISTS (SELECT 1 FROM override_reasons o WHERE o.record = r.id
                 AND lower(o.type) IN ('forwarded', 'mailing_list', 'trusted_forwarder'))
                                                                  AS forwarded,
       (SELECT MIN(lower(a.domain)) FROM auth_results a WHERE a.record = r.id
          AND a.kind = 'dkim' AND a.result = 'pass' AND a.aligned = 0)
                                                                  AS signer
FROM aggregate_records r
JOIN aggregate_reports rep ON rep.id = r.report;

INSERT INTO daily_reporters
SELECT lower(rep.domain),
       (rep.begin_ts - ((rep.begin_ts % 86400) + 86400) % 86400) / 86400,
       rep.org_name,
       COUNT(*), SUM(rep.record_count),
       COALESCE(SUM(t.messages), 0), COALESCE(SUM(t.dmarc_pass), 0),
       COALESCE(SUM(t.dkim_aligned), 0), COALESCE(SUM(t.spf_aligned), 0),
       COALESCE(SUM(t.quarantined), 0), COALESCE(SUM(t.rejected), 0),
       COALESCE(SUM(t.own_fail), 0), COALESCE(SUM(t.own_softfail), 0),
       COALESCE(SUM(t.own_neutral), 0),
       MIN(rep.begin_ts), MAX(rep.end_ts)
FROM aggregate_reports rep
LEFT JOIN (
  SELECT x.report AS report,
         SUM(x.count) AS messages,
         SUM(CASE WHEN x.dmarc_aligned THEN x.count ELSE 0 END) AS dmarc_pass,
         SUM(CASE WHEN x.dkim_aligned THEN x.count ELSE 0 END) AS dkim_aligned,
         SUM(CASE WHEN x.spf_aligned THEN x.count ELSE 0 END) AS spf_aligned,
         SUM(CASE WHEN lower(x.disposition) = 'quarantine' THEN x.count ELSE 0 END) AS quarantined,
         SUM(CASE WHEN lower(x.disposition) = 'reject' THEN x.count ELSE 0 END) AS rejected,
         SUM(CASE WHEN x.spf_own_results IS NOT NULL
                       AND ',' || x.spf_own_results || ',' NOT LIKE '%,pass,%'
                       AND ',' || x.spf_own_results || ',' LIKE '%,fail,%'
                  THEN x.count ELSE 0 END) AS own_fail,
         SUM(CASE WHEN x.spf_own_results IS NOT NULL
                       AND ',' || x.spf_own_results || ',' NOT LIKE '%,pass,%'
                       AND ',' || x.spf_own_results || ',' NOT LIKE '%,fail,%'
                       AND ',' || x.spf_own_results || ',' LIKE '%,softfail,%'
                  THEN x.count ELSE 0 END) AS own_softfail,
         SUM(CASE WHEN x.spf_own_results IS NOT NULL
                       AND ',' || x.spf_own_results || ',' NOT LIKE '%,pass,%'
                       AND ',' || x.spf_own_results || ',' NOT LIKE '%,fail,%'
                       AND ',' || x.spf_own_results || ',' NOT LIKE '%,softfail,%'
                       AND ',' || x.spf_own_results || ',' LIKE '%,neutral,%'
                  THEN x.count ELSE 0 END) AS own_neutral
  FROM rollup_records x
  GROUP BY x.report
) t ON t.report = rep.id
GROUP BY 1, 2, 3;

INSERT INTO daily_policies
SELECT lower(domain),
       (begin_ts - ((begin_ts % 86400) + 86400) % 86400) / 86400,
       lower(p), COALESCE(pct, 100), COALESCE(lower(testing), 'n'), COUNT(*)
FROM aggregate_reports
GROUP BY 1, 2, 3, 4, 5;

-- Per report and source first: the import decides per report whether a source's mail all
-- failed.
CREATE TEMP TABLE rollup_report_sources AS
SELECT report, domain, day, source_ip,
       SUM(count) AS messages,
       SUM(CASE WHEN dmarc_aligned THEN count ELSE 0 END) AS dmarc_pass,
       SUM(CASE WHEN dkim_aligned THEN count ELSE 0 END) AS dkim_aligned,
       SUM(CASE WHEN spf_aligned THEN count ELSE 0 END) AS spf_aligned,
       SUM(CASE WHEN spf_pass THEN count ELSE 0 END) AS spf_pass,
       SUM(CASE WHEN spf_own THEN count ELSE 0 END) AS spf_own,
       SUM(CASE WHEN ',' || spf_own_results || ',' LIKE '%,pass,%' THEN count ELSE 0 END)
         AS spf_own_pass,
       SUM(CASE WHEN forwarded THEN count ELSE 0 END) AS forwarded,
       COALESCE(MIN(signer), '') AS signer
FROM rollup_records
GROUP BY report, domain, day, source_ip;

INSERT INTO daily_sources
SELECT domain, day, source_ip, SUM(messages), SUM(dmarc_pass), SUM(dkim_aligned),
       SUM(spf_aligned), SUM(spf_pass), SUM(spf_own), SUM(spf_own_pass), SUM(forwarded),
       COALESCE(MIN(NULLIF(signer, '')), '')
FROM rollup_report_sources
WHERE dmarc_pass > 0 OR dkim_aligned > 0 OR spf_aligned > 0 OR spf_pass > 0 OR forwarded > 0
   OR signer <> ''
GROUP BY domain, day, source_ip;

INSERT INTO daily_failing
SELECT domain, day, source_ip, SUM(messages), SUM(spf_own)
FROM rollup_report_sources
WHERE NOT (dmarc_pass > 0 OR dkim_aligned > 0 OR spf_aligned > 0 OR spf_pass > 0
           OR forwarded > 0 OR signer <> '')
GROUP BY domain, day, source_ip;

DROP TABLE rollup_report_sources;

INSERT INTO daily_selectors
SELECT x.domain, x.day, lower(COALESCE(a.selector, '')), lower(a.domain),
       SUM(x.count),
       SUM(CASE WHEN a.result = 'pass' THEN x.count ELSE 0 END),
       SUM(CASE WHEN a.result = 'pass' AND a.aligned THEN x.count ELSE 0 END)
FROM rollup_records x
JOIN auth_results a ON a.record = x.id
WHERE a.kind = 'dkim'
GROUP BY 1, 2, 3, 4;

DROP TABLE rollup_records;

-- A policy without policy-domain (no-policy-found) counts for the report's domain, as
-- src/store/rollups.cpp does (a database still at version 2 was written by a dmarcctl that
-- rejected such policies, so this changes no existing backfill).
INSERT INTO daily_tls
SELECT lower(COALESCE(NULLIF(p.policy_domain, ''), r.domain)),
       (r.begin_ts - ((r.begin_ts % 86400) + 86400) % 86400) / 86400,
       p.policy_type, r.org_name,
       COUNT(DISTINCT r.id), SUM(p.success_count), SUM(p.failure_count)
FROM tls_reports r
JOIN tls_policies p ON p.report = r.id
GROUP BY 1, 2, 3, 4;

INSERT INTO daily_tls_failures
SELECT lower(COALESCE(NULLIF(p.policy_domain, ''), r.domain)),
       (r.begin_ts - ((r.begin_ts % 86400) + 86400) % 86400) / 86400,
       p.policy_type, f.result_type, SUM(f.failed_session_count)
FROM tls_reports r
JOIN tls_policies p ON p.report = r.id
JOIN tls_failures f ON f.policy = p.id
GROUP BY 1, 2, 3, 4;
