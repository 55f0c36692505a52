// The shared corpus (../shared/corpus): real reports from public projects. Each file
// imported alone must yield exactly what expected.json lists, or the listed rejection;
// all files into one database must yield exactly its totals. Runs the real binary and
// reads the database with plain SQL.
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace dmarc::test;
using nlohmann::json;

namespace {

json expected()
{
  return json::parse(read_file(corpus_dir() + "/expected.json"));
}

// The shared corpus is a test input like the fixtures: without it the case fails, it never
// passes having checked nothing.
#define SKIP_WITHOUT_CORPUS()                                                                    \
  INFO("the shared corpus is not at " << corpus_dir() << " (../shared/corpus beside the clone)"); \
  REQUIRE(corpus_available())

} // namespace

TEST_CASE("each corpus file imported alone yields exactly its expected reports")
{
  SKIP_WITHOUT_CORPUS();
  const json spec = expected();
  for (const auto& [file, want] : spec["files"].items()) {
    DYNAMIC_SECTION(file)
    {
      TempDir dir;
      const std::string db = dir / "r.sqlite";
      const RunResult r = dmarcctl({"--db", db, "import", corpus_dir() + "/" + file});
      INFO("stderr: " << r.err);
      if (want.contains("reject")) {
        const std::string reason = want["reject"];
        CHECK(r.exit_code == 3);
        CHECK(r.err.find(file + ": " + reason + ": ") != std::string::npos);
        CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE status = 'rejected' AND reason = ?1",
                     {reason}) == 1);
        CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == 0);
        CHECK(scalar(db, "SELECT COUNT(*) FROM tls_reports") == 0);
        continue;
      }
      CHECK(r.exit_code == 0);
      for (const json& report : want["reports"]) {
        const std::string type = report["type"];
        if (type == "failure") {
          CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == 1);
          CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE status = 'failure'") == 1);
          CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == 0);
        } else if (type == "dmarc") {
          const auto rows = query(db,
            "SELECT begin_ts, end_ts, p, record_count, message_count, dmarc_pass_count,"
            " (SELECT COUNT(*) FROM aggregate_records WHERE report = aggregate_reports.id),"
            " (SELECT SUM(count) FROM aggregate_records WHERE report = aggregate_reports.id)"
            " FROM aggregate_reports WHERE org_name = ?1 AND report_id = ?2 AND domain = ?3",
            {report["org_name"], report["report_id"], report["domain"]});
          REQUIRE(rows.size() == 1);
          CHECK(*rows[0][0] == std::to_string(report["begin"].get<long long>()));
          CHECK(*rows[0][1] == std::to_string(report["end"].get<long long>()));
          CHECK(*rows[0][2] == report["policy_p"].get<std::string>());
          CHECK(*rows[0][3] == std::to_string(report["records"].get<long long>()));
          CHECK(*rows[0][4] == std::to_string(report["messages"].get<long long>()));
          CHECK(*rows[0][5] == std::to_string(report["dmarc_pass"].get<long long>()));
          CHECK(*rows[0][6] == std::to_string(report["records"].get<long long>()));
          CHECK(*rows[0][7] == std::to_string(report["messages"].get<long long>()));
          CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == 1);
          CHECK(scalar(db, "SELECT recovered FROM aggregate_reports")
                == (report.value("needs_recovery", false) ? 1 : 0));
        } else {
          const auto rows = query(db,
            "SELECT COUNT(p.id), SUM(p.success_count), SUM(p.failure_count) FROM tls_reports r"
            " JOIN tls_policies p ON p.report = r.id"
            " WHERE r.org_name = ?1 AND r.report_id = ?2 AND r.domain = ?3",
            {report["org_name"], report["report_id"], report["domain"]});
          REQUIRE(rows.size() == 1);
          CHECK(*rows[0][0] == std::to_string(report["policies"].get<long long>()));
          CHECK(*rows[0][1] == std::to_string(report["success"].get<long long>()));
          CHECK(*rows[0][2] == std::to_string(report["failure"].get<long long>()));
        }
      }
    }
  }
}

TEST_CASE("all corpus files into one database yield exactly the totals")
{
  SKIP_WITHOUT_CORPUS();
  const json spec = expected();
  const json& totals = spec["totals"];
  TempDir dir;
  const std::string db = dir / "all.sqlite";
  std::vector<std::string> args{"--db", db, "import"};
  for (const auto& [file, want] : spec["files"].items()) {
    args.push_back(corpus_dir() + "/" + file);
  }
  const RunResult r = dmarcctl(args);
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 3); // one file is rejected
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == totals["dmarc_reports_unique"]);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_records") == totals["dmarc_records"]);
  CHECK(scalar(db, "SELECT SUM(count) FROM aggregate_records") == totals["dmarc_messages"]);
  CHECK(scalar(db, "SELECT COUNT(*) FROM tls_reports") == totals["tlsrpt_reports_unique"]);
  CHECK(scalar(db, "SELECT COUNT(*) FROM tls_policies") == totals["tlsrpt_policies"]);
  CHECK(scalar(db, "SELECT SUM(success_count) FROM tls_policies") == totals["tlsrpt_success_sessions"]);
  CHECK(scalar(db, "SELECT SUM(failure_count) FROM tls_policies") == totals["tlsrpt_failure_sessions"]);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == totals["failure_reports"]);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE status = 'rejected'") == totals["rejected_files"]);
  CHECK(scalar(db, "SELECT COALESCE(SUM(reports_duplicate), 0) FROM messages") == totals["duplicate_reports"]);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages") == totals["files"]);
  // The closing line counts what happened.
  const std::string line = "imported (" + std::to_string(totals["dmarc_reports_unique"].get<int>())
                           + " DMARC, " + std::to_string(totals["tlsrpt_reports_unique"].get<int>())
                           + " TLS)";
  CHECK(r.err.find(line) != std::string::npos);
  CHECK(r.err.find(std::to_string(totals["duplicate_reports"].get<int>()) + " duplicates") != std::string::npos);

  SECTION("a second import of everything adds nothing and counts duplicates")
  {
    const RunResult again = dmarcctl(args);
    INFO("stderr: " << again.err);
    CHECK(again.exit_code == 3);
    CHECK(again.err.find("0 reports imported (0 DMARC, 0 TLS), 0 records") != std::string::npos);
    CHECK(again.err.find("0 failure reports") != std::string::npos);
    const int all = totals["dmarc_reports_unique"].get<int>() + totals["tlsrpt_reports_unique"].get<int>()
                    + totals["duplicate_reports"].get<int>() + totals["failure_reports"].get<int>();
    CHECK(again.err.find(std::to_string(all) + " duplicates") != std::string::npos);
    CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == totals["dmarc_reports_unique"]);
    CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_records") == totals["dmarc_records"]);
    CHECK(scalar(db, "SELECT COUNT(*) FROM messages") == totals["files"]);
    CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == totals["failure_reports"]);
  }
}

TEST_CASE("an invalid UTF-8 byte is stored as U+FFFD, never dropped")
{
  SKIP_WITHOUT_CORPUS();
  TempDir dir;
  const std::string db = dir / "u.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", corpus_dir() + "/aggregate/invalid_utf_8.xml"});
  REQUIRE(r.exit_code == 0);
  const auto rows = query(db, "SELECT header_from FROM aggregate_records");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0]->find("\xEF\xBF\xBD") != std::string::npos);
}
