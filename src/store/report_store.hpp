// The write side of the store as the ingest pipeline sees it: one call per message, one
// transaction per call. SqliteStore is the real one; tests/support has a fake.
#pragma once

#include "core/message.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmarc::store {

struct StoreOutcome
{
  MessageStatus status = MessageStatus::rejected;
  int dmarc_new = 0;
  int dmarc_duplicate = 0;
  int tls_new = 0;
  int tls_duplicate = 0;
  uint64_t records_new = 0;      // aggregate records of the new DMARC reports
  bool failure_new = false;
  bool failure_duplicate = false; // a failure report stored before
  int64_t message_row = 0;       // messages.id
  // Duplicates whose content differs from the stored report (the stored one is kept):
  // "reporter.example report r-1 for example.com: 12 vs 7 messages".
  std::vector<std::string> conflicts;
};

class ReportStore
{
public:
  virtual ~ReportStore() = default;
  // Stores the message and every report in it atomically: after a successful return the
  // data is committed; after an error nothing of the message is stored. Reports already
  // stored (same type, org_name, report_id, policy domain) count as duplicates.
  virtual Result<StoreOutcome> store(const ParsedMessage& message) = 0;
};

} // namespace dmarc::store
