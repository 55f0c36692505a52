// enrich_sources: see enricher.hpp.
#include "enrich/enricher.hpp"

#include "core/text.hpp"
#include "domain/alignment.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace dmarc::enrich {

namespace {

constexpr std::size_t k_max_problems = 20;
constexpr int64_t k_servfail_ttl = 3600; // a broken reverse zone is asked again within the hour
constexpr int64_t k_no_ttl_negative = 3600;

// The address bytes of `ip` (4 or 16), or empty.
std::string address_bytes(const std::string& ip)
{
  unsigned char b[16];
  if (inet_pton(AF_INET, ip.c_str(), b) == 1) {
    return std::string(reinterpret_cast<char*>(b), 4);
  }
  if (inet_pton(AF_INET6, ip.c_str(), b) == 1) {
    return std::string(reinterpret_cast<char*>(b), 16);
  }
  return {};
}

std::string printable(const std::string& bytes)
{
  std::string out;
  for (unsigned char c : bytes.substr(0, 80)) {
    if (c < 0x20 || c >= 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return bytes.size() > 80 ? out + "..." : out;
}

struct Work
{
  std::string ip;
  std::string address;          // bytes
  store::SourceRow row;
  int64_t ttl = -1;             // smallest TTL seen (−1: none)
  bool forward_pending = false;
};

void take_ttl(Work& w, int64_t ttl)
{
  w.ttl = w.ttl < 0 ? ttl : std::min(w.ttl, ttl);
}

void problem(EnrichStats& stats, const std::string& line)
{
  if (stats.problems.size() < k_max_problems) {
    stats.problems.push_back(line);
  }
}

} // namespace

std::string EnrichStats::to_line() const
{
  std::string line = "enrich: " + std::to_string(sources) + (sources == 1 ? " source" : " sources");
  if (looked_up > 0) {
    line += ", " + std::to_string(with_name) + " with reverse DNS (" + std::to_string(confirmed)
            + " forward-confirmed), " + std::to_string(negative) + " without, "
            + std::to_string(timeouts) + (timeouts == 1 ? " timeout" : " timeouts");
    if (servfail > 0) line += ", " + std::to_string(servfail) + " SERVFAIL";
    if (failed > 0) line += ", " + std::to_string(failed) + " failed";
    if (invalid > 0) line += ", " + std::to_string(invalid) + " unusable names";
  } else if (sources > 0) {
    line += " (no DNS)";
  }
  line += ", " + std::to_string(named) + " named";
  return line;
}

std::string reverse_name(const std::string& ip)
{
  const std::string b = address_bytes(ip);
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(b[i]); };
  if (b.size() == 4) {
    return std::to_string(byte(3)) + "." + std::to_string(byte(2)) + "." + std::to_string(byte(1))
           + "." + std::to_string(byte(0)) + ".in-addr.arpa";
  }
  if (b.size() == 16) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += hex[byte(i) & 0xF];
      out += '.';
      out += hex[byte(i) >> 4];
      out += '.';
    }
    return out + "ip6.arpa";
  }
  return {};
}

bool valid_host_name(const std::string& name, std::string& why)
{
  if (name.empty()) {
    why = "empty name";
    return false;
  }
  if (name.size() > 253) {
    why = "name of " + std::to_string(name.size()) + " bytes (at most 253)";
    return false;
  }
  std::size_t label = 0;
  for (unsigned char c : name) {
    if (c == '.') {
      if (label == 0) {
        why = "empty label";
        return false;
      }
      label = 0;
      continue;
    }
    if (!(std::isalnum(c) || c == '-' || c == '_')) {
      why = c < 0x20 || c == 0x7f ? "control characters in the name" : "characters no host name has";
      return false;
    }
    if (++label > 63) {
      why = "a label longer than 63 bytes";
      return false;
    }
  }
  return true;
}

std::vector<store::SourceRow> enrich_sources(
  const std::vector<std::string>& ips,
  const std::unordered_map<std::string, store::SourceRow>& existing,
  const std::unordered_map<std::string, store::AuthenticatedDomains>& auth,
  net::DnsResolver* resolver, const SenderMap& senders, const std::vector<const GeoReader*>& geo,
  const EnrichOptions& options, EnrichStats& stats)
{
  const int64_t cache_cap = static_cast<int64_t>(std::max(options.cache_days, 0)) * 86400;
  std::vector<Work> work(ips.size());
  for (std::size_t i = 0; i < ips.size(); ++i) {
    Work& w = work[i];
    w.ip = ips[i];
    w.address = address_bytes(w.ip);
    if (auto it = existing.find(w.ip); it != existing.end()) {
      w.row = it->second;
    }
    w.row.ip = w.ip;
  }
  stats.sources += static_cast<int64_t>(ips.size());

  if (resolver != nullptr) {
    for (std::size_t i = 0; i < work.size(); ++i) {
      Work& w = work[i];
      const std::string rev = reverse_name(w.ip);
      if (rev.empty()) {
        w.row.rdns_status = "error";
        w.row.dns_error = "not an IP address";
        w.row.looked_up = options.now;
        w.row.expires = options.now + cache_cap;
        problem(stats, w.ip + ": not an IP address");
        continue;
      }
      ++stats.looked_up;
      resolver->query(rev, net::DnsType::ptr, [&, i](const net::DnsAnswer& ptr) {
        Work& x = work[i];
        x.row.looked_up = options.now;
        const auto keep_and_retry = [&](const char* status, const std::string& why) {
          // Keep what an earlier run learned; ask again next run.
          x.row.rdns_status = status;
          x.row.dns_error = why;
          x.row.expires = options.now;
          problem(stats, x.ip + ": reverse DNS " + status + ": " + why);
        };
        switch (ptr.status) {
          case net::DnsStatus::ok: break;
          case net::DnsStatus::nxdomain:
          case net::DnsStatus::nodata:
            ++stats.negative;
            x.row.rdns_status = net::to_string(ptr.status);
            x.row.dns_error.reset();
            x.row.info.reverse_dns.reset();
            x.row.info.fcrdns.reset();
            take_ttl(x, ptr.ttl > 0 ? ptr.ttl : k_no_ttl_negative);
            return;
          case net::DnsStatus::servfail:
            ++stats.servfail;
            x.row.rdns_status = "servfail";
            x.row.dns_error = ptr.error;
            x.row.info.reverse_dns.reset();
            x.row.info.fcrdns.reset();
            take_ttl(x, k_servfail_ttl);
            problem(stats, x.ip + ": reverse DNS servfail: " + ptr.error);
            return;
          case net::DnsStatus::timeout:
            ++stats.timeouts;
            keep_and_retry("timeout", ptr.error);
            return;
          default:
            ++stats.failed;
            keep_and_retry(net::to_string(ptr.status), ptr.error);
            return;
        }
        std::string name;
        std::string why;
        for (const std::string& candidate : ptr.records) {
          std::string n = candidate;
          while (!n.empty() && n.back() == '.') n.pop_back();
          if (valid_host_name(n, why)) {
            name = text::to_lower(n);
            break;
          }
        }
        if (name.empty()) {
          ++stats.invalid;
          x.row.rdns_status = "invalid";
          x.row.dns_error = "PTR name \"" + printable(ptr.records.empty() ? "" : ptr.records.front())
                            + "\" is not a host name: " + why;
          x.row.info.reverse_dns.reset();
          x.row.info.fcrdns.reset();
          take_ttl(x, ptr.ttl);
          problem(stats, x.ip + ": " + *x.row.dns_error);
          return;
        }
        ++stats.with_name;
        x.row.rdns_status = "ok";
        x.row.dns_error.reset();
        x.row.info.reverse_dns = name;
        x.row.info.fcrdns.reset();
        take_ttl(x, ptr.ttl);
        const auto type = x.address.size() == 4 ? net::DnsType::a : net::DnsType::aaaa;
        resolver->query(name, type, [&, i](const net::DnsAnswer& fwd) {
          Work& y = work[i];
          if (fwd.status == net::DnsStatus::ok) {
            bool match = false;
            for (const std::string& a : fwd.records) {
              match = match || address_bytes(a) == y.address;
            }
            y.row.info.fcrdns = match;
            stats.confirmed += match ? 1 : 0;
            take_ttl(y, fwd.ttl);
          } else if (fwd.status == net::DnsStatus::nxdomain || fwd.status == net::DnsStatus::nodata) {
            y.row.info.fcrdns = false;
            take_ttl(y, fwd.ttl > 0 ? fwd.ttl : k_no_ttl_negative);
          } else {
            // Unknown: ask again next run.
            stats.timeouts += fwd.status == net::DnsStatus::timeout ? 1 : 0;
            stats.failed += fwd.status == net::DnsStatus::timeout ? 0 : 1;
            y.row.dns_error = std::string("forward lookup of ") + *y.row.info.reverse_dns + ": "
                              + net::to_string(fwd.status) + ": " + fwd.error;
            y.row.expires = options.now;
            y.ttl = 0;
            problem(stats, y.ip + ": " + *y.row.dns_error);
          }
        });
      });
    }
    resolver->run();
  }

  std::vector<store::SourceRow> rows;
  rows.reserve(work.size());
  for (Work& w : work) {
    store::SourceRow& row = w.row;
    if (resolver != nullptr && w.ttl >= 0 && !(row.expires && *row.expires == options.now && row.dns_error)) {
      row.expires = options.now + std::min(w.ttl, cache_cap);
    }
    // Naming: the PTR name, else the domain the source authenticated as.
    row.info.base_domain.reset();
    row.info.name.reset();
    row.info.type.reset();
    row.info.name_source.reset();
    std::string naming;
    if (row.info.reverse_dns) {
      naming = *row.info.reverse_dns;
      row.info.name_source = "ptr";
    } else if (auto it = auth.find(w.ip); it != auth.end()) {
      if (!it->second.dkim.empty()) {
        naming = it->second.dkim.front().first;
        row.info.name_source = "dkim";
      } else if (!it->second.spf.empty()) {
        naming = it->second.spf.front().first;
        row.info.name_source = "spf";
      }
    }
    if (!naming.empty()) {
      row.info.base_domain = domain::organizational_domain(naming);
      if (auto entry = senders.find(naming)) {
        row.info.name = entry->name;
        row.info.type = entry->type;
        ++stats.named;
      }
    }
    row.info.asn.reset();
    row.info.as_name.reset();
    row.info.as_domain.reset();
    row.info.country.reset();
    for (const GeoReader* g : geo) {
      g->lookup(w.ip, row.info);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

} // namespace dmarc::enrich
