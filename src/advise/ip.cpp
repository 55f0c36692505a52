#include "advise/ip.hpp"

#include <algorithm>

namespace dmarc::advise {

namespace {

int hex_value(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Dotted quad into out[0..3]; strict: four parts, 0..255, no leading zeros.
bool parse_v4(std::string_view s, uint8_t* out)
{
  int part = 0;
  std::size_t i = 0;
  while (part < 4) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') {
      return false;
    }
    const std::size_t start = i;
    unsigned value = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      if (value > 255 || i - start >= 3) {
        return false;
      }
      ++i;
    }
    if (i - start > 1 && s[start] == '0') {
      return false;
    }
    out[part++] = static_cast<uint8_t>(value);
    if (part < 4) {
      if (i >= s.size() || s[i] != '.') {
        return false;
      }
      ++i;
    }
  }
  return i == s.size();
}

bool parse_v6(std::string_view s, std::array<uint8_t, 16>& out)
{
  uint16_t groups[8] = {};
  int count = 0;
  int gap = -1;                      // index in groups where "::" stands
  std::size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
    if (i == s.size()) {
      out.fill(0);
      return true;
    }
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (i < s.size()) {
    // A trailing dotted IPv4 takes the last two groups.
    const std::size_t next_colon = s.find(':', i);
    const std::string_view piece =
      s.substr(i, next_colon == std::string_view::npos ? std::string_view::npos : next_colon - i);
    if (piece.find('.') != std::string_view::npos) {
      if (next_colon != std::string_view::npos || count > 6) {
        return false;
      }
      uint8_t v4[4];
      if (!parse_v4(piece, v4)) {
        return false;
      }
      groups[count++] = static_cast<uint16_t>(v4[0] << 8 | v4[1]);
      groups[count++] = static_cast<uint16_t>(v4[2] << 8 | v4[3]);
      i = s.size();
      break;
    }
    if (piece.empty() || piece.size() > 4 || count >= 8) {
      return false;
    }
    unsigned value = 0;
    for (char c : piece) {
      const int h = hex_value(c);
      if (h < 0) {
        return false;
      }
      value = value << 4 | static_cast<unsigned>(h);
    }
    groups[count++] = static_cast<uint16_t>(value);
    i += piece.size();
    if (i == s.size()) {
      break;
    }
    // s[i] == ':'
    ++i;
    if (i < s.size() && s[i] == ':') {
      if (gap >= 0) {
        return false;                // a second "::"
      }
      gap = count;
      ++i;
      if (i == s.size()) {
        break;
      }
    } else if (i == s.size()) {
      return false;                  // a single trailing ':'
    }
  }
  if (gap < 0 && count != 8) {
    return false;
  }
  if (gap >= 0 && count > 7) {
    return false;                    // "::" must stand for at least one group
  }
  uint16_t full[8] = {};
  if (gap < 0) {
    std::copy(groups, groups + 8, full);
  } else {
    const int tail = count - gap;
    std::copy(groups, groups + gap, full);
    std::copy(groups + gap, groups + count, full + (8 - tail));
  }
  for (int g = 0; g < 8; ++g) {
    out[static_cast<std::size_t>(2 * g)] = static_cast<uint8_t>(full[g] >> 8);
    out[static_cast<std::size_t>(2 * g + 1)] = static_cast<uint8_t>(full[g] & 0xff);
  }
  return true;
}

bool is_v4_mapped(const std::array<uint8_t, 16>& b)
{
  for (int i = 0; i < 10; ++i) {
    if (b[static_cast<std::size_t>(i)] != 0) {
      return false;
    }
  }
  return b[10] == 0xff && b[11] == 0xff;
}

} // namespace

std::optional<IpAddress> parse_ip(std::string_view text)
{
  IpAddress ip;
  if (text.empty() || text.size() > 45) {
    return std::nullopt;
  }
  if (text.find(':') == std::string_view::npos) {
    ip.bytes[10] = 0xff;
    ip.bytes[11] = 0xff;
    if (!parse_v4(text, ip.bytes.data() + 12)) {
      return std::nullopt;
    }
    ip.v4 = true;
    return ip;
  }
  if (!parse_v6(text, ip.bytes)) {
    return std::nullopt;
  }
  ip.v4 = is_v4_mapped(ip.bytes);
  return ip;
}

bool IpRange::contains(const IpAddress& ip) const
{
  const int full = prefix / 8;
  for (int i = 0; i < full; ++i) {
    if (ip.bytes[static_cast<std::size_t>(i)] != base.bytes[static_cast<std::size_t>(i)]) {
      return false;
    }
  }
  const int rest = prefix % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes[static_cast<std::size_t>(full)] & mask)
         == (base.bytes[static_cast<std::size_t>(full)] & mask);
}

std::optional<IpRange> parse_range(std::string_view text)
{
  const std::size_t slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) {
    return std::nullopt;
  }
  const bool dotted = text.substr(0, slash).find(':') == std::string_view::npos;
  IpRange range;
  range.base = *ip;
  if (slash == std::string_view::npos) {
    range.prefix = 128;
    return range;
  }
  const std::string_view digits = text.substr(slash + 1);
  if (digits.empty() || digits.size() > 3) {
    return std::nullopt;
  }
  int prefix = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    prefix = prefix * 10 + (c - '0');
  }
  if (dotted) {
    if (prefix > 32) {
      return std::nullopt;
    }
    prefix += 96;
  } else if (prefix > 128) {
    return std::nullopt;
  }
  range.prefix = prefix;
  // Clear the host bits so `base` is the network address.
  for (int bit = prefix; bit < 128; ++bit) {
    range.base.bytes[static_cast<std::size_t>(bit / 8)] &=
      static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  return range;
}

bool IpRangeSet::add(std::string_view text)
{
  auto range = parse_range(text);
  if (!range) {
    return false;
  }
  m_ranges.push_back(*range);
  m_texts.emplace_back(text);
  return true;
}

bool IpRangeSet::contains(const IpAddress& ip) const
{
  for (const IpRange& r : m_ranges) {
    if (r.contains(ip)) {
      return true;
    }
  }
  return false;
}

std::string_view IpRangeSet::matching(const IpAddress& ip) const
{
  for (std::size_t i = 0; i < m_ranges.size(); ++i) {
    if (m_ranges[i].contains(ip)) {
      return m_texts[i];
    }
  }
  return {};
}

} // namespace dmarc::advise
