// The store side of `dmarcctl notify` (sql/0009_notify_state.sql): the facts its event rules
// read besides the advisor's verdicts (failing sources per day, reporter days, TLS failures,
// what each import/fetch lost), the per-channel delivery state that makes every event go out
// once, and the totals of the Prometheus textfile.
//
// Why the delivery state is written only after a channel accepted the notices: a failed
// delivery leaves it as it was, so the next run computes the same notices again and sends
// them then (never lost); once accepted they are recorded, so they are never sent twice.
#pragma once

#include "core/notify_facts.hpp"
#include "core/result.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmarc::store {

// The source IPs of `domain` (lower case) that failed DMARC on at least `min_failing`
// messages on a day in [from_day, to_day], each with its first day for the domain since
// `lookback_day`, by IP and day.
Result<std::vector<FailingSourceDay>> failing_source_days(Database& db, const std::string& domain,
                                                          int64_t from_day, int64_t to_day,
                                                          int64_t min_failing,
                                                          int64_t lookback_day);

// Every (domain, reporting organization) with DMARC reports in [from_day, to_day] and the
// days it reported, sorted by domain and organization.
Result<std::vector<ReporterActivity>> reporter_activity(Database& db, int64_t from_day,
                                                        int64_t to_day);

// Failed TLS sessions per domain, day and result type in [from_day, to_day].
Result<std::vector<TlsFailureFact>> tls_failure_days(Database& db, int64_t from_day,
                                                     int64_t to_day);

// TLS sessions per domain in [from_day, to_day].
Result<std::vector<TlsSessions>> tls_sessions(Database& db, int64_t from_day, int64_t to_day);

// Records one import or fetch (its id is set).
Result<void> record_ingest_run(Database& db, IngestRun& run);

// The runs that finished at or after `since` (Unix seconds), oldest first.
Result<std::vector<IngestRun>> ingest_runs_since(Database& db, int64_t since);

// The newest run of `command`, nullopt when there is none.
Result<std::optional<IngestRun>> latest_ingest_run(Database& db, const std::string& command);

// What a channel last delivered for an event key (table notify_state).
struct DeliveredRow
{
  std::string key;
  std::string kind;
  std::string domain;
  std::string severity;
  std::string fingerprint;
  std::string text;
  bool active = false;
  bool announce_clear = false;
  int64_t delivered_at = 0;
};

// Every row of `channel`.
Result<std::vector<DeliveredRow>> delivered_state(Database& db, const std::string& channel);

// Writes `rows` for `channel` (insert or replace), all in one transaction.
Result<void> save_delivered_state(Database& db, const std::string& channel,
                                  const std::vector<DeliveredRow>& rows);

// Stored report totals by type and rejected inputs by reason.
Result<StoreTotals> store_totals(Database& db);

} // namespace dmarc::store
