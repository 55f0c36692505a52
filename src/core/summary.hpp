// Summary values: what `summary` shows per policy domain over a window of whole UTC days.
// Filled by the store's SQL aggregates (sql/queries/ over the rollup tables), rendered by
// output/ (text, csv) and formats/ (json).
#pragma once

#include "core/stats.hpp"

#include <cstdint>
#include <vector>

namespace dmarc {

struct Summary
{
  int64_t since = 0;             // the window: reports beginning in [since, until),
  int64_t until = 0;             //   Unix seconds at UTC day boundaries
  std::vector<DomainStats> domains;  // sorted by domain; sources hold the top ones only
};

} // namespace dmarc
