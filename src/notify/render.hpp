// notify: what the channels carry, rendered from notices. Pure: no sockets, files or clock.
//
// Mail (RFC 5322, RFC 2045-2047): one message per run, multipart/alternative with a plain
// text part and an HTML part, both base64 so no line of report data can end the body or
// start a header. The subject is one RFC 2047 encoded-word per chunk of UTF-8, made from
// printable text only: a CR or LF in a domain or organization name never reaches a header.
// Addresses come from the configuration and are checked by valid_address().
// Webhook: one JSON document {"events": [...], "text": "..."}: the `text` field is what
// Slack / Mattermost incoming hooks and ntfy show.
// Metrics: the Prometheus text exposition format (node_exporter textfile collector), label
// values escaped (backslash, double quote, newline) and made valid UTF-8.
#pragma once

#include "notify/events.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dmarc::notify {

struct Mail
{
  std::string subject;           // UTF-8, one line, not yet encoded
  std::string text;              // the plain text body ('\n' line ends)
  std::string html;              // the HTML alternative
};

// The mail of one run: every notice, worst first. The subject names the domains and the
// worst event.
Mail alert_mail(const std::vector<Notice>& notices, int64_t as_of_day);

// The weekly digest: `summary` (the text of `dmarcctl summary`) and the events in force.
Mail digest_mail(const std::string& summary, const std::vector<Event>& current, int64_t as_of_day);

// `notify --test`.
Mail test_mail(int64_t now);

// The whole message: headers (From, To, Subject, Date, Message-ID, MIME) and both parts,
// CRLF line ends. `now` dates it; `token` makes the Message-ID and boundary unique.
std::string mime_message(const Mail& mail, const std::string& from,
                         const std::vector<std::string>& to, int64_t now, uint64_t token);

// A bare address "local@domain" a header may carry as is: printable ASCII, no space, no
// quote, angle bracket, comma, parenthesis, semicolon or backslash, one '@' with text on
// both sides.
bool valid_address(std::string_view address);

// "=?UTF-8?B?...?=" encoded-words (folded) for a header value; plain ASCII without
// specials stays as it is.
std::string encode_header(std::string_view value);

// RFC 4648 base64 in lines of 76 characters with CRLF.
std::string base64_lines(std::string_view data);

// The one-line text of a webhook post ("dmarcctl: 2 events: ...").
std::string webhook_text(const std::vector<Notice>& notices);

// The webhook body: {"events":[{"key","kind","domain","severity","change","text","detail"}],
// "text": webhook_text(notices)}.
std::string webhook_json(const std::vector<Notice>& notices);

// What the Prometheus textfile holds.
struct Metrics
{
  int64_t run_timestamp = 0;       // Unix seconds
  bool run_success = true;
  int window_days = 0;
  std::vector<std::pair<std::string, int64_t>> reports_by_type;
  std::vector<std::pair<std::string, int64_t>> rejected_by_reason;
  struct Domain
  {
    std::string domain;
    int64_t messages = 0;
    int64_t pass = 0;
  };
  std::vector<Domain> dmarc;
  struct Advice
  {
    std::string domain;
    std::string check;             // dmarc, spf, dkim, mta-sts
    std::string verdict;           // the current one
  };
  std::vector<Advice> advice;
  std::vector<TlsSessions> tls;
};

// The metrics of a run from the advice and the store's totals.
Metrics metrics_of(const advise::Advice& advice, const StoreTotals& totals,
                   const std::vector<TlsSessions>& tls, int64_t now, bool success);

// The textfile: # HELP and # TYPE for each metric, then its samples.
std::string metrics_text(const Metrics& metrics);

// A Prometheus label value, escaped.
std::string label_value(std::string_view value);

} // namespace dmarc::notify
