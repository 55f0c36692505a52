-- 0004: what has been forwarded to GELF, per sink (issue 6, "exactly once").
-- One row per (sink, stream): the highest row id of that stream that the sink acknowledged
-- (UDP: written; TCP: acknowledged by the receiver's TCP stack; HTTP: a 2xx answer), or that
-- was passed over for good (older than `forward --since`, or too large for the sink). For
-- the stream `advice` (advisor findings, computed per run, not stored) it is the Unix day
-- whose findings were sent: they go once a day.
-- `dmarcctl forward` sends the rows with a higher id, in id order, and moves the cursor in
-- small transactions as acknowledgements come in.

CREATE TABLE forward_cursor (
  sink     TEXT NOT NULL,     -- the [gelf] url without user:password@, ?query or #fragment
  stream   TEXT NOT NULL,     -- aggregate_records | tls_policies | tls_failures | advice
  last_id  INTEGER NOT NULL,  -- rows of `stream` with id <= last_id are done (advice: the day)
  updated  INTEGER NOT NULL,  -- Unix seconds (the injected clock)
  PRIMARY KEY (sink, stream)
) WITHOUT ROWID;
