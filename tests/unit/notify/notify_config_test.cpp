// [notify] and [metrics] in the configuration: the keys of docs/notify.md, their defaults,
// and the mistakes config check names.
#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

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

std::vector<std::string> problems(const std::string& text)
{
  std::vector<Issue> issues;
  (void)parse(text, "t.toml", issues);
  std::vector<std::string> out;
  for (const Issue& i : issues) {
    out.push_back(std::to_string(i.line) + ": " + i.message);
  }
  return out;
}

} // namespace

TEST_CASE("the issue's [notify] and [metrics] blocks parse with every key")
{
  const Config c = parse_ok(R"(
[notify]
mail_to = ["postmaster@example.com"]
mail_from = "dmarcctl@example.com"
smtp_url = "smtp://127.0.0.1:25"
tls = "starttls"                   # "starttls" (default, required), "none" for a local relay
webhook_url = "https://ntfy.example.com/dmarc"
digest = "weekly"                  # or "none"
min_messages = 50
silent_days = 7
source_min_pass_share = 0.9
username = "dmarcctl"
password_env = "SMTP_PASSWORD"
ca_file = "/etc/ssl/local.pem"
timeout = 12

[metrics]
textfile = "/var/lib/prometheus/node-exporter/dmarcctl.prom"
)");
  REQUIRE(c.notify);
  const NotifySettings& n = *c.notify;
  CHECK(n.mail_to == std::vector<std::string>{"postmaster@example.com"});
  CHECK(n.mail_from == "dmarcctl@example.com");
  CHECK(n.smtp_url == "smtp://127.0.0.1:25");
  CHECK(n.tls == TlsMode::required);
  CHECK(n.webhook_url == "https://ntfy.example.com/dmarc");
  CHECK(n.digest == "weekly");
  CHECK(n.min_messages == 50);
  CHECK(n.silent_days == 7);
  REQUIRE(n.source_min_pass_share);
  CHECK(*n.source_min_pass_share == 0.9);
  CHECK(n.username == "dmarcctl");
  CHECK(n.password_env == "SMTP_PASSWORD");
  CHECK(n.ca_file == "/etc/ssl/local.pem");
  CHECK(n.timeout == 12);
  CHECK(c.metrics.textfile == "/var/lib/prometheus/node-exporter/dmarcctl.prom");
}

TEST_CASE("[notify] defaults")
{
  const Config c = parse_ok("[notify]\nwebhook_url = \"http://127.0.0.1:8080/hook\"\n");
  REQUIRE(c.notify);
  CHECK(c.notify->mail_to.empty());
  CHECK(c.notify->tls == TlsMode::required);
  CHECK(c.notify->digest == "none");
  CHECK(c.notify->min_messages == 50);
  CHECK(c.notify->silent_days == 7);
  CHECK_FALSE(c.notify->source_min_pass_share);
  CHECK(c.metrics.textfile.empty());
  CHECK(parse_ok("[notify]\ntls = \"none\"\n").notify->tls == TlsMode::none);
  CHECK_FALSE(parse_ok("").notify);
}

TEST_CASE("[notify] mistakes name their line")
{
  CHECK(problems("[notify]\nmail_to = [\"a@example.com\"]\n")
        == std::vector<std::string>{"1: [notify]: mail_to needs mail_from (the sender address)"});
  CHECK(problems("[notify]\nmail_to = [\"a@example.com\\r\\nBcc: x@y\"]\nmail_from = \"d@example.com\"\n")
        == std::vector<std::string>{
          "1: [notify]: mail_to: \"a@example.com\\r\\nBcc: x@y\" is not a plain address (local@domain)"});
  CHECK(problems("[notify]\nmail_from = \"Me <d@example.com>\"\n")
        == std::vector<std::string>{
          "1: [notify]: mail_from: \"Me <d@example.com>\" is not a plain address (local@domain)"});
  CHECK(problems("[notify]\ntls = \"required\"\n")
        == std::vector<std::string>{"2: [notify].tls must be one of \"starttls\", \"none\", not \"required\""});
  CHECK(problems("[notify]\nmail_to = [\"a@example.com\"]\nmail_from = \"d@example.com\"\nsmtp_url = \"http://x\"\n")
        == std::vector<std::string>{"1: [notify]: smtp_url must start with smtp:// or smtps://, not \"http://x\""});
  CHECK(problems("[notify]\nusername = \"u\"\n")
        == std::vector<std::string>{"1: [notify]: username needs exactly one of password_file or password_env"});
  const auto password = problems("[notify]\npassword = \"hunter2\"\n");
  REQUIRE(password.size() == 2);
  CHECK(password[1] == "2: unknown key 'password' in [notify] (did you mean 'password_env'?)");
  CHECK(password[0] == "1: [notify]: a password in the configuration is not accepted: use password_file or password_env");
  CHECK(problems("[notify]\nwebhook_url = \"ftp://x\"\n")
        == std::vector<std::string>{"1: [notify]: webhook_url must start with http:// or https://"});
  CHECK(problems("[metrics]\ntextfil = \"/x\"\n").size() == 1);
}

TEST_CASE("read_secret: the environment, never echoing the value")
{
  setenv("DMARCCTL_NOTIFY_TEST_SECRET", "s3cret", 1);
  auto ok = read_secret("[notify]", "", "DMARCCTL_NOTIFY_TEST_SECRET");
  REQUIRE(ok);
  CHECK(*ok == "s3cret");
  unsetenv("DMARCCTL_NOTIFY_TEST_SECRET");
  auto missing = read_secret("[notify]", "", "DMARCCTL_NOTIFY_TEST_SECRET");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().detail == "[notify]: environment variable DMARCCTL_NOTIFY_TEST_SECRET is not set");
}
