// SqliteStore: ReportStore on the SQLite database, with cached prepared statements.
#pragma once

#include "core/clock.hpp"
#include "store/database.hpp"
#include "store/report_store.hpp"

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

  Database& m_db;
  const Clock& m_clock;
};

} // namespace dmarc::store
