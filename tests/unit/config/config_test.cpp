#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace dmarc::config;

namespace {
Config parse_ok(const std::string& text)
{
  std::vector<Issue> issues;
  Config c = parse(text, "t.toml", issues);
  for (const Issue& i : issues) {
    FAIL_CHECK(i.line << ":" << i.column << ": " << i.message);
  }
  return c;
}

std::vector<Issue> issues_of(const std::string& text)
{
  std::vector<Issue> issues;
  (void)parse(text, "t.toml", issues);
  return issues;
}
} // namespace

TEST_CASE("the documented example configuration parses with every key")
{
  const Config c = parse_ok(R"(
[database]
path = "/var/lib/dmarcctl/reports.sqlite"

[[imap]]
name = "dmarc"
url = "imaps://mail.example.com:993"
username = "dmarc-reports@example.com"
password_file = "/etc/dmarcctl/dmarc.pass"
ca_file = "/etc/ssl/certs/my-ca.pem"
mailboxes = ["INBOX", "Berichte/Prüfung"]
after = "move"
archive = "Archive/DMARC"
invalid = "Invalid"
batch = 200

[[imap]]
name = "tls"
url = "imap://127.0.0.1:10143"
username = "tls-reports@example.com"
password_env = "TLS_PASS"
tls = "none"
after = "delete"

[advisor]
window_days = 21
reject_pass_share = 0.99

[[domain]]
name = "example.com"
authorized_ips = ["203.0.113.10/32", "198.51.100.0/24", "2001:db8:10::/48"]
authorized_ptr_domains = ["mxrouting.net"]
dkim_selectors = ["mailcow", "x"]

[gelf]
url = "udp://graylog.example.com:12201"
compress = "gzip"
host = "mail.example.com"

[limits]
max_document_bytes = 1048576
)");
  CHECK(c.database_path == "/var/lib/dmarcctl/reports.sqlite");
  REQUIRE(c.imap.size() == 2);
  CHECK(c.imap[0].name == "dmarc");
  CHECK(c.imap[0].mailboxes == std::vector<std::string>{"INBOX", "Berichte/Prüfung"});
  CHECK(c.imap[0].after == AfterAction::move);
  CHECK(c.imap[0].archive == "Archive/DMARC");
  CHECK(c.imap[0].batch == 200);
  CHECK(c.imap[0].tls == TlsMode::required);
  CHECK(c.imap[1].tls == TlsMode::none);
  CHECK(c.imap[1].after == AfterAction::remove);
  CHECK(c.imap[1].mailboxes == std::vector<std::string>{"INBOX"});
  CHECK(c.advisor.window_days == 21);
  CHECK(c.advisor.reject_pass_share == Approx(0.99));
  CHECK(c.advisor.quarantine_pass_share == Approx(0.98));
  REQUIRE(c.domains.size() == 1);
  CHECK(c.domains[0].authorized_ips.size() == 3);
  CHECK(c.domains[0].dkim_selectors == std::vector<std::string>{"mailcow", "x"});
  REQUIRE(c.gelf.has_value());
  CHECK(c.gelf->compress == "gzip");
  CHECK(c.limits.max_document_bytes == 1048576);
  CHECK(c.limits.max_zip_entries == 1000);
}

TEST_CASE("mistakes are reported with their line and a suggestion")
{
  const auto issues = issues_of("[[imap]]\nurl = \"imaps://h\"\nusername = \"u\"\n"
                                "password_file = \"/p\"\nbatchsize = 5\nafter = \"archive\"\n"
                                "batch = \"ten\"\n");
  REQUIRE(issues.size() == 3);
  // Sorted by where they were found: after, batch (type), then unknown keys.
  bool unknown = false, after = false, batch = false;
  for (const Issue& i : issues) {
    if (i.line == 5) {
      unknown = i.message == "unknown key 'batchsize' in [[imap]] #1 (did you mean 'batch'?)";
    }
    if (i.line == 6) {
      after = i.message.find("after must be one of \"move\", \"seen\", \"delete\", \"leave\"") != std::string::npos;
    }
    if (i.line == 7) {
      batch = i.message == "[[imap]] #1.batch must be an integer";
    }
  }
  CHECK(unknown);
  CHECK(after);
  CHECK(batch);
}

TEST_CASE("a TOML syntax error names its line")
{
  const auto issues = issues_of("[database]\npath = \"unterminated\n");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].line == 2);
}

TEST_CASE("a password in the file is refused, and so are half-specified accounts")
{
  const auto issues = issues_of("[[imap]]\nurl = \"pop3://h\"\nusername = \"u\"\npassword = \"hunter2\"\n");
  std::string all;
  for (const Issue& i : issues) {
    all += i.message + "\n";
  }
  CHECK(all.find("a password in the configuration is not accepted") != std::string::npos);
  CHECK(all.find("url must start with imaps:// or imap://") != std::string::npos);
  CHECK(all.find("set exactly one of password_file or password_env") != std::string::npos);
  CHECK(all.find("hunter2") == std::string::npos);
}

TEST_CASE("read_password refuses a file others can read and never shows the password")
{
  char path[] = "/tmp/dmarcctl-pass-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, "s3cret-pass\n", 12) == 12);
  close(fd);
  ImapAccount a;
  a.name = "dmarc";
  a.password_file = path;

  chmod(path, 0644);
  auto refused = read_password(a);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().detail.find("readable by group or others") != std::string::npos);
  CHECK(refused.error().detail.find("s3cret") == std::string::npos);

  chmod(path, 0600);
  auto ok = read_password(a);
  REQUIRE(ok.ok());
  CHECK(*ok == "s3cret-pass");
  std::remove(path);

  ImapAccount env;
  env.name = "tls";
  env.password_env = "DMARCCTL_TEST_PASS_VAR";
  unsetenv("DMARCCTL_TEST_PASS_VAR");
  CHECK_FALSE(read_password(env).ok());
  setenv("DMARCCTL_TEST_PASS_VAR", "from-env", 1);
  CHECK(*read_password(env) == "from-env");
}

TEST_CASE("config check names the line of each authorized_ips entry it cannot read")
{
  const auto issues = issues_of("[[domain]]\nname = \"example.com\"\n"
                                "authorized_ips = [\n  \"203.0.113.10\",\n  \"198.51.100.0/24\",\n"
                                "  \"2001:DB8:10::/48\",\n  \"::ffff:192.0.2.1\",\n"
                                "  \"203.0.113.0/33\",\n  \"2001:db8::/129\",\n  \"not-an-ip\",\n"
                                "  \"203.0.113.010\",\n  \"mx.example.com\",\n]\n"
                                "[[domain]]\nname = \"Example.COM\"\n");
  std::vector<std::pair<int, std::string>> got;
  for (const Issue& i : issues) {
    got.emplace_back(i.line, i.message);
  }
  const std::vector<std::pair<int, std::string>> want = {
    {8, "[[domain]] #1.authorized_ips: '203.0.113.0/33' is not an IP address or CIDR range "
        "(e.g. 203.0.113.0/24, 2001:db8::/48)"},
    {9, "[[domain]] #1.authorized_ips: '2001:db8::/129' is not an IP address or CIDR range "
        "(e.g. 203.0.113.0/24, 2001:db8::/48)"},
    {10, "[[domain]] #1.authorized_ips: 'not-an-ip' is not an IP address or CIDR range "
         "(e.g. 203.0.113.0/24, 2001:db8::/48)"},
    {11, "[[domain]] #1.authorized_ips: '203.0.113.010' is not an IP address or CIDR range "
         "(e.g. 203.0.113.0/24, 2001:db8::/48)"},
    {12, "[[domain]] #1.authorized_ips: 'mx.example.com' is not an IP address or CIDR range "
         "(e.g. 203.0.113.0/24, 2001:db8::/48)"},
    {14, "[[domain]] #2: name \"Example.COM\" is used by another [[domain]] block"},
  };
  CHECK(got == want);
}

TEST_CASE("authorized_ips: the advisor's parser decides, so '/+24' and '/ 24' are refused")
{
  const auto issues = issues_of("[[domain]]\nname = \"example.com\"\n"
                                "authorized_ips = [\n  \"198.51.100.0/+24\",\n"
                                "  \"198.51.100.0/ 24\",\n  \" 192.0.2.0/24 \",\n]\n");
  std::vector<std::pair<int, std::string>> got;
  for (const Issue& i : issues) {
    got.emplace_back(i.line, i.message);
  }
  const std::vector<std::pair<int, std::string>> want = {
    {4, "[[domain]] #1.authorized_ips: '198.51.100.0/+24' is not an IP address or CIDR range "
        "(e.g. 203.0.113.0/24, 2001:db8::/48)"},
    {5, "[[domain]] #1.authorized_ips: '198.51.100.0/ 24' is not an IP address or CIDR range "
        "(e.g. 203.0.113.0/24, 2001:db8::/48)"},
  };
  CHECK(got == want);
}

TEST_CASE("[[local]]: paths, after move|leave, Maildir++ folder names")
{
  std::vector<Issue> issues;
  const Config c = parse("[[local]]\npaths = [\"/var/vmail/dmarc/Maildir\"]\nafter = \"move\"\n"
                         "invalid = \"Invalid\"\n[[local]]\nname = \"x\"\npaths = [\"/a\"]\n",
                         "t.toml", issues);
  CHECK(issues.empty());
  REQUIRE(c.local.size() == 2);
  CHECK(c.local[0].name == "local1");
  CHECK(c.local[0].paths == std::vector<std::string>{"/var/vmail/dmarc/Maildir"});
  CHECK(c.local[0].after == AfterAction::move);
  CHECK(c.local[0].archive == "Archive");
  CHECK(c.local[0].invalid == "Invalid");
  CHECK(c.local[1].name == "x");
  CHECK(c.local[1].after == AfterAction::leave);
  CHECK(c.local[1].invalid.empty());

  const auto bad = issues_of("[[local]]\nafter = \"seen\"\narchive = \".Archive\"\n");
  std::vector<std::string> messages;
  for (const Issue& i : bad) {
    messages.push_back(i.message);
  }
  CHECK(std::find_if(messages.begin(), messages.end(), [](const std::string& m) {
          return m.find("[[local]] #1: paths must name at least one") != std::string::npos;
        }) != messages.end());
  CHECK(std::find_if(messages.begin(), messages.end(), [](const std::string& m) {
          return m.find("after") != std::string::npos && m.find("seen") != std::string::npos;
        }) != messages.end());
}

TEST_CASE("issues come in the order of the file")
{
  const auto issues = issues_of("[advisor]\nwindow_days = \"28\"\n[[imap]]\nurl = \"imaps://h\"\n"
                                "username = \"u\"\npassword_env = \"P\"\nafter = \"archive\"\n"
                                "[gelf]\nurl = \"udp://g:12201\"\nhots = \"x\"\n");
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].line == 2);
  CHECK(issues[1].line == 7);
  CHECK(issues[2].line == 10);
}

TEST_CASE("an archive or invalid mailbox that is also read is a mistake (mail would loop)")
{
  const std::string account = "[[imap]]\nurl = \"imaps://h\"\nusername = \"u\"\n"
                              "password_file = \"/p\"\n";
  const auto archive = issues_of(account + "mailboxes = [\"inbox\", \"Reports\"]\narchive = \"INBOX\"\n");
  REQUIRE(archive.size() == 1);
  CHECK(archive[0].line == 1);
  CHECK(archive[0].message == "[[imap]] #1: archive \"INBOX\" is also one of the mailboxes read: "
                              "moved mail would be read again by every run");
  const auto invalid = issues_of(account + "mailboxes = [\"INBOX\", \"Reports\"]\ninvalid = \"Reports\"\n");
  REQUIRE(invalid.size() == 1);
  CHECK(invalid[0].message == "[[imap]] #1: invalid \"Reports\" is also one of the mailboxes read: "
                              "rejected mail would be read again by every run");
  // Not with after = "leave" (nothing is moved), and names differ by case outside INBOX.
  parse_ok(account + "mailboxes = [\"INBOX\"]\nafter = \"leave\"\narchive = \"INBOX\"\n");
  parse_ok(account + "mailboxes = [\"reports\"]\narchive = \"Reports\"\n");
}
