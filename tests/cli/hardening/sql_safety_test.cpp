// SQL and shell safety: report fields full of quotes, SQL, control characters, non-ASCII and
// 100 KB strings, and file names full of shell syntax, are stored byte-exact (through bound
// parameters) and exported byte-exact (JSON lines with JSON escapes, CSV with RFC 4180
// quoting). What can arrive is what the formats allow: XML cannot carry NUL (neither raw
// nor as &#0;), so NUL comes only from TLS-RPT JSON ("\u0000"); raw control characters
// other than tab, CR and LF do arrive in XML from broken reporters; invalid UTF-8 is stored
// as U+FFFD by design (DESIGN.md), which is checked too. XML white space at the ends of a
// value is trimmed and CR LF becomes LF (XML 1.0 §2.11), so the values below avoid both.
#include "hardening_support.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>

using namespace dmarc::test;
using namespace dmarc::test::hardening;
namespace fs = std::filesystem;

namespace {

std::string hex(const std::string& bytes)
{
  std::string out;
  char buf[3];
  for (const char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned char>(c));
    out += buf;
  }
  return out;
}

// As nlohmann's dump() writes a string (ensure_ascii off): RFC 8259 §7 escapes.
std::string json_string(const std::string& s)
{
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (u < 0x20) {
        char buf[7];
        std::snprintf(buf, sizeof buf, "\\u%04x", u);
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

// RFC 4180: quoted (quotes doubled) when it holds a comma, quote, CR or LF.
std::string csv_field(const std::string& s)
{
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (const char c : s) {
    out += c == '"' ? "\"\"" : std::string(1, c);
  }
  return out + "\"";
}

// XML character data for `s` (the five predefined entities).
std::string xml_escape(const std::string& s)
{
  std::string out;
  for (const char c : s) {
    switch (c) {
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&apos;"; break;
    default: out += c;
    }
  }
  return out;
}

const std::string k_quotes = "O'Reilly \"quoted\" `back` \\slash\\ ,comma; semi";
const std::string k_sql = "x'); DROP TABLE messages; -- \" OR \"1\"=\"1";
const std::string k_controls = "ctl\x01\x02\x1b[31mred\x1b[0m\x7f\x08tab\there\nline";
const std::string k_unicode = "Gr\xC3\xBC\xC3\x9F" "e \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x8E\x89";

std::string long_value()
{
  std::string s;
  while (s.size() < 100 * 1024) {
    s += k_quotes + "|" + k_sql + "|" + k_unicode + "|";
  }
  return "L" + s + "L";
}

} // namespace

TEST_CASE("DMARC fields with quotes, SQL, control characters and 100 KB are stored and exported exactly")
{
  TempDir dir;
  const std::string org = k_quotes;
  const std::string report_id = k_sql;
  const std::string email = k_controls;
  const std::string extra = long_value();
  const std::string header_from = "example.com";
  const std::string envelope_from = k_unicode + "'--";
  const std::string comment = "comment " + k_controls + " " + k_sql;
  const std::string human = "<b>&amp;</b> " + k_quotes;
  const std::string xml =
    "<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>" + xml_escape(org) +
    "</org_name><email>" + xml_escape(email) + "</email><extra_contact_info>" +
    xml_escape(extra) + "</extra_contact_info><report_id>" + xml_escape(report_id) +
    "</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range>"
    "</report_metadata><policy_published><domain>example.com</domain><p>none</p>"
    "</policy_published><record><row><source_ip>192.0.2.1</source_ip><count>5</count>"
    "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>"
    "<reason><type>forwarded</type><comment><![CDATA[" + comment + "]]></comment></reason>"
    "</policy_evaluated></row><identifiers><header_from>" + header_from + "</header_from>"
    "<envelope_from>" + xml_escape(envelope_from) + "</envelope_from></identifiers>"
    "<auth_results><dkim><domain>example.com</domain><selector>s'1</selector><result>pass</result>"
    "<human_result>" + xml_escape(human) + "</human_result></dkim>"
    "<spf><domain>example.com</domain><result>fail</result></spf></auth_results></record>"
    "</feedback>\n";
  write_file(dir / "tricky.xml", xml);
  const std::string db = dir / "t.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", dir / "tricky.xml"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);

  // Stored exactly: compared as hex so no layer can normalise them.
  const auto report = query(db, "SELECT hex(org_name), hex(report_id), hex(email),"
                                " hex(extra_contact_info) FROM aggregate_reports");
  REQUIRE(report.size() == 1);
  CHECK(report[0][0] == hex(org));
  CHECK(report[0][1] == hex(report_id));
  CHECK(report[0][2] == hex(email));
  CHECK(report[0][3] == hex(extra));
  CHECK(query(db, "SELECT hex(envelope_from) FROM aggregate_records")[0][0] == hex(envelope_from));
  CHECK(query(db, "SELECT hex(comment) FROM override_reasons")[0][0] == hex(comment));
  CHECK(query(db, "SELECT hex(human_result) FROM auth_results WHERE kind = 'dkim'")[0][0] == hex(human));
  CHECK(query(db, "SELECT selector FROM auth_results WHERE kind = 'dkim'")[0][0] == "s'1");
  // And nothing was executed: every table is still there.
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages") == 1);
  CHECK(dmarcctl({"--db", db, "db", "check"}).exit_code == 0);

  const RunResult jsonl = dmarcctl({"--db", db, "export", "--format", "jsonl"});
  REQUIRE(jsonl.exit_code == 0);
  CHECK(jsonl.out.find("\"org_name\":" + json_string(org)) != std::string::npos);
  CHECK(jsonl.out.find("\"report_id\":" + json_string(report_id)) != std::string::npos);
  CHECK(jsonl.out.find("\"envelope_from\":" + json_string(envelope_from)) != std::string::npos);
  CHECK(lines(jsonl.out).size() == 1); // the newline in a value is escaped

  const RunResult csv = dmarcctl({"--db", db, "export", "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out.find(csv_field(org) + ",") != std::string::npos);
  CHECK(csv.out.find("," + csv_field(report_id) + ",") != std::string::npos);
  CHECK(csv.out.find("," + csv_field(envelope_from) + ",") != std::string::npos);
}

TEST_CASE("invalid UTF-8 is stored as U+FFFD, NUL cannot arrive in XML")
{
  TempDir dir;
  write_file(dir / "utf8.xml", report_xml("bad\xff\xfeutf8.example.net", "utf8-1", 1));
  // A raw NUL and &#0; are not XML (XML 1.0 §2.2): rejected or cut, never stored with a NUL.
  write_file(dir / "nul.xml", report_xml(std::string("nul\0raw.example.net", 19), "nul-1", 1));
  write_file(dir / "nulref.xml", report_xml("nul&#0;ref.example.net", "nul-2", 1));
  const std::string db = dir / "u.sqlite";
  const RunResult r =
    dmarcctl({"--db", db, "import", dir / "utf8.xml", dir / "nul.xml", dir / "nulref.xml"});
  INFO(r.err);
  CHECK(r.exit_code != 1);
  CHECK(query(db, "SELECT org_name FROM aggregate_reports WHERE report_id = 'utf8-1'")
        == std::vector<Row>{Row{"bad\xEF\xBF\xBD\xEF\xBF\xBDutf8.example.net"}});
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports WHERE instr(org_name, char(0)) > 0") == 0);
}

TEST_CASE("TLS-RPT strings with NUL, quotes, SQL and 100 KB are stored and exported exactly")
{
  TempDir dir;
  const std::string org = std::string("tls\0nul ", 8) + k_quotes;
  const std::string code = long_value();
  const std::string json =
    "{\"organization-name\":\"tls\\u0000nul O'Reilly \\\"quoted\\\" `back` \\\\slash\\\\ ,comma;"
    " semi\",\"date-range\":{\"start-datetime\":\"2023-11-19T00:00:00Z\",\"end-datetime\":"
    "\"2023-11-19T23:59:59Z\"},\"report-id\":\"" + std::string("x'); DROP TABLE tls_reports; --") +
    "\",\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":\"example.com\"},"
    "\"summary\":{\"total-successful-session-count\":1,\"total-failure-session-count\":1},"
    "\"failure-details\":[{\"result-type\":\"validation-failure\",\"failed-session-count\":1,"
    "\"additional-information\":\"ctl\\u0001\\u001b[31m\\ud83c\\udf89\","
    "\"failure-reason-code\":" + json_string(code) + "}]}]}";
  write_file(dir / "tricky.json", json);
  const std::string db = dir / "t.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", dir / "tricky.json"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(query(db, "SELECT hex(org_name) FROM tls_reports")[0][0] == hex(org));
  CHECK(query(db, "SELECT report_id FROM tls_reports")[0][0] == "x'); DROP TABLE tls_reports; --");
  CHECK(query(db, "SELECT hex(additional_information), hex(failure_reason_code) FROM tls_failures")
        == std::vector<Row>{Row{hex("ctl\x01\x1b[31m\xF0\x9F\x8E\x89"), hex(code)}});
  const RunResult jsonl = dmarcctl({"--db", db, "export", "--format", "jsonl"});
  REQUIRE(jsonl.exit_code == 0);
  CHECK(jsonl.out.find("\"org_name\":" + json_string(org)) != std::string::npos);
  CHECK(jsonl.out.find("\"failure_reason_code\":" + json_string(code)) != std::string::npos);
}

TEST_CASE("file names full of shell and SQL syntax are just names")
{
  TempDir dir;
  const std::string name = "r'; DROP TABLE messages;--$(touch PWNED)`touch PWNED2` & |x \"q\".xml";
  const std::string path = dir / name;
  write_file(path, report_xml("name.example.net", "name-1", 1));
  const std::string db = dir / "n.sqlite";
  RunOptions in_dir;
  in_dir.cwd = dir.path();
  const RunResult r = dmarcctl({"--db", db, "import", path}, in_dir);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(query(db, "SELECT source FROM messages") == std::vector<Row>{Row{path}});
  CHECK_FALSE(fs::exists(dir / "PWNED"));
  CHECK_FALSE(fs::exists(dir / "PWNED2"));

  // A rejected one names itself the same way.
  write_file(dir / "bad $(id).xml", "<feedback>");
  const RunResult bad = dmarcctl({"--db", db, "import", dir / "bad $(id).xml"}, in_dir);
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.rfind(dir / "bad $(id).xml: invalid-report: ", 0) == 0);
}

TEST_CASE("names with newlines and terminal escapes are stored as sent but printed escaped")
{
  TempDir dir;
  const std::string db = dir / "t.sqlite";
  const std::string org = "Evil\x1b[2J\nfake line";
  write_file(dir / "org.xml", report_xml(org, "esc-1", 1));
  // A corrupt zip whose attachment name (RFC 2047) holds a newline and an escape sequence.
  write_file(dir / "att.eml",
             report_mail("esc-2@example.net", "application/zip",
                         "=?UTF-8?Q?evil=0Afake.eml=3A_imported=1B=5B31m.zip?=",
                         base64("PK\x03\x04 not really a zip")));
  const RunResult r = dmarcctl({"--db", db, "import", dir / "org.xml", dir / "att.eml"});
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find('\x1b') == std::string::npos);
  const auto err = lines(r.err);
  REQUIRE(err.size() == 2); // the rejection is one line, then the summary
  CHECK(err[0] == dir / "att.eml" + ": corrupt-archive: attachment 'evil\\nfake.eml: "
                                    "imported\\x1b[31m.zip': truncated or corrupt zip archive: "
                                    "no central directory found");
  CHECK(query(db, "SELECT org_name FROM aggregate_reports") == std::vector<Row>{Row{org}});
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE detail LIKE '%' || char(27) || '%'") == 1);

  const RunResult summary = dmarcctl({"--db", db, "summary", "--as-of", "2023-11-30", "--since", "2023-11-01"});
  INFO(summary.out);
  REQUIRE(summary.exit_code == 0);
  CHECK(summary.out.find('\x1b') == std::string::npos);
  CHECK(summary.out.find("    Evil\\x1b[2J\\nfake line ") != std::string::npos);
  const RunResult advise = dmarcctl({"--db", db, "advise", "--as-of", "2023-11-30"});
  CHECK(advise.exit_code == 0);
  CHECK(advise.out.find('\x1b') == std::string::npos);
  // Exports stay byte-exact (JSON escapes the controls itself).
  const RunResult jsonl = dmarcctl({"--db", db, "export", "--format", "jsonl"});
  CHECK(jsonl.out.find(R"("org_name":"Evil\u001b[2J\nfake line")") != std::string::npos);
}

TEST_CASE("a file name with a byte of no UTF-8 character is printed escaped, stored as it is")
{
  // 0x9b alone is the 8-bit CSI: "\x9b" "2J" clears a terminal that is not in UTF-8 mode.
  TempDir dir;
  const std::string db = dir / "b.sqlite";
  const std::string path = dir / "bad\x9b" "2J.xml";
  write_file(path, "no report\n");
  const RunResult r = dmarcctl({"-q", "--db", db, "import", path});
  CHECK(r.exit_code == 3);
  CHECK(lines(r.err) == std::vector<std::string>{
          dir / "bad\\x9b2J.xml: not-a-report: not a mail, an XML, JSON, gzip or zip report"});
  CHECK(query(db, "SELECT source FROM messages") == std::vector<Row>{Row{path}});
}
