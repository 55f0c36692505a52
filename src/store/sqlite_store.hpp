// SqliteStore: ReportStore on the SQLite database, with cached prepared statements.
#pragma once

#include "core/clock.hpp"
#include "store/database.hpp"
#include "store/report_store.hpp"

#include <optional>
#include <string>
#include <utility>

namespace dmarc::store {

class SqliteStore final : public ReportStore
{
public:
  SqliteStore(Database& db, const Clock& clock) : m_db(db), m_clock(clock) {}
  Result<StoreOutcome> store(const ParsedMessage& message) override;

private:
  Result<StoreOutcome> store_in_transaction(const ParsedMessage& message);
  Result<bool> insert_aggregate(int64_t message_row, const AggregateReport& report,
                                const RawDocument& raw, uint64_t& records);
  Result<bool> insert_tls(int64_t message_row, const TlsReport& report, const RawDocument& raw);
  // A report whose key was stored before: when its content differs (message or record
  // counts, session counts), records the conflict and adds its description to `outcome`.
  Result<void> note_conflict(int64_t message_row, const char* type, const std::string& org,
                             const std::string& report_id, const std::string& domain,
                             StoreOutcome& outcome);
  // What the last insert that found its key taken saw: {stored, received} when the content
  // differs ("12 messages", "7 messages"); read and cleared by note_conflict.
  std::optional<std::pair<std::string, std::string>> m_pending_conflict;

  Database& m_db;
  const Clock& m_clock;
};

} // namespace dmarc::store
