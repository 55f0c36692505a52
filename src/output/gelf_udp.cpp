// GELF over UDP: one datagram per message, or up to 128 chunks of at most 8,192 bytes
// (2 bytes 0x1e 0x0f, an 8-byte message id, the 0-based sequence number and the count,
// then a slice of the compressed payload). Graylog and most receivers sniff the payload:
// 0x78 zlib, 0x1f 0x8b gzip, '{' plain.
//
// Why a connected socket: the kernel then reports an ICMP port unreachable for a datagram
// as ECONNREFUSED on the next send (and in SO_ERROR), which is the only sign UDP gives that
// nobody is listening. On loopback and on a LAN the ICMP is back before the next message,
// so the message it was for is counted as not delivered and goes again on the next run.
//
// Why compression runs in worker threads: deflating a ~1 KB GELF message costs zlib about
// 10 µs of CPU, more than reading, encoding and sending it together, so one thread cannot
// reach 100,000 messages/s. Messages are therefore queued in chunks of k_chunk; a full
// chunk is handed to a small pool (one deflate state per worker, reused: no allocation per
// message) and written, in order, once the next chunk is full or at flush(). Meanwhile the
// caller encodes the next chunk. A message counts as delivered only once written, so the
// queue changes nothing about what delivered() reports after a failure.
#include "decompress/decompress.hpp"
#include "output/gelf_transports.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <netdb.h>
#include <random>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dmarc::output::detail {

namespace {

// Messages per chunk handed to the compression workers.
constexpr std::size_t k_chunk = 256;
// Chunks smaller than this are compressed by the calling thread (no hand-over cost).
constexpr std::size_t k_min_parallel = 32;
// Up to this many bytes, a message always fits in 128 chunks once deflated (deflate adds
// at most 5 bytes per 16 KiB stored block plus a header and trailer), so it is queued
// without compressing it first; a larger one is compressed at once to know.
constexpr std::size_t k_always_fits = 1'000'000;

struct Item
{
  std::string data;          // the JSON, or its compressed payload once `ready`
  bool ready = false;
};

// Compresses the items of a chunk on worker threads, each with its own deflate state.
class CompressPool
{
public:
  CompressPool(decompress::Framing framing, unsigned workers) : m_framing(framing)
  {
    for (unsigned i = 0; i < workers; ++i) {
      m_threads.emplace_back([this, i, workers] { work(i, workers); });
    }
  }

  ~CompressPool()
  {
    {
      std::lock_guard lock(m_mutex);
      m_quit = true;
    }
    m_wake.notify_all();
    for (std::thread& t : m_threads) {
      t.join();
    }
  }

  // Starts compressing every item of `items` that is not ready; `items` must stay alive
  // and untouched until wait() returns.
  void start(std::vector<Item>* items)
  {
    {
      std::lock_guard lock(m_mutex);
      m_items = items;
      m_pending = static_cast<unsigned>(m_threads.size());
      m_failed = false;
      ++m_generation;
    }
    m_wake.notify_all();
  }

  // Waits for the job started last; false when a compression failed (out of memory).
  bool wait()
  {
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [this] { return m_pending == 0; });
    m_items = nullptr;
    return !m_failed;
  }

private:
  void work(unsigned index, unsigned workers)
  {
    decompress::Deflater deflater(m_framing);
    std::string out;
    uint64_t seen = 0;
    for (;;) {
      std::vector<Item>* items = nullptr;
      {
        std::unique_lock lock(m_mutex);
        m_wake.wait(lock, [&] { return m_quit || m_generation != seen; });
        if (m_quit) {
          return;
        }
        seen = m_generation;
        items = m_items;
      }
      bool ok = true;
      for (std::size_t i = index; i < items->size(); i += workers) {
        Item& item = (*items)[i];
        if (item.ready) {
          continue;
        }
        if (!deflater.compress(item.data, out)) {
          ok = false;
          break;
        }
        item.data.swap(out);
        item.ready = true;
      }
      {
        std::lock_guard lock(m_mutex);
        m_failed = m_failed || !ok;
        if (--m_pending == 0) {
          m_done.notify_all();
        }
      }
    }
  }

  decompress::Framing m_framing;
  std::vector<std::thread> m_threads;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_done;
  std::vector<Item>* m_items = nullptr;
  uint64_t m_generation = 0;
  unsigned m_pending = 0;
  bool m_failed = false;
  bool m_quit = false;
};

class UdpSink final : public GelfSink
{
public:
  UdpSink(Endpoint endpoint, std::string name, GelfCompression compress, int timeout)
    : m_endpoint(std::move(endpoint)), m_name(std::move(name)), m_timeout(timeout)
  {
    if (compress != GelfCompression::none) {
      m_framing =
        compress == GelfCompression::gzip ? decompress::Framing::gzip : decompress::Framing::zlib;
      m_deflater = std::make_unique<decompress::Deflater>(*m_framing);
    }
    std::random_device random;
    m_next_id = (static_cast<uint64_t>(random()) << 32) ^ random();
  }

  ~UdpSink() override
  {
    if (m_in_flight) {
      m_pool->wait();
    }
    close_socket();
  }

  Result<void> send(std::string_view message) override
  {
    if (auto opened = open(); !opened) {
      return opened;
    }
    Item item;
    if (!m_deflater) {
      item.data = std::string(message);
      item.ready = true;
    } else if (message.size() > k_always_fits) {
      if (!m_deflater->compress(message, item.data)) {
        return make_error(ErrorKind::internal, m_name + ": compression failed (out of memory)");
      }
      item.ready = true;
    } else {
      item.data = std::string(message);
    }
    if (item.ready && item.data.size() > k_gelf_max_datagram) {
      if (auto fits = gelf_datagrams_needed(item.data.size()); !fits) {
        return make_error(ErrorKind::too_large, m_name + ": " + fits.error().detail);
      }
    }
    m_filling.push_back(std::move(item));
    if (m_filling.size() >= k_chunk) {
      // Write the chunk compressed meanwhile, then hand this one over.
      if (auto written = write_in_flight(); !written) {
        return written;
      }
      dispatch();
    }
    return {};
  }

  Result<void> flush() override
  {
    if (auto written = write_in_flight(); !written) {
      return written;
    }
    if (!m_filling.empty()) {
      dispatch();
      if (auto written = write_in_flight(); !written) {
        return written;
      }
    }
    if (m_fd >= 0 && m_sent > 0) {
      // An ICMP error for the last datagram is pending here if nobody listened.
      int error = 0;
      socklen_t size = sizeof error;
      if (getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error != 0) {
        m_delivered = m_sent - 1;
        return refused(error);
      }
    }
    m_sent = 0;
    m_delivered = 0;
    return {};
  }

  std::size_t delivered() const override { return m_delivered; }

  void reset() override
  {
    drop_queue();
    close_socket();
    m_sent = 0;
    m_delivered = 0;
  }

  const std::string& name() const override { return m_name; }

private:
  // How many datagrams a payload of `size` bytes takes; too-large past 128.
  static Result<std::size_t> gelf_datagrams_needed(std::size_t size)
  {
    constexpr std::size_t k_payload = k_gelf_max_datagram - k_gelf_chunk_header;
    const std::size_t count = (size + k_payload - 1) / k_payload;
    if (count > k_gelf_max_chunks) {
      return make_error(ErrorKind::too_large,
                        "message of " + std::to_string(size) + " bytes would need "
                          + std::to_string(count) + " UDP chunks, more than GELF's "
                          + std::to_string(k_gelf_max_chunks));
    }
    return count;
  }

  // Hands the filling chunk to the workers (or compresses a small one right here).
  void dispatch()
  {
    m_in_flight_items.swap(m_filling);
    m_filling.clear();
    m_in_flight = true;
    const bool pending = std::any_of(m_in_flight_items.begin(), m_in_flight_items.end(),
                                     [](const Item& i) { return !i.ready; });
    if (!pending) {
      m_in_flight_parallel = false;
      return;
    }
    if (m_in_flight_items.size() < k_min_parallel) {
      m_in_flight_parallel = false;
      m_compress_failed = false;
      for (Item& item : m_in_flight_items) {
        if (!item.ready) {
          std::string out;
          if (!m_deflater->compress(item.data, out)) {
            m_compress_failed = true;
            break;
          }
          item.data.swap(out);
          item.ready = true;
        }
      }
      return;
    }
    if (!m_pool) {
      const unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
      m_pool = std::make_unique<CompressPool>(*m_framing, workers);
    }
    m_in_flight_parallel = true;
    m_pool->start(&m_in_flight_items);
  }

  // Waits for the chunk in flight and writes it in order.
  Result<void> write_in_flight()
  {
    if (!m_in_flight) {
      return {};
    }
    bool compressed = m_in_flight_parallel ? m_pool->wait() : !m_compress_failed;
    m_in_flight = false;
    if (!compressed) {
      drop_queue();
      m_delivered = m_sent;
      return make_error(ErrorKind::internal, m_name + ": compression failed (out of memory)");
    }
    for (const Item& item : m_in_flight_items) {
      if (auto sent = write_message(item.data); !sent) {
        drop_queue();
        return sent;
      }
    }
    m_in_flight_items.clear();
    return {};
  }

  Result<void> write_message(const std::string& payload)
  {
    if (payload.size() <= k_gelf_max_datagram) {
      if (auto sent = send_datagram(payload, true); !sent) {
        return sent;
      }
    } else {
      auto datagrams = gelf_datagrams(payload, m_next_id++);
      if (!datagrams) {
        // Cannot happen for a payload checked in send(); a deflate that grew a message
        // past the limit is still reported, not truncated.
        m_delivered = m_sent;
        return make_error(ErrorKind::too_large, m_name + ": " + datagrams.error().detail);
      }
      for (std::size_t i = 0; i < datagrams->size(); ++i) {
        if (auto sent = send_datagram((*datagrams)[i], i == 0); !sent) {
          return sent;
        }
      }
    }
    ++m_sent;
    m_delivered = m_sent;
    return {};
  }

  void drop_queue()
  {
    if (m_in_flight && m_in_flight_parallel) {
      m_pool->wait();
    }
    m_in_flight = false;
    m_in_flight_items.clear();
    m_filling.clear();
  }

  Result<void> open()
  {
    if (m_fd >= 0) {
      return {};
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(m_endpoint.host.c_str(), m_endpoint.port.c_str(), &hints, &found);
    if (rc != 0) {
      return make_error(ErrorKind::network, m_name + ": cannot resolve " + m_endpoint.host + ": "
                                              + gai_strerror(rc));
    }
    std::string last_error = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) {
        last_error = errno_text(errno);
        continue;
      }
      if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        last_error = errno_text(errno);
        ::close(fd);
        continue;
      }
      timeval tv{};
      tv.tv_sec = m_timeout;
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      m_fd = fd;
      break;
    }
    freeaddrinfo(found);
    if (m_fd < 0) {
      return make_error(ErrorKind::network, m_name + ": " + last_error);
    }
    return {};
  }

  // Sends one datagram. A refusal on the first datagram of a message was caused by the
  // previous message, which is then not delivered either.
  Result<void> send_datagram(std::string_view datagram, bool first_of_message)
  {
    for (;;) {
      const ssize_t n = ::send(m_fd, datagram.data(), datagram.size(), MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(datagram.size())) {
        return {};
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      const int error = n < 0 ? errno : EMSGSIZE;
      m_delivered = first_of_message && m_sent > 0 ? m_sent - 1 : m_sent;
      if (error == ECONNREFUSED) {
        return refused(error);
      }
      return make_error(ErrorKind::network, m_name + ": send: " + errno_text(error));
    }
  }

  Error refused(int error)
  {
    close_socket(); // a fresh socket starts without the pending error
    return make_error(ErrorKind::network, m_name + ": " + errno_text(error)
                                            + " (nothing listening on the port?)");
  }

  void close_socket()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }

  Endpoint m_endpoint;
  std::string m_name;
  int m_timeout;
  std::optional<decompress::Framing> m_framing;
  std::unique_ptr<decompress::Deflater> m_deflater;   // for the calling thread
  std::unique_ptr<CompressPool> m_pool;               // started with the first big chunk
  std::vector<Item> m_filling;                        // queued by send()
  std::vector<Item> m_in_flight_items;                // being compressed
  bool m_in_flight = false;
  bool m_in_flight_parallel = false;
  bool m_compress_failed = false;
  uint64_t m_next_id = 0;
  int m_fd = -1;
  std::size_t m_sent = 0;        // messages written since the last flush()
  std::size_t m_delivered = 0;   // of those, known delivered
};

} // namespace

std::unique_ptr<GelfSink> make_udp_sink(Endpoint endpoint, std::string name,
                                        GelfCompression compress, int timeout)
{
  return std::make_unique<UdpSink>(std::move(endpoint), std::move(name), compress, timeout);
}

std::string errno_text(int error)
{
  return std::strerror(error);
}

} // namespace dmarc::output::detail
