// Domain statistics: what the store's SQL aggregates (sql/queries/, over the rollup tables of
// sql/0003_rollups.sql) say about one policy domain over a window of days. `summary` renders
// them; the advisor (src/advise) turns them into verdicts. Plain structs, no logic.
//
// Days are Unix days (Unix seconds / 86400, rounded down; UTC). A report counts for the day
// its date range begins (RFC 7489 App. C `date_range/begin`, RFC 8460 §4.4
// `date-range/start-datetime`).
#pragma once

#include "core/failure_report.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmarc {

// The UTC day of Unix time `seconds` (rounded down, also for negative times).
inline int64_t unix_day(int64_t seconds)
{
  return seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
}

// One source IP over the window. All counts are messages (a record's `count`).
struct SourceStats
{
  std::string ip;                  // as reported
  int64_t messages = 0;
  int64_t dmarc_pass = 0;          // DMARC pass: aligned DKIM or aligned SPF
  int64_t dkim_aligned = 0;        // aligned DKIM pass
  int64_t spf_aligned = 0;         // aligned SPF pass
  int64_t spf_pass = 0;            // some SPF (mfrom) result passes, for any domain
  int64_t spf_own = 0;             // an SPF (mfrom) result for the policy domain or below it
  int64_t spf_own_pass = 0;        //   ... and it passes
  int64_t forwarded = 0;           // a forwarded / mailing_list / trusted_forwarder reason
  int64_t first_day = 0;           // first and last day the source was seen for the
  int64_t last_day = 0;            //   domain within the window
  std::string reverse_dns;         // from the sources table; "" when unknown
  std::vector<std::string> dkim_domains; // DKIM d= domains that pass without alignment
};

struct ReporterStats
{
  std::string org_name;
  int64_t reports = 0;
  int64_t messages = 0;
  int64_t days = 0;                // days with a report from this organization
};

// DKIM selector seen in auth_results (selector "" when the reporter gave none).
struct SelectorStats
{
  std::string selector;
  std::string dkim_domain;
  int64_t messages = 0;            // messages with a DKIM result for this selector
  int64_t pass = 0;                // ... that passed
  int64_t aligned_pass = 0;        // ... that passed with a domain aligned with the From
};

// The newest policy_published of the domain and since when the same stage (p, pct,
// testing) has been published without interruption.
struct PolicyStats
{
  bool known = false;              // false: no DMARC report at all
  std::string p;                   // none | quarantine | reject
  std::optional<std::string> sp;
  std::optional<std::string> np;   // RFC 9990
  std::optional<std::string> adkim;
  std::optional<std::string> aspf;
  std::optional<std::string> fo;
  std::optional<int64_t> pct;      // as published (RFC 7489); absent means 100
  std::optional<std::string> testing; // RFC 9990 t=: "y" | "n"
  int64_t newest_day = 0;          // the day of the newest report
  int64_t since_day = 0;           // first day of the uninterrupted run of this stage
};

// TLS-RPT failure sessions of one result type on one day.
struct TlsFailureDay
{
  std::string result_type;
  int64_t day = 0;
  int64_t sessions = 0;
};

// Failed TLS sessions of one result type at one receiving MX host, over the window.
struct TlsFailureHost
{
  std::string result_type;
  std::string mx_host;
  int64_t sessions = 0;
};

// TLS-RPT, one policy type (sts | tlsa | no-policy-found) of the domain.
struct TlsPolicyStats
{
  std::string policy_type;
  int64_t reports = 0;
  int64_t reporters = 0;
  int64_t days = 0;                // days with a report
  int64_t success = 0;             // sessions
  int64_t failure = 0;
  std::vector<TlsFailureDay> failures;  // by result type and day
  std::vector<TlsFailureHost> failure_hosts;  // by result type, most sessions first
  std::string mode;                // newest policy's "mode:" (sts: testing|enforce|none); ""
  std::vector<std::string> mx_hosts;    // newest policy's MX patterns
  std::string policy_string;       // newest policy text, lines joined with '\n'
};

struct DomainStats
{
  std::string domain;              // policy domain, lower case
  int64_t from_day = 0;            // the window, inclusive
  int64_t to_day = 0;
  // DMARC
  int64_t reports = 0;
  int64_t records = 0;
  int64_t messages = 0;
  int64_t dmarc_pass = 0;
  int64_t dkim_aligned = 0;
  int64_t spf_aligned = 0;
  int64_t quarantined = 0;         // disposition quarantine
  int64_t rejected = 0;            // disposition reject
  int64_t spf_own_fail = 0;        // SPF results for the policy domain: fail (-all),
  int64_t spf_own_softfail = 0;    //   softfail (~all), neutral (?all)
  int64_t spf_own_neutral = 0;
  int64_t days = 0;                // days with at least one DMARC report
  int64_t first_begin = 0;         // Unix seconds, over the window's reports
  int64_t last_end = 0;
  std::vector<ReporterStats> reporters;  // by messages, descending
  PolicyStats policy;
  std::vector<SourceStats> sources;      // by messages, descending (all, or the top N)
  int64_t source_count = 0;              // distinct sources in the window
  std::vector<SelectorStats> selectors;  // by messages, descending
  // TLS-RPT
  std::vector<TlsPolicyStats> tls;       // by policy type
  // DMARC failure (RUF) reports whose time lies in the window
  FailureStats failures;
};

} // namespace dmarc
