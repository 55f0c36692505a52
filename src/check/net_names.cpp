#include "check/net_names.hpp"

#include <cstdio>

namespace dmarc::check {

std::string ip_text(const advise::IpAddress& ip)
{
  const auto& b = ip.bytes;
  if (ip.v4) {
    return std::to_string(b[12]) + "." + std::to_string(b[13]) + "." + std::to_string(b[14]) + "."
           + std::to_string(b[15]);
  }
  int words[8];
  for (int i = 0; i < 8; ++i) {
    words[i] = (b[2 * i] << 8) | b[2 * i + 1];
  }
  // The longest run of zero words (at least two) becomes "::".
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) {
      ++j;
    }
    if (j - i > best_len && j - i >= 2) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') {
      out += ':';
    }
    std::snprintf(buf, sizeof buf, "%x", words[i]);
    out += buf;
  }
  return out;
}

std::string reverse_name(const advise::IpAddress& ip)
{
  const auto& b = ip.bytes;
  if (ip.v4) {
    return std::to_string(b[15]) + "." + std::to_string(b[14]) + "." + std::to_string(b[13]) + "."
           + std::to_string(b[12]) + ".in-addr.arpa";
  }
  static const char* k_hex = "0123456789abcdef";
  std::string out;
  for (int i = 15; i >= 0; --i) {
    out += k_hex[b[i] & 0xf];
    out += '.';
    out += k_hex[b[i] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

} // namespace dmarc::check
