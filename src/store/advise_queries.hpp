// The read side of `summary` and `advise`: per policy domain statistics over a window of
// whole UTC days, aggregated in SQL (sql/queries/stats_*.sql) from the rollup tables of
// sql/0003_rollups.sql, so a run reads a few rows per domain, source and day instead of
// every stored record.
#pragma once

#include "core/report.hpp"
#include "core/result.hpp"
#include "core/stats.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmarc::store {

struct StatsWindow
{
  int64_t from_day = 0;          // Unix days, inclusive
  int64_t to_day = 0;
  int source_limit = -1;         // sources per domain, biggest first; -1: all of them
  int name_limit = 50;           // reverse DNS names looked up for the biggest this many
                                 // sources; -1: all (needed to match authorized_ptr_domains)
  bool tls = true;               // also read TLS-RPT statistics
};

// The policy domains (lower case) with DMARC or TLS reports in the window, sorted; only
// `domain` (case-insensitive) when given.
Result<std::vector<std::string>> stats_domains(Database& db, const StatsWindow& window,
                                               const OptString& domain);

// Everything known about `domain` (case-insensitive) in the window. A domain without
// reports gives zero counts and `policy.known == false`, not an error.
Result<DomainStats> domain_stats(Database& db, const std::string& domain,
                                 const StatsWindow& window);

} // namespace dmarc::store
