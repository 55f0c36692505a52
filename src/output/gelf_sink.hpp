// ⑦ GELF sinks: where `dmarcctl forward` hands its messages to Graylog.
//
// Why an acknowledgement model: the forwarder promises that every stored row reaches the
// receiver once, across runs, receiver outages, resets and kill -9. It can only keep that
// promise for what the transport confirms, and each GELF transport confirms something
// different (GELF 1.1, https://go2docs.graylog.org/current/getting_in_log_data/gelf.html):
//  - UDP (RFC 768): nothing. A message counts as delivered when written; a receiver that is
//    down shows up as ECONNREFUSED from the ICMP port unreachable of the previous datagram
//    (connected socket), so that message is counted as not delivered and sent again.
//    Payloads are zlib (RFC 1950) or gzip (RFC 1952) compressed or plain; over 8,192 bytes
//    they are split into chunks (0x1e 0x0f, 8-byte message id, sequence, count; at most 128).
//  - TCP: one uncompressed JSON object per frame, ended by a NUL byte. Written bytes are
//    confirmed by the receiver's TCP acknowledgements: flush() waits until the socket's send
//    queue is empty (SIOCOUTQ = 0) with no reset, so a message counts as delivered only after
//    that. A broken connection loses at most the unconfirmed tail, which is sent again.
//  - HTTP(S): one POST per message on a kept-alive connection; a 2xx answer (Graylog: 202)
//    confirms that message.
// So send() hands one message over, flush() confirms everything handed over, and after a
// failure delivered() says how many of the unconfirmed messages are known delivered, in order.
#pragma once

#include "core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::output {

enum class GelfCompression { none, zlib, gzip };

struct GelfSinkSettings
{
  std::string url;                                  // udp://, tcp://, http(s)://host:port/path
  GelfCompression compress = GelfCompression::zlib; // UDP only
  std::string ca_file;                              // HTTPS only
  int timeout = 10;                                 // seconds per connect / write / request
};

// The largest UDP datagram sent, and the most chunks one message may take.
constexpr std::size_t k_gelf_max_datagram = 8192;
constexpr std::size_t k_gelf_chunk_header = 12;
constexpr std::size_t k_gelf_max_chunks = 128;

class GelfSink
{
public:
  virtual ~GelfSink() = default;

  // Hands one GELF JSON message over. ok: UDP written, HTTP answered 2xx, TCP written to the
  // connection (confirmed by the next flush()). Error `too-large`: this message can never
  // go through this sink (nothing was sent; later messages may). Any other error: the
  // receiver or the connection failed; delivered() tells what got through.
  virtual Result<void> send(std::string_view message) = 0;

  // Waits until every message handed over since the last flush() is confirmed.
  virtual Result<void> flush() = 0;

  // Of the messages handed over since the last successful flush(), how many (in order) are
  // known delivered. Meaningful after a failed send() or flush().
  virtual std::size_t delivered() const = 0;

  // Drops the connection and forgets what is unconfirmed; the next send() opens a new one.
  virtual void reset() = 0;

  // The URL without credentials: for messages, and the key of the cursor.
  virtual const std::string& name() const = 0;
};

// "zlib", "gzip", "none" → the compression; nullopt for anything else.
std::optional<GelfCompression> parse_gelf_compression(std::string_view text);

// A sink for `settings.url` (udp://host[:port], tcp://host[:port], http(s)://host[:port]/path;
// port 12201 by default for UDP and TCP). Nothing is resolved or connected before the first
// send(). Error (config): an unknown scheme or a malformed address.
Result<std::unique_ptr<GelfSink>> open_gelf_sink(const GelfSinkSettings& settings);

// The UDP datagrams of one (already compressed) payload: the payload itself when it fits
// in k_gelf_max_datagram bytes, else chunks with the 12-byte GELF chunk header and
// `message_id`. Error (too-large): more than k_gelf_max_chunks chunks would be needed.
Result<std::vector<std::string>> gelf_datagrams(std::string_view payload, uint64_t message_id);

// A sink that keeps what it is given, for tests. `acknowledge` decides what a successful
// send() means: `per_message` (like UDP and HTTP) or `on_flush` (like TCP).
class FakeGelfSink final : public GelfSink
{
public:
  enum class Acknowledge { per_message, on_flush };

  explicit FakeGelfSink(Acknowledge acknowledge = Acknowledge::per_message,
                        std::string name = "fake://gelf")
    : m_acknowledge(acknowledge), m_name(std::move(name))
  {
  }

  Result<void> send(std::string_view message) override;
  Result<void> flush() override;
  std::size_t delivered() const override { return m_delivered_since_flush; }
  void reset() override
  {
    ++resets;
    m_unconfirmed.clear();
    m_delivered_since_flush = 0;
  }
  const std::string& name() const override { return m_name; }

  std::vector<std::string> received;     // what the receiver got, in order
  std::size_t sends = 0;                 // send() calls so far
  std::size_t flushes = 0;               // successful flush() calls
  int resets = 0;
  // Failure injection: send() number `fail_send_at` (0-based over all calls) fails; when
  // `lose_on_failure` the messages handed over since the last flush are not received
  // (a broken TCP connection); `fail_sends` failures in a row.
  std::optional<std::size_t> fail_send_at;
  int fail_sends = 1;
  bool lose_on_failure = false;
  std::optional<std::size_t> fail_flush_at;  // flush() number that fails
  std::size_t max_message_bytes = SIZE_MAX;  // larger messages are too-large

private:
  Acknowledge m_acknowledge;
  std::string m_name;
  std::vector<std::string> m_unconfirmed;
  std::size_t m_delivered_since_flush = 0;
  std::size_t m_flush_calls = 0;
};

} // namespace dmarc::output
