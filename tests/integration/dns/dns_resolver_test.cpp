// DnsResolver (c-ares) against a real authoritative server on loopback: every record type,
// negative answers with their TTL, odd bytes returned as served, a silent server (bounded
// timeout, retries counted), a refusing server, and many queries in flight.
#include "net/dns_resolver.hpp"
#include "support/nsd_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using dmarc::net::DnsAnswer;
using dmarc::net::DnsOptions;
using dmarc::net::DnsResolver;
using dmarc::net::DnsStatus;
using dmarc::net::DnsType;
using dmarc::test::NsdServer;

namespace {

std::string big_txt()
{
  std::string rr = "big TXT";
  for (int i = 0; i < 250; ++i) {
    rr += " \"" + std::string(250, static_cast<char>('a' + i % 26)) + "\"";
  }
  return rr + "\n";
}

NsdServer& server()
{
  static auto nsd = NsdServer::start({
    {"in-addr.arpa",
     "4.3.2.1 PTR mail.example.test.\n"
     "5.3.2.1 PTR bad\\001name\\008x.example.test.\n"
     "6.3.2.1 PTR " + std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(50, 'd') + ".test.\n"
     "7.3.2.1 600 PTR one.example.test.\n7.3.2.1 120 PTR two.example.test.\n"},
    {"ip6.arpa", NsdServer::reverse_name("2001:db8::1") + " PTR mail.example.test.\n"},
    {"example.test",
     "$TTL 3600\n"
     "mail A 1.2.3.4\nmail AAAA 2001:db8::1\n"
     "alias CNAME mail.example.test.\n"
     "@ MX 10 mx1.example.test.\n@ MX 20 mx2.example.test.\n"
     "_dmarc TXT \"v=DMARC1; \" \"p=none\"\n"
     "*.many A 10.0.0.1\n"
     + big_txt()},
    {"broken.test", "x TXT \"" + std::string(300, 'x') + "\"\n"},
  });
  return *nsd;
}

std::unique_ptr<DnsResolver> resolver(DnsOptions options = {})
{
  if (options.servers.empty()) {
    options.servers = {server().address()};
  }
  auto r = DnsResolver::create(options);
  REQUIRE(r.ok());
  return std::move(*r);
}

DnsAnswer ask(DnsResolver& r, const std::string& name, DnsType type)
{
  DnsAnswer out;
  int calls = 0;
  r.query(name, type, [&](const DnsAnswer& a) { out = a; ++calls; });
  r.run();
  REQUIRE(calls == 1);
  return out;
}

} // namespace

TEST_CASE("positive answers of every type")
{
  auto r = resolver();
  auto a = ask(*r, "mail.example.test", DnsType::a);
  CHECK(a.status == DnsStatus::ok);
  CHECK(a.records == std::vector<std::string>{"1.2.3.4"});
  CHECK(a.ttl == 3600);
  auto aaaa = ask(*r, "mail.example.test", DnsType::aaaa);
  CHECK(aaaa.records == std::vector<std::string>{"2001:db8::1"});
  auto ptr = ask(*r, "4.3.2.1.in-addr.arpa", DnsType::ptr);
  CHECK(ptr.status == DnsStatus::ok);
  CHECK(ptr.records == std::vector<std::string>{"mail.example.test"});
  CHECK(ptr.ttl == 300);
  auto ptr6 = ask(*r, NsdServer::reverse_name("2001:db8::1"), DnsType::ptr);
  CHECK(ptr6.records == std::vector<std::string>{"mail.example.test"});
  auto mx = ask(*r, "example.test", DnsType::mx);
  std::sort(mx.records.begin(), mx.records.end());
  CHECK(mx.records == std::vector<std::string>{"10 mx1.example.test", "20 mx2.example.test"});
  auto txt = ask(*r, "_dmarc.example.test", DnsType::txt);
  CHECK(txt.records == std::vector<std::string>{"v=DMARC1; p=none"});
  auto cname = ask(*r, "alias.example.test", DnsType::cname);
  CHECK(cname.records == std::vector<std::string>{"mail.example.test"});
  auto via_cname = ask(*r, "alias.example.test", DnsType::a);
  CHECK(via_cname.records == std::vector<std::string>{"1.2.3.4"});
  auto two = ask(*r, "7.3.2.1.in-addr.arpa", DnsType::ptr);
  CHECK(two.records.size() == 2);
  CHECK(two.ttl == 120); // the smallest of the RRset's TTLs as served
}

TEST_CASE("negative answers carry the SOA minimum")
{
  auto r = resolver();
  auto nx = ask(*r, "9.9.9.9.in-addr.arpa", DnsType::ptr);
  CHECK(nx.status == DnsStatus::nxdomain);
  CHECK(nx.records.empty());
  CHECK(nx.ttl == 300);
  CHECK_FALSE(nx.error.empty());
  auto nodata = ask(*r, "mail.example.test", DnsType::txt);
  CHECK(nodata.status == DnsStatus::nodata);
  CHECK(nodata.ttl == 300);
}

TEST_CASE("odd answers are returned as the bytes served")
{
  auto r = resolver();
  auto ctrl = ask(*r, "5.3.2.1.in-addr.arpa", DnsType::ptr);
  REQUIRE(ctrl.status == DnsStatus::ok);
  CHECK(ctrl.records == std::vector<std::string>{std::string("bad\x01name\x08x.example.test")});
  auto longname = ask(*r, "6.3.2.1.in-addr.arpa", DnsType::ptr);
  REQUIRE(longname.records.size() == 1);
  CHECK(longname.records[0].size() == 63 + 1 + 63 + 1 + 63 + 1 + 50 + 5);
  auto big = ask(*r, "big.example.test", DnsType::txt); // > 512 bytes: over TCP
  REQUIRE(big.status == DnsStatus::ok);
  REQUIRE(big.records.size() == 1);
  CHECK(big.records[0].size() == 250u * 250u);
  CHECK(big.records[0].substr(0, 3) == "aaa");
  CHECK(big.records[0].substr(62497) == "ppp");
}

TEST_CASE("a zone the server cannot load answers SERVFAIL, an unserved one REFUSED")
{
  auto r = resolver();
  auto sf = ask(*r, "x.broken.test", DnsType::txt);
  CHECK(sf.status == DnsStatus::servfail);
  auto refused = ask(*r, "www.not-served.example", DnsType::a);
  CHECK(refused.status == DnsStatus::refused);
}

TEST_CASE("a port nothing listens on is a refusal, at once")
{
  DnsOptions o;
  o.servers = {"127.0.0.1:" + std::to_string(dmarc::test::closed_port())};
  o.timeout_ms = 3000;
  auto r = resolver(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto a = ask(*r, "mail.example.test", DnsType::a);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  CHECK(a.status == DnsStatus::refused);
  CHECK(ms < 2500);
}

TEST_CASE("a silent server times out within timeout × tries, retried, never hangs")
{
  dmarc::test::SilentUdpServer silent;
  DnsOptions o;
  o.servers = {silent.address()};
  o.timeout_ms = 200;
  o.retries = 1;
  auto r = resolver(o);
  std::vector<DnsAnswer> answers;
  for (int i = 0; i < 5; ++i) {
    r->query("q" + std::to_string(i) + ".example.test", DnsType::a, [&](const DnsAnswer& a) { answers.push_back(a); });
  }
  const auto t0 = std::chrono::steady_clock::now();
  r->run();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(answers.size() == 5);
  for (const auto& a : answers) {
    CHECK(a.status == DnsStatus::timeout);
    CHECK_FALSE(a.error.empty());
  }
  CHECK(ms >= 350);
  CHECK(ms < 1500);
  CHECK(silent.received() == 10); // 5 queries × 2 tries
  CHECK(r->stats().timeouts == 5);
  CHECK(r->stats().attempts == 10);
}

TEST_CASE("many queries in flight, and callbacks that queue more")
{
  DnsOptions o;
  o.concurrency = 16;
  auto r = resolver(o);
  int ok = 0;
  for (int i = 0; i < 2000; ++i) {
    r->query("h" + std::to_string(i) + ".many.example.test", DnsType::a, [&](const DnsAnswer& a) {
      const bool good = a.status == DnsStatus::ok && a.records == std::vector<std::string>{"10.0.0.1"};
      if (!good) UNSCOPED_INFO("failed: " << dmarc::net::to_string(a.status) << " " << a.error);
      ok += good;
    });
  }
  std::string confirmed;
  r->query("4.3.2.1.in-addr.arpa", DnsType::ptr, [&](const DnsAnswer& ptr) {
    REQUIRE(ptr.records.size() == 1);
    r->query(ptr.records[0], DnsType::a, [&](const DnsAnswer& a) {
      if (!a.records.empty()) confirmed = a.records[0];
    });
  });
  r->run();
  UNSCOPED_INFO("attempts " << r->stats().attempts << " timeouts " << r->stats().timeouts);
  CHECK(ok == 2000);
  CHECK(confirmed == "1.2.3.4");
  CHECK(r->stats().queries == 2002);
}

TEST_CASE("server specs")
{
  using dmarc::net::parse_dns_server;
  CHECK(parse_dns_server("127.0.0.1")->port == 53);
  CHECK(parse_dns_server("127.0.0.1:5353")->port == 5353);
  CHECK(parse_dns_server("[::1]:5353")->address == "::1");
  CHECK(parse_dns_server("::1")->address == "::1");
  CHECK(parse_dns_server("2001:db8::53")->port == 53);
  auto bad = parse_dns_server("dns.example:53");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().detail == "DNS server \"dns.example:53\": not an IP address (expected IP, IP:port or [IPv6]:port)");
  CHECK_FALSE(parse_dns_server("127.0.0.1:99999").ok());
  CHECK_FALSE(DnsResolver::create({{"nonsense"}, 100, 0, 1}).ok());
}

TEST_CASE("the fake answers from its table and records the questions")
{
  dmarc::net::FakeDnsResolver fake;
  fake.add("4.3.2.1.in-addr.arpa", DnsType::ptr, {DnsStatus::ok, {"mail.example.test"}, 60, ""});
  std::string got;
  fake.query("4.3.2.1.in-addr.arpa", DnsType::ptr, [&](const DnsAnswer& a) {
    got = a.records.at(0);
    fake.query(got, DnsType::a, [&](const DnsAnswer& a2) { got += "/" + std::string(dmarc::net::to_string(a2.status)); });
  });
  fake.run();
  CHECK(got == "mail.example.test/nxdomain");
  CHECK(fake.asked == std::vector<std::string>{"PTR 4.3.2.1.in-addr.arpa", "A mail.example.test"});
}
