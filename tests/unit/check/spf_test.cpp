// SPF (RFC 7208) over tables of DNS answers: syntax, include/redirect chains, loops, the
// 10-lookup and 2-void-lookup limits (the 10th passes, the 11th fails), macros, ptr, mx, a
// with prefixes, and whether a whole range passes.
#include "check/spf.hpp"
#include "zone_table.hpp"

#include "core/record_text.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace dmarc::check;
using test_zone::Zone;

namespace {

struct Outcome
{
  SpfEvaluation eval;
  int rounds = 0;
};

Outcome run(Zone& zone, const std::string& domain, const std::string& target)
{
  Lookups lookups;
  Outcome o;
  std::optional<dmarc::advise::IpRange> range;
  if (!target.empty()) {
    range = dmarc::advise::parse_range(target);
    REQUIRE(range);
  }
  o.rounds = zone.resolve(lookups, [&] { o.eval = evaluate_spf(lookups, domain, range); });
  REQUIRE(o.eval.complete);
  return o;
}

std::vector<std::string> codes(const Problems& p)
{
  std::vector<std::string> out;
  for (const Problem& x : p) {
    out.push_back(x.code + (x.severity == Severity::error ? "" : "(w)"));
  }
  return out;
}

Zone include_chain(int includes, const std::string& last = "-all")
{
  Zone z;
  std::string top = "v=spf1";
  for (int i = 1; i <= includes; ++i) {
    top += " include:i" + std::to_string(i) + ".example.net";
    z.txt("i" + std::to_string(i) + ".example.net", "v=spf1 ip4:10.0.0." + std::to_string(i) + " -all");
  }
  z.txt("example.com", top + " " + last);
  return z;
}

} // namespace

TEST_CASE("SPF evaluation over tables of answers")
{
  struct Case
  {
    const char* name;
    std::vector<std::pair<std::string, std::string>> txt;   // name → TXT record
    std::vector<std::pair<std::string, std::string>> a;     // name → A record
    std::string target;                                     // "" = walk
    SpfResult result;
    int lookups;
    int void_lookups;
    std::vector<std::string> codes;
    std::string all;
  };
  const std::vector<Case> cases = {
    {"ip4 pass", {{"example.com", "v=spf1 ip4:192.0.2.0/24 -all"}}, {}, "192.0.2.5",
     SpfResult::pass, 0, 0, {}, "-all"},
    {"ip4 fail", {{"example.com", "v=spf1 ip4:192.0.2.0/24 -all"}}, {}, "198.51.100.1",
     SpfResult::fail, 0, 0, {}, "-all"},
    {"softfail", {{"example.com", "v=spf1 ip4:192.0.2.0/24 ~all"}}, {}, "198.51.100.1",
     SpfResult::softfail, 0, 0, {}, "~all"},
    {"no all is neutral", {{"example.com", "v=spf1 ip4:192.0.2.0/24"}}, {}, "198.51.100.1",
     SpfResult::neutral, 0, 0, {}, ""},
    {"include chain passes", {{"example.com", "v=spf1 include:a.example.net ~all"},
                              {"a.example.net", "v=spf1 include:b.example.net -all"},
                              {"b.example.net", "v=spf1 ip4:203.0.113.0/24 -all"}},
     {}, "203.0.113.9", SpfResult::pass, 2, 0, {}, "~all"},
    {"include chain, address outside", {{"example.com", "v=spf1 include:a.example.net ~all"},
                                        {"a.example.net", "v=spf1 include:b.example.net -all"},
                                        {"b.example.net", "v=spf1 ip4:203.0.113.0/24 -all"}},
     {}, "198.51.100.1", SpfResult::softfail, 2, 0, {}, "~all"},
    {"redirect takes the target's all", {{"example.com", "v=spf1 redirect=_spf.example.net"},
                                         {"_spf.example.net", "v=spf1 ip4:192.0.2.1 -all"}},
     {}, "198.51.100.1", SpfResult::fail, 1, 0, {}, "-all"},
    {"redirect pass", {{"example.com", "v=spf1 redirect=_spf.example.net"},
                       {"_spf.example.net", "v=spf1 ip4:192.0.2.1 -all"}},
     {}, "192.0.2.1", SpfResult::pass, 1, 0, {}, "-all"},
    {"include loop", {{"example.com", "v=spf1 include:a.example.net -all"},
                      {"a.example.net", "v=spf1 include:example.com -all"}},
     {}, "", SpfResult::permerror, 2, 0, {"spf-include-loop"}, ""},
    {"redirect loop", {{"example.com", "v=spf1 redirect=example.com"}},
     {}, "", SpfResult::permerror, 1, 0, {"spf-include-loop"}, ""},
    {"include of a domain without SPF", {{"example.com", "v=spf1 include:nospf.example.net -all"},
                                         {"nospf.example.net", "hello"}},
     {}, "", SpfResult::permerror, 1, 0, {"spf-include-missing"}, ""},
    {"two void lookups are allowed", {{"example.com", "v=spf1 a:nx1.example.net a:nx2.example.net ~all"}},
     {}, "", SpfResult::softfail, 2, 2, {}, "~all"},
    {"the third void lookup is a permerror",
     {{"example.com", "v=spf1 a:nx1.example.net a:nx2.example.net a:nx3.example.net ~all"}},
     {}, "", SpfResult::permerror, 3, 3, {"spf-void-lookups"}, ""},
    {"macro left unexpanded", {{"example.com", "v=spf1 exists:%{i}._spf.example.com ip4:192.0.2.1 ~all"}},
     {}, "192.0.2.1", SpfResult::pass, 1, 0, {"spf-macro(w)"}, ""},
    {"a with a prefix covers the range", {{"example.com", "v=spf1 a/24 -all"}},
     {{"example.com", "192.0.2.20"}}, "192.0.2.0/25", SpfResult::pass, 1, 0, {}, ""},
    {"a without a prefix does not cover a range", {{"example.com", "v=spf1 a -all"}},
     {{"example.com", "192.0.2.20"}}, "192.0.2.0/24", SpfResult::fail, 1, 0, {}, "-all"},
    {"ip6 range", {{"example.com", "v=spf1 ip6:2001:db8::/32 -all"}}, {}, "2001:db8:1::/48",
     SpfResult::pass, 0, 0, {}, ""},
    {"ip4 does not match ip6", {{"example.com", "v=spf1 ip4:192.0.2.0/24 -all"}}, {}, "2001:db8::1",
     SpfResult::fail, 0, 0, {}, "-all"},
    {"syntax: bad ip4", {{"example.com", "v=spf1 ip4:300.1.1.1 -all"}}, {}, "",
     SpfResult::permerror, 0, 0, {"spf-invalid"}, ""},
    {"syntax: unknown mechanism", {{"example.com", "v=spf1 foo:bar.example -all"}}, {}, "",
     SpfResult::permerror, 0, 0, {"spf-invalid"}, ""},
    {"syntax: include without domain", {{"example.com", "v=spf1 include: -all"}}, {}, "",
     SpfResult::permerror, 0, 0, {"spf-invalid"}, ""},
    {"syntax: include of a bare label", {{"example.com", "v=spf1 include:localhost -all"}}, {}, "",
     SpfResult::permerror, 0, 0, {"spf-invalid"}, ""},
    {"syntax: redirect twice", {{"example.com", "v=spf1 redirect=a.example redirect=b.example"}}, {}, "",
     SpfResult::permerror, 0, 0, {"spf-invalid"}, ""},
    {"two records", {{"example.com", "v=spf1 -all"}, {"example.com", "v=spf1 ~all"}}, {}, "",
     SpfResult::permerror, 0, 0, {"spf-multiple"}, ""},
    {"no record", {{"example.com", "google-site-verification=abc"}}, {}, "",
     SpfResult::none, 0, 0, {}, ""},
    {"v=spf10 is not SPF", {{"example.com", "v=spf10 -all"}}, {}, "", SpfResult::none, 0, 0, {}, ""},
    {"unknown modifier ignored", {{"example.com", "v=spf1 foo=bar -all"}}, {}, "192.0.2.1",
     SpfResult::fail, 0, 0, {}, "-all"},
  };
  for (const Case& c : cases) {
    SECTION(c.name)
    {
      Zone z;
      for (const auto& [n, r] : c.txt) {
        z.txt(n, r);
      }
      for (const auto& [n, r] : c.a) {
        z.a(n, r);
      }
      const Outcome o = run(z, "example.com", c.target);
      CHECK(o.eval.result == c.result);
      CHECK(o.eval.lookups == c.lookups);
      CHECK(o.eval.void_lookups == c.void_lookups);
      CHECK(codes(o.eval.problems) == c.codes);
      if (!c.all.empty()) {
        CHECK(o.eval.all == c.all);
      }
    }
  }
}

TEST_CASE("SPF: the 10th DNS lookup is allowed, the 11th is a permerror")
{
  Zone ten = include_chain(10);
  const Outcome o10 = run(ten, "example.com", "");
  CHECK(o10.eval.result == SpfResult::fail);       // nothing matched: the final -all
  CHECK(o10.eval.lookups == 10);
  CHECK(o10.eval.problems.empty());
  // Includes are asked for in one round: 1 for the record, 1 for all ten includes.
  CHECK(o10.rounds == 2);
  // An address in the 10th include passes.
  CHECK(run(ten, "example.com", "10.0.0.10").eval.result == SpfResult::pass);

  Zone eleven = include_chain(11);
  const Outcome o11 = run(eleven, "example.com", "");
  CHECK(o11.eval.result == SpfResult::permerror);
  CHECK(o11.eval.lookups == 11);
  REQUIRE(codes(o11.eval.problems) == std::vector<std::string>{"spf-too-many-lookups"});
  CHECK(o11.eval.problems[0].message.find("the 11th is 'include:i11.example.net'") != std::string::npos);
  // An address matched before the limit still passes (evaluation stops at the match).
  CHECK(run(eleven, "example.com", "10.0.0.3").eval.result == SpfResult::pass);
  CHECK(run(eleven, "example.com", "10.0.0.11").eval.result == SpfResult::permerror);

  // a, mx and nested includes count too: 4 + 1 (mx) + 1 (a) + nested 5 = 11.
  Zone mixed = include_chain(4);
  mixed.records.erase({"example.com", test_zone::RrType::txt});
  mixed.txt("example.com", "v=spf1 include:i1.example.net include:i2.example.net include:i3.example.net "
                           "include:i4.example.net mx a include:deep.example.net ~all");
  mixed.txt("deep.example.net", "v=spf1 include:i1.example.net include:i2.example.net "
                                "include:i3.example.net include:i4.example.net a -all");
  mixed.a("example.com", "192.0.2.1").add("example.com", test_zone::RrType::mx, {"10 mail.example.com"});
  mixed.a("mail.example.com", "192.0.2.2").a("deep.example.net", "192.0.2.3");
  const Outcome om = run(mixed, "example.com", "");
  CHECK(om.eval.lookups == 11);
  CHECK(om.eval.result == SpfResult::permerror);
}

TEST_CASE("SPF ~all walk reports the all qualifier of the record")
{
  Zone z = include_chain(2, "~all");
  CHECK(run(z, "example.com", "").eval.all == "~all");
}

TEST_CASE("SPF ranges: a partial match with another result is not a pass")
{
  Zone z;
  z.txt("example.com", "v=spf1 -ip4:192.0.2.128/25 ip4:192.0.2.0/24 -all");
  const Outcome whole = run(z, "example.com", "192.0.2.0/24");
  CHECK(whole.eval.result == SpfResult::pass);
  CHECK(whole.eval.partial);
  const Outcome half = run(z, "example.com", "192.0.2.0/25");
  CHECK(half.eval.result == SpfResult::pass);
  CHECK_FALSE(half.eval.partial);
  CHECK(run(z, "example.com", "192.0.2.200").eval.result == SpfResult::fail);
}

TEST_CASE("SPF mx and ptr mechanisms")
{
  Zone z;
  z.txt("example.com", "v=spf1 mx ptr:example.com -all");
  z.add("example.com", test_zone::RrType::mx, {"10 mail.example.com", "20 backup.example.com"});
  z.a("mail.example.com", "192.0.2.20").a("backup.example.com", "192.0.2.21");
  z.add("30.2.0.192.in-addr.arpa", test_zone::RrType::ptr, {"relay.example.com"});
  z.a("relay.example.com", "192.0.2.30");
  z.add("31.2.0.192.in-addr.arpa", test_zone::RrType::ptr, {"spoof.example.com"});
  z.a("spoof.example.com", "192.0.2.99");   // does not confirm

  CHECK(run(z, "example.com", "192.0.2.21").eval.result == SpfResult::pass);
  const Outcome ptr = run(z, "example.com", "192.0.2.30");
  CHECK(ptr.eval.result == SpfResult::pass);
  CHECK(ptr.eval.lookups == 2);
  CHECK(codes(ptr.eval.problems) == std::vector<std::string>{"spf-ptr(w)"});
  CHECK(run(z, "example.com", "192.0.2.31").eval.result == SpfResult::fail);
  // A range is never decided by ptr: it is uncertain.
  const Outcome range = run(z, "example.com", "192.0.2.0/24");
  CHECK(range.eval.result == SpfResult::fail);
  CHECK(range.eval.uncertain);
}

TEST_CASE("SPF: a lookup that times out is a temperror")
{
  Zone z;
  z.txt("example.com", "v=spf1 include:slow.example.net -all");
  z.timeouts.insert("slow.example.net");
  const Outcome o = run(z, "example.com", "");
  CHECK(o.eval.result == SpfResult::temperror);
  CHECK(codes(o.eval.problems) == std::vector<std::string>{"spf-dns-error(w)"});
}

TEST_CASE("SPF record rewriting keeps every mechanism")
{
  CHECK(dmarc::record_text::with_all_qualifier("v=spf1 mx a include:_spf.relay.example ~all", '-')
        == "v=spf1 mx a include:_spf.relay.example -all");
  CHECK(dmarc::record_text::with_all_qualifier("v=spf1  ip4:192.0.2.1   ?all exp=x.example", '-')
        == "v=spf1  ip4:192.0.2.1   -all exp=x.example");
  CHECK(dmarc::record_text::with_all_qualifier("v=spf1 mx all", '~') == "v=spf1 mx ~all");
  CHECK_FALSE(dmarc::record_text::with_all_qualifier("v=spf1 redirect=_spf.example.com", '-'));
  CHECK(dmarc::record_text::all_term("v=spf1 mx ~ALL") == "~ALL");
  CHECK(dmarc::record_text::all_term("v=spf1 mx") == "");
}
