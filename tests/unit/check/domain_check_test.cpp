// A whole domain checked over a table of answers: the finding codes of each part, the
// organizational-domain fallback, external rua authorization, MX forward-confirmed reverse
// DNS, the MTA-STS policy against the MX hosts, and how many rounds the lookups take.
#include "check/domain_check.hpp"
#include "test_keys.hpp"
#include "zone_table.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>

using namespace dmarc::check;
using test_zone::Zone;

namespace {

struct Web
{
  std::map<std::string, Fetch> by_host;
};

struct Run
{
  DomainCheck result;
  int rounds = 0;
  std::vector<FetchRequest> fetched;
};

Run check(Zone& zone, const Web& web, const DomainInput& input)
{
  Lookups lookups;
  Run r;
  while (true) {
    r.result = check_domain(lookups, input);
    const auto questions = lookups.take_questions();
    const auto fetches = lookups.take_fetches();
    if (questions.empty() && fetches.empty()) {
      break;
    }
    ++r.rounds;
    for (const auto& q : questions) {
      lookups.put(q, zone.answer(q.name, q.type));
    }
    for (const auto& f : fetches) {
      r.fetched.push_back(f);
      const auto it = web.by_host.find(f.host);
      lookups.put(f, it != web.by_host.end() ? it->second : Fetch{false, 0, "", "connection refused"});
    }
  }
  REQUIRE(r.result.complete);
  return r;
}

std::vector<std::string> codes_of(const DomainCheck& d)
{
  std::vector<std::string> out;
  for (const Problem* p : d.all_problems()) {
    out.push_back(p->code + (p->severity == Severity::error ? "" : "(w)"));
  }
  return out;
}

// A domain that publishes everything right.
Zone good_zone()
{
  Zone z;
  z.txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
  z.txt("example.com", "v=spf1 mx ip4:203.0.113.0/24 -all");
  z.add("example.com", test_zone::RrType::mx, {"10 mail.example.com"});
  z.a("mail.example.com", "192.0.2.25");
  z.add("25.2.0.192.in-addr.arpa", test_zone::RrType::ptr, {"mail.example.com"});
  z.txt("s1._domainkey.example.com", std::string("v=DKIM1; k=rsa; p=") + test_keys::k_rsa2048);
  z.txt("_mta-sts.example.com", "v=STSv1; id=2024");
  z.a("mta-sts.example.com", "192.0.2.80");
  z.txt("_smtp._tls.example.com", "v=TLSRPTv1; rua=mailto:tls@example.com");
  return z;
}

Web good_web()
{
  Web w;
  w.by_host["mta-sts.example.com"] =
    Fetch{true, 200, "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 604800\n", ""};
  return w;
}

DomainInput input()
{
  return DomainInput{"example.com", {"s1"}, {"203.0.113.0/24", "192.0.2.25"}};
}

} // namespace

TEST_CASE("a domain that publishes everything right has no finding")
{
  Zone z = good_zone();
  const Run r = check(z, good_web(), input());
  CHECK(codes_of(r.result).empty());
  CHECK(r.result.dmarc.record == "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
  CHECK(r.result.spf.lookups == 1);
  CHECK(r.result.spf.all == "-all");
  REQUIRE(r.result.dkim.size() == 1);
  CHECK(r.result.dkim[0].key_bits == 2048);
  REQUIRE(r.result.mx.size() == 1);
  CHECK(r.result.mx[0].fcrdns);
  CHECK(r.result.mx[0].ptr == std::vector<std::string>{"mail.example.com"});
  REQUIRE(r.result.mta_sts.policy);
  CHECK(r.result.mta_sts.policy->mode == "enforce");
  REQUIRE(r.fetched.size() == 1);
  CHECK(r.fetched[0].address == "192.0.2.80");
  CHECK(r.result.tlsrpt.rua == std::vector<std::string>{"mailto:tls@example.com"});
  // Everything that does not depend on another answer is asked in the first round.
  CHECK(r.rounds <= 5);
}

TEST_CASE("each broken record gives its finding code")
{
  struct Case
  {
    const char* name;
    std::function<void(Zone&, Web&)> change;
    std::vector<std::string> codes;
  };
  using test_zone::RrType;
  const std::vector<Case> cases = {
    {"dmarc-missing", [](Zone& z, Web&) { z.records.erase({"_dmarc.example.com", RrType::txt}); },
     {"dmarc-missing"}},
    {"dmarc-multiple", [](Zone& z, Web&) { z.txt("_dmarc.example.com", "v=DMARC1; p=none"); },
     {"dmarc-multiple"}},
    {"dmarc-invalid", [](Zone& z, Web&) {
       z.records[{"_dmarc.example.com", RrType::txt}] = {"v=DMARC1; p=rejekt; rua=mailto:d@example.com"};
     }, {"dmarc-invalid"}},
    {"rua-not-authorized", [](Zone& z, Web&) {
       z.records[{"_dmarc.example.com", RrType::txt}] = {"v=DMARC1; p=none; rua=mailto:d@reports.example.net"};
     }, {"rua-not-authorized"}},
    {"rua authorized", [](Zone& z, Web&) {
       z.records[{"_dmarc.example.com", RrType::txt}] = {"v=DMARC1; p=none; rua=mailto:d@reports.example.net"};
       z.txt("example.com._report._dmarc.reports.example.net", "v=DMARC1");
     }, {}},
    {"spf-missing", [](Zone& z, Web&) { z.records.erase({"example.com", RrType::txt}); }, {"spf-missing"}},
    {"spf-multiple", [](Zone& z, Web&) { z.txt("example.com", "v=spf1 -all"); }, {"spf-multiple"}},
    {"spf-invalid", [](Zone& z, Web&) { z.records[{"example.com", RrType::txt}] = {"v=spf1 mx ip4:1.2.3 -all"}; },
     {"spf-invalid"}},
    {"spf-misses-authorized-ip", [](Zone& z, Web&) {
       z.records[{"example.com", RrType::txt}] = {"v=spf1 mx ip4:203.0.113.0/25 -all"};
     }, {"spf-misses-authorized-ip"}},
    {"spf-void-lookups", [](Zone& z, Web&) {
       z.records[{"example.com", RrType::txt}] = {"v=spf1 a:x1.example.com a:x2.example.com a:x3.example.com mx ip4:203.0.113.0/24 -all"};
     }, {"spf-void-lookups"}},
    {"dkim-key-missing", [](Zone& z, Web&) { z.records.erase({"s1._domainkey.example.com", RrType::txt}); },
     {"dkim-key-missing"}},
    {"dkim-key-weak", [](Zone& z, Web&) {
       z.records[{"s1._domainkey.example.com", RrType::txt}] = {std::string("v=DKIM1; p=") + test_keys::k_rsa768};
     }, {"dkim-key-weak"}},
    {"dkim-testing", [](Zone& z, Web&) {
       z.records[{"s1._domainkey.example.com", RrType::txt}] = {std::string("v=DKIM1; t=y; p=") + test_keys::k_rsa2048};
     }, {"dkim-testing(w)"}},
    {"mta-sts-policy-unreachable", [](Zone&, Web& w) { w.by_host.clear(); }, {"mta-sts-policy-unreachable"}},
    {"mta-sts 404", [](Zone&, Web& w) { w.by_host["mta-sts.example.com"] = Fetch{true, 404, "not found", ""}; },
     {"mta-sts-policy-unreachable"}},
    {"mta-sts no address", [](Zone& z, Web&) { z.records.erase({"mta-sts.example.com", RrType::a}); },
     {"mta-sts-policy-unreachable"}},
    {"mta-sts-invalid", [](Zone&, Web& w) {
       w.by_host["mta-sts.example.com"].body = "version: STSv2\nmode: enforce\nmx: mail.example.com\nmax_age: 604800\n";
     }, {"mta-sts-invalid"}},
    {"mta-sts-mx-not-covered", [](Zone&, Web& w) {
       w.by_host["mta-sts.example.com"].body = "version: STSv1\nmode: enforce\nmx: mx.example.net\nmax_age: 604800\n";
     }, {"mta-sts-mx-not-covered"}},
    {"mta-sts-missing", [](Zone& z, Web&) { z.records.erase({"_mta-sts.example.com", RrType::txt}); },
     {"mta-sts-missing(w)"}},
    {"tlsrpt-missing", [](Zone& z, Web&) { z.records.erase({"_smtp._tls.example.com", RrType::txt}); },
     {"tlsrpt-missing(w)"}},
    {"tlsrpt-invalid", [](Zone& z, Web&) { z.records[{"_smtp._tls.example.com", RrType::txt}] = {"v=TLSRPTv1; rua=ftp://x"}; },
     {"tlsrpt-invalid", "tlsrpt-invalid"}},
    {"mx-no-fcrdns", [](Zone& z, Web&) { z.records.erase({"25.2.0.192.in-addr.arpa", RrType::ptr}); },
     {"mx-no-fcrdns(w)"}},
    {"mx-no-fcrdns: PTR name elsewhere", [](Zone& z, Web&) {
       z.records[{"25.2.0.192.in-addr.arpa", RrType::ptr}] = {"host.isp.example"};
       z.a("host.isp.example", "198.51.100.1");
     }, {"mx-no-fcrdns(w)"}},
    {"record-non-ascii", [](Zone& z, Web&) {
       z.records[{"_smtp._tls.example.com", RrType::txt}] = {"v=TLSRPTv1; rua=mailto:tls@ex\xC3\xA4mple.com"};
     }, {"record-non-ascii(w)"}},
    {"dns timeout", [](Zone& z, Web&) { z.timeouts.insert("_dmarc.example.com"); }, {"dns-error"}},
  };
  for (const Case& c : cases) {
    SECTION(c.name)
    {
      Zone z = good_zone();
      Web w = good_web();
      c.change(z, w);
      const Run r = check(z, w, input());
      CHECK(codes_of(r.result) == c.codes);
      CHECK(r.result.has_error()
            == std::any_of(c.codes.begin(), c.codes.end(),
                           [](const std::string& s) { return s.find("(w)") == std::string::npos; }));
    }
  }
}

TEST_CASE("DMARC falls back to the organizational domain")
{
  Zone z = good_zone();
  DomainInput in{"sub.example.com", {}, {}};
  const Run r = check(z, good_web(), in);
  CHECK(r.result.dmarc.record == "v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
  CHECK(r.result.dmarc.found_at == "_dmarc.example.com");
  CHECK(std::count_if(r.result.dmarc.problems.begin(), r.result.dmarc.problems.end(),
                      [](const Problem& p) { return p.code == "dmarc-inherited"; }) == 1);
}

TEST_CASE("an MX host outside the policy's mx patterns is named")
{
  Zone z = good_zone();
  z.add("example.com", test_zone::RrType::mx, {"20 backup.example.org"});
  z.a("backup.example.org", "192.0.2.26");
  const Run r = check(z, good_web(), input());
  bool named = false;
  for (const Problem& p : r.result.mta_sts.problems) {
    named = named || (p.code == "mta-sts-mx-not-covered"
                      && p.message.find("MX host backup.example.org matches no mx:") == 0);
  }
  CHECK(named);
  REQUIRE(r.result.mx.size() == 2);
  CHECK(r.result.mx[1].host == "backup.example.org");
  CHECK_FALSE(r.result.mx[1].fcrdns);
}
