// End-to-end tests of `dmarcctl advise` (and the advise step of `run`): report sets spanning
// weeks, written by tests/support/report_gen, imported with the built binary, then judged
// with `advise --format json --as-of`. One database holds a domain per scenario.
#include "support/process.hpp"
#include "support/report_gen.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <map>
#include <tuple>

using namespace dmarc::test;
using json = nlohmann::json;

namespace {

constexpr int64_t k_as_of_day = 19813;          // 2024-03-31
const std::string k_as_of = "2024-03-31";
constexpr int64_t k_first_day = k_as_of_day - 21; // 21 days of reports, the last yesterday

const char* const k_config = R"(
[advisor]
window_days = 28

[[domain]]
name = "advance.example"
authorized_ips = ["203.0.113.0/24"]
dkim_selectors = ["mailcow"]
rua = "dmarc@advance.example"

[[domain]]
name = "hold.example"
authorized_ips = ["203.0.113.10", "203.0.113.20"]
rua = "mailto:dmarc@hold.example"

[[domain]]
name = "onereporter.example"
authorized_ips = ["203.0.113.10"]

[[domain]]
name = "reject.example"
authorized_ips = ["203.0.113.0/24", "2001:db8:10::/48"]

[[domain]]
name = "done.example"
authorized_ips = ["203.0.113.10"]

[[domain]]
name = " Quarantine.Example. "   # as people write it: case, a trailing dot, spaces
authorized_ips = ["203.0.113.10"]

[[domain]]
name = "pct.example"
authorized_ips = ["203.0.113.10"]

[[domain]]
name = "testing.example"
authorized_ips = ["203.0.113.10"]

[[domain]]
name = "selector.example"
authorized_ips = ["203.0.113.10"]
dkim_selectors = ["mailcow", "x"]

[[domain]]
name = "esp.example"
authorized_ips = ["203.0.113.10"]
rua = "dmarc@esp.example"

[[domain]]
name = "quiet.example"
authorized_ips = ["203.0.113.10"]
)";

using gen::Record;

gen::Policy policy(const std::string& p, std::optional<int> pct = std::nullopt,
                   std::optional<std::string> testing = std::nullopt)
{
  gen::Policy out;
  out.p = p;
  out.pct = pct;
  out.testing = std::move(testing);
  return out;
}

gen::Scenario scenario(const std::string& domain, std::function<std::vector<Record>(int, int)> records,
                       gen::Policy policy = {})
{
  gen::Scenario s;
  s.domain = domain;
  s.first_day = k_first_day;
  s.days = 21;
  s.policy = [policy](int) { return policy; };
  s.records = std::move(records);
  return s;
}

// Per reporter and day: your server, a forwarder, two spoofers.
std::vector<Record> healthy(const std::string& domain, int day)
{
  return {gen::authorized("203.0.113.10", domain, 200), gen::forwarder("192.0.2.50", domain, 30),
          gen::spoofer("198.51.100.66", domain, 50),
          gen::spoofer("198.51.100." + std::to_string(100 + day), domain, 3)};
}

gen::TlsScenario tls(const std::string& domain, std::function<gen::TlsDay(int, int)> day)
{
  gen::TlsScenario t;
  t.domain = domain;
  t.first_day = k_first_day;
  t.days = 21;
  t.day = std::move(day);
  return t;
}

struct World
{
  TempDir dir;
  std::string db = dir / "reports.sqlite";
  std::string config = dir / "dmarcctl.toml";
  RunResult import;
};

// Writes every scenario and imports it once (shared by the test cases).
World& world()
{
  static World w;
  static const bool ready = [] {
    write_file(w.config, k_config);
    const std::string reports = w.dir / "reports";
    gen::write(scenario("advance.example", [](int day, int) { return healthy("advance.example", day); }),
               reports);
    gen::write_tls(tls("advance.example", [](int, int) { return gen::TlsDay{}; }), reports);

    gen::write(scenario("hold.example",
                        [](int day, int) {
                          auto r = healthy("hold.example", day);
                          auto part = gen::partly("203.0.113.20", "hold.example", 20, 16);
                          r.insert(r.end(), part.begin(), part.end());
                          return r;
                        }),
               reports);
    gen::write_tls(tls("hold.example",
                       [](int day, int) {
                         gen::TlsDay d;
                         if (day >= 18) {
                           d.failures = {{"certificate-expired", 4}};
                         }
                         return d;
                       }),
                   reports);

    // A newsletter service sending as esp.example, signing and bouncing as its own domain.
    gen::write(scenario("esp.example",
                        [](int day, int) {
                          auto r = healthy("esp.example", day);
                          Record esp;
                          esp.ip = "198.2.128.5";
                          esp.count = 20;
                          esp.dkim = "fail";
                          esp.spf = "fail";
                          esp.envelope_from = "mail123.mcsv.net";
                          esp.dkim_results = {{"mcsv.net", "k2", "pass"}};
                          esp.spf_results = {{"mail123.mcsv.net", "mfrom", "pass"}};
                          r.push_back(esp);
                          return r;
                        }),
               reports);

    gen::Scenario one = scenario("onereporter.example",
                                 [](int day, int) { return healthy("onereporter.example", day); });
    one.reporters = {"google.com"};
    gen::write(one, reports);

    gen::write(scenario("reject.example",
                        [](int day, int) {
                          auto r = healthy("reject.example", day);
                          auto part = gen::partly("2001:db8:10::25", "reject.example", 100, 70);
                          r.insert(r.end(), part.begin(), part.end());
                          return r;
                        },
                        policy("reject")),
               reports);

    gen::write(scenario("done.example", [](int day, int) { return healthy("done.example", day); },
                        policy("reject")),
               reports);
    gen::write_tls(tls("done.example",
                       [](int, int) {
                         gen::TlsDay d;
                         d.mode = "enforce";
                         return d;
                       }),
                   reports);

    gen::write(scenario("quarantine.example",
                        [](int day, int) { return healthy("quarantine.example", day); },
                        policy("quarantine")),
               reports);
    gen::write(scenario("pct.example", [](int day, int) { return healthy("pct.example", day); },
                        policy("quarantine", 25)),
               reports);
    gen::write(scenario("testing.example",
                        [](int day, int) { return healthy("testing.example", day); },
                        policy("quarantine", std::nullopt, "y")),
               reports);
    // The same published policy seen by an RFC 9990 reporter (t=, no pct=) and by an
    // RFC 7489 one (pct=, no t=); the older reporter's report is the newest each day.
    for (const auto& [domain, newer, older] :
         {std::tuple{"mixedt.example", policy("quarantine", std::nullopt, "y"), policy("quarantine")},
          std::tuple{"mixedpct.example", policy("quarantine"), policy("quarantine", 25)}}) {
      gen::Scenario a = scenario(domain, [domain = std::string(domain)](int day, int reporter) {
        return reporter == 0 ? healthy(domain, day) : std::vector<Record>{};
      }, newer);
      gen::write(a, reports);
      gen::Scenario b = scenario(domain, [domain = std::string(domain)](int day, int reporter) {
        return reporter == 1 ? healthy(domain, day) : std::vector<Record>{};
      }, older);
      gen::write(b, reports);
    }
    gen::write(scenario("selector.example",
                        [](int day, int) { return healthy("selector.example", day); }),
               reports);
    gen::write(scenario("inferred.example",
                        [](int day, int) { return healthy("inferred.example", day); }),
               reports);
    w.import = dmarcctl({"-q", "--db", w.db, "import", reports});
    return true;
  }();
  (void)ready;
  return w;
}

json advise(const std::vector<std::string>& extra = {})
{
  World& w = world();
  REQUIRE(w.import.exit_code == 0);
  std::vector<std::string> args{"-c", w.config, "--db", w.db, "advise", "--as-of", k_as_of,
                                "--format", "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const RunResult r = dmarcctl(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

json domain_of(const json& doc, const std::string& name)
{
  for (const json& d : doc.at("domains")) {
    if (d.at("domain") == name) {
      return d;
    }
  }
  FAIL("no domain " << name << " in the advice");
  return json();
}

// `text` with every run of white space as one space (wrapped sentences become one line).
std::string flat(const std::string& text)
{
  std::string out;
  for (char c : text) {
    if (c == ' ' || c == '\n') {
      if (!out.empty() && out.back() != ' ') {
        out += ' ';
      }
    } else {
      out += c;
    }
  }
  return out;
}

std::string blocker_sources(const json& check)
{
  std::string out;
  for (const json& b : check.at("blockers")) {
    out += (out.empty() ? "" : ",") + b.at("source").get<std::string>();
  }
  return out;
}

} // namespace

TEST_CASE("advise: every verdict on generated report sets")
{
  const json doc = advise();
  CHECK(doc.at("as_of") == k_as_of);
  CHECK(doc.at("window_days") == 28);
  CHECK(doc.at("regression") == true);
  CHECK(doc.at("domains").size() == 14);   // 13 with reports, quiet.example from the config

  SECTION("every blocker is {source: string, messages: integer, pass_share: number, why}")
  {
    int blockers = 0;
    for (const json& d : doc.at("domains")) {
      for (const char* check : {"dmarc", "spf", "dkim", "mta_sts"}) {
        for (const json& b : d.at(check).at("blockers")) {
          INFO(d.at("domain") << " " << check << " " << b.dump());
          CHECK(b.size() == 4);
          CHECK(b.at("source").is_string());
          CHECK(b.at("messages").is_number_integer());
          CHECK(b.at("pass_share").is_number());
          CHECK(b.at("why").is_string());
          ++blockers;
        }
      }
    }
    CHECK(blockers >= 8);
  }

  SECTION("none -> quarantine advances, SPF -all and MTA-STS enforce are safe")
  {
    const json d = domain_of(doc, "advance.example");
    CHECK(d.at("configured") == true);
    const json& dmarc = d.at("dmarc");
    CHECK(dmarc.at("current") == "none");
    CHECK(dmarc.at("current_pct") == 100);
    CHECK(dmarc.at("verdict") == "advance");
    CHECK(dmarc.at("next_policy") == "quarantine");
    CHECK(dmarc.at("dns_record") == "v=DMARC1; p=quarantine; rua=mailto:dmarc@advance.example");
    CHECK(dmarc.at("dns_action") == "publish");
    CHECK(dmarc.at("blockers").empty());
    const json& e = dmarc.at("evidence");
    CHECK(e.at("days") == 21);
    CHECK(e.at("reporters") == 2);
    CHECK(e.at("authorized_messages") == 21 * 2 * 200);
    CHECK(e.at("authorized_pass_share") == 1.0);
    CHECK(e.at("forwarder_messages") == 21 * 2 * 30);
    CHECK(e.at("unknown_messages") == 21 * 2 * 53);
    CHECK(e.at("unknown_sources") == 22);
    CHECK(d.at("sources").at("top").at(0).at("source") == "203.0.113.10");
    CHECK(d.at("sources").at("top").at(0).at("class") == "authorized");

    CHECK(d.at("spf").at("verdict") == "advance");
    CHECK(d.at("spf").at("current") == "~all");   // the generated spoofers get "softfail"
    CHECK(d.at("spf").at("dns_record") == "v=spf1 ip4:203.0.113.0/24 -all");
    CHECK(d.at("dkim").at("verdict") == "done");
    CHECK(d.at("dkim").at("selectors").at("mailcow").at("configured") == true);
    CHECK(d.at("dkim").at("selectors").at("mailcow").at("aligned_pass_share") == 1.0);
    const json& sts = d.at("mta_sts");
    CHECK(sts.at("current") == "testing");
    CHECK(sts.at("verdict") == "advance");
    CHECK(sts.at("dns_record") == "v=STSv1; id=20240331T000000");
    CHECK(sts.at("policy") == "version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 86400\n");
    CHECK(sts.at("evidence").at("sessions") == 21 * 2 * 100);
  }

  SECTION("an authorized source below 95% holds DMARC and SPF; recent certificate failures hold MTA-STS")
  {
    const json d = domain_of(doc, "hold.example");
    const json& dmarc = d.at("dmarc");
    CHECK(dmarc.at("verdict") == "hold");
    CHECK(dmarc.at("next_policy") == "quarantine");
    CHECK(dmarc.at("dns_action") == "keep");
    CHECK(dmarc.at("dns_record") == "v=DMARC1; p=none; rua=mailto:dmarc@hold.example");
    REQUIRE(dmarc.at("blockers").size() == 1);
    const json& b = dmarc.at("blockers").at(0);
    CHECK(b.at("source") == "203.0.113.20");
    CHECK(b.at("messages") == 21 * 2 * 20);
    CHECK(b.at("pass_share") == Approx(0.8));
    CHECK(b.at("why").get<std::string>().find("passes DMARC on only 80%") != std::string::npos);

    CHECK(d.at("spf").at("verdict") == "hold");
    CHECK(blocker_sources(d.at("spf")) == "203.0.113.20");
    const std::string why = d.at("spf").at("blockers").at(0).at("why");
    CHECK(why.find("passes SPF for @hold.example on only 80%") != std::string::npos);
    CHECK(why.find("carries aligned DKIM on only 80%") != std::string::npos);
    const json& sts = d.at("mta_sts");
    CHECK(sts.at("verdict") == "hold");
    CHECK(blocker_sources(sts) == "certificate-expired,all sessions");
    CHECK(sts.at("blockers").at(0).at("messages") == 3 * 2 * 4);
    CHECK(sts.at("blockers").at(0).at("pass_share") == 0.0);   // every such session failed
    // The blocker names the MX the reporters saw failing, so the admin knows where to look.
    CHECK(sts.at("blockers").at(0).at("why")
          == "24 failed sessions in the last 7 days (last on 2024-03-30); receiving MX in "
             "this window: mail.example.com (24 sessions); an enforced policy would stop that "
             "mail");
    CHECK(sts.at("policy").is_null());
  }

  SECTION("one reporting organization is too few: wait, and say so")
  {
    const json dmarc = domain_of(doc, "onereporter.example").at("dmarc");
    CHECK(dmarc.at("verdict") == "wait");
    REQUIRE(dmarc.at("missing").size() == 1);
    CHECK(dmarc.at("missing").at(0) == "reports from 1 more reporting organization (have 1 of 2)");
    const json sts = domain_of(doc, "onereporter.example").at("mta_sts");
    CHECK(sts.at("verdict") == "wait");
    CHECK(sts.at("current") == "unknown");
  }

  SECTION("p=reject with an authorized source failing is a regression")
  {
    const json dmarc = domain_of(doc, "reject.example").at("dmarc");
    CHECK(dmarc.at("current") == "reject");
    CHECK(dmarc.at("verdict") == "regression");
    CHECK(dmarc.at("next_policy").is_null());
    CHECK(dmarc.at("dns_action") == "keep");
    CHECK(blocker_sources(dmarc) == "2001:db8:10::25");
    CHECK(dmarc.at("blockers").at(0).at("pass_share") == Approx(0.7));
  }

  SECTION("healthy p=reject and MTA-STS enforce are done")
  {
    const json d = domain_of(doc, "done.example");
    CHECK(d.at("dmarc").at("verdict") == "done");
    CHECK(d.at("dmarc").at("next_policy").is_null());
    CHECK(d.at("mta_sts").at("current") == "enforce");
    CHECK(d.at("mta_sts").at("verdict") == "done");
  }

  SECTION("full quarantine published for 21 days advances to reject")
  {
    CHECK(domain_of(doc, "quarantine.example").at("configured") == true);
    const json dmarc = domain_of(doc, "quarantine.example").at("dmarc");
    CHECK(dmarc.at("verdict") == "advance");
    CHECK(dmarc.at("next_policy") == "reject");
    CHECK(dmarc.at("published_since") == "2024-03-10");
    CHECK(dmarc.at("evidence").at("published_days") == 21);
    CHECK(dmarc.at("dns_record") == "v=DMARC1; p=reject; rua=mailto:<your-report-address>");
  }

  SECTION("partial pct and RFC 9990 t=y advance to full quarantine")
  {
    const json pct = domain_of(doc, "pct.example").at("dmarc");
    CHECK(pct.at("current_pct") == 25);
    CHECK(pct.at("verdict") == "advance");
    CHECK(pct.at("next_policy") == "quarantine");
    CHECK(pct.at("dns_record") == "v=DMARC1; p=quarantine; rua=mailto:<your-report-address>");
    const json testing = domain_of(doc, "testing.example").at("dmarc");
    CHECK(testing.at("current_testing") == true);
    CHECK(testing.at("verdict") == "advance");
    CHECK(testing.at("next_policy") == "quarantine");
  }

  SECTION("a partial stage that only some reporters show is the published stage")
  {
    for (const char* name : {"mixedt.example", "mixedpct.example"}) {
      INFO(name);
      const json d = domain_of(doc, name);
      const json& dmarc = d.at("dmarc");
      CHECK(dmarc.at("current") == "quarantine");
      CHECK(dmarc.at("verdict") == "advance");
      CHECK(dmarc.at("next_policy") == "quarantine");
      CHECK(dmarc.at("published_since") == "2024-03-10");
      CHECK(dmarc.at("evidence").at("published_days") == 21);
      CHECK(dmarc.at("dns_record") == "v=DMARC1; p=quarantine; rua=mailto:<your-report-address>");
    }
    CHECK(domain_of(doc, "mixedt.example").at("dmarc").at("current_testing") == true);
    CHECK(domain_of(doc, "mixedpct.example").at("dmarc").at("current_pct") == 25);
  }

  SECTION("a configured DKIM selector never seen holds DKIM")
  {
    const json dkim = domain_of(doc, "selector.example").at("dkim");
    CHECK(dkim.at("verdict") == "hold");
    CHECK(blocker_sources(dkim) == "selector x");
    CHECK(dkim.at("blockers").at(0).at("messages") == 0);
    CHECK(dkim.at("blockers").at(0).at("pass_share") == 0.0);
    CHECK(dkim.at("selectors").at("x").at("seen") == false);
    CHECK(dkim.at("selectors").at("mailcow").at("seen") == true);
  }

  SECTION("without a [[domain]] block, sources are inferred and the output says so")
  {
    const json d = domain_of(doc, "inferred.example");
    CHECK(d.at("configured") == false);
    REQUIRE(d.at("notes").size() == 1);
    CHECK(d.at("notes").at(0).get<std::string>().find("inferred") != std::string::npos);
    CHECK(d.at("dmarc").at("verdict") == "advance");
    CHECK(d.at("sources").at("authorized").at("sources") == 1);
    CHECK(d.at("sources").at("forwarder").at("sources") == 1);
    CHECK(d.at("spf").at("dns_record") == "v=spf1 <your current mechanisms> -all");
  }

  SECTION("a configured domain without reports waits for them")
  {
    const json d = domain_of(doc, "quiet.example");
    CHECK(d.at("dmarc").at("verdict") == "wait");
    CHECK(d.at("dmarc").at("current").is_null());
  }
}

TEST_CASE("advise --exit-code exits 4 on a regression, 0 otherwise")
{
  World& w = world();
  REQUIRE(w.import.exit_code == 0);
  const std::vector<std::string> base{"-c", w.config, "--db", w.db, "advise", "--as-of", k_as_of};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return dmarcctl(args);
  };
  CHECK(with({"--domain", "reject.example", "--exit-code"}).exit_code == 4);
  CHECK(with({"--exit-code"}).exit_code == 4);
  CHECK(with({"--domain", "reject.example"}).exit_code == 0);
  CHECK(with({"--domain", "done.example", "--exit-code"}).exit_code == 0);
  CHECK(with({"--domain", "REJECT.example", "--format", "json"}).out.find("\"regression\": true")
        != std::string::npos);
  CHECK(with({"--as-of", "2024-13-01"}).exit_code == 2);
}

TEST_CASE("advise text: one verdict per mechanism, the record to publish, 80 columns")
{
  World& w = world();
  REQUIRE(w.import.exit_code == 0);
  const RunResult r = dmarcctl({"-c", w.config, "--db", w.db, "advise", "--as-of", k_as_of,
                                "--domain", "advance.example"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("Advice as of 2024-03-31") != std::string::npos);
  CHECK(r.out.find("DMARC      ADVANCE    p=none -> p=quarantine") != std::string::npos);
  CHECK(r.out.find("Publish: _dmarc.advance.example TXT") != std::string::npos);
  CHECK(r.out.find("\"v=DMARC1; p=quarantine; rua=mailto:dmarc@advance.example\"") != std::string::npos);
  CHECK(flat(r.out).find("it is safe to move from p=none to p=quarantine") != std::string::npos);
  CHECK(r.out.find("MTA-STS    ADVANCE    mode testing -> mode enforce") != std::string::npos);
  for (const std::string& line : lines(r.out)) {
    INFO(line);
    CHECK(line.size() <= 80);
  }
  const RunResult hold = dmarcctl({"-c", w.config, "--db", w.db, "advise", "--as-of", k_as_of,
                                   "--domain", "hold.example"});
  CHECK(flat(hold.out).find("- 203.0.113.20 (840 messages, 80.0% pass): authorized") != std::string::npos);
  CHECK(hold.out.find("Keep:    _dmarc.hold.example TXT") != std::string::npos);
}

TEST_CASE("advise text: an unlisted service signing as its own d= is named, never a blocker")
{
  World& w = world();
  REQUIRE(w.import.exit_code == 0);
  const RunResult r = dmarcctl({"-c", w.config, "--db", w.db, "advise", "--as-of", k_as_of,
                                "--domain", "esp.example"});
  REQUIRE(r.exit_code == 0);
  const std::string text = flat(r.out);
  // Unknown sources are shown, never a blocker (DESIGN.md): the advice advances ...
  CHECK(r.out.find("DMARC      ADVANCE    p=none -> p=quarantine") != std::string::npos);
  CHECK(r.out.find("\"v=DMARC1; p=quarantine; rua=mailto:dmarc@esp.example\"")
        != std::string::npos);
  // ... and names the service to check first. 21 days, 2 reporters, 20 a day: 840 messages.
  CHECK(text.find("Check first: 198.2.128.5 (840 messages, seen ") != std::string::npos);
  CHECK(text.find("signs DKIM as d=mcsv.net) authenticates as another domain") != std::string::npos);
  CHECK(text.find("add its d= to ignore_dkim_domains to silence this note.") != std::string::npos);
  // Its selector passes, just not aligned: not shown as a broken "0%".
  CHECK(r.out.find("mailcow 100%, k2 100% unaligned") != std::string::npos);
}

TEST_CASE("run prints the advice that needs action and exits 4 on a regression")
{
  // `run` judges "today": the reports are dated relative to the real day, so the verdict
  // does not depend on which day the test runs.
  TempDir dir;
  const int64_t today = static_cast<int64_t>(std::time(nullptr)) / 86400;
  gen::Scenario s;
  s.domain = "reject.example";
  s.first_day = today - 21;
  s.days = 21;
  s.policy = [](int) { return policy("reject"); };
  s.records = [](int day, int) {
    auto r = healthy("reject.example", day);
    auto part = gen::partly("203.0.113.77", "reject.example", 100, 50);
    r.insert(r.end(), part.begin(), part.end());
    return r;
  };
  gen::write(s, dir / "reports");
  write_file(dir / "c.toml", "[[domain]]\nname = \"reject.example\"\nauthorized_ips = [\"203.0.113.0/24\"]\n");
  REQUIRE(dmarcctl({"-q", "--db", dir / "r.sqlite", "import", dir / "reports"}).exit_code == 0);
  const RunResult r = dmarcctl({"-c", dir / "c.toml", "--db", dir / "r.sqlite", "run", "--offline"});
  INFO(r.err);
  CHECK(r.exit_code == 4);
  CHECK(r.out.find("DMARC      REGRESSION p=reject") != std::string::npos);
  CHECK(r.out.find("203.0.113.77") != std::string::npos);
}

TEST_CASE("advise and summary have --help with an example")
{
  for (const char* command : {"advise", "summary"}) {
    INFO(command);
    const RunResult r = dmarcctl({command, "--help"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Usage:") != std::string::npos);
    CHECK(r.out.find("--as-of") != std::string::npos);
    CHECK(r.out.find("Example: dmarcctl " + std::string(command)) != std::string::npos);
  }
  CHECK(dmarcctl({"advise", "--format", "csv"}).exit_code == 2);
}

TEST_CASE("the global options are taken after the command too")
{
  World& w = world();
  REQUIRE(w.import.exit_code == 0);
  const RunResult before = dmarcctl({"-c", w.config, "--db", w.db, "advise", "--as-of", k_as_of,
                                     "--format", "json", "--domain", "advance.example"});
  const RunResult after = dmarcctl({"advise", "--as-of", k_as_of, "--format", "json", "--domain",
                                    "advance.example", "--db", w.db, "-c", w.config, "-q"});
  INFO(after.err);
  CHECK(after.exit_code == 0);
  CHECK(after.out == before.out);
  CHECK(json::parse(after.out).at("domains").at(0).at("dmarc").at("verdict") == "advance");
  const RunResult nested = dmarcctl({"db", "check", "--db", w.db});
  CHECK(nested.exit_code == 0);
  CHECK(nested.out.find("integrity:        ok") != std::string::npos);
  CHECK(dmarcctl({"advise", "--db", w.db, "--bogus"}).exit_code == 2);
}

TEST_CASE("advise --domain names a domain without reports: wait, saying what is missing")
{
  CHECK(advise({"--domain", "Quarantine.EXAMPLE."}).at("domains").at(0).at("configured") == true);
  const json doc = advise({"--domain", "Nothing.Example"});
  REQUIRE(doc.at("domains").size() == 1);
  const json& d = doc.at("domains").at(0);
  CHECK(d.at("domain") == "nothing.example");
  CHECK(d.at("configured") == false);
  CHECK(d.at("dmarc").at("verdict") == "wait");
  CHECK(d.at("dmarc").at("current").is_null());
  CHECK(d.at("dmarc").at("next_policy").is_null());
  CHECK(d.at("dmarc").at("missing").at(0) == "DMARC aggregate reports for nothing.example in the last 28 days");
  CHECK(d.at("mta_sts").at("verdict") == "wait");
}
