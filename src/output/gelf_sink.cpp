// The sink factory, GELF UDP chunking and the fake sink (see gelf_sink.hpp for the why).
#include "output/gelf_sink.hpp"

#include "core/text.hpp"
#include "net/http_client.hpp"
#include "output/gelf_transports.hpp"

#include <cstring>

namespace dmarc::output {

namespace {

constexpr const char* k_default_port = "12201";

// host[:port] or [v6][:port] → endpoint; nullopt when malformed.
std::optional<detail::Endpoint> parse_authority(std::string_view authority)
{
  detail::Endpoint e;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    e.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return std::nullopt;
      }
      port = rest.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':') != colon) {
        return std::nullopt; // a bare IPv6 address needs brackets
      }
      port = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
    }
    e.host = std::string(authority);
  }
  if (e.host.empty()) {
    return std::nullopt;
  }
  if (port.empty()) {
    e.port = k_default_port;
  } else {
    const auto n = text::parse_u64(port);
    if (!n || *n == 0 || *n > 65535 || port.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    e.port = std::to_string(*n);
  }
  return e;
}

} // namespace

std::optional<GelfCompression> parse_gelf_compression(std::string_view text)
{
  if (text == "zlib") return GelfCompression::zlib;
  if (text == "gzip") return GelfCompression::gzip;
  if (text == "none") return GelfCompression::none;
  return std::nullopt;
}

Result<std::unique_ptr<GelfSink>> open_gelf_sink(const GelfSinkSettings& settings)
{
  const std::string name = net::redact_url(settings.url);
  const std::string_view url = settings.url;
  auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::config, "[gelf] url " + name + ": " + why);
  };
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) {
    return detail::make_http_sink(settings, name);
  }
  const bool udp = url.rfind("udp://", 0) == 0;
  const bool tcp = url.rfind("tcp://", 0) == 0;
  if (!udp && !tcp) {
    return bad("expected udp://host:port, tcp://host:port or http(s)://host:port/gelf");
  }
  std::string_view authority = url.substr(6);
  if (const std::size_t slash = authority.find('/'); slash != std::string_view::npos) {
    if (authority.substr(slash) != "/") {
      return bad("a udp:// or tcp:// address has no path");
    }
    authority = authority.substr(0, slash);
  }
  if (authority.find('@') != std::string_view::npos) {
    return bad("a udp:// or tcp:// address has no user or password");
  }
  auto endpoint = parse_authority(authority);
  if (!endpoint) {
    return bad("expected host:port (IPv6 as [address]:port)");
  }
  if (udp) {
    return detail::make_udp_sink(std::move(*endpoint), name, settings.compress, settings.timeout);
  }
  return detail::make_tcp_sink(std::move(*endpoint), name, settings.timeout);
}

Result<std::vector<std::string>> gelf_datagrams(std::string_view payload, uint64_t message_id)
{
  std::vector<std::string> out;
  if (payload.size() <= k_gelf_max_datagram) {
    out.emplace_back(payload);
    return out;
  }
  constexpr std::size_t k_chunk = k_gelf_max_datagram - k_gelf_chunk_header;
  const std::size_t count = (payload.size() + k_chunk - 1) / k_chunk;
  if (count > k_gelf_max_chunks) {
    return make_error(ErrorKind::too_large,
                      "message of " + std::to_string(payload.size()) + " bytes would need "
                        + std::to_string(count) + " UDP chunks, more than GELF's "
                        + std::to_string(k_gelf_max_chunks));
  }
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::string d(k_gelf_chunk_header, '\0');
    d[0] = '\x1e';
    d[1] = '\x0f';
    for (int b = 0; b < 8; ++b) {
      d[2 + b] = static_cast<char>((message_id >> (56 - 8 * b)) & 0xff);
    }
    d[10] = static_cast<char>(i);
    d[11] = static_cast<char>(count);
    d.append(payload.substr(i * k_chunk, k_chunk));
    out.push_back(std::move(d));
  }
  return out;
}

Result<void> FakeGelfSink::send(std::string_view message)
{
  const std::size_t call = sends++;
  if (fail_send_at && call >= *fail_send_at
      && call < *fail_send_at + static_cast<std::size_t>(fail_sends)) {
    if (m_acknowledge == Acknowledge::on_flush) {
      if (!lose_on_failure) {
        received.insert(received.end(), m_unconfirmed.begin(), m_unconfirmed.end());
      }
      m_unconfirmed.clear();
    }
    return make_error(ErrorKind::network, m_name + ": injected failure");
  }
  if (message.size() > max_message_bytes) {
    return make_error(ErrorKind::too_large, "message of " + std::to_string(message.size())
                                              + " bytes is too large for " + m_name);
  }
  if (m_acknowledge == Acknowledge::per_message) {
    received.emplace_back(message);
    ++m_delivered_since_flush;
  } else {
    m_unconfirmed.emplace_back(message);
  }
  return {};
}

Result<void> FakeGelfSink::flush()
{
  const std::size_t call = m_flush_calls++;
  if (fail_flush_at && call == *fail_flush_at) {
    if (!lose_on_failure) {
      received.insert(received.end(), m_unconfirmed.begin(), m_unconfirmed.end());
    }
    m_unconfirmed.clear();
    return make_error(ErrorKind::network, m_name + ": injected flush failure");
  }
  received.insert(received.end(), m_unconfirmed.begin(), m_unconfirmed.end());
  m_unconfirmed.clear();
  m_delivered_since_flush = 0;
  ++flushes;
  return {};
}

} // namespace dmarc::output
