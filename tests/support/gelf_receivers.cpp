#include "support/gelf_receivers.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

namespace dmarc::test {

namespace {

constexpr int k_poll_ms = 20;

int bound_socket(int type, int port)
{
  const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int error = errno;
    close(fd);
    throw std::runtime_error("bind 127.0.0.1:" + std::to_string(port) + ": "
                             + std::strerror(error));
  }
  return fd;
}

int port_of(int fd)
{
  sockaddr_in addr{};
  socklen_t size = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  return ntohs(addr.sin_port);
}

// Inflates a complete zlib (windowBits 15) or gzip (16 + 15) stream; false on any error,
// including bytes after the end of the stream.
bool inflate_all(const std::string& in, int window_bits, std::string& out)
{
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) {
    return false;
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof buffer;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) {
      break;
    }
  }
  const bool ok = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  return ok;
}

} // namespace

int free_port()
{
  const int fd = bound_socket(SOCK_STREAM, 0);
  const int port = port_of(fd);
  close(fd);
  return port;
}

GelfReceiver::~GelfReceiver() { stop(); }

void GelfReceiver::start(std::function<void()> serve)
{
  m_port = port_of(m_fd);
  m_thread = std::thread(std::move(serve));
}

void GelfReceiver::stop()
{
  m_stop = true;
  if (m_thread.joinable()) {
    m_thread.join();
  }
  if (m_fd >= 0) {
    close(m_fd);
    m_fd = -1;
  }
}

std::vector<std::string> GelfReceiver::messages() const
{
  std::lock_guard lock(m_mutex);
  return m_messages;
}

std::size_t GelfReceiver::count() const
{
  return m_count.load();
}

std::vector<std::string> GelfReceiver::errors() const
{
  std::lock_guard lock(m_mutex);
  return m_errors;
}

std::size_t GelfReceiver::wait_for(std::size_t n, int timeout_ms) const
{
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const std::size_t have = count();
    if (have >= n || std::chrono::steady_clock::now() >= deadline) {
      return have;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

void GelfReceiver::add_message(std::string message)
{
  if (m_keep) {
    std::lock_guard lock(m_mutex);
    m_messages.push_back(std::move(message));
  }
  ++m_count;
}

void GelfReceiver::add_error(std::string error)
{
  std::lock_guard lock(m_mutex);
  m_errors.push_back(std::move(error));
}

// ---- UDP ----------------------------------------------------------------------------------

GelfUdpReceiver::GelfUdpReceiver(int port, bool decode) : m_decode(decode)
{
  m_fd = bound_socket(SOCK_DGRAM, port);
  const int size = 16 << 20;
  if (setsockopt(m_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  start([this] { serve(); });
}

GelfUdpReceiver::~GelfUdpReceiver() { stop(); }

void GelfUdpReceiver::serve()
{
  std::string buffer(65536, '\0');
  while (!stopping()) {
    pollfd p{m_fd, POLLIN, 0};
    if (poll(&p, 1, k_poll_ms) <= 0) {
      continue;
    }
    const ssize_t n = recv(m_fd, buffer.data(), buffer.size(), 0);
    if (n < 0) {
      continue;
    }
    ++m_datagrams;
    const auto size = static_cast<std::size_t>(n);
    if (!m_decode) {
      add_message(std::string());
      continue;
    }
    if (size > 8192) {
      add_error("datagram of " + std::to_string(size) + " bytes (more than 8192)");
    }
    if (size >= 2 && buffer[0] == '\x1e' && buffer[1] == '\x0f') {
      if (size < 12) {
        add_error("chunk shorter than its 12-byte header");
        continue;
      }
      uint64_t id = 0;
      for (int i = 0; i < 8; ++i) {
        id = (id << 8) | static_cast<unsigned char>(buffer[2 + i]);
      }
      const auto seq = static_cast<unsigned char>(buffer[10]);
      const auto total = static_cast<unsigned char>(buffer[11]);
      if (total == 0 || total > 128 || seq >= total) {
        add_error("bad chunk header: sequence " + std::to_string(seq) + " of "
                  + std::to_string(total));
        continue;
      }
      auto& parts = m_partial[id];
      auto& got = m_partial_count[id];
      if (parts.empty()) {
        parts.assign(total, std::string());
      } else if (parts.size() != total) {
        add_error("chunk count changed within message");
        continue;
      }
      if (!parts[seq].empty()) {
        add_error("duplicate chunk");
        continue;
      }
      parts[seq] = buffer.substr(12, size - 12);
      if (parts[seq].empty()) {
        add_error("empty chunk");
        continue;
      }
      if (++got == total) {
        std::string whole;
        for (const std::string& part : parts) {
          whole += part;
        }
        m_partial.erase(id);
        m_partial_count.erase(id);
        ++m_chunked;
        if (total > m_max_chunks) {
          m_max_chunks = total;
        }
        payload(whole);
      }
      continue;
    }
    payload(buffer.substr(0, size));
  }
}

void GelfUdpReceiver::payload(const std::string& bytes)
{
  if (bytes.empty()) {
    add_error("empty payload");
    return;
  }
  const auto first = static_cast<unsigned char>(bytes[0]);
  std::string json;
  if (first == 0x78) {
    if (!inflate_all(bytes, 15, json)) {
      add_error("corrupt zlib payload");
      return;
    }
    ++m_zlib;
  } else if (first == 0x1f && bytes.size() > 1 && static_cast<unsigned char>(bytes[1]) == 0x8b) {
    if (!inflate_all(bytes, 16 + 15, json)) {
      add_error("corrupt gzip payload");
      return;
    }
    ++m_gzip;
  } else if (first == '{') {
    json = bytes;
  } else {
    add_error("payload is neither zlib, gzip nor JSON");
    return;
  }
  add_message(std::move(json));
}

// ---- TCP ----------------------------------------------------------------------------------

GelfTcpReceiver::GelfTcpReceiver(TcpReceiverOptions options) : m_options(options)
{
  m_fd = bound_socket(SOCK_STREAM, options.port);
  if (options.receive_buffer > 0) {
    setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer,
               sizeof options.receive_buffer);
  }
  listen(m_fd, 16);
  start([this] { serve(); });
}

GelfTcpReceiver::~GelfTcpReceiver() { stop(); }

void GelfTcpReceiver::serve()
{
  struct Connection
  {
    int fd;
    std::string buffer;
    std::size_t frames = 0;
    bool first = false;
    bool paused = false;
    std::chrono::steady_clock::time_point close_at;
  };
  std::vector<Connection> conns;
  bool closed_one = false;
  auto finish = [&](Connection& c) {
    if (!c.buffer.empty()) {
      ++m_partial_frames;
    }
    close(c.fd);
    c.fd = -1;
  };
  while (!stopping()) {
    std::vector<pollfd> fds{{m_fd, POLLIN, 0}};
    for (const Connection& c : conns) {
      fds.push_back({c.fd, static_cast<short>(c.paused ? 0 : POLLIN), 0});
    }
    poll(fds.data(), fds.size(), k_poll_ms);
    const std::size_t polled = conns.size(); // a connection accepted now is polled next round
    if ((fds[0].revents & POLLIN) != 0) {
      const int fd = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        const bool first = m_connections++ == 0;
        conns.push_back(Connection{fd, {}, 0, first, false, {}});
      }
    }
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < polled; ++i) {
      Connection& c = conns[i];
      if (c.paused) {
        if (now >= c.close_at) {
          c.buffer.clear(); // read but not processed: lost with the receiver
          finish(c);
        }
        continue;
      }
      if ((fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      char chunk[65536];
      const ssize_t n = recv(c.fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        finish(c);
        continue;
      }
      c.buffer.append(chunk, static_cast<std::size_t>(n));
      std::size_t start = 0;
      for (;;) {
        const std::size_t nul = c.buffer.find('\0', start);
        if (nul == std::string::npos) {
          break;
        }
        if (nul == start) {
          add_error("empty frame");
        } else {
          add_message(c.buffer.substr(start, nul - start));
        }
        start = nul + 1;
        ++c.frames;
        if (c.first && !closed_one && m_options.close_after > 0
            && c.frames == m_options.close_after) {
          closed_one = true;
          c.paused = true;
          c.close_at = now + std::chrono::milliseconds(m_options.pause_ms);
          break;
        }
      }
      c.buffer.erase(0, start);
    }
    std::erase_if(conns, [](const Connection& c) { return c.fd < 0; });
  }
  for (Connection& c : conns) {
    finish(c);
  }
}

// ---- HTTP ---------------------------------------------------------------------------------

GelfHttpReceiver::GelfHttpReceiver(std::function<int(std::size_t)> status, int port)
  : m_status(std::move(status))
{
  m_fd = bound_socket(SOCK_STREAM, port);
  listen(m_fd, 16);
  start([this] { serve(); });
}

GelfHttpReceiver::~GelfHttpReceiver() { stop(); }

std::vector<HttpRequest> GelfHttpReceiver::request_log() const
{
  std::lock_guard lock(m_log_mutex);
  return m_log;
}

void GelfHttpReceiver::serve()
{
  struct Connection
  {
    int fd;
    std::string buffer;
  };
  std::vector<Connection> conns;
  auto reason = [](int status) -> const char* {
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 400: return "Bad Request";
    case 413: return "Payload Too Large";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
  };
  while (!stopping()) {
    std::vector<pollfd> fds{{m_fd, POLLIN, 0}};
    for (const Connection& c : conns) {
      fds.push_back({c.fd, POLLIN, 0});
    }
    poll(fds.data(), fds.size(), k_poll_ms);
    const std::size_t polled = conns.size(); // a connection accepted now is polled next round
    if ((fds[0].revents & POLLIN) != 0) {
      const int fd = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        ++m_connections;
        conns.push_back(Connection{fd, {}});
      }
    }
    for (std::size_t i = 0; i < polled; ++i) {
      Connection& c = conns[i];
      if ((fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
        continue;
      }
      char chunk[65536];
      const ssize_t n = recv(c.fd, chunk, sizeof chunk, 0);
      if (n <= 0) {
        close(c.fd);
        c.fd = -1;
        continue;
      }
      c.buffer.append(chunk, static_cast<std::size_t>(n));
      for (;;) {
        const std::size_t end = c.buffer.find("\r\n\r\n");
        if (end == std::string::npos) {
          break;
        }
        HttpRequest request;
        const std::string head = c.buffer.substr(0, end);
        std::size_t line_end = head.find("\r\n");
        const std::string request_line = head.substr(0, line_end);
        const std::size_t sp1 = request_line.find(' ');
        const std::size_t sp2 = request_line.find(' ', sp1 + 1);
        request.method = request_line.substr(0, sp1);
        request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
        while (line_end != std::string::npos) {
          const std::size_t next = head.find("\r\n", line_end + 2);
          const std::string line = head.substr(line_end + 2, next == std::string::npos
                                                               ? std::string::npos
                                                               : next - line_end - 2);
          const std::size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            for (char& ch : name) {
              ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            }
            std::size_t value = colon + 1;
            while (value < line.size() && line[value] == ' ') {
              ++value;
            }
            request.headers[name] = line.substr(value);
          }
          line_end = next;
        }
        std::size_t length = 0;
        if (auto it = request.headers.find("content-length"); it != request.headers.end()) {
          length = std::stoul(it->second);
        }
        if (c.buffer.size() < end + 4 + length) {
          break; // the body is still coming
        }
        request.body = c.buffer.substr(end + 4, length);
        c.buffer.erase(0, end + 4 + length);
        const std::size_t number = m_requests++;
        const int status = m_status ? m_status(number) : 202;
        if (request.headers.count("expect") > 0) {
          add_error("request with Expect: " + request.headers["expect"]);
        }
        if (status >= 200 && status < 300) {
          add_message(request.body);
        }
        {
          std::lock_guard lock(m_log_mutex);
          m_log.push_back(request);
        }
        const std::string response = "HTTP/1.1 " + std::to_string(status) + " " + reason(status)
                                     + "\r\nContent-Length: 0\r\n\r\n";
        send(c.fd, response.data(), response.size(), MSG_NOSIGNAL);
      }
    }
    std::erase_if(conns, [](const Connection& c) { return c.fd < 0; });
  }
  for (Connection& c : conns) {
    close(c.fd);
  }
}

} // namespace dmarc::test
