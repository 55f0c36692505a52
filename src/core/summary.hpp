// Summary values: what `summary` shows per policy domain. Filled by the store's SQL
// aggregates (sql/queries/), rendered by output/ (text, csv) and formats/ (json).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dmarc {

struct DomainSummary
{
  std::string domain;
  int64_t reports = 0;
  int64_t records = 0;
  int64_t messages = 0;
  int64_t dmarc_pass = 0;
  int64_t first_begin = 0;
  int64_t last_end = 0;
  int64_t reporters = 0;
  // TLS-RPT, for the same policy domain.
  int64_t tls_reports = 0;
  int64_t tls_success = 0;
  int64_t tls_failure = 0;
};

struct Summary
{
  int64_t since = 0;             // the window: reports beginning in [since, until)
  int64_t until = 0;
  std::vector<DomainSummary> domains;
};

} // namespace dmarc
