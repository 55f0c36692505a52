// ④ parse: SMTP TLS reports (RFC 8460 §4). Field values of each fixture, every error detail
// and the caps.
#include "formats/tlsrpt_json.hpp"

#include "formats_test_support.hpp"

#include <catch2/catch.hpp>

#include <string>

using dmarc::ErrorKind;
using dmarc::Limits;
using dmarc::Result;
using dmarc::TlsReport;
using dmarc::formats::parse_tlsrpt;
using dmarc::formats::test::fixture;

namespace {

Result<TlsReport> parse_fixture(std::string_view name)
{
  const std::string json = fixture(std::string("tlsrpt/") + std::string(name));
  REQUIRE_FALSE(json.empty());
  return parse_tlsrpt(json, Limits{});
}

std::string error_of(const Result<TlsReport>& result)
{
  REQUIRE_FALSE(result.ok());
  return result.error().to_string();
}

// A minimal valid report whose first policy is `policy` (a JSON object's members).
std::string report_with_policy(std::string_view policy)
{
  return R"({"organization-name":"o","report-id":"r",)"
         R"("date-range":{"start-datetime":"2024-05-01T00:00:00Z",)"
         R"("end-datetime":"2024-05-01T23:59:59Z"},"policies":[{)"
         + std::string(policy) + "}]}";
}

constexpr std::string_view k_policy = R"("policy":{"policy-type":"sts","policy-domain":"d"})";
constexpr std::string_view k_summary =
  R"("summary":{"total-successful-session-count":1,"total-failure-session-count":0})";

std::string policy_and_summary(std::string_view extra = "")
{
  return std::string(k_policy) + "," + std::string(k_summary) + std::string(extra);
}

} // namespace

TEST_CASE("TLS-RPT sts report: every field, including all failure-detail fields")
{
  const auto r = parse_fixture("sts-all-fields.json");
  REQUIRE(r.ok());
  CHECK(r->org_name == "Example Mail");
  CHECK(r->contact_info == "tlsrpt@example.net");
  CHECK(r->report_id == "2024-05-01T00:00:00Z_example.com");
  CHECK(r->begin == 1714521600);
  CHECK(r->end == 1714607999);
  CHECK(r->domain() == "example.com");
  REQUIRE(r->policies.size() == 1);
  const auto& p = r->policies[0];
  CHECK(p.policy_type == "sts");
  CHECK(p.policy_string == std::vector<std::string>{"version: STSv1", "mode: enforce",
                                                    "mx: mx1.example.com", "max_age: 604800"});
  CHECK(p.policy_domain == "example.com");
  CHECK(p.mx_hosts == std::vector<std::string>{"mx1.example.com"});
  CHECK(p.successful_sessions == 100);
  CHECK(p.failed_sessions == 2);
  REQUIRE(p.failures.size() == 1);
  const auto& f = p.failures[0];
  CHECK(f.result_type == "certificate-expired");
  CHECK(f.sending_mta_ip == "192.0.2.1");
  CHECK(f.receiving_mx_hostname == "mx1.example.com");
  CHECK(f.receiving_mx_helo == "mx1.example.com");
  CHECK(f.receiving_ip == "203.0.113.25");
  CHECK(f.failed_session_count == 2);
  CHECK(f.additional_information == "https://tls.example.net/help");
  CHECK(f.failure_reason_code == "X509_V_ERR_CERT_HAS_EXPIRED");
}

TEST_CASE("TLS-RPT tlsa and no-policy-found, mx-host as an array, offsets in dates")
{
  const auto r = parse_fixture("tlsa-mx-array.json");
  REQUIRE(r.ok());
  CHECK(r->begin == 1714600800); // 2024-05-02T00:00:00+02:00
  CHECK(r->end == 1714687199);
  CHECK(r->contact_info == "mailto:tls@example.org");
  REQUIRE(r->policies.size() == 2);
  const auto& tlsa = r->policies[0];
  CHECK(tlsa.policy_type == "tlsa");
  CHECK(tlsa.mx_hosts == std::vector<std::string>{"mx1.example.com", "mx2.example.com"});
  REQUIRE(tlsa.policy_string.size() == 1);
  CHECK(tlsa.policy_string[0].rfind("3 1 1 0123", 0) == 0);
  REQUIRE(tlsa.failures.size() == 2);
  CHECK(tlsa.failures[0].result_type == "tlsa-invalid");
  CHECK(tlsa.failures[0].sending_mta_ip == "2001:db8::25");
  CHECK(tlsa.failures[0].receiving_ip == "2001:db8:1::25");
  CHECK_FALSE(tlsa.failures[0].receiving_mx_helo.has_value());
  CHECK_FALSE(tlsa.failures[0].additional_information.has_value());
  CHECK_FALSE(tlsa.failures[0].failure_reason_code.has_value());
  CHECK(tlsa.failures[1].result_type == "dnssec-invalid");
  CHECK_FALSE(tlsa.failures[1].sending_mta_ip.has_value());
  const auto& none = r->policies[1];
  CHECK(none.policy_type == "no-policy-found");
  CHECK(none.policy_string.empty());
  CHECK(none.mx_hosts.empty());
  CHECK(none.successful_sessions == 7);
  CHECK(none.failures.empty());
}

TEST_CASE("TLS-RPT counts above 2^32, optional contact-info absent")
{
  const auto r = parse_fixture("no-policy-found-large.json");
  REQUIRE(r.ok());
  CHECK_FALSE(r->contact_info.has_value());
  CHECK(r->policies.at(0).successful_sessions == 6000000000ULL);
}

TEST_CASE("TLS-RPT with a BOM and upper-case words; invalid UTF-8 becomes U+FFFD")
{
  const auto upper = parse_fixture("bom-upper-case.json");
  REQUIRE(upper.ok());
  CHECK(upper->policies.at(0).policy_type == "sts");
  CHECK(upper->policies.at(0).failures.at(0).result_type == "certificate-expired");

  const auto bad = parse_fixture("invalid-utf8.json");
  REQUIRE(bad.ok());
  CHECK(bad->org_name == "Exampl \xEF\xBF\xBD e");
}

TEST_CASE("TLS-RPT with an empty policies array and unknown keys")
{
  const auto r = parse_fixture("no-policies.json");
  REQUIRE(r.ok());
  CHECK(r->policies.empty());
  CHECK(r->domain().empty());
}

TEST_CASE("TLS-RPT no-policy-found without policy-domain is kept (Postfix tlsrpt-reporter)")
{
  const auto r = parse_fixture("no-policy-found-no-domain.json");
  REQUIRE(r);
  REQUIRE(r->policies.size() == 2);
  CHECK(r->policies[0].policy_type == "no-policy-found");
  CHECK(r->policies[0].policy_domain.empty());
  CHECK(r->policies[0].successful_sessions == 7);
  CHECK(r->policies[1].policy_domain == "example.com");
  CHECK(r->domain() == "example.com"); // the first policy that names a domain
  const Limits limits;
  const auto alone = parse_tlsrpt(report_with_policy(R"("policy":{"policy-type":"No-Policy-Found"},)"
                                                     + std::string(k_summary)),
                                  limits);
  REQUIRE(alone);
  CHECK(alone->domain().empty());
  // Every other policy type still needs its domain.
  CHECK(error_of(parse_tlsrpt(report_with_policy(R"("policy":{"policy-type":"sts"},)"
                                                 + std::string(k_summary)),
                              limits))
        == R"(invalid-report: missing "policy-domain" in policies[0].policy)");
}

TEST_CASE("TLS-RPT null optional values are absent")
{
  const auto r = parse_tlsrpt(R"({"organization-name":"o","report-id":"r","contact-info":null,)"
                              R"("date-range":{"start-datetime":"2024-05-01T00:00:00Z",)"
                              R"("end-datetime":"2024-05-01T23:59:59Z"},"policies":[]})",
                              Limits{});
  REQUIRE(r.ok());
  CHECK_FALSE(r->contact_info.has_value());
}

TEST_CASE("TLS-RPT error details name the key and where it is")
{
  const Limits limits;
  CHECK(error_of(parse_tlsrpt("", limits)) == "empty: empty document");
  CHECK(error_of(parse_tlsrpt("[]", limits)) == "invalid-report: JSON top level is not an object");
  CHECK(error_of(parse_tlsrpt(R"({"organization-name":1})", limits))
        == R"(invalid-report: "organization-name" must be a string)");
  CHECK(error_of(parse_tlsrpt(R"({"organization-name":"o"})", limits))
        == R"(invalid-report: missing "date-range")");
  CHECK(error_of(parse_tlsrpt(R"({"organization-name":"o","date-range":[]})", limits))
        == R"(invalid-report: "date-range" must be an object)");
  CHECK(error_of(parse_tlsrpt(R"({"organization-name":"o","date-range":{}})", limits))
        == R"(invalid-report: missing "start-datetime" in date-range)");
  CHECK(error_of(parse_tlsrpt(R"({"organization-name":"o","report-id":"","date-range":)"
                              R"({"start-datetime":"2024-05-01","end-datetime":"2024-05-02"}})",
                              limits))
        == R"(invalid-report: empty "report-id")");
  CHECK(error_of(parse_tlsrpt(report_with_policy(k_summary), limits))
        == R"(invalid-report: missing "policy" in policies[0])");
  CHECK(error_of(parse_tlsrpt(report_with_policy(R"("policy":{"policy-domain":"d"},)"
                                                 + std::string(k_summary)),
                              limits))
        == R"(invalid-report: missing "policy-type" in policies[0].policy)");
  CHECK(error_of(parse_tlsrpt(report_with_policy(R"("policy":{"policy-type":"sts",)"
                                                 R"("policy-domain":" "},)"
                                                 + std::string(k_summary)),
                              limits))
        == R"(invalid-report: empty "policy-domain" in policies[0].policy)");
  CHECK(error_of(parse_tlsrpt(report_with_policy(R"("policy":{"policy-type":"sts",)"
                                                 R"("policy-domain":"d","mx-host":[1]},)"
                                                 + std::string(k_summary)),
                              limits))
        == R"(invalid-report: "mx-host" in policies[0].policy must be a string or an array )"
           R"(of strings)");
  // Without the failure count but with failures listed, the count is not guessed.
  const std::string one_count = R"(,"summary":{"total-successful-session-count":1})"
                                R"(,"failure-details":[{"result-type":"x","failed-session-count":1}])";
  CHECK(error_of(parse_tlsrpt(report_with_policy(std::string(k_policy) + one_count), limits))
        == R"(invalid-report: missing "total-failure-session-count" in policies[0].summary)");
  CHECK(error_of(parse_tlsrpt(report_with_policy(policy_and_summary(R"(,"failure-details":{})")),
                              limits))
        == R"(invalid-report: "failure-details" in policies[0] must be an array)");
  CHECK(error_of(parse_tlsrpt(report_with_policy(policy_and_summary(
                                R"(,"failure-details":[{"failed-session-count":1}])")),
                              limits))
        == R"(invalid-report: missing "result-type" in policies[0].failure-details[0])");
  CHECK(error_of(parse_tlsrpt(report_with_policy(policy_and_summary(
                                R"(,"failure-details":[{"result-type":"x"}])")),
                              limits))
        == R"(invalid-report: missing "failed-session-count" in )"
           R"(policies[0].failure-details[0])");
  CHECK(error_of(parse_tlsrpt(report_with_policy(policy_and_summary(
                                R"(,"failure-details":[{"result-type":"x",)"
                                R"("failed-session-count":1.5}])")),
                              limits))
        == R"(invalid-report: "failed-session-count" in policies[0].failure-details[0] must )"
           R"(be a non-negative integer)");
  CHECK(error_of(parse_tlsrpt(report_with_policy(policy_and_summary(
                                R"(,"failure-details":[{"result-type":"x",)"
                                R"("failed-session-count":1,"receiving-ip":7}])")),
                              limits))
        == R"(invalid-report: "receiving-ip" in policies[0].failure-details[0] must be a )"
           R"(string)");
  CHECK(error_of(parse_tlsrpt(R"({"organization-name":"o","report-id":"r","date-range":)"
                              R"({"start-datetime":"2024-05-01T25:00:00Z","end-datetime":"x"}})",
                              limits))
        == R"(invalid-report: invalid "start-datetime" in date-range: '2024-05-01T25:00:00Z')");
}

TEST_CASE("TLS-RPT malformed JSON reports nlohmann's byte position")
{
  CHECK(error_of(parse_tlsrpt(R"({"organization-name" "o"})", Limits{}))
        == "invalid-report: JSON parse error at offset 24 (line 1, column 24): syntax error "
           "while parsing object separator - unexpected string literal; expected ':'");
  CHECK(error_of(parse_tlsrpt(R"({"a":1} trailing)", Limits{}))
        == "invalid-report: JSON parse error at offset 11 (line 1, column 11): syntax error "
           "while parsing value - invalid literal; last read: '1} tra'; expected end of input");
}

TEST_CASE("TLS-RPT caps: size and nesting are too-large, naming the cap")
{
  Limits small;
  small.max_json_bytes = 10;
  CHECK(error_of(parse_tlsrpt(R"({"organization-name":"o"})", small))
        == "too-large: JSON document of 25 bytes is larger than 10 bytes (max_json_bytes)");

  Limits shallow;
  shallow.max_json_depth = 4; // root, policies, a policy, policy-string
  const std::string report = fixture("tlsrpt/sts-all-fields.json");
  CHECK(error_of(parse_tlsrpt(report, shallow))
        == "too-large: JSON nested deeper than 4 levels (max_json_depth)");
  shallow.max_json_depth = 5;
  CHECK(parse_tlsrpt(report, shallow).ok());

  // Brackets inside strings do not count.
  const std::string in_string = R"({"x":"[[[[[[[[[[[[","organization-name":"o"})";
  Limits two;
  two.max_json_depth = 1;
  CHECK(error_of(parse_tlsrpt(in_string, two)) == R"(invalid-report: missing "date-range")");
}

TEST_CASE("TLS-RPT: a missing failure count without failures is 0; an invalid policy is skipped")
{
  const Limits limits;
  auto zero = parse_tlsrpt(report_with_policy(std::string(k_policy)
                                              + R"(,"summary":{"total-successful-session-count":7},)"
                                                R"("failure-details":[])"),
                           limits);
  REQUIRE(zero.ok());
  REQUIRE(zero->policies.size() == 1);
  CHECK(zero->policies[0].successful_sessions == 7);
  CHECK(zero->policies[0].failed_sessions == 0);
  CHECK(zero->notes == std::vector<std::string>{
          R"(policies[0].summary: missing "total-failure-session-count" read as 0 (no failure-details))"});
  CHECK(zero->skipped_policies.empty());

  // An unknown policy-type beside a valid policy: the valid one stays, the report is partial.
  std::string two = R"({"organization-name":"o","date-range":{"start-datetime":"2024-05-01T00:00:00Z",)"
                    R"("end-datetime":"2024-05-01T23:59:59Z"},"report-id":"r","policies":[{)"
                    + std::string(k_policy) + "," + std::string(k_summary)
                    + R"(},{"policy":{"policy-type":"STS-ish","policy-domain":"d"},"summary":{}},)"
                      R"({"policy":{"policy-type":"tlsa","policy-domain":"d"},"summary":{}}]})";
  auto partial = parse_tlsrpt(two, limits);
  REQUIRE(partial.ok());
  REQUIRE(partial->policies.size() == 1);
  CHECK(partial->policies[0].policy_type == "sts");
  CHECK(partial->skipped_policies
        == std::vector<std::string>{R"(policies[1]: unknown "policy-type" 'sts-ish')",
                                    R"(missing "total-successful-session-count" in policies[2].summary)"});

  // With no valid policy left, the report is invalid with the first reason.
  auto none = parse_tlsrpt(report_with_policy(R"("policy":{"policy-type":"x","policy-domain":"d"},)"
                                              + std::string(k_summary)),
                           limits);
  CHECK(error_of(std::move(none)) == R"(invalid-report: policies[0]: unknown "policy-type" 'x')");
}
