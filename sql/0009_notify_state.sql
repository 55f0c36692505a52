-- 0009: what `dmarcctl notify` has delivered, and what each import/fetch lost (issue #17).
-- Forward-only. Documentation: schema/README.md ("ingest_runs", "notify_state").
--
-- Why: notify computes its events from stored facts every run, so it needs to remember per
-- channel which events it has delivered (and in which form) to send each one once, again only
-- when it changes or clears. A delivery that fails writes nothing here: the events stay
-- pending and go out with the next run. What an import or fetch lost (a rejected input, a
-- failed IMAP account) is a fact of that run, recorded here by the run itself.

-- One row per `dmarcctl import` or `fetch` (also the fetch step of `run`).
CREATE TABLE ingest_runs (
  id               INTEGER PRIMARY KEY,
  command          TEXT NOT NULL CHECK (command IN ('import', 'fetch')),
  finished_at      INTEGER NOT NULL,          -- Unix seconds (the injected clock)
  inputs           INTEGER NOT NULL,
  reports          INTEGER NOT NULL,          -- new DMARC + TLS reports
  rejected         INTEGER NOT NULL,          -- inputs without a usable report (any reason)
  lost             INTEGER NOT NULL,          -- reports lost: rejected as corrupt-archive,
                                              --   too-large or invalid-report, or partly stored
  partial          INTEGER NOT NULL,          -- stored inputs of which a report was lost
  unreadable       INTEGER NOT NULL,          -- paths that could not be read
  accounts         INTEGER NOT NULL DEFAULT 0,
  failed_accounts  TEXT NOT NULL DEFAULT '',  -- [[imap]] names that failed, one per line
  problems         TEXT NOT NULL DEFAULT ''   -- the first diagnostics ("SOURCE: REASON: detail"), one per line
);

-- Per channel and event key: what was last delivered.
CREATE TABLE notify_state (
  channel         TEXT NOT NULL,              -- mail | webhook
  key             TEXT NOT NULL,              -- the event's stable key ("verdict:example.com:dmarc")
  kind            TEXT NOT NULL,
  domain          TEXT NOT NULL,              -- '' for events of no domain
  severity        TEXT NOT NULL,              -- critical | warning | info
  fingerprint     TEXT NOT NULL,              -- the event's form; a different one is sent again
  text            TEXT NOT NULL,              -- the line that was sent
  active          INTEGER NOT NULL,           -- 1: delivered as present; 0: gone (cleared)
  announce_clear  INTEGER NOT NULL,           -- 1: its going away is sent as "cleared"
  delivered_at    INTEGER NOT NULL,           -- Unix seconds
  PRIMARY KEY (channel, key)
) WITHOUT ROWID;
