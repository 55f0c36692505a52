// ⑤b enrichment: who each source IP is. Reverse DNS (PTR) with forward confirmation
// (FCrDNS: an A/AAAA of the PTR name holds the IP), the PTR name's base domain (PSL), the
// sender map's organisation and type, and ASN / AS name / country from MaxMind-format
// databases. A source without reverse DNS is named after the DKIM d= (else SPF domain) it
// authenticated as, and name_source says which.
//
// Why cached with expiry: the nightly run sees mostly known sources; an answer is kept for
// its TTL (negative answers: the SOA minimum, RFC 2308), at most cache_days. NXDOMAIN and
// SERVFAIL are cached like answers; a timeout, refusal or error is asked again next run and
// keeps what an earlier run learned. Pure given the resolver and the readers.
#pragma once

#include "enrich/geo.hpp"
#include "enrich/sender_map.hpp"
#include "net/dns_resolver.hpp"
#include "store/sources.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace dmarc::enrich {

struct EnrichOptions
{
  int64_t now = 0;               // Unix seconds (the injected clock)
  int cache_days = 7;            // an answer is kept at most this long
};

struct EnrichStats
{
  int64_t sources = 0;           // IPs enriched
  int64_t looked_up = 0;         // IPs whose PTR was asked
  int64_t with_name = 0;         // got a valid PTR name
  int64_t confirmed = 0;         // forward-confirmed
  int64_t negative = 0;          // NXDOMAIN / no PTR
  int64_t servfail = 0;
  int64_t timeouts = 0;          // PTR or forward lookup timed out (asked again next run)
  int64_t failed = 0;            // refused / error
  int64_t invalid = 0;           // a PTR name that is no host name
  int64_t named = 0;             // the sender map knows the organisation
  std::vector<std::string> problems; // one line per IP whose lookup did not give a name, capped

  // "enrich: 120 sources, 118 with reverse DNS (110 confirmed), 2 NXDOMAIN, 0 timeouts, ..."
  std::string to_line() const;
};

// "1.2.3.4" → "4.3.2.1.in-addr.arpa", IPv6 → nibbles ".ip6.arpa"; "" when not an address.
std::string reverse_name(const std::string& ip);

// True when `name` is a usable host name: at most 253 bytes, labels of 1..63 letters,
// digits, '-' or '_'. Otherwise `why` says what is wrong.
bool valid_host_name(const std::string& name, std::string& why);

// Enriches `ips`. `existing` holds their stored rows (kept where a lookup fails), `auth`
// their authenticated domains (the fallback name), `resolver` null for no DNS (--offline),
// `geo` the open databases (may be empty). Returns one row per IP.
std::vector<store::SourceRow> enrich_sources(
  const std::vector<std::string>& ips,
  const std::unordered_map<std::string, store::SourceRow>& existing,
  const std::unordered_map<std::string, store::AuthenticatedDomains>& auth,
  net::DnsResolver* resolver, const SenderMap& senders, const std::vector<const GeoReader*>& geo,
  const EnrichOptions& options, EnrichStats& stats);

} // namespace dmarc::enrich
