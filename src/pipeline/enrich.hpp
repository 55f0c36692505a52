// The enrich step (⑤b), read top to bottom: which sources need it → their stored rows and
// authenticated domains → DNS (c-ares, many in flight) + sender map + databases → one
// transaction that stores the rows. Never inside an import transaction: `import --enrich`
// and `run` call it after their reports are committed.
#pragma once

#include "core/result.hpp"
#include "enrich/enricher.hpp"
#include "store/database.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace dmarc::pipeline {

struct EnrichRunOptions
{
  bool dns = true;                         // false: --offline / [enrich] rdns = false
  net::DnsOptions dns_options;
  int cache_days = 7;
  std::string asn_db;                      // "" = none
  std::string country_db;
  std::vector<std::pair<std::string, enrich::SenderEntry>> names; // config overrides
  store::EnrichScope scope = store::EnrichScope::due;
  int64_t now = 0;
  std::function<void(const std::string&)> on_problem;  // a database or lookup problem (warning)
  // A resolver to use instead of creating one from dns_options (tests).
  net::DnsResolver* resolver = nullptr;
};

// Enriches the sources that need it. Error: the database failed, or the DNS resolver could
// not be created (bad dns_servers). A missing or corrupt database file, a refusing or silent
// DNS server, an odd PTR name: reported through on_problem, the other fields still filled.
Result<enrich::EnrichStats> run_enrich(store::Database& db, const EnrichRunOptions& options);

} // namespace dmarc::pipeline
