// run_enrich: see enrich.hpp.
#include "pipeline/enrich.hpp"

#include "store/sources.hpp"

namespace dmarc::pipeline {

Result<enrich::EnrichStats> run_enrich(store::Database& db, const EnrichRunOptions& options)
{
  enrich::EnrichStats stats;
  const auto warn = [&](const std::string& line) {
    if (options.on_problem) {
      options.on_problem(line);
    }
  };
  auto ips = store::sources_to_enrich(db, options.now, options.dns, options.scope);
  if (!ips) {
    return ips.error();
  }
  if (ips->empty()) {
    return stats;
  }

  // The resolver first: a bad dns_servers entry is a configuration error, found before any work.
  std::unique_ptr<net::DnsResolver> own_resolver;
  net::DnsResolver* resolver = nullptr;
  if (options.dns) {
    resolver = options.resolver;
    if (resolver == nullptr) {
      auto created = net::DnsResolver::create(options.dns_options);
      if (!created) {
        return created.error();
      }
      own_resolver = std::move(*created);
      resolver = own_resolver.get();
    }
  }

  enrich::SenderMap senders = enrich::SenderMap::builtin();
  for (const auto& [domain, entry] : options.names) {
    senders.set(domain, entry);
  }
  std::vector<std::unique_ptr<enrich::GeoReader>> readers;
  std::vector<const enrich::GeoReader*> geo;
  for (const auto& [key, path] : {std::pair{"asn_db", options.asn_db}, std::pair{"country_db", options.country_db}}) {
    if (path.empty()) {
      continue;
    }
    auto reader = enrich::GeoReader::open(path);
    if (!reader) {
      warn(std::string("[enrich] ") + key + ": " + reader.error().detail + "; its fields stay empty");
      continue;
    }
    geo.push_back(reader->get());
    readers.push_back(std::move(*reader));
  }

  // In slices, so memory stays bounded and each slice is stored as soon as it is done.
  constexpr std::size_t k_slice = 5000;
  for (std::size_t begin = 0; begin < ips->size(); begin += k_slice) {
    const std::vector<std::string> slice(ips->begin() + static_cast<std::ptrdiff_t>(begin),
                                         ips->begin() + static_cast<std::ptrdiff_t>(std::min(ips->size(), begin + k_slice)));
    auto existing = store::load_sources(db, slice);
    if (!existing) {
      return existing.error();
    }
    auto auth = store::authenticated_domains(db, slice);
    if (!auth) {
      return auth.error();
    }
    enrich::EnrichOptions eo;
    eo.now = options.now;
    eo.cache_days = options.cache_days;
    const auto rows = enrich::enrich_sources(slice, *existing, *auth, resolver, senders, geo, eo, stats);
    if (auto saved = store::save_sources(db, rows); !saved) {
      return saved.error();
    }
  }
  for (const std::string& line : stats.problems) {
    warn(line);
  }
  return stats;
}

} // namespace dmarc::pipeline
