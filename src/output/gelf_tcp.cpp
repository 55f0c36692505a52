// GELF over TCP: each message is the uncompressed JSON object followed by a NUL byte (a NUL
// cannot occur inside the JSON: control characters are escaped), written through a 64 KiB
// buffer.
//
// Why flush() waits for the send queue: GELF TCP has no reply, so the only confirmation is
// TCP's own: SIOCOUTQ (tcp(7)) is the number of bytes not yet acknowledged by the peer.
// When it is 0 and the socket shows no error or reset, every byte written reached the
// receiver's TCP stack. A receiver that closes or resets the connection while bytes are
// unacknowledged makes flush() (or a write) fail, and everything since the last successful
// flush() counts as not delivered: it is sent again over a new connection, so the receiver
// may see the part it did read twice, but never misses one. Before writing on a connection
// that sat idle, a FIN or reset from the receiver (it restarted) is noticed and the
// connection replaced, so nothing is written into a dead connection.
// Writes never raise SIGPIPE (MSG_NOSIGNAL) and give up after `timeout` seconds.
#include "output/gelf_transports.hpp"

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

namespace dmarc::output::detail {

namespace {

constexpr std::size_t k_write_buffer = 64 * 1024;

class TcpSink final : public GelfSink
{
public:
  TcpSink(Endpoint endpoint, std::string name, int timeout)
    : m_endpoint(std::move(endpoint)), m_name(std::move(name)), m_timeout(timeout)
  {
    m_buffer.reserve(k_write_buffer + 4096);
  }

  ~TcpSink() override { close_socket(); }

  Result<void> send(std::string_view message) override
  {
    if (m_unconfirmed == 0 && m_fd >= 0 && peer_gone()) {
      close_socket(); // the receiver closed or reset an idle connection: start anew
    }
    if (m_fd < 0) {
      if (auto connected = connect_now(); !connected) {
        return connected;
      }
    }
    m_buffer.append(message);
    m_buffer += '\0';
    ++m_unconfirmed;
    if (m_buffer.size() >= k_write_buffer) {
      return write_buffer();
    }
    return {};
  }

  Result<void> flush() override
  {
    if (m_unconfirmed == 0) {
      return {};
    }
    if (auto written = write_buffer(); !written) {
      return written;
    }
    if (auto acknowledged = wait_acknowledged(); !acknowledged) {
      return acknowledged;
    }
    m_unconfirmed = 0;
    return {};
  }

  std::size_t delivered() const override { return 0; }

  void reset() override
  {
    close_socket();
    m_unconfirmed = 0;
  }

  const std::string& name() const override { return m_name; }

private:
  Error failure(const std::string& what)
  {
    close_socket();
    return make_error(ErrorKind::network, m_name + ": " + what);
  }

  Result<void> connect_now()
  {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(m_endpoint.host.c_str(), m_endpoint.port.c_str(), &hints, &found);
    if (rc != 0) {
      return make_error(ErrorKind::network, m_name + ": cannot resolve " + m_endpoint.host + ": "
                                              + gai_strerror(rc));
    }
    std::string last_error = "no address";
    for (addrinfo* a = found; a != nullptr && m_fd < 0; a = a->ai_next) {
      const int fd =
        socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
      if (fd < 0) {
        last_error = "socket: " + errno_text(errno);
        continue;
      }
      int error = 0;
      if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        error = errno;
        if (error == EINPROGRESS) {
          pollfd p{fd, POLLOUT, 0};
          const int ready = poll(&p, 1, m_timeout * 1000);
          socklen_t size = sizeof error;
          if (ready <= 0) {
            error = ready == 0 ? ETIMEDOUT : errno;
          } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) {
            error = errno;
          }
        }
      }
      if (error != 0) {
        last_error = "connect: " + errno_text(error);
        ::close(fd);
        continue;
      }
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
      timeval tv{};
      tv.tv_sec = m_timeout;
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      m_fd = fd;
    }
    freeaddrinfo(found);
    if (m_fd < 0) {
      return make_error(ErrorKind::network, m_name + ": " + last_error);
    }
    return {};
  }

  // True when the receiver closed (FIN) or reset the connection.
  bool peer_gone()
  {
    pollfd p{m_fd, POLLIN | POLLRDHUP, 0};
    if (poll(&p, 1, 0) <= 0) {
      return false;
    }
    if ((p.revents & (POLLERR | POLLHUP | POLLRDHUP)) != 0) {
      return true;
    }
    char byte = 0;
    const ssize_t n = recv(m_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
  }

  Result<void> write_buffer()
  {
    std::size_t done = 0;
    while (done < m_buffer.size()) {
      const ssize_t n = ::send(m_fd, m_buffer.data() + done, m_buffer.size() - done, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        const int error = errno;
        m_buffer.clear();
        if (error == EAGAIN || error == EWOULDBLOCK) {
          return failure("write timed out after " + std::to_string(m_timeout)
                         + " s (the receiver does not read)");
        }
        return failure("write: " + errno_text(error));
      }
      done += static_cast<std::size_t>(n);
    }
    m_buffer.clear();
    return {};
  }

  // Waits until the peer acknowledged every byte written, or fails.
  Result<void> wait_acknowledged()
  {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::seconds(m_timeout);
    for (int round = 0;; ++round) {
      pollfd p{m_fd, POLLRDHUP, 0};
      const int ready = poll(&p, 1, 0);
      int error = 0;
      socklen_t size = sizeof error;
      getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &size);
      if (error != 0) {
        return failure("connection lost: " + errno_text(error));
      }
      if (ready > 0 && (p.revents & (POLLERR | POLLHUP)) != 0) {
        return failure("connection reset by the receiver");
      }
      int unacknowledged = 0;
      if (ioctl(m_fd, SIOCOUTQ, &unacknowledged) != 0) {
        return failure("SIOCOUTQ: " + errno_text(errno));
      }
      const bool peer_closed = ready > 0 && (p.revents & POLLRDHUP) != 0;
      if (unacknowledged == 0) {
        if (peer_closed) {
          close_socket(); // all read and acknowledged, but this connection is finished
        }
        return {};
      }
      if (peer_closed) {
        return failure("the receiver closed the connection with "
                       + std::to_string(unacknowledged) + " bytes unacknowledged");
      }
      if (clock::now() >= deadline) {
        return failure("no acknowledgement for " + std::to_string(unacknowledged)
                       + " bytes within " + std::to_string(m_timeout) + " s");
      }
      // Acknowledgements come within a round trip; poll wakes early on a close or reset.
      pollfd wait{m_fd, POLLRDHUP, 0};
      poll(&wait, 1, round < 10 ? 0 : 1);
    }
  }

  void close_socket()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
    m_buffer.clear();
  }

  Endpoint m_endpoint;
  std::string m_name;
  int m_timeout;
  int m_fd = -1;
  std::string m_buffer;
  std::size_t m_unconfirmed = 0;  // messages handed over since the last successful flush()
};

} // namespace

std::unique_ptr<GelfSink> make_tcp_sink(Endpoint endpoint, std::string name, int timeout)
{
  return std::make_unique<TcpSink>(std::move(endpoint), std::move(name), timeout);
}

} // namespace dmarc::output::detail
