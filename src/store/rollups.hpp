// Rollups: the per domain × day sums that `summary` and `advise` read (tables of
// sql/0003_rollups.sql), kept current in the transaction that stores a new report.
//
// Why at import: summing millions of aggregate_records per run is too slow for a nightly
// job that should answer in under a second. Each new report is grouped in memory first
// (one upsert per distinct source IP, selector, ... rather than per record), so the import
// stays fast. The counting rules are the ones written at the head of sql/0003_rollups.sql,
// whose backfill applies them to rows stored before the rollups existed.
#pragma once

#include "core/report.hpp"
#include "core/result.hpp"

namespace dmarc::store {

class Connection;

// Adds a newly stored DMARC report to the rollups. Call inside the storing transaction,
// once per new (not duplicate) report.
Result<void> add_dmarc_rollups(Connection& c, const AggregateReport& report);

// Adds a newly stored TLS report to the rollups (same contract).
Result<void> add_tls_rollups(Connection& c, const TlsReport& report);

} // namespace dmarc::store
