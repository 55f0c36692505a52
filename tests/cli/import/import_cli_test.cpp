// End-to-end tests of `dmarcctl import`, `export`, `summary` and `db check`: the built
// binary on real files, Maildirs, mboxes and stdin; the database read with plain SQL.
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

using namespace dmarc::test;
namespace fs = std::filesystem;

namespace {

// A small report mail with the XML as a plain text/xml attachment (no transfer encoding).
std::string report_mail(const std::string& xml, const std::string& message_id)
{
  return "From: dmarc-noreply@reporter.example.net\r\n"
         "To: dmarc-reports@example.com\r\n"
         "Subject: Report domain: example.com Submitter: reporter.example.net\r\n"
         "Message-ID: <" + message_id + ">\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
         "--b1\r\nContent-Type: text/plain\r\n\r\nThis is a DMARC report.\r\n"
         "--b1\r\nContent-Type: text/xml\r\n"
         "Content-Disposition: attachment; filename=\"report.xml\"\r\n\r\n"
         + xml + "\r\n--b1--\r\n";
}

// A DMARC report with `records` records (counts 1..n), all from 192.0.2.x.
std::string generated_report(const std::string& report_id, int records)
{
  std::string xml = "<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>gen.example.net"
                    "</org_name><email>a@gen.example.net</email><report_id>" + report_id +
                    "</report_id><date_range><begin>1700000000</begin><end>1700086399</end>"
                    "</date_range></report_metadata><policy_published><domain>example.com"
                    "</domain><p>none</p></policy_published>\n";
  for (int i = 1; i <= records; ++i) {
    xml += "<record><row><source_ip>192.0.2." + std::to_string(i % 250 + 1) + "</source_ip><count>"
           + std::to_string(i) + "</count><policy_evaluated><disposition>none</disposition>"
           "<dkim>pass</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>"
           "example.com</header_from></identifiers><auth_results><dkim><domain>example.com</domain>"
           "<selector>s1</selector><result>pass</result></dkim><spf><domain>example.com</domain>"
           "<result>fail</result></spf></auth_results></record>\n";
  }
  return xml + "</feedback>\n";
}

} // namespace

TEST_CASE("export writes exactly the documented JSON line and parsedmarc's CSV")
{
  TempDir dir;
  const std::string db = dir / "e.sqlite";
  const RunResult imported = dmarcctl({"--db", db, "import", fixture("expected/export-sample.xml")});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 0);

  const RunResult jsonl = dmarcctl({"--db", db, "export", "--format", "jsonl"});
  REQUIRE(jsonl.exit_code == 0);
  CHECK(jsonl.out == read_file(fixture("expected/export-sample.jsonl")));

  const RunResult csv = dmarcctl({"--db", db, "export", "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK(csv.out == read_file(fixture("expected/export-sample.csv")));

  const RunResult other = dmarcctl({"--db", db, "export", "--domain", "example.org"});
  REQUIRE(other.exit_code == 0);
  CHECK(other.out.empty());
}

TEST_CASE("export --domain matches the policy domain as summary does: any case, trailing dot")
{
  // A reporter that writes the policy domain in capitals: summary counts it for
  // example.com, so export --domain example.com must give it too.
  TempDir dir;
  const std::string db = dir / "c.sqlite";
  std::string xml = generated_report("caps-1", 2);
  const std::string lower = "<domain>example.com</domain><p>";
  xml.replace(xml.find(lower), lower.size(), "<domain>Example.COM</domain><p>");
  write_file(dir / "caps.xml", xml);
  REQUIRE(dmarcctl({"-q", "--db", db, "import", dir / "caps.xml"}).exit_code == 0);

  for (const char* asked : {"example.com", "EXAMPLE.com", " example.com. "}) {
    INFO(asked);
    const RunResult jsonl = dmarcctl({"--db", db, "export", "--domain", asked});
    REQUIRE(jsonl.exit_code == 0);
    CHECK(jsonl.out.find("\"report_id\":\"caps-1\"") != std::string::npos);
    const RunResult csv = dmarcctl({"--db", db, "export", "--format", "csv", "--domain", asked});
    REQUIRE(csv.exit_code == 0);
    CHECK(lines(csv.out).size() == 3);   // the header and the two records
  }
  CHECK(dmarcctl({"--db", db, "export", "--domain", "example.org"}).out.empty());

  // A reporter that writes the domain with a trailing dot: found by each spelling too.
  std::string dotted = generated_report("dot-1", 1);
  dotted.replace(dotted.find(lower), lower.size(), "<domain>example.net.</domain><p>");
  write_file(dir / "dot.xml", dotted);
  REQUIRE(dmarcctl({"-q", "--db", db, "import", dir / "dot.xml"}).exit_code == 0);
  for (const char* asked : {"example.net", "Example.NET."}) {
    INFO(asked);
    const RunResult jsonl = dmarcctl({"--db", db, "export", "--domain", asked});
    CHECK(lines(jsonl.out).size() == 1);
    CHECK(jsonl.out.find("\"report_id\":\"dot-1\"") != std::string::npos);
  }
}

TEST_CASE("a Maildir is read from cur/ and new/, with Maildir++ subfolders, nothing else")
{
  TempDir dir;
  const fs::path maildir = dir / "Maildir";
  for (const char* sub : {"cur", "new", "tmp", ".Archive/cur", ".Archive/new", ".Archive/tmp"}) {
    fs::create_directories(maildir / sub);
  }
  write_file((maildir / "cur/1700000000.M1.host:2,S").string(),
             report_mail(generated_report("md-1", 2), "md-1@reporter.example.net"));
  write_file((maildir / "new/1700000001.M2.host").string(),
             report_mail(generated_report("md-2", 3), "md-2@reporter.example.net"));
  write_file((maildir / ".Archive/cur/1700000002.M3.host:2,S").string(),
             report_mail(generated_report("md-3", 4), "md-3@reporter.example.net"));
  // Deliveries in progress and Dovecot's own files are not messages.
  write_file((maildir / "tmp/1700000003.M4.host").string(), "half a mess");
  write_file((maildir / "dovecot-uidlist").string(), "3 V1700000000 N4\n");
  write_file((maildir / "dovecot.index.log").string(), std::string(64, '\0'));

  const std::string db = dir / "m.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", maildir.string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == 3);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_records") == 9);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages") == 3);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE message_id = 'md-2@reporter.example.net'") == 1);
  CHECK(r.err.find("3 reports imported (3 DMARC, 0 TLS), 9 records, 0 duplicates") != std::string::npos);
}

TEST_CASE("a directory reached twice through a symlink is read once")
{
  TempDir dir;
  const fs::path tree = dir / "reports";
  fs::create_directories(tree / "sub");
  write_file((tree / "sub" / "a.xml").string(), generated_report("loop-1", 2));
  fs::create_directory_symlink(tree, tree / "sub" / "back"); // a loop to the parent
  const std::string db = dir / "loop.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", tree.string(), (tree / "sub").string()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("1 report imported (1 DMARC, 0 TLS), 2 records, 0 duplicates") !=
        std::string::npos);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages") == 1);
}

TEST_CASE("an mbox is split into its messages, >From lines unescaped")
{
  TempDir dir;
  std::string mbox;
  for (int i = 1; i <= 3; ++i) {
    mbox += "From MAILER-DAEMON Thu Nov 16 00:00:0" + std::to_string(i) + " 2023\n";
    std::string mail = report_mail(generated_report("mbox-" + std::to_string(i), i),
                                   "mbox-" + std::to_string(i) + "@reporter.example.net");
    // mbox files use LF line ends.
    std::string lf;
    for (char c : mail) {
      if (c != '\r') lf += c;
    }
    // A body line that starts with "From " is escaped in mbox.
    lf.insert(lf.find("This is a DMARC report."), ">From the reporter:\n");
    mbox += lf + "\n";
  }
  write_file(dir / "reports.mbox", mbox);
  const std::string db = dir / "mb.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", dir / "reports.mbox"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == 3);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_records") == 6);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE source LIKE '%reports.mbox#_'") == 3);
}

TEST_CASE("fixtures/shapes: mbox without empty lines, split gzip, windows-1252, odd MIME")
{
  TempDir dir;
  const std::string db = dir / "shapes.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", fixture("shapes/mbox-no-blank-line.mbox"),
                                fixture("shapes/multi-member.xml.gz"),
                                fixture("shapes/windows-1252.xml"),
                                fixture("shapes/no-transfer-encoding.eml"),
                                fixture("shapes/forward-as-eml-file.eml"),
                                fixture("shapes/bom-before-header.eml")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("9 reports imported (9 DMARC, 0 TLS), 11 records, 0 duplicates, "
                   "0 failure reports, 0 rejected") != std::string::npos);
  // Each dated "From " line starts a message, though no empty line comes before it; body
  // lines without the separator's date shape do not, even after an empty line.
  CHECK(query(db, "SELECT m.source, r.report_id, SUM(a.count) FROM messages m"
                  " JOIN aggregate_reports r ON r.message = m.id"
                  " JOIN aggregate_records a ON a.report = r.id"
                  " WHERE m.source LIKE '%.mbox#%' GROUP BY m.id ORDER BY m.id")
        == std::vector<Row>{
             {fixture("shapes/mbox-no-blank-line.mbox") + "#1", "shape-mbox-1", "1"},
             {fixture("shapes/mbox-no-blank-line.mbox") + "#2", "shape-mbox-2", "2"},
             {fixture("shapes/mbox-no-blank-line.mbox") + "#3", "shape-mbox-3", "3"}});
  // The report cut over two gzip members is whole: three records, counts 3, 4 and 5.
  CHECK(query(db, "SELECT a.source_ip, a.count FROM aggregate_records a JOIN aggregate_reports r"
                  " ON r.id = a.report WHERE r.report_id = 'shape-gzip-members-1' ORDER BY a.id")
        == std::vector<Row>{{"192.0.2.31", "3"}, {"192.0.2.32", "4"}, {"192.0.2.33", "5"}});
  // Base64 attachments without a Content-Transfer-Encoding header are decoded.
  CHECK(query(db, "SELECT r.report_id, a.count FROM aggregate_records a JOIN aggregate_reports r"
                  " ON r.id = a.report WHERE r.report_id LIKE 'shape-no-cte-%' ORDER BY a.id")
        == std::vector<Row>{{"shape-no-cte-1", "9"}, {"shape-no-cte-2", "10"}});
  // A report mail attached as an .eml file (octet-stream) is found inside it.
  CHECK(query(db, "SELECT m.message_id, a.count FROM messages m JOIN aggregate_reports r"
                  " ON r.message = m.id JOIN aggregate_records a ON a.report = r.id"
                  " WHERE r.report_id = 'shape-eml-file-1'")
        == std::vector<Row>{{"shape-eml-fwd@example.com", "11"}});
  // A saved mail with a BOM and an empty line before its header is still a mail.
  CHECK(query(db, "SELECT m.message_id, a.count FROM messages m JOIN aggregate_reports r"
                  " ON r.message = m.id JOIN aggregate_records a ON a.report = r.id"
                  " WHERE r.report_id = 'shape-bom-mail-1'")
        == std::vector<Row>{{"shape-bom-mail-1@reporter.example.net", "14"}});
  // windows-1252 bytes are stored as the characters they are.
  CHECK(query(db, "SELECT org_name FROM aggregate_reports WHERE report_id = 'shape-cp1252-1'")
        == std::vector<Row>{{"Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale \xE2\x82\xAC"}});
}

TEST_CASE("a TLS report mail whose folded parameters lack the leading blank is imported")
{
  TempDir dir;
  const std::string db = dir / "unindented.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", fixture("shapes/unindented-parameters.eml")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(query(db, "SELECT m.status, m.message_id, t.report_id, p.policy_domain, p.success_count,"
                  " p.failure_count FROM messages m JOIN tls_reports t ON t.message = m.id"
                  " JOIN tls_policies p ON p.report = t.id")
        == std::vector<Row>{{"imported", "shape-unindented-1@reporter.example.net",
                             "shape-unindented-1", "example.com", "15", "1"}});
}

TEST_CASE("a report attachment of zero bytes is rejected as empty, naming the attachment")
{
  TempDir dir;
  const std::string db = dir / "empty.sqlite";
  const std::string mail = fixture("shapes/empty-attachment.eml");
  const RunResult r = dmarcctl({"--db", db, "import", mail});
  CHECK(r.exit_code == 3);
  const auto err = lines(r.err);
  REQUIRE(err.size() == 2);
  CHECK(err[0] == mail + ": empty: attachment 'shape-empty-1.xml.gz' has zero bytes");
  CHECK(query(db, "SELECT status, reason, message_id FROM messages")
        == std::vector<Row>{{"rejected", "empty", "shape-empty-1@reporter.example.net"}});
}

TEST_CASE("concatenated reports: one per gzip member both imported, one .xml file rejected")
{
  TempDir dir;
  const std::string db = dir / "cat.sqlite";
  const std::string members = fixture("shapes/two-reports-two-members.xml.gz");
  const std::string two = fixture("shapes/two-feedback.xml");
  const RunResult r = dmarcctl({"--db", db, "import", members, two});
  CHECK(r.exit_code == 3);
  const auto err = lines(r.err);
  REQUIRE(err.size() == 2);
  CHECK(err[0] == two + ": invalid-report: more than one <feedback> in the document "
                        "(concatenated reports)");
  CHECK(err[1] == "2 reports imported (2 DMARC, 0 TLS), 2 records, 0 duplicates, "
                  "0 failure reports, 1 rejected");
  CHECK(query(db, "SELECT r.report_id, a.count FROM aggregate_reports r JOIN aggregate_records a"
                  " ON a.report = r.id ORDER BY r.id")
        == std::vector<Row>{{"shape-cat-1", "12"}, {"shape-cat-2", "13"}});
}

TEST_CASE("one message on stdin with -")
{
  TempDir dir;
  const std::string db = dir / "s.sqlite";
  RunOptions options;
  options.stdin_data = report_mail(generated_report("stdin-1", 5), "stdin-1@reporter.example.net");
  const RunResult r = dmarcctl({"--db", db, "import", "-"}, options);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(scalar(db, "SELECT SUM(count) FROM aggregate_records") == 15);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE source = '-'") == 1);
}

TEST_CASE("bad inputs are reported as SOURCE: REASON: detail, recorded, and the run goes on")
{
  TempDir dir;
  write_file(dir / "empty.xml", "");
  write_file(dir / "notes.txt", "just some text\n");
  write_file(dir / "broken.xml", "<feedback><report_metadata><org_name>x</org_name>");
  write_file(dir / "good.xml", generated_report("good-1", 2));
  const std::string db = dir / "b.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", dir / "empty.xml", dir / "notes.txt",
                                dir / "broken.xml", dir / "good.xml"});
  CHECK(r.exit_code == 3);
  const auto err = lines(r.err);
  REQUIRE(err.size() == 4);
  CHECK(err[0] == dir / "empty.xml" + ": empty: zero bytes");
  CHECK(err[1].rfind(dir / "notes.txt" + ": not-a-report: ", 0) == 0);
  CHECK(err[2].rfind(dir / "broken.xml" + ": invalid-report: ", 0) == 0);
  CHECK(err[3] == "1 report imported (1 DMARC, 0 TLS), 2 records, 0 duplicates, "
                  "0 failure reports, 3 rejected");
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE status = 'rejected'") == 3);
  const auto reasons = query(db, "SELECT reason FROM messages WHERE status = 'rejected' ORDER BY id");
  REQUIRE(reasons.size() == 3);
  CHECK(*reasons[0][0] == "empty");
  CHECK(*reasons[1][0] == "not-a-report");
  CHECK(*reasons[2][0] == "invalid-report");
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == 1);

  SECTION("-q prints the rejections and nothing else")
  {
    const RunResult quiet = dmarcctl({"-q", "--db", db, "import", dir / "empty.xml", dir / "good.xml"});
    CHECK(quiet.exit_code == 3);
    CHECK(quiet.out.empty());
    CHECK(lines(quiet.err) == std::vector<std::string>{dir / "empty.xml" + ": empty: zero bytes"});
  }
}

TEST_CASE("a bad attachment in a mail is named in the rejection, in the database too")
{
  TempDir dir;
  const std::string mail = dir / "broken-attachment.eml";
  write_file(mail, report_mail("<feedback><report_metadata><org_name>x</org_name></feedback>",
                               "broken-attachment@example.net"));
  const std::string db = dir / "a.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", mail});
  CHECK(r.exit_code == 3);
  const auto err = lines(r.err);
  REQUIRE(err.size() == 2);
  const std::string prefix = mail + ": invalid-report: attachment 'report.xml': ";
  CHECK(err[0].rfind(prefix, 0) == 0);
  const auto rows = query(db, "SELECT reason, detail FROM messages WHERE source = ?1", {mail});
  REQUIRE(rows.size() == 1);
  CHECK(rows[0][0] == "invalid-report");
  CHECK(rows[0][1] == err[0].substr(mail.size() + std::string(": invalid-report: ").size()));
}

TEST_CASE("-v names every input and what it held; without -v only the summary line")
{
  TempDir dir;
  write_file(dir / "a.xml", generated_report("verbose-1", 2));
  write_file(dir / "b.eml", report_mail(generated_report("verbose-2", 1), "verbose-2@example.net"));
  write_file(dir / "c.txt", "no report here\n");
  const std::string db = dir / "v.sqlite";
  const RunResult r = dmarcctl({"-v", "--db", db, "import", dir / "a.xml", dir / "b.eml", dir / "c.txt"});
  CHECK(r.exit_code == 3);
  CHECK(lines(r.err) == std::vector<std::string>{
          dir / "a.xml" + ": imported: 1 DMARC report, 2 records",
          dir / "b.eml" + ": imported: 1 DMARC report, 1 record",
          dir / "c.txt" + ": not-a-report: not a mail, an XML, JSON, gzip or zip report",
          "2 reports imported (2 DMARC, 0 TLS), 3 records, 0 duplicates, 0 failure reports, "
          "1 rejected"});
  const RunResult again = dmarcctl({"-v", "--db", db, "import", dir / "a.xml"});
  CHECK(again.exit_code == 0);
  CHECK(lines(again.err) == std::vector<std::string>{
          dir / "a.xml" + ": duplicate: 1 DMARC report already stored",
          "0 reports imported (0 DMARC, 0 TLS), 0 records, 1 duplicate, 0 failure reports, "
          "0 rejected"});
  CHECK(lines(dmarcctl({"--db", db, "import", dir / "a.xml"}).err).size() == 1);
}

TEST_CASE("a path that cannot be read is an error, not a report with a reason; the run goes on")
{
  TempDir dir;
  write_file(dir / "good.xml", generated_report("readable-1", 2));
  const std::string db = dir / "u.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", dir / "missing.xml", dir / "good.xml"});
  CHECK(r.exit_code == 3);
  const auto err = lines(r.err);
  REQUIRE(err.size() == 2);
  CHECK(err[0] == "dmarcctl: " + dir / "missing.xml" + ": cannot read: no such file or directory");
  CHECK(err[1] == "1 report imported (1 DMARC, 0 TLS), 2 records, 0 duplicates, "
                  "0 failure reports, 0 rejected; 1 path could not be read");
  // Only the five reasons are ever recorded; a missing path is not an input.
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages") == 1);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE status = 'rejected'") == 0);

  const RunResult quiet = dmarcctl({"-q", "--db", db, "import", dir / "missing.xml"});
  CHECK(quiet.exit_code == 3);
  CHECK(lines(quiet.err) == std::vector<std::string>{"dmarcctl: " + dir / "missing.xml"
                                                     + ": cannot read: no such file or directory"});
}

TEST_CASE("exit codes: 2 for usage, 1 when the database cannot be written")
{
  TempDir dir;
  CHECK(dmarcctl({"import"}).exit_code == 2);
  CHECK(dmarcctl({"--no-such-option", "summary"}).exit_code == 2);
  const RunResult typo = dmarcctl({"improt", "x"});
  CHECK(typo.exit_code == 2);
  CHECK(typo.err.find("did you mean 'import'?") != std::string::npos);
  CHECK(dmarcctl({"export", "--format", "xml"}).exit_code == 2);

  write_file(dir / "good.xml", generated_report("g", 1));
  const RunResult unwritable = dmarcctl({"--db", dir / "no/such/dir/x.sqlite", "import", dir / "good.xml"});
  CHECK(unwritable.exit_code == 1);
  CHECK(unwritable.err.find("no/such/dir/x.sqlite") != std::string::npos);

  const RunResult missing = dmarcctl({"--db", dir / "absent.sqlite", "summary"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("no database at") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "absent.sqlite"));
}

TEST_CASE("every command has --help")
{
  for (const auto& args : std::vector<std::vector<std::string>>{
         {"--help"}, {"import", "--help"}, {"export", "--help"}, {"summary", "--help"},
         {"db", "--help"}, {"db", "check", "--help"}, {"advise", "--help"}, {"fetch", "--help"},
         {"run", "--help"}, {"forward", "--help"}, {"config", "check", "--help"}, {"check", "--help"}}) {
    const RunResult r = dmarcctl(args);
    INFO(args.front());
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Usage:") != std::string::npos);
  }
  // The exit codes of the README, 4 and 5 included (run exits 4 on a regression, too).
  const std::string help = dmarcctl({"--help"}).out;
  CHECK(help.find("Exit status: 0 ok, 1 error, 2 usage, 3 some inputs failed, 4 the advisor sees a "
                  "regression (run, advise --exit-code), 5 check found an error.") != std::string::npos);
  CHECK(dmarcctl({"import", "--help"}).out.find("3 some were rejected or could not be read")
        != std::string::npos);
}

TEST_CASE("the database file is created with mode 0600 and passes db check")
{
  TempDir dir;
  write_file(dir / "good.xml", generated_report("perm", 1));
  const std::string db = dir / "p.sqlite";
  REQUIRE(dmarcctl({"--db", db, "import", dir / "good.xml"}).exit_code == 0);
  struct stat st{};
  REQUIRE(stat(db.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const RunResult check = dmarcctl({"--db", db, "db", "check"});
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("integrity:        ok") != std::string::npos);
  CHECK(check.out.find("dmarc reports:    1 (1 records, 1 messages)") != std::string::npos);
}

TEST_CASE("summary totals per domain, in text, json and csv")
{
  TempDir dir;
  write_file(dir / "a.xml", generated_report("sum-a", 4));   // 1+2+3+4 = 10 messages, all pass
  const std::string db = dir / "s.sqlite";
  REQUIRE(dmarcctl({"--db", db, "import", dir / "a.xml", fixture("expected/export-sample.xml")}).exit_code == 0);
  const RunResult json = dmarcctl({"--db", db, "summary", "--as-of", "2023-11-20", "--since", "30d",
                                   "--format", "json"});
  REQUIRE(json.exit_code == 0);
  // example.com: 10 + 4294967296 + 3 messages; passing: 10 + 4294967296.
  CHECK(json.out.find("\"messages\": 4294967309") != std::string::npos);
  CHECK(json.out.find("\"dmarc_pass\": 4294967306") != std::string::npos);
  CHECK(json.out.find("\"reports\": 2") != std::string::npos);
  const RunResult csv = dmarcctl({"--db", db, "summary", "--as-of", "2023-11-20", "--since", "30d",
                                  "--format", "csv"});
  REQUIRE(csv.exit_code == 0);
  CHECK(lines(csv.out).at(1).rfind("example.com,2,6,4294967309,4294967306,", 0) == 0);
  const RunResult outside = dmarcctl({"--db", db, "summary", "--as-of", "2023-10-01"});
  CHECK(outside.out.find("No reports in this period.") != std::string::npos);
}

TEST_CASE("peak memory is bounded by the largest report, not by the number of reports")
{
  TempDir dir;
  fs::create_directories(dir / "many");
  // 50 reports of 1,000 records: 50,000 records in all.
  for (int i = 0; i < 50; ++i) {
    write_file(dir / ("many/r" + std::to_string(i) + ".xml"), generated_report("mem-" + std::to_string(i), 1000));
  }
  fs::create_directories(dir / "one");
  fs::copy_file(dir / "many/r0.xml", dir / "one/r0.xml");
  RunOptions options;
#if defined(__SANITIZE_ADDRESS__)
  // ASan keeps freed memory in a quarantine (256 MB) that counts as resident; without it the
  // figures compare the program's own memory again (leak detection stays on).
  const char* asan = std::getenv("ASAN_OPTIONS");
  options.env["ASAN_OPTIONS"] = std::string(asan != nullptr ? asan : "")
                                + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
#endif
  const RunResult one = dmarcctl({"-q", "--db", dir / "one.sqlite", "import", dir / "one"}, options);
  const RunResult many = dmarcctl({"-q", "--db", dir / "many.sqlite", "import", dir / "many"}, options);
  REQUIRE(one.exit_code == 0);
  REQUIRE(many.exit_code == 0);
  CHECK(scalar(dir / "many.sqlite", "SELECT COUNT(*) FROM aggregate_records") == 50000);
  INFO("peak RSS: one report " << one.max_rss_kb << " KiB, 50 reports " << many.max_rss_kb << " KiB");
#ifdef DMARC_SANITIZED
  WARN("peak memory not compared: the sanitizer build inflates RSS");
#else
  // The SQLite page cache may grow a little with the database; the documents must not add up.
  CHECK(many.max_rss_kb < one.max_rss_kb + 16 * 1024);
#endif
}
