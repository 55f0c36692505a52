// A fast one-shot deflate (RFC 1951) for GELF messages over UDP, framed as zlib (RFC 1950)
// or gzip (RFC 1952).
//
// Why not zlib's deflate: a GELF message is about 1 KB, and for inputs that small zlib's
// fixed cost per stream (clearing its 64 KiB hash head on reset, building and sending
// dynamic Huffman trees for one block) dominates: about 7 µs of CPU per message even at
// level 1, more than reading, encoding and sending the message together, which caps one
// core far below 100,000 messages/s. This encoder does greedy LZ77 (4-byte hash, matches of
// 4..258 bytes within the 32 KiB window) with the fixed Huffman codes of RFC 1951 §3.2.6:
// no tree to build or send, no table to clear between messages. Inputs it cannot shrink go
// as stored blocks, so the output is never more than 5 bytes per 65,535 of input plus the
// framing larger than the input (what GELF chunk planning in gelf_udp.cpp relies on).
// Every stream is complete and independent: any inflate (Graylog's java.util.zip, zlib)
// decodes each message alone.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace dmarc::output::detail {

enum class DeflateFraming { zlib, gzip };

// Not thread-safe: one per thread. Its 32 KiB hash table is allocated once.
class FastDeflater
{
public:
  explicit FastDeflater(DeflateFraming framing);
  ~FastDeflater();
  FastDeflater(const FastDeflater&) = delete;
  FastDeflater& operator=(const FastDeflater&) = delete;

  // Appends one complete zlib or gzip stream of `input` to `out`.
  void compress(std::string_view input, std::string& out);

  // The most bytes compress() appends for an input of `size` bytes: the input as stored
  // blocks (5 bytes per 65,535) plus the gzip header and trailer.
  static std::size_t bound(std::size_t size);

private:
  DeflateFraming m_framing;
  std::unique_ptr<uint32_t[]> m_table;  // hash → position + m_base of its last occurrence
  uint32_t m_base = 0;                  // positions below belong to earlier inputs
};


} // namespace dmarc::output::detail
