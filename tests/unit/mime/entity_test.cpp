// The entity splitter, header fields, parameters (RFC 2045/2231), encoded words
// (RFC 2047) and multipart splitting (RFC 2046) that replace mimetic's parser.
#include "mime/entity.hpp"

#include <catch2/catch.hpp>

using namespace dmarc::mime;

TEST_CASE("split_entity finds the empty line with LF, CRLF or blanks on it")
{
  Entity e = split_entity("A: 1\nB: 2\n\nbody\n");
  CHECK(e.header == "A: 1\nB: 2\n");
  CHECK(e.body == "body\n");

  e = split_entity("A: 1\r\n folded\r\n\r\nbody\r\n");
  CHECK(e.header == "A: 1\r\n folded\r\n");
  CHECK(e.body == "body\r\n");

  e = split_entity("A: 1\n \t \nbody");
  CHECK(e.header == "A: 1\n");
  CHECK(e.body == "body");
}

TEST_CASE("split_entity: a non-header line starts the body; header-only entities")
{
  Entity e = split_entity("A: 1\nthis is body text\nmore\n");
  CHECK(e.header == "A: 1\n");
  CHECK(e.body == "this is body text\nmore\n");

  e = split_entity("\nonly body");
  CHECK(e.header.empty());
  CHECK(e.body == "only body");

  e = split_entity("A: 1\nB: 2");
  CHECK(e.header == "A: 1\nB: 2");
  CHECK(e.body.empty());

  // An mbox "From " line is skipped only when asked.
  e = split_entity("From a@example.org Wed Nov 15\nA: 1\n\nb", MboxLine::skip);
  CHECK(e.header == "A: 1\n");
  CHECK(e.body == "b");
  e = split_entity("From a@example.org Wed Nov 15\nA: 1\n\nb");
  CHECK(e.header.empty());
}

TEST_CASE("a parameter after a ';' without the folding blank stays in the header")
{
  // Microsoft's TLS report mails: the boundary on its own, unindented line.
  Entity e = split_entity("Content-Type: multipart/report;\r\nboundary=\"b1\"; report-type=tlsrpt\r\n"
                          "Subject: s\r\n\r\nbody");
  CHECK(e.body == "body");
  CHECK(header_field(e.header, "content-type")
        == "multipart/report; boundary=\"b1\"; report-type=tlsrpt");
  CHECK(header_field(e.header, "subject") == "s");
  const FieldValue type = parse_field_value(*header_field(e.header, "content-type"));
  CHECK(type.param("boundary") == "b1");

  // Without the ';' (or without '=') such a line is still the first line of the body.
  e = split_entity("Content-Type: text/plain\nname=x\n\nb");
  CHECK(e.body == "name=x\n\nb");
  e = split_entity("Content-Type: text/plain;\nhello world\n\nb");
  CHECK(e.body == "hello world\n\nb");
}

TEST_CASE("is_field_line follows RFC 5322 field names")
{
  CHECK(is_field_line("Content-Type: text/plain"));
  CHECK(is_field_line("X_Odd.Name!: v"));
  CHECK(is_field_line("Subject\t: v"));
  CHECK_FALSE(is_field_line(""));
  CHECK_FALSE(is_field_line(":v"));
  CHECK_FALSE(is_field_line("two words: v"));
  CHECK_FALSE(is_field_line(" Folded: v"));
  CHECK_FALSE(is_field_line("NoColon"));
}

TEST_CASE("header_field unfolds, ignores case and returns the first occurrence")
{
  const std::string header = "Received: a\n"
                             "SUBJECT: Report domain: example.com\r\n"
                             "\tReport-ID: 42 \r\n"
                             "Subject: second\n"
                             "Content-Type : text/plain\n"
                             "X-Empty:\n";
  CHECK(header_field(header, "subject") == "Report domain: example.com\tReport-ID: 42");
  CHECK(header_field(header, "content-type") == "text/plain");
  CHECK(header_field(header, "x-empty") == "");
  CHECK_FALSE(header_field(header, "message-id").has_value());
  CHECK_FALSE(header_field(header, "Report-ID").has_value());
}

TEST_CASE("parse_field_value: value, tokens and quoted strings")
{
  const FieldValue v =
    parse_field_value(" Application/ZIP ; Name=\"a;b \\\"c\\\".zip\";x-mac-creator=4F50;  junk ; "
                      "charset = us-ascii ;name=ignored-second");
  CHECK(v.value == "application/zip");
  CHECK(v.param("name") == "a;b \"c\".zip");
  CHECK(v.param("x-mac-creator") == "4F50");
  CHECK(v.param("charset") == "us-ascii");
  CHECK(v.param("junk") == "");
  CHECK(v.param("missing") == "");

  const FieldValue boundary = parse_field_value("multipart/mixed;\tboundary=----=_Part_1_2.3");
  CHECK(boundary.param("boundary") == "----=_Part_1_2.3");

  const FieldValue unterminated = parse_field_value("text/plain; name=\"open");
  CHECK(unterminated.param("name") == "open");

  CHECK(parse_field_value("").value.empty());
}

TEST_CASE("parse_field_value: RFC 2231 extended values and continuations")
{
  FieldValue v = parse_field_value("attachment; filename*=UTF-8''r%C3%A9port%21.xml.gz");
  CHECK(v.value == "attachment");
  CHECK(v.param("filename") == "r\xC3\xA9port!.xml.gz");

  v = parse_field_value("attachment; filename*0=\"example.org!\"; filename*1=\"report.xml\"");
  CHECK(v.param("filename") == "example.org!report.xml");

  // Sections out of order, mixed plain and extended, language given, plain fallback.
  v = parse_field_value("attachment; filename=fallback.xml; filename*1*=%2Exml; "
                        "filename*0*=us-ascii'en'my%20report");
  CHECK(v.param("filename") == "my report.xml");

  // A gap ends the value.
  v = parse_field_value("attachment; filename*0=a; filename*2=c");
  CHECK(v.param("filename") == "a");
}

TEST_CASE("decode_encoded_words (RFC 2047)")
{
  CHECK(decode_encoded_words("=?utf-8?B?cmVwb3J0LnhtbC5neg==?=") == "report.xml.gz");
  CHECK(decode_encoded_words("=?ISO-8859-1?Q?r=E9port_1.xml?=") == "r\xC3\xA9port 1.xml");
  // Blanks between adjacent encoded words go, other text stays.
  CHECK(decode_encoded_words("=?utf-8?Q?a?= =?utf-8?Q?b?= and =?utf-8?q?c?=") == "ab and c");
  // Malformed words stay as they are.
  CHECK(decode_encoded_words("=?utf-8?X?abc?=") == "=?utf-8?X?abc?=");
  CHECK(decode_encoded_words("a =?broken") == "a =?broken");
  CHECK(decode_encoded_words("plain.xml") == "plain.xml");
}

TEST_CASE("decode_encoded_words converts the charset to UTF-8 (iconv); unknown ones keep U+FFFD")
{
  // ISO-8859-x and windows-125x, as real reporters' names and subjects come.
  CHECK(decode_encoded_words("=?iso-8859-2?Q?=A3=F3d=BC?=") == "\xC5\x81\xC3\xB3" "d\xC5\xBA");
  CHECK(decode_encoded_words("=?windows-1252?Q?=80_5?=") == "\xE2\x82\xAC 5");
  CHECK(decode_encoded_words("=?windows-1251?B?z/Du4uXw6uA=?=")
        == "\xD0\x9F\xD1\x80\xD0\xBE\xD0\xB2\xD0\xB5\xD1\x80\xD0\xBA\xD0\xB0");
  CHECK(decode_encoded_words("=?ISO-8859-15?Q?=A4?=") == "\xE2\x82\xAC");
  // RFC 2231 language suffix on the charset.
  CHECK(decode_encoded_words("=?ISO-8859-1*fr?Q?=E9t=E9?=") == "\xC3\xA9t\xC3\xA9");
  // A byte the charset does not define is one U+FFFD.
  CHECK(decode_encoded_words("=?windows-1252?Q?a=81b?=") == "a\xEF\xBF\xBD" "b");
  // An unknown charset: its UTF-8 survives, the rest is U+FFFD.
  CHECK(decode_encoded_words("=?x-unknown-42?Q?=E9=C3=A9?=") == "\xEF\xBF\xBD\xC3\xA9");
  // RFC 2231 parameters are converted too.
  CHECK(parse_field_value("attachment; filename*=iso-8859-1''r%E9sum%E9.xml").param("filename")
        == "r\xC3\xA9sum\xC3\xA9.xml");
}

TEST_CASE("split_multipart: delimiters, closing, transport padding, CRLF")
{
  MultipartBody m = split_multipart("preamble\n--b\nA: 1\n\none\n--b \t\n\ntwo\r\n--b--\nepilogue\n",
                                    "b", 100);
  REQUIRE(m.parts.size() == 2);
  CHECK(m.parts[0] == "A: 1\n\none");
  CHECK(m.parts[1] == "\ntwo");
  CHECK(m.closed);
  CHECK_FALSE(m.truncated);

  m = split_multipart("--b\r\n\r\nx\r\n\r\n--b--\r\n", "b", 100);
  REQUIRE(m.parts.size() == 1);
  CHECK(m.parts[0] == "\r\nx\r\n"); // only the line break before the delimiter goes
}

TEST_CASE("split_multipart: only whole delimiter lines count")
{
  // "--b" in mid-line, "--bx" (a longer boundary) and "--b--x" are content.
  const MultipartBody m =
    split_multipart("--b\n\ntext --b mid-line\n--bx\n--b--x\n--b--\n", "b", 100);
  REQUIRE(m.parts.size() == 1);
  CHECK(m.parts[0] == "\ntext --b mid-line\n--bx\n--b--x");
  CHECK(m.closed);
}

TEST_CASE("split_multipart: missing closing delimiter, empty boundary, part cap")
{
  MultipartBody m = split_multipart("--b\n\none\n--b\n\ntwo\n", "b", 100);
  REQUIRE(m.parts.size() == 2);
  CHECK(m.parts[1] == "\ntwo\n");
  CHECK_FALSE(m.closed);

  CHECK(split_multipart("--\n\nx\n", "", 100).parts.empty());
  CHECK(split_multipart("no delimiters here", "b", 100).parts.empty());

  m = split_multipart("--b\n\n1\n--b\n\n2\n--b\n\n3\n--b\n\n4\n--b--\n", "b", 2);
  CHECK(m.parts.size() == 3);
  CHECK(m.truncated);
}

TEST_CASE("guess_boundary takes the first line starting with --")
{
  CHECK(guess_boundary("preamble\n--abc \r\nA: 1\n") == "abc");
  CHECK(guess_boundary("no delimiter\n-- \n") == "");
  CHECK(guess_boundary("") == "");
}
