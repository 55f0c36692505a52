// ⑦ The HTML report (`dmarcctl report --html FILE`): one self-contained page per run with,
// for each policy domain, the advisor's verdicts, daily charts and the tables behind them.
//
// Why one file and nothing else: the admin opens it from disk, puts it behind any web
// server or attaches it to a mail, so it makes no request at all (inline CSS and SVG, no
// font, image or script URL; a Content-Security-Policy says so to the browser too), reads
// complete without JavaScript (a small inline script only adds table sorting), fits a
// 375 px phone and a 1280 px screen, follows `prefers-color-scheme: dark` and prints on A4.
// Accessibility: one h1, a section with an h2 per domain, tables with th, every chart an
// SVG with <title>/<desc> whose numbers are also in tooltips and tables, and colour never
// the only cue (legends in stacking order, stripes on one series, text labels).
//
// Pure: the numbers come in as the structs `summary` and `advise` render (core/stats.hpp,
// advise/advisor.hpp) plus the daily series (core/daily.hpp), so the page shows the same
// numbers as `summary --format json` / `advise --format json` for the same window. Every
// text from a report (domain, organization, host, selector names) is HTML-escaped, its
// control and bidirectional formatting characters shown as escapes, and set in <bdi>.
#pragma once

#include "advise/advisor.hpp"
#include "core/daily.hpp"
#include "core/stats.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dmarc::output {

// A finding of `dmarcctl check` (the published DNS records), shown under the verdicts.
struct CheckFinding
{
  std::string severity;          // "error" | "warning" | "info"
  std::string code;              // stable code
  std::string message;           // what is wrong
  std::string action;            // what to do; "" when nothing
};

// A stored failure (RUF) report, headers only.
struct FailureReportEntry
{
  int64_t arrival = 0;           // Unix seconds
  std::string feedback_type;     // "auth-failure", ...
  std::string reporter;
  std::string source_ip;
  std::string header_from;
  std::string subject;
  std::string auth_failure;      // "dkim", "spf", "dmarc", ...
};

struct FailureReportSection
{
  int64_t total = 0;                                    // in the window
  std::vector<std::pair<std::string, int64_t>> by_type; // feedback / failure type → count
  std::vector<FailureReportEntry> newest;               // newest first
};

// A source as the report lists it: the numbers `summary` has for it, its class from the
// advisor's rules over the report's window, and its organization once enrichment knows it.
struct ReportSource
{
  SourceStats stats;
  advise::SourceClass cls = advise::SourceClass::unknown;
  std::string basis;             // why the class, in words
  std::string organisation;      // "" when unknown (the reverse DNS name, or the IP, shows)
};

// One day of DMARC mail by outcome (the stacked bars), and the authorized mail (the line).
struct DayOutcome
{
  int64_t day = 0;
  int64_t pass = 0;              // DMARC pass, any source
  int64_t fail_authorized = 0;   // DMARC fail, by the class of the source
  int64_t fail_forwarder = 0;
  int64_t fail_unknown = 0;
  int64_t authorized = 0;        // messages from authorized sources
  int64_t authorized_pass = 0;   // ... that passed DMARC
};

struct HtmlDomain
{
  DomainStats stats;                           // the window's totals (what `summary` gives)
  std::optional<advise::DomainAdvice> advice;  // the verdicts (the advisor's own window)
  std::vector<CheckFinding> check_findings;    // `dmarcctl check`; none: not shown
  DailyStats daily;
  std::vector<DayOutcome> outcomes;            // days with DMARC mail, ascending
  advise::ClassTotals authorized;              // sources by class over the window
  advise::ClassTotals forwarder;
  advise::ClassTotals unknown;
  std::vector<ReportSource> sources;           // biggest first (the top ones)
  std::vector<ReportSource> failing;           // failing DMARC: authorized, forwarder,
                                               //   unknown, most failed mail first (top ones)
  int64_t failing_sources = 0;                 // all failing sources and their failed mail
  int64_t failing_messages = 0;
  std::optional<FailureReportSection> failure_reports;  // nullopt: not shown
};

struct HtmlReport
{
  int64_t from_day = 0;          // the window (Unix days, inclusive)
  int64_t to_day = 0;
  int advice_window_days = 0;    // the advisor judges the last this many days up to to_day
  std::vector<HtmlDomain> domains;
};

// The page.
std::string html_report(const HtmlReport& report);

// `s` as HTML text or attribute value: & < > " ' escaped, control and bidirectional
// formatting characters (and bytes that are no UTF-8) shown as visible escapes ("\u202e").
std::string html_escape(std::string_view s);

} // namespace dmarc::output
