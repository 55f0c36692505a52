// Migrations applied to a database that already holds data: `dmarcctl db migrate` on a
// file left at an older schema version must keep every row, in its new shape.
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <filesystem>

using namespace dmarc::test;

namespace {

void exec(sqlite3* db, const std::string& sql)
{
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message != nullptr ? message : "?";
    sqlite3_free(message);
    FAIL(text);
  }
}

// A database at schema version 4 (the migrations before packed auth results), with one
// report, one record and three auth results written the old way.
void make_version_4(const std::string& path)
{
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  for (const char* file : {"0001_initial.sql", "0002_imap_state.sql", "0003_rollups.sql",
                           "0004_forward_cursor.sql"}) {
    exec(db, read_file(std::string(DMARC_SOURCE_DIR) + "/sql/" + file));
  }
  exec(db, "PRAGMA user_version = 4;"
           "INSERT INTO messages (id, source, checksum, size, first_seen, last_seen, status)"
           " VALUES (1, 'old.xml', 'abc', 10, 0, 0, 'imported');"
           "INSERT INTO aggregate_reports (id, message, org_name, report_id, domain, begin_ts,"
           " end_ts, xml_namespace, p, record_count, message_count, dmarc_pass_count)"
           " VALUES (1, 1, 'old.example.net', 'r1', 'example.com', 1700000000, 1700086399, '',"
           " 'none', 2, 5, 4);"
           "INSERT INTO aggregate_records (id, report, source_ip, count, disposition, dkim, spf,"
           " header_from, dkim_aligned, spf_aligned, dmarc_aligned)"
           " VALUES (7, 1, '192.0.2.1', 4, 'none', 'pass', 'fail', 'example.com', 1, 0, 1),"
           "        (8, 1, '192.0.2.2', 1, 'none', 'fail', 'fail', 'example.com', 0, 0, 0);"
           "INSERT INTO auth_results (record, seq, kind, domain, selector, scope, result,"
           " human_result, aligned) VALUES"
           " (7, 0, 'dkim', 'example.com', 'mailcow', NULL, 'pass', NULL, 1),"
           " (7, 1, 'dkim', 'relay.example.net', 'x', NULL, 'fail', 'bad \"sig\"', 0),"
           " (7, 2, 'spf', 'bounce.example.org', NULL, 'mfrom', 'softfail', NULL, 0);");
  sqlite3_close(db);
}

} // namespace

TEST_CASE("0005 packs stored auth results into their records and keeps auth_results readable")
{
  TempDir dir;
  const std::string db = dir / "old.sqlite";
  make_version_4(db);

  const RunResult migrated = dmarcctl({"--db", db, "db", "migrate"});
  INFO(migrated.err);
  REQUIRE(migrated.exit_code == 0);
  CHECK(scalar(db, "PRAGMA user_version") >= 5);

  CHECK(*query(db, "SELECT auth FROM aggregate_records WHERE id = 7")[0][0]
        == "[[\"dkim\",\"example.com\",\"mailcow\",null,\"pass\",null,1],"
           "[\"dkim\",\"relay.example.net\",\"x\",null,\"fail\",\"bad \\\"sig\\\"\",0],"
           "[\"spf\",\"bounce.example.org\",null,\"mfrom\",\"softfail\",null,0]]");
  CHECK_FALSE(query(db, "SELECT auth FROM aggregate_records WHERE id = 8")[0][0].has_value());

  const auto rows = query(db, "SELECT record, seq, kind, domain, selector, scope, result,"
                              " human_result, aligned FROM auth_results ORDER BY record, seq");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == Row{"7", "0", "dkim", "example.com", "mailcow", std::nullopt, "pass",
                       std::nullopt, "1"});
  CHECK(rows[1] == Row{"7", "1", "dkim", "relay.example.net", "x", std::nullopt, "fail",
                       "bad \"sig\"", "0"});
  CHECK(rows[2] == Row{"7", "2", "spf", "bounce.example.org", std::nullopt, "mfrom", "softfail",
                       std::nullopt, "0"});

  // The export reads them back through the same view.
  const RunResult exported = dmarcctl({"--db", db, "export", "--format", "csv"});
  REQUIRE(exported.exit_code == 0);
  const auto lines_out = lines(exported.out);
  REQUIRE(lines_out.size() == 3);
  CHECK(lines_out[1].find("\"example.com,relay.example.net\",\"mailcow,x\",\"pass,fail\","
                          "bounce.example.org,mfrom,softfail")
        != std::string::npos);
}

TEST_CASE("a new import writes packed auth results that read back through the view")
{
  TempDir dir;
  const std::string db = dir / "new.sqlite";
  REQUIRE(dmarcctl({"--db", db, "import", fixture("expected/export-sample.xml")}).exit_code == 0);
  const auto rows = query(db, "SELECT kind, domain, selector, scope, result, aligned FROM"
                              " auth_results ORDER BY record, seq");
  REQUIRE(rows.size() == 4);
  // mail.example.com passes and is aligned with example.com (adkim=r); relay.example.net fails;
  // bounce.example.com under aspf=s is not aligned with example.com.
  CHECK(rows[0] == Row{"dkim", "mail.example.com", "mailcow", std::nullopt, "pass", "1"});
  CHECK(rows[1] == Row{"dkim", "relay.example.net", "x", std::nullopt, "fail", "0"});
  CHECK(rows[2] == Row{"spf", "bounce.example.com", std::nullopt, "mfrom", "pass", "0"});
  CHECK(rows[3] == Row{"spf", "spoof.example.org", std::nullopt, std::nullopt, "softfail", "0"});
}

TEST_CASE("a database from a newer dmarcctl: every command says to upgrade, none to migrate")
{
  TempDir dir;
  const std::string db = dir / "newer.sqlite";
  REQUIRE(dmarcctl({"--db", db, "import", fixture("expected/export-sample.xml")}).exit_code == 0);
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
  exec(handle, "PRAGMA user_version = 99;");
  sqlite3_close(handle);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"import", fixture("expected/export-sample.xml")},
        std::vector<std::string>{"summary"}, std::vector<std::string>{"export"},
        std::vector<std::string>{"db", "check"}, std::vector<std::string>{"db", "migrate"}}) {
    std::vector<std::string> args{"--db", db};
    args.insert(args.end(), command.begin(), command.end());
    const RunResult r = dmarcctl(args);
    INFO(command.front() << "\n" << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(db + " has schema version 99, newer than this dmarcctl knows (")
          != std::string::npos);
    CHECK(r.err.find("upgrade dmarcctl") != std::string::npos);
    CHECK(r.err.find("db migrate") == std::string::npos);
  }
}
