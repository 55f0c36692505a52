// ⑤ store: where each IMAP mailbox was left (table imap_state, sql/0002_imap_state.sql).
//
// Why a cursor and how it stays crash safe: fetch asks only for UIDs above last_uid, so a
// mailbox whose messages stay (after = "leave" or "seen") is not downloaded again every
// night. last_uid moves only after the messages up to it are stored *and* their after
// action was applied; a run killed in between fetches those messages again, the store
// recognises them (content checksum, report keys) and they are then moved — nothing lost,
// nothing stored twice. A new UIDVALIDITY (RFC 3501 §2.3.1.1) invalidates the UIDs: the
// caller rescans from UID 1. Before a message is moved or deleted, mark_stored_durably()
// commits with synchronous = FULL: one fsync makes every earlier commit (written with
// synchronous = NORMAL) durable against power loss, once per batch instead of per message.
#pragma once

#include "core/result.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmarc::store {

struct ImapState
{
  std::string account;
  std::string mailbox;
  int64_t uidvalidity = 0;
  int64_t last_uid = 0;      // every UID <= last_uid is stored and its after action applied
  int64_t stored_uid = 0;    // highest UID made durable before a move or delete
  int64_t updated_at = 0;
};

// The state of one account's mailbox, nullopt when it was never fetched.
Result<std::optional<ImapState>> load_imap_state(Database& db, const std::string& account,
                                                 const std::string& mailbox);

// Every stored state, by account and mailbox.
Result<std::vector<ImapState>> list_imap_states(Database& db);

// Records that every UID <= last_uid of `uidvalidity` is fully processed (insert or update;
// a new uidvalidity replaces the old state).
Result<void> save_imap_state(Database& db, const std::string& account, const std::string& mailbox,
                             int64_t uidvalidity, int64_t last_uid, int64_t now);

// Records stored_uid in a transaction committed with synchronous = FULL, which also makes
// every earlier commit durable; call it before moving or deleting stored messages.
Result<void> mark_stored_durably(Database& db, const std::string& account,
                                 const std::string& mailbox, int64_t uidvalidity,
                                 int64_t stored_uid, int64_t now);

} // namespace dmarc::store
