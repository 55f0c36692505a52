// The notify rules as data: facts and verdicts in, events out; which events a channel still
// has to hear; what the mail, the webhook JSON and the metrics text look like, also for
// hostile names.
#include "notify/events.hpp"
#include "notify/render.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

using namespace dmarc;
using namespace dmarc::notify;

namespace {

constexpr int64_t k_today = 19813; // 2024-03-31

advise::DomainAdvice domain(const std::string& name)
{
  advise::DomainAdvice d;
  d.domain = name;
  d.from_day = k_today - 27;
  d.to_day = k_today;
  return d;
}

advise::ClassifiedSource source(const std::string& ip, advise::SourceClass cls, int64_t messages,
                                int64_t pass)
{
  advise::ClassifiedSource s;
  s.stats.ip = ip;
  s.stats.messages = messages;
  s.stats.dmarc_pass = pass;
  s.cls = cls;
  return s;
}

std::vector<std::string> keys(const std::vector<Event>& events)
{
  std::vector<std::string> out;
  for (const Event& e : events) {
    out.push_back(e.key);
  }
  return out;
}

const Event* find(const std::vector<Event>& events, const std::string& key)
{
  for (const Event& e : events) {
    if (e.key == key) {
      return &e;
    }
  }
  return nullptr;
}

std::vector<Delivered> delivered_after(const Plan& p, std::vector<Delivered> before)
{
  for (const Delivered& d : p.after) {
    auto it = std::find_if(before.begin(), before.end(), [&](const Delivered& b) { return b.key == d.key; });
    if (it == before.end()) {
      before.push_back(d);
    } else {
      *it = d;
    }
  }
  return before;
}

} // namespace

TEST_CASE("verdict events: a regression is critical and clears, an advance is info")
{
  advise::Advice advice;
  advise::DomainAdvice d = domain("example.com");
  d.dmarc.verdict = advise::Verdict::regression;
  d.dmarc.current = "reject";
  d.spf.verdict = advise::Verdict::advance;
  d.spf.next = "-all";
  d.spf.publish = true;
  d.spf.dns_record = "v=spf1 mx -all";
  d.dkim.verdict = advise::Verdict::hold;
  advice.domains.push_back(d);
  Facts facts;
  facts.as_of_day = k_today;
  facts.advice = &advice;
  const auto events = compute_events(facts, Settings{});
  REQUIRE(keys(events) == std::vector<std::string>{"verdict:example.com:dmarc", "verdict:example.com:spf"});
  CHECK(events[0].severity == Severity::critical);
  CHECK(events[0].text == "example.com: DMARC regression at reject: the published policy hurts authorized mail");
  CHECK(events[0].announce_clear);
  CHECK(events[0].fingerprint == "regression|");
  CHECK(events[1].severity == Severity::info);
  CHECK(events[1].text == "example.com: SPF may advance to -all");
  CHECK(events[1].detail == "Publish: v=spf1 mx -all");
  CHECK_FALSE(events[1].announce_clear);
}

TEST_CASE("plan: sent once, again when changed, cleared once, nothing when the same")
{
  Event e{"verdict:a.example:dmarc", "verdict", "a.example", Severity::critical, "a.example: DMARC regression",
          "", "regression|", true};
  std::vector<Delivered> state;

  Plan first = plan({e}, state);
  REQUIRE(first.notices.size() == 1);
  CHECK(first.notices[0].change == Change::raised);
  state = delivered_after(first, state);

  Plan again = plan({e}, state);
  CHECK(again.notices.empty());
  CHECK(again.after.empty());

  Event changed = e;
  changed.fingerprint = "advance|quarantine";
  Plan third = plan({changed}, state);
  REQUIRE(third.notices.size() == 1);
  CHECK(third.notices[0].change == Change::changed);
  state = delivered_after(plan({e}, state), state); // back to the regression

  Plan cleared = plan({}, state);
  REQUIRE(cleared.notices.size() == 1);
  CHECK(cleared.notices[0].change == Change::cleared);
  CHECK(cleared.notices[0].event.text == "a.example: DMARC regression");
  CHECK(alert_mail(cleared.notices, k_today).subject == "[dmarcctl] a.example: cleared: a.example: DMARC regression");
  CHECK(cleared.notices[0].event.severity == Severity::info);
  state = delivered_after(cleared, state);
  CHECK(plan({}, state).notices.empty());

  // Raised again after it cleared: a new notice.
  Plan back = plan({e}, state);
  REQUIRE(back.notices.size() == 1);
  CHECK(back.notices[0].change == Change::raised);
}

TEST_CASE("plan: an event that goes away unannounced is remembered as gone, not sent")
{
  Event advance{"verdict:a.example:spf", "verdict", "a.example", Severity::info, "advance", "", "advance|-all", false};
  std::vector<Delivered> state = delivered_after(plan({advance}, {}), {});
  Plan gone = plan({}, state);
  CHECK(gone.notices.empty());
  REQUIRE(gone.after.size() == 1);
  CHECK_FALSE(gone.after[0].active);
  state = delivered_after(gone, state);
  // The step becomes safe again: told again.
  CHECK(plan({advance}, state).notices.size() == 1);
}

TEST_CASE("plan: worst first")
{
  Event info{"b", "verdict", "x", Severity::info, "b", "", "", false};
  Event crit{"c", "verdict", "x", Severity::critical, "c", "", "", false};
  Event warn{"a", "tls-failures", "x", Severity::warning, "a", "", "", false};
  Plan p = plan({warn, info, crit}, {});
  REQUIRE(p.notices.size() == 3);
  CHECK(p.notices[0].event.key == "c");
  CHECK(p.notices[1].event.key == "a");
  CHECK(p.notices[2].event.key == "b");
}

TEST_CASE("failing sources: new ones above min_messages, with class and name")
{
  advise::Advice advice;
  advise::DomainAdvice d = domain("example.com");
  auto auth = source("203.0.113.10", advise::SourceClass::authorized, 1000, 700);
  auth.stats.reverse_dns = "mail.example.com";
  d.sources.push_back(auth);
  advice.domains.push_back(d);
  Facts facts;
  facts.as_of_day = k_today;
  facts.advice = &advice;
  facts.failing = {
    {"example.com", "198.51.100.7", k_today - 2, 60, k_today - 3},   // new, unknown
    {"example.com", "198.51.100.7", k_today - 1, 80, k_today - 3},   // its worse day
    {"example.com", "198.51.100.8", k_today - 1, 49, k_today - 1},   // below 50
    {"example.com", "198.51.100.9", k_today - 1, 500, k_today - 40}, // not new
    {"example.com", "203.0.113.10", k_today - 1, 300, k_today - 5},  // new, authorized
  };
  Settings s;
  s.source_min_pass_share = 0.95;
  const auto events = compute_events(facts, s);
  const Event* unknown = find(events, "failing-source:example.com:198.51.100.7");
  REQUIRE(unknown != nullptr);
  CHECK(unknown->text == "example.com: new unknown source 198.51.100.7 failed DMARC on 80 messages on 2024-03-30");
  CHECK(unknown->severity == Severity::warning);
  CHECK(find(events, "failing-source:example.com:198.51.100.8") == nullptr);
  CHECK(find(events, "failing-source:example.com:198.51.100.9") == nullptr);
  const Event* authorized = find(events, "failing-source:example.com:203.0.113.10");
  REQUIRE(authorized != nullptr);
  CHECK(authorized->severity == Severity::critical);
  CHECK(authorized->text == "example.com: new authorized source 203.0.113.10 (mail.example.com) failed DMARC on 300 messages on 2024-03-30");
  // The same authorized source passes on only 70%: below source_min_pass_share.
  const Event* below = find(events, "authorized-below:example.com:203.0.113.10");
  REQUIRE(below != nullptr);
  CHECK(below->text == "example.com: authorized source 203.0.113.10 (mail.example.com) passes DMARC on only 70.0% of 1000 messages (below 95.0%)");
  CHECK(below->announce_clear);
}

TEST_CASE("silence: a weekly reporter gone quiet, a domain without reports")
{
  Facts facts;
  facts.as_of_day = k_today;
  std::vector<int64_t> weekly;
  for (int64_t day = k_today - 40; day <= k_today - 10; day += 3) {
    weekly.push_back(day);
  }
  std::vector<int64_t> daily;
  for (int64_t day = k_today - 40; day <= k_today - 1; ++day) {
    daily.push_back(day);
  }
  facts.reporters = {
    {"example.com", "google.com", daily},
    {"example.com", "Outlook.com", weekly},          // last k_today - 10: silent 10 > 7 days
    {"example.com", "rare.example", {k_today - 30}}, // never weekly: not an event
    {"quiet.example", "google.com", weekly},         // the whole domain is silent
  };
  const auto events = compute_events(facts, Settings{});
  CHECK(keys(events) == std::vector<std::string>{"silent-domain:quiet.example",
                                                 "silent-reporter:example.com:Outlook.com"});
  CHECK(find(events, "silent-domain:quiet.example")->text
        == "quiet.example: no DMARC aggregate report since 2024-03-21 (10 days)");
  CHECK(find(events, "silent-reporter:example.com:Outlook.com")->text
        == "example.com: reporter Outlook.com sent reports every week but none since 2024-03-21 (10 days)");
  Settings patient;
  patient.silent_days = 14;
  CHECK(compute_events(facts, patient).empty());
}

TEST_CASE("TLS failures per day and lost reports / failed accounts of the runs")
{
  Facts facts;
  facts.as_of_day = k_today;
  facts.tls_failures = {{"example.com", k_today - 1, "certificate-expired", 4},
                        {"example.com", k_today - 1, "starttls-not-supported", 2},
                        {"example.com", k_today - 20, "certificate-expired", 9}};
  IngestRun run;
  run.id = 7;
  run.command = "import";
  run.finished_at = k_today * 86400 + 3600;
  run.lost = 2;
  run.problems = {"a.xml.gz: corrupt-archive: truncated gzip", "b.xml: invalid-report: line 3"};
  facts.runs = {run};
  IngestRun fetch;
  fetch.id = 8;
  fetch.command = "fetch";
  fetch.finished_at = k_today * 86400 + 7200;
  fetch.failed_accounts = {"dmarc"};
  facts.latest_fetch = fetch;
  const auto events = compute_events(facts, Settings{});
  REQUIRE(keys(events) == std::vector<std::string>{"account-failed:dmarc", "lost-reports:7",
                                                   "tls-failures:example.com:2024-03-30"});
  CHECK(events[2].text == "example.com: 6 failed TLS sessions on 2024-03-30 (certificate-expired 4, starttls-not-supported 2)");
  CHECK(events[1].text == "import at 2024-03-31 01:00:00 UTC lost 2 reports (rejected as corrupt, invalid or too large, or partly stored)");
  CHECK(events[1].detail == "a.xml.gz: corrupt-archive: truncated gzip\nb.xml: invalid-report: line 3");
  CHECK(events[0].severity == Severity::critical);
  CHECK(events[0].announce_clear);
}

TEST_CASE("the mail: subject names domains and the worst event; hostile names stay in the body")
{
  Event bad{"failing-source:evil.example\r\nBcc: victim@example.org:1.2.3.4", "failing-source",
            "evil.example\r\nBcc: victim@example.org", Severity::critical,
            "evil.example\r\nBcc: victim@example.org: \"quoted\" \\ <b>html</b>", "line\nX-Injected: 1",
            "", false};
  Event other{"verdict:b.example:dmarc", "verdict", "b.example", Severity::info, "b.example: DMARC may advance", "", "", false};
  Plan p = plan({other, bad}, {});
  const Mail mail = alert_mail(p.notices, k_today);
  CHECK(mail.subject.find('\r') == std::string::npos);
  CHECK(mail.subject.find('\n') == std::string::npos);
  CHECK(mail.subject.rfind("[dmarcctl] b.example, evil.example", 0) == 0);
  CHECK(mail.subject.find("(+1 more)") != std::string::npos);
  CHECK(mail.html.find("<b>html</b>") == std::string::npos);
  CHECK(mail.html.find("&lt;b&gt;html&lt;/b&gt;") != std::string::npos);

  const std::string message = mime_message(mail, "dmarcctl@example.com", {"postmaster@example.com"},
                                           k_today * 86400, 42);
  // Headers end at the first empty line; every header line is one of ours or a fold.
  const std::string headers = message.substr(0, message.find("\r\n\r\n"));
  std::size_t start = 0;
  while (start < headers.size()) {
    const std::size_t end = std::min(headers.find("\r\n", start), headers.size());
    const std::string line = headers.substr(start, end - start);
    const bool ours = line[0] == ' ' || line.rfind("From: ", 0) == 0 || line.rfind("To: ", 0) == 0
                      || line.rfind("Subject: ", 0) == 0 || line.rfind("Date: ", 0) == 0
                      || line.rfind("Message-ID: ", 0) == 0 || line.rfind("Auto-Submitted: ", 0) == 0
                      || line.rfind("MIME-Version: ", 0) == 0 || line.rfind("Content-Type: ", 0) == 0;
    CHECK(ours);
    INFO(line);
    start = end + 2;
  }
  CHECK(headers.find("\r\nBcc") == std::string::npos);
  CHECK(message.find("X-Injected") == std::string::npos);   // the body is base64
  CHECK(headers.find("Date: Sun, 31 Mar 2024 00:00:00 +0000") != std::string::npos);
  // No bare LF anywhere: CRLF only.
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n') {
      REQUIRE(i > 0);
      CHECK(message[i - 1] == '\r');
    }
  }
}

TEST_CASE("header encoding and base64")
{
  CHECK(encode_header("[dmarcctl] plain") == "[dmarcctl] plain");
  CHECK(encode_header("a\r\nb") == "a  b");
  CHECK(encode_header("Grüße") == "=?UTF-8?B?R3LDvMOfZQ==?=");
  CHECK(base64_lines("") == "");
  CHECK(base64_lines("f") == "Zg==\r\n");
  CHECK(base64_lines("foobar") == "Zm9vYmFy\r\n");
  CHECK(valid_address("postmaster@example.com"));
  CHECK_FALSE(valid_address("a@b\r\nBcc: c@d"));
  CHECK_FALSE(valid_address("\"x\"@example.com"));
  CHECK_FALSE(valid_address("nobody"));
}

TEST_CASE("webhook JSON has the documented shape, also with hostile text")
{
  Event e{"k\"1", "verdict", "evil\"\\\n.example", Severity::critical, "text \"with\" \\ and \n", "", "", false};
  const std::string body = webhook_json(plan({e}, {}).notices);
  const auto j = nlohmann::json::parse(body);
  REQUIRE(j["events"].size() == 1);
  CHECK(j["events"][0]["key"] == "k\"1");
  CHECK(j["events"][0]["domain"] == "evil\"\\\n.example");
  CHECK(j["events"][0]["severity"] == "critical");
  CHECK(j["events"][0]["change"] == "new");
  CHECK(j["events"][0]["kind"] == "verdict");
  CHECK(j["text"].get<std::string>().rfind("dmarcctl: 1 event\nnew: ", 0) == 0);
}

TEST_CASE("metrics text: names, labels, escaping")
{
  Metrics m;
  m.run_timestamp = 1711843200;
  m.run_success = true;
  m.window_days = 28;
  m.reports_by_type = {{"dmarc", 42}, {"tlsrpt", 3}, {"failure", 0}};
  m.rejected_by_reason = {{"corrupt-archive", 1}};
  m.dmarc = {{"evil\"\\\n.example", 100, 97}};
  m.advice = {{"example.com", "dmarc", "hold"}};
  m.tls = {{"example.com", 90, 10}};
  const std::string t = metrics_text(m);
  CHECK(t.find("dmarcctl_last_run_timestamp_seconds 1711843200\n") != std::string::npos);
  CHECK(t.find("dmarcctl_last_run_success 1\n") != std::string::npos);
  CHECK(t.find("dmarcctl_reports_imported_total{type=\"dmarc\"} 42\n") != std::string::npos);
  CHECK(t.find("dmarcctl_reports_rejected_total{reason=\"corrupt-archive\"} 1\n") != std::string::npos);
  CHECK(t.find("dmarcctl_dmarc_messages{domain=\"evil\\\"\\\\\\n.example\",result=\"pass\"} 97\n") != std::string::npos);
  CHECK(t.find("dmarcctl_dmarc_messages{domain=\"evil\\\"\\\\\\n.example\",result=\"fail\"} 3\n") != std::string::npos);
  CHECK(t.find("dmarcctl_dmarc_pass_ratio{domain=\"evil\\\"\\\\\\n.example\"} 0.97\n") != std::string::npos);
  CHECK(t.find("dmarcctl_advice{domain=\"example.com\",check=\"dmarc\",verdict=\"hold\"} 1\n") != std::string::npos);
  CHECK(t.find("dmarcctl_advice{domain=\"example.com\",check=\"dmarc\",verdict=\"regression\"} 0\n") != std::string::npos);
  CHECK(t.find("dmarcctl_tls_sessions{domain=\"example.com\",result=\"failure\"} 10\n") != std::string::npos);
  CHECK(label_value("a\xff") == "a\xEF\xBF\xBD");
}
