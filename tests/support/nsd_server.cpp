// NsdServer: see nsd_server.hpp.
#include "support/nsd_server.hpp"

#include "support/process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace dmarc::test {

namespace {

// Binds a socket of `type` on 127.0.0.1:`port` (0: any); the fd, or -1.
int bind_loopback(int type, int port)
{
  const int fd = socket(AF_INET, type, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int port_of(int fd)
{
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// A port free for both UDP and TCP on 127.0.0.1 right now.
int free_port()
{
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int udp = bind_loopback(SOCK_DGRAM, 0);
    if (udp < 0) continue;
    const int port = port_of(udp);
    const int tcp = bind_loopback(SOCK_STREAM, port);
    close(udp);
    if (tcp >= 0) {
      close(tcp);
      return port;
    }
  }
  throw std::runtime_error("NsdServer: no free port on 127.0.0.1");
}

// True when a DNS query for the SOA of `zone` on 127.0.0.1:port gets any answer within 200 ms.
bool answers(int port, const std::string& zone)
{
  std::string q("\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  std::size_t start = 0;
  while (start < zone.size()) {
    std::size_t dot = zone.find('.', start);
    if (dot == std::string::npos) dot = zone.size();
    q += static_cast<char>(dot - start);
    q += zone.substr(start, dot - start);
    start = dot + 1;
  }
  q += std::string("\x00\x00\x06\x00\x01", 5);
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  pollfd p{fd, POLLIN, 0};
  bool ok = false;
  if (poll(&p, 1, 200) == 1) {
    char buf[512];
    ok = recv(fd, buf, sizeof buf, 0) >= 12;
  }
  close(fd);
  return ok;
}

std::string with_soa(const std::string& zone, const std::string& text)
{
  if (text.find("SOA") != std::string::npos) {
    return text;
  }
  return "$ORIGIN " + zone + ".\n$TTL 300\n@ IN SOA ns." + zone + ". hostmaster." + zone
         + ". 1 3600 600 86400 300\n@ IN NS ns." + zone + ".\n" + text + "\n";
}

} // namespace

std::unique_ptr<NsdServer> NsdServer::start(const Zones& zones)
{
  return std::make_unique<NsdServer>(zones);
}

NsdServer::NsdServer(const Zones& zones)
{
  char tmpl[] = "/tmp/dmarc-nsd-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    throw std::runtime_error("NsdServer: mkdtemp failed");
  }
  m_dir = tmpl;
  std::filesystem::create_directories(m_dir + "/zones");
  m_port = free_port();
  const std::string p = std::to_string(m_port);
  // rrl-ratelimit 0: NSD's response rate limiting (200 answers/s per source by default)
  // would drop most of a benchmark's queries.
  std::string conf = "server:\n  ip-address: 127.0.0.1@" + p + "\n  port: " + p
                     + "\n  username: \"\"\n  zonesdir: \"" + m_dir + "/zones\"\n  database: \"\"\n"
                       "  pidfile: \"" + m_dir + "/nsd.pid\"\n  logfile: \"" + m_dir + "/nsd.log\"\n"
                       "  xfrdfile: \"" + m_dir + "/xfrd.state\"\n  zonelistfile: \"" + m_dir
                     + "/zone.list\"\n  server-count: 1\n  verbosity: 1\n"
                       "  rrl-ratelimit: 0\n  rrl-whitelist-ratelimit: 0\n"
                       "remote-control:\n  control-enable: no\n";
  int n = 0;
  for (const auto& [name, text] : zones) {
    const std::string file = "zone" + std::to_string(n++) + ".zone";
    write_file(m_dir + "/zones/" + file, with_soa(name, text));
    conf += "zone:\n  name: \"" + name + "\"\n  zonefile: \"" + file + "\"\n";
  }
  write_file(m_dir + "/nsd.conf", conf);
  const RunResult started = run({"/usr/sbin/nsd", "-c", m_dir + "/nsd.conf"});
  if (started.exit_code != 0) {
    const std::string why = "NsdServer: nsd failed to start (is the nsd package installed?): "
                            + started.err + log();
    std::filesystem::remove_all(m_dir);
    throw std::runtime_error(why);
  }
  const std::string probe = zones.empty() ? std::string(".") : zones.front().first;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!answers(m_port, probe)) {
    if (std::chrono::steady_clock::now() > deadline) {
      const std::string why = "NsdServer: nsd does not answer on " + address() + ": " + log();
      stop();
      throw std::runtime_error(why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  try {
    m_pid = std::stoi(read_file(m_dir + "/nsd.pid"));
  } catch (...) {
    m_pid = -1;
  }
}

NsdServer::~NsdServer()
{
  stop();
}

void NsdServer::stop()
{
  if (m_dir.empty()) {
    return;
  }
  int pid = m_pid;
  if (pid <= 0) {
    try {
      pid = std::stoi(read_file(m_dir + "/nsd.pid"));
    } catch (...) {
      pid = -1;
    }
  }
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 250 && ::kill(pid, 0) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (::kill(pid, 0) == 0) {
      ::kill(pid, SIGKILL);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(m_dir, ec);
  m_dir.clear();
}

std::string NsdServer::log() const
{
  try {
    return read_file(m_dir + "/nsd.log");
  } catch (...) {
    return "";
  }
}

std::string NsdServer::reverse_name(const std::string& ip)
{
  unsigned char b[16];
  if (inet_pton(AF_INET, ip.c_str(), b) == 1) {
    return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "."
           + std::to_string(b[0]) + ".in-addr.arpa.";
  }
  if (inet_pton(AF_INET6, ip.c_str(), b) == 1) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      out += hex[b[i] & 0xF];
      out += '.';
      out += hex[b[i] >> 4];
      out += '.';
    }
    return out + "ip6.arpa.";
  }
  throw std::runtime_error("NsdServer::reverse_name: not an IP address: " + ip);
}

SilentUdpServer::SilentUdpServer()
{
  m_fd = bind_loopback(SOCK_DGRAM, 0);
  if (m_fd < 0) {
    throw std::runtime_error("SilentUdpServer: cannot bind 127.0.0.1");
  }
  m_port = port_of(m_fd);
}

SilentUdpServer::~SilentUdpServer()
{
  if (m_fd >= 0) {
    close(m_fd);
  }
}

int SilentUdpServer::received()
{
  char buf[2048];
  while (recv(m_fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    ++m_received;
  }
  return m_received;
}

int closed_port()
{
  return free_port();
}

} // namespace dmarc::test
