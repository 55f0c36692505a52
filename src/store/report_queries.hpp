// The read side of `report --html`: a domain's statistics day by day (sql/queries/report_*.sql
// over the rollup tables of sql/0003_rollups.sql), next to the window totals that
// store/advise_queries gives `summary` and `advise`.
#pragma once

#include "core/daily.hpp"
#include "core/result.hpp"
#include "store/advise_queries.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::store {

// Day by day DMARC totals, published stages, reporter spans, DKIM selectors and TLS sessions
// of `domain` (lower case) over the window's days.
Result<DailyStats> daily_stats(Database& db, const std::string& domain, const StatsWindow& window);

// Calls `fn(day, ip, messages, dmarc_pass)` for each row of a source's mail on a day in the
// window (every message of the domain in exactly one row; any order).
Result<void> each_source_day(
  Database& db, const std::string& domain, const StatsWindow& window,
  const std::function<void(int64_t day, std::string_view ip, int64_t messages, int64_t dmarc_pass)>&
    fn);

// The reverse DNS name of `ip` from the sources table; "" when unknown.
Result<std::string> reverse_dns(Database& db, const std::string& ip);

} // namespace dmarc::store
