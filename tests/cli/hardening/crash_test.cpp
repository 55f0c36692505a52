// Crash safety of the database: `dmarcctl import` of a large generated directory is
// SIGKILLed at several points (fractions of a full import's time, and repeatedly on the same
// database). Whatever the timing, afterwards:
//  - the database opens, `dmarcctl db check` and PRAGMA integrity_check / foreign_key_check
//    say ok;
//  - every report of every committed message is there and complete (records = record_count,
//    message_count = the sum of the counts; no report without its records);
//  - a rerun completes the rest, and the totals are exact, with no duplicates.
// The kill timing varies with the machine; no assertion depends on it.
#include "hardening_support.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

using namespace dmarc::test;
using namespace dmarc::test::hardening;
namespace fs = std::filesystem;

namespace {

struct Expected
{
  std::map<std::string, int64_t> dmarc_records;        // report_id → records
  std::set<std::string> tls;                           // report ids
  std::map<std::string, std::vector<std::string>> by_file; // input path → report ids in it
  int files = 0;
};

// ~260 inputs of every local kind: XML, gzip, two-report zip mails, TLS JSON, and a few
// inputs that repeat a report of another one (duplicates) or are rejected.
Expected generate(const std::string& dir)
{
  Expected e;
  fs::create_directories(dir);
  const auto add_file = [&](const std::string& name, const std::string& bytes,
                            std::vector<std::string> ids) {
    const std::string path = dir + "/" + name;
    write_file(path, bytes);
    e.by_file[path] = std::move(ids);
    ++e.files;
  };
  for (int i = 0; i < 260; ++i) {
    const std::string id = "crash-" + std::to_string(i);
    const int records = 20 + (i * 37) % 400;
    const std::string name = "in" + std::to_string(1000 + i);
    switch (i % 6) {
    case 0:
    case 1:
      add_file(name + ".xml", report_xml("crash.example.net", id, records), {id});
      e.dmarc_records[id] = records;
      break;
    case 2:
      add_file(name + ".xml.gz", gzip(report_xml("crash.example.net", id, records)), {id});
      e.dmarc_records[id] = records;
      break;
    case 3: {
      const std::string id2 = id + "b";
      const std::string z = zip({{"a.xml", report_xml("crash.example.net", id, records)},
                                 {"b.xml", report_xml("crash.example.net", id2, 7)}});
      add_file(name + ".eml",
               report_mail(id + "@crash.example.net", "application/zip", "r.zip", base64(z)),
               {id, id2});
      e.dmarc_records[id] = records;
      e.dmarc_records[id2] = 7;
      break;
    }
    case 4:
      add_file(name + ".json", tls_json(id, 1 + i % 5), {id});
      e.tls.insert(id);
      break;
    case 5:
      if (i % 12 == 5) {
        // The same report as input i-5, in another compression: a duplicate.
        const std::string same = "crash-" + std::to_string(i - 5);
        add_file(name + ".xml.gz",
                 gzip(report_xml("crash.example.net", same, e.dmarc_records[same]), 1), {same});
      } else {
        add_file(name + ".xml", "<feedback><report_metadata>truncated " + id, {});
      }
      break;
    }
  }
  return e;
}

// Everything that must hold after a kill at any moment.
void check_consistent(const std::string& db, const Expected& e)
{
  if (!fs::exists(db)) {
    return; // killed before the database was created: nothing to check, nothing lost
  }
  const RunResult check = dmarcctl({"--db", db, "db", "check"});
  INFO("db check:\n" << check.out << check.err);
  if (scalar(db, "PRAGMA user_version") == 0) {
    // Killed before the first migration committed: an empty file, no tables.
    CHECK(scalar(db, "SELECT COUNT(*) FROM sqlite_master") == 0);
    return;
  }
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("integrity:        ok") != std::string::npos);
  CHECK(query(db, "PRAGMA integrity_check") == std::vector<Row>{Row{"ok"}});
  CHECK(query(db, "PRAGMA foreign_key_check").empty());

  // Complete reports: records = record_count, message_count = sum, as generated.
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports r WHERE record_count <>"
                   " (SELECT COUNT(*) FROM aggregate_records WHERE report = r.id)") == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports r WHERE message_count <>"
                   " (SELECT SUM(count) FROM aggregate_records WHERE report = r.id)") == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports r WHERE NOT EXISTS"
                   " (SELECT 1 FROM raw_documents WHERE report_type = 'dmarc' AND report = r.id)") == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM tls_reports r WHERE NOT EXISTS"
                   " (SELECT 1 FROM tls_policies WHERE report = r.id)") == 0);
  for (const Row& row : query(db, "SELECT report_id, record_count FROM aggregate_reports")) {
    const auto it = e.dmarc_records.find(*row[0]);
    REQUIRE(it != e.dmarc_records.end());
    CHECK(std::stoll(*row[1]) == it->second);
  }
  // No report twice.
  CHECK(scalar(db, "SELECT COUNT(*) - COUNT(DISTINCT report_id) FROM aggregate_reports") == 0);
  CHECK(scalar(db, "SELECT COUNT(*) - COUNT(DISTINCT report_id) FROM tls_reports") == 0);

  // Every report of every committed message is stored (in it, or in an earlier message).
  std::set<std::string> stored;
  for (const Row& row : query(db, "SELECT report_id FROM aggregate_reports UNION ALL"
                                  " SELECT report_id FROM tls_reports")) {
    stored.insert(*row[0]);
  }
  for (const Row& row : query(db, "SELECT source, status, reports_new FROM messages")) {
    const auto it = e.by_file.find(*row[0]);
    REQUIRE(it != e.by_file.end());
    for (const std::string& id : it->second) {
      INFO(*row[0] << " holds " << id);
      CHECK(stored.count(id) == 1);
    }
    if (it->second.empty()) {
      CHECK(row[1] == "rejected");
    }
  }
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages m WHERE reports_new <>"
                   " (SELECT COUNT(*) FROM aggregate_reports WHERE message = m.id)"
                   " + (SELECT COUNT(*) FROM tls_reports WHERE message = m.id)") == 0);
}

// After the final, uninterrupted run: exactly everything.
void check_complete(const std::string& db, const Expected& e)
{
  int64_t records = 0;
  for (const auto& [id, n] : e.dmarc_records) {
    records += n;
  }
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports")
        == static_cast<long long>(e.dmarc_records.size()));
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_records") == records);
  CHECK(scalar(db, "SELECT SUM(record_count) FROM aggregate_reports") == records);
  CHECK(scalar(db, "SELECT COUNT(*) FROM tls_reports") == static_cast<long long>(e.tls.size()));
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages") == e.files);
  check_consistent(db, e);
}

double full_import_seconds(const std::string& dir, const std::string& input)
{
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = dmarcctl({"-q", "--db", dir + "/full.sqlite", "import", input});
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  REQUIRE(r.exit_code == 3); // the truncated inputs
  return took.count();
}

// Starts an import of `input` into `db` and SIGKILLs it after `delay`; true when it was
// killed (false: it finished first).
bool import_and_kill(const std::string& db, const std::string& input, std::chrono::microseconds delay,
                     const std::string& log)
{
  Background import({"-q", "--db", db, "import", input}, log);
  std::this_thread::sleep_for(delay);
  return import.kill_now();
}

} // namespace

TEST_CASE("a SIGKILL at any point of an import leaves a consistent database; a rerun completes it")
{
  TempDir dir;
  const std::string input = dir / "inputs";
  const Expected e = generate(input);
  const double full = full_import_seconds(dir.path(), input);
  check_complete(dir / "full.sqlite", e);
  std::printf("hardening: full import of %d inputs: %.2f s\n", e.files, full);

  // Killed once at different points, then rerun.
  {
    int killed = 0;
    for (const double fraction : {0.0, 0.05, 0.15, 0.3, 0.5, 0.7, 0.9}) {
      const std::string db = dir / ("k" + std::to_string(static_cast<int>(fraction * 100)) + ".sqlite");
      const auto delay = std::chrono::microseconds(static_cast<int64_t>(full * fraction * 1e6));
      killed += import_and_kill(db, input, delay, dir / "kill.log") ? 1 : 0;
      INFO("killed after " << delay.count() << " us");
      check_consistent(db, e);
      const RunResult rerun = dmarcctl({"-q", "--db", db, "import", input});
      CHECK(rerun.exit_code == 3);
      check_complete(db, e);
    }
    // The delays are fractions of a measured full import: most kills land mid-import, so the
    // consistency checks above really ran on interrupted databases.
    std::printf("hardening: %d of 7 kills interrupted the import\n", killed);
    CHECK(killed >= 4);
  }

  // Killed again and again on the same database, then rerun.
  {
    const std::string db = dir / "again.sqlite";
    int killed = 0;
    for (int round = 0; round < 6; ++round) {
      const auto delay = std::chrono::microseconds(static_cast<int64_t>(full * 0.25 * 1e6));
      killed += import_and_kill(db, input, delay, dir / "kill.log") ? 1 : 0;
      INFO("round " << round);
      check_consistent(db, e);
    }
    const RunResult rerun = dmarcctl({"-q", "--db", db, "import", input});
    CHECK(rerun.exit_code == 3);
    check_complete(db, e);
    std::printf("hardening: %d of 6 repeated kills interrupted the import\n", killed);
    CHECK(killed >= 4);
  }

  // Killed while the write-ahead log grows.
  {
    const std::string db = dir / "wal.sqlite";
    Background import({"-q", "--db", db, "import", input}, dir / "kill.log");
    // Kill as soon as some data is in the log (or when the import ends by itself).
    while (import.running()) {
      std::error_code ec;
      if (fs::file_size(db + "-wal", ec) > 256 * 1024 && !ec) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    import.kill_now();
    check_consistent(db, e);
    REQUIRE(dmarcctl({"-q", "--db", db, "import", input}).exit_code == 3);
    check_complete(db, e);
  }
}

namespace {

// Runs `sql` on the database file directly (the test's own SQLite connection).
void execute(const std::string& db, const std::string& sql)
{
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &message);
  INFO((message != nullptr ? message : ""));
  sqlite3_free(message);
  sqlite3_close(handle);
  REQUIRE(rc == SQLITE_OK);
}

} // namespace

TEST_CASE("db check finds totals that do not match the rows, and exits 1")
{
  TempDir dir;
  write_file(dir / "a.xml", report_xml("check.example.net", "check-1", 4));
  write_file(dir / "b.json", tls_json("check-2", 2));
  const std::string db = dir / "c.sqlite";
  REQUIRE(dmarcctl({"--db", db, "import", dir / "a.xml", dir / "b.json"}).exit_code == 0);
  const RunResult ok = dmarcctl({"--db", db, "db", "check"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("integrity:        ok") != std::string::npos);

  // Damage of the kind a crash could cause if a report were not stored whole.
  execute(db, "DELETE FROM aggregate_records WHERE id = (SELECT MAX(id) FROM aggregate_records);"
              "UPDATE aggregate_reports SET message_count = 1;"
              "DELETE FROM raw_documents WHERE report_type = 'tlsrpt';");
  const RunResult damaged = dmarcctl({"--db", db, "db", "check"});
  INFO(damaged.out << damaged.err);
  CHECK(damaged.exit_code == 1);
  CHECK(damaged.out.find("record_count 4 but 3 records") != std::string::npos);
  CHECK(damaged.out.find("message_count 1 but its records count 6") != std::string::npos);
  CHECK(damaged.out.find("tls report 1: no raw document") != std::string::npos);
}
