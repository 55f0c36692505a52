// dmarcctl check end to end: a real authoritative DNS server (NSD) on loopback with a zone
// for every finding code, a real HTTPS server (nginx-light) serving MTA-STS policies under a
// test CA (valid, expired certificate, 404, wrong version, mx not covering an MX host), a
// 60 KB TXT record, TXT split into several strings, non-ASCII bytes, and a server that never
// answers (bounded by timeout_ms, exit 1).
#include "nginx_server.hpp"
#include "support/nsd_server.hpp"
#include "support/process.hpp"
#include "support/report_gen.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <map>
#include <set>

using dmarc::test::HttpsHost;
using dmarc::test::NginxServer;
using dmarc::test::NsdServer;
using dmarc::test::TempDir;
using json = nlohmann::json;

namespace {

// The address the MTA-STS policy hosts resolve to (any of 127/8 is loopback on Linux; not
// 127.0.0.1, so another test's server on :443 cannot collide).
const std::string k_https_address = "127.0.0.13";

const std::string k_rsa2048 = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsgLLT7blLNs+J0pgAYk/N9ZGtHA8SDo0hQCbRwOiISG5RPKhB3nNQ7z0EoVqcK9roQUHrNnhh9BHi8A2XRtKctpzxSLAIWu2xTxGptvq+gpGq8FCX5HkNO1r7Jpbw/3E0IHAtMcgOJqy81ifUb5Kae0UhrvHK4r2k4RYciremn9RDvysNzJFIRn02MGeWCZM4Vqf6kc0A6WPkShxsE2o8fZQW5RPsw/a95k1hOGbQVESzjhynuDfrT3EFR45e6GUX6SlFT7cgYY212o1N93Ni9y61m/Jm+yOjZPNRAwkm2K8XEMgOwzu/zQkM1nrTsE903R7dQiKE5hc7VSOY9KLnQIDAQAB";
const std::string k_rsa768 = "MHwwDQYJKoZIhvcNAQEBBQADawAwaAJhANMnlgIkAMhJaypRPysGmLC9rkBnkWv7aXsp8aNXI8FbRYtccPjBt6trja2YYyzfeo06S+NCIVfljQ7oC5d/cEmVXHtv+DYudSOG+LGLCZ/GHg8/qAbCSpEn8CzAo63RJQIDAQAB";

// A 2048-bit key is longer than one TXT string (255 bytes): published split in two.
std::string split_key(const std::string& prefix, const std::string& key)
{
  return "\"" + prefix + key.substr(0, 200) + "\" \"" + key.substr(200) + "\"";
}

// The zone of a domain that publishes everything right, with some parts replaced ("" drops
// a part). Parts: spf, dmarc, dkim, mx, tlsrpt, sts, extra.
std::string zone(const std::string& d, int n, std::map<std::string, std::string> parts = {})
{
  std::map<std::string, std::string> p = {
    {"spf", "@ TXT \"v=spf1 mx -all\"\n"},
    {"dmarc", "_dmarc TXT \"v=DMARC1; p=reject; rua=mailto:dmarc@" + d + "\"\n"},
    {"dkim", "s1._domainkey TXT " + split_key("v=DKIM1; k=rsa; p=", k_rsa2048) + "\n"},
    {"mx", "@ MX 10 mail\nmail A 127.0.1." + std::to_string(n) + "\n"},
    {"tlsrpt", "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tls@" + d + "\"\n"},
    {"sts", ""},
    {"extra", ""},
  };
  for (auto& [k, v] : parts) {
    p[k] = v;
  }
  std::string out;
  for (const auto& [k, v] : p) {
    out += v;
  }
  return out;
}

std::string sts(const std::string& id = "20261208")
{
  return "_mta-sts TXT \"v=STSv1; id=" + id + "\"\nmta-sts A " + k_https_address + "\n";
}

std::string policy(const std::string& mode, const std::string& mx, const std::string& version = "STSv1")
{
  return "version: " + version + "\r\nmode: " + mode + "\r\nmx: " + mx + "\r\nmax_age: 604800\r\n";
}

// Every test domain: name → (zone text, MX PTR published).
struct TestDomain
{
  std::string name;
  std::string zone;
  bool ptr = true;
};

std::vector<TestDomain> domains()
{
  std::vector<TestDomain> out;
  int n = 0;
  auto add = [&](const std::string& d, std::map<std::string, std::string> parts, bool ptr = true) {
    ++n;
    out.push_back({d, zone(d, n, std::move(parts)), ptr});
  };
  add("good.test", {{"sts", sts()}});
  add("nodmarc.test", {{"dmarc", ""}});
  add("twodmarc.test", {{"extra", "_dmarc TXT \"v=DMARC1; p=none\"\n"}});
  add("baddmarc.test", {{"dmarc", "_dmarc TXT \"v=DMARC1; p=rejekt; rua=mailto:d@baddmarc.test\"\n"}});
  add("extrua.test", {{"dmarc", "_dmarc TXT \"v=DMARC1; p=none; rua=mailto:d@reports.other.test\"\n"}});
  add("authrua.test", {{"dmarc", "_dmarc TXT \"v=DMARC1; p=none; rua=mailto:d@reports.other.test\"\n"}});
  add("nospf.test", {{"spf", ""}});
  add("twospf.test", {{"extra", "@ TXT \"v=spf1 -all\"\n"}});
  add("badspf.test", {{"spf", "@ TXT \"v=spf1 mx ip4:10.1.2 -all\"\n"}});
  {
    std::string spf = "@ TXT \"v=spf1\"";   // one string per term: each under 255 bytes
    std::string incs;
    for (int i = 1; i <= 11; ++i) {
      spf += " \" include:i" + std::to_string(i) + ".manyspf.test\"";
      incs += "i" + std::to_string(i) + " TXT \"v=spf1 ip4:10.9.0." + std::to_string(i) + " -all\"\n";
    }
    add("manyspf.test", {{"spf", spf + " \" -all\"\n" + incs}});
  }
  add("voidspf.test", {{"spf", "@ TXT \"v=spf1 a:x1.voidspf.test a:x2.voidspf.test a:x3.voidspf.test mx -all\"\n"}});
  add("missip.test", {{"spf", "@ TXT \"v=spf1 mx ip4:198.51.100.0/25 -all\"\n"}});
  add("nokey.test", {{"dkim", ""}});
  add("weakkey.test", {{"dkim", "s1._domainkey TXT \"v=DKIM1; p=" + k_rsa768 + "\"\n"}});
  add("testkey.test", {{"dkim", "s1._domainkey TXT " + split_key("v=DKIM1; t=y; p=", k_rsa2048) + "\n"}});
  add("expired.test", {{"sts", sts()}});
  add("notfound.test", {{"sts", sts()}});
  add("badversion.test", {{"sts", sts()}});
  add("uncovered.test", {{"sts", sts()}});
  add("notlsrpt.test", {{"tlsrpt", ""}});
  add("nofcrdns.test", {}, false);
  {
    // One TXT record of about 60 KB (240 strings of 250 bytes): an SPF record of ip4 terms.
    std::string rr = "@ TXT \"v=spf1 \"";
    for (int i = 0; i < 240; ++i) {
      std::string s;
      for (int j = 0; s.size() < 232; ++j) {
        s += "ip4:10." + std::to_string(i) + "." + std::to_string(j) + ".0/24 ";
      }
      rr += " \"" + s + "\"";
    }
    add("big.test", {{"spf", rr + " \"mx -all\"\n"}});
  }
  add("nonascii.test", {{"tlsrpt", "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tls@ex\\195\\164mple.test\\255\"\n"}});
  return out;
}

struct Fixture
{
  std::unique_ptr<NsdServer> nsd;
  std::unique_ptr<NginxServer> nginx;
  TempDir dir;
  std::string config;

  Fixture()
  {
    NsdServer::Zones zones;
    std::string ptrs;
    int n = 0;
    for (const TestDomain& d : domains()) {
      ++n;
      zones.push_back({d.name, d.zone});
      if (d.ptr) {
        ptrs += std::to_string(n) + ".1.0.127 PTR mail." + d.name + ".\n";
      }
    }
    zones.push_back({"other.test", "authrua.test._report._dmarc.reports TXT \"v=DMARC1\"\n"});
    zones.push_back({"in-addr.arpa", ptrs});
    nsd = NsdServer::start(zones);
    auto host = [](const std::string& d, const std::map<std::string, std::string>& files,
                   bool expired = false) {
      return HttpsHost{"mta-sts." + d, expired, files};
    };
    const std::string well_known = "/.well-known/mta-sts.txt";
    nginx = std::make_unique<NginxServer>(
      k_https_address,
      std::vector<HttpsHost>{
        host("good.test", {{well_known, policy("enforce", "mail.good.test")}}),
        host("expired.test", {{well_known, policy("enforce", "mail.expired.test")}}, true),
        host("notfound.test", {}),
        host("badversion.test", {{well_known, policy("enforce", "mail.badversion.test", "STSv2")}}),
        host("uncovered.test", {{well_known, policy("enforce", "*.elsewhere.test")}}),
      });
    config = dir / "dmarcctl.toml";
    dmarc::test::write_file(config, "[enrich]\ndns_servers = [\"" + nsd->address() + "\"]\n"
                                    "timeout_ms = 1000\n\n[check]\nca_file = \"" + nginx->ca_file()
                                    + "\"\n\n[[domain]]\nname = \"missip.test\"\n"
                                    "authorized_ips = [\"198.51.100.0/24\"]\ndkim_selectors = [\"s1\"]\n");
  }
};

Fixture& fixture()
{
  static Fixture f;
  return f;
}

std::set<std::string> codes(const json& domain)
{
  std::set<std::string> out;
  auto add = [&](const json& problems) {
    for (const json& p : problems) {
      out.insert(p["code"].get<std::string>() + (p["severity"] == "error" ? "" : "(w)"));
    }
  };
  add(domain["dmarc"]["problems"]);
  add(domain["spf"]["problems"]);
  for (const json& k : domain["dkim"]) {
    add(k["problems"]);
  }
  add(domain["mta_sts"]["problems"]);
  add(domain["tlsrpt"]["problems"]);
  add(domain["mx_problems"]);
  return out;
}

} // namespace

TEST_CASE("check: every finding code from real DNS and HTTPS")
{
  Fixture& f = fixture();
  std::vector<std::string> args = {"-c", f.config, "check", "--format", "json", "--selector", "s1"};
  for (const TestDomain& d : domains()) {
    args.push_back(d.name);
  }
  const auto started = std::chrono::steady_clock::now();
  const auto r = dmarc::test::dmarcctl(args);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  INFO(r.err);
  REQUIRE(r.exit_code == 5);
  CHECK(seconds < 10);
  const json doc = json::parse(r.out);
  std::map<std::string, json> by;
  for (const json& d : doc["domains"]) {
    by[d["domain"].get<std::string>()] = d;
  }
  REQUIRE(by.size() == domains().size());

  const std::string sts_missing = "mta-sts-missing(w)";
  const std::map<std::string, std::set<std::string>> expected = {
    {"good.test", {}},
    {"nodmarc.test", {"dmarc-missing", sts_missing}},
    {"twodmarc.test", {"dmarc-multiple", sts_missing}},
    {"baddmarc.test", {"dmarc-invalid", sts_missing}},
    {"extrua.test", {"rua-not-authorized", sts_missing}},
    {"authrua.test", {sts_missing}},
    {"nospf.test", {"spf-missing", sts_missing}},
    {"twospf.test", {"spf-multiple", sts_missing}},
    {"badspf.test", {"spf-invalid", sts_missing}},
    {"manyspf.test", {"spf-too-many-lookups", sts_missing}},
    {"voidspf.test", {"spf-void-lookups", sts_missing}},
    {"missip.test", {"spf-misses-authorized-ip", sts_missing}},
    {"nokey.test", {"dkim-key-missing", sts_missing}},
    {"weakkey.test", {"dkim-key-weak", sts_missing}},
    {"testkey.test", {"dkim-testing(w)", sts_missing}},
    {"expired.test", {"mta-sts-policy-unreachable"}},
    {"notfound.test", {"mta-sts-policy-unreachable"}},
    {"badversion.test", {"mta-sts-invalid"}},
    {"uncovered.test", {"mta-sts-mx-not-covered"}},
    {"notlsrpt.test", {"tlsrpt-missing(w)", sts_missing}},
    {"nofcrdns.test", {"mx-no-fcrdns(w)", sts_missing}},
    {"big.test", {"record-too-long(w)", sts_missing}},
    {"nonascii.test", {"record-non-ascii(w)", sts_missing}},
  };
  for (const auto& [domain, want] : expected) {
    INFO(domain << ": " << by[domain].dump(1));
    CHECK(codes(by[domain]) == want);
  }

  // What was read, exactly.
  const json& good = by["good.test"];
  CHECK(good["dmarc"]["record"] == "v=DMARC1; p=reject; rua=mailto:dmarc@good.test");
  CHECK(good["dmarc"]["tags"]["p"] == "reject");
  CHECK(good["spf"]["record"] == "v=spf1 mx -all");
  CHECK(good["spf"]["lookups"] == 1);
  CHECK(good["spf"]["void_lookups"] == 0);
  CHECK(good["dkim"][0]["selector"] == "s1");
  CHECK(good["dkim"][0]["key_type"] == "rsa");
  CHECK(good["dkim"][0]["key_bits"] == 2048);   // the key was split into two TXT strings
  CHECK(good["mta_sts"]["record"] == "v=STSv1; id=20261208");
  CHECK(good["mta_sts"]["policy"]["mode"] == "enforce");
  CHECK(good["mta_sts"]["policy"]["mx"] == json::array({"mail.good.test"}));
  CHECK(good["mta_sts"]["policy"]["max_age"] == 604800);
  CHECK(good["tlsrpt"]["rua"] == json::array({"mailto:tls@good.test"}));
  REQUIRE(good["mx"].size() == 1);
  CHECK(good["mx"][0]["host"] == "mail.good.test");
  CHECK(good["mx"][0]["ips"] == json::array({"127.0.1.1"}));
  CHECK(good["mx"][0]["ptr"] == json::array({"mail.good.test"}));
  CHECK(good["mx"][0]["fcrdns"] == true);
  CHECK(good["errors"] == 0);

  CHECK(by["manyspf.test"]["spf"]["lookups"] == 11);
  CHECK(by["voidspf.test"]["spf"]["void_lookups"] == 3);
  CHECK(by["weakkey.test"]["dkim"][0]["key_bits"] == 768);
  CHECK(by["big.test"]["spf"]["record"].get<std::string>().size() > 55000);
  CHECK(by["nofcrdns.test"]["mx"][0]["fcrdns"] == false);
  const std::string expired = by["expired.test"]["mta_sts"]["problems"][0]["message"];
  CHECK(expired.find("expired") != std::string::npos);
  const std::string notfound = by["notfound.test"]["mta_sts"]["problems"][0]["message"];
  CHECK(notfound.find("answered HTTP 404") != std::string::npos);
  CHECK(by["uncovered.test"]["mta_sts"]["problems"][0]["message"].get<std::string>().find(
          "MX host mail.uncovered.test matches no mx:") == 0);
  // Non-UTF-8 bytes reach JSON as U+FFFD, never as a crash.
  CHECK(by["nonascii.test"]["tlsrpt"]["record"].get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);
}

TEST_CASE("check: exit 0 without errors, text output names records and findings")
{
  Fixture& f = fixture();
  const auto ok = dmarc::test::dmarcctl({"-c", f.config, "check", "good.test", "-s", "s1"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("good.test: all good\n") == 0);
  CHECK(ok.out.find("  SPF      v=spf1 mx -all  (1 of 10 lookups, 0 void)\n") != std::string::npos);
  CHECK(ok.out.find("  DKIM     s1: rsa 2048 bits\n") != std::string::npos);

  const auto warn = dmarc::test::dmarcctl({"-c", f.config, "check", "notlsrpt.test"});
  CHECK(warn.exit_code == 0);
  CHECK(warn.out.find("  warning tlsrpt-missing: No TLS-RPT record at _smtp._tls.notlsrpt.test") != std::string::npos);

  const auto bad = dmarc::test::dmarcctl({"-c", f.config, "check", "nodmarc.test"});
  CHECK(bad.exit_code == 5);
  CHECK(bad.out.find("  error dmarc-missing: No DMARC record at _dmarc.nodmarc.test") != std::string::npos);

  // Without domains: every [[domain]] of the config (here missip.test, selector s1).
  const auto all = dmarc::test::dmarcctl({"-c", f.config, "check", "--format", "json"});
  CHECK(all.exit_code == 5);
  const json doc = json::parse(all.out);
  REQUIRE(doc["domains"].size() == 1);
  CHECK(doc["domains"][0]["domain"] == "missip.test");
  CHECK(doc["domains"][0]["dkim"][0]["key_bits"] == 2048);
}

TEST_CASE("check: a DNS server that never answers is exit 1 within the timeout")
{
  dmarc::test::SilentUdpServer silent;
  TempDir dir;
  const std::string config = dir / "c.toml";
  dmarc::test::write_file(config, "[enrich]\ndns_servers = [\"" + silent.address() + "\"]\n"
                                  "timeout_ms = 200\nretries = 0\n");
  const auto started = std::chrono::steady_clock::now();
  const auto r = dmarc::test::dmarcctl({"-c", config, "check", "--format", "json", "slow.test"});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CHECK(r.exit_code == 1);
  CHECK(seconds < 5);
  CHECK(r.err.find("check: no DNS answer at all") != std::string::npos);
  const json doc = json::parse(r.out);
  const auto c = codes(doc["domains"][0]);
  CHECK(c.count("dns-error") == 1);
  CHECK(c.count("dmarc-missing") == 0);   // unknown is not "missing"
  CHECK(doc["domains"][0]["dmarc"]["problems"][0]["message"].get<std::string>().find("(timeout") != std::string::npos);
}

TEST_CASE("check: no domain at all is a usage error")
{
  TempDir dir;
  const std::string config = dir / "c.toml";
  dmarc::test::write_file(config, "[enrich]\ndns_servers = [\"127.0.0.1:1\"]\n");
  const auto r = dmarc::test::dmarcctl({"-c", config, "check"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("check: no domain to check") != std::string::npos);
}

TEST_CASE("advise --dns and run build the suggested records on the published ones")
{
  // live.test publishes DMARC with tags the reports do not show (fo, rua) and an SPF record
  // with mechanisms beyond the config's authorized_ips (mx, include-free): the suggestions
  // must keep them, changing only the step. 21 days of healthy reports make DMARC advance.
  namespace gen = dmarc::test::gen;
  const std::string dmarc_record = "v=DMARC1; p=none; rua=mailto:d@live.test; fo=1";
  const std::string spf_record = "v=spf1 mx ip4:203.0.113.10 ~all";
  auto nsd = NsdServer::start({{"live.test", "_dmarc TXT \"" + dmarc_record + "\"\n"
                                             "@ TXT \"" + spf_record + "\"\n"
                                             "@ MX 10 mail\nmail A 203.0.113.10\n"}});
  TempDir dir;
  // `run` has no --as-of: the reports end yesterday by the machine's clock, so the verdicts
  // (which depend on the reports' shape, not on the day) are the same on any day.
  const int64_t today = static_cast<int64_t>(std::time(nullptr)) / 86400;
  gen::Scenario s;
  s.domain = "live.test";
  s.first_day = today - 21;
  s.days = 21;
  s.records = [](int, int) {
    return std::vector<gen::Record>{gen::authorized("203.0.113.10", "live.test", 200)};
  };
  REQUIRE(gen::write(s, dir / "in") > 0);
  const std::string db = dir / "r.sqlite";
  REQUIRE(dmarc::test::dmarcctl({"-q", "--db", db, "import", dir / "in"}).exit_code == 0);
  const std::string config = dir / "c.toml";
  dmarc::test::write_file(config, "[database]\npath = \"" + db + "\"\n"
                                  "[enrich]\ndns_servers = [\"" + nsd->address() + "\"]\n"
                                  "[[domain]]\nname = \"live.test\"\n"
                                  "authorized_ips = [\"203.0.113.10\"]\n"
                                  "dkim_selectors = [\"mailcow\"]\n");

  const auto advice = dmarc::test::dmarcctl(
    {"-c", config, "advise", "--dns", "--format", "json"});
  INFO(advice.err);
  REQUIRE(advice.exit_code == 0);
  const json doc = json::parse(advice.out);
  const json& dmarc = doc["domains"][0]["dmarc"];
  CHECK(dmarc["published"] == dmarc_record);
  CHECK(dmarc["verdict"] == "advance");
  const std::string suggested = dmarc["dns_record"].get<std::string>();
  CHECK(suggested.find("p=quarantine") != std::string::npos);
  CHECK(suggested.find("rua=mailto:d@live.test") != std::string::npos);
  CHECK(suggested.find("fo=1") != std::string::npos);
  CHECK(doc["domains"][0]["spf"]["published"] == spf_record);

  // Without --dns the record is rebuilt from the reports: the published fo=1 is not known.
  const auto reports_only = dmarc::test::dmarcctl(
    {"-c", config, "advise", "--format", "json"});
  REQUIRE(reports_only.exit_code == 0);
  CHECK(json::parse(reports_only.out)["domains"][0]["dmarc"]["dns_record"].get<std::string>().find("fo=1")
        == std::string::npos);

  // `run` reads DNS for its advise step unless --offline.
  const auto run = dmarc::test::dmarcctl({"-c", config, "run"});
  INFO(run.out << run.err);
  CHECK(run.out.find("fo=1") != std::string::npos);
  const auto offline = dmarc::test::dmarcctl({"-c", config, "run", "--offline"});
  INFO(offline.out << offline.err);
  CHECK(offline.out.find("p=quarantine") != std::string::npos);
  CHECK(offline.out.find("fo=1") == std::string::npos);
}
