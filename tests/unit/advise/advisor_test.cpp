// The advisor's rules (src/advise/advisor.hpp), table-driven over plain statistics: every
// threshold just met and just missed, too little data, too few reporters, forwarders and
// spoofers that must not block, regressions, partial pct and RFC 9990 t=y, the DKIM
// selectors and the MTA-STS failure kinds with the clean window.
#include "advise/advisor.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

using namespace dmarc;
using namespace dmarc::advise;

namespace {

constexpr int64_t k_today = 19700;   // 2023-12-09

const char* const k_a = "203.0.113.10";     // in authorized_ips
const char* const k_b = "203.0.113.20";     // in authorized_ips
const char* const k_v6 = "2001:db8:10::25"; // in authorized_ips
const char* const k_fwd = "192.0.2.50";
const char* const k_spoof = "198.51.100.66";

DomainStats stats(int days = 21, int reporters = 2, const std::string& p = "none")
{
  DomainStats d;
  d.domain = "example.com";
  d.to_day = k_today;
  d.from_day = k_today - 27;
  d.days = days;
  for (int i = 0; i < reporters; ++i) {
    d.reporters.push_back({"reporter" + std::to_string(i), 1, 1, days});
  }
  d.policy.known = true;
  d.policy.p = p;
  d.policy.newest_day = k_today - 1;
  d.policy.since_day = k_today - 60;
  return d;
}

// A source passing DKIM and SPF (aligned, own envelope) on `pass` of `messages`.
SourceStats good(const std::string& ip, int64_t messages, int64_t pass)
{
  SourceStats s;
  s.ip = ip;
  s.messages = messages;
  s.dmarc_pass = pass;
  s.dkim_aligned = pass;
  s.spf_aligned = pass;
  s.spf_pass = pass;
  s.spf_own = messages;
  s.spf_own_pass = pass;
  s.first_day = k_today - 100;
  s.last_day = k_today - 1;
  return s;
}

// A forwarder: aligned DKIM survives, SPF fails for the domain, reporters say "forwarded".
SourceStats forwarded(const std::string& ip, int64_t messages)
{
  SourceStats s = good(ip, messages, 0);
  s.dmarc_pass = messages;
  s.dkim_aligned = messages;
  s.forwarded = messages;
  return s;
}

SourceStats spoof(const std::string& ip, int64_t messages)
{
  return good(ip, messages, 0);
}

void add(DomainStats& d, const SourceStats& s)
{
  d.sources.push_back(s);
  d.messages += s.messages;
  d.dmarc_pass += s.dmarc_pass;
  d.dkim_aligned += s.dkim_aligned;
  d.spf_aligned += s.spf_aligned;
}

config::DomainSettings block()
{
  config::DomainSettings c;
  c.name = "example.com";
  c.authorized_ips = {"203.0.113.0/24", "2001:db8:10::/48"};
  c.spf_includes = {"relay.example.net"};
  c.dkim_selectors = {"mailcow"};
  c.rua = "dmarc@example.com";
  return c;
}

std::string blocker_sources(const Check& c)
{
  std::string out;
  for (const Blocker& b : c.blockers) {
    out += (out.empty() ? "" : ",") + b.source;
  }
  return out;
}

double evidence(const Check& c, const std::string& name)
{
  for (const Number& n : c.evidence) {
    if (n.name == name) {
      return n.value;
    }
  }
  return -1;
}

} // namespace

TEST_CASE("none -> quarantine: thresholds, data, forwarders and spoofers")
{
  struct Case
  {
    const char* name;
    std::vector<SourceStats> sources;
    int days;
    int reporters;
    Verdict verdict;
    std::string blockers;   // comma separated sources
  };
  const std::vector<Case> cases = {
    {"all authorized mail passes", {good(k_a, 1000, 1000)}, 21, 2, Verdict::advance, ""},
    {"98% just met", {good(k_a, 10000, 9800)}, 21, 2, Verdict::advance, ""},
    {"97.99% just missed", {good(k_a, 10000, 9799)}, 21, 2, Verdict::hold, "all authorized sources"},
    {"a source at 95% just met", {good(k_a, 100000, 100000), good(k_b, 100, 95)}, 21, 2, Verdict::advance, ""},
    {"a source at 94% just missed", {good(k_a, 100000, 100000), good(k_b, 100, 94)}, 21, 2, Verdict::hold, k_b},
    {"14 days just met", {good(k_a, 1000, 1000)}, 14, 2, Verdict::advance, ""},
    {"13 days: too little data", {good(k_a, 1000, 1000)}, 13, 2, Verdict::wait, ""},
    {"one reporter: too few", {good(k_a, 1000, 1000)}, 21, 1, Verdict::wait, ""},
    {"a forwarder does not block", {good(k_a, 1000, 1000), forwarded(k_fwd, 5000)}, 21, 2, Verdict::advance, ""},
    {"spoofers do not block",
     {good(k_a, 1000, 1000), spoof(k_spoof, 100000), spoof("198.51.100.67", 50)}, 21, 2, Verdict::advance, ""},
    {"no authorized mail at all", {spoof(k_spoof, 100)}, 21, 2, Verdict::hold, "authorized sources"},
  };
  const config::DomainSettings cfg = block();
  for (const Case& c : cases) {
    INFO(c.name);
    DomainStats d = stats(c.days, c.reporters);
    for (const SourceStats& s : c.sources) {
      add(d, s);
    }
    const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
    CHECK(a.dmarc.verdict == c.verdict);
    CHECK(blocker_sources(a.dmarc) == c.blockers);
    CHECK(a.dmarc.current == "none");
    CHECK(a.dmarc.next == "quarantine");
    CHECK_FALSE(a.dmarc.explanation.empty());
    if (c.verdict == Verdict::advance) {
      CHECK(a.dmarc.publish);
      CHECK(a.dmarc.dns_record == "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com");
    } else {
      CHECK_FALSE(a.dmarc.publish);
      CHECK(a.dmarc.dns_record == "v=DMARC1; p=none; rua=mailto:dmarc@example.com");
    }
  }
}

TEST_CASE("wait says exactly what is missing")
{
  DomainStats d = stats(9, 1);
  add(d, good(k_a, 1000, 1000));
  const config::DomainSettings cfg = block();
  const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
  REQUIRE(a.dmarc.verdict == Verdict::wait);
  REQUIRE(a.dmarc.missing.size() == 2);
  CHECK(a.dmarc.missing[0] == "5 more days of reports (have 9 of 14)");
  CHECK(a.dmarc.missing[1] == "reports from 1 more reporting organization (have 1 of 2)");
  CHECK(a.dmarc.blockers.empty());

  DomainStats empty = stats(0, 0);
  empty.policy = {};
  const DomainAdvice none = advise_domain(empty, {}, &cfg, k_today);
  CHECK(none.dmarc.verdict == Verdict::wait);
  CHECK(none.dmarc.missing.at(0).find("DMARC aggregate reports") != std::string::npos);
  CHECK(none.spf.verdict == Verdict::wait);
  CHECK(none.dkim.verdict == Verdict::wait);
  CHECK(none.mta_sts.verdict == Verdict::wait);
}

TEST_CASE("the stage ladder: partial policies, quarantine -> reject, done and regressions")
{
  struct Case
  {
    const char* name;
    std::string p;
    std::optional<int64_t> pct;
    std::optional<std::string> testing;
    int published_days;               // newest_day - since_day + 1
    std::vector<SourceStats> sources;
    int days;
    Verdict verdict;
    std::string next;
    std::string blockers;
    std::string record;               // "" = not checked
  };
  SourceStats fresh = good(k_b, 100, 99);
  fresh.first_day = k_today - 5;
  SourceStats old = good(k_b, 100, 99);
  const std::vector<Case> cases = {
    {"partial pct=50 -> full quarantine", "quarantine", 50, std::nullopt, 30, {good(k_a, 1000, 1000)}, 21,
     Verdict::advance, "quarantine", "", "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"},
    {"partial pct=50 with a failing source is a regression", "quarantine", 50, std::nullopt, 30,
     {good(k_a, 1000, 1000), good(k_b, 100, 50)}, 21, Verdict::regression, "", k_b, ""},
    {"RFC 9990 t=y -> full quarantine", "quarantine", std::nullopt, "y", 30, {good(k_a, 1000, 1000)}, 21,
     Verdict::advance, "quarantine", "", "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"},
    {"t=y quarantine with a failing source holds (nothing is quarantined yet)", "quarantine",
     std::nullopt, "y", 30, {good(k_a, 1000, 1000), good(k_b, 100, 50)}, 21, Verdict::hold, "quarantine",
     std::string(k_b) + ",all authorized sources", ""},
    {"quarantine 14 days -> reject", "quarantine", std::nullopt, std::nullopt, 14, {good(k_a, 1000, 1000)}, 21,
     Verdict::advance, "reject", "", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"},
    {"quarantine 13 days: hold", "quarantine", std::nullopt, std::nullopt, 13, {good(k_a, 1000, 1000)}, 21,
     Verdict::hold, "reject", "policy", "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"},
    {"99.5% just met", "quarantine", 100, std::nullopt, 30, {good(k_a, 1000, 1000), good(k_b, 1000, 990)}, 21,
     Verdict::advance, "reject", "", ""},
    {"99.45% just missed", "quarantine", 100, std::nullopt, 30, {good(k_a, 1000, 1000), good(k_b, 1000, 989)}, 21,
     Verdict::hold, "reject", "all authorized sources", ""},
    {"a new authorized source not yet clean blocks reject", "quarantine", std::nullopt, std::nullopt, 30,
     {good(k_a, 100000, 100000), fresh}, 21, Verdict::hold, "reject", k_b, ""},
    {"an old source at 99% in a clean pool does not", "quarantine", std::nullopt, std::nullopt, 30,
     {good(k_a, 100000, 100000), old}, 21, Verdict::advance, "reject", "", ""},
    {"full quarantine with an authorized source failing: regression", "quarantine", std::nullopt,
     std::nullopt, 30, {good(k_a, 1000, 1000), good(k_b, 100, 80)}, 21, Verdict::regression, "", k_b, ""},
    {"partial reject -> full reject", "reject", 50, std::nullopt, 20, {good(k_a, 1000, 1000)}, 21,
     Verdict::advance, "reject", "", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"},
    {"reject healthy: done", "reject", std::nullopt, std::nullopt, 60, {good(k_a, 1000, 1000), spoof(k_spoof, 500)}, 21,
     Verdict::done, "", "", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"},
    {"reject with a source at exactly 95%: done", "reject", std::nullopt, std::nullopt, 60,
     {good(k_a, 1000, 1000), good(k_b, 100, 95)}, 21, Verdict::done, "", "", ""},
    {"reject with a source at 94%: regression", "reject", std::nullopt, std::nullopt, 60,
     {good(k_a, 1000, 1000), good(k_b, 100, 94)}, 21, Verdict::regression, "", k_b,
     "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"},
    {"a regression shows even with little data", "reject", std::nullopt, std::nullopt, 3,
     {good(k_v6, 100, 10)}, 3, Verdict::regression, "", k_v6, ""},
    {"reject with little data and healthy: wait", "reject", std::nullopt, std::nullopt, 3,
     {good(k_a, 100, 100)}, 3, Verdict::wait, "", "", ""},
  };
  const config::DomainSettings cfg = block();
  for (const Case& c : cases) {
    INFO(c.name);
    DomainStats d = stats(c.days, 2, c.p);
    d.policy.pct = c.pct;
    d.policy.testing = c.testing;
    d.policy.since_day = d.policy.newest_day - c.published_days + 1;
    for (const SourceStats& s : c.sources) {
      add(d, s);
    }
    const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
    CHECK(a.dmarc.verdict == c.verdict);
    CHECK(a.dmarc.next == c.next);
    CHECK(blocker_sources(a.dmarc) == c.blockers);
    if (!c.record.empty()) {
      CHECK(a.dmarc.dns_record == c.record);
    }
    CHECK(a.dmarc.current_pct == c.pct.value_or(100));
    CHECK(evidence(a.dmarc, "published_days") == c.published_days);
  }
}

TEST_CASE("a regression says what receivers do with the failing mail")
{
  const config::DomainSettings cfg = block();
  struct Case
  {
    std::string p;
    std::optional<std::string> testing;
    const char* action;
  };
  for (const Case& c : {Case{"reject", std::nullopt, "receivers reject the rest"},
                        Case{"reject", "y", "receivers quarantine the rest"},   // RFC 9990 t=y
                        Case{"quarantine", std::nullopt, "receivers quarantine the rest"}}) {
    INFO(c.p << " t=" << c.testing.value_or("n"));
    DomainStats d = stats(21, 2, c.p);
    d.policy.testing = c.testing;
    add(d, good(k_a, 1000, 1000));
    add(d, good(k_b, 100, 50));
    const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
    REQUIRE(a.dmarc.verdict == Verdict::regression);
    REQUIRE(a.dmarc.blockers.size() == 1);
    CHECK(a.dmarc.blockers[0].why.find(c.action) != std::string::npos);
  }
}

TEST_CASE("a regression makes Advice::regression() true and findings warn")
{
  DomainStats d = stats(21, 2, "reject");
  add(d, good(k_a, 1000, 500));
  const config::DomainSettings cfg = block();
  Advice advice;
  advice.as_of_day = k_today;
  advice.domains.push_back(advise_domain(d, {}, &cfg, k_today));
  CHECK(advice.regression());
  const auto findings = to_findings(advice);
  REQUIRE(findings.size() == 4);
  CHECK(findings[0].check == "dmarc");
  CHECK(findings[0].verdict == "regression");
  CHECK(findings[0].warning);
  CHECK(findings[0].as_of == k_today * 86400);
  CHECK(findings[3].check == "mta-sts");

  advice.domains[0] = advise_domain(stats(21, 2, "reject"), {}, &cfg, k_today);
  CHECK_FALSE(advice.regression());
}

TEST_CASE("the DMARC record keeps the published tags and marks a missing rua")
{
  DomainStats d = stats(21, 2, "none");
  d.policy.sp = "none";
  d.policy.adkim = "s";
  d.policy.fo = "1";
  add(d, good(k_a, 1000, 1000));
  const DomainAdvice inferred = advise_domain(d, {}, nullptr, k_today);
  REQUIRE(inferred.dmarc.verdict == Verdict::advance);
  CHECK(inferred.dmarc.dns_record
        == "v=DMARC1; p=quarantine; sp=none; adkim=s; fo=1; rua=mailto:<your-report-address>");
  CHECK(inferred.dmarc.explanation.find("Replace <your-report-address>") != std::string::npos);

  config::DomainSettings cfg = block();
  cfg.rua = "mailto:a@example.com, b@example.org";
  const DomainAdvice configured = advise_domain(d, {}, &cfg, k_today);
  CHECK(configured.dmarc.dns_record
        == "v=DMARC1; p=quarantine; sp=none; adkim=s; fo=1; rua=mailto:a@example.com,mailto:b@example.org");
}

TEST_CASE("source classification: config, forwarders, inference, spoofers")
{
  config::DomainSettings cfg = block();
  cfg.authorized_ptr_domains = {"mxrouting.net"};
  cfg.dkim_domains = {"relay.example.net"};
  cfg.authorized_ips.push_back("not-an-ip");
  DomainStats d = stats();
  SourceStats v6 = good(k_v6, 10, 0);                    // in 2001:db8:10::/48, failing
  SourceStats ptr = good("192.0.2.200", 10, 0);
  ptr.reverse_dns = "out.mxrouting.net";
  SourceStats lookalike = good("192.0.2.201", 10, 0);
  lookalike.reverse_dns = "evilmxrouting.net";
  SourceStats relay = good("192.0.2.202", 10, 0);
  relay.dkim_domains = {"mta.relay.example.net"};
  SourceStats esp = good("192.0.2.203", 10, 10);          // own bounce domain: SPF pass, not own
  esp.spf_aligned = 0;
  esp.spf_own = 0;
  esp.spf_own_pass = 0;
  SourceStats dkim_only = good("192.0.2.204", 10, 10);    // SPF fails, DKIM aligned: forwarding
  dkim_only.spf_pass = 0;
  dkim_only.spf_aligned = 0;
  SourceStats listed = spoof("192.0.2.205", 10);          // mailing list broke DKIM, said so
  listed.forwarded = 5;
  SourceStats ninety = good("192.0.2.206", 1000, 900);
  SourceStats below_ninety = good("192.0.2.207", 1000, 899);
  for (const SourceStats& s : {v6, ptr, lookalike, relay, esp, dkim_only, listed, ninety, below_ninety}) {
    add(d, s);
  }
  std::vector<std::string> notes;
  const auto classified = classify(d, &cfg, &notes);
  std::map<std::string, std::pair<SourceClass, std::string>> by_ip;
  for (const ClassifiedSource& c : classified) {
    by_ip[c.stats.ip] = {c.cls, c.basis()};
  }
  CHECK(by_ip[k_v6].first == SourceClass::authorized);
  CHECK(by_ip[k_v6].second == "in authorized_ips 2001:db8:10::/48");
  CHECK(by_ip["192.0.2.200"].first == SourceClass::authorized);
  CHECK(by_ip["192.0.2.201"].first == SourceClass::unknown);
  CHECK(by_ip["192.0.2.202"].first == SourceClass::authorized);
  CHECK(by_ip["192.0.2.203"].first == SourceClass::authorized);
  CHECK(by_ip["192.0.2.204"].first == SourceClass::forwarder);
  CHECK(by_ip["192.0.2.205"].first == SourceClass::forwarder);
  CHECK(by_ip["192.0.2.206"].first == SourceClass::authorized);
  CHECK(by_ip["192.0.2.206"].second == "inferred: passes DMARC on 90%");
  CHECK(by_ip["192.0.2.207"].first == SourceClass::unknown);
  REQUIRE(notes.size() == 1);
  CHECK(notes[0].find("'not-an-ip'") != std::string::npos);
  // Sorted by volume.
  CHECK(classified.front().stats.messages == 1000);

  const DomainAdvice inferred = advise_domain(d, {}, nullptr, k_today);
  CHECK_FALSE(inferred.configured);
  REQUIRE_FALSE(inferred.notes.empty());
  CHECK(inferred.notes[0].find("No [[domain]] block for example.com") != std::string::npos);
  CHECK(inferred.authorized.sources == 2);  // the ESP and the 90% source
}

TEST_CASE("one source per address however reporters spell it")
{
  const config::DomainSettings cfg = block();
  DomainStats d = stats();
  add(d, good("2001:db8:10::25", 900, 900));
  add(d, good("203.0.113.10", 500, 500));
  SourceStats upper = good("2001:DB8:10:0::25", 100, 0);   // another reporter's spelling
  upper.first_day = k_today - 3;
  add(d, upper);
  add(d, good("::ffff:203.0.113.10", 20, 20));
  add(d, spoof("2001:db8:66::1", 10));
  const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
  REQUIRE(a.sources.size() == 3);
  CHECK(a.sources[0].stats.ip == "2001:db8:10::25");
  CHECK(a.sources[0].stats.messages == 1000);
  CHECK(a.sources[0].stats.dmarc_pass == 900);
  CHECK(a.sources[0].stats.first_day == k_today - 100);
  CHECK(a.sources[1].stats.ip == "203.0.113.10");
  CHECK(a.sources[1].stats.messages == 520);
  CHECK(a.sources[2].stats.ip == "2001:db8:66::1");
  CHECK(a.authorized.sources == 2);
  // 90% as one source, not a clean one and a 0% one.
  CHECK(a.dmarc.verdict == Verdict::hold);
  CHECK(blocker_sources(a.dmarc) == "2001:db8:10::25,all authorized sources");
  REQUIRE_FALSE(a.dmarc.blockers.empty());
  CHECK(a.dmarc.blockers[0].pass_share == Approx(0.9));
}

TEST_CASE("SPF -all: every authorized source passes SPF and carries aligned DKIM")
{
  struct Case
  {
    const char* name;
    std::vector<SourceStats> sources;
    int64_t own_fail;                 // SPF results "fail" for the domain (-all published)
    int64_t own_softfail;
    int days;
    Verdict verdict;
    std::string current;
    std::string blockers;
  };
  SourceStats spf_995 = good(k_a, 1000, 1000);
  spf_995.spf_own_pass = 995;
  SourceStats spf_994 = good(k_a, 1000, 1000);
  spf_994.spf_own_pass = 994;
  SourceStats no_dkim = good(k_a, 1000, 1000);
  no_dkim.dkim_aligned = 990;
  SourceStats other_envelope = good(k_a, 1000, 1000);
  other_envelope.spf_own = 0;
  other_envelope.spf_own_pass = 0;
  const std::vector<Case> cases = {
    {"99.5% just met", {spf_995}, 0, 50, 21, Verdict::advance, "~all", ""},
    {"99.4% just missed", {spf_994}, 0, 50, 21, Verdict::hold, "~all", k_a},
    {"authorized mail without aligned DKIM", {no_dkim}, 0, 50, 21, Verdict::hold, "~all", k_a},
    {"a forwarder failing SPF does not block", {good(k_a, 1000, 1000), forwarded(k_fwd, 500)}, 0, 500, 21,
     Verdict::advance, "~all", ""},
    {"authorized mail with another envelope domain", {other_envelope}, 0, 10, 21, Verdict::advance, "~all", ""},
    {"-all published and healthy: done", {good(k_a, 1000, 1000), spoof(k_spoof, 100)}, 100, 0, 21,
     Verdict::done, "-all", ""},
    {"-all published and authorized mail fails it: regression", {spf_994}, 100, 0, 21,
     Verdict::regression, "-all", k_a},
    {"too little data", {good(k_a, 1000, 1000)}, 0, 0, 5, Verdict::wait, "unknown", ""},
  };
  const config::DomainSettings cfg = block();
  for (const Case& c : cases) {
    INFO(c.name);
    DomainStats d = stats(c.days);
    d.spf_own_fail = c.own_fail;
    d.spf_own_softfail = c.own_softfail;
    for (const SourceStats& s : c.sources) {
      add(d, s);
    }
    const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
    CHECK(a.spf.verdict == c.verdict);
    CHECK(a.spf.current == c.current);
    CHECK(blocker_sources(a.spf) == c.blockers);
    if (c.verdict == Verdict::advance) {
      CHECK(a.spf.dns_record == "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:10::/48 include:relay.example.net -all");
      CHECK(a.spf.publish);
    }
  }
  DomainStats d = stats();
  add(d, good(k_a, 1000, 1000));
  const DomainAdvice inferred = advise_domain(d, {}, nullptr, k_today);
  CHECK(inferred.spf.verdict == Verdict::advance);
  CHECK(inferred.spf.dns_record == "v=spf1 <your current mechanisms> -all");
}

TEST_CASE("SPF: the advice says how much forwarded mail passes on DKIM, not that all of it does")
{
  const config::DomainSettings cfg = block();
  DomainStats d = stats();
  add(d, good(k_a, 1000, 1000));
  add(d, forwarded(k_fwd, 300));
  SourceStats list = spoof("192.0.2.80", 100);   // a mailing list breaking the signature
  list.forwarded = 100;
  add(d, list);
  const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
  REQUIRE(a.spf.verdict == Verdict::advance);
  CHECK(a.spf.explanation.find("Forwarded mail (400 messages from 2 forwarders) does not depend "
                               "on SPF: 75% of it passes DMARC on its aligned DKIM signature.")
        != std::string::npos);
}

TEST_CASE("DKIM: every configured selector seen passing")
{
  struct Case
  {
    const char* name;
    std::vector<SelectorStats> selectors;
    int days;
    Verdict verdict;
    std::string blockers;
    std::string why;                 // in the first blocker
  };
  const SelectorStats mailcow{"mailcow", "example.com", 1000, 1000, 1000};
  const std::vector<Case> cases = {
    {"both seen passing", {mailcow, {"x", "example.com", 50, 50, 50}}, 21, Verdict::done, "", ""},
    {"a selector never seen", {mailcow}, 21, Verdict::hold, "selector x", "never seen in 28 days"},
    {"a selector passing only unaligned", {mailcow, {"x", "relay.example.net", 50, 50, 0}}, 21,
     Verdict::hold, "selector x", "not aligned"},
    {"a selector never passing", {mailcow, {"x", "example.com", 50, 0, 0}}, 21, Verdict::hold,
     "selector x", "never passing"},
    {"a selector failing on 6%", {mailcow, {"x", "example.com", 100, 94, 94}}, 21, Verdict::hold,
     "selector x", "passes aligned on only 94%"},
    {"all seen after 3 days: still too little data, wait", {mailcow, {"x", "example.com", 5, 5, 5}}, 3,
     Verdict::wait, "", ""},
    {"all seen on 13 days: wait", {mailcow, {"x", "example.com", 5, 5, 5}}, 13, Verdict::wait, "", ""},
    {"all seen on 14 days: done", {mailcow, {"x", "example.com", 5, 5, 5}}, 14, Verdict::done, "", ""},
    {"one missing after 3 days: wait", {mailcow}, 3, Verdict::wait, "", ""},
  };
  config::DomainSettings cfg = block();
  cfg.dkim_selectors = {"mailcow", "X"};
  for (const Case& c : cases) {
    INFO(c.name);
    DomainStats d = stats(c.days);
    add(d, good(k_a, 1000, 1000));
    d.selectors = c.selectors;
    const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
    CHECK(a.dkim.verdict == c.verdict);
    CHECK(blocker_sources(a.dkim) == c.blockers);
    CHECK(a.dkim.missing.empty() == (c.verdict != Verdict::wait));
    if (!c.why.empty()) {
      REQUIRE_FALSE(a.dkim.blockers.empty());
      CHECK(a.dkim.blockers[0].why.find(c.why) != std::string::npos);
    }
    REQUIRE(a.dkim.selectors.size() >= 2);
    CHECK(a.dkim.selectors[0].configured);
    CHECK(a.dkim.selectors[1].selector == "x");
    CHECK(a.dkim.selectors[1].configured);
  }
  // Without configured selectors: authorized mail must carry aligned DKIM.
  DomainStats d = stats();
  SourceStats unsigned_source = good(k_b, 100, 100);
  unsigned_source.dkim_aligned = 0;
  add(d, good(k_a, 1000, 1000));
  add(d, unsigned_source);
  d.selectors = {mailcow};
  const DomainAdvice a = advise_domain(d, {}, nullptr, k_today);
  CHECK(a.dkim.verdict == Verdict::hold);
  CHECK(blocker_sources(a.dkim) == k_b);
}

TEST_CASE("DKIM: selector failures that forwarders and spoofers may cause never block")
{
  struct Case
  {
    const char* name;
    int64_t list_messages;           // a mailing list (forwarder) breaking the signature
    int64_t spoof_messages;          // spoofers forging s=mailcow
    int64_t own_failures;            // failures of mailcow on your own mail
    Verdict verdict;
    int64_t judged;                  // the blocker's messages
  };
  const std::vector<Case> cases = {
    {"a mailing list breaking 20% of the signatures", 250, 0, 0, Verdict::done, 0},
    {"spoofers forging the selector", 0, 400, 0, Verdict::done, 0},
    {"both, and 5% own failures: just met", 250, 400, 50, Verdict::done, 0},
    {"both, and 6% own failures: blocks on what is left", 250, 400, 60, Verdict::hold, 1000},
  };
  config::DomainSettings cfg = block();
  for (const Case& c : cases) {
    INFO(c.name);
    DomainStats d = stats();
    add(d, good(k_a, 1000, 1000 - c.own_failures));
    SourceStats list = spoof(k_fwd, c.list_messages);
    list.forwarded = c.list_messages;
    if (c.list_messages > 0) {
      add(d, list);
    }
    if (c.spoof_messages > 0) {
      add(d, spoof(k_spoof, c.spoof_messages));
    }
    const int64_t failed = c.list_messages + c.spoof_messages + c.own_failures;
    d.selectors = {{"mailcow", "example.com", 1000 + c.list_messages + c.spoof_messages,
                    1000 + c.list_messages + c.spoof_messages - failed,
                    1000 + c.list_messages + c.spoof_messages - failed}};
    const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
    if (c.own_failures == 0) {
      CHECK(a.dmarc.verdict == Verdict::advance);   // nor do they block DMARC
    }
    CHECK(a.dkim.verdict == c.verdict);
    if (c.verdict == Verdict::hold) {
      REQUIRE(a.dkim.blockers.size() == 1);
      CHECK(a.dkim.blockers[0].source == "selector mailcow");
      CHECK(a.dkim.blockers[0].messages == c.judged);
      CHECK(a.dkim.blockers[0].pass_share == Approx(0.94));
      CHECK(a.dkim.blockers[0].why.find("passes aligned on only 94% of 1,000 messages (leaving out "
                                        "650 failures") != std::string::npos);
    } else {
      CHECK(a.dkim.blockers.empty());
    }
  }
}

TEST_CASE("MTA-STS testing -> enforce: failure share, failure kinds, clean window")
{
  struct Case
  {
    const char* name;
    std::string mode;
    int days;
    int reporters;
    int64_t failure;                  // of 1,000,000 sessions
    std::vector<TlsFailureDay> failures;
    Verdict verdict;
    std::string blockers;
  };
  const std::vector<Case> cases = {
    {"clean", "testing", 14, 2, 0, {}, Verdict::advance, ""},
    {"0.0999% failures just under", "testing", 21, 2, 999, {{"certificate-expired", k_today - 20, 999}},
     Verdict::advance, ""},
    {"0.1% failures just over", "testing", 21, 2, 1000, {{"certificate-expired", k_today - 20, 1000}},
     Verdict::hold, "all sessions"},
    {"certificate failure 6 days ago: inside the clean window", "testing", 21, 2, 1,
     {{"certificate-expired", k_today - 6, 1}}, Verdict::hold, "certificate-expired"},
    {"certificate failure 7 days ago: outside", "testing", 21, 2, 1,
     {{"certificate-expired", k_today - 7, 1}}, Verdict::advance, ""},
    {"policy fetch failure yesterday", "testing", 21, 2, 3, {{"sts-policy-fetch-error", k_today - 1, 3}},
     Verdict::hold, "sts-policy-fetch-error"},
    {"validation failure and STARTTLS missing", "testing", 21, 2, 5,
     {{"validation-failure", k_today - 2, 2}, {"starttls-not-supported", k_today, 3}},
     Verdict::hold, "starttls-not-supported,validation-failure"},
    {"DANE failures do not concern MTA-STS", "testing", 21, 2, 2, {{"tlsa-invalid", k_today - 1, 2}},
     Verdict::advance, ""},
    {"13 days", "testing", 13, 2, 0, {}, Verdict::wait, ""},
    {"one reporter", "testing", 21, 1, 0, {}, Verdict::wait, ""},
    {"enforce, healthy", "enforce", 21, 2, 0, {}, Verdict::done, ""},
    {"enforce with certificate failures: regression", "enforce", 3, 1, 40,
     {{"certificate-host-mismatch", k_today - 1, 40}}, Verdict::regression, "certificate-host-mismatch"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    DomainStats d = stats();
    add(d, good(k_a, 1000, 1000));
    TlsPolicyStats sts;
    sts.policy_type = "sts";
    sts.mode = c.mode;
    sts.days = c.days;
    sts.reporters = c.reporters;
    sts.reports = c.days * c.reporters;
    sts.success = 1'000'000 - c.failure;
    sts.failure = c.failure;
    sts.failures = c.failures;
    sts.mx_hosts = {"mail.example.com"};
    sts.policy_string = "version: STSv1\nmode: " + c.mode + "\nmx: mail.example.com\nmax_age: 86400";
    d.tls.push_back(sts);
    const DomainAdvice a = advise_domain(d, {}, nullptr, k_today);
    CHECK(a.mta_sts.verdict == c.verdict);
    CHECK(a.mta_sts.current == c.mode);
    CHECK(blocker_sources(a.mta_sts) == c.blockers);
    if (c.verdict == Verdict::advance) {
      CHECK(a.mta_sts.next == "enforce");
      CHECK(a.mta_sts.dns_record == "v=STSv1; id=20231209T000000");
      CHECK(a.mta_sts.policy_file == "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n");
    } else {
      CHECK(a.mta_sts.policy_file.empty());
    }
  }

  DomainStats none = stats();
  TlsPolicyStats no_policy;
  no_policy.policy_type = "no-policy-found";
  no_policy.days = 21;
  no_policy.reporters = 2;
  no_policy.success = 100;
  none.tls.push_back(no_policy);
  const DomainAdvice a = advise_domain(none, {}, nullptr, k_today);
  CHECK(a.mta_sts.verdict == Verdict::wait);
  CHECK(a.mta_sts.current == "none");
  CHECK(a.mta_sts.missing.at(0).find("no MTA-STS policy") != std::string::npos);
}

// A newsletter service (ESP) sending with the domain's From: it authenticates (DKIM with its
// own d=, SPF for its own bounce envelope) but aligns with nothing. DESIGN.md: an unknown
// source is shown, never a blocker; so the advice still advances but names it in a "Check
// first" note, until it is listed as yours or its d= is marked not yours.
TEST_CASE("an unlisted service signing with its own d= is named before tightening, not a blocker")
{
  const char* const k_esp = "198.2.128.5";
  SourceStats esp = good(k_esp, 1200, 0);
  esp.spf_pass = 1200;       // SPF passes for mcsv.net, not for example.com
  esp.spf_own = 0;
  esp.spf_own_pass = 0;
  esp.dkim_domains = {"mcsv.net"};
  SourceStats half = esp;    // SPF for its own envelope on just under half
  half.ip = "198.2.128.6";
  half.spf_pass = 599;
  SourceStats unsigned_esp = esp;
  unsigned_esp.ip = "198.2.128.7";
  unsigned_esp.dkim_domains.clear();

  struct Case
  {
    const char* name;
    std::string p;
    std::vector<SourceStats> sources;
    std::vector<std::string> ignore;
    bool noted;
  };
  const std::vector<Case> cases = {
    {"none: the service is named", "none", {good(k_a, 20000, 20000), esp}, {}, true},
    {"quarantine: named before reject", "quarantine", {good(k_a, 20000, 20000), esp}, {}, true},
    {"its d= marked not yours", "none", {good(k_a, 20000, 20000), esp}, {"mcsv.net"}, false},
    {"a parent of its d= marked not yours", "none", {good(k_a, 20000, 20000), esp}, {"net"}, false},
    {"SPF passing on under half", "none", {good(k_a, 20000, 20000), half}, {}, false},
    {"no foreign DKIM signature", "none", {good(k_a, 20000, 20000), unsigned_esp}, {}, false},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    config::DomainSettings cfg = block();
    cfg.ignore_dkim_domains = c.ignore;
    DomainStats d = stats(21, 2, c.p);
    for (const SourceStats& s : c.sources) {
      add(d, s);
    }
    const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
    CHECK(a.dmarc.verdict == Verdict::advance);   // unknown sources never block
    CHECK(blocker_sources(a.dmarc).empty());
    CHECK(a.dmarc.publish);
    const std::string target = c.p == "none" ? "p=quarantine" : "p=reject";
    const std::string note =
      " Check first: 198.2.128.5 (1,200 messages, seen 2023-08-31 to 2023-12-08, signs DKIM as "
      "d=mcsv.net) authenticates as another domain (DKIM with its own d=, SPF for its own "
      "envelope), so DMARC fails for example.com and it counts as unknown. If it sends for you "
      "(newsletter, CRM, ticketing), have it sign with d=example.com and list it (authorized_ips "
      "or dkim_domains) before moving to " + target + ", or its mail will "
      + (c.p == "none" ? "go to spam" : "be refused")
      + "; if it is not yours, add its d= to ignore_dkim_domains to silence this note.";
    const std::string& why = a.dmarc.explanation;
    if (c.noted) {
      REQUIRE(why.size() >= note.size());
      CHECK(why.substr(why.size() - note.size()) == note);
    } else {
      CHECK(why.find("Check first") == std::string::npos);
    }
  }
  // Listed as yours by its d=, it is an authorized source failing DMARC: the usual blocker.
  config::DomainSettings cfg = block();
  cfg.dkim_domains = {"mcsv.net"};
  DomainStats d = stats(21, 2, "none");
  add(d, good(k_a, 20000, 20000));
  add(d, esp);
  const DomainAdvice a = advise_domain(d, {}, &cfg, k_today);
  CHECK(a.dmarc.verdict == Verdict::hold);
  CHECK(blocker_sources(a.dmarc) == std::string(k_esp) + ",all authorized sources");
  CHECK(a.dmarc.blockers[0].why.rfind("authorized (signs DKIM as d=mcsv.net", 0) == 0);
  CHECK(a.dmarc.explanation.find("Check first") == std::string::npos);
}

TEST_CASE("advise --dns: suggestions are the published records with only the step changed")
{
  const config::DomainSettings cfg = block();
  DomainStats d = stats(21, 2, "none");
  d.spf_own_softfail = 50;
  add(d, good(k_a, 1000, 1000));

  Published pub;
  pub.dmarc_known = true;
  pub.dmarc_record = "v=DMARC1;p=none; sp=reject; rua=mailto:agg@reports.example.com; fo=1";
  pub.spf_known = true;
  pub.spf_record = "v=spf1 mx a include:_spf.relay.example.net ip4:203.0.113.0/24 ~all";
  pub.spf_lookups = 3;
  const DomainAdvice a = advise_domain(d, {}, &cfg, k_today, &pub);
  CHECK(a.dmarc.verdict == Verdict::advance);
  CHECK(a.dmarc.published == pub.dmarc_record);
  CHECK(a.dmarc.dns_record == "v=DMARC1;p=quarantine; sp=reject; rua=mailto:agg@reports.example.com; fo=1");
  CHECK(a.spf.verdict == Verdict::advance);
  CHECK(a.spf.current == "~all");
  CHECK(a.spf.published == pub.spf_record);
  CHECK(a.spf.dns_record == "v=spf1 mx a include:_spf.relay.example.net ip4:203.0.113.0/24 -all");

  // Without DNS the old behaviour: records built from the reports and the config.
  const DomainAdvice offline = advise_domain(d, {}, &cfg, k_today);
  CHECK(offline.spf.dns_record == "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:10::/48 include:relay.example.net -all");
  CHECK(offline.spf.published.empty());
}

TEST_CASE("advise --dns: DNS is the current stage, a disagreement with the reports is shown")
{
  const config::DomainSettings cfg = block();
  DomainStats d = stats(21, 2, "none");
  add(d, good(k_a, 1000, 1000));
  Published pub;
  pub.dmarc_known = true;
  pub.dmarc_record = "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com";
  const DomainAdvice a = advise_domain(d, {}, &cfg, k_today, &pub);
  CHECK(a.dmarc.current == "quarantine");
  CHECK(a.dmarc.explanation.find("DNS publishes p=quarantine, but the newest reports show p=none")
        != std::string::npos);
  // Counted as published since the newest report: too recent for reject.
  CHECK(a.dmarc.verdict == Verdict::hold);
  CHECK(a.dmarc.dns_record == pub.dmarc_record);
  CHECK_FALSE(a.dmarc.publish);
}

TEST_CASE("advise --dns: a -all over the lookup limit or missing an authorized IP is refused")
{
  const config::DomainSettings cfg = block();
  DomainStats d = stats(21, 2, "none");
  d.spf_own_softfail = 50;
  add(d, good(k_a, 1000, 1000));
  Published pub;
  pub.spf_known = true;
  pub.spf_record = "v=spf1 mx ~all";
  pub.spf_lookups = 1;
  pub.spf_missed_ips = {"203.0.113.0/24"};
  const DomainAdvice missed = advise_domain(d, {}, &cfg, k_today, &pub);
  CHECK(missed.spf.verdict == Verdict::hold);
  CHECK_FALSE(missed.spf.publish);
  CHECK(missed.spf.dns_record.empty());
  CHECK(blocker_sources(missed.spf) == "203.0.113.0/24");
  CHECK(missed.spf.explanation.find("the -all record is refused because in authorized_ips but not "
                                    "passed by the published record") != std::string::npos);

  pub.spf_missed_ips.clear();
  pub.spf_lookups = 12;
  const DomainAdvice over = advise_domain(d, {}, &cfg, k_today, &pub);
  CHECK(over.spf.verdict == Verdict::hold);
  CHECK(blocker_sources(over.spf) == "SPF record");
  CHECK(over.spf.blockers[0].why.find("needs 12 DNS lookups, over the limit of 10") != std::string::npos);

  pub.spf_lookups = 1;
  pub.spf_record = "v=spf1 redirect=_spf.example.com";
  const DomainAdvice redirect = advise_domain(d, {}, &cfg, k_today, &pub);
  CHECK(redirect.spf.verdict == Verdict::hold);
  CHECK(redirect.spf.dns_record.empty());
}

TEST_CASE("an SPF regression at -all does not print a step from -all to -all")
{
  const config::DomainSettings cfg = block();
  DomainStats d = stats();
  d.spf_own_fail = 100;
  SourceStats bad = good(k_a, 1000, 1000);
  bad.spf_own_pass = 900;
  add(d, bad);
  Published pub;
  pub.spf_known = true;
  pub.spf_record = "v=spf1 mx include:relay.example.net -all";
  const DomainAdvice a = advise_domain(d, {}, &cfg, k_today, &pub);
  CHECK(a.spf.verdict == Verdict::regression);
  CHECK(a.spf.next.empty());
  CHECK(a.spf.dns_record == pub.spf_record);
}
