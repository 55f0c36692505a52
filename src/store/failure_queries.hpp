// The read side of failure (RUF) reports (sql/0007_failure_reports.sql): back into the
// model for export and forward, and their counts per domain for summary.
#pragma once

#include "core/failure_report.hpp"
#include "core/result.hpp"
#include "store/database.hpp"
#include "store/queries.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dmarc::store {

struct StoredFailure
{
  int64_t id = 0;                  // failure_reports.id
  int64_t time = 0;                // arrival, else the report mail's date, else import time
  std::string domain;              // first reported domain, lower case ("" when none)
  FailureReport report;            // sample body never read back (sample is "")
};

// Calls `fn` for every failure report whose domain and time match `filter`, in id order.
// Stops at the first error `fn` returns.
Result<void> for_each_failure(Database& db, const ReportFilter& filter,
                              const std::function<Result<void>(const StoredFailure&)>& fn);

// Replaces `out` with up to `limit` failure reports with after < id <= until, in id order
// (the forward stream "failure_reports").
Result<void> failure_page(Database& db, int64_t after, int64_t until, std::size_t limit,
                          std::vector<StoredFailure>& out);

// The domains with failure reports whose time lies in [since, until), sorted; only `only`
// when set.
Result<std::vector<std::string>> failure_domains(Database& db, int64_t since, int64_t until,
                                                 const OptString& only);

// The failure reports of `domain` in [since, until): counts by Auth-Failure type, the top
// `top` sources and the newest `top` samples.
Result<FailureStats> failure_stats(Database& db, const std::string& domain, int64_t since,
                                   int64_t until, std::size_t top);

} // namespace dmarc::store
