// `dmarcctl fetch` and `run` against a real Dovecot on 127.0.0.1 (issue #4 acceptance):
// IMAPS and STARTTLS, move / seen / delete / leave, two accounts, folder names with spaces,
// non-ASCII and '.' separators, a server without MOVE, a wrong password, an untrusted
// certificate, a server that stops answering mid-fetch, SIGKILL mid-fetch and rerun, the
// password never shown, the run lock. Mailboxes are checked with doveadm, the database
// with plain SQL. Needs root and dovecot-imapd (scripts/install-deps); without them the
// tests fail with that message.
#include "dovecot.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace dmarc::test;
namespace fs = std::filesystem;

namespace {

const std::string k_password = "Pa55-w0rd.Very!Secret#42";

struct Account
{
  std::string name = "dmarc";
  std::string url;
  std::string username = "dmarc";
  std::string password = k_password;
  std::string password_env;        // set: password_env instead of a file
  mode_t password_mode = 0600;
  std::string ca_file = test_certificates().ca_file;
  std::string tls;                 // "" = the default (required)
  std::vector<std::string> mailboxes{"INBOX"};
  std::string after = "move";
  std::string archive = "Archive/DMARC";
  std::string invalid = "Invalid";
  int batch = 50;
  int timeout = 10;
};

std::string toml(const std::string& s)
{
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out + "\"";
}

// Writes dmarcctl.toml (and the password files) into `dir`; returns its path.
std::string write_config(const TempDir& dir, const std::vector<Account>& accounts,
                         const std::string& extra = {})
{
  std::string text = "[database]\npath = " + toml(dir / "reports.sqlite") + "\n" + extra + "\n";
  for (const Account& a : accounts) {
    text += "[[imap]]\nname = " + toml(a.name) + "\nurl = " + toml(a.url) + "\nusername = "
            + toml(a.username) + "\n";
    if (!a.password_env.empty()) {
      text += "password_env = " + toml(a.password_env) + "\n";
    } else {
      const std::string file = dir / (a.name + ".pass");
      write_file(file, a.password + "\n");
      chmod(file.c_str(), a.password_mode);
      text += "password_file = " + toml(file) + "\n";
    }
    if (!a.ca_file.empty()) {
      text += "ca_file = " + toml(a.ca_file) + "\n";
    }
    if (!a.tls.empty()) {
      text += "tls = " + toml(a.tls) + "\n";
    }
    text += "mailboxes = [";
    for (std::size_t i = 0; i < a.mailboxes.size(); ++i) {
      text += (i ? ", " : "") + toml(a.mailboxes[i]);
    }
    text += "]\nafter = " + toml(a.after) + "\narchive = " + toml(a.archive) + "\ninvalid = "
            + toml(a.invalid) + "\nbatch = " + std::to_string(a.batch)
            + "\nconnect_timeout = 5\ntimeout = " + std::to_string(a.timeout) + "\n\n";
  }
  const std::string path = dir / "dmarcctl.toml";
  write_file(path, text);
  return path;
}

// A DMARC aggregate report mail with a unique report id.
std::string report_mail(const std::string& report_id, int records = 2)
{
  std::string xml = "<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>imap.example.net"
                    "</org_name><email>r@imap.example.net</email><report_id>" + report_id
                    + "</report_id><date_range><begin>1700000000</begin><end>1700086399</end>"
                    "</date_range></report_metadata><policy_published><domain>example.com</domain>"
                    "<p>none</p></policy_published>\n";
  for (int i = 1; i <= records; ++i) {
    xml += "<record><row><source_ip>192.0.2." + std::to_string(i) + "</source_ip><count>" + std::to_string(i)
           + "</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass"
           "</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from>"
           "</identifiers><auth_results><spf><domain>example.com</domain><result>pass</result>"
           "</spf></auth_results></record>\n";
  }
  xml += "</feedback>\n";
  return "From: dmarc-noreply@imap.example.net\r\nTo: dmarc-reports@example.com\r\n"
         "Subject: Report domain: example.com Submitter: imap.example.net Report-ID: " + report_id
         + "\r\nMessage-ID: <" + report_id + "@imap.example.net>\r\nMIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
         "DMARC report\r\n--b\r\nContent-Type: text/xml\r\nContent-Disposition: attachment; "
         "filename=\"report.xml\"\r\n\r\n" + xml + "\r\n--b--\r\n";
}

std::string not_a_report(const std::string& subject)
{
  return "From: someone@example.org\r\nTo: dmarc-reports@example.com\r\nSubject: " + subject
         + "\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\nJust a mail.\r\n";
}

std::vector<std::string> report_mails(const std::string& prefix, int n)
{
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) {
    out.push_back(report_mail(prefix + "-" + std::to_string(i)));
  }
  return out;
}

bool contains(const std::string& haystack, const std::string& needle)
{
  return haystack.find(needle) != std::string::npos;
}

long long count(const std::string& db, const std::string& sql)
{
  return scalar(db, sql);
}

// Writes to the database with plain SQL (test::query opens read-only).
void execute(const std::string& db_path, const std::string& sql)
{
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO((message ? message : ""));
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// The messages rows, or 0 while the database does not exist yet.
long long stored_messages(const std::string& db)
{
  if (!fs::exists(db)) {
    return 0;
  }
  try {
    return count(db, "SELECT count(*) FROM messages");
  } catch (const std::exception&) {
    return 0; // not migrated yet
  }
}

std::string dmarcctl_binary()
{
#ifdef DMARC_BINARY
  return DMARC_BINARY;
#else
  return "dmarcctl";
#endif
}

std::string all_output(const RunResult& r)
{
  return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

} // namespace

TEST_CASE("fetch over IMAPS stores every report mail, archives it and sends the rest to Invalid")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(fixture("mail"))) {
    if (entry.path().extension() == ".eml") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 15);
  for (const std::string& f : files) {
    dc.deliver("dmarc", "INBOX", read_file(f));
  }
  const long long delivered = static_cast<long long>(files.size());
  const long long uidvalidity = dc.status("dmarc", "INBOX", "uidvalidity");

  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.batch = 4;
  const std::string config = write_config(dir, {a});
  const std::string db = dir / "reports.sqlite";
  const RunResult r = dmarcctl({"-c", config, "-v", "fetch"});
  INFO(all_output(r));
  // no_attachment.eml is not a report: moved to Invalid, it is handled (issue 14), exit 0.
  CHECK(r.exit_code == 0);
  CHECK(contains(r.err, "imap://dmarc/INBOX;UID="));
  CHECK(contains(r.err, ": not-a-report: "));
  CHECK(contains(r.err, "fetched " + std::to_string(delivered) + " messages from 1 account: "));
  CHECK(contains(r.err, "without a report moved to the invalid mailbox"));

  // The same mails imported from the files give the same reports.
  TempDir local;
  std::vector<std::string> args = {"--db", local / "l.sqlite", "import"};
  args.insert(args.end(), files.begin(), files.end());
  const RunResult imported = dmarcctl(args);
  REQUIRE((imported.exit_code == 0 || imported.exit_code == 3));
  const std::string ldb = local / "l.sqlite";
  for (const char* table : {"aggregate_reports", "aggregate_records", "auth_results", "tls_reports",
                            "tls_policies", "tls_failures", "failure_reports"}) {
    INFO(table);
    CHECK(count(db, std::string("SELECT count(*) FROM ") + table)
          == count(ldb, std::string("SELECT count(*) FROM ") + table));
  }
  CHECK(count(db, "SELECT count(*) FROM aggregate_reports") > 0);
  CHECK(count(db, "SELECT count(*) FROM tls_reports") > 0);
  const long long rejected = count(db, "SELECT count(*) FROM messages WHERE status = 'rejected'");
  CHECK(rejected == count(ldb, "SELECT count(*) FROM messages WHERE status = 'rejected'"));
  CHECK(rejected >= 1);

  // Every message row knows where it came from.
  CHECK(count(db, "SELECT count(*) FROM messages") == delivered);
  CHECK(count(db, "SELECT count(DISTINCT uid) FROM messages WHERE source = 'imap://dmarc/INBOX'"
                  " AND account = 'dmarc' AND mailbox = 'INBOX' AND uidvalidity = "
                  + std::to_string(uidvalidity))
        == delivered);
  CHECK(count(db, "SELECT count(*) FROM messages WHERE status = 'rejected' AND reason = 'not-a-report'") >= 1);

  // Nothing left behind; bodies were read with BODY.PEEK[]: all still unseen.
  CHECK(dc.status("dmarc", "INBOX", "messages") == 0);
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == delivered - rejected);
  CHECK(dc.status("dmarc", "Archive/DMARC", "unseen") == delivered - rejected);
  CHECK(dc.status("dmarc", "Invalid", "messages") == rejected);
  const auto state = query(db, "SELECT uidvalidity, last_uid FROM imap_state WHERE account = 'dmarc'"
                               " AND mailbox = 'INBOX'");
  REQUIRE(state.size() == 1);
  CHECK(state[0][0] == std::to_string(uidvalidity));
  CHECK(state[0][1] == std::to_string(delivered));

  // A rerun finds nothing new and changes nothing.
  const RunResult again = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(again));
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, "fetched 0 messages from 1 account"));
  CHECK(count(db, "SELECT count(*) FROM messages") == delivered);
  CHECK(count(db, "SELECT sum(seen_count) FROM messages") == delivered);
}

TEST_CASE("imap:// uses STARTTLS and verifies it; tls = \"none\" is plaintext on loopback only")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  dc.add_user("plain", k_password);
  for (const std::string& m : report_mails("starttls", 3)) {
    dc.deliver("dmarc", "INBOX", m);
  }
  dc.deliver("plain", "INBOX", report_mail("plain-1"));

  TempDir dir;
  Account a;
  a.url = dc.imap_url();
  Account p;
  p.name = "plain";
  p.username = "plain";
  p.url = dc.imap_url();
  p.tls = "none";
  p.ca_file.clear();
  const std::string config = write_config(dir, {a, p});
  const RunResult r = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(r) + "\n--- dovecot.log\n" + dc.log());
  CHECK(r.exit_code == 0);
  CHECK(count(dir / "reports.sqlite", "SELECT count(*) FROM aggregate_reports") == 4);
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == 3);
  // Dovecot logs how each login was protected: "TLS" after STARTTLS, "secured" for
  // plaintext on loopback.
  bool dmarc_tls = false;
  bool plain_plaintext = false;
  for (const std::string& line : lines(dc.log())) {
    if (!contains(line, "Login: user=<")) {
      continue;
    }
    if (contains(line, "user=<dmarc>")) {
      CHECK(contains(line, "TLS, session="));
      dmarc_tls = dmarc_tls || contains(line, "TLS, session=");
    }
    if (contains(line, "user=<plain>")) {
      plain_plaintext = plain_plaintext || contains(line, "secured, session=");
    }
  }
  CHECK(dmarc_tls);
  CHECK(plain_plaintext);

  // tls = "none" towards anything but loopback is refused before connecting.
  Account remote = p;
  remote.url = "imap://mail.example.com:143";
  const std::string bad = write_config(dir, {remote});
  const RunResult refused = dmarcctl({"-c", bad, "fetch"});
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "account plain (mail.example.com:143): tls = \"none\" is only allowed "
                              "for a loopback server"));
}

TEST_CASE("after = seen marks stored mails seen and a rerun fetches only new mail")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  for (const std::string& m : report_mails("seen", 5)) {
    dc.deliver("dmarc", "INBOX", m);
  }
  dc.deliver("dmarc", "INBOX", not_a_report("hello"));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.after = "seen";
  a.invalid = "";
  const std::string config = write_config(dir, {a});
  const std::string db = dir / "reports.sqlite";
  const RunResult r = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(r));
  CHECK(r.exit_code == 3);
  CHECK(dc.status("dmarc", "INBOX", "messages") == 6);
  CHECK(dc.status("dmarc", "INBOX", "unseen") == 1);  // the non-report is left alone
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == -1);
  CHECK(dc.status("dmarc", "Invalid", "messages") == -1);

  dc.deliver("dmarc", "INBOX", report_mail("seen-6"));
  const RunResult again = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(again));
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, "fetched 1 message from 1 account: 1 report imported"));
  CHECK(count(db, "SELECT count(*) FROM aggregate_reports") == 6);
  CHECK(count(db, "SELECT max(seen_count) FROM messages") == 1);
  CHECK(dc.status("dmarc", "INBOX", "unseen") == 1);
}

TEST_CASE("after = delete removes stored mails; the rejected one goes to Invalid")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  for (const std::string& m : report_mails("delete", 4)) {
    dc.deliver("dmarc", "INBOX", m);
  }
  dc.deliver("dmarc", "INBOX", not_a_report("spam"));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.after = "delete";
  const std::string config = write_config(dir, {a});
  const RunResult r = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(r));
  CHECK(r.exit_code == 0); // the non-report went to Invalid: handled
  CHECK(dc.status("dmarc", "INBOX", "messages") == 0);
  CHECK(dc.status("dmarc", "Invalid", "messages") == 1);
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == -1);
  CHECK(count(dir / "reports.sqlite", "SELECT count(*) FROM aggregate_reports") == 4);
  // Deleting needs the data on disk first: the durable mark was written.
  CHECK(count(dir / "reports.sqlite", "SELECT stored_uid FROM imap_state") == 5);
}

TEST_CASE("after = leave changes nothing; a rerun reads nothing; a new UIDVALIDITY rescans")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  for (const std::string& m : report_mails("leave", 4)) {
    dc.deliver("dmarc", "INBOX", m);
  }
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.after = "leave";
  a.invalid = "";
  const std::string config = write_config(dir, {a});
  const std::string db = dir / "reports.sqlite";
  const RunResult r = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(r));
  CHECK(r.exit_code == 0);
  CHECK(dc.status("dmarc", "INBOX", "messages") == 4);
  CHECK(dc.status("dmarc", "INBOX", "unseen") == 4);
  CHECK(dc.mailboxes("dmarc") == std::vector<std::string>{"INBOX"});

  const RunResult again = dmarcctl({"-c", config, "fetch"});
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, "fetched 0 messages"));
  CHECK(count(db, "SELECT sum(seen_count) FROM messages") == 4);

  // As if the mailbox had been recreated: every UID is new, everything is read again, and
  // dedup stores nothing twice.
  execute(db, "UPDATE imap_state SET uidvalidity = 1");
  const RunResult rescan = dmarcctl({"-c", config, "-v", "fetch"});
  INFO(all_output(rescan));
  CHECK(rescan.exit_code == 0);
  CHECK(contains(rescan.err, "UIDVALIDITY changed"));
  CHECK(contains(rescan.err, "fetched 4 messages from 1 account: 0 reports imported"));
  CHECK(contains(rescan.err, "4 duplicates"));
  CHECK(count(db, "SELECT count(*) FROM aggregate_reports") == 4);
  CHECK(count(db, "SELECT count(*) FROM messages") == 4);
  CHECK(count(db, "SELECT sum(seen_count) FROM messages") == 8);
  CHECK(count(db, "SELECT uidvalidity FROM imap_state") == dc.status("dmarc", "INBOX", "uidvalidity"));
}

TEST_CASE("two accounts; mailboxes with a space and non-ASCII names; the password never shown")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  dc.add_user("tls", k_password);
  dc.create_mailbox("dmarc", "Report Box");
  dc.create_mailbox("tls", "Berichte/Prüfung");
  dc.deliver("dmarc", "INBOX", report_mail("two-1"));
  dc.deliver("dmarc", "Report Box", report_mail("two-2"));
  dc.deliver("dmarc", "Report Box", report_mail("two-3"));
  dc.deliver("tls", "Berichte/Prüfung", read_file(fixture("mail/tlsrpt_gzip.eml")));
  dc.deliver("tls", "Berichte/Prüfung", not_a_report("ärger"));

  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.mailboxes = {"INBOX", "Report Box"};
  Account t;
  t.name = "tls";
  t.username = "tls";
  t.url = dc.imap_url();
  t.password_env = "DMARCCTL_TEST_TLS_PASSWORD";
  t.mailboxes = {"Berichte/Prüfung"};
  t.archive = "Archiv/Geprüft";
  t.invalid = "Ungültig";
  const std::string config = write_config(dir, {a, t});
  const std::string db = dir / "reports.sqlite";
  RunOptions env;
  env.env["DMARCCTL_TEST_TLS_PASSWORD"] = k_password;
  const RunResult r = dmarcctl({"-c", config, "-vv", "fetch"}, env);
  INFO(all_output(r));
  CHECK(r.exit_code == 0); // the non-report went to the invalid mailbox: handled
  CHECK(contains(r.err, "fetched 5 messages from 2 accounts: 4 reports imported (3 DMARC, 1 TLS)"));
  CHECK(contains(r.err, "SELECT \"Report Box\""));
  CHECK(contains(r.err, "SELECT \"Berichte/Pr&APw-fung\""));
  CHECK(contains(r.err, "imap://tls/Berichte/Prüfung;UID=2: not-a-report"));
  CHECK(dc.status("dmarc", "INBOX", "messages") == 0);
  CHECK(dc.status("dmarc", "Report Box", "messages") == 0);
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == 3);
  CHECK(dc.status("tls", "Berichte/Prüfung", "messages") == 0);
  CHECK(dc.status("tls", "Archiv/Geprüft", "messages") == 1);
  CHECK(dc.status("tls", "Ungültig", "messages") == 1);
  const auto boxes = query(db, "SELECT account, mailbox, count(*) FROM messages GROUP BY 1, 2 ORDER BY 1, 2");
  REQUIRE(boxes.size() == 3);
  CHECK(boxes[0] == Row{"dmarc", "INBOX", "1"});
  CHECK(boxes[1] == Row{"dmarc", "Report Box", "2"});
  CHECK(boxes[2] == Row{"tls", "Berichte/Prüfung", "2"});
  CHECK(count(db, "SELECT count(*) FROM imap_state") == 3);

  // At -vv every IMAP command is traced, but neither password nor LOGIN ever appears, and
  // the password is nowhere in the database either.
  CHECK_FALSE(contains(r.out + r.err, k_password));
  CHECK_FALSE(contains(r.err, "LOGIN"));
  for (const std::string suffix : {"", "-wal"}) {
    if (fs::exists(db + suffix)) {
      CHECK_FALSE(contains(read_file(db + suffix), k_password));
    }
  }
}

TEST_CASE("'.' as hierarchy separator, and a server without MOVE: COPY, STORE and UID EXPUNGE")
{
  DovecotOptions options;
  options.separator = '.';
  options.capability = "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE NAMESPACE UIDPLUS";
  Dovecot dc(options);
  dc.add_user("dmarc", k_password);
  for (const std::string& m : report_mails("nomove", 3)) {
    dc.deliver("dmarc", "INBOX", m);
  }
  dc.deliver("dmarc", "INBOX", not_a_report("other"));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.archive = "Archive/DMARC";   // written with '/', created as Archive.DMARC
  a.invalid = "Reports/Invalid";
  const std::string config = write_config(dir, {a});
  const RunResult r = dmarcctl({"-c", config, "-vv", "fetch"});
  INFO(all_output(r));
  CHECK(r.exit_code == 0); // the non-report went to the invalid mailbox: handled
  CHECK(contains(r.err, "UID COPY 1:3 \"Archive.DMARC\""));
  CHECK(contains(r.err, "UID STORE 1:3 +FLAGS.SILENT (\\Deleted)"));
  CHECK(contains(r.err, "UID EXPUNGE 1:3"));
  CHECK_FALSE(contains(r.err, "UID MOVE"));
  CHECK(dc.status("dmarc", "INBOX", "messages") == 0);
  CHECK(dc.status("dmarc", "Archive.DMARC", "messages") == 3);
  CHECK(dc.status("dmarc", "Reports.Invalid", "messages") == 1);
}

TEST_CASE("a wrong password: a clear error, nothing moved; the other account still runs")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  dc.add_user("tls", k_password);
  dc.deliver("dmarc", "INBOX", report_mail("wrong-1"));
  dc.deliver("tls", "INBOX", report_mail("wrong-2"));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.password = "not-the-password-123";
  const std::string config = write_config(dir, {a});
  const RunResult r = dmarcctl({"-c", config, "-vv", "fetch"});
  INFO(all_output(r));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "account dmarc (127.0.0.1:" + std::to_string(dc.imaps_port())
                          + "): login failed: the server rejected the user name or password"));
  CHECK_FALSE(contains(r.out + r.err, "not-the-password-123"));
  CHECK(dc.status("dmarc", "INBOX", "messages") == 1);
  CHECK(count(dir / "reports.sqlite", "SELECT count(*) FROM messages") == 0);

  Account t;
  t.name = "tls";
  t.username = "tls";
  t.url = dc.imaps_url();
  const std::string both = write_config(dir, {a, t});
  const RunResult partial = dmarcctl({"-c", both, "fetch"});
  INFO(all_output(partial));
  CHECK(partial.exit_code == 3);
  CHECK(contains(partial.err, "account dmarc (127.0.0.1:"));
  CHECK(contains(partial.err, "1 account failed"));
  CHECK(dc.status("dmarc", "INBOX", "messages") == 1);
  CHECK(dc.status("tls", "INBOX", "messages") == 0);
  CHECK(dc.status("tls", "Archive/DMARC", "messages") == 1);
}

TEST_CASE("a mailbox that does not exist: named with the step; exit 1 when it was the only one")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  dc.deliver("dmarc", "INBOX", report_mail("nobox-1"));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.mailboxes = {"Reports"}; // a typo: the reports are in INBOX
  const std::string config = write_config(dir, {a});
  const RunResult r = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(r));
  // Nothing could be done: not partial (3) but failed (1), as for a wrong password.
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "account dmarc (127.0.0.1:" + std::to_string(dc.imaps_port())
                          + "): mailbox \"Reports\": select \"Reports\" failed: "));
  CHECK(contains(r.err, "1 mailbox failed"));
  // What to do: the mailboxes that exist, the nearest name first.
  dc.create_mailbox("dmarc", "Report");
  dc.create_mailbox("dmarc", "Zzz");
  const RunResult listed = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(listed));
  CHECK(contains(listed.err, "mailbox \"Reports\" does not exist, the account has: \"Report\", "));
  CHECK(contains(listed.err, "\"INBOX\""));
  CHECK(contains(listed.err, "\"Zzz\""));
  CHECK(dc.status("dmarc", "INBOX", "messages") == 1);

  // Beside a mailbox that works, the same mistake is partial.
  a.mailboxes = {"Reports", "INBOX"};
  const std::string both = write_config(dir, {a});
  const RunResult partial = dmarcctl({"-c", both, "fetch"});
  INFO(all_output(partial));
  CHECK(partial.exit_code == 3);
  CHECK(contains(partial.err, "mailbox \"Reports\": select \"Reports\" failed: "));
  CHECK(dc.status("dmarc", "INBOX", "messages") == 0);
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == 1);
}

TEST_CASE("an untrusted certificate or a closed port: a clear error naming host and step")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  dc.deliver("dmarc", "INBOX", report_mail("cert-1"));
  TempDir dir;
  const std::string host = "127.0.0.1:" + std::to_string(dc.imaps_port());
  for (const std::string& ca : {test_certificates().other_ca_file, std::string()}) {
    for (const std::string& url : {dc.imaps_url(), dc.imap_url()}) {
      Account a;
      a.url = url;
      a.ca_file = ca;  // an unrelated CA, then the system's CAs
      const std::string config = write_config(dir, {a});
      const RunResult r = dmarcctl({"-c", config, "fetch"});
      INFO(url + " ca=" + ca + "\n" + all_output(r));
      CHECK(r.exit_code == 1);
      CHECK(contains(r.err, "TLS failed: the server certificate is not trusted"));
      CHECK(contains(r.err, "set ca_file in its [[imap]] block"));
    }
  }
  CHECK(dc.status("dmarc", "INBOX", "messages") == 1);
  CHECK_FALSE(contains(dc.log(), "Login: user=<dmarc>"));

  Account closed;
  closed.url = "imaps://127.0.0.1:1";
  const std::string config = write_config(dir, {closed});
  const RunResult r = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(r));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "account dmarc (127.0.0.1:1): connect failed: "));
}

TEST_CASE("a server that stops answering mid-fetch: timeout, nothing uncommitted moved, rerun completes")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  const int total = 400;
  dc.deliver_to_maildir("dmarc", report_mails("stop", total));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.batch = 10;
  a.timeout = 2;
  const std::string config = write_config(dir, {a});
  const std::string db = dir / "reports.sqlite";
  {
    Background fetch({dmarcctl_binary(), "-c", config, "fetch"}, dir / "first.out");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (stored_messages(db) < 1 && fetch.running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    dc.pause();
    const int code = fetch.wait();
    dc.resume();
    const std::string out = read_file(dir / "first.out");
    INFO(out);
    CHECK(code == 3); // some messages were stored, then the account failed
    CHECK(contains(out, "account dmarc (127.0.0.1:" + std::to_string(dc.imaps_port())
                          + "): mailbox \"INBOX\": "));
    CHECK(contains(out, "timed out: no answer from the server for 2 s"));
  }
  const long long stored = count(db, "SELECT count(*) FROM messages");
  const long long archived = dc.status("dmarc", "Archive/DMARC", "messages");
  INFO("stored " << stored << ", archived " << archived);
  CHECK(stored > 0);
  CHECK(stored < total);
  CHECK(archived <= stored);           // never more moved than stored
  CHECK(dc.status("dmarc", "INBOX", "messages") == total - std::max(archived, 0LL));

  const RunResult rerun = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(rerun));
  CHECK(rerun.exit_code == 0);
  CHECK(dc.status("dmarc", "INBOX", "messages") == 0);
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == total);
  CHECK(count(db, "SELECT count(*) FROM messages") == total);
  CHECK(count(db, "SELECT count(*) FROM aggregate_reports") == total);
}

TEST_CASE("a connection dropped mid-fetch without BYE: a clear error, the rerun completes")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  const int total = 300;
  dc.deliver_to_maildir("dmarc", report_mails("drop", total));
  TempDir dir;
  Account a;
  a.url = dc.imap_url();
  a.batch = 10;
  const std::string config = write_config(dir, {a});
  const std::string db = dir / "reports.sqlite";
  {
    Background fetch({dmarcctl_binary(), "-c", config, "fetch"}, dir / "first.out");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (stored_messages(db) < 1 && fetch.running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    CHECK(dc.kill_sessions() == 1);
    const int code = fetch.wait();
    const std::string out = read_file(dir / "first.out");
    INFO(out);
    CHECK(code == 3);
    CHECK(contains(out, "account dmarc (127.0.0.1:" + std::to_string(dc.imap_port())
                          + "): mailbox \"INBOX\": "));
    CHECK((contains(out, "the server closed the connection") || contains(out, "connection lost")));
  }
  const long long archived = std::max(dc.status("dmarc", "Archive/DMARC", "messages"), 0LL);
  CHECK(archived <= count(db, "SELECT count(*) FROM messages"));
  CHECK(dc.status("dmarc", "INBOX", "messages") == total - archived);
  const RunResult rerun = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(rerun));
  CHECK(rerun.exit_code == 0);
  CHECK(dc.status("dmarc", "INBOX", "messages") == 0);
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == total);
  CHECK(count(db, "SELECT count(*) FROM aggregate_reports") == total);
  CHECK(count(db, "SELECT count(*) FROM messages") == total);
}

TEST_CASE("SIGKILL mid-fetch, again and again, then a rerun: exact totals, no duplicates")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  const int total = 300;
  dc.deliver_to_maildir("dmarc", report_mails("kill", total));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.batch = 25;
  const std::string config = write_config(dir, {a});
  const std::string db = dir / "reports.sqlite";
  int killed_mid_run = 0;
  for (long long at : {1LL, 60LL, 140LL, 230LL}) {
    Background fetch({dmarcctl_binary(), "-c", config, "fetch"}, dir / "killed.out");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (stored_messages(db) < at && fetch.running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    if (fetch.running()) {
      ++killed_mid_run;
    }
    fetch.kill(SIGKILL);
    fetch.wait();
    // Whatever was moved had been stored.
    const long long archived = std::max(dc.status("dmarc", "Archive/DMARC", "messages"), 0LL);
    CHECK(archived <= stored_messages(db));
    CHECK(archived + dc.status("dmarc", "INBOX", "messages") == total);
  }
  CHECK(killed_mid_run >= 1);
  const RunResult rerun = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(rerun));
  CHECK(rerun.exit_code == 0);
  CHECK(count(db, "SELECT count(*) FROM messages") == total);
  CHECK(count(db, "SELECT count(*) FROM aggregate_reports") == total);
  CHECK(count(db, "SELECT count(DISTINCT report_id) FROM aggregate_reports") == total);
  CHECK(count(db, "SELECT count(*) FROM aggregate_records") == 2 * total);
  CHECK(count(db, "SELECT count(*) FROM messages WHERE status <> 'imported'") == 0);
  CHECK(query(db, "PRAGMA integrity_check")[0][0] == "ok");
  CHECK(dc.status("dmarc", "INBOX", "messages") == 0);
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == total);
  const RunResult idle = dmarcctl({"-c", config, "fetch"});
  CHECK(contains(idle.err, "fetched 0 messages"));
}

TEST_CASE("a password file others can read is refused before connecting")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  dc.deliver("dmarc", "INBOX", report_mail("mode-1"));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  a.password_mode = 0644;
  const std::string config = write_config(dir, {a});
  const RunResult r = dmarcctl({"-c", config, "-vv", "fetch"});
  INFO(all_output(r));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "account dmarc: password_file " + (dir / "dmarc.pass")
                          + " is readable by group or others; run chmod 600 on it"));
  CHECK_FALSE(contains(r.out + r.err, k_password));
  CHECK_FALSE(contains(dc.log(), "Login:"));
  CHECK(dc.status("dmarc", "INBOX", "messages") == 1);
}

TEST_CASE("run: quiet under cron when all is well, the lock keeps a second run out")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  for (const std::string& m : report_mails("run", 3)) {
    dc.deliver("dmarc", "INBOX", m);
  }
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  const std::string lock = dir / "run.lock";
  const std::string config = write_config(dir, {a}, "lock_file = " + toml(lock) + "\n");

  {
    // Another run holds the lock.
    const int fd = open(lock.c_str(), O_RDWR | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);
    const RunResult busy = dmarcctl({"-c", config, "run", "--offline"});
    CHECK(busy.exit_code == 1);
    CHECK(contains(busy.err, "already running"));
    const RunResult fetch_busy = dmarcctl({"-c", config, "fetch"});
    CHECK(fetch_busy.exit_code == 1);
    CHECK(dc.status("dmarc", "INBOX", "messages") == 3);
    close(fd);
  }

  const RunResult r = dmarcctl({"-c", config, "run", "--offline"});
  INFO(all_output(r));
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());   // cron mails nothing when nothing needs attention
  CHECK(r.out.empty());
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == 3);
  CHECK(count(dir / "reports.sqlite", "SELECT count(*) FROM aggregate_reports") == 3);

  // Spam to the report address goes to Invalid: handled, so cron hears nothing (issue 14).
  dc.deliver("dmarc", "INBOX", not_a_report("spam-to-rua"));
  const RunResult spam = dmarcctl({"-c", config, "run", "--offline"});
  INFO(all_output(spam));
  CHECK(spam.exit_code == 0);
  CHECK(spam.err.empty());
  CHECK(dc.status("dmarc", "Invalid", "messages") == 1);

  // A report that cannot be stored still needs attention.
  std::string broken = report_mail("run-broken");
  broken.replace(broken.find("</feedback>"), 11, "</feedbak>");
  dc.deliver("dmarc", "INBOX", broken);
  const RunResult attention = dmarcctl({"-c", config, "run", "--offline"});
  INFO(all_output(attention));
  CHECK(attention.exit_code == 3);
  CHECK(contains(attention.err, ": invalid-report: "));
  CHECK(contains(attention.err, "fetched 1 message from 1 account"));
  CHECK(dc.status("dmarc", "Invalid", "messages") == 2);
}

// ---- issue 14: what a new user ran into --------------------------------------------------

TEST_CASE("imaps:// on the plain port and imap:// on 993 say what to write instead")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  TempDir dir;
  Account a;
  a.url = "imaps://127.0.0.1:" + std::to_string(dc.imap_port());   // the STARTTLS port
  const RunResult wrong_tls = dmarcctl({"-c", write_config(dir, {a}), "fetch"});
  INFO(all_output(wrong_tls));
  CHECK(wrong_tls.exit_code == 1);
  CHECK(contains(wrong_tls.err, "does not speak TLS at once: imaps:// on a plain IMAP port? Use "
                                "imap://127.0.0.1:143 (STARTTLS) or imaps://127.0.0.1:993"));

  a.url = "imap://127.0.0.1:993";
  const auto start = std::chrono::steady_clock::now();
  const RunResult plain_on_993 = dmarcctl({"-c", write_config(dir, {a}), "fetch"});
  INFO(all_output(plain_on_993));
  CHECK(plain_on_993.exit_code == 1);
  CHECK(contains(plain_on_993.err, "imap://127.0.0.1:993: port 993 expects TLS at once (IMAPS); "
                                   "use imaps://127.0.0.1:993"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4)); // no timeout
}

TEST_CASE("fetch --account with a typo suggests the account and lists them")
{
  TempDir dir;
  Account a;
  a.url = "imaps://127.0.0.1:993";
  Account b = a;
  b.name = "tls-reports";
  const std::string config = write_config(dir, {a, b});
  const RunResult r = dmarcctl({"-c", config, "fetch", "--account", "dmark"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "no [[imap]] account named \"dmark\" (did you mean \"dmarc\"?); the "
                        "configuration has \"dmarc\", \"tls-reports\""));
}

TEST_CASE("a rejected mail is named by Message-ID, From, Subject and Date, in the output and the DB")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  std::string broken = report_mail("named-1");
  broken.replace(broken.find("</feedback>"), 11, "</feedbak>");
  broken.insert(0, "Date: Tue, 5 Mar 2024 10:00:00 +0000\r\n");
  dc.deliver("dmarc", "INBOX", broken);
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  const std::string config = write_config(dir, {a});
  const RunResult r = dmarcctl({"-c", config, "fetch"});
  INFO(all_output(r));
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "imap://dmarc/INBOX;UID=1: invalid-report: "));
  CHECK(contains(r.err, "(Message-ID <named-1@imap.example.net>, From dmarc-noreply@imap.example.net, "
                        "Subject \"Report domain: example.com Submitter: imap.example.net Report-ID: "
                        "named-1\", Date Tue, 5 Mar 2024 10:00:00 +0000)"));
  const auto rows = query(dir / "reports.sqlite", "SELECT message_id, from_header, subject, date_header"
                                                  " FROM messages WHERE status = 'rejected'");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == Row{"named-1@imap.example.net", "dmarc-noreply@imap.example.net",
                       "Report domain: example.com Submitter: imap.example.net Report-ID: named-1",
                       "Tue, 5 Mar 2024 10:00:00 +0000"});
  CHECK(dc.status("dmarc", "Invalid", "messages") == 1);
}

TEST_CASE("config check --connect logs in, opens every mailbox and makes archive and invalid")
{
  Dovecot dc;
  dc.add_user("dmarc", k_password);
  dc.add_user("tls", k_password);
  dc.deliver("dmarc", "INBOX", report_mail("connect-1"));
  TempDir dir;
  Account a;
  a.url = dc.imaps_url();
  Account b;
  b.name = "tls";
  b.username = "tls";
  b.url = dc.imap_url();
  b.mailboxes = {"INBOX", "Reprts"};
  const std::string config = write_config(dir, {a, b});

  // Offline by default: nothing is created, no login.
  const RunResult offline = dmarcctl({"-c", config, "config", "check"});
  INFO(all_output(offline));
  CHECK(offline.exit_code == 0);
  CHECK_FALSE(contains(dc.log(), "Login: user=<dmarc>"));

  const RunResult r = dmarcctl({"-c", config, "config", "check", "--connect"});
  INFO(all_output(r));
  CHECK(r.exit_code == 1);
  const std::string dmarc = "account dmarc (127.0.0.1:" + std::to_string(dc.imaps_port()) + "): ";
  const std::string tls = "account tls (127.0.0.1:" + std::to_string(dc.imap_port()) + "): ";
  CHECK(contains(r.out, dmarc + "login OK\n"));
  CHECK(contains(r.out, dmarc + "mailbox \"INBOX\": OK, 1 message\n"));
  CHECK(contains(r.out, dmarc + "archive \"Archive/DMARC\": created\n"));
  CHECK(contains(r.out, dmarc + "invalid \"Invalid\": created\n"));
  CHECK(contains(r.out, tls + "login OK\n"));
  CHECK(contains(r.err, tls + "examine \"Reprts\" failed: "));
  CHECK(contains(r.err, "the account has: \"INBOX\""));
  CHECK(contains(r.err, "1 account of 2 failed the connection check"));
  CHECK(dc.status("dmarc", "Archive/DMARC", "messages") == 0);
  CHECK(dc.status("dmarc", "INBOX", "messages") == 1); // read-only: nothing fetched or moved

  const RunResult again = dmarcctl({"-c", config, "config", "check", "--connect"});
  CHECK(contains(again.out, dmarc + "archive \"Archive/DMARC\": exists\n"));
}

TEST_CASE("run imports [[local]] Maildirs and moves stored and invalid mails to their folders")
{
  TempDir dir;
  const std::string maildir = dir / "vmail/dmarc/Maildir";
  for (const char* sub : {"cur", "new", "tmp"}) {
    fs::create_directories(maildir + "/" + sub);
  }
  write_file(maildir + "/new/1700000000.M1.host", report_mail("local-1"));
  write_file(maildir + "/cur/1700000001.M2.host:2,S", report_mail("local-2"));
  write_file(maildir + "/new/1700000002.M3.host", not_a_report("local-spam"));
  const std::string config_path = dir / "dmarcctl.toml";
  write_file(config_path, "[database]\npath = " + toml(dir / "reports.sqlite") + "\n\n[[local]]\n"
                          "paths = [" + toml(maildir) + "]\nafter = \"move\"\narchive = \"Archive\"\n"
                          "invalid = \"Invalid\"\n");
  const RunResult check = dmarcctl({"-c", config_path, "config", "check"});
  INFO(all_output(check));
  CHECK(check.exit_code == 0);

  const RunResult r = dmarcctl({"-c", config_path, "run", "--offline"});
  INFO(all_output(r));
  CHECK(r.exit_code == 0);
  CHECK(count(dir / "reports.sqlite", "SELECT count(*) FROM aggregate_reports") == 2);
  CHECK(fs::is_empty(maildir + "/new"));
  CHECK(fs::is_empty(maildir + "/cur"));
  CHECK(fs::exists(maildir + "/.Archive/cur/1700000000.M1.host:2,"));
  CHECK(fs::exists(maildir + "/.Archive/cur/1700000001.M2.host:2,S"));
  CHECK(fs::exists(maildir + "/.Invalid/cur/1700000002.M3.host:2,"));

  // The folders are not read again; a new mail is.
  write_file(maildir + "/new/1700000003.M4.host", report_mail("local-3"));
  const RunResult again = dmarcctl({"-c", config_path, "-v", "run", "--offline"});
  INFO(all_output(again));
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, "local local1: 1 report imported (1 DMARC, 0 TLS)"));
  CHECK(contains(again.err, "0 duplicates"));
  CHECK(count(dir / "reports.sqlite", "SELECT count(*) FROM aggregate_reports") == 3);

  // after = "leave" (the default): nothing moves; the next run finds it stored.
  const std::string other = dir / "vmail/tls/Maildir";
  for (const char* sub : {"cur", "new", "tmp"}) {
    fs::create_directories(other + "/" + sub);
  }
  write_file(other + "/new/1700000004.M5.host", report_mail("local-4"));
  write_file(config_path, "[database]\npath = " + toml(dir / "reports.sqlite") + "\n\n[[local]]\n"
                          "paths = [" + toml(other) + "]\n");
  const RunResult leave = dmarcctl({"-c", config_path, "run", "--offline"});
  INFO(all_output(leave));
  CHECK(leave.exit_code == 0);
  CHECK(fs::exists(other + "/new/1700000004.M5.host"));
  const RunResult leave_again = dmarcctl({"-c", config_path, "-v", "run", "--offline"});
  CHECK(contains(leave_again.err, "local local1: 0 reports imported (0 DMARC, 0 TLS), 0 records, 1 duplicate"));
  CHECK(count(dir / "reports.sqlite", "SELECT count(*) FROM aggregate_reports") == 4);
}
