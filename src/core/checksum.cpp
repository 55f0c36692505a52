#include "core/checksum.hpp"

#include <cstdint>
#include <cstring>

namespace dmarc {

std::string checksum(std::string_view bytes)
{
  // Word-at-a-time multiply-xorshift mixing, finished with a 64-bit avalanche.
  constexpr uint64_t k_mul = 0x9E3779B97F4A7C15ULL;
  uint64_t h = 0xcbf29ce484222325ULL ^ (bytes.size() * k_mul);
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n >= 8) {
    uint64_t w = 0;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * k_mul;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail ^ (uint64_t{n} << 56)) * k_mul;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  static const char* k_hex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = k_hex[h & 0xF];
    h >>= 4;
  }
  return out;
}

} // namespace dmarc
