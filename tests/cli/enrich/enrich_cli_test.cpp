// dmarcctl enrich against a real authoritative server on loopback: a forward-confirmed PTR,
// a PTR whose A does not match, NXDOMAIN, an IPv6 source, a silent server (the run finishes,
// the next run asks again); import without --enrich asks no DNS at all.
#include "support/nsd_server.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

using namespace dmarc::test;

namespace {

std::string record(const std::string& ip)
{
  return "<record><row><source_ip>" + ip + "</source_ip><count>3</count><policy_evaluated>"
         "<disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>"
         "<identifiers><header_from>example.com</header_from></identifiers><auth_results>"
         "<dkim><domain>example.com</domain><result>pass</result></dkim>"
         "<spf><domain>example.com</domain><result>pass</result></spf></auth_results></record>";
}

std::string report()
{
  return "<?xml version=\"1.0\"?><feedback><report_metadata><org_name>t</org_name>"
         "<email>a@t.example</email><report_id>r1</report_id><date_range><begin>1700000000</begin>"
         "<end>1700086400</end></date_range></report_metadata><policy_published><domain>example.com"
         "</domain><p>none</p></policy_published>"
         + record("192.0.2.1") + record("192.0.2.2") + record("192.0.2.3") + record("2001:db8::25")
         + "</feedback>";
}

std::string sql(const std::string& db, const std::string& q)
{
  return run({"/usr/bin/sqlite3", db, q}).out;
}

} // namespace

TEST_CASE("enrich against NSD: FCrDNS, mismatch, NXDOMAIN, IPv6; import asks no DNS")
{
  TempDir dir;
  write_file(dir / "r.xml", report());
  SilentUdpServer silent;
  write_file(dir / "silent.toml", "[enrich]\ndns_servers = [\"" + silent.address() + "\"]\ntimeout_ms = 100\nretries = 0\n");
  const std::string db = dir / "t.sqlite";

  auto imported = dmarcctl({"-c", dir / "silent.toml", "--db", db, "import", dir / "r.xml"});
  REQUIRE(imported.exit_code == 0);
  CHECK(silent.received() == 0);
  CHECK(sql(db, "select count(*) from sources") == "0\n");

  // A silent server: the run finishes, every lookup a timeout, asked again next run.
  auto timed = dmarcctl({"-c", dir / "silent.toml", "--db", db, "enrich"});
  CHECK(timed.exit_code == 0);
  CHECK(silent.received() == 4);
  CHECK(sql(db, "select count(*) from sources where rdns_status = 'timeout'") == "4\n");

  auto nsd = NsdServer::start({
    {"in-addr.arpa", "1.2.0.192 PTR mail.example.net.\n2.2.0.192 PTR liar.example.net.\n"},
    {"ip6.arpa", NsdServer::reverse_name("2001:db8::25") + " PTR mx.example.net.\n"},
    {"example.net", "mail A 192.0.2.1\nliar A 198.51.100.7\nmx AAAA 2001:db8::25\n"},
  });
  write_file(dir / "nsd.toml", "[enrich]\ndns_servers = [\"" + nsd->address() + "\"]\n"
                               "names = { \"example.net\" = [\"Example Relay\", \"Relay\"] }\n");
  auto enriched = dmarcctl({"-c", dir / "nsd.toml", "--db", db, "enrich"});
  REQUIRE(enriched.exit_code == 0);
  CHECK(enriched.err.find("enrich: 4 sources, 3 with reverse DNS (2 forward-confirmed), 1 without") != std::string::npos);
  CHECK(sql(db, "select ip, reverse_dns, base_domain, name, type, fcrdns, rdns_status, name_source from sources order by ip")
        == "192.0.2.1|mail.example.net|example.net|Example Relay|Relay|1|ok|ptr\n"
           "192.0.2.2|liar.example.net|example.net|Example Relay|Relay|0|ok|ptr\n"
           "192.0.2.3||example.com||||nxdomain|dkim\n"
           "2001:db8::25|mx.example.net|example.net|Example Relay|Relay|1|ok|ptr\n");
  CHECK(sql(db, "select rdns_status from sources where ip = '192.0.2.3'") == "nxdomain\n");
  // Nothing is due any more: a second run asks nothing.
  auto again = dmarcctl({"-c", dir / "nsd.toml", "--db", db, "enrich"});
  CHECK(again.err.find("enrich: 0 sources") != std::string::npos);
}
