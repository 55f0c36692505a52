// The stored facts `dmarcctl notify` judges (besides the advisor's verdicts): plain structs the
// store fills (src/store/notify_queries) and the pure event rules read (src/notify). Days are
// Unix days (core/stats.hpp); times are Unix seconds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dmarc {

// A source IP whose mail failed DMARC on one day, with when it was first seen for the domain.
struct FailingSourceDay
{
  std::string domain;
  std::string ip;
  int64_t day = 0;
  int64_t failing = 0;           // messages that failed DMARC that day
  int64_t first_day = 0;         // the first day the source sent for the domain (lookback)
};

// A reporting organization's report days for one domain (ascending).
struct ReporterActivity
{
  std::string domain;
  std::string org_name;
  std::vector<int64_t> days;
};

// Failed TLS sessions of one result type on one day (RFC 8460 §4.3 result types).
struct TlsFailureFact
{
  std::string domain;
  int64_t day = 0;
  std::string result_type;
  int64_t sessions = 0;
};

// What one `import` or `fetch` recorded (table ingest_runs).
struct IngestRun
{
  int64_t id = 0;
  std::string command;           // import | fetch
  int64_t finished_at = 0;
  int64_t inputs = 0;
  int64_t reports = 0;
  int64_t rejected = 0;           // inputs without a usable report (any reason)
  int64_t lost = 0;               // reports lost: corrupt-archive, too-large, invalid-report, partial
  int64_t partial = 0;
  int64_t unreadable = 0;
  int64_t accounts = 0;
  std::vector<std::string> failed_accounts;
  std::vector<std::string> problems;   // the first diagnostics, one line each
};

// Totals for the Prometheus textfile.
struct StoreTotals
{
  std::vector<std::pair<std::string, int64_t>> reports_by_type;     // dmarc, tlsrpt, failure
  std::vector<std::pair<std::string, int64_t>> rejected_by_reason;  // messages.reason
};

// TLS-RPT sessions of a domain over a window.
struct TlsSessions
{
  std::string domain;
  int64_t success = 0;
  int64_t failure = 0;
};

} // namespace dmarc
