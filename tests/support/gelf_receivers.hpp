// Test support: real GELF receivers on 127.0.0.1, each serving in its own thread, written
// from the GELF 1.1 spec independently of src/output, so the tests check what a Graylog
// input would get:
//  - UDP: reassembles chunked messages (0x1e 0x0f, 8-byte id, sequence, count <= 128,
//    datagrams <= 8192 bytes) and decompresses zlib / gzip / plain by the first bytes;
//  - TCP: splits the stream on NUL bytes; can close a connection in the middle of a stream;
//  - HTTP: a tiny HTTP/1.1 server with keep-alive, answering 202 (or what a test says).
// Every protocol violation seen is kept in errors().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dmarc::test {

// The base of the receivers: a socket, a serving thread, what arrived.
class GelfReceiver
{
public:
  virtual ~GelfReceiver();
  int port() const { return m_port; }
  // Every message received so far, decoded (JSON text), in arrival order.
  std::vector<std::string> messages() const;
  std::size_t count() const;
  std::vector<std::string> errors() const;
  // Waits until `n` messages arrived or `timeout_ms` passed; returns the count then.
  std::size_t wait_for(std::size_t n, int timeout_ms = 10'000) const;
  // Stops serving and closes every socket: the port refuses from now on.
  void stop();
  // false: only count messages, keep none (for benchmarks).
  void keep_messages(bool keep) { m_keep = keep; }

protected:
  GelfReceiver() = default;
  void start(std::function<void()> serve);
  void add_message(std::string message);
  void add_error(std::string error);
  bool stopping() const { return m_stop.load(); }

  int m_fd = -1;
  int m_port = 0;

private:
  mutable std::mutex m_mutex;
  std::vector<std::string> m_messages;
  std::vector<std::string> m_errors;
  std::atomic<bool> m_stop{false};
  std::atomic<bool> m_keep{true};
  std::atomic<std::size_t> m_count{0};
  std::thread m_thread;
};

class GelfUdpReceiver final : public GelfReceiver
{
public:
  // Listens on 127.0.0.1:`port` (0: any free port). With `decode` false every datagram
  // counts as one message, undecoded (a bare drain for benchmarks).
  explicit GelfUdpReceiver(int port = 0, bool decode = true);
  ~GelfUdpReceiver() override;
  std::size_t datagrams() const { return m_datagrams.load(); }
  std::size_t chunked_messages() const { return m_chunked.load(); }
  std::size_t max_chunks() const { return m_max_chunks.load(); }
  std::size_t compressed_zlib() const { return m_zlib.load(); }
  std::size_t compressed_gzip() const { return m_gzip.load(); }

private:
  void serve();
  void payload(const std::string& bytes);

  bool m_decode = true;
  std::atomic<std::size_t> m_datagrams{0};
  std::atomic<std::size_t> m_chunked{0};
  std::atomic<std::size_t> m_max_chunks{0};
  std::atomic<std::size_t> m_zlib{0};
  std::atomic<std::size_t> m_gzip{0};
  std::map<uint64_t, std::vector<std::string>> m_partial;   // id → chunks ("" = missing)
  std::map<uint64_t, std::size_t> m_partial_count;
};

struct TcpReceiverOptions
{
  int port = 0;                     // 0: any free port
  int receive_buffer = 0;           // SO_RCVBUF of accepted connections (0: default)
  // Close the first connection after this many frames (0: never): stop reading, wait
  // `pause_ms` (the sender fills the buffers and blocks), then close it with unread bytes
  // (a reset). Later connections are served normally.
  std::size_t close_after = 0;
  int pause_ms = 300;
};

class GelfTcpReceiver final : public GelfReceiver
{
public:
  explicit GelfTcpReceiver(TcpReceiverOptions options = {});
  ~GelfTcpReceiver() override;
  std::size_t connections() const { return m_connections.load(); }
  // Bytes after the last NUL of a connection that ended: a partial frame, dropped.
  std::size_t partial_frames() const { return m_partial_frames.load(); }

private:
  void serve();

  TcpReceiverOptions m_options;
  std::atomic<std::size_t> m_connections{0};
  std::atomic<std::size_t> m_partial_frames{0};
};

struct HttpRequest
{
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;   // lower-case names
  std::string body;
};

class GelfHttpReceiver final : public GelfReceiver
{
public:
  // `status(n)` is the status answered to the n-th request (0-based); default 202.
  explicit GelfHttpReceiver(std::function<int(std::size_t)> status = {}, int port = 0);
  ~GelfHttpReceiver() override;
  std::size_t connections() const { return m_connections.load(); }
  std::size_t requests() const { return m_requests.load(); }
  std::vector<HttpRequest> request_log() const;

private:
  void serve();

  std::function<int(std::size_t)> m_status;
  std::atomic<std::size_t> m_connections{0};
  std::atomic<std::size_t> m_requests{0};
  mutable std::mutex m_log_mutex;
  std::vector<HttpRequest> m_log;
};

// A free TCP/UDP port on 127.0.0.1 right now (bound and released).
int free_port();

} // namespace dmarc::test
