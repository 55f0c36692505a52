// IP addresses and CIDR ranges, for matching report source IPs against a domain's
// `authorized_ips` (RFC 4632 CIDR notation for IPv4, RFC 4291 §2.2/§2.3 text forms and
// prefixes for IPv6, including "::" compression and a trailing dotted IPv4 part).
//
// Why our own: the advisor classifies every source of every domain on each run, so matching
// must be cheap (no allocation, no system resolver: inet_pton would do but cannot parse a
// prefix and varies with locale-free edge cases) and pure. IPv4 addresses are held as
// IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2), so a report that writes a v4 source
// in mapped form still matches a v4 range. Pure, no dependencies.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::advise {

struct IpAddress
{
  std::array<uint8_t, 16> bytes{};   // network order; IPv4 as ::ffff:a.b.c.d
  bool v4 = false;                   // written as dotted IPv4 (or IPv4-mapped IPv6)

  bool operator==(const IpAddress&) const = default;
};

// Parses "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1". No surrounding spaces, no zone
// ("%eth0"), no leading zeros in IPv4 parts (ambiguous: octal). nullopt when malformed.
std::optional<IpAddress> parse_ip(std::string_view text);

struct IpRange
{
  IpAddress base;                    // the network address (host bits cleared)
  int prefix = 128;                  // in IPv6 bits: an IPv4 /24 is 96 + 24 = 120

  // True when `ip` lies in this range.
  bool contains(const IpAddress& ip) const;
};

// Parses "198.51.100.0/24", "2001:db8:10::/48", or a bare address (a single host).
// Host bits below the prefix are ignored ("192.0.2.7/24" is 192.0.2.0/24). nullopt when
// malformed or the prefix is out of range (IPv4 0..32, IPv6 0..128).
std::optional<IpRange> parse_range(std::string_view text);

// A set of ranges: matching is a linear scan, which beats any tree for the handful of
// ranges a domain lists.
class IpRangeSet
{
public:
  // Adds `text`; false (and nothing added) when it is not a range.
  bool add(std::string_view text);
  // True when some range contains `ip`.
  bool contains(const IpAddress& ip) const;
  // The text of the first range (as given) that contains `ip`; "" when none.
  std::string_view matching(const IpAddress& ip) const;
  bool empty() const { return m_ranges.empty(); }

private:
  std::vector<IpRange> m_ranges;
  std::vector<std::string> m_texts;
};

} // namespace dmarc::advise
