// Every fuzzing finding, replayed through the real binary (and so under ASan + UBSan in the
// sanitizer run of scripts/test): fixtures/bad/fuzz-* are whole inputs for `import`,
// tests/fuzz/regressions/config_fuzz/* are configuration files for `config check`. Each must
// end in a clean exit (0, 2 or 3; never a signal or 1) and leave a database that passes
// `db check`. scripts/fuzz also seeds each fuzzer with them.
#include "hardening_support.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

using namespace dmarc::test;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> files_in(const fs::path& dir, const std::string& prefix)
{
  std::vector<std::string> out;
  if (!fs::is_directory(dir)) {
    return out;
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().filename().string().rfind(prefix, 0) == 0) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("every fixtures/bad/fuzz-* input imports without a crash")
{
  const auto inputs = files_in(fixture("bad"), "fuzz-");
  REQUIRE_FALSE(inputs.empty());
  for (const std::string& input : inputs) {
    TempDir dir;
    const std::string db = dir / "r.sqlite";
    const RunResult r = dmarcctl({"--db", db, "import", input});
    INFO(input << "\n" << r.err);
    CHECK(r.signal == 0);
    CHECK((r.exit_code == 0 || r.exit_code == 3));
    const RunResult check = dmarcctl({"--db", db, "db", "check"});
    INFO(check.out);
    CHECK(check.exit_code == 0);
    // And a second import of the same bytes is a clean re-import: the same exit status, and
    // nothing stored twice.
    const auto stored = [&] {
      return query(db, "SELECT (SELECT count(*) FROM aggregate_reports), "
                       "(SELECT count(*) FROM aggregate_records), (SELECT count(*) FROM tls_reports)");
    };
    const auto before = stored();
    const RunResult again = dmarcctl({"--db", db, "import", input});
    CHECK(again.signal == 0);
    CHECK(again.exit_code == r.exit_code);
    CHECK(stored() == before);
  }
}

TEST_CASE("counts near 2^64 are stored clamped and their totals saturate")
{
  // fuzz-store-count-overflow.xml: two records of 18446744073709551615 messages each. Their
  // sum overflowed int64 in the store (UB); it is clamped at 2^63 - 1.
  TempDir dir;
  const std::string db = dir / "o.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", fixture("bad/fuzz-store-count-overflow.xml")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(query(db, "SELECT record_count, message_count, dmarc_pass_count FROM aggregate_reports")
        == std::vector<Row>{Row{"2", "9223372036854775807", "9223372036854775807"}});
  CHECK(query(db, "SELECT DISTINCT count FROM aggregate_records")
        == std::vector<Row>{Row{"9223372036854775807"}});
  // The clamped totals are shown as they are stored, never wrapped to a negative number.
  const RunResult summary = dmarcctl({"--db", db, "summary", "--as-of", "1970-01-02", "--since", "2d"});
  INFO(summary.out << summary.err);
  CHECK(summary.signal == 0);
  CHECK(summary.exit_code == 0);
  CHECK(summary.out.find("Disposition  none 9,223,372,036,854,775,807, quarantine 0, reject 0")
        != std::string::npos);
  CHECK(summary.out.find("100% pass DMARC") != std::string::npos);

  // With another report beside it, db check's totals add past 2^63: they saturate, and the
  // check still passes (it said "database: integer overflow" and exited 1).
  REQUIRE(dmarcctl({"--db", db, "import", fixture("dmarc/large-count.xml")}).exit_code == 0);
  const RunResult check = dmarcctl({"--db", db, "db", "check"});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.err.empty());
  CHECK(check.out.find("integrity:        ok\n") != std::string::npos);
  CHECK(check.out.find("dmarc reports:    2 (") != std::string::npos);
  CHECK(check.out.find(" 9223372036854775807 messages)") != std::string::npos);
}

TEST_CASE("every tests/fuzz/regressions/config_fuzz file is answered by config check")
{
  const auto configs =
    files_in(fs::path(DMARC_SOURCE_DIR) / "tests/fuzz/regressions/config_fuzz", "");
  REQUIRE_FALSE(configs.empty());
  for (const std::string& config : configs) {
    const RunResult r = dmarcctl({"-c", config, "config", "check"});
    INFO(config << "\n" << r.err);
    CHECK(r.signal == 0);
    // Each file is a config the fuzzer made that once crashed the parser: all are invalid (exit
    // 2 with a message), unless named *.ok.toml.
    const bool valid = config.size() > 8 && config.ends_with(".ok.toml");
    CHECK(r.exit_code == (valid ? 0 : 2));
    if (!valid) {
      CHECK(r.err.find("config") != std::string::npos);
    }
  }
}

TEST_CASE("a bad report beside good ones in a zip: stored ones kept, the loss said even with -q, exit 3")
{
  TempDir dir;
  const std::string archive = dir / "half.zip";
  write_file(archive,
             hardening::zip({{"a.xml", hardening::report_xml("half.example.net", "half-good", 2)},
                             {"b.xml", "<feedback><report_metadata><org_name>x</org_name>"}}));
  const std::string db = dir / "h.sqlite";
  const RunResult quiet = dmarcctl({"-q", "--db", db, "import", archive});
  INFO(quiet.err);
  CHECK(quiet.exit_code == 3);
  CHECK(lines(quiet.err) == std::vector<std::string>{
          "dmarcctl: warning: " + archive + ": invalid-report: entry 'b.xml': document truncated: "
          "no </feedback> (other reports of the message were imported)"});
  CHECK(query(db, "SELECT report_id FROM aggregate_reports") == std::vector<Row>{Row{"half-good"}});
  CHECK(query(db, "SELECT status, reason FROM messages")
        == std::vector<Row>{Row{"imported", "invalid-report"}});

  const RunResult again = dmarcctl({"--db", db, "import", archive});
  CHECK(again.exit_code == 3);
  const auto err = lines(again.err);
  REQUIRE(err.size() == 2);
  CHECK(err[1] == "0 reports imported (0 DMARC, 0 TLS), 0 records, 1 duplicate, 0 failure reports, "
                  "0 rejected; 1 input partly rejected");
}
