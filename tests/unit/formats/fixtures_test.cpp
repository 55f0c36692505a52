// ④ parse: every fixture yields what its README table says. The tables in
// fixtures/dmarc/README.md, fixtures/tlsrpt/README.md and fixtures/bad/README-parse.md are the
// single list of the parse fixtures; a fixture missing from its table fails here too.
#include "formats/dmarc_xml.hpp"
#include "formats/tlsrpt_json.hpp"

#include "formats_test_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>

using namespace dmarc;
using namespace dmarc::formats::test;

namespace {

// File names in `dir` that start with `prefix` and end with `suffix`.
std::set<std::string> files_in(const std::filesystem::path& dir, std::string_view prefix,
                               std::string_view suffix)
{
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() >= prefix.size() + suffix.size() && name.rfind(prefix, 0) == 0
        && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      names.insert(name);
    }
  }
  return names;
}

uint64_t to_u64(const std::string& cell)
{
  return std::stoull(cell);
}

} // namespace

TEST_CASE("fixtures/dmarc: records, messages, dmarc_pass and recovered match the README")
{
  const auto rows = table_rows(read_file(k_fixtures / "dmarc" / "README.md"));
  REQUIRE(rows.size() >= 20);
  std::set<std::string> listed;
  for (const auto& row : rows) {
    REQUIRE(row.size() == 6); // file, records, messages, dmarc_pass, recovered, covers
    const std::string& name = row[0];
    CAPTURE(name);
    listed.insert(name);
    std::string xml = read_file(k_fixtures / "dmarc" / name);
    REQUIRE_FALSE(xml.empty());
    const auto report = formats::parse_aggregate(xml, Limits{});
    REQUIRE(report.ok());
    uint64_t messages = 0;
    uint64_t dmarc_pass = 0;
    for (const auto& record : report->records) {
      messages += record.count;
      if (record.dkim == "pass" || record.spf == "pass") {
        dmarc_pass += record.count;
      }
    }
    CHECK(report->records.size() == to_u64(row[1]));
    CHECK(messages == to_u64(row[2]));
    CHECK(dmarc_pass == to_u64(row[3]));
    CHECK(report->recovered == (row[4] == "yes"));
  }
  // Every plain XML fixture is listed (compressed ones belong to the decompress stage).
  CHECK(listed == files_in(k_fixtures / "dmarc", "", ".xml"));
}

TEST_CASE("fixtures/tlsrpt: policies, success and failure match the README")
{
  const auto rows = table_rows(read_file(k_fixtures / "tlsrpt" / "README.md"));
  REQUIRE(rows.size() >= 6);
  std::set<std::string> listed;
  for (const auto& row : rows) {
    REQUIRE(row.size() == 5); // file, policies, success, failure, covers
    const std::string& name = row[0];
    CAPTURE(name);
    listed.insert(name);
    const std::string json = read_file(k_fixtures / "tlsrpt" / name);
    REQUIRE_FALSE(json.empty());
    const auto report = formats::parse_tlsrpt(json, Limits{});
    REQUIRE(report.ok());
    uint64_t success = 0;
    uint64_t failure = 0;
    for (const auto& policy : report->policies) {
      success += policy.successful_sessions;
      failure += policy.failed_sessions;
    }
    CHECK(report->policies.size() == to_u64(row[1]));
    CHECK(success == to_u64(row[2]));
    CHECK(failure == to_u64(row[3]));
  }
  CHECK(listed == files_in(k_fixtures / "tlsrpt", "", ".json"));
}

TEST_CASE("fixtures/bad xml-* and json-*: error kind and exact detail match README-parse.md")
{
  const auto rows = table_rows(read_file(k_fixtures / "bad" / "README-parse.md"));
  REQUIRE(rows.size() >= 20);
  std::set<std::string> listed;
  for (const auto& row : rows) {
    REQUIRE(row.size() == 4); // file, kind, detail, covers
    const std::string& name = row[0];
    CAPTURE(name);
    listed.insert(name);
    std::string bytes = read_file(k_fixtures / "bad" / name);
    Error error;
    if (name.rfind("json-", 0) == 0) {
      const auto report = formats::parse_tlsrpt(bytes, Limits{});
      REQUIRE_FALSE(report.ok());
      error = report.error();
    } else {
      const auto report = formats::parse_aggregate(bytes, Limits{});
      REQUIRE_FALSE(report.ok());
      error = report.error();
    }
    CHECK(to_string(error.kind) == row[1]);
    CHECK(error.detail == row[2]);
  }
  auto expected = files_in(k_fixtures / "bad", "xml-", "");
  expected.merge(files_in(k_fixtures / "bad", "json-", ""));
  CHECK(listed == expected);
}
