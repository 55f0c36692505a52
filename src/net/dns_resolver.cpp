// The c-ares resolver behind DnsResolver (see dns_resolver.hpp for why it is built this way).
//
// c-ares sends, retransmits over UDP, falls back to TCP on truncation (so a 64 KiB TXT
// arrives whole) and hands us the raw response; we parse it (RFC 1035 §4.1) ourselves.
// Retries are ours too: c-ares runs with tries = 1 (each configured server once, timeout_ms
// each), and a query that timed out is sent again while its retries last. A deadline per
// query backs this up: when it passes, the caller gets DnsStatus::timeout and whatever
// c-ares still holds for that query is cancelled at the end of run().
#include "net/dns_resolver.hpp"

#include <ares.h>

#include <arpa/inet.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>

namespace dmarc::net {

const char* to_string(DnsType type)
{
  switch (type) {
    case DnsType::a: return "A";
    case DnsType::aaaa: return "AAAA";
    case DnsType::ptr: return "PTR";
    case DnsType::txt: return "TXT";
    case DnsType::mx: return "MX";
    case DnsType::cname: return "CNAME";
  }
  return "?";
}

const char* to_string(DnsStatus status)
{
  switch (status) {
    case DnsStatus::ok: return "ok";
    case DnsStatus::nxdomain: return "nxdomain";
    case DnsStatus::nodata: return "nodata";
    case DnsStatus::servfail: return "servfail";
    case DnsStatus::refused: return "refused";
    case DnsStatus::timeout: return "timeout";
    case DnsStatus::error: return "error";
  }
  return "?";
}

Result<DnsServer> parse_dns_server(const std::string& spec)
{
  const auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::config, "DNS server \"" + spec + "\": " + why
                                             + " (expected IP, IP:port or [IPv6]:port)");
  };
  DnsServer server;
  std::string port;
  if (!spec.empty() && spec.front() == '[') {
    const auto close = spec.find(']');
    if (close == std::string::npos) {
      return bad("no closing ']'");
    }
    server.address = spec.substr(1, close - 1);
    const std::string rest = spec.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return bad("unexpected text after ']'");
      }
      port = rest.substr(1);
      if (port.empty()) {
        return bad("empty port");
      }
    }
  } else if (std::count(spec.begin(), spec.end(), ':') == 1) {
    const auto colon = spec.find(':');
    server.address = spec.substr(0, colon);
    port = spec.substr(colon + 1);
    if (port.empty()) {
      return bad("empty port");
    }
  } else {
    server.address = spec;
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, server.address.c_str(), buf) != 1
      && inet_pton(AF_INET6, server.address.c_str(), buf) != 1) {
    return bad("not an IP address");
  }
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return bad("port is not a number");
    }
    server.port = std::stoi(port);
    if (server.port < 1 || server.port > 65535) {
      return bad("port out of range");
    }
  }
  return server;
}

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int k_type_a = 1;
constexpr int k_type_cname = 5;
constexpr int k_type_soa = 6;
constexpr int k_type_ptr = 12;
constexpr int k_type_mx = 15;
constexpr int k_type_txt = 16;
constexpr int k_type_aaaa = 28;

int wire_type(DnsType type)
{
  switch (type) {
    case DnsType::a: return k_type_a;
    case DnsType::aaaa: return k_type_aaaa;
    case DnsType::ptr: return k_type_ptr;
    case DnsType::txt: return k_type_txt;
    case DnsType::mx: return k_type_mx;
    case DnsType::cname: return k_type_cname;
  }
  return 0;
}

// A DNS message (RFC 1035 §4.1), read without trusting anything in it.
class Message
{
public:
  Message(const unsigned char* data, int length) : m_data(data), m_size(length > 0 ? static_cast<std::size_t>(length) : 0) {}

  bool u16(std::size_t& at, unsigned& out) const
  {
    if (at + 2 > m_size) return false;
    out = (unsigned{m_data[at]} << 8) | m_data[at + 1];
    at += 2;
    return true;
  }
  bool u32(std::size_t& at, std::uint32_t& out) const
  {
    if (at + 4 > m_size) return false;
    out = (std::uint32_t{m_data[at]} << 24) | (std::uint32_t{m_data[at + 1]} << 16)
          | (std::uint32_t{m_data[at + 2]} << 8) | m_data[at + 3];
    at += 4;
    return true;
  }
  // A (possibly compressed) name at `at`, labels joined with '.' as raw bytes; `at` moves
  // past the name as it appears at that place.
  bool name(std::size_t& at, std::string& out) const
  {
    out.clear();
    std::size_t pos = at;
    bool jumped = false;
    for (int steps = 0; steps < 256; ++steps) {
      if (pos >= m_size) return false;
      const unsigned len = m_data[pos];
      if ((len & 0xC0) == 0xC0) {
        if (pos + 1 >= m_size) return false;
        const std::size_t target = ((len & 0x3F) << 8) | m_data[pos + 1];
        if (!jumped) at = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if ((len & 0xC0) != 0) return false;
      if (len == 0) {
        if (!jumped) at = pos + 1;
        return true;
      }
      if (pos + 1 + len > m_size) return false;
      if (!out.empty()) out += '.';
      out.append(reinterpret_cast<const char*>(m_data + pos + 1), len);
      pos += 1 + len;
    }
    return false;
  }
  const unsigned char* data() const { return m_data; }
  std::size_t size() const { return m_size; }

private:
  const unsigned char* m_data;
  std::size_t m_size;
};

// Fills `answer.records` and `answer.ttl` from the response; false when it is malformed.
bool parse_answer(const unsigned char* abuf, int alen, DnsType type, bool negative, DnsAnswer& answer)
{
  Message msg(abuf, alen);
  std::size_t at = 4;
  unsigned qd = 0, an = 0, ns = 0, ar = 0;
  if (!msg.u16(at, qd) || !msg.u16(at, an) || !msg.u16(at, ns) || !msg.u16(at, ar)) {
    return false;
  }
  std::string name;
  for (unsigned i = 0; i < qd; ++i) {
    unsigned qtype = 0, qclass = 0;
    if (!msg.name(at, name) || !msg.u16(at, qtype) || !msg.u16(at, qclass)) return false;
  }
  const int want = wire_type(type);
  bool have_ttl = false;
  std::uint32_t min_ttl = 0;
  const auto take_ttl = [&](std::uint32_t ttl) {
    min_ttl = have_ttl ? std::min(min_ttl, ttl) : ttl;
    have_ttl = true;
  };
  for (unsigned i = 0; i < an + ns; ++i) {
    unsigned rtype = 0, rclass = 0, rdlen = 0;
    std::uint32_t ttl = 0;
    if (!msg.name(at, name) || !msg.u16(at, rtype) || !msg.u16(at, rclass) || !msg.u32(at, ttl)
        || !msg.u16(at, rdlen) || at + rdlen > msg.size()) {
      return false;
    }
    const std::size_t rdata = at;
    const std::size_t end = at + rdlen;
    at = end;
    const bool in_answer = i < an;
    if (in_answer && !negative && static_cast<int>(rtype) == want) {
      std::string text;
      std::size_t p = rdata;
      switch (rtype) {
        case k_type_a:
        case k_type_aaaa: {
          char buf[INET6_ADDRSTRLEN] = {};
          const bool v4 = rtype == k_type_a;
          if (rdlen != (v4 ? 4u : 16u)
              || !inet_ntop(v4 ? AF_INET : AF_INET6, msg.data() + rdata, buf, sizeof buf)) {
            return false;
          }
          text = buf;
          break;
        }
        case k_type_ptr:
        case k_type_cname:
          if (!msg.name(p, text)) return false;
          break;
        case k_type_mx: {
          unsigned pref = 0;
          std::string host;
          if (!msg.u16(p, pref) || !msg.name(p, host)) return false;
          text = std::to_string(pref) + " " + host;
          break;
        }
        case k_type_txt:
          while (p < end) {
            const std::size_t len = msg.data()[p];
            if (p + 1 + len > end) return false;
            text.append(reinterpret_cast<const char*>(msg.data() + p + 1), len);
            p += 1 + len;
          }
          break;
        default:
          break;
      }
      answer.records.push_back(std::move(text));
      take_ttl(ttl);
    } else if (in_answer && !negative && rtype == k_type_cname) {
      take_ttl(ttl); // the chain's TTL bounds the answer's
    } else if (!in_answer && negative && rtype == k_type_soa) {
      // RFC 2308 §5: a negative answer lives min(SOA TTL, SOA MINIMUM).
      std::size_t p = rdata;
      std::string mname, rname;
      std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
      if (msg.name(p, mname) && msg.name(p, rname) && msg.u32(p, serial) && msg.u32(p, refresh)
          && msg.u32(p, retry) && msg.u32(p, expire) && msg.u32(p, minimum)) {
        take_ttl(std::min(ttl, minimum));
      }
    }
  }
  answer.ttl = have_ttl ? min_ttl : 0;
  return true;
}

class AresLibrary
{
public:
  static bool init()
  {
    static const int status = ares_library_init(ARES_LIB_INIT_ALL);
    return status == ARES_SUCCESS;
  }
};

class CaresResolver final : public DnsResolver
{
public:
  struct Query
  {
    CaresResolver* self = nullptr;
    std::string name;
    DnsType type = DnsType::a;
    Callback done;
    int retries_left = 0;
    SteadyClock::time_point deadline;
    bool finished = false; // the caller has its answer; c-ares may still hold the query
  };

  explicit CaresResolver(const DnsOptions& options) : m_options(options) {}

  ~CaresResolver() override
  {
    // Callbacks of what c-ares still holds arrive with ARES_EDESTRUCTION and free it.
    m_destroying = true;
    if (m_channel != nullptr) {
      ares_destroy(m_channel);
    }
  }

  // Starts the channel with `servers` (none: /etc/resolv.conf).
  Result<void> init(const std::vector<DnsServer>& servers)
  {
    ares_options opts{};
    const int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS;
    opts.timeout = std::max(m_options.timeout_ms, 1);
    opts.tries = 1;
    // NOCHECKRESP: without it c-ares turns a SERVFAIL or REFUSED answer into "connection
    // refused" after trying the other servers; with it the caller sees the real rcode.
    opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_NOCHECKRESP;
    opts.sock_state_cb = &CaresResolver::on_socket_state;
    opts.sock_state_cb_data = this;
    int status = ares_init_options(&m_channel, &opts, mask);
    if (status != ARES_SUCCESS) {
      m_channel = nullptr;
      return make_error(ErrorKind::network, std::string("DNS: c-ares failed to start: ") + ares_strerror(status));
    }
    int count = 0;
    if (!servers.empty()) {
      std::vector<ares_addr_port_node> nodes(servers.size());
      for (std::size_t i = 0; i < servers.size(); ++i) {
        ares_addr_port_node& n = nodes[i];
        std::memset(&n, 0, sizeof n);
        n.next = i + 1 < servers.size() ? &nodes[i + 1] : nullptr;
        if (inet_pton(AF_INET, servers[i].address.c_str(), &n.addr.addr4) == 1) {
          n.family = AF_INET;
        } else {
          n.family = AF_INET6;
          inet_pton(AF_INET6, servers[i].address.c_str(), &n.addr.addr6);
        }
        n.udp_port = servers[i].port;
        n.tcp_port = servers[i].port;
      }
      status = ares_set_servers_ports(m_channel, nodes.data());
      if (status != ARES_SUCCESS) {
        return make_error(ErrorKind::network, std::string("DNS: cannot use the servers: ") + ares_strerror(status));
      }
      count = static_cast<int>(servers.size());
    } else {
      ares_addr_port_node* list = nullptr;
      if (ares_get_servers_ports(m_channel, &list) == ARES_SUCCESS) {
        for (auto* n = list; n != nullptr; n = n->next) {
          ++count;
        }
        ares_free_data(list);
      }
    }
    m_servers = std::max(count, 1);
    return {};
  }

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable)
  {
    auto* self = static_cast<CaresResolver*>(data);
    if (!readable && !writable) {
      self->m_sockets.erase(fd);
    } else {
      self->m_sockets[fd] = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
    }
  }

  void query(std::string name, DnsType type, Callback done) override
  {
    m_pending.push_back({std::move(name), type, std::move(done)});
  }

  void run() override
  {
    const int concurrency = std::max(m_options.concurrency, 1);
    std::vector<pollfd> fds;
    while (!m_pending.empty() || !m_live.empty()) {
      while (static_cast<int>(m_live.size()) < concurrency && !m_pending.empty()) {
        Pending p = std::move(m_pending.front());
        m_pending.pop_front();
        start(std::move(p));
      }
      if (m_live.empty()) {
        continue; // everything started has answered already (e.g. a bad name)
      }
      fds.clear();
      for (const auto& [fd, events] : m_sockets) {
        fds.push_back({fd, events, 0});
      }
      timeval tv{};
      timeval* next = ares_timeout(m_channel, nullptr, &tv);
      long wait_ms = next ? tv.tv_sec * 1000L + (tv.tv_usec + 999) / 1000 : 1000L;
      const auto now = SteadyClock::now();
      for (const Query* q : m_live) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(q->deadline - now).count();
        wait_ms = std::min<long>(wait_ms, std::max<long>(left, 0));
      }
      const int ready = poll(fds.data(), fds.size(), static_cast<int>(std::clamp<long>(wait_ms, 0, 60000)));
      if (ready > 0) {
        for (const pollfd& p : fds) {
          if (p.revents == 0) continue;
          const bool r = (p.revents & (POLLIN | POLLERR | POLLHUP)) != 0;
          const bool w = (p.revents & (POLLOUT | POLLERR | POLLHUP)) != 0;
          ares_process_fd(m_channel, r ? p.fd : ARES_SOCKET_BAD, w ? p.fd : ARES_SOCKET_BAD);
        }
      }
      ares_process_fd(m_channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); // timeouts
      expire_deadlines();
    }
    if (m_abandoned > 0) {
      ares_cancel(m_channel); // only abandoned queries are left: their callbacks free them
    }
  }

  DnsStats stats() const override { return m_stats; }

private:
  struct Pending
  {
    std::string name;
    DnsType type;
    Callback done;
  };

  void start(Pending p)
  {
    auto* q = new Query;
    q->self = this;
    q->name = std::move(p.name);
    q->type = p.type;
    q->done = std::move(p.done);
    q->retries_left = std::max(m_options.retries, 0);
    const long budget = static_cast<long>(std::max(m_options.timeout_ms, 1)) * (q->retries_left + 1) * m_servers;
    q->deadline = SteadyClock::now() + std::chrono::milliseconds(budget);
    m_live.push_back(q);
    send(q);
  }

  void send(Query* q)
  {
    ++m_stats.attempts;
    ares_query(m_channel, q->name.c_str(), 1 /* IN */, wire_type(q->type), &CaresResolver::on_answer, q);
  }

  static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen)
  {
    auto* q = static_cast<Query*>(arg);
    CaresResolver* self = q->self;
    if (q->finished || self->m_destroying) {
      self->m_abandoned -= q->finished ? 1 : 0;
      delete q;
      return;
    }
    if (status == ARES_ETIMEOUT && q->retries_left > 0 && SteadyClock::now() < q->deadline) {
      --q->retries_left;
      self->send(q);
      return;
    }
    DnsAnswer answer;
    switch (status) {
      case ARES_SUCCESS: answer.status = DnsStatus::ok; break;
      case ARES_ENODATA: answer.status = DnsStatus::nodata; break;
      case ARES_ENOTFOUND: answer.status = DnsStatus::nxdomain; break;
      case ARES_ESERVFAIL: answer.status = DnsStatus::servfail; break;
      case ARES_EREFUSED:
      case ARES_ECONNREFUSED: answer.status = DnsStatus::refused; break;
      case ARES_ETIMEOUT: answer.status = DnsStatus::timeout; break;
      default: answer.status = DnsStatus::error; break;
    }
    if (abuf != nullptr && alen > 0
        && (answer.status == DnsStatus::ok || answer.status == DnsStatus::nodata || answer.status == DnsStatus::nxdomain)) {
      if (!parse_answer(abuf, alen, q->type, answer.status != DnsStatus::ok, answer)) {
        answer = DnsAnswer{};
        answer.status = DnsStatus::error;
        answer.error = "malformed DNS response";
      } else if (answer.status == DnsStatus::ok && answer.records.empty()) {
        answer.status = DnsStatus::nodata; // e.g. only a CNAME to a name without this type
      }
    }
    if (answer.status != DnsStatus::ok && answer.error.empty()) {
      answer.error = ares_strerror(status);
    }
    self->finish(q, answer);
    delete q;
  }

  void finish(Query* q, const DnsAnswer& answer)
  {
    q->finished = true;
    m_live.erase(std::find(m_live.begin(), m_live.end(), q));
    ++m_stats.queries;
    if (answer.status == DnsStatus::timeout) {
      ++m_stats.timeouts;
    }
    Callback done = std::move(q->done);
    if (done) {
      done(answer);
    }
  }

  void expire_deadlines()
  {
    const auto now = SteadyClock::now();
    for (std::size_t i = 0; i < m_live.size();) {
      Query* q = m_live[i];
      if (q->deadline <= now) {
        DnsAnswer answer;
        answer.status = DnsStatus::timeout;
        answer.error = "no answer within " + std::to_string(m_options.timeout_ms) + " ms × "
                       + std::to_string(m_options.retries + 1) + " tries";
        ++m_abandoned;
        finish(q, answer); // removes q from m_live; c-ares frees it later
      } else {
        ++i;
      }
    }
  }

  DnsOptions m_options;
  ares_channel m_channel = nullptr;
  int m_servers = 1;
  std::deque<Pending> m_pending;
  std::vector<Query*> m_live;
  std::map<ares_socket_t, short> m_sockets;
  int m_abandoned = 0;
  bool m_destroying = false;
  DnsStats m_stats;
};

} // namespace

Result<std::unique_ptr<DnsResolver>> DnsResolver::create(const DnsOptions& options)
{
  std::vector<DnsServer> servers;
  for (const std::string& spec : options.servers) {
    auto server = parse_dns_server(spec);
    if (!server) {
      return server.error();
    }
    servers.push_back(std::move(*server));
  }
  if (!AresLibrary::init()) {
    return make_error(ErrorKind::network, "DNS: c-ares failed to initialise");
  }
  auto resolver = std::make_unique<CaresResolver>(options);
  if (auto started = resolver->init(servers); !started) {
    return started.error();
  }
  return std::unique_ptr<DnsResolver>(std::move(resolver));
}

} // namespace dmarc::net
