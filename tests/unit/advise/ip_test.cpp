// The pure IP / CIDR parser of src/advise/ip.hpp: RFC 4291 text forms, prefixes, matching.
#include "advise/ip.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

using namespace dmarc::advise;

TEST_CASE("IPv4 addresses parse strictly")
{
  auto ip = parse_ip("192.0.2.1");
  REQUIRE(ip);
  CHECK(ip->v4);
  CHECK(ip->bytes[10] == 0xff);
  CHECK(ip->bytes[11] == 0xff);
  CHECK(ip->bytes[12] == 192);
  CHECK(ip->bytes[15] == 1);
  CHECK(parse_ip("0.0.0.0"));
  CHECK(parse_ip("255.255.255.255"));
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "01.2.3.4", "1..2.3",
                          "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "a.b.c.d", "1.2.3.4/24", "1.2.3.",
                          "1234.1.1.1"}) {
    INFO(bad);
    CHECK_FALSE(parse_ip(bad));
  }
}

TEST_CASE("IPv6 addresses parse in every RFC 4291 text form")
{
  struct Case
  {
    const char* text;
    const char* hex; // 32 hex digits
  };
  const Case cases[] = {
    {"2001:db8::1", "20010db8000000000000000000000001"},
    {"2001:DB8:0:0:0:0:0:1", "20010db8000000000000000000000001"},
    {"::", "00000000000000000000000000000000"},
    {"::1", "00000000000000000000000000000001"},
    {"1::", "00010000000000000000000000000000"},
    {"1:2:3:4:5:6:7:8", "00010002000300040005000600070008"},
    {"1:2:3:4:5:6:7::", "00010002000300040005000600070000"},
    {"::2:3:4:5:6:7:8", "00000002000300040005000600070008"},
    {"fe80::a:b", "fe8000000000000000000000000a000b"},
    {"::ffff:192.0.2.1", "00000000000000000000ffffc0000201"},
    {"64:ff9b::198.51.100.7", "0064ff9b0000000000000000c6336407"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto ip = parse_ip(c.text);
    REQUIRE(ip);
    std::string hex;
    for (uint8_t b : ip->bytes) {
      char buf[3];
      std::snprintf(buf, sizeof buf, "%02x", b);
      hex += buf;
    }
    CHECK(hex == c.hex);
  }
  CHECK(parse_ip("::ffff:192.0.2.1")->v4);
  CHECK_FALSE(parse_ip("2001:db8::1")->v4);
  for (const char* bad : {":", ":::", "1:::2", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
                          "12345::1", "g::1", "1:2:", ":1:2::", "::1.2.3", "1.2.3.4::",
                          "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0", "1:2:3:4:5:6:7:8::"}) {
    INFO(bad);
    CHECK_FALSE(parse_ip(bad));
  }
  CHECK(parse_ip("1:2:3:4:5:6:1.2.3.4"));
}

TEST_CASE("ranges match by prefix, IPv4 as mapped IPv6")
{
  auto r = parse_range("198.51.100.0/24");
  REQUIRE(r);
  CHECK(r->prefix == 120);
  CHECK(r->contains(*parse_ip("198.51.100.0")));
  CHECK(r->contains(*parse_ip("198.51.100.255")));
  CHECK(r->contains(*parse_ip("::ffff:198.51.100.7")));
  CHECK_FALSE(r->contains(*parse_ip("198.51.101.0")));
  CHECK_FALSE(r->contains(*parse_ip("198.51.99.255")));

  // Host bits below the prefix are ignored; odd prefixes cut inside a byte.
  auto odd = parse_range("192.0.2.77/27");
  REQUIRE(odd);
  CHECK(odd->contains(*parse_ip("192.0.2.64")));
  CHECK(odd->contains(*parse_ip("192.0.2.95")));
  CHECK_FALSE(odd->contains(*parse_ip("192.0.2.96")));
  CHECK_FALSE(odd->contains(*parse_ip("192.0.2.63")));

  auto host = parse_range("203.0.113.10");
  REQUIRE(host);
  CHECK(host->contains(*parse_ip("203.0.113.10")));
  CHECK_FALSE(host->contains(*parse_ip("203.0.113.11")));
  CHECK(parse_range("203.0.113.10/32")->contains(*parse_ip("203.0.113.10")));
  CHECK(parse_range("0.0.0.0/0")->contains(*parse_ip("8.8.8.8")));
  CHECK_FALSE(parse_range("0.0.0.0/0")->contains(*parse_ip("2001:db8::1")));

  auto v6 = parse_range("2001:db8:10::/48");
  REQUIRE(v6);
  CHECK(v6->contains(*parse_ip("2001:db8:10:ffff::1")));
  CHECK_FALSE(v6->contains(*parse_ip("2001:db8:11::1")));
  CHECK_FALSE(v6->contains(*parse_ip("198.51.100.1")));
  CHECK(parse_range("::/0")->contains(*parse_ip("198.51.100.1")));
  CHECK(parse_range("2001:db8::1/128")->contains(*parse_ip("2001:db8::1")));
  CHECK(parse_range("2001:db8::/33")->contains(*parse_ip("2001:db8:7fff::1")));
  CHECK_FALSE(parse_range("2001:db8::/33")->contains(*parse_ip("2001:db8:8000::1")));

  for (const char* bad : {"198.51.100.0/33", "2001:db8::/129", "198.51.100.0/", "1.2.3.4/x",
                          "/24", "1.2.3.4/-1", "1.2.3.4/0024", "example.com"}) {
    INFO(bad);
    CHECK_FALSE(parse_range(bad));
  }
}

TEST_CASE("a range set names the range that matched")
{
  IpRangeSet set;
  CHECK(set.empty());
  CHECK(set.add("203.0.113.10/32"));
  CHECK(set.add("2001:db8:10::/48"));
  CHECK_FALSE(set.add("not-a-range"));
  CHECK(set.matching(*parse_ip("2001:db8:10::25")) == "2001:db8:10::/48");
  CHECK(set.matching(*parse_ip("203.0.113.10")) == "203.0.113.10/32");
  CHECK(set.matching(*parse_ip("203.0.113.11")).empty());
  CHECK_FALSE(set.contains(*parse_ip("192.0.2.1")));
}
