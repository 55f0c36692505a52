// An asynchronous DNS stub resolver: many queries in flight on one single-threaded event
// loop (c-ares lives in src/net/dns_resolver.cpp only; this header exposes std types).
//
// Why asynchronous: enrichment asks PTR + A/AAAA for thousands of sources and `check` asks
// TXT/MX/A for many domains; one query at a time is what makes parsedmarc's reverse DNS slow.
// Why a hard deadline per query: c-ares backs its per-try timeout off exponentially, so a
// silent server could hold a query for timeout × 7; here every query ends within
// timeout_ms × (retries + 1) (per configured server) with DnsStatus::timeout, never a hang.
// Why our own answer parser: c-ares' ares_parse_*_reply reject names with unusual bytes and
// give no TTL for PTR/TXT/MX; callers get the bytes as served and validate them themselves.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dmarc::net {

enum class DnsType { a, aaaa, ptr, txt, mx, cname };
enum class DnsStatus { ok, nxdomain, nodata, servfail, refused, timeout, error };

// "A", "AAAA", "PTR", ... and "ok", "nxdomain", "nodata", "servfail", ...
const char* to_string(DnsType type);
const char* to_string(DnsStatus status);

struct DnsAnswer
{
  DnsStatus status = DnsStatus::error;
  std::vector<std::string> records; // A/AAAA: textual IPs; PTR/CNAME: names without trailing dot;
                                    // TXT: each record's character-strings concatenated, raw bytes;
                                    // MX: "<preference> <host>"
  std::uint32_t ttl = 0;            // smallest TTL of the answer (negative: SOA minimum if known)
  std::string error;                // human text when status != ok
};

struct DnsOptions
{
  std::vector<std::string> servers; // "IP" or "IP:port" ("[v6]:port"); empty = /etc/resolv.conf
  int timeout_ms = 2000;
  int retries = 2;
  int concurrency = 64;
};

// Counters of one resolver's life, for progress lines and tests.
struct DnsStats
{
  std::uint64_t queries = 0;        // queries answered (any status)
  std::uint64_t attempts = 0;       // queries sent to c-ares (queries + retries)
  std::uint64_t timeouts = 0;       // queries that ended in DnsStatus::timeout
};

class DnsResolver // asynchronous, many queries in flight, single-threaded event loop
{
public:
  // A c-ares resolver. Error (config): a server that is not "IP", "IP:port" or "[v6]:port",
  // or c-ares failing to start (e.g. no usable /etc/resolv.conf is not an error: c-ares
  // then asks 127.0.0.1).
  static Result<std::unique_ptr<DnsResolver>> create(const DnsOptions& options);

  using Callback = std::function<void(const DnsAnswer&)>;
  // Queues a query; `done` is called from run() exactly once. Callbacks may queue more.
  virtual void query(std::string name, DnsType type, Callback done) = 0;
  // Processes until every queued query (incl. ones queued by callbacks) has answered.
  virtual void run() = 0;
  virtual DnsStats stats() const { return {}; }
  virtual ~DnsResolver() = default;
};

// A server spec ("IP", "IP:port", "[v6]:port", "v6") split into address and port (53 when
// absent). Error (config) names the spec.
struct DnsServer
{
  std::string address;
  int port = 53;
};
Result<DnsServer> parse_dns_server(const std::string& spec);

// A resolver that answers from a table, for unit tests of code that asks DNS: run() calls
// the callbacks in query order (and those queued by callbacks after them). A question not in
// the table answers `missing` (NXDOMAIN by default). Every question asked is recorded.
class FakeDnsResolver final : public DnsResolver
{
public:
  void add(const std::string& name, DnsType type, DnsAnswer answer);
  void query(std::string name, DnsType type, Callback done) override;
  void run() override;
  DnsStats stats() const override { return m_stats; }

  DnsAnswer missing{DnsStatus::nxdomain, {}, 300, "NXDOMAIN"};
  std::vector<std::string> asked; // "PTR 4.3.2.1.in-addr.arpa", in order

private:
  std::map<std::pair<std::string, DnsType>, DnsAnswer> m_answers;
  std::vector<std::pair<std::pair<std::string, DnsType>, Callback>> m_queue;
  DnsStats m_stats;
};

} // namespace dmarc::net
