// `dmarcctl forward` end to end: the built binary, a real SQLite file filled by `import`,
// and real GELF receivers on 127.0.0.1 (tests/support/gelf_receivers: UDP with chunk
// reassembly and zlib/gzip, TCP split on NUL, HTTP/1.1 answering 202). Every message must be
// valid GELF 1.1, carry the values `export --format jsonl` shows for its row, and every row
// must arrive exactly once across reruns, receivers that are down, a TCP receiver that drops
// the connection mid-stream, and a forward killed with SIGKILL.
#include "support/gelf_check.hpp"
#include "support/gelf_receivers.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace dmarc::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct Setup
{
  TempDir dir;
  std::string db = dir / "g.sqlite";
  int configs = 0;

  // A config file whose [gelf] sends to `url`.
  std::string config(const std::string& url, const std::string& compress = "zlib")
  {
    const std::string path = dir / ("gelf" + std::to_string(configs++) + ".toml");
    write_file(path, "[gelf]\nurl = \"" + url + "\"\ncompress = \"" + compress
                       + "\"\nhost = \"itest.example.com\"\ntimeout = 5\n");
    return path;
  }

  RunResult forward(const std::string& config, std::vector<std::string> extra = {})
  {
    std::vector<std::string> args = {"--db", db, "-c", config, "forward"};
    args.insert(args.end(), extra.begin(), extra.end());
    return dmarcctl(args);
  }

  void import(const std::vector<std::string>& paths)
  {
    std::vector<std::string> args = {"--db", db, "import"};
    args.insert(args.end(), paths.begin(), paths.end());
    const RunResult r = dmarcctl(args);
    INFO(r.err);
    REQUIRE((r.exit_code == 0 || r.exit_code == 3));
  }

  std::string write(const std::string& name, const std::string& text)
  {
    const std::string path = dir / name;
    write_file(path, text);
    return path;
  }

  long long count(const std::string& table)
  {
    return scalar(db, "SELECT count(*) FROM " + table);
  }

  long long total()
  {
    return count("aggregate_records") + count("tls_policies") + count("tls_failures")
           + count("failure_reports");
  }

  // Every stored row as its _dmarcctl_row value.
  std::set<std::string> rows()
  {
    std::set<std::string> out;
    for (const char* table :
         {"aggregate_records", "tls_policies", "tls_failures", "failure_reports"}) {
      for (const auto& r : query(db, std::string("SELECT id FROM ") + table)) {
        out.insert(std::string(table) + ":" + *r[0]);
      }
    }
    return out;
  }
};

// A DMARC report of `records` records; record `huge` gets an envelope_to of `blob`.
std::string report_xml(const std::string& id, int records, int64_t begin = 1700000000,
                       int huge = 0, const std::string& blob = {})
{
  std::string xml = "<feedback><report_metadata><org_name>gen.example.net</org_name>"
                    "<report_id>" + id + "</report_id><date_range><begin>"
                    + std::to_string(begin) + "</begin><end>" + std::to_string(begin + 86399)
                    + "</end></date_range></report_metadata><policy_published><domain>"
                      "example.com</domain><p>none</p></policy_published>\n";
  for (int i = 1; i <= records; ++i) {
    xml += "<record><row><source_ip>192.0.2." + std::to_string(i % 250 + 1) + "</source_ip><count>"
           + std::to_string(i) + "</count><policy_evaluated><disposition>none</disposition>"
           "<dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers>"
           + (i == huge ? "<envelope_to>" + blob + "</envelope_to>" : std::string())
           + "<header_from>example.com</header_from></identifiers><auth_results><dkim><domain>"
             "example.com</domain><selector>s1</selector><result>pass</result></dkim><spf>"
             "<domain>example.com</domain><result>fail</result></spf></auth_results></record>\n";
  }
  return xml + "</feedback>\n";
}

std::string random_hex(std::size_t size, unsigned seed)
{
  std::mt19937 random(seed);
  std::string out;
  for (std::size_t i = 0; i < size; ++i) {
    out += "0123456789abcdef"[random() % 16];
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& separator)
{
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i > 0 ? separator : "") + items[i];
  }
  return out;
}

std::string lower(std::string s)
{
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "key=value;" for `keys` of a GELF message ("<absent>" when absent).
std::string signature(const std::map<std::string, GelfValue>& fields,
                      const std::vector<std::string>& keys)
{
  std::string out;
  for (const std::string& k : keys) {
    out += k + "=" + gelf_text(fields, k) + ";";
  }
  return out;
}

const std::vector<std::string> k_record_keys = {
  "_report_type", "timestamp", "_begin_date", "_end_date", "_org_name", "_report_id", "_domain", "_p", "_sp", "_np", "_pct",
  "_adkim", "_aspf", "_fo", "_testing", "_source_ip_address", "_count", "_disposition",
  "_header_from", "_envelope_from", "_envelope_to", "_dkim_aligned", "_spf_aligned",
  "_dmarc_aligned", "_dkim_domains", "_dkim_selectors", "_dkim_results", "_spf_domains",
  "_spf_scopes", "_spf_results"};
const std::vector<std::string> k_policy_keys = {
  "_report_type", "timestamp", "_organization_name", "_report_id", "_policy_type",
  "_policy_domain", "_mx_host_patterns", "_successful_session_count", "_failed_session_count",
  "_result_type"};
const std::vector<std::string> k_failure_keys = {
  "_report_type", "timestamp", "_organization_name", "_report_id", "_policy_type",
  "_policy_domain", "_result_type", "_sending_mta_ip", "_receiving_mx_hostname",
  "_receiving_ip", "_failed_session_count", "_failure_reason_code"};
// DMARC failure (RUF) reports (issue 15).
const std::vector<std::string> k_failure_report_keys = {
  "_report_type", "timestamp", "_feedback_type", "_source_ip_address", "_arrival_date_utc",
  "_reported_domain", "_auth_failure"};

// What the GELF messages must be, worked out from `export --format jsonl`: one signature per
// record, TLS policy, TLS failure detail and DMARC failure report.
std::multiset<std::string> expected_signatures(Setup& s)
{
  const RunResult exported = dmarcctl({"--db", s.db, "export", "--format", "jsonl"});
  REQUIRE(exported.exit_code == 0);
  std::multiset<std::string> out;
  auto text = [](const json& v) -> std::string {
    if (v.is_null()) return "<absent>";
    if (v.is_string()) return v.get<std::string>().empty() ? "<absent>" : v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return v.dump();
  };
  auto nonempty = [](const std::string& v) { return v.empty() ? std::string("<absent>") : v; };
  // An empty element exports as null (issue 14); GELF joins it as "".
  auto str = [](const json& v) -> std::string { return v.is_string() ? v.get<std::string>() : ""; };
  for (const std::string& line : lines(exported.out)) {
    const json r = json::parse(line);
    std::map<std::string, std::string> f;
    if (r["type"] == "failure") {
      std::vector<std::string> types;
      for (const json& t : r["auth_failure"]) types.push_back(t);
      // timestamp: the report's time, in the export as ISO 8601 ("2023-11-15T00:59:00Z").
      const std::string time = r["time"];
      std::tm tm{};
      strptime(time.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
      f = {{"_report_type", "failure"}, {"timestamp", std::to_string(timegm(&tm))},
           {"_feedback_type", text(r["feedback_type"])}, {"_source_ip_address", text(r["source_ip"])},
           {"_arrival_date_utc", text(r["arrival_date_utc"])}, {"_reported_domain", text(r["domain"])},
           {"_auth_failure", nonempty(join(types, ","))}};
      std::string sig;
      for (const std::string& k : k_failure_report_keys) sig += k + "=" + f[k] + ";";
      out.insert(sig);
    } else if (r["type"] == "dmarc") {
      for (const json& rec : r["records"]) {
        f = {{"_report_type", "aggregate"}, {"timestamp", r["begin"].dump()},
             {"_begin_date", r["begin"].dump()}, {"_end_date", r["end"].dump()},
             {"_org_name", text(r["org_name"])}, {"_report_id", text(r["report_id"])},
             {"_domain", text(r["domain"])}};
        for (const char* k : {"p", "sp", "np", "pct", "adkim", "aspf", "fo", "testing"}) {
          f[std::string("_") + k] = text(r["policy"][k]);
        }
        f["_source_ip_address"] = text(rec["source_ip"]);
        f["_count"] = rec["count"].dump();
        for (const char* k : {"disposition", "header_from", "envelope_from", "envelope_to",
                              "dkim_aligned", "spf_aligned", "dmarc_aligned"}) {
          f[std::string("_") + k] = text(rec[k]);
        }
        std::vector<std::string> domains, selectors, results;
        for (const json& d : rec["auth_results"]["dkim"]) {
          domains.push_back(lower(str(d["domain"])));
          selectors.push_back(d["selector"].is_string() ? lower(d["selector"]) : "");
          results.push_back(str(d["result"]));
        }
        f["_dkim_domains"] = nonempty(join(domains, ","));
        f["_dkim_selectors"] = nonempty(join(selectors, ","));
        f["_dkim_results"] = nonempty(join(results, ","));
        std::vector<std::string> spf_domains, scopes, spf_results;
        for (const json& d : rec["auth_results"]["spf"]) {
          spf_domains.push_back(lower(str(d["domain"])));
          scopes.push_back(d["scope"].is_string() ? d["scope"].get<std::string>() : "");
          spf_results.push_back(str(d["result"]));
        }
        f["_spf_domains"] = nonempty(join(spf_domains, ","));
        f["_spf_scopes"] = nonempty(join(scopes, ","));
        f["_spf_results"] = nonempty(join(spf_results, ","));
        std::string sig;
        for (const std::string& k : k_record_keys) sig += k + "=" + f[k] + ";";
        out.insert(sig);
      }
    } else {
      for (const json& p : r["policies"]) {
        std::vector<std::string> mx;
        if (p["mx_hosts"].is_array()) {
          for (const json& h : p["mx_hosts"]) mx.push_back(h);
        }
        f = {{"_report_type", "smtp_tls"}, {"timestamp", r["begin"].dump()},
             {"_organization_name", text(r["org_name"])}, {"_report_id", text(r["report_id"])},
             {"_policy_type", text(p["policy_type"])}, {"_policy_domain", text(p["policy_domain"])},
             {"_mx_host_patterns", nonempty(join(mx, "|"))},
             {"_successful_session_count", p["success"].dump()},
             {"_failed_session_count", p["failure"].dump()}, {"_result_type", "<absent>"}};
        std::string sig;
        for (const std::string& k : k_policy_keys) sig += k + "=" + f[k] + ";";
        out.insert(sig);
        for (const json& d : p["failure_details"]) {
          std::map<std::string, std::string> g = {
            {"_report_type", "smtp_tls"}, {"timestamp", r["begin"].dump()},
            {"_organization_name", text(r["org_name"])}, {"_report_id", text(r["report_id"])},
            {"_policy_type", text(p["policy_type"])}, {"_policy_domain", text(p["policy_domain"])},
            {"_result_type", text(d["result_type"])}, {"_sending_mta_ip", text(d["sending_mta_ip"])},
            {"_receiving_mx_hostname", text(d["receiving_mx_hostname"])},
            {"_receiving_ip", text(d["receiving_ip"])},
            {"_failed_session_count", d["failed_session_count"].dump()},
            {"_failure_reason_code", text(d["failure_reason_code"])}};
          std::string fsig;
          for (const std::string& k : k_failure_keys) fsig += k + "=" + g[k] + ";";
          out.insert(fsig);
        }
      }
    }
  }
  return out;
}

// The signatures of received messages (numbers of counts above 2^53 are not used here).
std::multiset<std::string> received_signatures(const std::vector<std::string>& messages)
{
  std::multiset<std::string> out;
  for (const std::string& m : messages) {
    const auto f = gelf_fields(m);
    const std::string row = gelf_text(f, "_dmarcctl_row");
    if (row.rfind("aggregate_records:", 0) == 0) {
      out.insert(signature(f, k_record_keys));
    } else if (row.rfind("tls_policies:", 0) == 0) {
      out.insert(signature(f, k_policy_keys));
    } else if (row.rfind("failure_reports:", 0) == 0) {
      out.insert(signature(f, k_failure_report_keys));
    } else {
      out.insert(signature(f, k_failure_keys));
    }
  }
  return out;
}

// Checks every message and returns how often each row arrived.
std::map<std::string, int> check_messages(const std::vector<std::string>& messages)
{
  std::map<std::string, int> rows;
  for (const std::string& m : messages) {
    const auto problems = gelf_problems(m);
    INFO(m);
    CHECK(problems.empty());
    for (const std::string& p : problems) {
      UNSCOPED_INFO(p);
    }
    const auto f = gelf_fields(m);
    CHECK(gelf_text(f, "host") == "itest.example.com");
    ++rows[gelf_text(f, "_dmarcctl_row")];
  }
  return rows;
}

std::set<std::string> keys_of(const std::map<std::string, int>& counted)
{
  std::set<std::string> out;
  for (const auto& [k, n] : counted) out.insert(k);
  return out;
}

void import_fixtures(Setup& s)
{
  s.import({fixture("expected/export-sample.xml"), fixture("tlsrpt"), fixture("mail"),
            fixture("dmarc")});
}

} // namespace

TEST_CASE("UDP: every stored row arrives once, valid GELF with the exported values")
{
  Setup s;
  import_fixtures(s);
  const long long total = s.total();
  REQUIRE(s.count("aggregate_records") > 20);
  REQUIRE(s.count("tls_failures") > 3);
  GelfUdpReceiver receiver;
  const std::string config = s.config("udp://127.0.0.1:" + std::to_string(receiver.port()));

  const RunResult r = s.forward(config);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("forwarded " + std::to_string(total) + " messages to udp://127.0.0.1:") == 0);
  REQUIRE(receiver.wait_for(static_cast<std::size_t>(total)) == static_cast<std::size_t>(total));
  const auto messages = receiver.messages();
  CHECK(receiver.errors().empty());
  CHECK(receiver.compressed_zlib() == static_cast<std::size_t>(total));
  const auto counted = check_messages(messages);
  CHECK(counted.size() == messages.size());
  CHECK(keys_of(counted) == s.rows());
  CHECK(received_signatures(messages) == expected_signatures(s));

  // A rerun sends nothing; a new report is sent alone.
  const RunResult again = s.forward(config);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("forwarded 0 messages") == 0);
  s.import({s.write("later.xml", report_xml("later", 2))});
  const RunResult third = s.forward(config);
  CHECK(third.exit_code == 0);
  REQUIRE(receiver.wait_for(static_cast<std::size_t>(total + 2)) == static_cast<std::size_t>(total + 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(receiver.count() == static_cast<std::size_t>(total + 2));
  CHECK(gelf_text(gelf_fields(receiver.messages().back()), "_report_id") == "later");
}

TEST_CASE("UDP: gzip and uncompressed payloads; a chunked message reassembles exactly")
{
  for (const char* compress : {"gzip", "none"}) {
    CAPTURE(compress);
    Setup s;
    const std::string blob = random_hex(40'000, 7); // ~20 KB deflated: 3 chunks
    s.import({s.write("big.xml", report_xml("big", 5, 1700000000, 3, blob))});
    GelfUdpReceiver receiver;
    const RunResult r =
      s.forward(s.config("udp://127.0.0.1:" + std::to_string(receiver.port()), compress));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(receiver.wait_for(5) == 5);
    CHECK(receiver.errors().empty());
    CHECK(receiver.chunked_messages() == 1);
    CHECK(receiver.max_chunks() >= 3);
    CHECK(receiver.compressed_gzip() == (std::string(compress) == "gzip" ? 5u : 0u));
    check_messages(receiver.messages());
    int found = 0;
    for (const std::string& m : receiver.messages()) {
      const auto f = gelf_fields(m);
      if (gelf_text(f, "_count") == "3") {
        CHECK(gelf_text(f, "_envelope_to") == blob);
        ++found;
      }
    }
    CHECK(found == 1);
  }
}

TEST_CASE("UDP: a row too large for 128 chunks is named and passed over, the rest goes")
{
  Setup s;
  s.import({s.write("huge.xml", report_xml("huge", 6, 1700000000, 2, random_hex(1'100'000, 3)))});
  GelfUdpReceiver receiver;
  const std::string config = s.config("udp://127.0.0.1:" + std::to_string(receiver.port()), "none");
  const RunResult r = s.forward(config);
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("forward: aggregate_records 2 (report huge from gen.example.net): "
                   "udp://127.0.0.1:" + std::to_string(receiver.port()) + ": message of ")
        != std::string::npos);
  CHECK(r.err.find("more than GELF's 128") != std::string::npos);
  CHECK(r.err.find("forwarded 5 messages") != std::string::npos);
  REQUIRE(receiver.wait_for(5) == 5);
  check_messages(receiver.messages());

  const RunResult again = s.forward(config);
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("too large") == std::string::npos);
  CHECK(again.err.find("forwarded 0 messages") == 0);
}

TEST_CASE("UDP: a row too large names its report escaped: one line, no terminal escapes")
{
  // The report id comes from the report's sender; the line goes to a terminal or cron mail.
  Setup s;
  s.import({s.write("evil.xml", report_xml("evil\x1b[2J\nforwarded 0 messages", 1, 1700000000, 1,
                                           random_hex(1'100'000, 5)))});
  GelfUdpReceiver receiver;
  const std::string config = s.config("udp://127.0.0.1:" + std::to_string(receiver.port()), "none");
  const RunResult r = s.forward(config);
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find("forward: aggregate_records 1 (report evil\\x1b[2J\\nforwarded 0 messages "
                   "from gen.example.net): udp://")
        != std::string::npos);
  CHECK(r.err.find("\nforwarded 0 messages from") == std::string::npos);
}

TEST_CASE("UDP: a receiver that is down fails the run; the next run sends everything once")
{
  Setup s;
  import_fixtures(s);
  const long long total = s.total();
  const int port = free_port();
  const std::string config = s.config("udp://127.0.0.1:" + std::to_string(port));
  const RunResult down = s.forward(config);
  CHECK(down.exit_code == 1);
  CHECK(down.err.find("dmarcctl: forward: udp://127.0.0.1:" + std::to_string(port) + ": ")
        != std::string::npos);
  CHECK(down.err.find("refused") != std::string::npos);
  CHECK(down.err.find("the rest waits for the next run") != std::string::npos);

  GelfUdpReceiver receiver(port);
  const RunResult up = s.forward(config);
  INFO(up.err);
  CHECK(up.exit_code == 0);
  REQUIRE(receiver.wait_for(static_cast<std::size_t>(total)) == static_cast<std::size_t>(total));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto counted = check_messages(receiver.messages());
  CHECK(receiver.count() == static_cast<std::size_t>(total));
  CHECK(keys_of(counted) == s.rows());
}

TEST_CASE("TCP: every row once; a rerun sends nothing; a dead receiver is retried next run")
{
  Setup s;
  import_fixtures(s);
  const long long total = s.total();
  const int port = free_port();
  const std::string config = s.config("tcp://127.0.0.1:" + std::to_string(port));
  const RunResult down = s.forward(config);
  CHECK(down.exit_code == 1);
  CHECK(down.err.find("forward: tcp://127.0.0.1:" + std::to_string(port)
                      + ": connect: Connection refused") != std::string::npos);
  CHECK(s.count("forward_cursor") == 0);

  GelfTcpReceiver receiver(TcpReceiverOptions{port});
  const RunResult up = s.forward(config);
  INFO(up.err);
  REQUIRE(up.exit_code == 0);
  REQUIRE(receiver.wait_for(static_cast<std::size_t>(total)) == static_cast<std::size_t>(total));
  const auto messages = receiver.messages();
  const auto counted = check_messages(messages);
  CHECK(messages.size() == static_cast<std::size_t>(total));
  CHECK(keys_of(counted) == s.rows());
  CHECK(received_signatures(messages) == expected_signatures(s));
  CHECK(receiver.errors().empty());

  const RunResult again = s.forward(config);
  CHECK(again.exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(receiver.count() == static_cast<std::size_t>(total));
}

TEST_CASE("TCP: a receiver closing the connection mid-stream loses nothing")
{
  Setup s;
  s.import({s.write("r.xml", report_xml("r", 3000))});
  TcpReceiverOptions options;
  options.receive_buffer = 4096;
  options.close_after = 1500; // in the middle of the second batch of 1000
  options.pause_ms = 300;
  GelfTcpReceiver receiver(options);
  const RunResult r = s.forward(s.config("tcp://127.0.0.1:" + std::to_string(receiver.port())));
  INFO(r.err);
  REQUIRE(r.exit_code == 0); // reconnected and went on
  CHECK(receiver.connections() == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto counted = check_messages(receiver.messages());
  CHECK(keys_of(counted) == s.rows()); // every row arrived
  int twice = 0;
  for (const auto& [row, n] : counted) {
    CHECK(n <= 2);
    twice += n - 1;
  }
  CHECK(twice <= 1000); // only the unconfirmed batch was sent again
  CHECK(scalar(s.db, "SELECT last_id FROM forward_cursor WHERE stream = 'aggregate_records'")
        == 3000);
}

TEST_CASE("forward killed with SIGKILL: the next run sends what was not confirmed")
{
  Setup s;
  s.import({s.write("r.xml", report_xml("r", 3000))});
  const int port = free_port();
  const std::string config = s.config("tcp://127.0.0.1:" + std::to_string(port));
  std::set<std::string> first_rows;
  {
    TcpReceiverOptions options{port};
    options.receive_buffer = 4096;
    options.close_after = 1500; // stops reading there: the sender blocks
    options.pause_ms = 20'000;
    GelfTcpReceiver receiver(options);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl(DMARC_BINARY, DMARC_BINARY, "--db", s.db.c_str(), "-c", config.c_str(), "forward",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    REQUIRE(receiver.wait_for(1500, 20'000) >= 1500);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    for (const auto& [row, n] : check_messages(receiver.messages())) {
      first_rows.insert(row);
    }
  }
  const long long cursor =
    scalar(s.db, "SELECT last_id FROM forward_cursor WHERE stream = 'aggregate_records'");
  CHECK(cursor == 1000); // the first batch was confirmed, the second never was

  GelfTcpReceiver receiver(TcpReceiverOptions{port});
  const RunResult r = s.forward(config);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(receiver.wait_for(2000) == 2000);
  const auto counted = check_messages(receiver.messages());
  std::set<std::string> expected;
  for (long long id = cursor + 1; id <= 3000; ++id) {
    expected.insert("aggregate_records:" + std::to_string(id));
  }
  CHECK(keys_of(counted) == expected); // exactly what was not confirmed, once
  CHECK(counted.size() == receiver.count());
  std::set<std::string> all = first_rows;
  all.insert(expected.begin(), expected.end());
  CHECK(all == s.rows());
}

TEST_CASE("HTTP: one kept-alive connection, 202 per message; a failing server resumes once")
{
  Setup s;
  import_fixtures(s);
  const long long total = s.total();
  const int port = free_port();
  const std::string config = s.config("http://127.0.0.1:" + std::to_string(port) + "/gelf");
  std::vector<std::string> first;
  {
    GelfHttpReceiver failing([](std::size_t n) { return n < 10 ? 202 : 503; }, port);
    const RunResult r = s.forward(config);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("forward: http://127.0.0.1:" + std::to_string(port)
                     + "/gelf: answered HTTP 503") != std::string::npos);
    first = failing.messages();
    CHECK(first.size() == 10);
    CHECK(failing.errors().empty());
  }
  GelfHttpReceiver receiver({}, port);
  const RunResult r = s.forward(config);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(receiver.connections() == 1);
  const auto second = receiver.messages();
  CHECK(second.size() == static_cast<std::size_t>(total) - 10);
  auto all = first;
  all.insert(all.end(), second.begin(), second.end());
  const auto counted = check_messages(all);
  CHECK(all.size() == static_cast<std::size_t>(total)); // none twice
  CHECK(keys_of(counted) == s.rows());
  CHECK(received_signatures(all) == expected_signatures(s));
  for (const HttpRequest& request : receiver.request_log()) {
    CHECK(request.method == "POST");
    CHECK(request.target == "/gelf");
  }
}

TEST_CASE("--dry-run shows what would go and moves nothing; --since passes over old reports")
{
  Setup s;
  s.import({s.write("old.xml", report_xml("old", 4, 1600000000)),
            s.write("new.xml", report_xml("new", 3, 1700000000))});
  GelfUdpReceiver receiver;
  const std::string config = s.config("udp://127.0.0.1:" + std::to_string(receiver.port()));

  const RunResult dry = dmarcctl({"--db", s.db, "-c", config, "-v", "forward", "--dry-run"});
  INFO(dry.err);
  REQUIRE(dry.exit_code == 0);
  const auto out = lines(dry.out);
  REQUIRE(out.size() == 8);
  for (std::size_t i = 0; i < 7; ++i) {
    CHECK(gelf_problems(out[i]).empty());
  }
  CHECK(out[7].rfind("dry run: would forward 7 messages to udp://127.0.0.1:", 0) == 0);
  const RunResult quiet = dmarcctl({"--db", s.db, "-c", config, "forward", "--dry-run"});
  CHECK(lines(quiet.out).size() == 1);
  CHECK(s.count("forward_cursor") == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(receiver.count() == 0);

  const RunResult since = s.forward(config, {"--since", "2020-12-01"});
  INFO(since.err);
  REQUIRE(since.exit_code == 0);
  CHECK(since.err.find("forwarded 3 messages") == 0);
  CHECK(since.err.find("4 older than --since passed over") != std::string::npos);
  REQUIRE(receiver.wait_for(3) == 3);
  for (const std::string& m : receiver.messages()) {
    CHECK(gelf_text(gelf_fields(m), "_report_id") == "new");
  }
  const RunResult later = s.forward(config);
  CHECK(later.err.find("forwarded 0 messages") == 0);

  const RunResult bad = s.forward(config, {"--since", "yesterday"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("forward without a [gelf] url is a configuration error; --help has an example")
{
  Setup s;
  s.import({s.write("r.xml", report_xml("r", 1))});
  const std::string empty = s.write("empty.toml", "[database]\n");
  const RunResult r = dmarcctl({"--db", s.db, "-c", empty, "forward"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("no [gelf] url in the configuration") != std::string::npos);
  const RunResult help = dmarcctl({"forward", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Example: dmarcctl") != std::string::npos);
  CHECK(help.out.find("--dry-run") != std::string::npos);
  CHECK(help.out.find("--since") != std::string::npos);
}

TEST_CASE("forward with a database path that does not exist fails like summary, creating nothing")
{
  // A mistyped --db must not become a new empty database and "forwarded 0 messages", exit 0.
  TempDir dir;
  const std::string config = dir / "g.toml";
  write_file(config, "[gelf]\nurl = \"udp://127.0.0.1:9\"\n");
  const std::string missing = dir / "typo.sqlite";
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{}, std::vector<std::string>{"--dry-run"}}) {
    std::vector<std::string> args{"-c", config, "--db", missing, "forward"};
    args.insert(args.end(), extra.begin(), extra.end());
    const RunResult r = dmarcctl(args);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("no database at " + missing + " (run `dmarcctl import` or `fetch` first)")
          != std::string::npos);
    CHECK(r.out.empty());
    CHECK_FALSE(fs::exists(missing));
    CHECK_FALSE(fs::exists(missing + ".forward.lock"));
  }
}

TEST_CASE("`dmarcctl run` forwards what is pending and says nothing of it when all went well")
{
  Setup s;
  s.import({s.write("r.xml", report_xml("r", 5))});
  GelfUdpReceiver receiver;
  const std::string config = s.config("udp://127.0.0.1:" + std::to_string(receiver.port()));
  const RunResult r = dmarcctl({"--db", s.db, "-c", config, "run", "--offline"});
  INFO(r.err);
  CHECK(r.exit_code != 1);
  REQUIRE(receiver.wait_for(5) == 5);
  CHECK(r.err.find("forwarded") == std::string::npos);
  check_messages(receiver.messages());
  const RunResult again = dmarcctl({"--db", s.db, "-c", config, "run", "--offline"});
  CHECK(again.exit_code == r.exit_code);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(receiver.count() == 5);
}

TEST_CASE("the advisor's findings for a configured domain go once a day")
{
  Setup s;
  s.import({s.write("r.xml", report_xml("r", 3))});
  GelfUdpReceiver receiver;
  const std::string config = s.write(
    "advice.toml", "[gelf]\nurl = \"udp://127.0.0.1:" + std::to_string(receiver.port())
                     + "\"\nhost = \"itest.example.com\"\n\n[[domain]]\nname = \"example.com\"\n");
  const RunResult r = s.forward(config);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(receiver.wait_for(4) >= 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  int advice = 0;
  std::set<std::string> checks;
  for (const std::string& m : receiver.messages()) {
    CHECK(gelf_problems(m).empty());
    const auto f = gelf_fields(m);
    if (gelf_text(f, "_report_type") == "advice") {
      ++advice;
      CHECK(gelf_text(f, "_domain") == "example.com");
      checks.insert(gelf_text(f, "_check"));
    }
  }
  CHECK(advice >= 1);
  CHECK(receiver.count() == 3u + static_cast<std::size_t>(advice));
  CHECK(checks.count("dmarc") == 1);
  CHECK(r.err.find(std::to_string(advice) + " finding") != std::string::npos);

  const RunResult again = s.forward(config);
  CHECK(again.exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(receiver.count() == 3u + static_cast<std::size_t>(advice)); // (unless midnight UTC passed)
}
