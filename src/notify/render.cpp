#include "notify/render.hpp"

#include "core/json_text.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

namespace dmarc::notify {

namespace {

constexpr std::size_t k_subject_event_chars = 120;

std::string day_text(int64_t day) { return text::format_date(day * 86400); }

// `s` cut to at most `max` bytes on a UTF-8 character boundary, "..." added when cut.
std::string shorten(std::string_view s, std::size_t max)
{
  if (s.size() <= max) {
    return std::string(s);
  }
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) {
    --end;
  }
  return std::string(s.substr(0, end)) + "...";
}

// One line of header text: control characters (CR, LF, TAB, ...) become spaces.
std::string one_line(std::string_view s)
{
  std::string out = text::sanitize_utf8(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      c = ' ';
    }
  }
  return out;
}

std::string html_escape(std::string_view s)
{
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

std::string upper(std::string_view s)
{
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

// The domains of `notices`: "a.example, b.example, c.example +2".
std::string domain_list(const std::vector<Notice>& notices)
{
  std::set<std::string> domains;
  for (const Notice& n : notices) {
    if (!n.event.domain.empty()) {
      domains.insert(one_line(text::printable(n.event.domain)));
    }
  }
  std::string out;
  std::size_t shown = 0;
  for (const std::string& d : domains) {
    if (shown == 3) {
      out += " +" + std::to_string(domains.size() - shown);
      break;
    }
    out += (out.empty() ? "" : ", ") + d;
    ++shown;
  }
  return out;
}

const char* const k_html_head =
  "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>dmarcctl</title></head>\n"
  "<body style=\"font-family:sans-serif;line-height:1.4\">\n";

const char* severity_color(Severity s)
{
  switch (s) {
  case Severity::critical: return "#b00020";
  case Severity::warning: return "#a15c00";
  case Severity::info: return "#1b5e20";
  }
  return "#000";
}

void append_label(std::string& out, const char* name, std::string_view value, bool first)
{
  out += first ? "{" : ",";
  out += name;
  out += "=\"";
  out += label_value(value);
  out += '"';
}

void header(std::string& out, const char* name, const char* type, const char* help)
{
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

} // namespace

Mail alert_mail(const std::vector<Notice>& notices, int64_t as_of_day)
{
  Mail mail;
  if (notices.empty()) {
    mail.subject = "[dmarcctl] nothing new";
    return mail;
  }
  const Notice& worst = notices.front();   // plan() sorts worst first
  const std::string domains = domain_list(notices);
  mail.subject = "[dmarcctl] " + (domains.empty() ? "" : domains + ": ")
                 + (worst.change == Change::cleared ? "cleared: " : "")
                 + shorten(one_line(worst.event.text), k_subject_event_chars);
  if (notices.size() > 1) {
    mail.subject += " (+" + std::to_string(notices.size() - 1) + " more)";
  }
  mail.text = "dmarcctl, as of " + day_text(as_of_day) + ": "
              + text::plural(static_cast<int64_t>(notices.size()), "event", "events") + "\n\n";
  mail.html = k_html_head;
  mail.html += "<p>dmarcctl, as of " + day_text(as_of_day) + ": "
               + text::plural(static_cast<int64_t>(notices.size()), "event", "events") + "</p>\n<ul>\n";
  for (const Notice& n : notices) {
    const std::string label = upper(to_string(n.event.severity));
    const std::string line = text::printable(n.event.text);
    mail.text += "[" + label + "] " + std::string(to_string(n.change)) + ": " + line + "\n";
    mail.html += "<li><b style=\"color:" + std::string(severity_color(n.event.severity)) + "\">"
                 + label + "</b> " + std::string(to_string(n.change)) + ": " + html_escape(line);
    if (!n.event.detail.empty()) {
      const std::string detail = text::printable(n.event.detail, true);
      std::size_t start = 0;
      while (start <= detail.size()) {
        const std::size_t end = std::min(detail.find('\n', start), detail.size());
        mail.text += "    " + detail.substr(start, end - start) + "\n";
        start = end + 1;
      }
      mail.html += "<br><span style=\"white-space:pre-wrap;color:#444\">" + html_escape(detail)
                   + "</span>";
    }
    mail.text += "\n";
    mail.html += "</li>\n";
  }
  mail.text += "-- \nEach event is mailed once, again when it changes or clears "
               "(dmarcctl notify; `dmarcctl advise` has the details).\n";
  mail.html += "</ul>\n<p style=\"color:#666\">Each event is mailed once, again when it changes "
               "or clears.</p>\n</body></html>\n";
  return mail;
}

Mail digest_mail(const std::string& summary, const std::vector<Event>& current, int64_t as_of_day)
{
  Mail mail;
  mail.subject = "[dmarcctl] weekly digest, " + day_text(as_of_day) + ": "
                 + (current.empty() ? std::string("all quiet")
                                    : text::plural(static_cast<int64_t>(current.size()),
                                                   "open event", "open events"));
  mail.text = "dmarcctl weekly digest as of " + day_text(as_of_day) + "\n\n";
  mail.html = k_html_head;
  mail.html += "<h1 style=\"font-size:1.2em\">dmarcctl weekly digest as of " + day_text(as_of_day)
               + "</h1>\n";
  if (current.empty()) {
    mail.text += "No open events.\n\n";
    mail.html += "<p>No open events.</p>\n";
  } else {
    mail.text += "Open events:\n";
    mail.html += "<p>Open events:</p>\n<ul>\n";
    for (const Event& e : current) {
      const std::string line = text::printable(e.text);
      mail.text += "- [" + upper(to_string(e.severity)) + "] " + line + "\n";
      mail.html += "<li>" + html_escape(line) + "</li>\n";
    }
    mail.text += "\n";
    mail.html += "</ul>\n";
  }
  const std::string body = text::printable(summary, true);
  mail.text += body;
  mail.html += "<pre style=\"font-size:0.9em\">" + html_escape(body) + "</pre>\n</body></html>\n";
  return mail;
}

Mail test_mail(int64_t now)
{
  Mail mail;
  mail.subject = "[dmarcctl] test message";
  mail.text = "This is a test message from dmarcctl notify --test, sent "
              + text::format_utc(now) + ".\nIf you read this, mail notifications work.\n";
  mail.html = std::string(k_html_head) + "<p>This is a test message from <code>dmarcctl notify "
              "--test</code>, sent " + text::format_utc(now)
              + ".</p>\n<p>If you read this, mail notifications work.</p>\n</body></html>\n";
  return mail;
}

bool valid_address(std::string_view address)
{
  const std::size_t at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()
      || address.find('@', at + 1) != std::string_view::npos || address.size() > 254) {
    return false;
  }
  for (char c : address) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return false;
    }
    if (std::string_view("\"<>(),;:\\[]").find(c) != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

std::string base64_lines(std::string_view data)
{
  static const char k_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(data.size() * 4 / 3 + data.size() / 38 + 8);
  std::size_t line = 0;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    const auto b0 = static_cast<unsigned char>(data[i]);
    const auto b1 = i + 1 < data.size() ? static_cast<unsigned char>(data[i + 1]) : 0u;
    const auto b2 = i + 2 < data.size() ? static_cast<unsigned char>(data[i + 2]) : 0u;
    out += k_alphabet[b0 >> 2];
    out += k_alphabet[((b0 & 0x03) << 4) | (b1 >> 4)];
    out += i + 1 < data.size() ? k_alphabet[((b1 & 0x0f) << 2) | (b2 >> 6)] : '=';
    out += i + 2 < data.size() ? k_alphabet[b2 & 0x3f] : '=';
    line += 4;
    if (line >= 76) {
      out += "\r\n";
      line = 0;
    }
  }
  if (line > 0) {
    out += "\r\n";
  }
  return out;
}

std::string encode_header(std::string_view value)
{
  const std::string clean = one_line(value);
  const bool plain = std::all_of(clean.begin(), clean.end(), [](char c) {
                       return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
                     })
                     && clean.find("=?") == std::string::npos && clean.size() <= 900;
  if (plain) {
    return clean;
  }
  // Encoded-words of at most 45 bytes of UTF-8 (60 base64 characters), never splitting a
  // character (RFC 2047 §5), folded onto continuation lines.
  std::string out;
  std::size_t start = 0;
  while (start < clean.size()) {
    std::size_t end = std::min(start + 45, clean.size());
    while (end < clean.size() && end > start
           && (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80) {
      --end;
    }
    std::string chunk = base64_lines(std::string_view(clean).substr(start, end - start));
    chunk.erase(std::remove_if(chunk.begin(), chunk.end(),
                               [](char c) { return c == '\r' || c == '\n'; }),
                chunk.end());
    out += (out.empty() ? "" : "\r\n ") + std::string("=?UTF-8?B?") + chunk + "?=";
    start = end;
  }
  return out;
}

std::string mime_message(const Mail& mail, const std::string& from,
                         const std::vector<std::string>& to, int64_t now, uint64_t token)
{
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(token));
  const std::string boundary = std::string("=_dmarcctl_") + hex;
  const std::size_t at = from.find('@');
  const std::string host = at == std::string::npos ? "localhost" : from.substr(at + 1);

  char date[64] = "";
  const std::time_t t = static_cast<std::time_t>(now);
  std::tm tm{};
  if (gmtime_r(&t, &tm) != nullptr) {
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  }
  std::string out;
  out += "From: " + from + "\r\n";
  out += "To: ";
  for (std::size_t i = 0; i < to.size(); ++i) {
    out += (i == 0 ? "" : ",\r\n ") + to[i];
  }
  out += "\r\n";
  out += "Subject: " + encode_header(mail.subject) + "\r\n";
  out += std::string("Date: ") + date + "\r\n";
  out += "Message-ID: <dmarcctl." + std::to_string(now) + "." + hex + "@" + host + ">\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n";
  out += "\r\n";
  out += "This is a message in MIME format.\r\n";
  const std::pair<const char*, const std::string*> parts[] = {{"text/plain", &mail.text},
                                                              {"text/html", &mail.html}};
  for (const auto& [type, body] : parts) {
    out += "\r\n--" + boundary + "\r\n";
    out += std::string("Content-Type: ") + type + "; charset=utf-8\r\n";
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    out += base64_lines(text::sanitize_utf8(*body));
  }
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

std::string webhook_text(const std::vector<Notice>& notices)
{
  if (notices.empty()) {
    return "dmarcctl: nothing new";
  }
  std::string out = "dmarcctl: " + text::plural(static_cast<int64_t>(notices.size()), "event", "events");
  for (const Notice& n : notices) {
    out += "\n" + std::string(to_string(n.change)) + ": " + text::printable(n.event.text);
  }
  return out;
}

std::string webhook_json(const std::vector<Notice>& notices)
{
  std::string out = "{\"events\":[";
  bool first = true;
  for (const Notice& n : notices) {
    out += first ? "{" : ",{";
    first = false;
    const std::pair<const char*, std::string> fields[] = {
      {"key", n.event.key},
      {"kind", n.event.kind},
      {"domain", n.event.domain},
      {"severity", std::string(to_string(n.event.severity))},
      {"change", std::string(to_string(n.change))},
      {"text", n.event.text},
      {"detail", n.event.detail}};
    bool first_field = true;
    for (const auto& [name, value] : fields) {
      out += first_field ? "\"" : ",\"";
      first_field = false;
      out += name;
      out += "\":";
      json_text::append_string(out, value);
    }
    out += "}";
  }
  out += "],\"text\":";
  json_text::append_string(out, webhook_text(notices));
  out += "}";
  return out;
}

std::string label_value(std::string_view value)
{
  const std::string valid = text::sanitize_utf8(value);
  std::string out;
  out.reserve(valid.size());
  for (char c : valid) {
    switch (c) {
    case '\\': out += "\\\\"; break;
    case '"': out += "\\\""; break;
    case '\n': out += "\\n"; break;
    default: out += c;
    }
  }
  return out;
}

Metrics metrics_of(const advise::Advice& advice, const StoreTotals& totals,
                   const std::vector<TlsSessions>& tls, int64_t now, bool success)
{
  Metrics m;
  m.run_timestamp = now;
  m.run_success = success;
  m.window_days = advice.window_days;
  m.reports_by_type = totals.reports_by_type;
  // Every reason a rejection can have, so a counter exists (at 0) before its first increase.
  for (const char* reason : {"corrupt-archive", "empty", "invalid-report", "not-a-report", "too-large"}) {
    m.rejected_by_reason.emplace_back(reason, 0);
  }
  for (const auto& [reason, count] : totals.rejected_by_reason) {
    auto it = std::find_if(m.rejected_by_reason.begin(), m.rejected_by_reason.end(),
                           [&reason = reason](const auto& r) { return r.first == reason; });
    if (it == m.rejected_by_reason.end()) {
      m.rejected_by_reason.emplace_back(reason, count);
    } else {
      it->second = count;
    }
  }
  for (const advise::DomainAdvice& d : advice.domains) {
    Metrics::Domain dm;
    dm.domain = d.domain;
    for (const advise::ClassTotals* t : {&d.authorized, &d.forwarder, &d.unknown}) {
      dm.messages += t->messages;
      dm.pass += t->dmarc_pass;
    }
    m.dmarc.push_back(dm);
    const std::pair<const char*, const advise::Check*> checks[] = {
      {"dmarc", &d.dmarc}, {"spf", &d.spf}, {"dkim", &d.dkim}, {"mta-sts", &d.mta_sts}};
    for (const auto& [name, c] : checks) {
      m.advice.push_back({d.domain, name, std::string(advise::to_string(c->verdict))});
    }
  }
  for (const TlsSessions& t : tls) {
    if (!t.domain.empty()) {
      m.tls.push_back(t);
    }
  }
  return m;
}

std::string metrics_text(const Metrics& m)
{
  std::string out;
  header(out, "dmarcctl_last_run_timestamp_seconds", "gauge",
         "Unix time the last dmarcctl run or notify finished.");
  out += "dmarcctl_last_run_timestamp_seconds " + std::to_string(m.run_timestamp) + "\n";
  header(out, "dmarcctl_last_run_success", "gauge",
         "1 when the last run succeeded (exit status 0 or 4), 0 when something failed.");
  out += std::string("dmarcctl_last_run_success ") + (m.run_success ? "1" : "0") + "\n";
  header(out, "dmarcctl_reports_imported_total", "counter", "Reports stored in the database, by type.");
  for (const auto& [type, n] : m.reports_by_type) {
    out += "dmarcctl_reports_imported_total";
    append_label(out, "type", type, true);
    out += "} " + std::to_string(n) + "\n";
  }
  header(out, "dmarcctl_reports_rejected_total", "counter", "Inputs rejected, by reason.");
  for (const auto& [reason, n] : m.rejected_by_reason) {
    out += "dmarcctl_reports_rejected_total";
    append_label(out, "reason", reason, true);
    out += "} " + std::to_string(n) + "\n";
  }
  const std::string window = std::to_string(m.window_days);
  header(out, "dmarcctl_dmarc_messages", "gauge",
         ("Messages in DMARC aggregate reports over the last " + window
          + " days, by DMARC result.").c_str());
  for (const Metrics::Domain& d : m.dmarc) {
    const std::pair<const char*, int64_t> results[] = {{"pass", d.pass}, {"fail", d.messages - d.pass}};
    for (const auto& [result, n] : results) {
      out += "dmarcctl_dmarc_messages";
      append_label(out, "domain", d.domain, true);
      append_label(out, "result", result, false);
      out += "} " + std::to_string(n) + "\n";
    }
  }
  header(out, "dmarcctl_dmarc_pass_ratio", "gauge",
         ("Share of messages passing DMARC over the last " + window + " days.").c_str());
  for (const Metrics::Domain& d : m.dmarc) {
    if (d.messages <= 0) {
      continue;
    }
    out += "dmarcctl_dmarc_pass_ratio";
    append_label(out, "domain", d.domain, true);
    out += "} ";
    json_text::append_number(out, static_cast<double>(d.pass) / static_cast<double>(d.messages));
    out += "\n";
  }
  header(out, "dmarcctl_advice", "gauge",
         "The advisor's verdict per domain and check: 1 for the current verdict, 0 for the others.");
  for (const Metrics::Advice& a : m.advice) {
    for (const char* verdict : {"wait", "advance", "hold", "regression", "done"}) {
      out += "dmarcctl_advice";
      append_label(out, "domain", a.domain, true);
      append_label(out, "check", a.check, false);
      append_label(out, "verdict", verdict, false);
      out += std::string("} ") + (a.verdict == verdict ? "1" : "0") + "\n";
    }
  }
  header(out, "dmarcctl_tls_sessions", "gauge",
         ("SMTP TLS sessions in TLS reports over the last " + window + " days, by result.").c_str());
  for (const TlsSessions& t : m.tls) {
    const std::pair<const char*, int64_t> results[] = {{"success", t.success}, {"failure", t.failure}};
    for (const auto& [result, n] : results) {
      out += "dmarcctl_tls_sessions";
      append_label(out, "domain", t.domain, true);
      append_label(out, "result", result, false);
      out += "} " + std::to_string(n) + "\n";
    }
  }
  return out;
}

} // namespace dmarc::notify
