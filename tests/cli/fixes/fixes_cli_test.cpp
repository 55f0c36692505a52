// End-to-end tests of the fixes of issue 14 ("what a new user and 145 real reports found"):
// import of unreadable directories, the database's own files, reports of the shapes real
// reporters send (fixtures/issue14), conflicting duplicates, and the CLI's answers to
// unknown commands, empty windows and --help. The built binary, the database read with SQL.
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

using namespace dmarc::test;
namespace fs = std::filesystem;

namespace {

std::string shape(const std::string& name)
{
  return fixture("issue14/" + name);
}

bool contains(const std::string& haystack, const std::string& needle)
{
  return haystack.find(needle) != std::string::npos;
}

// Runs dmarcctl as an unprivileged user when the test runs as root (root reads a mode 000
// directory anyway), so a permission error is real.
RunResult dmarcctl_unprivileged(const TempDir& dir, const std::vector<std::string>& args)
{
  if (geteuid() != 0) {
    return dmarcctl(args);
  }
  chmod(dir.path().c_str(), 0777);
  std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                                   "--clear-groups", DMARC_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}

} // namespace

TEST_CASE("import: a directory that cannot be read is an error naming it, exit 3")
{
  TempDir dir;
  const std::string db = dir / "u.sqlite";
  fs::create_directory(dir / "locked");
  write_file(dir / "locked/r.xml", read_file(shape("data-range.xml")));
  chmod((dir / "locked").c_str(), 0000);
  const RunResult r = dmarcctl_unprivileged(dir, {"--db", db, "import", dir / "locked"});
  chmod((dir / "locked").c_str(), 0755);
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, dir / "locked" + ": cannot read directory: Permission denied"));
  CHECK(contains(r.err, "1 path could not be read"));

  // The cur/ of a Maildir likewise.
  fs::create_directories(dir / "Maildir/cur");
  fs::create_directories(dir / "Maildir/new");
  chmod((dir / "Maildir/cur").c_str(), 0000);
  const RunResult m = dmarcctl_unprivileged(dir, {"--db", db, "import", dir / "Maildir"});
  chmod((dir / "Maildir/cur").c_str(), 0755);
  INFO(m.err);
  CHECK(m.exit_code == 3);
  CHECK(contains(m.err, dir / "Maildir/cur: cannot read directory: Permission denied"));
}

TEST_CASE("import .: the open database's own files are skipped, on every rerun")
{
  TempDir dir;
  write_file(dir / "r.xml", read_file(shape("data-range.xml")));
  RunOptions in_dir;
  in_dir.cwd = dir.path();
  for (int pass = 0; pass < 2; ++pass) {
    const RunResult r = dmarcctl({"--db", "s.sqlite", "import", "."}, in_dir);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.err, "0 rejected"));
  }
  CHECK(scalar(dir / "s.sqlite", "SELECT count(*) FROM messages") == 1);
  CHECK(scalar(dir / "s.sqlite", "SELECT count(*) FROM messages WHERE source LIKE '%sqlite%'") == 0);
}

TEST_CASE("import: <data_range> is read as <date_range> and said so with -v")
{
  TempDir dir;
  const std::string db = dir / "d.sqlite";
  const RunResult r = dmarcctl({"--db", db, "-v", "import", shape("data-range.xml")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "data-range.xml: repaired: <data_range> read as <date_range>"));
  const auto rows = query(db, "SELECT begin_ts, end_ts, record_count, message_count, recovered"
                              " FROM aggregate_reports");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == Row{"1700000000", "1700086399", "1", "5", "1"});
}

TEST_CASE("import: a TLS policy without total-failure-session-count and no failures counts 0")
{
  TempDir dir;
  const std::string db = dir / "t.sqlite";
  const RunResult r = dmarcctl({"--db", db, "-v", "import", shape("tls-missing-failure-count.json")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "policies[0].summary: missing \"total-failure-session-count\" read as 0"
                        " (no failure-details)"));
  const auto rows = query(db, "SELECT success_count, failure_count FROM tls_policies");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == Row{"42", "0"});
}

TEST_CASE("import: an invalid TLS policy is skipped, the others stored, export marks partial")
{
  TempDir dir;
  const std::string db = dir / "p.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", shape("tls-invalid-policy.json")});
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "tls-invalid-policy.json: invalid-report: policies[1]: unknown "
                        "\"policy-type\" 'dane-sts-hybrid' (policy skipped, the report's other "
                        "policies were imported)"));
  CHECK(contains(r.err, "1 report imported (0 DMARC, 1 TLS)"));
  const auto rows = query(db, "SELECT policy_type, success_count, failure_count FROM tls_policies");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == Row{"sts", "10", "1"});

  const RunResult e = dmarcctl({"--db", db, "export"});
  REQUIRE(e.exit_code == 0);
  CHECK(contains(e.out, "\"partial\":true"));
  CHECK(contains(e.out, "\"skipped_policies\":[\"policies[1]: unknown \\\"policy-type\\\" "
                        "'dane-sts-hybrid'\"]"));

  // A complete report is not partial.
  const RunResult ok = dmarcctl({"--db", db, "import", fixture("tlsrpt/sts-all-fields.json")});
  REQUIRE(ok.exit_code == 0);
  const RunResult e2 = dmarcctl({"--db", db, "export"});
  const auto out = lines(e2.out);
  REQUIRE(out.size() == 2);
  CHECK(contains(out[1], "\"partial\":false"));
}

TEST_CASE("import: an impossible RFC 3339 date makes the TLS report invalid")
{
  TempDir dir;
  const std::string db = dir / "i.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", shape("tls-impossible-date.json")});
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "invalid-report: invalid \"start-datetime\" in date-range: '2024-02-30T00:00:00Z'"));
  CHECK(scalar(db, "SELECT count(*) FROM tls_reports") == 0);
}

TEST_CASE("export: an empty element is null everywhere; a record without source is no top source")
{
  TempDir dir;
  const std::string db = dir / "e.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", shape("empty-elements.xml")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(scalar(db, "SELECT count(*) FROM aggregate_records") == 2);
  const RunResult e = dmarcctl({"--db", db, "export"});
  REQUIRE(e.exit_code == 0);
  CHECK(contains(e.out, "\"dkim\":[{\"domain\":null,\"selector\":null,\"result\":\"none\"}]"));
  CHECK(contains(e.out, "\"spf\":[{\"domain\":null,\"scope\":null,\"result\":null}]"));
  CHECK(contains(e.out, "{\"source_ip\":null,\"count\":0,"));
  CHECK_FALSE(contains(e.out, "\"\""));

  const RunResult s = dmarcctl({"--db", db, "summary", "--since", "2023-11-01", "--as-of",
                                "2023-11-30", "--format", "json"});
  REQUIRE(s.exit_code == 0);
  CHECK(contains(s.out, "192.0.2.20"));
  CHECK_FALSE(contains(s.out, "\"ip\":\"\""));
}

TEST_CASE("import: a conflicting duplicate is kept first, counted and named, and db check says so")
{
  TempDir dir;
  const std::string db = dir / "c.sqlite";
  REQUIRE(dmarcctl({"--db", db, "import", shape("conflict-first.xml")}).exit_code == 0);
  const RunResult r = dmarcctl({"--db", db, "import", shape("conflict-second.xml")});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "conflict-second.xml: conflicting duplicate: conflict.example.net "
                        "report conflict-1 for example.com: 12 vs 7 messages (the first one "
                        "stored is kept)"));
  CHECK(contains(r.err, "1 duplicate (1 conflicting)"));
  CHECK(scalar(db, "SELECT message_count FROM aggregate_reports") == 12);

  // The same bytes again are a plain duplicate of the message, no new conflict.
  const RunResult same = dmarcctl({"--db", db, "import", shape("conflict-first.xml")});
  CHECK_FALSE(contains(same.err, "conflicting"));

  const RunResult check = dmarcctl({"--db", db, "db", "check"});
  INFO(check.out);
  CHECK(check.exit_code == 0);
  CHECK(contains(check.out, "conflicting duplicates: 1"));
  CHECK(contains(check.out, "conflict.example.net report conflict-1 for example.com: 12 vs 7 "
                            "messages"));
}

TEST_CASE("import: a non-report mail's RFC 2047 Latin-1 subject is stored as UTF-8")
{
  TempDir dir;
  const std::string db = dir / "l.sqlite";
  const RunResult r = dmarcctl({"--db", db, "import", shape("latin1-subject-spam.eml")});
  CHECK(r.exit_code == 3);
  const auto rows = query(db, "SELECT subject FROM messages");
  REQUIRE(rows.size() == 1);
  // Blanks between two encoded words are dropped (RFC 2047 §6.2).
  CHECK(rows[0][0] == std::string("Rapport r\xC3\xA9sum\xC3\xA9\xE2\x82\xAC\xEF\xBF\xBD"));
}

TEST_CASE("config check: an authorized_ips entry the advisor cannot read is named by line")
{
  TempDir dir;
  for (const std::string bad : {"198.51.100.0/+24", "198.51.100.0/ 24", "010.0.0.1"}) {
    write_file(dir / "c.toml", "[[domain]]\nname = \"example.com\"\n\nauthorized_ips = [\n"
                               "  \"192.0.2.0/24\",\n  \"" + bad + "\",\n]\n");
    const RunResult r = dmarcctl({"-c", dir / "c.toml", "config", "check"});
    INFO(bad << ": " << r.err);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, dir / "c.toml:6:3: [[domain]] #1.authorized_ips: '" + bad
                            + "' is not an IP address or CIDR range"));
  }
}

// ---- CLI ---------------------------------------------------------------------------------

TEST_CASE("an unknown command names itself and lists the commands; help COMMAND works")
{
  const RunResult r = dmarcctl({"stats"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "dmarcctl: unknown command 'stats'"));
  CHECK(contains(r.err, "Commands: import, export, summary, advise, db, config, fetch, run, forward"));

  const RunResult near = dmarcctl({"imprt", "x"});
  CHECK(near.exit_code == 2);
  CHECK(contains(near.err, "unknown command 'imprt' (did you mean 'import'?)"));

  const RunResult sub = dmarcctl({"db", "foo"});
  CHECK(sub.exit_code == 2);
  CHECK(contains(sub.err, "dmarcctl db: unknown command 'foo'"));
  CHECK(contains(sub.err, "Commands: migrate, check, vacuum"));

  const RunResult missing = dmarcctl({"config"});
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "dmarcctl config: a command is required: check"));

  const RunResult show = dmarcctl({"config", "show"});
  CHECK(show.exit_code == 2);
  CHECK(contains(show.err, "dmarcctl config: unknown command 'show'"));
  CHECK_FALSE(contains(missing.err, "A subcommand is required"));

  const RunResult none = dmarcctl({});
  CHECK(none.exit_code == 2);
  CHECK(contains(none.err, "a command is required: import, export"));

  const RunResult help = dmarcctl({"help"});
  CHECK(help.exit_code == 0);
  CHECK(contains(help.out, "Usage: dmarcctl"));
  CHECK(contains(help.out, "summary"));

  const RunResult help_cmd = dmarcctl({"help", "import"});
  CHECK(help_cmd.exit_code == 0);
  CHECK(contains(help_cmd.out, "Usage: dmarcctl import"));

  const RunResult help_sub = dmarcctl({"help", "db", "check"});
  CHECK(help_sub.exit_code == 0);
  CHECK(contains(help_sub.out, "Usage: dmarcctl db check"));

  const RunResult help_bad = dmarcctl({"help", "stats"});
  CHECK(help_bad.exit_code == 2);
  CHECK(contains(help_bad.err, "unknown command 'stats'"));
}

TEST_CASE("every command's --help lists the global options and only its exit codes")
{
  const RunResult summary = dmarcctl({"summary", "--help"});
  REQUIRE(summary.exit_code == 0);
  CHECK(contains(summary.out, "--db"));
  CHECK(contains(summary.out, "-c,--config"));
  CHECK(contains(summary.out, "-v,--verbose"));
  CHECK(contains(summary.out, "-q,--quiet"));
  CHECK(contains(summary.out, "Exit status: 0 ok, 1 error, 2 usage error."));
  CHECK_FALSE(contains(summary.out, "regression"));

  const RunResult advise = dmarcctl({"advise", "--help"});
  CHECK(contains(advise.out, "Exit status: 0 ok, 1 error, 2 usage error, 4 a regression (with --exit-code)."));

  const RunResult import = dmarcctl({"import", "--help"});
  CHECK(contains(import.out, "--db"));
  CHECK(contains(import.out, "3 some"));
  CHECK_FALSE(contains(import.out, "4 "));

  const RunResult check = dmarcctl({"db", "check", "--help"});
  CHECK(check.exit_code == 0);
  CHECK(contains(check.out, "--db"));
  CHECK(contains(check.out, "Exit status:"));
}

TEST_CASE("summary and advise on an old database say what is stored and how to see it")
{
  TempDir dir;
  const std::string db = dir / "o.sqlite";
  REQUIRE(dmarcctl({"--db", db, "import", shape("data-range.xml"), shape("conflict-first.xml")})
            .exit_code == 0);
  const RunResult s = dmarcctl({"--db", db, "summary", "--as-of", "2024-06-30"});
  INFO(s.out);
  CHECK(s.exit_code == 0);
  CHECK(contains(s.out, "No reports in this period.\nThe database holds 2 reports from "
                        "2023-11-14 to 2023-11-15 (UTC); see them with --since 2023-11-14 or "
                        "--as-of 2023-11-15.\n"));
  // A period before the reports: only --as-of helps.
  const RunResult early = dmarcctl({"--db", db, "summary", "--as-of", "2020-01-31"});
  CHECK(contains(early.out, "(UTC); see them with --as-of 2023-11-15.\n"));

  const RunResult a = dmarcctl({"--db", db, "advise", "--as-of", "2024-06-30"});
  INFO(a.out);
  CHECK(a.exit_code == 0);
  CHECK(contains(a.out, "The database holds 2 reports from 2023-11-14 to 2023-11-15 (UTC); see "
                        "them with --as-of 2023-11-15."));

  const RunResult d = dmarcctl({"--db", db, "summary", "--domain", "nothere.org"});
  CHECK(d.exit_code == 2);
  CHECK(contains(d.err, "dmarcctl: usage: --domain nothere.org: no reports for this domain; known "
                        "domains: example.com"));
  // advise still judges a named domain without reports ("wait"), and says it is unknown.
  const RunResult ad = dmarcctl({"--db", db, "advise", "--domain", "nothere.org"});
  CHECK(ad.exit_code == 0);
  CHECK(contains(ad.err, "dmarcctl: --domain nothere.org: no reports for this domain; known "
                         "domains: example.com"));
  CHECK(contains(ad.out, "nothere.org"));
}
