// ④ parse: the shared corpus of real reports (../shared/corpus, not in the repository). Every
// bare .xml / .json file listed in expected.json must yield its org_name, report_id, domain,
// dates, policy and totals; .eml, .gz and .zip files belong to the earlier stages. Skipped
// with a warning when the corpus is not there.
//
// Also a micro benchmark, hidden from normal runs: `formats_test "[.bench]"` (meaningful only
// in an optimised build) parses the 2286-record sample 200 times and prints records/s and MB/s.
#include "formats/dmarc_xml.hpp"
#include "formats/tlsrpt_json.hpp"

#include "formats_test_support.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>

using namespace dmarc;
using namespace dmarc::formats::test;

namespace {

bool ends_with(std::string_view s, std::string_view suffix)
{
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void check_dmarc(const std::string& name, const nlohmann::json& expected)
{
  std::string xml = read_file(k_corpus / name);
  const auto report = formats::parse_aggregate(xml, Limits{});
  if (expected.contains("reject")) {
    REQUIRE_FALSE(report.ok());
    CHECK(to_string(report.error().kind) == expected["reject"].get<std::string>());
    return;
  }
  REQUIRE(report.ok());
  const auto& want = expected["reports"].at(0);
  CHECK(report->org_name == want["org_name"].get<std::string>());
  CHECK(report->report_id == want["report_id"].get<std::string>());
  CHECK(report->policy.domain == want["domain"].get<std::string>());
  CHECK(report->begin == want["begin"].get<int64_t>());
  CHECK(report->end == want["end"].get<int64_t>());
  CHECK(report->policy.p == want["policy_p"].get<std::string>());
  uint64_t messages = 0;
  uint64_t dmarc_pass = 0;
  for (const auto& record : report->records) {
    messages += record.count;
    if (record.dkim == "pass" || record.spf == "pass") {
      dmarc_pass += record.count;
    }
  }
  CHECK(report->records.size() == want["records"].get<std::size_t>());
  CHECK(messages == want["messages"].get<uint64_t>());
  CHECK(dmarc_pass == want["dmarc_pass"].get<uint64_t>());
  CHECK(report->recovered == want.value("needs_recovery", false));
}

void check_tlsrpt(const std::string& name, const nlohmann::json& expected)
{
  const std::string json = read_file(k_corpus / name);
  const auto report = formats::parse_tlsrpt(json, Limits{});
  REQUIRE(report.ok());
  const auto& want = expected["reports"].at(0);
  CHECK(report->org_name == want["org_name"].get<std::string>());
  CHECK(report->report_id == want["report_id"].get<std::string>());
  CHECK(report->domain() == want["domain"].get<std::string>());
  uint64_t success = 0;
  uint64_t failure = 0;
  for (const auto& policy : report->policies) {
    success += policy.successful_sessions;
    failure += policy.failed_sessions;
  }
  CHECK(report->policies.size() == want["policies"].get<std::size_t>());
  CHECK(success == want["success"].get<uint64_t>());
  CHECK(failure == want["failure"].get<uint64_t>());
}

} // namespace

TEST_CASE("shared corpus: every bare XML and JSON report yields expected.json's values")
{
  INFO("corpus not found at " << k_corpus.string());
  REQUIRE(std::filesystem::exists(k_corpus / "expected.json"));
  const auto expected = nlohmann::json::parse(read_file(k_corpus / "expected.json"));
  std::size_t xml_files = 0;
  std::size_t json_files = 0;
  for (const auto& [name, entry] : expected["files"].items()) {
    CAPTURE(name);
    if (ends_with(name, ".xml")) {
      ++xml_files;
      check_dmarc(name, entry);
    } else if (ends_with(name, ".json")) {
      ++json_files;
      check_tlsrpt(name, entry);
    }
  }
  // The corpus as shipped: 18 XML files (empty.xml included) and 3 TLS-RPT JSON files.
  CHECK(xml_files == 18);
  CHECK(json_files == 3);
}

TEST_CASE("micro benchmark: parse_aggregate vs bare in-place parse", "[.bench]")
{
  const auto path = k_corpus / "aggregate" / "!large-example.com!1711897200!1711983600.xml";
  INFO("corpus not found at " << path.string());
  REQUIRE(std::filesystem::exists(path));
  const std::string original = read_file(path);
  using clock = std::chrono::steady_clock;
  constexpr int k_runs = 200;
  std::string buffer;
  std::size_t records = 0;
  const auto start = clock::now();
  for (int i = 0; i < k_runs; ++i) {
    buffer = original;
    const auto report = formats::parse_aggregate(buffer, Limits{});
    REQUIRE(report.ok());
    records += report->records.size();
  }
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  WARN("parse_aggregate: " << records / seconds << " records/s, "
                           << original.size() * k_runs / seconds / 1e6 << " MB/s");
}
