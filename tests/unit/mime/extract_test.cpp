// mime::extract on the fixture mails (fixtures/mail, see its README) and on synthetic
// messages for limits, failure-report rules and structure quirks.
#include "mime/extract.hpp"

#include "test_files.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace dmarc;
using namespace dmarc::mime;
using dmarc::mime::test::mail_fixture;
using dmarc::mime::test::payload;

namespace {

const std::string k_a_name = "example.net!example.com!1700000000!1700086399";
const std::string k_b_name = "example.org!example.com!1700086400!1700172799";
const std::string k_t_name = "example.net!example.com!1700006400!1700092799!001";

Extracted extract_ok(const std::string& message, const Limits& limits = Limits{})
{
  auto result = extract(message, limits);
  INFO((result ? std::string() : result.error().to_string()));
  REQUIRE(result.ok());
  return std::move(result).value();
}

Extracted extract_fixture(const std::string& name)
{
  INFO("fixture " << name);
  return extract_ok(mail_fixture(name));
}

Error extract_error(const std::string& message, const Limits& limits = Limits{})
{
  auto result = extract(message, limits);
  REQUIRE_FALSE(result.ok());
  return result.error();
}

// One report attachment with exactly these properties.
void require_single(const Extracted& e, const std::string& type, const std::string& filename,
                    const std::string& bytes)
{
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].content_type == type);
  CHECK(e.attachments[0].filename == filename);
  CHECK(e.attachments[0].bytes.size() == bytes.size());
  CHECK(e.attachments[0].bytes == bytes);
  CHECK_FALSE(e.is_failure_report);
}

std::string repeat(const std::string& s, std::size_t n)
{
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += s;
  }
  return out;
}

// A multipart/mixed message with `n` empty text parts.
std::string message_with_parts(std::size_t n)
{
  return "Subject: parts\nContent-Type: multipart/mixed; boundary=b\n\n" + repeat("--b\n\nx\n", n)
         + "--b--\n";
}

// `levels` message/rfc822 parts nested in each other, a gzip report innermost.
std::string nested_messages(std::size_t levels)
{
  return "Subject: nest\n" + repeat("Content-Type: message/rfc822\n\nSubject: inner\n", levels)
         + "Content-Type: application/gzip\nContent-Transfer-Encoding: base64\n\nH4sIAAAAAAAA\n";
}

} // namespace

TEST_CASE("multipart/mixed with an application/zip attachment")
{
  const Extracted e = extract_fixture("mixed_zip.eml");
  require_single(e, "application/zip", k_a_name + ".zip", payload("aggregate_a.zip"));
  CHECK(e.attachments[0].bytes.substr(0, 4) == std::string("PK\x03\x04", 4));
  // The outer headers, unfolded, Message-ID without <>.
  CHECK(e.subject
        == "Report domain: example.com Submitter: example.net Report-ID: mime-fixture-a-0001");
  CHECK(e.message_id == "mixed-zip.0001@example.net");
  CHECK(e.from == "noreply-dmarc@example.net");
  CHECK(e.date == "Wed, 15 Nov 2023 01:02:03 +0000");
}

TEST_CASE("application/x-zip-compressed named only in Content-Type; html and png are skipped")
{
  const Extracted e = extract_fixture("x_zip_compressed.eml");
  require_single(e, "application/x-zip-compressed", k_a_name + ".zip", payload("aggregate_a.zip"));
}

TEST_CASE("application/gzip on one long base64 line with an RFC 2231 filename*=")
{
  const Extracted e = extract_fixture("gzip_base64.eml");
  require_single(e, "application/gzip", k_a_name + ".xml.gz", payload("aggregate_a.xml.gz"));
  CHECK(e.attachments[0].bytes.substr(0, 2) == "\x1f\x8b");
}

TEST_CASE("application/x-gzip: RFC 2231 continuations, garbage and no padding in base64")
{
  const Extracted e = extract_fixture("x_gzip.eml");
  require_single(e, "application/x-gzip", k_b_name + ".xml.gz", payload("aggregate_b.xml.gz"));
}

TEST_CASE("text/xml in quoted-printable decodes to the exact document")
{
  const Extracted e = extract_fixture("text_xml_qp.eml");
  require_single(e, "text/xml", k_b_name + ".xml", payload("aggregate_b.xml"));
  CHECK(e.attachments[0].bytes.find("<org_name>Ex\xC3\xA4mple Org</org_name>") != std::string::npos);
}

TEST_CASE("application/xml sent 7bit, with ';' inside the quoted name")
{
  const Extracted e = extract_fixture("application_xml.eml");
  require_single(e, "application/xml", "report;" + k_a_name + ".xml", payload("aggregate_a.xml"));
}

TEST_CASE("application/octet-stream with an RFC 2047 encoded .xml.gz name")
{
  const Extracted e = extract_fixture("octet_stream_xml_gz.eml");
  require_single(e, "application/octet-stream", k_b_name + ".xml.gz",
                 payload("aggregate_b.xml.gz"));
}

TEST_CASE("TLS-RPT: multipart/report with application/tlsrpt+gzip")
{
  const Extracted e = extract_fixture("tlsrpt_gzip.eml");
  require_single(e, "application/tlsrpt+gzip", k_t_name + ".json.gz", payload("tlsrpt.json.gz"));
  CHECK(e.subject
        == "Report Domain: example.com Submitter: example.net Report-ID: "
           "<2023-11-15T00:00:00Z_example.com>");
}

TEST_CASE("TLS-RPT: application/tlsrpt+json sent 7bit")
{
  const Extracted e = extract_fixture("tlsrpt_json.eml");
  require_single(e, "application/tlsrpt+json", k_t_name + ".json", payload("tlsrpt.json"));
}

TEST_CASE("the whole body is the gzip attachment (Mimecast style, CRLF)")
{
  const Extracted e = extract_fixture("whole_body_gzip.eml");
  require_single(e, "application/gzip", k_a_name + ".xml.gz", payload("aggregate_a.xml.gz"));
  CHECK(e.message_id == "whole-body.0010@example.net");
}

TEST_CASE("a report mail forwarded inside message/rfc822 is found; outer headers are kept")
{
  const Extracted e = extract_fixture("forwarded_rfc822.eml");
  require_single(e, "application/gzip", k_b_name + ".xml.gz", payload("aggregate_b.xml.gz"));
  CHECK(e.message_id == "fwd.0011@example.com");
  CHECK(e.from == "postmaster@example.com");
  CHECK(e.subject.rfind("Fwd: Report domain: example.com", 0) == 0);
}

TEST_CASE("multipart/report with a nested multipart/alternative whose boundary extends the outer")
{
  const Extracted e = extract_fixture("multipart_report.eml");
  require_single(e, "application/gzip", k_a_name + ".xml.gz", payload("aggregate_a.xml.gz"));
}

TEST_CASE("CRLF line ends and an unquoted boundary with '=' and '.'")
{
  const std::string raw = mail_fixture("crlf_zip.eml");
  REQUIRE(raw.find("\r\n") != std::string::npos);
  const Extracted e = extract_ok(raw);
  require_single(e, "application/zip", k_a_name + ".zip", payload("aggregate_a.zip"));
  CHECK(e.message_id == "crlf.0013@example.net");
}

TEST_CASE("an mbox From line first and no closing boundary")
{
  const Extracted e = extract_fixture("mbox_no_final_boundary.eml");
  require_single(e, "application/gzip", k_b_name + ".xml.gz", payload("aggregate_b.xml.gz"));
  CHECK(e.message_id == "mbox.0014@example.org");
  CHECK(e.from == "dmarc@example.org");
}

TEST_CASE("a mail without a report is ok with no attachments")
{
  const Extracted e = extract_fixture("no_attachment.eml");
  CHECK(e.attachments.empty());
  CHECK_FALSE(e.is_failure_report);
  CHECK(e.subject == "Lunch on Friday?");
}

TEST_CASE("an ARF failure report: the zip in the spoofed copy is not a candidate")
{
  const std::string raw = mail_fixture("arf_failure.eml");
  REQUIRE(raw.find("invoice.zip") != std::string::npos);
  const Extracted e = extract_ok(raw);
  CHECK(e.is_failure_report);
  CHECK(e.attachments.empty());
  CHECK(e.message_id == "arf.0016@example.org");
}

TEST_CASE("a plain-text forensic report without an ARF part")
{
  const Extracted e = extract_fixture("plain_forensic.eml");
  CHECK(e.is_failure_report);
  CHECK(e.attachments.empty());
  CHECK(e.subject == "DMARC Forensic Report for example.com from IP 203.0.113.68");
}

TEST_CASE("a report pasted as XML into a text/plain body")
{
  const Extracted e = extract_fixture("inline_xml_body.eml");
  require_single(e, "text/plain", "", payload("aggregate_a.xml"));
}

TEST_CASE("a TLS-RPT JSON pasted into a quoted-printable text/plain body")
{
  const Extracted e = extract_fixture("inline_json_body.eml");
  require_single(e, "text/plain", "", payload("tlsrpt.json"));
}

TEST_CASE("an unclosed inner multipart does not swallow the outer parts after it")
{
  const Extracted e = extract_fixture("nested_quirks.eml");
  require_single(e, "application/gzip", k_a_name + ".xml.gz", payload("aggregate_a.xml.gz"));
}

TEST_CASE("rejections: empty, too large, not a message")
{
  Error error = extract_error("");
  CHECK(error.kind == ErrorKind::empty);

  Limits small;
  small.max_message_bytes = 64;
  error = extract_error("Subject: x\n\n" + std::string(60, 'a'), small);
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "message of 72 bytes exceeds 64 bytes (max_message_bytes)");
  CHECK(extract("Subject: x\n\n" + std::string(52, 'a'), small).ok());

  for (const std::string& input : {std::string("<?xml version=\"1.0\"?><feedback/>"),
                                  std::string("{\"organization-name\": \"x\"}"),
                                  std::string("\x1f\x8b\x08\x00\x00\x00", 6),
                                  std::string("PK\x03\x04\x14\x00", 6), std::string("hello world\n"),
                                  std::string("\n\nSubject: late\n")}) {
    INFO(input);
    error = extract_error(input);
    CHECK(error.kind == ErrorKind::not_a_report);
    CHECK(error.detail == "not an RFC 5322 message: it does not start with a header field");
  }
}

TEST_CASE("max_mime_parts: the cap itself passes, one more part is too large")
{
  CHECK(extract_ok(message_with_parts(1000)).attachments.empty());

  const Error error = extract_error(message_with_parts(1001));
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "more than 1000 MIME parts (max_mime_parts)");

  Limits limits;
  limits.max_mime_parts = 3;
  CHECK(extract_error(message_with_parts(4), limits).detail
        == "more than 3 MIME parts (max_mime_parts)");
}

TEST_CASE("max_mime_depth counts multipart and message/rfc822 nesting")
{
  const Extracted e = extract_ok(nested_messages(16));
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].content_type == "application/gzip");
  CHECK(e.attachments[0].bytes == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00", 9));
  CHECK(e.subject == "nest");

  const Error error = extract_error(nested_messages(17));
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "MIME nesting deeper than 16 levels (max_mime_depth)");

  // Nested multiparts count the same way.
  std::string nested = "Subject: mp\n";
  for (int i = 0; i < 20; ++i) {
    nested += "Content-Type: multipart/mixed; boundary=l" + std::to_string(i) + "\n\n--l"
              + std::to_string(i) + "\n";
  }
  nested += "\nleaf\n";
  CHECK(extract_error(nested).detail == "MIME nesting deeper than 16 levels (max_mime_depth)");
}

TEST_CASE("hostile structure is refused quickly without exhausting stack or memory")
{
  // mimetic's parser recurses per level (stack overflow) and allocates a node per part.
  CHECK(extract_error(nested_messages(300'000)).kind == ErrorKind::too_large);
  CHECK(extract_error(message_with_parts(2'000'000)).kind == ErrorKind::too_large);
  // A 4 MB header line is linear work here (quadratic in mimetic).
  const Extracted e = extract_ok("X-Long: " + std::string(4u << 20, 'a') + "\nSubject: s\n\nbody\n");
  CHECK(e.subject == "s");
  CHECK(e.attachments.empty());
}

TEST_CASE("a base64 gzip/zip attachment without Content-Transfer-Encoding is decoded")
{
  // fixtures/shapes/no-transfer-encoding.eml: the sender forgot the header; "H4sI" and
  // "UEsDB" are the base64 of the gzip and zip magic bytes.
  const std::string path = std::string(DMARC_FIXTURES_DIR) + "/shapes/no-transfer-encoding.eml";
  const Extracted e = extract_ok(test::read_file(path));
  REQUIRE(e.attachments.size() == 2);
  CHECK(e.attachments[0].content_type == "application/gzip");
  CHECK(e.attachments[0].filename == "shape-no-cte-1.xml.gz");
  CHECK(e.attachments[0].bytes.size() == 393);
  CHECK(e.attachments[0].bytes.substr(0, 3) == "\x1f\x8b\x08");
  CHECK(e.attachments[1].content_type == "application/octet-stream");
  CHECK(e.attachments[1].filename == "shape-no-cte-2.zip");
  CHECK(e.attachments[1].bytes.size() == 924);
  CHECK(e.attachments[1].bytes.substr(0, 4) == std::string("PK\x03\x04", 4));

  // Text that merely starts like that stays as it is when its type is not a report type.
  const Extracted plain = extract_ok("Subject: t\nContent-Type: text/plain\n\nH4sI is a word\n");
  CHECK(plain.attachments.empty());
  // A 7bit XML attachment is left alone.
  const Extracted xml = extract_ok("Subject: t\nContent-Type: text/xml\n\n<feedback/>\n");
  REQUIRE(xml.attachments.size() == 1);
  CHECK(xml.attachments[0].bytes == "<feedback/>\n");
}

TEST_CASE("folded parameters without the leading blank keep boundary, name and encoding")
{
  const std::string path = std::string(DMARC_FIXTURES_DIR) + "/shapes/unindented-parameters.eml";
  const Extracted e = extract_ok(test::read_file(path));
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].content_type == "application/tlsrpt+gzip");
  CHECK(e.attachments[0].filename
        == "reporter.example.net!example.com!1700006400!1700092799!shape.json.gz");
  CHECK(e.attachments[0].bytes.substr(0, 3) == "\x1f\x8b\x08"); // base64 decoded
}

TEST_CASE("a report mail attached as an octet-stream .eml file is walked like message/rfc822")
{
  const std::string path = std::string(DMARC_FIXTURES_DIR) + "/shapes/forward-as-eml-file.eml";
  const Extracted e = extract_ok(test::read_file(path));
  CHECK(e.message_id == "shape-eml-fwd@example.com"); // the outer message's
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].content_type == "application/gzip");
  CHECK(e.attachments[0].filename == "shape-eml-file-1.xml.gz");
  CHECK(e.attachments[0].bytes.substr(0, 3) == "\x1f\x8b\x08");
  CHECK_FALSE(e.is_failure_report);

  // A file named .eml that is not a mail stays an ordinary (non-report) part.
  const Extracted notes = extract_ok("Subject: t\nContent-Type: multipart/mixed; boundary=b\n\n"
                                     "--b\nContent-Type: text/plain; name=notes.eml\n\n"
                                     "<just a note>\n--b--\n");
  CHECK(notes.attachments.empty());
}

TEST_CASE("content sniffing: magic bytes count, ordinary text and images do not")
{
  const std::string message = "Subject: sniff\n"
                              "Content-Type: multipart/mixed; boundary=s\n\n"
                              "--s\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
                              "H4sIAAAAAAAA\n"
                              "--s\nContent-Type: image/gif\nContent-Transfer-Encoding: base64\n\n"
                              "UEsDBAoAAAAA\n"
                              "--s\nContent-Type: text/plain\n\nJust text, {not json}.\n"
                              "--s\nContent-Type: text/plain\n\n{\"a\": 1}\n"
                              "--s\nContent-Type: text/html\n\n<html>no</html>\n"
                              "--s\nContent-Type: image/png; name=chart.png\n\n\x89PNG\n"
                              "--s\nContent-Type: text/plain\n\n\xEF\xBB\xBF  <feedback>x</feedback>\n"
                              "--s\nContent-Type: text/plain; name=\"report.JSON\"\n\n[]\n"
                              "--s--\n";
  const Extracted e = extract_ok(message);
  REQUIRE(e.attachments.size() == 4);
  CHECK(e.attachments[0].content_type == "text/plain");
  CHECK(e.attachments[0].bytes == std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00", 9));
  CHECK(e.attachments[1].content_type == "image/gif");
  CHECK(e.attachments[1].bytes == std::string("PK\x03\x04\x0a\x00\x00\x00\x00", 9));
  CHECK(e.attachments[2].bytes == "\xEF\xBB\xBF  <feedback>x</feedback>");
  CHECK(e.attachments[3].filename == "report.JSON");
  CHECK(e.attachments[3].bytes == "[]");
}

TEST_CASE("content types are lower case without parameters; parts without a type are text/plain")
{
  const Extracted e = extract_ok("Subject: t\n"
                                 "Content-Type: Multipart/Mixed; BOUNDARY=\"Zz\"\n\n"
                                 "--Zz\nContent-Type: Application/GZIP; Name=r.gz\n\nGZ\n"
                                 "--Zz\n\n<?xml version=\"1.0\"?><feedback/>\n"
                                 "--Zz--\n");
  REQUIRE(e.attachments.size() == 2);
  CHECK(e.attachments[0].content_type == "application/gzip");
  CHECK(e.attachments[0].filename == "r.gz");
  CHECK(e.attachments[0].bytes == "GZ");
  CHECK(e.attachments[1].content_type == "text/plain");
  CHECK(e.attachments[1].bytes == "<?xml version=\"1.0\"?><feedback/>");
}

TEST_CASE("structure fallbacks: missing boundary parameter, encoded message/rfc822, digest")
{
  // No boundary parameter: the first "--" line gives it.
  Extracted e = extract_ok("Subject: nb\nContent-Type: multipart/mixed\n\n"
                           "--guess\nContent-Type: application/zip\n\nZIP\n--guess--\n");
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].bytes == "ZIP");

  // A forwarded message that was itself base64-encoded (RFC 2046 forbids it; it happens).
  // base64 of "Content-Type: application/gzip\n\nGZ\n"
  e = extract_ok("Subject: enc\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
                 "Q29udGVudC1UeXBlOiBhcHBsaWNhdGlvbi9nemlwCgpHWgo=\n");
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].content_type == "application/gzip");
  CHECK(e.attachments[0].bytes == "GZ\n");

  // multipart/digest parts default to message/rfc822 (RFC 2046 §5.1.5).
  e = extract_ok("Subject: digest\nContent-Type: multipart/digest; boundary=d\n\n"
                 "--d\n\nSubject: one\nContent-Type: application/xml\n\n<feedback/>\n--d--\n");
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].content_type == "application/xml");
  CHECK(e.attachments[0].bytes == "<feedback/>");

  // A multipart without any delimiter is sniffed as one leaf.
  e = extract_ok("Subject: nd\nContent-Type: multipart/mixed; boundary=x\n\n<?xml?><feedback/>");
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].content_type == "multipart/mixed");
}

TEST_CASE("failure-report rules")
{
  const std::string arf_part = "Content-Type: message/feedback-report\n\nFeedback-Type: auth-failure\n";

  // A failure report forwarded next to an aggregate report: the failure flag is set,
  // the aggregate attachment outside it stays, the zip inside its copy does not.
  Extracted e = extract_ok("Subject: two reports\nContent-Type: multipart/mixed; boundary=o\n\n"
                           "--o\nContent-Type: message/rfc822\n\n"
                           "Subject: DMARC Failure Report\n"
                           "Content-Type: multipart/report; report-type=feedback-report; boundary=r\n\n"
                           "--r\n" + arf_part
                           + "--r\nContent-Type: message/rfc822\n\n"
                             "Subject: spoof\nContent-Type: application/zip\n\nSPOOF\n"
                             "--r--\n"
                             "--o\nContent-Type: application/gzip; name=agg.xml.gz\n\nAGG\n"
                             "--o--\n");
  CHECK(e.is_failure_report);
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].bytes == "AGG");

  // A failure-report subject with an aggregate attachment of its own is an aggregate report.
  e = extract_ok("Subject: Weekly DMARC Failure Report summary\n"
                 "Content-Type: multipart/mixed; boundary=a\n\n"
                 "--a\nContent-Type: application/zip; name=r.zip\n\nZIP\n--a--\n");
  CHECK_FALSE(e.is_failure_report);
  REQUIRE(e.attachments.size() == 1);

  // multipart/report; report-type=feedback-report without ARF part and without subject hint.
  e = extract_ok("Subject: report\n"
                 "Content-Type: multipart/report; report-type=\"Feedback-Report\"; boundary=f\n\n"
                 "--f\nContent-Type: text/plain\n\nheaders follow\n"
                 "--f\nContent-Type: message/rfc822\n\nSubject: x\nContent-Type: text/xml\n\n<x/>\n"
                 "--f--\n");
  CHECK(e.is_failure_report);
  CHECK(e.attachments.empty());

  // An ARF part at the top level of an otherwise plain message.
  e = extract_ok("Subject: abuse\nContent-Type: multipart/mixed; boundary=m\n\n--m\n" + arf_part
                 + "--m--\n");
  CHECK(e.is_failure_report);
}

TEST_CASE("looks_like_message")
{
  CHECK(looks_like_message("Received: from x\n"));
  CHECK(looks_like_message("Subject : obsolete blank before the colon\n"));
  CHECK(looks_like_message("X-Empty:\n"));
  CHECK(looks_like_message("From dmarc@example.org Wed Nov 15 01:02:03 2023\nSubject: x\n"));
  CHECK(looks_like_message("Return-Path: <a@example.com>\r\n"));
  CHECK_FALSE(looks_like_message(""));
  CHECK_FALSE(looks_like_message("From dmarc@example.org Wed Nov 15 01:02:03 2023"));
  CHECK_FALSE(looks_like_message("From dmarc@example.org\nnot a header\n"));
  CHECK_FALSE(looks_like_message("<?xml version=\"1.0\"?>"));
  CHECK_FALSE(looks_like_message("<feedback:x>"));
  CHECK_FALSE(looks_like_message("{\"organization-name\": \"x\"}"));
  CHECK_FALSE(looks_like_message("[1, 2]"));
  CHECK_FALSE(looks_like_message(std::string("\x1f\x8b\x08\x00", 4)));
  CHECK_FALSE(looks_like_message(std::string("PK\x03\x04", 4)));
  CHECK_FALSE(looks_like_message("\xEF\xBB\xBFSubject: x\n"));
  CHECK_FALSE(looks_like_message("hello world: x\n"));
  CHECK_FALSE(looks_like_message(": no name\n"));
  CHECK_FALSE(looks_like_message(" Subject: folded first line\n"));
}
