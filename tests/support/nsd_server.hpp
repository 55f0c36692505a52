// A throw-away authoritative DNS server (Debian's nsd) on 127.0.0.1 for tests: its own temp
// directory, config and zone files, a free port; started by start(), which returns once it
// answers, stopped by the destructor. See /work/shared/notes/dns-and-https-on-loopback.md.
// When NSD is not installed or does not start (e.g. a zone file it refuses to load at all),
// start() throws std::runtime_error with NSD's log: tests fail with it, never pass silently.
//
//   auto nsd = NsdServer::start({{"in-addr.arpa", "4.3.2.1 PTR mail.example.test.\n"},
//                                {"example.test", "mail A 1.2.3.4\n"}});
//   options.servers = {nsd->address()};
//
// A zone text without an SOA record gets "$ORIGIN <zone>.", "$TTL 300", an SOA (negative TTL
// 300) and an NS record prepended, so a test writes only the records it is about.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dmarc::test {

class NsdServer
{
public:
  using Zones = std::vector<std::pair<std::string, std::string>>; // {zone name, zone text}

  static std::unique_ptr<NsdServer> start(const Zones& zones);
  explicit NsdServer(const Zones& zones);
  ~NsdServer();
  NsdServer(const NsdServer&) = delete;
  NsdServer& operator=(const NsdServer&) = delete;

  int port() const { return m_port; }
  std::string address() const { return "127.0.0.1:" + std::to_string(m_port); }
  const std::string& dir() const { return m_dir; }
  std::string log() const;

  // The reverse-zone owner name of an IPv4 or IPv6 address, with a trailing dot:
  // "1.2.3.4" → "4.3.2.1.in-addr.arpa.", "2001:db8::1" → "1.0.0.0....8.b.d.0.1.0.0.2.ip6.arpa.".
  static std::string reverse_name(const std::string& ip);

private:
  void stop();

  std::string m_dir;
  int m_port = 0;
  int m_pid = -1;
};

// A UDP socket on 127.0.0.1 that never answers (a DNS server that times out); closed by the
// destructor. address() is "127.0.0.1:PORT".
class SilentUdpServer
{
public:
  SilentUdpServer();
  ~SilentUdpServer();
  SilentUdpServer(const SilentUdpServer&) = delete;
  SilentUdpServer& operator=(const SilentUdpServer&) = delete;
  int port() const { return m_port; }
  std::string address() const { return "127.0.0.1:" + std::to_string(m_port); }
  // How many datagrams arrived so far (reads them without answering).
  int received();

private:
  int m_fd = -1;
  int m_port = 0;
  int m_received = 0;
};

// A 127.0.0.1 port nothing listens on, UDP nor TCP (ICMP unreachable: "refused").
int closed_port();

} // namespace dmarc::test
