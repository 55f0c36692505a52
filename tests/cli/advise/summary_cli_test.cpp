// End-to-end tests of the full `dmarcctl summary` over generated reports, and of the
// rollups behind it: the sums kept at import (src/store/rollups.cpp) equal what the
// backfill of sql/0003_rollups.sql computes from the stored rows.
#include "support/process.hpp"
#include "support/report_gen.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <ctime>
#include <filesystem>
#include <map>

using namespace dmarc::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int64_t k_first_day = 19800;   // 2024-03-18
const std::string k_last = "2024-03-31"; // k_first_day + 13

// 14 days × 2 reporters: your server (100), a forwarder (10), 12 spoofers (1 each, a new
// set of addresses every day), and TLS reports with 2 certificate failures a day.
std::string make_reports(const TempDir& dir)
{
  const std::string reports = dir / "reports";
  gen::Scenario s;
  s.domain = "example.com";
  s.first_day = k_first_day;
  s.days = 14;
  s.records = [](int day, int) {
    std::vector<gen::Record> r = {gen::authorized("203.0.113.10", "example.com", 100),
                                  gen::forwarder("192.0.2.50", "example.com", 10)};
    for (int i = 0; i < 12; ++i) {
      r.push_back(gen::spoofer("198.51.100." + std::to_string(day * 12 + i), "example.com", 1));
    }
    return r;
  };
  gen::write(s, reports);
  gen::TlsScenario t;
  t.first_day = k_first_day;
  t.days = 14;
  t.day = [](int, int) {
    gen::TlsDay d;
    d.failures = {{"certificate-expired", 2}};
    return d;
  };
  gen::write_tls(t, reports);
  return reports;
}

} // namespace

TEST_CASE("summary: volume, pass shares, sources, reporters, selectors and TLS per domain")
{
  TempDir dir;
  const std::string db = dir / "s.sqlite";
  REQUIRE(dmarcctl({"-q", "--db", db, "import", make_reports(dir)}).exit_code == 0);

  const RunResult r = dmarcctl({"--db", db, "summary", "--as-of", k_last, "--since", "14d",
                                "--format", "json"});
  REQUIRE(r.exit_code == 0);
  const json doc = json::parse(r.out);
  CHECK(doc.at("since") == "2024-03-18");
  CHECK(doc.at("until") == "2024-03-31");
  REQUIRE(doc.at("domains").size() == 1);
  const json& d = doc.at("domains").at(0);
  const int64_t n = 14 * 2;
  CHECK(d.at("domain") == "example.com");
  CHECK(d.at("reports") == n);
  CHECK(d.at("records") == n * 14);
  CHECK(d.at("messages") == n * 122);
  CHECK(d.at("dmarc_pass") == n * 110);
  CHECK(d.at("dkim_aligned") == n * 110);
  CHECK(d.at("spf_aligned") == n * 100);
  CHECK(d.at("dmarc_pass_share") == Approx(110.0 / 122.0));
  CHECK(d.at("dispositions").at("none") == n * 122);
  CHECK(d.at("days") == 14);
  CHECK(d.at("policy").at("p") == "none");
  CHECK(d.at("policy").at("since") == "2024-03-18");
  REQUIRE(d.at("reporters").size() == 2);
  CHECK(d.at("reporters").at(0).at("reports") == 14);
  CHECK(d.at("reporters").at(0).at("days") == 14);
  CHECK(d.at("source_count") == 2 + 14 * 12);
  REQUIRE(d.at("sources").size() == 10);
  CHECK(d.at("sources").at(0).at("ip") == "203.0.113.10");
  CHECK(d.at("sources").at(0).at("messages") == n * 100);
  CHECK(d.at("sources").at(0).at("first_seen") == "2024-03-18");
  CHECK(d.at("sources").at(0).at("last_seen") == k_last);
  CHECK(d.at("sources").at(1).at("ip") == "192.0.2.50");
  CHECK(d.at("sources").at(1).at("forwarded") == n * 10);
  CHECK(d.at("sources").at(1).at("spf_aligned_share") == 0.0);
  REQUIRE(d.at("selectors").size() == 1);
  CHECK(d.at("selectors").at(0).at("selector") == "mailcow");
  CHECK(d.at("selectors").at(0).at("messages") == n * 110);
  CHECK(d.at("selectors").at(0).at("aligned_pass_share") == 1.0);
  REQUIRE(d.at("tls").size() == 1);
  const json& tls = d.at("tls").at(0);
  CHECK(tls.at("policy_type") == "sts");
  CHECK(tls.at("mode") == "testing");
  CHECK(tls.at("reports") == n);
  CHECK(tls.at("success") == n * 100);
  CHECK(tls.at("failure") == n * 2);
  CHECK(tls.at("failures").at("certificate-expired") == n * 2);

  // The window is whole UTC days: the last 7 days hold half of it.
  const RunResult week = dmarcctl({"--db", db, "summary", "--as-of", k_last, "--since", "7d",
                                   "--format", "json"});
  CHECK(json::parse(week.out).at("domains").at(0).at("messages") == 7 * 2 * 122);
  const RunResult day = dmarcctl({"--db", db, "summary", "--as-of", k_last, "--since", k_last,
                                  "--format", "json", "--domain", "EXAMPLE.COM"});
  CHECK(json::parse(day.out).at("domains").at(0).at("messages") == 2 * 122);
  const RunResult dot = dmarcctl({"--db", db, "summary", "--as-of", k_last, "--since", k_last,
                                  "--format", "json", "--domain", " Example.COM. "});
  CHECK(json::parse(dot.out).at("domains").at(0).at("messages") == 2 * 122);

  const RunResult text = dmarcctl({"--db", db, "summary", "--as-of", k_last});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("Reports from 2024-03-04 to 2024-03-31 (28 days)") != std::string::npos);
  CHECK(text.out.find("  DMARC        28 reports from 2 reporters on 14 days, 3,416 messages")
        != std::string::npos);
  CHECK(text.out.find("  Pass         90.1% pass DMARC, DKIM aligned 90.1%, SPF aligned 81.9%")
        != std::string::npos);
  CHECK(text.out.find("Top sources (10 of 170)") != std::string::npos);
  CHECK(text.out.find("    203.0.113.10                                 2,800    100%    100%    100%")
        != std::string::npos);
  CHECK(text.out.find("  TLS-RPT      sts (mode testing): 28 reports, 2,856 sessions, 1.9% failed")
        != std::string::npos);
  for (const std::string& line : lines(text.out)) {
    INFO(line);
    CHECK(line.size() <= 80);
  }

  const RunResult csv = dmarcctl({"--db", db, "summary", "--as-of", k_last, "--format", "csv"});
  REQUIRE(lines(csv.out).size() == 2);
  CHECK(lines(csv.out).at(0).rfind("domain,reports,records,messages,dmarc_pass,dmarc_pass_share,", 0) == 0);
  CHECK(lines(csv.out).at(1)
        == "example.com,28,392,3416,3080,0.9016,3080,0.9016,2800,0.8197,0,0,2,14,170,2024-03-18,"
           "2024-03-31,p=none,2800,56");
}

TEST_CASE("the rollups kept at import equal the backfill of sql/0003 from the stored rows")
{
  TempDir dir;
  const std::string live = dir / "live.sqlite";
  // A relay that signs with its own domain besides yours: an unaligned passing DKIM d=.
  gen::Report relay;
  relay.org_name = "relay-reporter.example";
  relay.report_id = "relay-1";
  relay.domain = "Example.COM";
  relay.begin = k_first_day * 86400 + 3600;
  relay.end = relay.begin + 86399;
  gen::Record signed_twice = gen::authorized("198.51.100.200", "example.com", 5);
  signed_twice.dkim_results.push_back({"relay.example.net", "r1", "pass"});
  signed_twice.dkim_results.push_back({"mta.example.org", "m1", "pass"});
  relay.records = {signed_twice, gen::authorized("198.51.100.201", "example.com", 2)};
  write_file(dir / "relay.xml", gen::xml(relay));
  // Generated reports plus every fixture: upper-case domains, IPv6, several DKIM/SPF
  // results, reasons, huge counts, TLS reports with several policies.
  const RunResult imported = dmarcctl({"-q", "--db", live, "import", make_reports(dir),
                                       fixture("dmarc"), fixture("tlsrpt"), fixture("mail"),
                                       fixture("expected/export-sample.xml"), dir / "relay.xml"});
  REQUIRE((imported.exit_code == 0 || imported.exit_code == 3));
  REQUIRE(scalar(live, "SELECT COUNT(*) FROM daily_sources") > 40);
  REQUIRE(scalar(live, "SELECT COUNT(*) FROM daily_failing") > 100);
  CHECK(query(live, "SELECT dkim_signer FROM daily_sources WHERE source_ip = '198.51.100.200'")
        == std::vector<Row>{{std::string("mta.example.org")}});

  const std::string copy = dir / "backfilled.sqlite";
  fs::copy_file(live, copy);
  const std::string migration = read_file(std::string(DMARC_SOURCE_DIR) + "/sql/0003_rollups.sql");
  const std::size_t backfill = migration.find("-- ---- Backfill");
  REQUIRE(backfill != std::string::npos);
  const char* const tables[] = {"daily_reporters", "daily_policies", "daily_sources",
                                "daily_failing", "daily_selectors", "daily_tls",
                                "daily_tls_failures"};
  {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(copy.c_str(), &handle) == SQLITE_OK);
    std::string sql = "BEGIN;";
    for (const char* t : tables) {
      sql += std::string("DELETE FROM ") + t + ";";
    }
    sql += migration.substr(backfill) + "COMMIT;";
    char* message = nullptr;
    const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &message);
    INFO((message != nullptr ? message : ""));
    CHECK(rc == SQLITE_OK);
    sqlite3_free(message);
    sqlite3_close(handle);
  }
  for (const char* t : tables) {
    INFO(t);
    const std::string select = std::string("SELECT * FROM ") + t + " ORDER BY 1, 2, 3, 4, 5";
    const auto a = query(live, select);
    const auto b = query(copy, select);
    CHECK(a.size() > 0);
    CHECK(a == b);
  }
}

TEST_CASE("reverse DNS names from the sources table: shown by summary, matched by advise")
{
  TempDir dir;
  const std::string db = dir / "n.sqlite";
  gen::Scenario s;
  s.domain = "example.com";
  s.first_day = k_first_day;
  s.days = 14;
  s.records = [](int, int) {
    std::vector<gen::Record> r = {gen::authorized("203.0.113.10", "example.com", 100)};
    auto relay = gen::partly("198.51.100.25", "example.com", 10, 5);   // your relay, failing half
    r.insert(r.end(), relay.begin(), relay.end());
    return r;
  };
  gen::write(s, dir / "reports");
  REQUIRE(dmarcctl({"-q", "--db", db, "import", dir / "reports"}).exit_code == 0);
  // The reverse DNS stage is a later release: write what it would.
  {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
    CHECK(sqlite3_exec(handle, "INSERT INTO sources (ip, reverse_dns) VALUES ('198.51.100.25', "
                               "'out7.mxrouting.net')", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(handle);
  }

  const RunResult summary = dmarcctl({"--db", db, "summary", "--as-of", k_last});
  CHECK(summary.out.find("    198.51.100.25 out7.mxrouting.net") != std::string::npos);

  write_file(dir / "c.toml", "[[domain]]\nname = \"example.com\"\nauthorized_ips = [\"203.0.113.10\"]\n"
                             "authorized_ptr_domains = [\"mxrouting.net\"]\n");
  const RunResult advice = dmarcctl({"-c", dir / "c.toml", "--db", db, "advise", "--as-of", k_last,
                                     "--format", "json"});
  REQUIRE(advice.exit_code == 0);
  const json d = json::parse(advice.out).at("domains").at(0);
  CHECK(d.at("sources").at("authorized").at("sources") == 2);
  CHECK(d.at("dmarc").at("verdict") == "hold");
  REQUIRE(d.at("dmarc").at("blockers").size() == 2);   // the relay, and the overall share
  CHECK(d.at("dmarc").at("blockers").at(0).at("source") == "198.51.100.25");
  CHECK(d.at("dmarc").at("blockers").at(0).at("why").get<std::string>().find(
          "reverse DNS out7.mxrouting.net in authorized_ptr_domains") != std::string::npos);
  // Without the PTR rule the relay fails too often to count as yours: unknown, no blocker.
  write_file(dir / "plain.toml", "[[domain]]\nname = \"example.com\"\nauthorized_ips = [\"203.0.113.10\"]\n");
  const RunResult plain = dmarcctl({"-c", dir / "plain.toml", "--db", db, "advise", "--as-of", k_last,
                                    "--format", "json"});
  const json p = json::parse(plain.out).at("domains").at(0);
  CHECK(p.at("dmarc").at("verdict") == "advance");
  CHECK(p.at("sources").at("unknown").at("sources") == 1);
}

TEST_CASE("summary --since 28d without --as-of is the 28 days ending today, like advise")
{
  // Reports on the last 29 days, one reporter: the oldest lies outside both windows.
  TempDir dir;
  const int64_t today = static_cast<int64_t>(std::time(nullptr)) / 86400;
  gen::Scenario s;
  s.domain = "example.com";
  s.first_day = today - 28;
  s.days = 29;
  s.reporters = {"google.com"};
  s.records = [](int, int) {
    return std::vector<gen::Record>{gen::authorized("203.0.113.10", "example.com", 10)};
  };
  gen::write(s, dir / "reports");
  const std::string db = dir / "s.sqlite";
  REQUIRE(dmarcctl({"-q", "--db", db, "import", dir / "reports"}).exit_code == 0);
  const RunResult r = dmarcctl({"--db", db, "summary", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  const json doc = json::parse(r.out);
  const json& d = doc.at("domains").at(0);
  CHECK(d.at("days") == 28);
  CHECK(d.at("messages") == 280);
  const RunResult advice = dmarcctl({"--db", db, "advise", "--format", "json"});
  REQUIRE(advice.exit_code == 0);
  const json a = json::parse(advice.out);
  CHECK(a.at("domains").at(0).at("window").at("from") == doc.at("since"));
  CHECK(a.at("domains").at(0).at("dmarc").at("evidence").at("days") == 28);
}

TEST_CASE("summary text: an address or name longer than its column gets a line of its own")
{
  // An IPv6 source of 39 characters, a long reporter name and selector: the table column is
  // 35 wide, and a cut address ("2001:db8:1234:5678:9abc:def0:123...") names no source.
  TempDir dir;
  const std::string ip = "2001:db8:1234:5678:9abc:def0:1234:5678";
  const std::string org = "Enterprise Mail Protection Services of a Large Company Inc.";
  gen::Report report;
  report.org_name = org;
  report.report_id = "long-1";
  report.domain = "example.com";
  report.begin = k_first_day * 86400;
  report.end = report.begin + 86399;
  report.records = {gen::authorized(ip, "example.com", 1234567, "selector-2024-rotation-for-the-relay"),
                    gen::authorized("203.0.113.10", "example.com", 10)};
  write_file(dir / "long.xml", gen::xml(report));
  const std::string db = dir / "l.sqlite";
  REQUIRE(dmarcctl({"-q", "--db", db, "import", dir / "long.xml"}).exit_code == 0);

  const RunResult r = dmarcctl({"--db", db, "summary", "--as-of", k_last});
  REQUIRE(r.exit_code == 0);
  INFO(r.out);
  CHECK(r.out.find("\n    " + ip + "\n" + std::string(39, ' ')
                   + "      1,234,567    100%    100%    100%\n")
        != std::string::npos);
  CHECK(r.out.find("\n    203.0.113.10" + std::string(36, ' ') + "10    100%    100%    100%\n")
        != std::string::npos);
  CHECK(r.out.find("\n    " + org + "\n") != std::string::npos);
  CHECK(r.out.find("\n    selector-2024-rotation-for-the-relay (example.com)\n")
        != std::string::npos);
  CHECK(r.out.find("...") == std::string::npos);
  for (const std::string& line : lines(r.out)) {
    INFO(line);
    CHECK(line.size() <= 80);
  }
}

TEST_CASE("summary and advise refuse a day the calendar lacks instead of rolling it over")
{
  TempDir dir;
  const std::string db = dir / "e.sqlite";
  REQUIRE(dmarcctl({"-q", "--db", db, "import", make_reports(dir)}).exit_code == 0);
  const RunResult as_of = dmarcctl({"--db", db, "summary", "--as-of", "2024-02-30"});
  CHECK(as_of.exit_code == 2);
  CHECK(as_of.out.empty());
  CHECK(as_of.err.find("--as-of: expected YYYY-MM-DD, got '2024-02-30'") != std::string::npos);
  const RunResult since = dmarcctl({"--db", db, "summary", "--since", "2024-04-31"});
  CHECK(since.exit_code == 2);
  CHECK(since.err.find("--since: expected Nd, Nw, Nh or YYYY-MM-DD, got '2024-04-31'")
        != std::string::npos);
  const RunResult after = dmarcctl({"--db", db, "summary", "--as-of", "2024-03-10", "--since",
                                    "2024-03-20"});
  CHECK(after.exit_code == 2);
  CHECK(after.out.empty());
  CHECK(after.err.find("--since 2024-03-20 is after 2024-03-10, the last day of the period")
        != std::string::npos);
  const RunResult advise = dmarcctl({"--db", db, "advise", "--as-of", "2023-02-29"});
  CHECK(advise.exit_code == 2);
  CHECK(advise.err.find("--as-of: expected YYYY-MM-DD, got '2023-02-29'") != std::string::npos);
}

TEST_CASE("a domain with TLS reports only: summary says there are no DMARC reports")
{
  TempDir dir;
  gen::TlsScenario t;
  t.domain = "tls-only.example";
  t.first_day = k_first_day;
  t.days = 3;
  gen::write_tls(t, dir / "tls");
  const std::string db = dir / "t.sqlite";
  REQUIRE(dmarcctl({"-q", "--db", db, "import", dir / "tls"}).exit_code == 0);

  const RunResult r = dmarcctl({"--db", db, "summary", "--as-of", k_last});
  REQUIRE(r.exit_code == 0);
  INFO(r.out);
  CHECK(r.out.find("\ntls-only.example\n  DMARC        no aggregate reports in this period\n"
                   "  TLS-RPT      sts") != std::string::npos);

  // advise: the checks without a step ("DMARC      WAIT") end without trailing blanks.
  const RunResult a = dmarcctl({"--db", db, "advise", "--as-of", k_last});
  REQUIRE(a.exit_code == 0);
  INFO(a.out);
  CHECK(a.out.find("\n  DMARC      WAIT\n") != std::string::npos);
  for (const std::string& line : lines(a.out)) {
    INFO(line);
    CHECK((line.empty() || line.back() != ' '));
  }
}

TEST_CASE("a no-policy-found without policy-domain counts for its report's domain; alone it "
          "is listed but not advised")
{
  // The fixture's report is about example.com (a tlsa policy names it) and has a
  // no-policy-found policy without a domain beside it; the second report has only such a
  // policy, so it names no domain at all.
  TempDir dir;
  const std::string alone = dir / "alone.json";
  write_file(alone, R"({"organization-name":"mx.example.net","report-id":"npf-alone",)"
                    R"("date-range":{"start-datetime":"2024-05-03T00:00:00Z",)"
                    R"("end-datetime":"2024-05-03T23:59:59Z"},"policies":[{"policy":)"
                    R"({"policy-type":"no-policy-found"},"summary":)"
                    R"({"total-successful-session-count":9,"total-failure-session-count":0}}]})");
  const std::string db = dir / "n.sqlite";
  REQUIRE(dmarcctl({"-q", "--db", db, "import", fixture("tlsrpt/no-policy-found-no-domain.json"),
                    alone})
            .exit_code == 0);

  const RunResult summary =
    dmarcctl({"--db", db, "summary", "--as-of", "2024-05-10", "--format", "json"});
  REQUIRE(summary.exit_code == 0);
  INFO(summary.out);
  std::map<std::string, std::string> sessions;   // "domain policy_type" -> "success/failure"
  const json doc = json::parse(summary.out);
  for (const json& d : doc.at("domains")) {
    for (const json& t : d.at("tls")) {
      sessions[d.at("domain").get<std::string>() + " " + t.at("policy_type").get<std::string>()] =
        t.at("success").dump() + "/" + t.at("failure").dump();
    }
  }
  CHECK(sessions == std::map<std::string, std::string>{{" no-policy-found", "9/0"},
                                                       {"example.com no-policy-found", "7/0"},
                                                       {"example.com tlsa", "4/1"}});
  const RunResult text = dmarcctl({"--db", db, "summary", "--as-of", "2024-05-10"});
  CHECK(text.out.find("\n(no policy domain)\n") != std::string::npos);

  // Nothing to advise for no domain: no empty heading, no "_mta-sts." record.
  const RunResult advise =
    dmarcctl({"--db", db, "advise", "--as-of", "2024-05-10", "--format", "json"});
  REQUIRE(advise.exit_code == 0);
  std::vector<std::string> advised;
  const json advice = json::parse(advise.out);
  for (const json& d : advice.at("domains")) {
    advised.push_back(d.at("domain").get<std::string>());
  }
  CHECK(advised == std::vector<std::string>{"example.com"});
  const RunResult advise_text = dmarcctl({"--db", db, "advise", "--as-of", "2024-05-10"});
  INFO(advise_text.out);
  CHECK(advise_text.out.find("for :") == std::string::npos);
  CHECK(advise_text.out.find("\n\n\n") == std::string::npos);

  // export: the policy's missing policy-domain is null, like the report's domain.
  const RunResult jsonl = dmarcctl({"--db", db, "export"});
  REQUIRE(jsonl.exit_code == 0);
  std::vector<std::string> domains;
  for (const std::string& line : lines(jsonl.out)) {
    const json r = json::parse(line);
    for (const json& p : r.at("policies")) {
      domains.push_back(r.at("domain").dump() + " " + p.at("policy_domain").dump());
    }
  }
  CHECK(domains == std::vector<std::string>{R"("example.com" null)", R"("example.com" "example.com")",
                                            "null null"});
}
