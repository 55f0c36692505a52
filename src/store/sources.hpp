// The `sources` table (sql/0006_enrichment.sql): what enrichment learned about each source
// IP, and the questions enrichment asks the store. Enrichment writes it in its own short
// transactions, never inside an import's.
#pragma once

#include "core/result.hpp"
#include "core/source_info.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace dmarc::store {

// One row of `sources`.
struct SourceRow
{
  std::string ip;
  SourceInfo info;
  std::optional<int64_t> looked_up;    // Unix seconds of the last reverse DNS lookup
  OptString rdns_status;               // ok | nxdomain | nodata | servfail | refused | timeout | error | invalid
  std::optional<int64_t> expires;      // ask DNS again after this
  OptString dns_error;
};

enum class EnrichScope
{
  due,     // IPs never enriched, and (with DNS) those never looked up or whose answer expired
  all,     // every source IP of the reports
};

// The distinct source IPs of the stored reports that need enrichment at `now`; with `dns`
// false only IPs without a row at all (the offline pass fills the local fields).
Result<std::vector<std::string>> sources_to_enrich(Database& db, int64_t now, bool dns, EnrichScope scope);

// The rows stored for `ips` (missing IPs are absent from the map).
Result<std::unordered_map<std::string, SourceRow>> load_sources(Database& db, const std::vector<std::string>& ips);

// Per source IP, the domains it authenticated as (passing DKIM d=, passing SPF domain),
// each with its message count, largest first: the fallback name of a source without a
// forward-confirmed PTR name. Only IPs in `ips` are returned.
struct AuthenticatedDomains
{
  std::vector<std::pair<std::string, int64_t>> dkim;
  std::vector<std::pair<std::string, int64_t>> spf;
};
Result<std::unordered_map<std::string, AuthenticatedDomains>>
authenticated_domains(Database& db, const std::vector<std::string>& ips);

// Inserts or replaces `rows`, in one transaction.
Result<void> save_sources(Database& db, const std::vector<SourceRow>& rows);

// Reads SourceInfo by IP for the outputs (export, CSV), memoized; an unknown IP gives an
// empty SourceInfo. A database error is remembered and makes every later lookup empty.
class SourceDirectory
{
public:
  explicit SourceDirectory(Database& db) : m_db(db) {}
  const SourceInfo& get(const std::string& ip);

private:
  Database& m_db;
  std::unordered_map<std::string, SourceInfo> m_cache;
  bool m_failed = false;
};

} // namespace dmarc::store
