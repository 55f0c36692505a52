// ⑦ GELF encoding (src/formats/gelf.cpp): every message is valid GELF 1.1 and carries
// parsedmarc's field names with the values `export --format csv` writes for the same row.
#include "decompress/decompress.hpp"
#include "domain/alignment.hpp"
#include "formats/dmarc_xml.hpp"
#include "formats/gelf.hpp"
#include "formats/tlsrpt_json.hpp"
#include "output/csv.hpp"
#include "output/gelf_deflate.hpp"
#include "support/gelf_check.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

using namespace dmarc;
using dmarc::test::gelf_fields;
using dmarc::test::gelf_problems;
using dmarc::test::gelf_text;

namespace {

std::string read(const std::string& relative)
{
  std::ifstream in(std::string(DMARC_FIXTURES_DIR) + "/" + relative, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// RFC 4180 rows of `text` (CRLF line ends, quoted fields with doubled quotes).
std::vector<std::vector<std::string>> csv_rows(const std::string& text)
{
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r') {
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) {
    rows.pop_back();
  }
  return rows;
}

AggregateReport sample_report()
{
  std::string xml = read("expected/export-sample.xml");
  auto report = formats::parse_aggregate(xml, Limits{});
  REQUIRE(report.ok());
  domain::compute_alignment(*report);
  return std::move(*report);
}

std::string inflate_stream(const std::string& in, int window_bits)
{
  z_stream z{};
  REQUIRE(inflateInit2(&z, window_bits) == Z_OK);
  std::string out;
  char buffer[16384];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
  }
  inflateEnd(&z);
  REQUIRE(rc == Z_STREAM_END);
  REQUIRE(z.avail_in == 0);
  return out;
}

} // namespace

TEST_CASE("a DMARC record message has the values of parsedmarc's CSV row for it")
{
  const AggregateReport report = sample_report();
  REQUIRE(report.records.size() == 2);
  const auto rows = csv_rows(read("expected/export-sample.csv"));
  REQUIRE(rows.size() == 3);
  const std::vector<std::string>& header = rows[0];
  for (std::size_t i = 0; i < report.records.size(); ++i) {
    CAPTURE(i);
    const std::string json = formats::gelf_aggregate(report, report.records[i], SourceInfo{},
                                                     "mail.example.com", "aggregate_records:7");
    INFO(json);
    CHECK(gelf_problems(json).empty());
    const auto fields = gelf_fields(json);
    CHECK(gelf_text(fields, "version") == "1.1");
    CHECK(gelf_text(fields, "host") == "mail.example.com");
    CHECK(std::get<double>(fields.at("timestamp")) == 1700000000.0);
    CHECK(gelf_text(fields, "level") == "6");
    CHECK(gelf_text(fields, "_report_type") == "aggregate");
    CHECK(gelf_text(fields, "_dmarcctl_row") == "aggregate_records:7");
    CHECK(std::holds_alternative<double>(fields.at("_count")));
    const std::vector<std::string>& row = rows[i + 1];
    REQUIRE(row.size() == header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
      const std::string& column = header[c];
      if (column == "normalized_timespan") {
        CHECK(fields.count("_normalized_timespan") == 0);
        continue;
      }
      if (column == "begin_date" || column == "end_date") {
        // Times are numbers, Unix seconds; the CSV has them as ISO 8601 UTC with the zone.
        REQUIRE(std::holds_alternative<double>(fields.at("_" + column)));
        CHECK(gelf_text(fields, "_" + column)
              == std::to_string(column == "begin_date" ? report.begin : report.end));
        CHECK(row[c] == (column == "begin_date" ? "2023-11-14T22:13:20Z" : "2023-11-15T22:13:19Z"));
        continue;
      }
      CAPTURE(column);
      std::string expected = row[c];
      if (column.size() > 8 && column.compare(column.size() - 8, 8, "_aligned") == 0) {
        expected = expected == "True" ? "true" : "false"; // GELF flags are lower case
      }
      if (expected.empty()) {
        CHECK(fields.count("_" + column) == 0);
      } else {
        CHECK(gelf_text(fields, "_" + column) == expected);
      }
    }
  }
  // The second record: the comment with a comma, no DKIM results, SPF without scope.
  const auto second = gelf_fields(formats::gelf_aggregate(report, report.records[1], SourceInfo{},
                                                          "h"));
  CHECK(gelf_text(second, "_policy_override_comments") == "a, b");
  CHECK(second.count("_dkim_domains") == 0);
  CHECK(second.count("_spf_scopes") == 0); // "" joined: absent, not an empty string
  CHECK(gelf_text(second, "short_message")
        == "DMARC fail example.com: 3 messages from 203.0.113.7, disposition quarantine "
           "(reported by Reporter \"Quoted\", Inc.)");
}

TEST_CASE("a DKIM result without selector keeps its place in the selector list")
{
  // mail.example.com signed without a selector reported, relay.example.net with "x": the
  // lists must still pair up by position, as the SPF scopes do ("" for the missing one).
  AggregateReport report = sample_report();
  report.records[0].dkim_results.at(0).selector.reset();
  const auto fields = gelf_fields(formats::gelf_aggregate(report, report.records[0], SourceInfo{},
                                                          "h"));
  CHECK(gelf_text(fields, "_dkim_domains") == "mail.example.com,relay.example.net");
  CHECK(gelf_text(fields, "_dkim_selectors") == ",x");
  CHECK(gelf_text(fields, "_dkim_results") == "pass,fail");

  const auto rows = csv_rows(output::aggregate_csv_header() + output::aggregate_csv_rows(report));
  REQUIRE(rows.size() == 3);
  const auto column = std::find(rows[0].begin(), rows[0].end(), "dkim_selectors") - rows[0].begin();
  CHECK(rows[1].at(static_cast<std::size_t>(column)) == ",x");
}

TEST_CASE("source names from the sources table go to parsedmarc's source_* fields")
{
  const AggregateReport report = sample_report();
  SourceInfo source;
  source.reverse_dns = "mail-ot1.example.net";
  source.base_domain = "example.net";
  source.name = "Example Mail";
  source.type = "Email Provider";
  const auto fields =
    gelf_fields(formats::gelf_aggregate(report, report.records[0], source, "h", ""));
  CHECK(gelf_text(fields, "_source_reverse_dns") == "mail-ot1.example.net");
  CHECK(gelf_text(fields, "_source_base_domain") == "example.net");
  CHECK(gelf_text(fields, "_source_name") == "Example Mail");
  CHECK(gelf_text(fields, "_source_type") == "Email Provider");
  CHECK(fields.count("_dmarcctl_row") == 0);
}

TEST_CASE("the report fields are encoded once and shared by every record of the report")
{
  const AggregateReport report = sample_report();
  const std::string prefix = formats::gelf_aggregate_report_fields(report, "h");
  std::string out;
  formats::append_gelf_aggregate(out, prefix, report, report.records[0], SourceInfo{}, "x:1");
  const std::size_t first = out.size();
  formats::append_gelf_aggregate(out, prefix, report, report.records[1], SourceInfo{}, "x:2");
  CHECK(out.substr(0, first) == formats::gelf_aggregate(report, report.records[0], SourceInfo{},
                                                        "h", "x:1"));
  CHECK(out.substr(first) == formats::gelf_aggregate(report, report.records[1], SourceInfo{},
                                                     "h", "x:2"));
}

TEST_CASE("TLS-RPT policies and failure details use parsedmarc's SMTP TLS names")
{
  const auto report = formats::parse_tlsrpt(read("tlsrpt/sts-all-fields.json"), Limits{});
  REQUIRE(report.ok());
  REQUIRE(report->policies.size() == 1);
  const TlsPolicy& policy = report->policies[0];
  const std::string json = formats::gelf_tls_policy(*report, policy, "h", "tls_policies:3");
  INFO(json);
  CHECK(gelf_problems(json).empty());
  const auto p = gelf_fields(json);
  CHECK(gelf_text(p, "_report_type") == "smtp_tls");
  CHECK(gelf_text(p, "_organization_name") == "Example Mail");
  CHECK(gelf_text(p, "_contact_info") == "tlsrpt@example.net");
  CHECK(gelf_text(p, "_report_id") == "2024-05-01T00:00:00Z_example.com");
  CHECK(std::holds_alternative<double>(p.at("_begin_date")));
  CHECK(gelf_text(p, "_begin_date") == "1714521600");   // 2024-05-01T00:00:00Z
  CHECK(gelf_text(p, "_end_date") == "1714607999");
  CHECK(gelf_text(p, "_policy_domain") == "example.com");
  CHECK(gelf_text(p, "_policy_type") == "sts");
  CHECK(gelf_text(p, "_policy_strings")
        == "version: STSv1|mode: enforce|mx: mx1.example.com|max_age: 604800");
  CHECK(gelf_text(p, "_mx_host_patterns") == "mx1.example.com");
  CHECK(gelf_text(p, "_successful_session_count") == "100");
  CHECK(gelf_text(p, "_failed_session_count") == "2");
  CHECK(std::holds_alternative<double>(p.at("_failed_session_count")));
  CHECK(gelf_text(p, "timestamp") == "1714521600");
  CHECK(gelf_text(p, "level") == "6");
  CHECK(p.count("_result_type") == 0);

  REQUIRE(policy.failures.size() == 1);
  const std::string fjson =
    formats::gelf_tls_failure(*report, policy, policy.failures[0], "h", "tls_failures:9");
  INFO(fjson);
  CHECK(gelf_problems(fjson).empty());
  const auto f = gelf_fields(fjson);
  CHECK(gelf_text(f, "_report_type") == "smtp_tls");
  CHECK(gelf_text(f, "_organization_name") == "Example Mail");
  CHECK(gelf_text(f, "_policy_domain") == "example.com");
  CHECK(gelf_text(f, "_policy_type") == "sts");
  CHECK(gelf_text(f, "_result_type") == "certificate-expired");
  CHECK(gelf_text(f, "_sending_mta_ip") == "192.0.2.1");
  CHECK(gelf_text(f, "_receiving_mx_hostname") == "mx1.example.com");
  CHECK(gelf_text(f, "_receiving_mx_helo") == "mx1.example.com");
  CHECK(gelf_text(f, "_receiving_ip") == "203.0.113.25");
  CHECK(gelf_text(f, "_failed_session_count") == "2");
  CHECK(gelf_text(f, "_additional_info_uri") == "https://tls.example.net/help");
  CHECK(gelf_text(f, "_failure_reason_code") == "X509_V_ERR_CERT_HAS_EXPIRED");
  CHECK(gelf_text(f, "_dmarcctl_row") == "tls_failures:9");
  CHECK(gelf_text(f, "level") == "4");
  CHECK(gelf_text(f, "short_message")
        == "TLS-RPT failure example.com: certificate-expired, 2 sessions from 192.0.2.1 to "
           "mx1.example.com (203.0.113.25)");
}

TEST_CASE("strings are escaped, invalid UTF-8 becomes U+FFFD, empty values are left out")
{
  AggregateReport report;
  report.org_name = std::string("quote\" back\\slash \x01 tab\t nl\n ") + "\xff" + " caf\xc3\xa9";
  report.report_id = "r1";
  report.policy.domain = "example.com";
  report.policy.p = "none";
  report.policy.sp = std::string(); // present but empty: left out
  AggregateRecord record;
  record.source_ip = "192.0.2.1";
  record.count = 1;
  const std::string json = formats::gelf_aggregate(report, record, SourceInfo{}, "");
  INFO(json);
  CHECK(gelf_problems(json).empty());
  const auto parsed = nlohmann::json::parse(json);
  CHECK(parsed["_org_name"]
        == "quote\" back\\slash \x01 tab\t nl\n \xef\xbf\xbd caf\xc3\xa9");
  CHECK(parsed["host"] == "dmarcctl");
  CHECK_FALSE(parsed.contains("_sp"));
  CHECK_FALSE(parsed.contains("_disposition"));
  CHECK_FALSE(parsed.contains("_header_from"));
  CHECK(json.find("null") == std::string::npos);
  CHECK(json.find('\x01') == std::string::npos);
  CHECK(json.find('\n') == std::string::npos);
}

TEST_CASE("an advisor finding becomes an advice message with its evidence as numbers")
{
  Finding finding;
  finding.domain = "example.com";
  finding.check = "dmarc";
  finding.verdict = "regression";
  finding.message = "example.com: an authorized source fails DMARC at p=reject";
  finding.record = "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com";
  finding.as_of = 1700000000;
  finding.warning = true;
  finding.numbers = {{"pass_share", 0.987}, {"reporters", 3},      {"id", 1},
                     {"bad name!", 2},      {"domain", 5},         {"reporters", 4},
                     {"nan", std::nan("")}, {"inf", std::numeric_limits<double>::infinity()}};
  const std::string json = formats::gelf_advice(finding, "h");
  INFO(json);
  CHECK(gelf_problems(json).empty());
  const auto f = gelf_fields(json);
  CHECK(gelf_text(f, "_report_type") == "advice");
  CHECK(gelf_text(f, "_domain") == "example.com");
  CHECK(gelf_text(f, "_check") == "dmarc");
  CHECK(gelf_text(f, "_verdict") == "regression");
  CHECK(gelf_text(f, "_record") == finding.record);
  CHECK(gelf_text(f, "short_message") == finding.message);
  CHECK(gelf_text(f, "level") == "4");
  CHECK(gelf_text(f, "timestamp") == "1700000000");
  CHECK(std::get<double>(f.at("_pass_share")) == 0.987);
  CHECK(gelf_text(f, "_reporters") == "3");   // the first of a repeated name
  CHECK(gelf_text(f, "_evidence_id") == "1"); // never _id
  CHECK(gelf_text(f, "_bad_name_") == "2");
  CHECK(gelf_text(f, "_evidence_domain") == "5");
  CHECK(f.count("_nan") == 0);
  CHECK(f.count("_inf") == 0);
}

TEST_CASE("the Deflater writes complete zlib and gzip streams, message after message")
{
  decompress::Deflater zlib(decompress::Framing::zlib);
  decompress::Deflater gzip(decompress::Framing::gzip);
  const AggregateReport report = sample_report();
  std::string out;
  for (int i = 0; i < 50; ++i) {
    const std::string message =
      formats::gelf_aggregate(report, report.records[i % 2], SourceInfo{}, "h",
                              "aggregate_records:" + std::to_string(i));
    REQUIRE(zlib.compress(message, out));
    CHECK(static_cast<unsigned char>(out[0]) == 0x78); // what GELF receivers sniff
    CHECK(out.size() < message.size());
    CHECK(inflate_stream(out, 15) == message);
    REQUIRE(gzip.compress(message, out));
    CHECK(static_cast<unsigned char>(out[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(out[1]) == 0x8b);
    CHECK(inflate_stream(out, 16 + 15) == message);
  }
  const std::string big(300000, 'x');
  REQUIRE(zlib.compress(big, out));
  CHECK(inflate_stream(out, 15) == big);
}

TEST_CASE("the UDP sink's fast deflater writes independent zlib and gzip streams")
{
  // One FastDeflater per framing, reused for every input as the UDP sink does: each output
  // must inflate alone (Graylog decodes each message on its own), to exactly the input.
  using output::detail::DeflateFraming;
  using output::detail::FastDeflater;
  const AggregateReport report = sample_report();
  std::vector<std::string> inputs;
  for (int i = 0; i < 50; ++i) {
    inputs.push_back(formats::gelf_aggregate(report, report.records[i % 2], SourceInfo{}, "h",
                                             "aggregate_records:" + std::to_string(i)));
  }
  inputs.emplace_back();                      // empty
  inputs.emplace_back("{");                   // one byte
  inputs.emplace_back(300'000, 'x');          // matches of 258, distance 1
  inputs.emplace_back(70'000, '\xff');        // 9-bit literals and long matches
  std::string random_bytes;                   // incompressible: stored blocks, several
  uint32_t x = 1;
  for (int i = 0; i < 200'000; ++i) {
    x = x * 1103515245u + 12345u;
    random_bytes += static_cast<char>(x >> 16);
  }
  inputs.push_back(random_bytes);
  std::string far;                            // repeats at distances up to and past 32 KiB
  for (int i = 0; i < 3; ++i) {
    far += random_bytes.substr(0, 20'000) + inputs[0];
  }
  inputs.push_back(far);
  inputs.push_back(inputs[0]);                // the same message again: no state carried over

  for (auto [framing, bits] : {std::pair{DeflateFraming::zlib, 15},
                               std::pair{DeflateFraming::gzip, 16 + 15}}) {
    FastDeflater deflater(framing);
    std::string out;
    for (const std::string& input : inputs) {
      CAPTURE(input.size());
      out.clear();
      deflater.compress(input, out);
      CHECK(out.size() <= FastDeflater::bound(input.size()));
      if (framing == DeflateFraming::zlib) {
        CHECK(static_cast<unsigned char>(out[0]) == 0x78); // what GELF receivers sniff
      } else {
        CHECK(static_cast<unsigned char>(out[0]) == 0x1f);
        CHECK(static_cast<unsigned char>(out[1]) == 0x8b);
      }
      CHECK(inflate_stream(out, bits) == input);
    }
    // A GELF message shrinks; random bytes grow by no more than stored blocks do.
    out.clear();
    deflater.compress(inputs[0], out);
    CHECK(out.size() < inputs[0].size() * 3 / 4);
    // compress() appends.
    std::string two = "prefix";
    deflater.compress(inputs[1], two);
    CHECK(two.substr(0, 6) == "prefix");
    CHECK(inflate_stream(two.substr(6), bits) == inputs[1]);
  }
}
