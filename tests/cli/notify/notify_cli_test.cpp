// End-to-end tests of `dmarcctl notify` (and `run`): reports written by report_gen and
// imported with the built binary, a real SMTP server (aiosmtpd) and a real HTTP receiver
// (http.server) on 127.0.0.1, and `promtool check metrics` on the textfile. Days are fixed
// with --as-of; nothing depends on the wall clock.
#include "support/process.hpp"
#include "support/report_gen.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace dmarc::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int64_t k_first_day = 19813 - 20;   // 2024-03-11
const std::string k_python = "/usr/bin/python3";
const std::string k_scripts = std::string(DMARC_SOURCE_DIR) + "/tests/cli/notify/";

bool tools_available()
{
  return fs::exists(k_python) && fs::exists("/usr/bin/promtool")
         && run({k_python, "-c", "import aiosmtpd"}).exit_code == 0;
}

// A free TCP port on 127.0.0.1 (bound, read, released).
int free_port()
{
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// One of the python receivers, started in `dir`, stopped (SIGTERM to its pid) on destruction.
class Receiver
{
public:
  Receiver(const std::string& script, const std::string& dir, std::vector<std::string> extra = {})
    : m_dir(dir), m_port(free_port())
  {
    fs::create_directories(dir);
    fs::remove(dir + "/ready");
    std::vector<std::string> argv = {k_python, k_scripts + script, std::to_string(m_port), dir};
    argv.insert(argv.end(), extra.begin(), extra.end());
    m_pid = fork();
    if (m_pid == 0) {
      std::vector<char*> args;
      for (std::string& a : argv) {
        args.push_back(a.data());
      }
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    for (int i = 0; i < 600 && !fs::exists(dir + "/ready"); ++i) {   // up to 30 s on a loaded machine
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(fs::exists(dir + "/ready"));
  }
  ~Receiver() { stop(); }
  void stop()
  {
    if (m_pid > 0) {
      kill(m_pid, SIGTERM);
      int status = 0;
      waitpid(m_pid, &status, 0);
      m_pid = -1;
    }
  }
  int port() const { return m_port; }
  // The files named PREFIX-NNN.EXT, in order.
  std::vector<std::string> files(const std::string& prefix, const std::string& ext) const
  {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(m_dir)) {
      const std::string name = e.path().filename().string();
      if (name.rfind(prefix + "-", 0) == 0 && e.path().extension() == ext) {
        out.push_back(e.path().string());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

private:
  std::string m_dir;
  int m_port;
  pid_t m_pid = -1;
};

std::string base64_decode(const std::string& in)
{
  static const std::string k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0;
  int bits = -8;
  for (char c : in) {
    const std::size_t pos = k.find(c);
    if (pos == std::string::npos) {
      continue;
    }
    val = (val << 6) + static_cast<int>(pos);
    bits += 6;
    if (bits >= 0) {
      out += static_cast<char>((val >> bits) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

struct ReceivedMail
{
  std::string headers;
  std::string subject;   // as in the header (encoded-words decoded)
  std::string text;      // the text/plain part, decoded
  std::string html;
};

// Decodes our own message layout: headers, then two base64 parts.
ReceivedMail parse_mail(const std::string& raw)
{
  ReceivedMail m;
  const std::size_t end = raw.find("\r\n\r\n");
  m.headers = raw.substr(0, end);
  const std::size_t s = m.headers.find("Subject: ");
  std::string subject = m.headers.substr(s + 9);
  subject = subject.substr(0, subject.find("\r\n", 0));
  // Folded encoded-words: collect them all.
  std::size_t pos = s + 9;
  std::string value;
  for (;;) {
    const std::size_t eol = m.headers.find("\r\n", pos);
    value += m.headers.substr(pos, eol == std::string::npos ? std::string::npos : eol - pos);
    if (eol == std::string::npos || eol + 2 >= m.headers.size() || m.headers[eol + 2] != ' ') {
      break;
    }
    pos = eol + 3;
  }
  if (value.rfind("=?UTF-8?B?", 0) == 0) {
    std::size_t at = 0;
    while ((at = value.find("=?UTF-8?B?", at)) != std::string::npos) {
      const std::size_t close = value.find("?=", at + 10);
      m.subject += base64_decode(value.substr(at + 10, close - at - 10));
      at = close + 2;
    }
  } else {
    m.subject = value;
  }
  const std::size_t text_at = raw.find("Content-Type: text/plain");
  const std::size_t html_at = raw.find("Content-Type: text/html");
  REQUIRE(text_at != std::string::npos);
  REQUIRE(html_at != std::string::npos);
  const std::size_t text_body = raw.find("\r\n\r\n", text_at) + 4;
  m.text = base64_decode(raw.substr(text_body, raw.rfind("\r\n--", html_at) - text_body));
  const std::size_t html_body = raw.find("\r\n\r\n", html_at) + 4;
  m.html = base64_decode(raw.substr(html_body, raw.rfind("\r\n--") - html_body));
  return m;
}

// Reports for reject.example (p=reject): an authorized IPv6 source fails 30% of its mail on
// days 0-9 and passes from day 10 on. Judged with a 7-day window, day 9 is a regression and
// day 20 is clean again.
void write_regression_reports(const std::string& dir)
{
  gen::Scenario s;
  s.domain = "reject.example";
  s.first_day = k_first_day;
  s.days = 21;
  s.policy = [](int) {
    gen::Policy p;
    p.p = "reject";
    return p;
  };
  s.records = [](int day, int) {
    std::vector<gen::Record> r = {gen::authorized("203.0.113.10", "reject.example", 200),
                                  gen::spoofer("198.51.100.66", "reject.example", 50)};
    if (day < 10) {
      auto part = gen::partly("2001:db8:10::25", "reject.example", 100, 70);
      r.insert(r.end(), part.begin(), part.end());
    } else {
      r.push_back(gen::authorized("2001:db8:10::25", "reject.example", 100));
    }
    return r;
  };
  gen::write(s, dir);
}

const std::string k_day_regression = "2024-03-20";   // k_first_day + 9
const std::string k_day_cleared = "2024-03-31";      // k_first_day + 20

std::string config_text(int smtp_port, int webhook_port, const std::string& textfile,
                        const std::string& extra_notify = "")
{
  std::string c = "[advisor]\nwindow_days = 7\n\n"
                  "[[domain]]\nname = \"reject.example\"\n"
                  "authorized_ips = [\"203.0.113.0/24\", \"2001:db8:10::/48\"]\n\n"
                  "[notify]\nmail_to = [\"postmaster@example.com\", \"admin@example.org\"]\n"
                  "mail_from = \"dmarcctl@example.com\"\n"
                  "smtp_url = \"smtp://127.0.0.1:"
                  + std::to_string(smtp_port) + "\"\n" + extra_notify + "min_messages = 1000\n"
                  "timeout = 5\n";
  if (webhook_port > 0) {
    c += "webhook_url = \"http://127.0.0.1:" + std::to_string(webhook_port) + "/hook\"\n";
  }
  if (!textfile.empty()) {
    c += "\n[metrics]\ntextfile = \"" + textfile + "\"\n";
  }
  return c;
}

RunResult promtool_check(const std::string& text)
{
  RunOptions options;
  options.stdin_data = text;
  return run({"/usr/bin/promtool", "check", "metrics"}, options);
}

RunResult notify(const TempDir& dir, const std::vector<std::string>& extra,
                 const RunOptions& options = {})
{
  std::vector<std::string> args = {"-c", dir / "dmarcctl.toml", "--db", dir / "db.sqlite", "notify"};
  args.insert(args.end(), extra.begin(), extra.end());
  return dmarcctl(args, options);
}

void import_reports(const TempDir& dir)
{
  const RunResult imported = dmarcctl({"--db", dir / "db.sqlite", "import", dir / "reports"});
  REQUIRE(imported.exit_code == 0);
}

} // namespace

TEST_CASE("notify: a regression is mailed and posted once, cleared once; metrics pass promtool")
{
  if (!tools_available()) {
    FAIL("python3-aiosmtpd and prometheus (promtool) are needed: run scripts/install-deps");
  }
  TempDir dir;
  write_regression_reports(dir / "reports");
  import_reports(dir);
  Receiver smtp("smtp_sink.py", dir / "smtp");
  Receiver hook("webhook_sink.py", dir / "hook");
  const std::string textfile = dir / "dmarcctl.prom";
  write_file(dir / "dmarcctl.toml", config_text(smtp.port(), hook.port(), textfile, "tls = \"none\"\n"));

  // The advisor agrees on the scenario.
  const RunResult advise = dmarcctl({"-c", dir / "dmarcctl.toml", "--db", dir / "db.sqlite", "advise",
                                     "--format", "json", "--as-of", k_day_regression});
  REQUIRE(advise.exit_code == 0);
  CHECK(json::parse(advise.out)["domains"][0]["dmarc"]["verdict"] == "regression");

  // Dry run: says what it would send, sends nothing, remembers nothing.
  RunResult dry = notify(dir, {"--as-of", k_day_regression, "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(dry.out.find("notify: mail (postmaster@example.com, admin@example.org): would send") != std::string::npos);
  CHECK(dry.out.find("reject.example: DMARC regression at reject") != std::string::npos);
  CHECK(dry.out.find("\"key\":\"verdict:reject.example:dmarc\"") != std::string::npos);
  CHECK(smtp.files("mail", ".eml").empty());
  CHECK(hook.files("post", ".json").empty());
  CHECK_FALSE(fs::exists(textfile));

  // 1. The regression appears: one mail, one post.
  RunResult first = notify(dir, {"--as-of", k_day_regression});
  INFO(first.err);
  REQUIRE(first.exit_code == 0);
  auto mails = smtp.files("mail", ".eml");
  REQUIRE(mails.size() == 1);
  const ReceivedMail mail = parse_mail(read_file(mails[0]));
  CHECK(mail.subject.rfind("[dmarcctl] reject.example: reject.example: DMARC regression at reject", 0) == 0);
  CHECK(mail.text.find("[CRITICAL] new: reject.example: DMARC regression at reject") != std::string::npos);
  CHECK(mail.text.find("authorized source 2001:db8:10::25 passes DMARC on only 70.0% of 1400 messages") != std::string::npos);
  CHECK(mail.html.find("<li><b style=\"color:#b00020\">CRITICAL</b> new: reject.example: DMARC regression") != std::string::npos);
  CHECK(mail.headers.find("From: dmarcctl@example.com\r\n") != std::string::npos);
  CHECK(mail.headers.find("Content-Type: multipart/alternative;") != std::string::npos);
  CHECK(read_file(smtp.files("mail", ".env")[0]) == "dmarcctl@example.com\npostmaster@example.com\nadmin@example.org\n");
  auto posts = hook.files("post", ".json");
  REQUIRE(posts.size() == 1);
  CHECK(read_file(hook.files("post", ".type")[0]) == "application/json");
  const json body = json::parse(read_file(posts[0]));
  REQUIRE(body["events"].size() == 2);
  CHECK(body["events"][0]["key"] == "verdict:reject.example:dmarc");
  CHECK(body["events"][0]["kind"] == "verdict");
  CHECK(body["events"][0]["domain"] == "reject.example");
  CHECK(body["events"][0]["severity"] == "critical");
  CHECK(body["events"][0]["change"] == "new");
  CHECK(body["events"][1]["key"] == "authorized-below:reject.example:2001:db8:10::25");
  CHECK(body["text"].get<std::string>().rfind("dmarcctl: 2 events\nnew: reject.example: DMARC regression", 0) == 0);

  // The textfile: valid for promtool, with the metrics named in docs/notify.md.
  REQUIRE(fs::exists(textfile));
  const RunResult promtool = promtool_check(read_file(textfile));
  INFO(promtool.out + promtool.err);
  CHECK(promtool.exit_code == 0);
  const std::string metrics = read_file(textfile);
  CHECK(metrics.find("dmarcctl_last_run_success 1\n") != std::string::npos);
  CHECK(metrics.find("dmarcctl_reports_imported_total{type=\"dmarc\"} 42\n") != std::string::npos);
  CHECK(metrics.find("dmarcctl_reports_rejected_total{reason=\"corrupt-archive\"} 0\n") != std::string::npos);
  CHECK(metrics.find("dmarcctl_advice{domain=\"reject.example\",check=\"dmarc\",verdict=\"regression\"} 1\n") != std::string::npos);
  // 7 days x 2 reporters: 200 + 50 + 100 messages a day, 200 + 70 passing.
  CHECK(metrics.find("dmarcctl_dmarc_messages{domain=\"reject.example\",result=\"pass\"} 3780\n") != std::string::npos);
  CHECK(metrics.find("dmarcctl_dmarc_messages{domain=\"reject.example\",result=\"fail\"} 1120\n") != std::string::npos);
  CHECK(metrics.find("dmarcctl_dmarc_pass_ratio{domain=\"reject.example\"} 0.7714285714285715\n") != std::string::npos);
  CHECK(metrics.find("# TYPE dmarcctl_tls_sessions gauge\n") != std::string::npos);
  CHECK(metrics.find("dmarcctl_last_run_timestamp_seconds ") != std::string::npos);

  // 2. The same data again: nothing new.
  RunResult second = notify(dir, {"--as-of", k_day_regression});
  CHECK(second.exit_code == 0);
  CHECK(smtp.files("mail", ".eml").size() == 1);
  CHECK(hook.files("post", ".json").size() == 1);

  // 3. The regression clears: one "cleared" mail.
  RunResult third = notify(dir, {"--as-of", k_day_cleared});
  INFO(third.err);
  CHECK(third.exit_code == 0);
  mails = smtp.files("mail", ".eml");
  REQUIRE(mails.size() == 2);
  const ReceivedMail cleared = parse_mail(read_file(mails[1]));
  CHECK(cleared.text.find("[INFO] cleared: reject.example: DMARC regression at reject") != std::string::npos);
  CHECK(cleared.subject == "[dmarcctl] reject.example: cleared: reject.example: DMARC regression at reject: "
                           "the published policy hurts authorized mail (+1 more)");
  posts = hook.files("post", ".json");
  REQUIRE(posts.size() == 2);
  CHECK(json::parse(read_file(posts[1]))["events"][0]["change"] == "cleared");

  // 4. And then quiet again.
  CHECK(notify(dir, {"--as-of", k_day_cleared}).exit_code == 0);
  CHECK(smtp.files("mail", ".eml").size() == 2);
  CHECK(hook.files("post", ".json").size() == 2);

  // --test: one message per channel, the state untouched.
  RunResult test = notify(dir, {"--test"});
  CHECK(test.exit_code == 0);
  mails = smtp.files("mail", ".eml");
  REQUIRE(mails.size() == 3);
  CHECK(parse_mail(read_file(mails[2])).subject == "[dmarcctl] test message");
  REQUIRE(hook.files("post", ".json").size() == 3);
  CHECK(json::parse(read_file(hook.files("post", ".json")[2]))["events"][0]["kind"] == "test");
  CHECK(notify(dir, {"--as-of", k_day_cleared}).exit_code == 0);
  CHECK(smtp.files("mail", ".eml").size() == 3);
}

TEST_CASE("notify: SMTP down is an error naming the channel; the next run delivers once")
{
  if (!tools_available()) {
    FAIL("python3-aiosmtpd and prometheus (promtool) are needed: run scripts/install-deps");
  }
  TempDir dir;
  write_regression_reports(dir / "reports");
  import_reports(dir);
  const std::string smtp_dir = dir / "smtp";
  int port = 0;
  {
    Receiver probe("smtp_sink.py", smtp_dir);
    port = probe.port();
  } // stopped: nothing listens on the port now
  write_file(dir / "dmarcctl.toml", config_text(port, 0, "", "tls = \"none\"\n"));
  RunResult down = notify(dir, {"--as-of", k_day_regression});
  CHECK(down.exit_code == 1);
  CHECK(down.err.find("notify: mail (postmaster@example.com, admin@example.org): smtp://127.0.0.1:"
                      + std::to_string(port)) != std::string::npos);
  CHECK(down.err.find("2 events stay pending for the next run") != std::string::npos);

  // The server is back (on a new port): the pending events go out once.
  fs::remove_all(smtp_dir);
  Receiver smtp("smtp_sink.py", smtp_dir);
  write_file(dir / "dmarcctl.toml", config_text(smtp.port(), 0, "", "tls = \"none\"\n"));
  RunResult back = notify(dir, {"--as-of", k_day_regression});
  INFO(back.err);
  CHECK(back.exit_code == 0);
  REQUIRE(smtp.files("mail", ".eml").size() == 1);
  CHECK(parse_mail(read_file(smtp.files("mail", ".eml")[0])).text.find("new: reject.example: DMARC regression")
        != std::string::npos);
  CHECK(notify(dir, {"--as-of", k_day_regression}).exit_code == 0);
  CHECK(smtp.files("mail", ".eml").size() == 1);

  // `run` notifies at its end (as of today: long after these reports, both events cleared;
  // true on any day after April 2024), once.
  const std::vector<std::string> run_args = {"-c", dir / "dmarcctl.toml", "--db", dir / "db.sqlite", "run", "--offline"};
  RunResult nightly = dmarcctl(run_args);
  INFO(nightly.err);
  CHECK(nightly.exit_code == 0);
  REQUIRE(smtp.files("mail", ".eml").size() == 2);
  const ReceivedMail cleared = parse_mail(read_file(smtp.files("mail", ".eml")[1]));
  CHECK(cleared.text.find("[INFO] cleared: reject.example: DMARC regression") != std::string::npos);
  CHECK(dmarcctl(run_args).exit_code == 0);
  CHECK(smtp.files("mail", ".eml").size() == 2);
}

TEST_CASE("notify: STARTTLS is required unless tls = \"none\"; the server without it gets nothing")
{
  if (!tools_available()) {
    FAIL("python3-aiosmtpd and prometheus (promtool) are needed: run scripts/install-deps");
  }
  TempDir dir;
  write_regression_reports(dir / "reports");
  import_reports(dir);
  Receiver smtp("smtp_sink.py", dir / "smtp");
  write_file(dir / "dmarcctl.toml", config_text(smtp.port(), 0, ""));   // tls default: starttls
  RunResult refused = notify(dir, {"--as-of", k_day_regression});
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("does not offer STARTTLS, which is required") != std::string::npos);
  CHECK(smtp.files("mail", ".eml").empty());
  RunResult test = notify(dir, {"--test"});
  CHECK(test.exit_code == 1);
  CHECK(smtp.files("mail", ".eml").empty());
}

TEST_CASE("notify: hostile domain and reporter names inject no header and break no JSON or metrics")
{
  if (!tools_available()) {
    FAIL("python3-aiosmtpd and prometheus (promtool) are needed: run scripts/install-deps");
  }
  TempDir dir;
  const std::string evil_domain = "evil\"\\\r\nbcc: victim@example.net\r\n.example";
  const std::string evil_org = "Org \"quoted\" \\ \r\nBcc: victim@example.net";
  gen::Scenario s;
  s.domain = evil_domain;
  s.first_day = k_first_day - 15;
  s.days = 36;
  s.reporters = {"google.com", evil_org};
  s.records = [&](int day, int reporter) {
    std::vector<gen::Record> r;
    if (reporter == 1 && day > 26) {
      return r;   // the hostile reporter went silent 9 days before the last day
    }
    r.push_back(gen::authorized("203.0.113.10", evil_domain, 100));
    r.push_back(gen::spoofer("198.51.100.66", evil_domain, 80));
    if (day >= 31) {
      r.push_back(gen::spoofer("198.51.100.77", evil_domain, 80));   // new in the last days
    }
    return r;
  };
  gen::write(s, dir / "reports");
  import_reports(dir);
  // A corrupt archive: a lost report.
  fs::create_directories(dir / "bad");
  write_file(dir / "bad/broken.xml.gz", std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8) + "garbage");
  CHECK(dmarcctl({"--db", dir / "db.sqlite", "import", dir / "bad"}).exit_code == 3);

  Receiver smtp("smtp_sink.py", dir / "smtp");
  Receiver hook("webhook_sink.py", dir / "hook");
  const std::string textfile = dir / "dmarcctl.prom";
  write_file(dir / "dmarcctl.toml",
             "[notify]\nmail_to = [\"postmaster@example.com\"]\nmail_from = \"dmarcctl@example.com\"\n"
             "smtp_url = \"smtp://127.0.0.1:" + std::to_string(smtp.port()) + "\"\ntls = \"none\"\n"
             "webhook_url = \"http://127.0.0.1:" + std::to_string(hook.port()) + "/hook\"\n"
             "min_messages = 10\n\n[metrics]\ntextfile = \"" + textfile + "\"\n");
  RunResult r = notify(dir, {"--as-of", "2024-03-31"});
  INFO(r.err);
  CHECK(r.exit_code == 0);

  // Mail: only the configured recipient; every header line is ours.
  const auto mails = smtp.files("mail", ".eml");
  REQUIRE(mails.size() == 1);
  CHECK(read_file(smtp.files("mail", ".env")[0]) == "dmarcctl@example.com\npostmaster@example.com\n");
  const ReceivedMail mail = parse_mail(read_file(mails[0]));
  for (const std::string& line : lines(mail.headers)) {
    const bool ours = line.empty() || line[0] == ' ' || line.rfind("From: ", 0) == 0
                      || line.rfind("To: ", 0) == 0 || line.rfind("Subject: ", 0) == 0
                      || line.rfind("Date: ", 0) == 0 || line.rfind("Message-ID: ", 0) == 0
                      || line.rfind("Auto-Submitted: ", 0) == 0
                      || line.rfind("MIME-Version: ", 0) == 0 || line.rfind("Content-Type: ", 0) == 0;
    INFO(line);
    CHECK(ours);
  }
  CHECK(mail.subject.find('\n') == std::string::npos);
  CHECK(mail.text.find("new unknown source 198.51.100.77 failed DMARC on 80 messages") != std::string::npos);
  CHECK(mail.text.find("reporter Org \"quoted\" \\") != std::string::npos);
  CHECK(mail.text.find("sent reports every week but none since") != std::string::npos);
  CHECK(mail.text.find("import at ") != std::string::npos);
  CHECK(mail.text.find("lost 1 report") != std::string::npos);
  CHECK(mail.text.find("broken.xml.gz: corrupt-archive") != std::string::npos);

  // Webhook: valid JSON with the names as they are.
  const auto posts = hook.files("post", ".json");
  REQUIRE(posts.size() == 1);
  const json body = json::parse(read_file(posts[0]));
  bool evil_seen = false;
  for (const json& e : body["events"]) {
    evil_seen = evil_seen || e["key"] == "failing-source:" + std::string("evil\"\\\nbcc: victim@example.net\n.example") + ":198.51.100.77";
  }
  CHECK(evil_seen);

  // Metrics: promtool accepts the file with the hostile domain as a label value.
  const std::string metrics = read_file(textfile);
  const RunResult promtool = promtool_check(metrics);
  INFO(metrics);
  INFO(promtool.out + promtool.err);
  CHECK(promtool.exit_code == 0);
  CHECK(metrics.find("dmarcctl_reports_rejected_total{reason=\"corrupt-archive\"} 1\n") != std::string::npos);
  CHECK(metrics.find("{domain=\"evil\\\"\\\\\\nbcc: victim@example.net\\n.example\"") != std::string::npos);
}

TEST_CASE("notify: SMTP login with password_env; a wrong password is an error without it")
{
  if (!tools_available()) {
    FAIL("python3-aiosmtpd and prometheus (promtool) are needed: run scripts/install-deps");
  }
  TempDir dir;
  write_regression_reports(dir / "reports");
  import_reports(dir);
  Receiver smtp("smtp_sink.py", dir / "smtp", {"dmarcctl", "correct horse"});
  write_file(dir / "dmarcctl.toml",
             config_text(smtp.port(), 0, "",
                         "tls = \"none\"\nusername = \"dmarcctl\"\npassword_env = \"DMARCCTL_SMTP_PW\"\n"));
  RunOptions wrong;
  wrong.env["DMARCCTL_SMTP_PW"] = "wrong-password-xyz";
  RunResult refused = notify(dir, {"--as-of", k_day_regression}, wrong);
  CHECK(refused.exit_code == 1);
  CHECK(refused.err.find("notify: mail (") != std::string::npos);
  CHECK(refused.err.find("wrong-password-xyz") == std::string::npos);
  CHECK(smtp.files("mail", ".eml").empty());

  RunOptions right;
  right.env["DMARCCTL_SMTP_PW"] = "correct horse";
  RunResult sent = notify(dir, {"--as-of", k_day_regression}, right);
  INFO(sent.err);
  CHECK(sent.exit_code == 0);
  CHECK(smtp.files("mail", ".eml").size() == 1);
  CHECK(read_file(dir / "smtp/auth.log") == "dmarcctl bad\ndmarcctl ok\n");

  RunOptions unset;
  unset.unset_env.push_back("DMARCCTL_SMTP_PW");
  RunResult missing = notify(dir, {"--test"}, unset);
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("[notify]: environment variable DMARCCTL_SMTP_PW is not set") != std::string::npos);
}

TEST_CASE("notify: the weekly digest goes out once a week, even when all is quiet")
{
  if (!tools_available()) {
    FAIL("python3-aiosmtpd and prometheus (promtool) are needed: run scripts/install-deps");
  }
  TempDir dir;
  write_regression_reports(dir / "reports");
  import_reports(dir);
  Receiver smtp("smtp_sink.py", dir / "smtp");
  write_file(dir / "dmarcctl.toml",
             config_text(smtp.port(), 0, "", "tls = \"none\"\ndigest = \"weekly\"\n"));
  // 2024-03-31 (a Sunday): the last 7 days are clean, so the digest is the only mail.
  CHECK(notify(dir, {"--as-of", k_day_cleared}).exit_code == 0);
  auto mails = smtp.files("mail", ".eml");
  REQUIRE(mails.size() == 1);
  const ReceivedMail digest = parse_mail(read_file(mails[0]));
  CHECK(digest.subject == "[dmarcctl] weekly digest, 2024-03-31: all quiet");
  CHECK(digest.text.find("No open events.") != std::string::npos);
  CHECK(digest.text.find("reject.example") != std::string::npos);
  CHECK(digest.html.find("<pre") != std::string::npos);
  // The same week: no second digest.
  CHECK(notify(dir, {"--as-of", "2024-03-30"}).exit_code == 0);
  CHECK(smtp.files("mail", ".eml").size() == 1);
  // Monday: a new week, a new digest.
  CHECK(notify(dir, {"--as-of", "2024-04-01"}).exit_code == 0);
  mails = smtp.files("mail", ".eml");
  REQUIRE(mails.size() == 2);
  CHECK(parse_mail(read_file(mails[1])).subject == "[dmarcctl] weekly digest, 2024-04-01: all quiet");
}

TEST_CASE("run: a failed IMAP account is recorded by fetch and mailed once by notify")
{
  if (!tools_available()) {
    FAIL("python3-aiosmtpd and prometheus (promtool) are needed: run scripts/install-deps");
  }
  TempDir dir;
  Receiver smtp("smtp_sink.py", dir / "smtp");
  // Nothing listens on the IMAP port: the account fails at connect. No reports are stored,
  // so the failed account is the only event, whatever day today is.
  write_file(dir / "dmarcctl.toml",
             config_text(smtp.port(), 0, "", "tls = \"none\"\n")
               + "\n[[imap]]\nname = \"dmarc\"\nurl = \"imap://127.0.0.1:" + std::to_string(free_port())
               + "\"\nusername = \"u\"\npassword_env = \"DMARCCTL_IMAP_PW\"\ntls = \"none\"\n"
                 "connect_timeout = 5\n");
  RunOptions options;
  options.env["DMARCCTL_IMAP_PW"] = "imap-secret";
  const std::vector<std::string> args = {"-c", dir / "dmarcctl.toml", "--db", dir / "db.sqlite", "run", "--offline"};
  RunResult first = dmarcctl(args, options);
  INFO(first.err);
  CHECK(first.exit_code == 1);   // nothing could be fetched
  CHECK(first.err.find("account dmarc (127.0.0.1:") != std::string::npos);
  auto mails = smtp.files("mail", ".eml");
  REQUIRE(mails.size() == 1);
  const ReceivedMail mail = parse_mail(read_file(mails[0]));
  CHECK(mail.subject.rfind("[dmarcctl] fetch: account dmarc failed at ", 0) == 0);
  CHECK(mail.text.find("[CRITICAL] new: fetch: account dmarc failed at ") != std::string::npos);
  CHECK(mail.text.find("imap-secret") == std::string::npos);
  // Failing again the next night: said already.
  CHECK(dmarcctl(args, options).exit_code == 1);
  CHECK(smtp.files("mail", ".eml").size() == 1);
}

TEST_CASE("notify: STARTTLS with a verified certificate (ca_file) delivers")
{
  if (!tools_available()) {
    FAIL("python3-aiosmtpd and prometheus (promtool) are needed: run scripts/install-deps");
  }
  TempDir dir;
  write_regression_reports(dir / "reports");
  import_reports(dir);
  const RunResult cert = run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                              "-keyout", dir / "key.pem", "-out", dir / "cert.pem", "-days", "2",
                              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  REQUIRE(cert.exit_code == 0);
  Receiver smtp("smtp_sink.py", dir / "smtp", {"--starttls", dir / "cert.pem", dir / "key.pem"});
  // Without the trust anchor the certificate is refused: nothing sent.
  write_file(dir / "dmarcctl.toml", config_text(smtp.port(), 0, ""));
  RunResult untrusted = notify(dir, {"--as-of", k_day_regression});
  CHECK(untrusted.exit_code == 1);
  CHECK(untrusted.err.find("notify: mail (") != std::string::npos);
  CHECK(smtp.files("mail", ".eml").empty());
  // With ca_file: STARTTLS, verified, delivered.
  write_file(dir / "dmarcctl.toml",
             config_text(smtp.port(), 0, "", "ca_file = \"" + dir / "cert.pem" + "\"\n"));
  RunResult sent = notify(dir, {"--as-of", k_day_regression});
  INFO(sent.err);
  CHECK(sent.exit_code == 0);
  REQUIRE(smtp.files("mail", ".eml").size() == 1);
  CHECK(parse_mail(read_file(smtp.files("mail", ".eml")[0])).text.find("DMARC regression") != std::string::npos);
}
