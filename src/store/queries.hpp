// The read side of the store: reports back as model structs (export, forward), totals
// for summaries, and the checks of `db check`. Aggregations run in SQL (sql/queries/).
#pragma once

#include "core/report.hpp"
#include "core/result.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace dmarc::store {

struct ReportFilter
{
  OptString domain;   // policy domain, lower case, no trailing dot (so "Example.COM." matches)
  int64_t since = std::numeric_limits<int64_t>::min();   // report begin >= since
  int64_t until = std::numeric_limits<int64_t>::max();   // report begin < until
};

// A stored DMARC report with its row id.
struct StoredAggregate
{
  int64_t id = 0;
  AggregateReport report;
};

struct StoredTls
{
  int64_t id = 0;
  TlsReport report;
};

// Calls `fn` for every DMARC report matching `filter`, in import order, fully loaded
// (records, auth results, reasons). Stops at the first error `fn` returns.
Result<void> for_each_aggregate(Database& db, const ReportFilter& filter,
                                const std::function<Result<void>(const StoredAggregate&)>& fn);

// Calls `fn` for every TLS report matching `filter` (by its first policy domain), in
// import order, with policies and failure details.
Result<void> for_each_tls(Database& db, const ReportFilter& filter,
                          const std::function<Result<void>(const StoredTls&)>& fn);


struct DatabaseCounts
{
  int64_t messages = 0;
  int64_t messages_imported = 0;
  int64_t messages_duplicate = 0;
  int64_t messages_failure = 0;
  int64_t messages_rejected = 0;
  int64_t dmarc_reports = 0;
  int64_t dmarc_records = 0;
  int64_t dmarc_messages = 0;
  int64_t tls_reports = 0;
  int64_t tls_policies = 0;
  int64_t tls_success = 0;
  int64_t tls_failure = 0;
  int64_t failure_reports = 0;
  int64_t conflicts = 0;         // report_conflicts rows
};

// What the database holds over all time: for the "No reports in this period" answer.
struct StoredExtent
{
  int64_t reports = 0;           // DMARC and TLS reports
  int64_t first_begin = 0;       // the earliest report's begin, Unix seconds
  int64_t last_end = 0;          // the latest report's end
};
Result<StoredExtent> stored_extent(Database& db);

// Every policy domain with a stored aggregate, TLS or failure report (lower case, without a
// trailing dot), sorted.
Result<std::vector<std::string>> known_domains(Database& db);

// The conflicting duplicates, oldest first: "ORG report ID for DOMAIN: 12 vs 7 messages
// (SOURCE of the later one)".
Result<std::vector<std::string>> conflicts(Database& db);

// Row counts and totals of the whole database.
Result<DatabaseCounts> counts(Database& db);

// VACUUM and a WAL checkpoint.
Result<void> vacuum(Database& db);

// PRAGMA integrity_check and foreign_key_check, and the import totals against the rows
// (record_count, message_count, a raw document per report): "ok" or the problems found.
Result<std::string> integrity_check(Database& db);

} // namespace dmarc::store
