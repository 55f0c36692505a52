#include "store/imap_state.hpp"

#include "store/sqlite.hpp"

namespace dmarc::store {

namespace {

constexpr const char* k_load_state =
  "SELECT account, mailbox, uidvalidity, last_uid, stored_uid, updated_at FROM imap_state"
  " WHERE account = ?1 AND mailbox = ?2";
constexpr const char* k_list_states =
  "SELECT account, mailbox, uidvalidity, last_uid, stored_uid, updated_at FROM imap_state"
  " ORDER BY account, mailbox";
// Every SET expression sees the old row, so the CASEs compare with the stored uidvalidity.
constexpr const char* k_save_state =
  "INSERT INTO imap_state (account, mailbox, uidvalidity, last_uid, stored_uid, updated_at)"
  " VALUES (?1, ?2, ?3, ?4, ?4, ?5) ON CONFLICT (account, mailbox) DO UPDATE SET"
  " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,"
  " stored_uid = CASE WHEN imap_state.uidvalidity = excluded.uidvalidity"
  "   THEN max(imap_state.stored_uid, excluded.last_uid) ELSE excluded.last_uid END,"
  " updated_at = excluded.updated_at";
constexpr const char* k_mark_stored =
  "INSERT INTO imap_state (account, mailbox, uidvalidity, last_uid, stored_uid, updated_at)"
  " VALUES (?1, ?2, ?3, 0, ?4, ?5) ON CONFLICT (account, mailbox) DO UPDATE SET"
  " last_uid = CASE WHEN imap_state.uidvalidity = excluded.uidvalidity"
  "   THEN imap_state.last_uid ELSE 0 END,"
  " uidvalidity = excluded.uidvalidity, stored_uid = excluded.stored_uid,"
  " updated_at = excluded.updated_at";

ImapState row_of(const Statement& s)
{
  ImapState state;
  state.account = s.column_text(0);
  state.mailbox = s.column_text(1);
  state.uidvalidity = s.column_int(2);
  state.last_uid = s.column_int(3);
  state.stored_uid = s.column_int(4);
  state.updated_at = s.column_int(5);
  return state;
}

} // namespace

Result<std::optional<ImapState>> load_imap_state(Database& db, const std::string& account,
                                                 const std::string& mailbox)
{
  auto stmt = db.connection().cached(k_load_state);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, account).bind(2, mailbox);
  auto row = s.step();
  if (!row) {
    return row.error();
  }
  std::optional<ImapState> state;
  if (*row) {
    state = row_of(s);
  }
  s.reset();
  return state;
}

Result<std::vector<ImapState>> list_imap_states(Database& db)
{
  auto stmt = db.connection().cached(k_list_states);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  std::vector<ImapState> states;
  for (;;) {
    auto row = s.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    states.push_back(row_of(s));
  }
  s.reset();
  return states;
}

Result<void> save_imap_state(Database& db, const std::string& account, const std::string& mailbox,
                             int64_t uidvalidity, int64_t last_uid, int64_t now)
{
  auto stmt = db.connection().cached(k_save_state);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, account).bind(2, mailbox).bind(3, uidvalidity).bind(4, last_uid).bind(5, now);
  return (*stmt)->run();
}

Result<void> mark_stored_durably(Database& db, const std::string& account,
                                 const std::string& mailbox, int64_t uidvalidity,
                                 int64_t stored_uid, int64_t now)
{
  Connection& c = db.connection();
  auto previous = c.query_int("PRAGMA synchronous");
  if (!previous) {
    return previous.error();
  }
  if (auto r = c.exec("PRAGMA synchronous = FULL"); !r) {
    return r;
  }
  Result<void> written = [&]() -> Result<void> {
    auto stmt = c.cached(k_mark_stored);
    if (!stmt) {
      return stmt.error();
    }
    (*stmt)->bind(1, account).bind(2, mailbox).bind(3, uidvalidity).bind(4, stored_uid).bind(5, now);
    return (*stmt)->run();  // autocommit: this commit syncs the WAL file, earlier frames too
  }();
  // Back to the level the database was opened with (NORMAL, or FULL with full_sync).
  Result<void> restored = *previous >= 2 ? c.exec("PRAGMA synchronous = FULL")
                                         : c.exec("PRAGMA synchronous = NORMAL");
  if (!written) {
    return written;
  }
  return restored;
}

} // namespace dmarc::store
