// ④ parse: the textual repair of malformed aggregate XML, output compared byte for byte.
#include "formats/xml_repair.hpp"

#include <catch2/catch.hpp>

using dmarc::formats::RepairOutcome;
using dmarc::formats::repair_aggregate_xml;

TEST_CASE("repair: the <feedback> element is cut out of an unclosed wrapper")
{
  const auto r = repair_aggregate_xml(
    "<?xml version=\"1.0\"?> <xs:schema xmlns:xs=\"x\">\n<feedback><a>t</a></feedback>\n");
  REQUIRE(r.outcome == RepairOutcome::repaired);
  CHECK(r.xml == "<?xml version=\"1.0\"?><feedback><a>t</a></feedback>");
  CHECK(r.escaped == 0);
}

TEST_CASE("repair: BOM and declaration are kept, a prefix and a spaced end tag are found")
{
  const auto r = repair_aggregate_xml("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                                      "<w><d:feedback xmlns:d=\"u\"><d:a>x</d:a></d:feedback >"
                                      "trailing junk");
  REQUIRE(r.outcome == RepairOutcome::repaired);
  CHECK(r.xml == "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"
                 "<d:feedback xmlns:d=\"u\"><d:a>x</d:a></d:feedback >");
}

TEST_CASE("repair: a '<' that starts no tag is escaped")
{
  const auto r = repair_aggregate_xml(
    "<feedback><h>bad<xml.net</h><h>a < b</h><h>x<</h><h>y</z</h></feedback>");
  REQUIRE(r.outcome == RepairOutcome::repaired);
  CHECK(r.xml == "<feedback><h>bad&lt;xml.net</h><h>a &lt; b</h><h>x&lt;</h><h>y&lt;/z</h>"
                 "</feedback>");
  CHECK(r.escaped == 4);
}

TEST_CASE("repair: an address in angle brackets becomes text")
{
  const auto r =
    repair_aggregate_xml("<feedback><email><bad-xml@bad-xml.net></email></feedback>");
  REQUIRE(r.outcome == RepairOutcome::repaired);
  CHECK(r.xml == "<feedback><email>&lt;bad-xml@bad-xml.net></email></feedback>");
}

TEST_CASE("repair: a well-formed start tag never closed, with text only, is text")
{
  const auto r = repair_aggregate_xml("<feedback><email><postmaster></email></feedback>");
  REQUIRE(r.outcome == RepairOutcome::repaired);
  CHECK(r.xml == "<feedback><email>&lt;postmaster></email></feedback>");
  CHECK(r.escaped == 1);
}

TEST_CASE("repair: comments, CDATA, PIs and attribute values are left alone")
{
  const std::string doc = "<feedback><!-- a < b --><a x=\"1>2\" y='z'><![CDATA[<not a tag>]]>"
                          "</a><?pi <x?><b/></feedback>";
  const auto r = repair_aggregate_xml(doc);
  REQUIRE(r.outcome == RepairOutcome::repaired);
  CHECK(r.xml == doc);
  CHECK(r.escaped == 0);
}

TEST_CASE("repair refuses to change the element structure")
{
  // An unclosed <record> with children: escaping it would merge or drop a record.
  CHECK(repair_aggregate_xml("<feedback><record><row>1</row></feedback>").outcome
        == RepairOutcome::unrepairable);
  // An unclosed DMARC container, even one without children yet.
  CHECK(repair_aggregate_xml("<feedback><report_metadata></feedback>").outcome
        == RepairOutcome::unrepairable);
  CHECK(repair_aggregate_xml("<feedback><d:record/><d:record></feedback>").outcome
        == RepairOutcome::unrepairable);
  // A well-formed end tag that closes nothing.
  CHECK(repair_aggregate_xml("<feedback><a>x</b></a></feedback>").outcome
        == RepairOutcome::unrepairable);
}

TEST_CASE("repair: no <feedback>, or one never closed")
{
  CHECK(repair_aggregate_xml("<html></html>").outcome == RepairOutcome::no_feedback);
  CHECK(repair_aggregate_xml("<feedbackx></feedbackx>").outcome == RepairOutcome::no_feedback);
  CHECK(repair_aggregate_xml("").outcome == RepairOutcome::no_feedback);
  CHECK(repair_aggregate_xml("<feedback><record><row>").outcome == RepairOutcome::truncated);
  CHECK(repair_aggregate_xml("<feedback/>").outcome == RepairOutcome::truncated);
  // A </feedback> before the start tag does not close it.
  CHECK(repair_aggregate_xml("</feedback><feedback><a>").outcome == RepairOutcome::truncated);
}
