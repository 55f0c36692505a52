// ⑦ GELF sinks (src/output/gelf_*): UDP chunking and compression, TCP framing and
// confirmation, HTTP keep-alive and status handling, against real receivers on 127.0.0.1
// (tests/support/gelf_receivers), and the URL rules.
#include "net/http_client.hpp"
#include "output/gelf_sink.hpp"
#include "support/gelf_check.hpp"
#include "support/gelf_receivers.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace dmarc;
using namespace dmarc::output;
using dmarc::test::GelfHttpReceiver;
using dmarc::test::GelfTcpReceiver;
using dmarc::test::GelfUdpReceiver;

namespace {

std::unique_ptr<GelfSink> sink_for(const std::string& url,
                                   GelfCompression compress = GelfCompression::zlib)
{
  GelfSinkSettings settings;
  settings.url = url;
  settings.compress = compress;
  settings.timeout = 5;
  auto sink = open_gelf_sink(settings);
  REQUIRE(sink.ok());
  return std::move(*sink);
}

// A valid GELF message with a `_blob` of `size` bytes that does not compress (hex digits
// of random bytes compress to about half, so it is chunked even when compressed).
std::string message_with_blob(std::size_t size, unsigned seed = 1)
{
  std::mt19937 random(seed);
  std::string blob;
  const char* hex = "0123456789abcdef";
  for (std::size_t i = 0; i < size; ++i) {
    blob += hex[random() % 16];
  }
  return R"({"version":"1.1","host":"h","short_message":"big","timestamp":1,"_blob":")" + blob
         + "\"}";
}

std::string small_message(int n)
{
  return R"({"version":"1.1","host":"h","short_message":"m )" + std::to_string(n)
         + R"(","timestamp":1700000000,"_n":)" + std::to_string(n) + "}";
}

} // namespace

TEST_CASE("datagrams: up to 8192 bytes go whole, beyond as at most 128 GELF chunks")
{
  auto one = gelf_datagrams(std::string(8192, 'a'), 7);
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].size() == 8192);

  const std::string payload = std::string(8192, 'a') + "b";
  auto two = gelf_datagrams(payload, 0x0102030405060708ull);
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string& d = (*two)[i];
    CHECK(d.size() <= 8192);
    CHECK(d.substr(0, 2) == "\x1e\x0f");
    CHECK(d.substr(2, 8) == "\x01\x02\x03\x04\x05\x06\x07\x08");
    CHECK(static_cast<int>(d[10]) == static_cast<int>(i));
    CHECK(static_cast<int>(d[11]) == 2);
  }
  CHECK((*two)[0].size() == 8192);
  CHECK((*two)[1].substr(12) == std::string(12, 'a') + "b");

  auto most = gelf_datagrams(std::string(128 * 8180, 'a'), 1);
  REQUIRE(most.ok());
  CHECK(most->size() == 128);
  auto too_many = gelf_datagrams(std::string(128 * 8180 + 1, 'a'), 1);
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().kind == ErrorKind::too_large);
  CHECK(too_many.error().detail.find("129 UDP chunks") != std::string::npos);
}

TEST_CASE("sink URLs: schemes, ports, IPv6, and what is rejected")
{
  for (const char* good : {"udp://127.0.0.1:12201", "udp://graylog.example.com", "tcp://[::1]:5555",
                           "tcp://host:1/", "http://127.0.0.1:9000/gelf",
                           "https://user:secret@graylog.example.com/gelf?token=abc"}) {
    CAPTURE(good);
    GelfSinkSettings s;
    s.url = good;
    CHECK(open_gelf_sink(s).ok());
  }
  for (const char* bad : {"ftp://host", "udp://", "udp://host:0", "udp://host:70000",
                          "tcp://::1:5555", "udp://host:12201/path", "tcp://u:p@host:1",
                          "udp://host:12x"}) {
    CAPTURE(bad);
    GelfSinkSettings s;
    s.url = bad;
    auto sink = open_gelf_sink(s);
    REQUIRE_FALSE(sink.ok());
    CHECK(sink.error().kind == ErrorKind::config);
  }
  GelfSinkSettings s;
  s.url = "https://user:secret@graylog.example.com/gelf?token=abc#x";
  auto sink = open_gelf_sink(s);
  REQUIRE(sink.ok());
  CHECK((*sink)->name() == "https://graylog.example.com/gelf");
  CHECK(net::redact_url("udp://h:1") == "udp://h:1");
  CHECK(net::redact_url("http://a@b:c@h/p@q") == "http://h/p@q");
  CHECK(parse_gelf_compression("gzip") == GelfCompression::gzip);
  CHECK_FALSE(parse_gelf_compression("zstd"));
}

TEST_CASE("UDP: zlib, gzip and plain payloads arrive and decode")
{
  for (auto [compress, label] : {std::pair{GelfCompression::zlib, "zlib"},
                                 std::pair{GelfCompression::gzip, "gzip"},
                                 std::pair{GelfCompression::none, "none"}}) {
    CAPTURE(label);
    GelfUdpReceiver receiver;
    auto sink = sink_for("udp://127.0.0.1:" + std::to_string(receiver.port()), compress);
    // Enough messages for several chunks through the compression workers, in order.
    constexpr int k_messages = 1000;
    for (int i = 0; i < k_messages; ++i) {
      REQUIRE(sink->send(small_message(i)).ok());
    }
    REQUIRE(sink->flush().ok());
    REQUIRE(receiver.wait_for(k_messages) == k_messages);
    const auto got = receiver.messages();
    for (int i = 0; i < k_messages; ++i) {
      CHECK(got[i] == small_message(i));
    }
    CHECK(receiver.errors().empty());
    CHECK(receiver.compressed_zlib() == (compress == GelfCompression::zlib ? 1000u : 0u));
    CHECK(receiver.compressed_gzip() == (compress == GelfCompression::gzip ? 1000u : 0u));
  }
}

TEST_CASE("UDP: a large message is chunked and reassembles; one too large is refused alone")
{
  GelfUdpReceiver receiver;
  auto sink = sink_for("udp://127.0.0.1:" + std::to_string(receiver.port()));
  const std::string big = message_with_blob(200'000);
  REQUIRE(sink->send(big).ok());
  // 1.2 MB of hex digits compress to about 0.6 MB: fits in 128 chunks.
  const std::string bigger = message_with_blob(1'200'000, 2);
  REQUIRE(sink->send(bigger).ok());
  const std::string huge = message_with_blob(3'000'000, 3);
  auto refused = sink->send(huge);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().kind == ErrorKind::too_large);
  CHECK(refused.error().detail.find("more than GELF's 128") != std::string::npos);
  REQUIRE(sink->send(small_message(1)).ok());
  REQUIRE(sink->flush().ok());
  REQUIRE(receiver.wait_for(3) == 3);
  const auto got = receiver.messages();
  CHECK(got[0] == big);
  CHECK(got[1] == bigger);
  CHECK(got[2] == small_message(1));
  CHECK(receiver.chunked_messages() == 2);
  CHECK(receiver.max_chunks() > 64);
  CHECK(receiver.max_chunks() <= 128);
  CHECK(receiver.errors().empty());

  // Uncompressed, the same limit applies to the JSON itself.
  auto plain = sink_for("udp://127.0.0.1:" + std::to_string(receiver.port()),
                        GelfCompression::none);
  auto too_big = plain->send(message_with_blob(128 * 8180));
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().kind == ErrorKind::too_large);
}

TEST_CASE("UDP: nobody listening shows as a refusal, and the refused message is not delivered")
{
  const int port = dmarc::test::free_port();
  auto sink = sink_for("udp://127.0.0.1:" + std::to_string(port));
  REQUIRE(sink->send(small_message(1)).ok()); // queued: nothing tells yet
  REQUIRE(sink->send(small_message(2)).ok());
  auto second = sink->flush(); // the second datagram meets the refusal of the first
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().kind == ErrorKind::network);
  CHECK(second.error().detail.find("udp://127.0.0.1:" + std::to_string(port)) == 0);
  CHECK(second.error().detail.find("refused") != std::string::npos);
  CHECK(sink->delivered() == 0); // the first was refused too

  sink->reset();
  REQUIRE(sink->send(small_message(3)).ok());
  auto flushed = sink->flush(); // the refusal of the last message shows at flush
  REQUIRE_FALSE(flushed.ok());
  CHECK(sink->delivered() == 0);
}

TEST_CASE("UDP: batches written by the sender thread keep order, chunks and compression")
{
  // More than one batch (256 messages) goes through the sender thread and sendmmsg; chunked
  // messages (12 KB through the fast deflater, 30 KB through zlib, plain) sit among small
  // ones, and every payload must decode alone at the receiver.
  for (auto [compress, label] : {std::pair{GelfCompression::zlib, "zlib"},
                                 std::pair{GelfCompression::gzip, "gzip"},
                                 std::pair{GelfCompression::none, "none"}}) {
    CAPTURE(label);
    GelfUdpReceiver receiver;
    auto sink = sink_for("udp://127.0.0.1:" + std::to_string(receiver.port()), compress);
    std::vector<std::string> sent;
    for (int i = 0; i < 700; ++i) {
      sent.push_back(i % 97 == 5    ? message_with_blob(30'000, static_cast<unsigned>(i))
                     : i % 61 == 7 ? message_with_blob(12'000, static_cast<unsigned>(i))
                                   : small_message(i));
      REQUIRE(sink->send(sent.back()).ok());
      if (i == 400) {
        REQUIRE(sink->flush().ok()); // a flush in the middle of a batch
      }
    }
    REQUIRE(sink->flush().ok());
    REQUIRE(receiver.wait_for(sent.size()) == sent.size());
    CHECK(receiver.messages() == sent);
    CHECK(receiver.errors().empty());
    CHECK(receiver.chunked_messages() >= 8);
  }
}

TEST_CASE("UDP: nobody listening, with batches in flight: a refusal, nothing counted delivered")
{
  const int port = dmarc::test::free_port();
  auto sink = sink_for("udp://127.0.0.1:" + std::to_string(port));
  Result<void> failed;
  int accepted = 0;
  for (int i = 0; i < 2000 && failed.ok(); ++i) {
    failed = sink->send(small_message(i));
    accepted += failed.ok() ? 1 : 0;
  }
  if (failed.ok()) {
    failed = sink->flush();
  }
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().kind == ErrorKind::network);
  CHECK(failed.error().detail.find("refused") != std::string::npos);
  CHECK(sink->delivered() == 0); // the first datagram already went nowhere
  CHECK(accepted >= 256);        // the refusal came from a batch of the sender thread
}

TEST_CASE("TCP: NUL-framed messages, confirmed on flush; a dead receiver is an error")
{
  GelfTcpReceiver receiver;
  auto sink = sink_for("tcp://127.0.0.1:" + std::to_string(receiver.port()));
  const std::string big = message_with_blob(100'000);
  for (int i = 0; i < 500; ++i) {
    REQUIRE(sink->send(i == 250 ? big : small_message(i)).ok());
  }
  REQUIRE(sink->flush().ok());
  REQUIRE(receiver.wait_for(500) == 500);
  const auto got = receiver.messages();
  CHECK(got[0] == small_message(0));
  CHECK(got[250] == big);
  CHECK(got[499] == small_message(499));
  CHECK(receiver.connections() == 1);
  CHECK(sink->delivered() == 0);

  // The receiver restarts between batches: the idle connection is replaced, nothing lost.
  const int port = receiver.port();
  receiver.stop();
  GelfTcpReceiver again(dmarc::test::TcpReceiverOptions{port});
  REQUIRE(sink->send(small_message(1000)).ok());
  REQUIRE(sink->flush().ok());
  REQUIRE(again.wait_for(1) == 1);
  CHECK(again.messages()[0] == small_message(1000));

  again.stop();
  sink->reset();
  auto down = sink->send(small_message(1001));
  if (down.ok()) {
    down = sink->flush();
  }
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().detail.find("tcp://127.0.0.1:" + std::to_string(port) + ": connect:")
        == 0);
  CHECK(down.error().detail.find("refused") != std::string::npos);
}

TEST_CASE("TCP: a receiver that closes mid-stream makes flush fail, never confirm")
{
  dmarc::test::TcpReceiverOptions options;
  options.receive_buffer = 4096;
  options.close_after = 100;
  options.pause_ms = 200;
  GelfTcpReceiver receiver(options);
  auto sink = sink_for("tcp://127.0.0.1:" + std::to_string(receiver.port()));
  Result<void> result;
  for (int i = 0; i < 3000 && result.ok(); ++i) {
    result = sink->send(message_with_blob(1000, static_cast<unsigned>(i)));
  }
  if (result.ok()) {
    result = sink->flush();
  }
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().kind == ErrorKind::network);
  CHECK(sink->delivered() == 0);
}

TEST_CASE("HTTP: one POST per message on one kept-alive connection, 202 confirms it")
{
  GelfHttpReceiver receiver;
  auto sink = sink_for("http://127.0.0.1:" + std::to_string(receiver.port()) + "/gelf");
  const std::string big = message_with_blob(50'000);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(sink->send(i == 50 ? big : small_message(i)).ok());
    CHECK(sink->delivered() == static_cast<std::size_t>(i + 1));
  }
  REQUIRE(sink->flush().ok());
  CHECK(receiver.count() == 100);
  CHECK(receiver.messages()[50] == big);
  CHECK(receiver.connections() == 1);
  const auto log = receiver.request_log();
  CHECK(log[0].method == "POST");
  CHECK(log[0].target == "/gelf");
  CHECK(log[0].headers.at("content-type") == "application/json");
  CHECK(receiver.errors().empty()); // no "Expect: 100-continue", even for the 50 KB body
}

TEST_CASE("HTTP: 413 refuses one message, other statuses and a dead server are failures")
{
  GelfHttpReceiver receiver([](std::size_t n) { return n == 1 ? 413 : n == 3 ? 503 : 202; });
  auto sink = sink_for("http://127.0.0.1:" + std::to_string(receiver.port()) + "/gelf");
  REQUIRE(sink->send(small_message(0)).ok());
  auto too_large = sink->send(small_message(1));
  REQUIRE_FALSE(too_large.ok());
  CHECK(too_large.error().kind == ErrorKind::too_large);
  REQUIRE(sink->send(small_message(2)).ok());
  auto unavailable = sink->send(small_message(3));
  REQUIRE_FALSE(unavailable.ok());
  CHECK(unavailable.error().kind == ErrorKind::network);
  CHECK(unavailable.error().detail.find("answered HTTP 503") != std::string::npos);
  CHECK(sink->delivered() == 2);
  const int port = receiver.port();
  receiver.stop();
  sink->reset();
  auto down = sink->send(small_message(4));
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().detail.find("http://127.0.0.1:" + std::to_string(port) + "/gelf: ") == 0);
}
