// ④ parse: DMARC aggregate XML. Field values of each fixture, every error detail, the caps,
// the repair cases and the DTD handling (RFC 7489 Appendix C, RFC 9990 Appendix A).
#include "formats/dmarc_xml.hpp"

#include "formats_test_support.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

using dmarc::AggregateReport;
using dmarc::ErrorKind;
using dmarc::Limits;
using dmarc::Result;
using dmarc::formats::parse_aggregate;
using dmarc::formats::test::fixture;

namespace {

constexpr const char* k_fffd = "\xEF\xBF\xBD";

// Parses a copy of `xml` (the parser uses its argument as the buffer).
Result<AggregateReport> parse(std::string xml, const Limits& limits = Limits{})
{
  return parse_aggregate(xml, limits);
}

Result<AggregateReport> parse_fixture(std::string_view name, const Limits& limits = Limits{})
{
  std::string xml = fixture(std::string("dmarc/") + std::string(name));
  REQUIRE_FALSE(xml.empty());
  return parse_aggregate(xml, limits);
}

// A minimal valid report with `records` spliced in as the record list.
std::string report_with(std::string_view metadata, std::string_view policy,
                        std::string_view records)
{
  return "<feedback><report_metadata>" + std::string(metadata)
         + "</report_metadata><policy_published>" + std::string(policy)
         + "</policy_published>" + std::string(records) + "</feedback>";
}

const std::string k_metadata =
  "<org_name>example.net</org_name><report_id>id-1</report_id>"
  "<date_range><begin>1700000000</begin><end>1700086399</end></date_range>";
const std::string k_policy = "<domain>example.com</domain><p>none</p>";
const std::string k_record =
  "<record><row><source_ip>192.0.2.1</source_ip><count>3</count><policy_evaluated>"
  "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>"
  "<identifiers><header_from>example.com</header_from></identifiers></record>";

std::string error_of(const Result<AggregateReport>& result)
{
  REQUIRE_FALSE(result.ok());
  return result.error().to_string();
}

} // namespace

TEST_CASE("RFC 7489 report: every field of metadata, policy and records")
{
  const auto r = parse_fixture("rfc7489-plain.xml");
  REQUIRE(r.ok());
  CHECK(r->version == "1.0");
  CHECK(r->xml_namespace.empty());
  CHECK(r->org_name == "example.net");
  CHECK(r->email == "dmarc@example.net");
  CHECK_FALSE(r->extra_contact_info.has_value());
  CHECK(r->report_id == "rfc7489-plain-1");
  CHECK(r->begin == 1700000000);
  CHECK(r->end == 1700086399);
  CHECK_FALSE(r->generator.has_value());
  CHECK(r->errors.empty());
  CHECK(r->policy.domain == "example.com");
  CHECK(r->policy.adkim == "r");
  CHECK(r->policy.aspf == "r");
  CHECK(r->policy.p == "none");
  CHECK(r->policy.sp == "none");
  CHECK_FALSE(r->policy.np.has_value());
  CHECK(r->policy.pct == 100);
  CHECK(r->policy.fo == "0");
  CHECK_FALSE(r->policy.testing.has_value());
  CHECK_FALSE(r->policy.discovery_method.has_value());
  CHECK_FALSE(r->recovered);
  REQUIRE(r->records.size() == 3);

  const auto& first = r->records[0];
  CHECK(first.source_ip == "192.0.2.10");
  CHECK(first.count == 12);
  CHECK(first.disposition == "none");
  CHECK(first.dkim == "pass");
  CHECK(first.spf == "pass");
  CHECK(first.reasons.empty());
  CHECK(first.header_from == "example.com");
  CHECK(first.envelope_from == "example.com");
  CHECK_FALSE(first.envelope_to.has_value());
  REQUIRE(first.dkim_results.size() == 1);
  CHECK(first.dkim_results[0].domain == "example.com");
  CHECK(first.dkim_results[0].selector == "s1");
  CHECK(first.dkim_results[0].result == "pass");
  CHECK_FALSE(first.dkim_results[0].human_result.has_value());
  REQUIRE(first.spf_results.size() == 1);
  CHECK(first.spf_results[0].domain == "example.com");
  CHECK(first.spf_results[0].scope == "mfrom");
  CHECK(first.spf_results[0].result == "pass");
  // Alignment is computed later, at import.
  CHECK_FALSE(first.dkim_aligned);

  CHECK(r->records[1].source_ip == "198.51.100.20");
  CHECK(r->records[1].dkim == "fail");
  CHECK(r->records[1].envelope_from == "bounce.example.org");
  CHECK(r->records[2].count == 5);
  CHECK(r->records[2].spf_results[0].result == "fail");
}

TEST_CASE("RFC 9990 namespace: np, testing, discovery_method, generator")
{
  const auto r = parse_fixture("rfc9990-namespace.xml");
  REQUIRE(r.ok());
  CHECK(r->xml_namespace == "urn:ietf:params:xml:ns:dmarc-2.0");
  CHECK(r->version == "2.0");
  CHECK(r->generator == "Example Reporter 2.1");
  CHECK(r->extra_contact_info == "https://dmarc.example.net/help");
  CHECK(r->policy.adkim == "s");
  CHECK(r->policy.p == "quarantine");
  CHECK(r->policy.sp == "reject");
  CHECK(r->policy.np == "reject");
  CHECK(r->policy.testing == "y");
  CHECK(r->policy.discovery_method == "treewalk");
  CHECK_FALSE(r->policy.pct.has_value());
  CHECK_FALSE(r->policy.fo.has_value());
  REQUIRE(r->records.size() == 2);
  CHECK(r->records[1].disposition == "quarantine");
}

TEST_CASE("old dmarc.org namespace with a prefix on every element")
{
  const auto r = parse_fixture("dmarc-org-namespace.xml");
  REQUIRE(r.ok());
  CHECK(r->xml_namespace == "http://dmarc.org/dmarc-xml/0.1");
  CHECK(r->org_name == "example.net");
  CHECK(r->report_id == "dmarc-org-ns-1");
  CHECK(r->policy.pct == 100);
  REQUIRE(r->records.size() == 1);
  CHECK(r->records[0].count == 7);
  REQUIRE(r->records[0].dkim_results.size() == 1);
  CHECK(r->records[0].dkim_results[0].selector == "s1");
  CHECK(r->records[0].spf_results[0].scope == "mfrom");
}

TEST_CASE("draft schema: <identities> is read as <identifiers>")
{
  const auto r = parse_fixture("draft-identities.xml");
  REQUIRE(r);
  REQUIRE(r->records.size() == 1);
  CHECK(r->records[0].header_from == "Example.COM");
  REQUIRE(r->records[0].envelope_from);
  CHECK(*r->records[0].envelope_from == "bounce.example.com");
  CHECK_FALSE(r->version);
}

TEST_CASE("<reason> with the type as its text (rspamd) is an override reason")
{
  const auto r = parse_fixture("reason-as-text.xml");
  REQUIRE(r);
  REQUIRE(r->records.size() == 2);
  CHECK(r->records[0].disposition == "none");
  REQUIRE(r->records[0].reasons.size() == 1);
  CHECK(r->records[0].reasons[0].type == "sampled_out");
  CHECK_FALSE(r->records[0].reasons[0].comment);
  REQUIRE(r->records[1].reasons.size() == 1); // the empty <reason/> says nothing
  CHECK(r->records[1].reasons[0].type == "forwarded");
}

TEST_CASE("a repeated <policy_published>: the first one is the report's policy")
{
  const auto r = parse_fixture("two-policy-published.xml");
  REQUIRE(r);
  CHECK(r->policy.domain == "example.com");
  CHECK(r->policy.p == "reject");
  REQUIRE(r->policy.adkim);
  CHECK(*r->policy.adkim == "s");
  REQUIRE(r->policy.sp);
  CHECK(*r->policy.sp == "quarantine");
  REQUIRE(r->policy.pct);
  CHECK(*r->policy.pct == 100);
}

TEST_CASE("xsi/xsd declarations are not a default namespace")
{
  const auto r = parse_fixture("xsi-xsd.xml");
  REQUIRE(r.ok());
  CHECK(r->xml_namespace.empty());
  CHECK(r->org_name == "Example Mail");
  CHECK(r->records[0].envelope_to == "example.org");
}

TEST_CASE("no declaration, BOM, CRLF with comments before the root")
{
  const auto plain = parse_fixture("no-declaration.xml");
  REQUIRE(plain.ok());
  CHECK(plain->report_id == "no-decl-1");

  const auto bom = parse_fixture("bom.xml");
  REQUIRE(bom.ok());
  CHECK(bom->report_id == "bom-1");
  CHECK(bom->records[0].count == 9);

  const auto crlf = parse_fixture("crlf.xml");
  REQUIRE(crlf.ok());
  CHECK(crlf->report_id == "crlf-1");
  REQUIRE(crlf->records.size() == 2);
  CHECK(crlf->records[0].header_from == "example.com");
  CHECK(crlf->records[0].envelope_from == "example.com");
  CHECK(crlf->records[1].spf == "fail");
}

TEST_CASE("absent optional elements stay absent")
{
  const auto r = parse_fixture("missing-optional.xml");
  REQUIRE(r.ok());
  CHECK_FALSE(r->version.has_value());
  CHECK_FALSE(r->email.has_value());
  CHECK_FALSE(r->extra_contact_info.has_value());
  CHECK_FALSE(r->policy.adkim.has_value());
  CHECK_FALSE(r->policy.aspf.has_value());
  CHECK_FALSE(r->policy.sp.has_value());
  CHECK_FALSE(r->policy.pct.has_value());
  CHECK_FALSE(r->policy.fo.has_value());
  CHECK(r->policy.p == "reject");
  const auto& rec = r->records.at(0);
  CHECK_FALSE(rec.envelope_from.has_value());
  CHECK_FALSE(rec.envelope_to.has_value());
  CHECK_FALSE(rec.dkim_results.at(0).selector.has_value());
  CHECK_FALSE(rec.spf_results.at(0).scope.has_value());
  CHECK(rec.spf_results.at(0).result == "softfail");
}

TEST_CASE("empty optional elements are absent; empty <reason> is skipped")
{
  const auto r = parse_fixture("empty-elements.xml");
  REQUIRE(r.ok());
  CHECK(r->org_name.empty()); // present but empty: allowed
  CHECK_FALSE(r->version.has_value());
  CHECK_FALSE(r->email.has_value());
  CHECK_FALSE(r->extra_contact_info.has_value()); // white space only
  CHECK_FALSE(r->generator.has_value());
  CHECK_FALSE(r->policy.adkim.has_value());
  CHECK_FALSE(r->policy.aspf.has_value());
  CHECK_FALSE(r->policy.sp.has_value());
  CHECK_FALSE(r->policy.np.has_value());
  CHECK_FALSE(r->policy.pct.has_value());
  CHECK_FALSE(r->policy.fo.has_value());
  CHECK_FALSE(r->policy.testing.has_value());
  CHECK_FALSE(r->policy.discovery_method.has_value());
  const auto& rec = r->records.at(0);
  CHECK(rec.reasons.empty());
  CHECK_FALSE(rec.envelope_from.has_value());
  CHECK_FALSE(rec.envelope_to.has_value());
  CHECK_FALSE(rec.dkim_results.at(0).selector.has_value());
  CHECK_FALSE(rec.dkim_results.at(0).human_result.has_value());
  CHECK(rec.spf_results.at(0).domain.empty());
  CHECK_FALSE(rec.spf_results.at(0).scope.has_value());
}

TEST_CASE("several dkim/spf results, reasons and human_result")
{
  const auto r = parse_fixture("multi-auth-reasons.xml");
  REQUIRE(r.ok());
  const auto& rec = r->records.at(0);
  REQUIRE(rec.reasons.size() == 2);
  CHECK(rec.reasons[0].type == "forwarded");
  CHECK(rec.reasons[0].comment == "looks like a mailing list");
  CHECK(rec.reasons[1].type == "local_policy");
  CHECK_FALSE(rec.reasons[1].comment.has_value());
  REQUIRE(rec.dkim_results.size() == 3);
  CHECK(rec.dkim_results[0].selector == "mailcow");
  CHECK(rec.dkim_results[0].human_result == "2048-bit key");
  CHECK(rec.dkim_results[1].domain == "relay.example.net");
  CHECK(rec.dkim_results[1].result == "fail");
  CHECK(rec.dkim_results[1].human_result == "body hash did not verify");
  CHECK(rec.dkim_results[2].result == "temperror");
  REQUIRE(rec.spf_results.size() == 2);
  CHECK(rec.spf_results[0].domain == "lists.example.org");
  CHECK(rec.spf_results[0].result == "softfail");
  CHECK(rec.spf_results[0].human_result == "transitioning");
  CHECK(rec.spf_results[1].scope == "helo");
  CHECK(rec.spf_results[1].result == "pass");
}

TEST_CASE("<error> entries in report_metadata; blank ones are dropped")
{
  const auto r = parse_fixture("metadata-errors.xml");
  REQUIRE(r.ok());
  REQUIRE(r->errors.size() == 2);
  CHECK(r->errors[0] == "DNS lookup for _dmarc.example.com timed out");
  CHECK(r->errors[1] == "policy record had an unknown tag: x=1");
}

TEST_CASE("result words are lower-cased, names and free text keep their case")
{
  const auto r = parse_fixture("upper-case.xml");
  REQUIRE(r.ok());
  CHECK(r->org_name == "Example.NET"); // trailing space trimmed
  CHECK(r->report_id == "Upper-Case-1");
  CHECK(r->begin == 1700000000); // " 1700000000 "
  CHECK(r->policy.domain == "Example.COM");
  CHECK(r->policy.adkim == "r");
  CHECK(r->policy.aspf == "s");
  CHECK(r->policy.p == "quarantine");
  CHECK(r->policy.sp == "reject");
  CHECK(r->policy.np == "none");
  CHECK(r->policy.pct == 50);
  CHECK(r->policy.testing == "n");
  CHECK(r->policy.discovery_method == "psl");
  const auto& rec = r->records.at(0);
  CHECK(rec.disposition == "none");
  CHECK(rec.dkim == "pass");
  CHECK(rec.spf == "fail");
  REQUIRE(rec.reasons.size() == 1);
  CHECK(rec.reasons[0].type == "mailing_list");
  CHECK(rec.reasons[0].comment == "Kept As-Is");
  CHECK(rec.header_from == "Example.COM");
  CHECK(rec.dkim_results.at(0).result == "pass");
  CHECK(rec.dkim_results.at(0).selector == "S1");
  CHECK(rec.dkim_results.at(0).human_result == "Good Signature");
  CHECK(rec.spf_results.at(0).scope == "mfrom");
  CHECK(rec.spf_results.at(0).result == "softfail");
}

TEST_CASE("IPv6 sources are trimmed and lower-cased; counts above 2^32")
{
  const auto v6 = parse_fixture("ipv6.xml");
  REQUIRE(v6.ok());
  REQUIRE(v6->records.size() == 3);
  CHECK(v6->records[0].source_ip == "2001:db8::25");
  CHECK(v6->records[1].source_ip == "2001:db8:1:2::3");
  CHECK(v6->records[2].source_ip == "192.0.2.90");

  const auto big = parse_fixture("large-count.xml");
  REQUIRE(big.ok());
  CHECK(big->records.at(0).count == 5000000000ULL);
  CHECK(big->records.at(1).count == 2147483648ULL);
}

TEST_CASE("invalid UTF-8 becomes U+FFFD, the report is kept")
{
  const auto r = parse_fixture("invalid-utf8.xml");
  REQUIRE(r.ok());
  CHECK(r->org_name == std::string("Example ") + k_fffd + " Org");
  CHECK(r->records.at(0).header_from == std::string("bad_byte") + k_fffd);
  CHECK_FALSE(r->recovered);
}

TEST_CASE("a declared Latin-1 document and a UTF-16 document arrive as UTF-8")
{
  const std::string metadata = "<org_name>Soci\xE9t\xE9</org_name><report_id>l1</report_id>"
                               "<date_range><begin>1</begin><end>2</end></date_range>";
  const auto latin1 = parse("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                            + report_with(metadata, k_policy, k_record));
  REQUIRE(latin1.ok());
  CHECK(latin1->org_name == "Soci\xC3\xA9t\xC3\xA9");

  const std::string ascii = report_with(k_metadata, k_policy, k_record);
  std::string utf16 = "\xFF\xFE";
  for (const char c : ascii) {
    utf16 += c;
    utf16 += '\0';
  }
  const auto wide = parse(utf16);
  REQUIRE(wide.ok());
  CHECK(wide->org_name == "example.net");
  CHECK(wide->records.at(0).count == 3);
}

TEST_CASE("a declared windows-1252 or ISO-8859-1 document is converted from windows-1252")
{
  // fixtures/shapes: accented letters, the euro sign (0x80) and curly quotes (0x92-0x94)
  // arrive as the characters they are, not as U+FFFD or C1 controls.
  std::string cp1252 = fixture("shapes/windows-1252.xml");
  const auto windows = parse_aggregate(cp1252, Limits{});
  REQUIRE(windows.ok());
  CHECK(windows->report_id == "shape-cp1252-1");
  CHECK(windows->org_name == "Soci\xC3\xA9t\xC3\xA9 G\xC3\xA9n\xC3\xA9rale \xE2\x82\xAC");
  CHECK(windows->records.at(0).header_from == "l\xE2\x80\x99" "example.com");
  CHECK(windows->records.at(0).count == 6);
  CHECK_FALSE(windows->recovered);

  std::string latin1 = fixture("shapes/iso-8859-1-cp1252.xml");
  const auto iso = parse_aggregate(latin1, Limits{});
  REQUIRE(iso.ok());
  CHECK(iso->org_name == "\xE2\x82\xAC Caf\xC3\xA9 \xE2\x80\x9C" "Bank\xE2\x80\x9D");
  CHECK(iso->records.at(0).count == 7);

  // Declared Latin-1 but valid UTF-8: read as UTF-8, not turned into mojibake.
  std::string liar = fixture("shapes/latin1-declared-utf8.xml");
  const auto utf8 = parse_aggregate(liar, Limits{});
  REQUIRE(utf8.ok());
  CHECK(utf8->org_name == "M\xC3\xBCller \xE2\x82\xAC");

  // Declared windows-1252 and needing repair: the repaired document is converted too.
  const auto repaired = parse("<?xml version=\"1.0\" encoding=\"Windows-1252\"?><wrapper>"
                              + report_with("<org_name>Caf\xE9</org_name><report_id>w1</report_id>"
                                            "<date_range><begin>1</begin><end>2</end></date_range>",
                                            k_policy, k_record));
  REQUIRE(repaired.ok());
  CHECK(repaired->recovered);
  CHECK(repaired->org_name == "Caf\xC3\xA9");
}

TEST_CASE("two reports concatenated in one document are rejected, not half read")
{
  std::string two = fixture("shapes/two-feedback.xml");
  const auto r = parse_aggregate(two, Limits{});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().kind == ErrorKind::invalid_report);
  CHECK(r.error().detail == "more than one <feedback> in the document (concatenated reports)");
  // Inside a closed wrapper too.
  const auto wrapped = parse("<wrapper>" + report_with(k_metadata, k_policy, k_record)
                             + report_with(k_metadata, k_policy, k_record) + "</wrapper>");
  REQUIRE_FALSE(wrapped.ok());
  CHECK(wrapped.error().kind == ErrorKind::invalid_report);
  // Another element after the report is not a second report.
  const auto trailer = parse("<wrapper>" + report_with(k_metadata, k_policy, k_record)
                             + "<signature/></wrapper>");
  REQUIRE(trailer.ok());
  CHECK(trailer->records.size() == 1);
}

TEST_CASE("escapes, CDATA and a bare ampersand in text")
{
  const auto r = parse(report_with(
    "<org_name>AT&amp;T &#x41;&#66;</org_name><email><![CDATA[ <dmarc@example.net> ]]></email>"
    "<extra_contact_info>Q&A desk</extra_contact_info><report_id>e-1</report_id>"
    "<date_range><begin>1</begin><end>2</end></date_range>",
    k_policy, k_record));
  REQUIRE(r.ok());
  CHECK(r->org_name == "AT&T AB");
  CHECK(r->email == "<dmarc@example.net>");
  CHECK(r->extra_contact_info == "Q&A desk");
}

TEST_CASE("recovery: <feedback> inside an unclosed wrapper")
{
  const auto r = parse_fixture("wrapper-unclosed.xml");
  REQUIRE(r.ok());
  CHECK(r->recovered);
  CHECK(r->org_name == "example.org");
  CHECK(r->report_id == "wrapper-unclosed-1");
  CHECK(r->xml_namespace.empty());
  REQUIRE(r->records.size() == 2);
  CHECK(r->records[1].source_ip == "198.51.100.111");
}

TEST_CASE("recovery: a closed wrapper is unwrapped and its namespace is in scope")
{
  const auto r = parse_fixture("wrapper-closed.xml");
  REQUIRE(r.ok());
  CHECK(r->recovered);
  CHECK(r->xml_namespace == "urn:example:wrapper");
  CHECK(r->report_id == "wrapper-closed-1");
}

TEST_CASE("recovery: stray '<' in text and an address in angle brackets")
{
  const auto stray = parse_fixture("stray-lt.xml");
  REQUIRE(stray.ok());
  CHECK(stray->recovered);
  REQUIRE(stray->records.size() == 2);
  CHECK(stray->records[0].header_from == "bad<example.net");
  CHECK(stray->records[1].header_from == "a < b.example.com");

  const auto angle = parse_fixture("angle-email.xml");
  REQUIRE(angle.ok());
  CHECK(angle->recovered);
  CHECK(angle->email == "<postmaster@example.org>");
  CHECK(angle->records.at(0).envelope_from == "<bounce@example.org>");
}

TEST_CASE("a well-formed document never takes the repair path")
{
  const auto r = parse(report_with(k_metadata, k_policy, k_record));
  REQUIRE(r.ok());
  CHECK_FALSE(r->recovered);
}

TEST_CASE("DTD entities are never expanded, external ones never fetched")
{
  const auto r = parse_fixture("doctype-entities.xml");
  REQUIRE(r.ok());
  CHECK(r->org_name == "&lol2;");
  CHECK(r->email == "&ext;");

  // Billion laughs: ten levels of ten-fold expansion would be 10^10 "lol"s. The reference
  // stays literal text, and the parse takes no longer than any small document.
  std::string laughs = "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY lol \"lol\">";
  for (int i = 1; i <= 9; ++i) {
    laughs += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) {
      laughs += i == 1 ? "&lol;" : "&lol" + std::to_string(i - 1) + ";";
    }
    laughs += "\">";
  }
  laughs += "]>";
  laughs += report_with("<org_name>&lol9;</org_name><report_id>bl</report_id>"
                        "<date_range><begin>1</begin><end>2</end></date_range>",
                        k_policy, k_record);
  const auto start = std::chrono::steady_clock::now();
  const auto bl = parse(laughs);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(bl.ok());
  CHECK(bl->org_name == "&lol9;");
  CHECK(elapsed < std::chrono::seconds(1)); // an expansion would take minutes and gigabytes
}

TEST_CASE("error details name the missing or bad element")
{
  const std::string range = "<date_range><begin>1</begin><end>2</end></date_range>";
  CHECK(error_of(parse("<feedback><policy_published>" + std::string(k_policy)
                       + "</policy_published></feedback>"))
        == "invalid-report: missing <report_metadata> in <feedback>");
  CHECK(error_of(parse(report_with("<report_id>x</report_id>" + range, k_policy, k_record)))
        == "invalid-report: missing <org_name> in <report_metadata>");
  CHECK(error_of(parse(report_with("<org_name>o</org_name>" + range, k_policy, k_record)))
        == "invalid-report: missing <report_id> in <report_metadata>");
  CHECK(error_of(parse(report_with("<org_name>o</org_name><report_id> </report_id>" + range,
                                   k_policy, k_record)))
        == "invalid-report: empty <report_id> in <report_metadata>");
  CHECK(error_of(parse(report_with("<org_name>o</org_name><report_id>x</report_id>", k_policy,
                                   k_record)))
        == "invalid-report: missing <date_range> in <report_metadata>");
  CHECK(error_of(parse(report_with("<org_name>o</org_name><report_id>x</report_id>"
                                   "<date_range><end>2</end></date_range>",
                                   k_policy, k_record)))
        == "invalid-report: missing <begin> in <date_range>");
  CHECK(error_of(parse(report_with("<org_name>o</org_name><report_id>x</report_id>"
                                   "<date_range><begin>1</begin></date_range>",
                                   k_policy, k_record)))
        == "invalid-report: missing <end> in <date_range>");
  CHECK(error_of(parse(report_with("<org_name>o</org_name><report_id>x</report_id>"
                                   "<date_range><begin>yesterday</begin><end>2</end></date_range>",
                                   k_policy, k_record)))
        == "invalid-report: invalid <begin> in <date_range>: 'yesterday'");
  CHECK(error_of(parse("<feedback><report_metadata>" + std::string(k_metadata)
                       + "</report_metadata></feedback>"))
        == "invalid-report: missing <policy_published> in <feedback>");
  CHECK(error_of(parse(report_with(k_metadata, "<p>none</p>", k_record)))
        == "invalid-report: missing <domain> in <policy_published>");
  CHECK(error_of(parse(report_with(k_metadata, "<domain/><p>none</p>", k_record)))
        == "invalid-report: empty <domain> in <policy_published>");
  CHECK(error_of(parse(report_with(k_metadata, "<domain>example.com</domain>", k_record)))
        == "invalid-report: missing <p> in <policy_published>");
  CHECK(error_of(parse(report_with(k_metadata, "<domain>example.com</domain><p> </p>", k_record)))
        == "invalid-report: empty <p> in <policy_published>");
  CHECK(error_of(parse(report_with(k_metadata, std::string(k_policy) + "<pct>all</pct>",
                                   k_record)))
        == "invalid-report: invalid <pct> in <policy_published>: 'all'");
}

TEST_CASE("a bad or missing <count> names the record, long values are cut")
{
  std::string bad = k_record;
  bad.replace(bad.find("<count>3</count>"), 16, "<count>3.5</count>");
  CHECK(error_of(parse(report_with(k_metadata, k_policy, std::string(k_record) + bad)))
        == "invalid-report: record 2: invalid <count> in <row>: '3.5'");

  std::string missing = k_record;
  missing.erase(missing.find("<count>3</count>"), 16);
  CHECK(error_of(parse(report_with(k_metadata, k_policy, missing)))
        == "invalid-report: record 1: missing <count> in <row>");

  std::string huge = k_record;
  huge.replace(huge.find("<count>3</count>"), 16, "<count>" + std::string(100, '9') + "</count>");
  CHECK(error_of(parse(report_with(k_metadata, k_policy, huge)))
        == "invalid-report: record 1: invalid <count> in <row>: '" + std::string(64, '9')
             + "...'");
}

TEST_CASE("malformed XML, wrong root, truncation, empty input")
{
  CHECK(error_of(parse("<feedback><report_metadata></feedback>"))
        == "invalid-report: XML parse error at offset 29: Start-end tags mismatch");
  CHECK(error_of(parse("just text")) == "invalid-report: XML parse error at offset 8: "
                                        "No document element found");
  CHECK(error_of(parse("  \r\n")) == "invalid-report: XML parse error at offset 3: "
                                     "No document element found");
  CHECK(error_of(parse("<html><body/></html>"))
        == "invalid-report: root element is <html>, expected <feedback>");
  CHECK(error_of(parse("<x:report xmlns:x=\"urn:example\"><x:a/></x:report>"))
        == "invalid-report: root element is <x:report>, expected <feedback>");
  // Truncated anywhere after <feedback>: rejected, never completed by the repair.
  const std::string whole = report_with(k_metadata, k_policy, std::string(k_record) + k_record);
  for (const std::size_t cut : {std::size_t{12}, whole.size() / 2, whole.size() - 3}) {
    CAPTURE(cut);
    CHECK(error_of(parse(whole.substr(0, cut)))
          == "invalid-report: document truncated: no </feedback>");
  }
  CHECK(error_of(parse("")) == "empty: empty document");
}

TEST_CASE("broken structure is reported with the strict parser's error, not guessed at")
{
  // The second <record> is never closed and has children: escaping it would drop a record.
  const std::string broken = report_with(
    k_metadata, k_policy, std::string(k_record) + "<record><row><count>1</count></row>");
  CHECK(error_of(parse(broken))
        == "invalid-report: XML parse error at offset 529: Start-end tags mismatch");
  // A wrapper AND a mismatched tag inside: the cut-out still fails, the error is the original.
  const std::string wrapped = "<w>" + report_with(k_metadata, k_policy, "<record></row>");
  CHECK(error_of(parse(wrapped))
        == "invalid-report: XML parse error at offset 264: Start-end tags mismatch");
}

TEST_CASE("caps: records, depth and elements are too-large, naming the cap")
{
  Limits limits;
  limits.max_records = 2;
  CHECK(error_of(parse_fixture("rfc7489-plain.xml", limits))
        == "too-large: more than 2 records (max_records)");
  limits.max_records = 3;
  CHECK(parse_fixture("rfc7489-plain.xml", limits).ok());

  Limits shallow;
  shallow.max_xml_depth = 4; // feedback/record/auth_results/dkim/domain is depth 5
  CHECK(error_of(parse_fixture("rfc7489-plain.xml", shallow))
        == "too-large: XML nested deeper than 4 levels (max_xml_depth)");
  shallow.max_xml_depth = 5;
  CHECK(parse_fixture("rfc7489-plain.xml", shallow).ok());

  // Deep nesting in an element the walk skips, and inside an element read as text.
  std::string deep_unknown;
  for (int i = 0; i < 70; ++i) {
    deep_unknown += "<x>";
  }
  for (int i = 0; i < 70; ++i) {
    deep_unknown += "</x>";
  }
  CHECK(error_of(parse(report_with(k_metadata, k_policy, std::string(k_record) + deep_unknown)))
        == "too-large: XML nested deeper than 64 levels (max_xml_depth)");
  std::string deep_text = k_record;
  deep_text.replace(deep_text.find("example.com</header_from>"), 11, "example.com" + deep_unknown);
  CHECK(error_of(parse(report_with(k_metadata, k_policy, deep_text)))
        == "too-large: XML nested deeper than 64 levels (max_xml_depth)");

  Limits few;
  few.max_xml_elements = 20;
  CHECK(error_of(parse_fixture("rfc7489-plain.xml", few))
        == "too-large: more than 20 XML elements (max_xml_elements)");
  few.max_xml_elements = 1000;
  CHECK(parse_fixture("rfc7489-plain.xml", few).ok());
}
