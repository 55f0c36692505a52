// `dmarcctl` on failure (RUF) reports, end to end (issue 15): the fixtures of
// fixtures/failure/ and the shared corpus imported into a real SQLite file and read back with
// plain SQL; export read back with Python's csv module; forward to a GELF TCP receiver.
#include "support/gelf_check.hpp"
#include "support/gelf_receivers.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

using namespace dmarc::test;
using json = nlohmann::json;

namespace {

const std::vector<std::string> k_failure_fixtures = {
  "provider_arf.eml", "headers_only.eml", "encoded_subject.eml",
  "multi_auth_failure.eml", "truncated_sample.eml", "text_forensic.eml"};

std::vector<std::string> failure_paths()
{
  std::vector<std::string> out;
  for (const std::string& name : k_failure_fixtures) {
    out.push_back(fixture("failure/" + name));
  }
  return out;
}

RunResult import(const std::string& db, const std::vector<std::string>& paths,
                 const std::vector<std::string>& before = {})
{
  std::vector<std::string> args = before;
  args.insert(args.end(), {"--db", db, "import"});
  args.insert(args.end(), paths.begin(), paths.end());
  return dmarcctl(args);
}

std::string one(const std::string& db, const std::string& sql,
                const std::vector<std::string>& params = {})
{
  const auto rows = query(db, sql, params);
  REQUIRE(rows.size() == 1);
  REQUIRE(rows[0].size() == 1);
  return rows[0][0].value_or("<null>");
}

// The header and the number of rows of a CSV file, as Python's csv module reads them.
std::pair<std::vector<std::string>, int> read_csv(const std::string& path)
{
  const RunResult py = run({"/usr/bin/python3", "-c",
                            "import csv, sys, json\n"
                            "rows = list(csv.reader(open(sys.argv[1], newline='')))\n"
                            "print(json.dumps([rows[0], len(rows) - 1,"
                            " all(len(r) == len(rows[0]) for r in rows)]))\n",
                            path});
  INFO(py.err);
  REQUIRE(py.exit_code == 0);
  const json j = json::parse(py.out);
  REQUIRE(j[2].get<bool>());   // every row has as many cells as the header
  return {j[0].get<std::vector<std::string>>(), j[1].get<int>()};
}

} // namespace

TEST_CASE("every fixture shape is stored with its fields; a second import stores nothing")
{
  TempDir dir;
  const std::string db = dir / "f.sqlite";
  const RunResult r = import(db, failure_paths());
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.err.find("6 failure reports") != std::string::npos);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == 6);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports WHERE raw_gzip IS NOT NULL") == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports WHERE samples = 'headers'") == 6);

  const auto provider = query(db,
    "SELECT format, feedback_type, user_agent, version, original_envelope_id, original_mail_from,"
    " original_rcpt_to, arrival_date, arrival_ts, reporting_mta, source_ip, reported_domain,"
    " reported_uri, delivery_result, auth_failure, dkim_domain, dkim_identity, dkim_selector,"
    " spf_dns, identity_alignment, sample_from, sample_to, sample_subject, sample_date,"
    " sample_message_id, sample_headers_only, sample_truncated, reporter, domain, time"
    " FROM failure_reports WHERE source_ip = '198.51.100.23'");
  REQUIRE(provider.size() == 1);
  const std::vector<std::optional<std::string>> want = {
    "arf", "auth-failure", "ExampleMail-ARF/2.1", "1", "4Qx7Lm2abc",
    "<bounce-77@mailer.example.com>", "<alice@inbox.example.net>\n<bob@inbox.example.net>",
    "Tue, 05 Mar 2024 14:22:10 -0800", "1709677330", "dns; mta7.inbox.example.net",
    "198.51.100.23", "example.com", "https://shop.example.com/promo", "reject", "dmarc",
    "example.com", "@example.com", "sel2023",
    "txt : mailer.example.com : \"v=spf1 ip4:198.51.100.0/24 -all\"", "none",
    "Example Shop <news@example.com>", "alice@inbox.example.net", "Spring sale: 40% off",
    "Tue, 05 Mar 2024 14:22:05 -0800", "promo-20240305-7781@mailer.example.com", "0", "0",
    "dmarc_failure@inbox.example.net", "example.com", "1709677330"};
  CHECK(provider[0] == want);
  // Headers only by default: the body of the sample is nowhere.
  CHECK(one(db, "SELECT instr(sample_headers, 'Our spring sale') FROM failure_reports"
                " WHERE source_ip = '198.51.100.23'") == "0");
  CHECK(one(db, "SELECT auth_failure FROM failure_reports WHERE dkim_selector = 'broken2024'")
        == "dkim,spf,dmarc");
  CHECK(one(db, "SELECT sample_subject FROM failure_reports WHERE source_ip = '192.0.2.200'")
        == "Rechnung f\xC3\xBCr M\xC3\xA4rz \xE2\x82\xAC 2024");
  CHECK(one(db, "SELECT sample_truncated || ',' || sample_subject FROM failure_reports"
                " WHERE source_ip = '192.0.2.55'") == "1,Your account is suspen");
  CHECK(one(db, "SELECT format || ',' || identity_alignment || ',' || sample_headers_only"
                " FROM failure_reports WHERE source_ip = '198.51.100.99'") == "text,dkim,1");
  CHECK(one(db, "SELECT sample_headers_only FROM failure_reports WHERE source_ip = '203.0.113.9'")
        == "1");

  // The same mails again are duplicates; a copy with CRLF line ends is another mail, so
  // another report (as the shared corpus' LF and CRLF LinkedIn copies count twice).
  const RunResult again = import(db, failure_paths());
  CHECK(again.exit_code == 0);
  CHECK(again.err.find("0 failure reports") != std::string::npos);
  std::string crlf;
  for (const std::string& line : lines(read_file(fixture("failure/headers_only.eml")))) {
    crlf += line + "\r\n";
  }
  write_file(dir / "crlf.eml", crlf);
  const RunResult copy = import(db, {dir / "crlf.eml"}, {"-v"});
  CHECK(copy.exit_code == 0);
  CHECK(copy.err.find("duplicate: failure report already stored") == std::string::npos);
  CHECK(copy.err.find("1 failure report") != std::string::npos);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == 7);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages") == 7);
}

TEST_CASE("an abuse ARF and a bounce quoting 'Failure Report' are not failure reports")
{
  TempDir dir;
  const std::string db = dir / "a.sqlite";
  const RunResult r = import(db, {fixture("failure/abuse_arf.eml")});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("not-a-report: ARF feedback report of type 'abuse', not a DMARC failure report")
        != std::string::npos);
  const RunResult b = import(db, {fixture("failure/bounce_failure_subject.eml")});
  CHECK(b.exit_code == 3);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE status = 'rejected'"
                   " AND reason = 'not-a-report'") == 2);
}

TEST_CASE("samples = \"none\" stores no header of the sample; \"full\" keeps the whole mail")
{
  TempDir dir;
  const std::string none_cfg = dir / "none.toml";
  write_file(none_cfg, "[failure]\nsamples = \"none\"\n");
  const std::string db = dir / "n.sqlite";
  const RunResult r = import(db, failure_paths(), {"-c", none_cfg});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == 6);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports WHERE samples = 'none' AND"
                   " sample_from IS NULL AND sample_to IS NULL AND sample_subject IS NULL AND"
                   " sample_date IS NULL AND sample_message_id IS NULL AND sample_headers IS NULL"
                   " AND raw_gzip IS NULL") == 6);
  // No column of any row holds a header value of a sample (the report part's own fields,
  // such as Original-Mail-From, stay).
  const auto rows = query(db, "SELECT * FROM failure_reports");
  REQUIRE(rows.size() == 6);
  for (const Row& row : rows) {
    for (const auto& cell : row) {
      if (!cell) {
        continue;
      }
      for (const char* sample_text :
           {"Spring sale", "news@example.com", "promo-20240305", "Urgent wire transfer",
            "The CEO", "fake-ceo-1", "Password reset", "support@example.com",
            "text-8@198.51.100.99", "juergen@example.com", "March newsletter", "nl-2024-03"}) {
        INFO(*cell);
        CHECK(cell->find(sample_text) == std::string::npos);
      }
    }
  }
  // The report's own fields stay, and so does deduplication.
  CHECK(one(db, "SELECT dkim_selector FROM failure_reports WHERE source_ip = '198.51.100.23'")
        == "sel2023");
  CHECK(import(db, failure_paths(), {"-c", none_cfg}).exit_code == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == 6);

  const std::string full_cfg = dir / "full.toml";
  write_file(full_cfg, "[failure]\nsamples = \"full\"\n");
  const std::string full_db = dir / "full.sqlite";
  REQUIRE(import(full_db, {fixture("failure/provider_arf.eml")}, {"-c", full_cfg}).exit_code == 0);
  CHECK(scalar(full_db, "SELECT COUNT(*) FROM failure_reports WHERE samples = 'full'"
                        " AND raw_gzip IS NOT NULL AND length(raw_gzip) > 0") == 1);

  const std::string bad_cfg = dir / "bad.toml";
  write_file(bad_cfg, "[failure]\nsamples = \"some\"\n");
  const RunResult bad = dmarcctl({"-c", bad_cfg, "config", "check"});
  CHECK(bad.exit_code != 0);
  CHECK((bad.err + bad.out).find("[failure].samples must be one of \"headers\", \"full\", \"none\"")
        != std::string::npos);
}

TEST_CASE("export: failure lines in jsonl; each CSV type has parsedmarc's columns in order")
{
  TempDir dir;
  const std::string db = dir / "x.sqlite";
  REQUIRE(import(db, failure_paths()).exit_code == 0);
  REQUIRE(import(db, {fixture("expected/export-sample.xml")}).exit_code == 0);
  REQUIRE(import(db, {fixture("tlsrpt/sts-all-fields.json"), fixture("tlsrpt/tlsa-mx-array.json")})
            .exit_code == 0);

  const RunResult jsonl = dmarcctl({"--db", db, "export"});
  REQUIRE(jsonl.exit_code == 0);
  int failures = 0;
  for (const std::string& line : lines(jsonl.out)) {
    const json j = json::parse(line);
    if (j["type"] == "failure") {
      ++failures;
      if (j["source_ip"] == "198.51.100.23") {
        CHECK(j["auth_failure"] == json::array({"dmarc"}));
        CHECK(j["arrival_date_utc"] == "2024-03-05T22:22:10Z");
        CHECK(j["original_rcpt_to"]
              == json::array({"<alice@inbox.example.net>", "<bob@inbox.example.net>"}));
        CHECK(j["sample"]["subject"] == "Spring sale: 40% off");
        CHECK(j["domain"] == "example.com");
      }
    }
  }
  CHECK(failures == 6);
  const RunResult type_jsonl = dmarcctl({"--db", db, "export", "--type", "tls"});
  CHECK(type_jsonl.exit_code == 2);

  const std::vector<std::string> dmarc_columns = {
    "xml_schema", "org_name", "org_email", "org_extra_contact_info", "report_id", "begin_date",
    "end_date", "normalized_timespan", "errors", "domain", "adkim", "aspf", "p", "sp", "np", "pct",
    "fo", "testing", "discovery_method", "source_ip_address", "source_country",
    "source_reverse_dns", "source_base_domain", "source_name", "source_type", "source_asn",
    "source_as_name", "source_as_domain", "count", "spf_aligned", "dkim_aligned", "dmarc_aligned",
    "disposition", "policy_override_reasons", "policy_override_comments", "envelope_from",
    "header_from", "envelope_to", "dkim_domains", "dkim_selectors", "dkim_results", "spf_domains",
    "spf_scopes", "spf_results"};
  const std::vector<std::string> tls_columns = {
    "organization_name", "begin_date", "end_date", "report_id", "result_type",
    "successful_session_count", "failed_session_count", "policy_domain", "policy_type",
    "policy_strings", "mx_host_patterns", "sending_mta_ip", "receiving_ip",
    "receiving_mx_hostname", "receiving_mx_helo", "additional_info_uri", "failure_reason_code"};
  const std::vector<std::string> failure_columns = {
    "feedback_type", "user_agent", "version", "original_envelope_id", "original_mail_from",
    "original_rcpt_to", "arrival_date", "arrival_date_utc", "subject", "message_id",
    "authentication_results", "dkim_domain", "source_ip_address", "source_country",
    "source_reverse_dns", "source_base_domain", "source_name", "source_type", "delivery_result",
    "auth_failure", "reported_domain", "authentication_mechanisms", "sample_headers_only"};

  struct Case
  {
    std::string type;
    const std::vector<std::string>* columns;
    long long rows;
  };
  const long long records = scalar(db, "SELECT COUNT(*) FROM aggregate_records");
  const long long policy_rows = scalar(db, "SELECT COUNT(*) FROM tls_policies")
                                + scalar(db, "SELECT COUNT(*) FROM tls_failures");
  REQUIRE(records == 2);
  REQUIRE(policy_rows >= 3);
  for (const Case& c : {Case{"dmarc", &dmarc_columns, records}, Case{"tls", &tls_columns, policy_rows},
                        Case{"failure", &failure_columns, 6}}) {
    INFO(c.type);
    const std::string path = dir / (c.type + ".csv");
    const RunResult r = dmarcctl({"--db", db, "export", "--format", "csv", "--type", c.type, "-o", path});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto [header, rows] = read_csv(path);
    CHECK(header == *c.columns);
    CHECK(rows == c.rows);
  }
  // --type dmarc is the default.
  const RunResult plain = dmarcctl({"--db", db, "export", "--format", "csv"});
  CHECK(plain.out == read_file(dir / "dmarc.csv"));
  // Times carry their zone.
  const std::string failure_csv = read_file(dir / "failure.csv");
  CHECK(failure_csv.find(",2024-03-05T22:22:10Z,Spring sale: 40% off,"
                         "<promo-20240305-7781@mailer.example.com>,") != std::string::npos);
  CHECK(read_file(dir / "dmarc.csv").find(",2023-11-14T22:13:20Z,2023-11-15T22:13:19Z,")
        != std::string::npos);
}

TEST_CASE("summary shows failure reports by type, by source and the newest samples")
{
  TempDir dir;
  const std::string db = dir / "s.sqlite";
  REQUIRE(import(db, failure_paths()).exit_code == 0);
  const std::vector<std::string> window = {"--as-of", "2024-03-31", "--since", "2024-03-01"};
  std::vector<std::string> args = {"--db", db, "summary"};
  args.insert(args.end(), window.begin(), window.end());
  const RunResult text = dmarcctl(args);
  INFO(text.err);
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("\nexample.com\n") != std::string::npos);
  CHECK(text.out.find("  Failures     6 failure reports (dmarc 6, dkim 1, spf 1)\n")
        != std::string::npos);
  CHECK(text.out.find("198.51.100.99") != std::string::npos);
  // The newest first: the plain-text report of 12 March.
  const std::size_t newest = text.out.find("Newest failures\n");
  REQUIRE(newest != std::string::npos);
  CHECK(text.out.find("    2024-03-12 20:16  198.51.100.99 (dmarc)\n"
                      "      \"Support\" <support@example.com>: Password reset\n",
                      newest) == newest + 16);

  args.insert(args.end(), {"--format", "json"});
  const RunResult j = dmarcctl(args);
  REQUIRE(j.exit_code == 0);
  const json doc = json::parse(j.out);
  REQUIRE(doc["domains"].size() == 1);
  const json& f = doc["domains"][0]["failure_reports"];
  CHECK(f["reports"] == 6);
  CHECK(f["by_auth_failure"] == json({{"dmarc", 6}, {"dkim", 1}, {"spf", 1}}));
  CHECK(f["by_source"].size() == 5);
  REQUIRE(f["newest"].size() == 5);
  CHECK(f["newest"][0]["time"] == "2024-03-12T20:16:08Z");
  CHECK(f["newest"][0]["subject"] == "Password reset");

  // Outside the window: nothing.
  const RunResult later = dmarcctl({"--db", db, "summary", "--as-of", "2024-06-30", "--since", "7d",
                                    "--format", "json"});
  CHECK(json::parse(later.out)["domains"].empty());
}

TEST_CASE("forward sends each failure report once as GELF with parsedmarc's forensic names")
{
  TempDir dir;
  const std::string db = dir / "g.sqlite";
  REQUIRE(import(db, failure_paths()).exit_code == 0);
  GelfTcpReceiver receiver;
  const std::string config = dir / "gelf.toml";
  write_file(config, "[gelf]\nurl = \"tcp://127.0.0.1:" + std::to_string(receiver.port())
                       + "\"\nhost = \"itest.example.com\"\ntimeout = 5\n");
  const RunResult first = dmarcctl({"--db", db, "-c", config, "forward"});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.err.find("6 failure reports") != std::string::npos);
  REQUIRE(receiver.wait_for(6) == 6);
  bool seen_provider = false;
  for (const std::string& m : receiver.messages()) {
    INFO(m);
    CHECK(gelf_problems(m).empty());
    const auto fields = gelf_fields(m);
    CHECK(gelf_text(fields, "_report_type") == "failure");
    CHECK(gelf_text(fields, "_feedback_type") == "auth-failure");
    CHECK(gelf_text(fields, "_reported_domain") == "example.com");
    if (gelf_text(fields, "_source_ip_address") == "198.51.100.23") {
      seen_provider = true;
      CHECK(gelf_text(fields, "timestamp") == "1709677330");
      CHECK(gelf_text(fields, "_arrival_date_utc") == "2024-03-05T22:22:10Z");
      CHECK(gelf_text(fields, "_subject") == "Spring sale: 40% off");
      CHECK(gelf_text(fields, "_message_id") == "<promo-20240305-7781@mailer.example.com>");
      CHECK(gelf_text(fields, "_auth_failure") == "dmarc");
      CHECK(gelf_text(fields, "_original_rcpt_to")
            == "<alice@inbox.example.net>,<bob@inbox.example.net>");
      CHECK(gelf_text(fields, "_delivery_result") == "reject");
      CHECK(gelf_text(fields, "_dkim_domain") == "example.com");
      CHECK(gelf_text(fields, "_sample_headers_only") == "true");
      CHECK(gelf_text(fields, "_dmarcctl_row").rfind("failure_reports:", 0) == 0);
    }
  }
  CHECK(seen_provider);

  // Exactly once: a rerun sends nothing; a new report goes alone.
  const RunResult again = dmarcctl({"--db", db, "-c", config, "forward"});
  CHECK(again.exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(receiver.count() == 6);
  REQUIRE(import(db, {fixture("mail/arf_failure.eml")}).exit_code == 0);
  const RunResult third = dmarcctl({"--db", db, "-c", config, "forward"});
  CHECK(third.exit_code == 0);
  REQUIRE(receiver.wait_for(7) == 7);
  CHECK(gelf_text(gelf_fields(receiver.messages().back()), "_source_ip_address") == "203.0.113.50");
  CHECK(scalar(db, "SELECT last_id FROM forward_cursor WHERE stream = 'failure_reports'")
        == scalar(db, "SELECT MAX(id) FROM failure_reports"));
  CHECK(receiver.errors().empty());
}

TEST_CASE("corpus: the five failure reports are stored with their fields, the LinkedIn pair twice")
{
  INFO("the shared corpus is not at " << corpus_dir());
  REQUIRE(corpus_available());
  TempDir dir;
  const std::string db = dir / "c.sqlite";
  const std::string base = corpus_dir() + "/failure/";
  const std::vector<std::string> files = {
    "DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml",
    "[Netease DMARC Failure Report] Rent Reminder.eml", "dmarc_ruf_report_linkedin.eml",
    "dmarc_ruf_report_linkedin.crlf.eml", "exim_plain_text_only_no_arf_part.eml"};
  for (const std::string& f : files) {
    const RunResult r = import(db, {base + f});
    INFO(f << ": " << r.err);
    CHECK(r.exit_code == 0);
  }
  // The CRLF copy of the LinkedIn mail is another mail: a row of its own, as expected.json's
  // totals count it.
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE status = 'failure'") == 5);
  CHECK(scalar(db, "SELECT COUNT(*) FROM failure_reports") == 5);
  const auto rows = query(db,
    "SELECT format, reporter, source_ip, arrival_ts, domain, auth_failure, delivery_result,"
    " sample_subject, sample_message_id FROM failure_reports ORDER BY id");
  const std::vector<Row> want = {
    {"arf", "dmarc-report@domain.de", "10.10.10.10", "1538385627", "domain.de", "dmarc",
     "smg-policy-action", "Subject", "38.E7.30937.BD6E1BB5@ mailrelay.de"},
    {"arf", "abuse@163.com", "167.89.69.24", "1538124522", "cardinal.com", std::nullopt,
     "delivered", "Rent Reminder", "oguVx1AxQayV5Sv2nYK-rA@ismtpd0007p1las1.sendgrid.net"},
    {"arf", "dmarc-noreply@linkedin.com", "10.10.10.10", "1556590140", "example.com", "dmarc",
     "delivered", "Subject line, could be UTF8 encoded",
     "01010101010101010101010101010101@ABAB01MS0016.someserver.loc"},
    {"arf", "dmarc-noreply@linkedin.com", "10.10.10.10", "1556590140", "example.com", "dmarc",
     "delivered", "Subject line, could be UTF8 encoded",
     "01010101010101010101010101010101@ABAB01MS0016.someserver.loc"},
    {"text", "no-reply@node01.mailgate.example.net", "203.0.113.68", "1744060569", "example.com",
     "dmarc", std::nullopt, "Payment from your account.",
     "134117F8-2145-AECE-9CCA-25FC98731341@example.com"}};
  CHECK(rows == want);
}
