// Every cap of [limits], end to end: `dmarcctl -c FILE import` with the cap set small in a
// config file. Each input that crosses a cap is rejected with one line
// "SOURCE: too-large: ... (CAP_NAME)", recorded in the database as too-large with the same
// detail, and the run goes on: a good report given after it is still imported (exit 3).
#include "hardening_support.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

using namespace dmarc::test;
using namespace dmarc::test::hardening;

namespace {

struct CapCase
{
  const char* cap;          // the [limits] key, named in the detail
  std::string limit_toml;   // "max_records = 3"
  std::string file_name;
  std::string bytes;        // crosses the cap
};

// Imports `bad` then a good report under the config, and checks the rejection names `cap`.
void check_cap(const CapCase& c)
{
  TempDir dir;
  const std::string config = write_config(dir.path(), "[limits]\n" + c.limit_toml + "\n");
  const std::string bad = dir / c.file_name;
  const std::string good = dir / "zz-good.xml";
  write_file(bad, c.bytes);
  write_file(good, report_xml("good.example.net", "good-1", 1));
  const std::string db = dir / "caps.sqlite";

  const RunResult r = dmarcctl({"-c", config, "--db", db, "import", bad, good});
  INFO("cap " << c.cap << "\nstderr:\n" << r.err);
  CHECK(r.exit_code == 3);
  const auto err = lines(r.err);
  REQUIRE(err.size() == 2);
  const std::string prefix = bad + ": too-large: ";
  CHECK(err[0].rfind(prefix, 0) == 0);
  CHECK(err[0].find(std::string("(") + c.cap + ")") != std::string::npos);
  CHECK(err[1] == "1 report imported (1 DMARC, 0 TLS), 1 record, 0 duplicates, "
                  "0 failure reports, 1 rejected");

  const auto rows = query(db, "SELECT status, reason, detail FROM messages WHERE source = ?1", {bad});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == "rejected");
  CHECK(rows[0][1] == "too-large");
  CHECK(rows[0][2] == err[0].substr(prefix.size()));
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports WHERE report_id = 'good-1'") == 1);

  // The same input under the default caps is not too large: the cap did it.
  const RunResult defaults = dmarcctl({"--db", dir / "defaults.sqlite", "import", bad});
  INFO("default caps stderr:\n" << defaults.err);
  CHECK(defaults.err.find("too-large") == std::string::npos);
}

std::string nested(const std::string& name, int depth)
{
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += "<" + name + ">";
    close = "</" + name + ">" + close;
  }
  return open + close;
}

std::string multipart(int parts)
{
  std::string mail = "From: a@example.net\r\nTo: b@example.com\r\nSubject: parts\r\n"
                     "Message-ID: <parts@example.net>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n";
  for (int i = 0; i < parts; ++i) {
    mail += "--p\r\nContent-Type: text/plain\r\n\r\npart " + std::to_string(i) + "\r\n";
  }
  mail += "--p\r\nContent-Type: text/xml\r\nContent-Disposition: attachment; filename=r.xml\r\n\r\n"
          + report_xml("parts.example.net", "parts-1", 1) + "\r\n--p--\r\n";
  return mail;
}

// A report mail forwarded inside `depth` levels of message/rfc822.
std::string forwarded(int depth)
{
  std::string mail =
    report_mail("inner@example.net", "application/gzip", "r.xml.gz",
                base64(gzip(report_xml("fwd.example.net", "fwd-1", 1))));
  for (int i = 0; i < depth; ++i) {
    mail = "From: fwd@example.com\r\nTo: b@example.com\r\nSubject: Fwd\r\nMessage-ID: <fwd" +
           std::to_string(i) + "@example.com>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"f" + std::to_string(i) + "\"\r\n\r\n"
           "--f" + std::to_string(i) + "\r\nContent-Type: message/rfc822\r\n\r\n" + mail +
           "\r\n--f" + std::to_string(i) + "--\r\n";
  }
  return mail;
}

} // namespace

TEST_CASE("max_document_bytes: a gzip expanding past it is too-large")
{
  check_cap({"max_document_bytes", "max_document_bytes = 4096", "big.xml.gz",
             gzip(report_xml("doc.example.net", "doc-1", 40))});
}

TEST_CASE("max_document_bytes: the documents of one zip together")
{
  // Each entry is below the cap, together they are above it.
  const std::string entry = report_xml("zip.example.net", "zip-a", 5);
  REQUIRE(entry.size() < 4000);
  REQUIRE(2 * entry.size() > 4000);
  check_cap({"max_document_bytes", "max_document_bytes = 4000", "two.zip",
             zip({{"a.xml", entry}, {"b.xml", report_xml("zip.example.net", "zip-b", 5)}})});
}

TEST_CASE("max_document_bytes: the reports of one mail together")
{
  // Two attachments, each below the cap, together above it: the mail cannot make the
  // importer hold more than one cap's worth of documents (and their parsed records).
  const std::string a = report_xml("mail.example.net", "mail-a", 5);
  const std::string b = report_xml("mail.example.net", "mail-b", 5);
  REQUIRE(a.size() < 4000);
  REQUIRE(a.size() + b.size() > 4000);
  std::string mail = "From: a@example.net\r\nTo: b@example.com\r\nSubject: two\r\n"
                     "Message-ID: <two@example.net>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: multipart/mixed; boundary=\"t\"\r\n\r\n"
                     "--t\r\nContent-Type: application/gzip; name=a.xml.gz\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n" + base64(gzip(a)) +
                     "--t\r\nContent-Type: application/gzip; name=b.xml.gz\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n" + base64(gzip(b)) + "--t--\r\n";
  TempDir dir;
  const std::string config = write_config(dir.path(), "[limits]\nmax_document_bytes = 4000\n");
  write_file(dir / "two.eml", mail);
  const std::string db = dir / "m.sqlite";
  const RunResult r = dmarcctl({"-c", config, "--db", db, "import", dir / "two.eml"});
  INFO(r.err);
  // The first report fits and is kept; the second is refused, and the mail says so.
  CHECK(r.err.find("too-large") != std::string::npos);
  CHECK(r.err.find("(max_document_bytes)") != std::string::npos);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == 1);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports WHERE report_id = 'mail-a'") == 1);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE reason = 'too-large'") == 1);
}

TEST_CASE("max_zip_entries: a zip with more entries is too-large")
{
  check_cap({"max_zip_entries", "max_zip_entries = 2", "three.zip",
             zip({{"a.xml", report_xml("z.example.net", "z-a", 1)},
                  {"b.xml", report_xml("z.example.net", "z-b", 1)},
                  {"c.xml", report_xml("z.example.net", "z-c", 1)}},
                 ZipMethod::stored)});
}

TEST_CASE("max_ratio: a gzip expanding more than the ratio is too-large")
{
  // 64 KiB of white space in a report compresses far better than 10:1.
  const std::string xml =
    report_xml("ratio.example.net", "ratio-1", 1, std::string(64 * 1024, ' '));
  check_cap({"max_ratio", "max_ratio = 10\nratio_floor_bytes = 1024", "ratio.xml.gz", gzip(xml, 9)});
}

TEST_CASE("max_ratio: a zip entry expanding more than the ratio is too-large")
{
  const std::string xml =
    report_xml("ratio.example.net", "ratio-2", 1, std::string(64 * 1024, ' '));
  check_cap({"max_ratio", "max_ratio = 10\nratio_floor_bytes = 1024", "ratio.zip",
             zip({{"r.xml", xml}})});
}

TEST_CASE("max_xml_depth: XML nested deeper is too-large")
{
  check_cap({"max_xml_depth", "max_xml_depth = 10", "deep.xml",
             report_xml("deep.example.net", "deep-1", 1, nested("x", 12))});
}

TEST_CASE("max_xml_elements: XML with more elements is too-large")
{
  check_cap({"max_xml_elements", "max_xml_elements = 200", "many.xml",
             report_xml("many.example.net", "many-1", 20)});
}

TEST_CASE("max_records: a report with more records is too-large")
{
  check_cap({"max_records", "max_records = 3", "records.xml",
             report_xml("records.example.net", "records-1", 5)});
}

TEST_CASE("max_json_bytes: a larger TLS report is too-large")
{
  const std::string json = tls_json("json-1", 20);
  REQUIRE(json.size() > 2000);
  check_cap({"max_json_bytes", "max_json_bytes = 2000", "big.json", json});
}

TEST_CASE("max_json_depth: JSON nested deeper is too-large")
{
  std::string deep;
  for (int i = 0; i < 12; ++i) deep += "{\"x\":";
  deep += "1";
  for (int i = 0; i < 12; ++i) deep += "}";
  check_cap({"max_json_depth", "max_json_depth = 8", "deep.json",
             tls_json("json-2", 1, "\"ext\":" + deep + ",")});
}

TEST_CASE("max_mime_parts: a mail with more parts is too-large")
{
  check_cap({"max_mime_parts", "max_mime_parts = 5", "parts.eml", multipart(8)});
}

TEST_CASE("max_mime_depth: a mail nested deeper is too-large")
{
  check_cap({"max_mime_depth", "max_mime_depth = 3", "forwarded.eml", forwarded(4)});
}

TEST_CASE("max_message_bytes: a larger input is too-large, as a file, in an mbox and on stdin")
{
  const std::string mail = report_mail("big@example.net", "application/gzip", "r.xml.gz",
                                       base64(gzip(report_xml("msg.example.net", "msg-1", 300))));
  REQUIRE(mail.size() > 1500);
  check_cap({"max_message_bytes", "max_message_bytes = 1500", "big.eml", mail});

  TempDir dir;
  const std::string config = write_config(dir.path(), "[limits]\nmax_message_bytes = 1500\n");
  const std::string small = report_mail("small@example.net", "text/xml", "r.xml",
                                        report_xml("s.example.net", "s-1", 1), "8bit");
  REQUIRE(small.size() < 1500);
  write_file(dir / "box.mbox", "From a@b Mon Nov 20 08:00:00 2023\n" + mail +
                                 "\nFrom a@b Mon Nov 20 08:00:01 2023\n" + small + "\n");
  const RunResult box = dmarcctl({"-c", config, "--db", dir / "b.sqlite", "import", dir / "box.mbox"});
  INFO(box.err);
  CHECK(box.exit_code == 3);
  CHECK(box.err.find("too-large") != std::string::npos);
  CHECK(box.err.find("(max_message_bytes)") != std::string::npos);
  CHECK(scalar(dir / "b.sqlite", "SELECT COUNT(*) FROM aggregate_reports WHERE report_id = 's-1'") == 1);

  RunOptions in;
  in.stdin_data = mail;
  const RunResult piped = dmarcctl({"-c", config, "--db", dir / "p.sqlite", "import", "-"}, in);
  INFO(piped.err);
  CHECK(piped.exit_code == 3);
  CHECK(piped.err.rfind("-: too-large: ", 0) == 0);
  CHECK(piped.err.find("(max_message_bytes)") != std::string::npos);
}

TEST_CASE("a zero or negative cap is a configuration error, named with its line")
{
  TempDir dir;
  const std::string config =
    write_config(dir.path(), "[limits]\nmax_records = 0\nmax_xml_depth = -3\nmax_ratio = 1.5\n"
                             "max_document_bytes = 9.3e19\n");
  const RunResult r = dmarcctl({"-c", config, "config", "check"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(config + ":2:") != std::string::npos);
  CHECK(r.err.find("max_records must be a positive integer") != std::string::npos);
  CHECK(r.err.find(config + ":3:") != std::string::npos);
  CHECK(r.err.find(config + ":4:") != std::string::npos);
  // A float far outside int64 once reached toml++'s conversion (UB; found by config_fuzz).
  CHECK(r.err.find(config + ":5:") != std::string::npos);
  const RunResult import = dmarcctl({"-c", config, "--db", dir / "x.sqlite", "import", "-"});
  CHECK(import.exit_code == 2);
}
