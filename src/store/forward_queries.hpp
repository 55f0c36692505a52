// The read side of `dmarcctl forward`: the rows not yet sent to a GELF sink, in id order,
// with what each message needs (the report's metadata and policy, auth results, override
// reasons, source names), and the per-sink cursor (sql/0004_forward_cursor.sql).
//
// Why pages: a statement left open while the forwarder commits its cursor would hold a read
// transaction across writes; pages of at most `limit` rows (`WHERE id > ? ORDER BY id
// LIMIT ?`) keep memory bounded by the page, whatever the size of the history, and every
// page is a fresh snapshot. Row ids only grow (rows are never deleted; SQLite hands out
// max(id) + 1), so "id > cursor" is exactly "not yet sent".
#pragma once

#include "core/report.hpp"
#include "core/result.hpp"
#include "core/source_info.hpp"
#include "store/database.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dmarc::store {

// What the forwarder sends, each with its own cursor. `advice` is not a table: its cursor
// holds the Unix day whose advisor findings were sent.
enum class ForwardStream { aggregate_records, tls_policies, tls_failures, advice, failure_reports };

// The table name: "aggregate_records", "tls_policies", "tls_failures", "failure_reports";
// "advice".
std::string_view to_string(ForwardStream stream);

struct ForwardRecordRow
{
  int64_t id = 0;                                  // aggregate_records.id
  std::shared_ptr<const AggregateReport> report;   // metadata and policy; no records
  int64_t report_row = 0;                          // aggregate_reports.id
  AggregateRecord record;                          // with auth results and reasons
  SourceInfo source;
};

struct ForwardPolicyRow
{
  int64_t id = 0;                                  // tls_policies.id
  std::shared_ptr<const TlsReport> report;         // metadata; no policies
  TlsPolicy policy;                                // without failure details
};

struct ForwardFailureRow
{
  int64_t id = 0;                                  // tls_failures.id
  std::shared_ptr<const TlsReport> report;
  std::shared_ptr<const TlsPolicy> policy;
  TlsFailureDetail failure;
};

// Reads pages of rows after a cursor. Keeps the reports of the last pages, so the rows of
// one report share one metadata object.
class ForwardReader
{
public:
  explicit ForwardReader(Database& db) : m_db(db) {}

  // Replaces `out` with up to `limit` records with after < id <= until, in id order.
  Result<void> records(int64_t after, int64_t until, std::size_t limit,
                       std::vector<ForwardRecordRow>& out);
  // Likewise for TLS policies and TLS failure details.
  Result<void> policies(int64_t after, int64_t until, std::size_t limit,
                        std::vector<ForwardPolicyRow>& out);
  Result<void> failures(int64_t after, int64_t until, std::size_t limit,
                        std::vector<ForwardFailureRow>& out);

private:
  Result<std::shared_ptr<const AggregateReport>> aggregate_report(int64_t id);
  Result<std::shared_ptr<const TlsReport>> tls_report(int64_t id);
  struct CachedPolicy
  {
    std::shared_ptr<const TlsPolicy> policy;
    int64_t report_row = 0;
  };
  Result<CachedPolicy> tls_policy(int64_t id);

  Database& m_db;
  std::unordered_map<int64_t, std::shared_ptr<const AggregateReport>> m_reports;
  std::unordered_map<int64_t, std::shared_ptr<const TlsReport>> m_tls_reports;
  std::unordered_map<int64_t, CachedPolicy> m_tls_policies;
};

// The highest row id of `stream` now (0 when empty): the end of this run's work. 0 for
// `advice`.
Result<int64_t> max_row_id(Database& db, ForwardStream stream);

// The cursor of `sink` for `stream`: the last id done, 0 when nothing was sent yet.
Result<int64_t> forward_cursor(Database& db, std::string_view sink, ForwardStream stream);

// Sets the cursor of `sink` for `stream` to `last_id` (never moving it back) at `now`, in
// its own transaction.
Result<void> set_forward_cursor(Database& db, std::string_view sink, ForwardStream stream,
                                int64_t last_id, int64_t now);

} // namespace dmarc::store
