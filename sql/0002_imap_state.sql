-- 0002: where each IMAP mailbox was left (issue #4). Forward-only.
-- Documentation: schema/README.md ("imap_state").
--
-- last_uid is advanced only after the messages up to it are stored AND their after action
-- (move / seen / delete / invalid) has been applied, so a run killed in between fetches
-- them again; they are recognised (same content checksum, same report keys) and only then
-- moved. A changed uidvalidity means the UIDs were renumbered: the mailbox is rescanned.
CREATE TABLE imap_state (
  account      TEXT NOT NULL,     -- [[imap]] name
  mailbox      TEXT NOT NULL,     -- as configured (UTF-8, '/' separated)
  uidvalidity  INTEGER NOT NULL,
  last_uid     INTEGER NOT NULL DEFAULT 0,  -- every UID up to this is fully processed
  stored_uid   INTEGER NOT NULL DEFAULT 0,  -- highest UID made durable before a move/delete
  updated_at   INTEGER NOT NULL,  -- Unix seconds (the injected clock)
  PRIMARY KEY (account, mailbox)
);
