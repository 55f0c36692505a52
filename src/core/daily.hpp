// Daily statistics: what the store's rollups say about one policy domain day by day over a
// window (the HTML report's charts). Summed over the window they are the totals of
// core/stats.hpp, read from the same rollup tables (sql/queries/report_*.sql). Plain
// structs, no logic. Days are Unix days (see core/stats.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dmarc {

// DMARC reports of one day.
struct DayTotals
{
  int64_t day = 0;
  int64_t reports = 0;
  int64_t messages = 0;
  int64_t dmarc_pass = 0;
};

// A published stage (p, pct, testing) as the reports of one day showed it.
struct DayStage
{
  int64_t day = 0;
  std::string p;                 // none | quarantine | reject (lower case)
  int64_t pct = 100;             // absent: 100
  std::string testing = "n";     // RFC 9990 t=; absent: "n"
  int64_t reports = 0;
};

// The first and last day an organization reported on in the window.
struct ReporterSpan
{
  std::string org_name;
  int64_t first_day = 0;
  int64_t last_day = 0;
};

// DKIM results of one selector and d= domain on one day.
struct SelectorDay
{
  std::string selector;
  std::string dkim_domain;
  int64_t day = 0;
  int64_t messages = 0;
  int64_t pass = 0;
  int64_t aligned_pass = 0;
};

// TLS-RPT sessions of one policy type on one day.
struct TlsDay
{
  std::string policy_type;
  int64_t day = 0;
  int64_t reports = 0;
  int64_t success = 0;
  int64_t failure = 0;
};

struct DailyStats
{
  std::vector<DayTotals> days;           // days with DMARC reports, ascending
  std::vector<DayStage> stages;          // by day
  std::vector<ReporterSpan> reporters;   // any order
  std::vector<SelectorDay> selectors;    // by selector, d= domain, day
  std::vector<TlsDay> tls;               // by policy type, day
};

} // namespace dmarc
