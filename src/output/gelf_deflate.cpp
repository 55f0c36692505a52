// Greedy LZ77 + fixed Huffman deflate (see gelf_deflate.hpp for the why). RFC 1951 §3.2.5
// gives the length and distance codes, §3.2.6 the fixed Huffman codes, §3.2.4 stored blocks;
// RFC 1950 the zlib framing (CMF 0x78: deflate, 32 KiB window; Adler-32 big-endian), RFC
// 1952 the gzip one (CRC-32 and size, little-endian).
#include "output/gelf_deflate.hpp"

#include "decompress/decompress.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace dmarc::output::detail {

namespace {

constexpr int k_hash_bits = 13;
constexpr std::size_t k_hash_size = std::size_t{1} << k_hash_bits;
constexpr std::size_t k_window = 32768;
constexpr std::size_t k_min_match = 4;
constexpr std::size_t k_max_match = 258;
constexpr std::size_t k_stored_max = 65535;

// A Huffman code (bits already reversed: deflate sends codes most significant bit first
// into an LSB-first stream) with its extra bits appended, and the total bit count.
struct Code
{
  uint32_t bits = 0;
  uint32_t count = 0;
};

constexpr uint32_t reverse(uint32_t code, uint32_t length)
{
  uint32_t r = 0;
  for (uint32_t i = 0; i < length; ++i) {
    r = (r << 1) | ((code >> i) & 1u);
  }
  return r;
}

// The fixed literal/length code of `symbol` (0..287), RFC 1951 §3.2.6.
constexpr Code fixed_symbol(uint32_t symbol)
{
  if (symbol < 144) return {reverse(0x30 + symbol, 8), 8};
  if (symbol < 256) return {reverse(0x190 + symbol - 144, 9), 9};
  if (symbol < 280) return {reverse(symbol - 256, 7), 7};
  return {reverse(0xc0 + symbol - 280, 8), 8};
}

constexpr std::array<uint16_t, 29> k_length_base = {3,  4,  5,  6,  7,  8,  9,  10, 11, 13,
                                                    15, 17, 19, 23, 27, 31, 35, 43, 51, 59,
                                                    67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<uint8_t, 29> k_length_extra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                    2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<uint16_t, 30> k_dist_base = {
  1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
  193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<uint8_t, 30> k_dist_extra = {0, 0, 0, 0, 1, 1, 2,  2,  3,  3,  4,  4,  5,  5,  6,
                                                  6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

struct Tables
{
  std::array<Code, 256> literal{};
  std::array<Code, k_max_match + 1> length{};   // index: match length 3..258
  std::array<uint8_t, 512> dist_code{};         // d-1 < 256: [d-1]; else [256 + ((d-1) >> 7)]
  std::array<uint8_t, 30> dist_reversed{};     // the fixed 5-bit distance codes, reversed

  Tables()
  {
    for (uint32_t c = 0; c < 256; ++c) {
      literal[c] = fixed_symbol(c);
    }
    for (std::size_t code = 0; code < k_length_base.size(); ++code) {
      const std::size_t last =
        code + 1 < k_length_base.size() ? k_length_base[code + 1] - 1u : k_max_match;
      for (std::size_t len = k_length_base[code]; len <= last; ++len) {
        const Code symbol = fixed_symbol(257 + static_cast<uint32_t>(code));
        const uint32_t extra = static_cast<uint32_t>(len - k_length_base[code]);
        length[len] = {symbol.bits | (extra << symbol.count), symbol.count + k_length_extra[code]};
      }
    }
    // Length 258 has its own code (285), not 284 with extra bits 31.
    {
      const Code symbol = fixed_symbol(285);
      length[k_max_match] = symbol;
    }
    for (uint8_t code = 0; code < k_dist_base.size(); ++code) {
      dist_reversed[code] = static_cast<uint8_t>(reverse(code, 5));
      const uint32_t first = k_dist_base[code];
      const uint32_t last = first + (1u << k_dist_extra[code]) - 1;
      for (uint32_t d = first; d <= last; ++d) {
        const uint32_t index = d - 1 < 256 ? d - 1 : 256 + ((d - 1) >> 7);
        dist_code[index] = code;
      }
    }
  }
};

const Tables& tables()
{
  static const Tables t;
  return t;
}

uint32_t load32(const unsigned char* p)
{
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t load64(const unsigned char* p)
{
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// How many bytes (k_min_match..max) at `at` repeat those at `earlier`; the first
// k_min_match are known equal, and both may be read up to `max` bytes.
std::size_t match_length(const unsigned char* earlier, const unsigned char* at, std::size_t max)
{
  std::size_t len = k_min_match;
  while (std::endian::native == std::endian::little && len + 8 <= max) {
    const uint64_t diff = load64(earlier + len) ^ load64(at + len);
    if (diff != 0) {
      return len + static_cast<std::size_t>(__builtin_ctzll(diff)) / 8; // little-endian
    }
    len += 8;
  }
  while (len < max && earlier[len] == at[len]) {
    ++len;
  }
  return len;
}

uint32_t hash(uint32_t four_bytes)
{
  return (four_bytes * 2654435761u) >> (32 - k_hash_bits);
}

// An LSB-first bit stream into a buffer that is large enough (the caller sized it).
class BitWriter
{
public:
  explicit BitWriter(unsigned char* out) : m_out(out) {}

  void put(uint32_t bits, uint32_t count)
  {
    m_bits |= static_cast<uint64_t>(bits) << m_count;
    m_count += count;
    if (m_count >= 32) {
      if constexpr (std::endian::native == std::endian::little) {
        const auto low = static_cast<uint32_t>(m_bits);
        std::memcpy(m_out, &low, sizeof low);
        m_out += 4;
        m_bits >>= 32;
      } else {
        for (int i = 0; i < 4; ++i) {
          *m_out++ = static_cast<unsigned char>(m_bits);
          m_bits >>= 8;
        }
      }
      m_count -= 32;
    }
  }

  // Writes out the last partial byte; returns the end.
  unsigned char* finish()
  {
    while (m_count > 0) {
      *m_out++ = static_cast<unsigned char>(m_bits);
      m_bits >>= 8;
      m_count = m_count > 8 ? m_count - 8 : 0;
    }
    return m_out;
  }

private:
  unsigned char* m_out;
  uint64_t m_bits = 0;
  uint32_t m_count = 0;
};

std::size_t stored_size(std::size_t size)
{
  const std::size_t blocks = size == 0 ? 1 : (size + k_stored_max - 1) / k_stored_max;
  return size + 5 * blocks;
}

// Stored blocks of `in`; returns the end.
unsigned char* write_stored(const unsigned char* in, std::size_t size, unsigned char* out)
{
  std::size_t at = 0;
  do {
    const std::size_t n = std::min(size - at, k_stored_max);
    const bool final = at + n == size;
    *out++ = final ? 1 : 0;   // BFINAL, BTYPE 00, padding to the byte boundary
    *out++ = static_cast<unsigned char>(n);
    *out++ = static_cast<unsigned char>(n >> 8);
    *out++ = static_cast<unsigned char>(~n);
    *out++ = static_cast<unsigned char>(~n >> 8);
    if (n > 0) {
      std::memcpy(out, in + at, n);
    }
    out += n;
    at += n;
  } while (at < size);
  return out;
}

void put_be32(unsigned char* out, uint32_t v)
{
  out[0] = static_cast<unsigned char>(v >> 24);
  out[1] = static_cast<unsigned char>(v >> 16);
  out[2] = static_cast<unsigned char>(v >> 8);
  out[3] = static_cast<unsigned char>(v);
}

void put_le32(unsigned char* out, uint32_t v)
{
  out[0] = static_cast<unsigned char>(v);
  out[1] = static_cast<unsigned char>(v >> 8);
  out[2] = static_cast<unsigned char>(v >> 16);
  out[3] = static_cast<unsigned char>(v >> 24);
}

} // namespace

FastDeflater::FastDeflater(DeflateFraming framing)
  : m_framing(framing), m_table(std::make_unique<uint32_t[]>(k_hash_size))
{
  std::fill_n(m_table.get(), k_hash_size, 0u);
}

FastDeflater::~FastDeflater() = default;

std::size_t FastDeflater::bound(std::size_t size)
{
  return stored_size(size) + 18;
}

void FastDeflater::compress(std::string_view input, std::string& out)
{
  const Tables& t = tables();
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  const std::size_t n = input.size();
  const std::size_t start = out.size();
  // Room for the fixed Huffman attempt: 3 header bits, at most 9 bits per byte, 7 for the
  // end of block, 8 for the last partial flush; it is cut to stored blocks if larger.
  out.resize(start + std::max(n + n / 8 + 4, stored_size(n)) + 18 + 8);
  auto* const begin = reinterpret_cast<unsigned char*>(out.data()) + start;
  unsigned char* p = begin;

  if (m_framing == DeflateFraming::zlib) {
    *p++ = 0x78; // deflate, 32 KiB window
    *p++ = 0x01; // fastest, no dictionary; (0x78 << 8 | 0x01) % 31 == 0
  } else {
    static constexpr unsigned char k_gzip[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    std::memcpy(p, k_gzip, sizeof k_gzip);
    p += sizeof k_gzip;
  }
  unsigned char* const deflate_start = p;

  // Positions are stored as m_base + offset, so entries of earlier inputs (below m_base)
  // are stale without clearing the table; it is cleared only when the offsets would wrap.
  const bool lz77 = n <= 0x7fffffffu;
  if (lz77 && n > 0xffffffffu - m_base) {
    std::fill_n(m_table.get(), k_hash_size, 0u);
    m_base = 0;
  }
  uint32_t* table = m_table.get();
  const uint32_t base = m_base;

  BitWriter bits(p);
  bits.put(3, 3); // BFINAL 1, BTYPE 01 (fixed Huffman)
  std::size_t i = 0;
  if (lz77 && n >= k_min_match + 8) {
    // Stop while 8 bytes remain, so loads never read past the input.
    const std::size_t limit = n - k_min_match - 8;
    while (i <= limit) {
      const uint32_t v = load32(in + i);
      const uint32_t h = hash(v);
      const uint32_t candidate = table[h];
      table[h] = base + static_cast<uint32_t>(i);
      if (candidate >= base) {
        const std::size_t c = candidate - base;
        if (i - c - 1 < k_window && load32(in + c) == v) { // 1 <= distance <= 32 KiB
          const std::size_t len = match_length(in + c, in + i, std::min(k_max_match, n - i));
          const Code& l = t.length[len];
          bits.put(l.bits, l.count);
          const uint32_t d = static_cast<uint32_t>(i - c);
          const uint8_t code = t.dist_code[d - 1 < 256 ? d - 1 : 256 + ((d - 1) >> 7)];
          bits.put(t.dist_reversed[code], 5);
          if (k_dist_extra[code] > 0) {
            bits.put(d - k_dist_base[code], k_dist_extra[code]);
          }
          // Index the positions inside the match, for the matches after it.
          const std::size_t end = i + len;
          for (std::size_t k = i + 1; k < end && k <= limit; ++k) {
            table[hash(load32(in + k))] = base + static_cast<uint32_t>(k);
          }
          i = end;
          continue;
        }
      }
      const Code& c = t.literal[in[i]];
      bits.put(c.bits, c.count);
      ++i;
    }
  }
  for (; i < n; ++i) {
    const Code& c = t.literal[in[i]];
    bits.put(c.bits, c.count);
  }
  bits.put(0, 7); // end of block (256)
  p = bits.finish();
  if (lz77) {
    m_base = base + static_cast<uint32_t>(n);
  }

  if (static_cast<std::size_t>(p - deflate_start) > stored_size(n)) {
    p = write_stored(in, n, deflate_start);
  }
  if (m_framing == DeflateFraming::zlib) {
    put_be32(p, decompress::adler32(input));
  } else {
    put_le32(p, decompress::crc32(input));
    put_le32(p + 4, static_cast<uint32_t>(n));
    p += 4;
  }
  p += 4;
  out.resize(start + static_cast<std::size_t>(p - begin));
}

} // namespace dmarc::output::detail
