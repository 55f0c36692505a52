// store/imap_state: the IMAP cursors in a real SQLite file (migration 0002), read back with
// plain SQL.
#include "store/imap_state.hpp"
#include "store/sqlite.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

using namespace dmarc;
using namespace dmarc::store;
using dmarc::test::TempDir;

TEST_CASE("imap_state: save, load, a new UIDVALIDITY, and the durable mark")
{
  TempDir dir;
  const std::string path = dir / "s.sqlite";
  {
    auto db = Database::open(path);
    REQUIRE(db.ok());
    auto none = load_imap_state(**db, "dmarc", "INBOX");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());

    REQUIRE(save_imap_state(**db, "dmarc", "INBOX", 100, 7, 1700000000).ok());
    REQUIRE(save_imap_state(**db, "dmarc", "Berichte/Prüfung", 5, 1, 1700000001).ok());
    auto one = load_imap_state(**db, "dmarc", "INBOX");
    REQUIRE(one.ok());
    REQUIRE(one->has_value());
    CHECK((*one)->uidvalidity == 100);
    CHECK((*one)->last_uid == 7);
    CHECK((*one)->stored_uid == 7);

    // Durable mark ahead of the cursor: last_uid stays.
    REQUIRE(mark_stored_durably(**db, "dmarc", "INBOX", 100, 12, 1700000002).ok());
    one = load_imap_state(**db, "dmarc", "INBOX");
    CHECK((*one)->last_uid == 7);
    CHECK((*one)->stored_uid == 12);
    // The connection is back at synchronous = NORMAL (1) afterwards.
    CHECK(*db.value()->connection().query_int("PRAGMA synchronous") == 1);

    // A new UIDVALIDITY replaces the old numbers.
    REQUIRE(mark_stored_durably(**db, "dmarc", "INBOX", 200, 3, 1700000003).ok());
    one = load_imap_state(**db, "dmarc", "INBOX");
    CHECK((*one)->uidvalidity == 200);
    CHECK((*one)->last_uid == 0);
    REQUIRE(save_imap_state(**db, "dmarc", "INBOX", 200, 3, 1700000004).ok());

    auto all = list_imap_states(**db);
    REQUIRE(all.ok());
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].mailbox == "Berichte/Prüfung");
  }
  const auto rows = test::query(path, "SELECT account, mailbox, uidvalidity, last_uid, updated_at"
                                      " FROM imap_state ORDER BY mailbox");
  REQUIRE(rows.size() == 2);
  CHECK(rows[1][1] == "INBOX");
  CHECK(rows[1][2] == "200");
  CHECK(rows[1][3] == "3");
  CHECK(rows[1][4] == "1700000004");
}
