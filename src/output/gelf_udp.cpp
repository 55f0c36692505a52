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
// Why a sender thread and batches (target: 100,000 messages/s on loopback, issue 6): reading
// and encoding a ~1 KB message costs about 3 µs of CPU, compressing and writing it about as
// much again, so one thread cannot do both 100,000 times a second. send() therefore appends
// each message to a batch (one buffer for all of them: no allocation per message); a full
// batch of k_batch messages goes to one sender thread, which compresses it and writes its
// datagrams with sendmmsg(2), while the caller encodes the next batch; while the sender is
// still busy with the last batch, the caller compresses the messages it queues itself, which
// keeps the two threads about equally loaded. flush() hands the rest to the sender thread
// too and waits for it (fewer than k_batch messages in all go out on the caller's thread,
// without starting one). Messages up to k_fast_limit bytes are
// compressed by FastDeflater (gelf_deflate.hpp: about 6 times cheaper than zlib for 1 KB,
// at ~60% instead of ~50% of the size); larger ones by zlib, whose dynamic Huffman codes let
// more of a big message fit in 128 chunks.
//
// Exactly once is unchanged: a message counts as delivered only once its last datagram was
// written (delivered() counts messages in the order send() took them, so queued messages are
// simply not delivered yet), and what a failure leaves unwritten is dropped with the error.
// sendmmsg reports an error only when it wrote nothing: when it stops early, the error of
// the datagram it stopped at is lost (for a refusal, the kernel has already cleared it), so
// stopping early is taken as a refusal at that datagram, the cautious reading: at worst one
// message is sent again next run, never one counted that was not written.
#include "decompress/decompress.hpp"
#include "output/gelf_deflate.hpp"
#include "output/gelf_transports.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <netdb.h>
#include <new>
#include <random>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dmarc::output::detail {

namespace {

// Messages per batch handed to the sender thread.
constexpr std::size_t k_batch = 256;
// Datagrams per sendmmsg(2) call.
constexpr std::size_t k_mmsg = 64;
// Messages up to this size are compressed by FastDeflater, larger ones by zlib.
constexpr std::size_t k_fast_limit = 16 * 1024;
// The largest payload 128 chunks carry.
constexpr std::size_t k_max_payload = k_gelf_max_chunks * (k_gelf_max_datagram - k_gelf_chunk_header);
// Up to this many bytes, a message always fits in 128 chunks once deflated (either deflater
// adds at most 5 bytes per 16 KiB block plus a header and trailer), so it is queued
// without compressing it first; a larger one is compressed at once to know.
constexpr std::size_t k_always_fits = 1'000'000;

Error too_large(const std::string& name, std::size_t size)
{
  constexpr std::size_t k_payload = k_gelf_max_datagram - k_gelf_chunk_header;
  const std::size_t count = (size + k_payload - 1) / k_payload;
  return make_error(ErrorKind::too_large,
                    name + ": message of " + std::to_string(size) + " bytes would need "
                      + std::to_string(count) + " UDP chunks, more than GELF's "
                      + std::to_string(k_gelf_max_chunks));
}

// Messages queued by send(), back to back in one buffer.
struct Batch
{
  struct Span
  {
    std::size_t offset = 0;
    std::size_t size = 0;
    bool compressed = false;   // already the payload (compressed by send())
  };
  std::string bytes;
  std::vector<Span> spans;

  void clear()
  {
    bytes.clear();
    spans.clear();
  }
};

// The two deflaters of one thread: FastDeflater up to k_fast_limit bytes, zlib above.
class Deflaters
{
public:
  explicit Deflaters(GelfCompression compress)
  {
    if (compress != GelfCompression::none) {
      const bool gzip = compress == GelfCompression::gzip;
      m_fast = std::make_unique<FastDeflater>(gzip ? DeflateFraming::gzip : DeflateFraming::zlib);
      m_zlib = std::make_unique<decompress::Deflater>(gzip ? decompress::Framing::gzip
                                                           : decompress::Framing::zlib);
    }
  }

  bool enabled() const { return m_fast != nullptr; }

  // Appends the compressed payload of `message` to `out`. false when zlib fails (out of
  // memory); `out` is then as before.
  bool append(std::string_view message, std::string& out)
  {
    if (message.size() <= k_fast_limit) {
      m_fast->compress(message, out);
      return true;
    }
    if (!m_zlib->compress(message, m_scratch)) {
      return false;
    }
    out += m_scratch;
    return true;
  }

private:
  std::unique_ptr<FastDeflater> m_fast;
  std::unique_ptr<decompress::Deflater> m_zlib;
  std::string m_scratch;
};

// Compresses a batch and writes its datagrams; keeps the count of messages written since
// the last flush. Used by one thread at a time (the sender thread, or the caller while
// nothing is in flight).
class Writer
{
public:
  Writer(std::string name, GelfCompression compress)
    : m_name(std::move(name)), m_deflaters(compress)
  {
    std::random_device random;
    m_next_id = (static_cast<uint64_t>(random()) << 32) ^ random();
  }

  bool compresses() const { return m_deflaters.enabled(); }

  // Compresses and writes every message of `batch` on `fd`, in order.
  Result<void> write(const Batch& batch, int fd)
  {
    try {
      m_payloads.clear();
      m_views.clear();
      m_compressed.clear();
      if (compresses()) {
        // Offsets first: m_compressed grows while compressing.
        for (const Batch::Span& s : batch.spans) {
          const std::string_view message(batch.bytes.data() + s.offset, s.size);
          if (s.compressed) {
            m_payloads.push_back({SIZE_MAX, s.offset, s.size});
            continue;
          }
          const std::size_t at = m_compressed.size();
          if (!m_deflaters.append(message, m_compressed)) {
            return fail_compression();
          }
          m_payloads.push_back({at, 0, m_compressed.size() - at});
        }
        for (const Payload& p : m_payloads) {
          m_views.push_back(p.in_compressed == SIZE_MAX
                              ? std::string_view(batch.bytes.data() + p.offset, p.size)
                              : std::string_view(m_compressed.data() + p.in_compressed, p.size));
        }
      } else {
        for (const Batch::Span& s : batch.spans) {
          m_views.emplace_back(batch.bytes.data() + s.offset, s.size);
        }
      }
    } catch (const std::bad_alloc&) {
      return fail_compression();
    }
    return write_payloads(fd);
  }

  // Messages written since reset_counts(), and of those known delivered.
  std::size_t sent() const { return m_sent; }
  std::size_t delivered() const { return m_delivered; }
  void set_delivered(std::size_t delivered) { m_delivered = delivered; }
  void reset_counts()
  {
    m_sent = 0;
    m_delivered = 0;
  }

private:
  struct Payload
  {
    std::size_t in_compressed = 0;   // offset in m_compressed, or SIZE_MAX: in the batch
    std::size_t offset = 0;          // offset in the batch
    std::size_t size = 0;
  };
  // Where a datagram of the current sendmmsg group belongs.
  struct Slot
  {
    bool first = false;   // the first datagram of its message
    bool last = false;    // the last one: the message is written once this one is
  };

  Error fail_compression()
  {
    m_delivered = m_sent;
    return make_error(ErrorKind::internal, m_name + ": compression failed (out of memory)");
  }

  Result<void> write_payloads(int fd)
  {
    constexpr std::size_t k_chunk_payload = k_gelf_max_datagram - k_gelf_chunk_header;
    std::size_t used = 0;
    for (const std::string_view payload : m_views) {
      if (payload.size() > k_max_payload) {
        // Cannot happen for a payload checked in send(); a deflate that grew a message
        // past the limit is still reported, not truncated.
        if (auto flushed = send_group(fd, used); !flushed) {
          return flushed;
        }
        used = 0;
        m_delivered = m_sent;
        return too_large(m_name, payload.size());
      }
      if (payload.size() <= k_gelf_max_datagram) {
        if (used == k_mmsg) {
          if (auto flushed = send_group(fd, used); !flushed) {
            return flushed;
          }
          used = 0;
        }
        m_iov[2 * used] = {const_cast<char*>(payload.data()), payload.size()};
        m_msgs[used].msg_hdr = {};
        m_msgs[used].msg_hdr.msg_iov = &m_iov[2 * used];
        m_msgs[used].msg_hdr.msg_iovlen = 1;
        m_slots[used] = {true, true};
        ++used;
        continue;
      }
      const std::size_t count = (payload.size() + k_chunk_payload - 1) / k_chunk_payload;
      const uint64_t id = m_next_id++;
      for (std::size_t i = 0; i < count; ++i) {
        if (used == k_mmsg) {
          if (auto flushed = send_group(fd, used); !flushed) {
            return flushed;
          }
          used = 0;
        }
        unsigned char* header = m_headers[used].data();
        header[0] = 0x1e;
        header[1] = 0x0f;
        for (int b = 0; b < 8; ++b) {
          header[2 + b] = static_cast<unsigned char>((id >> (56 - 8 * b)) & 0xff);
        }
        header[10] = static_cast<unsigned char>(i);
        header[11] = static_cast<unsigned char>(count);
        const std::string_view slice = payload.substr(i * k_chunk_payload, k_chunk_payload);
        m_iov[2 * used] = {header, k_gelf_chunk_header};
        m_iov[2 * used + 1] = {const_cast<char*>(slice.data()), slice.size()};
        m_msgs[used].msg_hdr = {};
        m_msgs[used].msg_hdr.msg_iov = &m_iov[2 * used];
        m_msgs[used].msg_hdr.msg_iovlen = 2;
        m_slots[used] = {i == 0, i + 1 == count};
        ++used;
      }
    }
    return send_group(fd, used);
  }

  // Writes the first `used` datagrams of m_msgs. A refusal, or sendmmsg stopping early, at
  // the first datagram of a message is blamed on the message before it (its ICMP).
  Result<void> send_group(int fd, std::size_t used)
  {
    std::size_t done = 0;
    while (done < used) {
      const int n = sendmmsg(fd, &m_msgs[done], static_cast<unsigned>(used - done), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      const std::size_t wrote = n < 0 ? 0 : static_cast<std::size_t>(n);
      for (std::size_t i = done; i < done + wrote; ++i) {
        if (m_msgs[i].msg_len != m_iov[2 * i].iov_len
                                   + (m_msgs[i].msg_hdr.msg_iovlen == 2 ? m_iov[2 * i + 1].iov_len
                                                                         : 0)) {
          m_delivered = m_sent;
          return make_error(ErrorKind::network, m_name + ": send: " + errno_text(EMSGSIZE));
        }
        if (m_slots[i].last) {
          ++m_sent;
        }
      }
      done += wrote;
      m_delivered = m_sent;
      if (done == used) {
        break;
      }
      // Stopped at datagram `done`: with an error (n < 0), or early with the error lost.
      const int error = n < 0 ? errno : ECONNREFUSED;
      m_delivered = m_slots[done].first && m_sent > 0 ? m_sent - 1 : m_sent;
      if (error == ECONNREFUSED) {
        return make_error(ErrorKind::network, m_name + ": " + errno_text(error)
                                                + " (nothing listening on the port?)");
      }
      return make_error(ErrorKind::network, m_name + ": send: " + errno_text(error));
    }
    return {};
  }

  std::string m_name;
  Deflaters m_deflaters;
  uint64_t m_next_id = 0;
  std::vector<Payload> m_payloads;
  std::vector<std::string_view> m_views;
  std::string m_compressed;   // the compressed payloads of a batch, back to back
  std::array<mmsghdr, k_mmsg> m_msgs{};
  std::array<iovec, 2 * k_mmsg> m_iov{};
  std::array<std::array<unsigned char, k_gelf_chunk_header>, k_mmsg> m_headers{};
  std::array<Slot, k_mmsg> m_slots{};
  std::size_t m_sent = 0;
  std::size_t m_delivered = 0;
};

// One thread that runs Writer::write on the batch handed to it, one batch at a time.
class SenderThread
{
public:
  explicit SenderThread(Writer& writer) : m_writer(writer), m_thread([this] { run(); }) {}

  ~SenderThread()
  {
    {
      std::lock_guard lock(m_mutex);
      m_quit = true;
    }
    m_wake.notify_all();
    m_thread.join();
  }

  // Starts writing `batch` on `fd`; `batch` must stay untouched until wait() returns.
  void start(const Batch* batch, int fd)
  {
    {
      std::lock_guard lock(m_mutex);
      m_batch = batch;
      m_fd = fd;
      m_busy = true;
      m_working.store(true, std::memory_order_relaxed);
    }
    m_wake.notify_all();
  }

  // Whether the batch started last is still being written (a hint, without waiting).
  bool busy() const { return m_working.load(std::memory_order_relaxed); }

  // Waits for the batch started last and returns its outcome.
  Result<void> wait()
  {
    std::unique_lock lock(m_mutex);
    m_done.wait(lock, [this] { return !m_busy; });
    return std::move(m_outcome);
  }

private:
  void run()
  {
    for (;;) {
      const Batch* batch = nullptr;
      int fd = -1;
      {
        std::unique_lock lock(m_mutex);
        m_wake.wait(lock, [this] { return m_quit || m_batch != nullptr; });
        if (m_quit) {
          return;
        }
        batch = m_batch;
        fd = m_fd;
      }
      Result<void> outcome = m_writer.write(*batch, fd);
      m_working.store(false, std::memory_order_relaxed);
      {
        std::lock_guard lock(m_mutex);
        m_outcome = std::move(outcome);
        m_batch = nullptr;
        m_busy = false;
      }
      m_done.notify_all();
    }
  }

  Writer& m_writer;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_done;
  const Batch* m_batch = nullptr;
  int m_fd = -1;
  bool m_busy = false;
  bool m_quit = false;
  std::atomic<bool> m_working{false};
  Result<void> m_outcome;
  std::thread m_thread;   // last: started once the rest is constructed
};

class UdpSink final : public GelfSink
{
public:
  UdpSink(Endpoint endpoint, std::string name, GelfCompression compress, int timeout)
    : m_endpoint(std::move(endpoint)), m_name(std::move(name)), m_timeout(timeout),
      m_writer(m_name, compress), m_deflaters(compress)
  {
  }

  ~UdpSink() override
  {
    drop_queue();
    m_sender.reset();
    close_socket();
  }

  Result<void> send(std::string_view message) override
  {
    if (auto opened = open(); !opened) {
      return opened;
    }
    Batch::Span span{m_filling.bytes.size(), message.size(), false};
    if (!m_writer.compresses()) {
      if (message.size() > k_max_payload) {
        return too_large(m_name, message.size());
      }
      m_filling.bytes += message;
    } else if (message.size() > k_always_fits || (m_busy && m_sender->busy())) {
      // Too large to queue unchecked: compress now to know whether it fits. Or the sender
      // thread is still writing the last batch, so it is the slower of the two threads:
      // take this message's compression off it (this keeps both threads about as busy).
      const std::size_t at = m_filling.bytes.size();
      if (!m_deflaters.append(message, m_filling.bytes)) {
        return make_error(ErrorKind::internal, m_name + ": compression failed (out of memory)");
      }
      span.size = m_filling.bytes.size() - at;
      span.compressed = true;
      if (span.size > k_max_payload) {
        m_filling.bytes.resize(at);
        return too_large(m_name, span.size);
      }
    } else {
      m_filling.bytes += message;
    }
    m_filling.spans.push_back(span);
    if (m_filling.spans.size() >= k_batch) {
      // Collect the batch written meanwhile, then hand this one over.
      if (auto written = collect(); !written) {
        return written;
      }
      hand_over();
    }
    return {};
  }

  Result<void> flush() override
  {
    if (auto written = collect(); !written) {
      return written;
    }
    if (m_sender) {
      // The sender thread writes the rest too, so the caller never does more than read
      // and encode (this thread's share bounds the rate).
      if (!m_filling.spans.empty()) {
        hand_over();
        if (auto written = collect(); !written) {
          return written;
        }
      }
    } else if (!m_filling.spans.empty()) {
      // Fewer than k_batch messages so far: no thread for them.
      auto written = m_writer.write(m_filling, m_fd);
      m_filling.clear();
      if (!written) {
        close_socket();
        return written;
      }
    }
    if (m_fd >= 0 && m_writer.sent() > 0) {
      // An ICMP error for the last datagram is pending here if nobody listened.
      int error = 0;
      socklen_t size = sizeof error;
      if (getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0 && error != 0) {
        m_writer.set_delivered(m_writer.sent() - 1);
        close_socket(); // a fresh socket starts without the pending error
        return make_error(ErrorKind::network, m_name + ": " + errno_text(error)
                                                + " (nothing listening on the port?)");
      }
    }
    m_writer.reset_counts();
    return {};
  }

  std::size_t delivered() const override { return m_writer.delivered(); }

  void reset() override
  {
    drop_queue();
    close_socket();
    m_writer.reset_counts();
  }

  const std::string& name() const override { return m_name; }

private:
  // Hands the filling batch to the sender thread (nothing may be in flight).
  void hand_over()
  {
    std::swap(m_filling, m_in_flight);
    m_filling.clear();
    if (!m_sender) {
      m_sender = std::make_unique<SenderThread>(m_writer);
    }
    m_sender->start(&m_in_flight, m_fd);
    m_busy = true;
  }

  // Waits for the batch in flight; on its failure drops the queue and the socket.
  Result<void> collect()
  {
    if (!m_busy) {
      return {};
    }
    auto written = m_sender->wait();
    m_busy = false;
    m_in_flight.clear();
    if (!written) {
      m_filling.clear();
      close_socket();
    }
    return written;
  }

  void drop_queue()
  {
    if (m_busy) {
      (void)m_sender->wait();
      m_busy = false;
    }
    m_in_flight.clear();
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
  Writer m_writer;
  std::unique_ptr<SenderThread> m_sender;   // started with the first full batch
  Batch m_filling;                          // queued by send()
  Batch m_in_flight;                        // being written by the sender thread
  bool m_busy = false;                      // m_in_flight handed to the sender thread
  Deflaters m_deflaters;                    // the caller thread's
  int m_fd = -1;
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
