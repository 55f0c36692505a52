#include "core/text.hpp"

#include <catch2/catch.hpp>

using namespace dmarc::text;

TEST_CASE("sanitize_utf8 replaces each ill-formed sequence with one U+FFFD")
{
  CHECK(sanitize_utf8("plain") == "plain");
  CHECK(sanitize_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
  CHECK(sanitize_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  // A truncated 3-byte sequence is one maximal subpart.
  CHECK(sanitize_utf8("a\xE2\x82" "b") == "a\xEF\xBF\xBD" "b");
  // Overlong encoding of '/' and a UTF-16 surrogate are both rejected.
  CHECK(sanitize_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(sanitize_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(is_valid_utf8("\xF0\x9F\x98\x80"));
  CHECK_FALSE(is_valid_utf8("\xF0\x9F\x98"));
}

TEST_CASE("parse_u64 accepts counts above 2^31 and rejects junk")
{
  CHECK(parse_u64(" 4294967296 ") == 4294967296ULL);
  CHECK(parse_u64("18446744073709551615") == 18446744073709551615ULL);
  CHECK_FALSE(parse_u64("18446744073709551616").has_value());
  CHECK_FALSE(parse_u64("-1").has_value());
  CHECK_FALSE(parse_u64("12a").has_value());
  CHECK_FALSE(parse_u64("").has_value());
}

TEST_CASE("parse_rfc3339 handles Z, offsets and fractions")
{
  CHECK(parse_rfc3339("2016-04-01T00:00:00Z") == 1459468800);
  CHECK(parse_rfc3339("2016-04-01T23:59:59Z") == 1459555199);
  CHECK(parse_rfc3339("2016-04-01T02:00:00+02:00") == 1459468800);
  CHECK(parse_rfc3339("2016-04-01T00:00:00.123Z") == 1459468800);
  CHECK(parse_rfc3339("2016-04-01") == 1459468800);
  CHECK_FALSE(parse_rfc3339("yesterday").has_value());
  CHECK_FALSE(parse_rfc3339("2016-13-01T00:00:00Z").has_value());
}

TEST_CASE("parse_rfc3339 rejects a day the month does not have")
{
  CHECK_FALSE(parse_rfc3339("2024-02-30T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2023-02-29T00:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("2024-04-31T12:00:00Z").has_value());
  CHECK_FALSE(parse_rfc3339("1900-02-29").has_value());
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z") == 1709164800);
  CHECK(parse_rfc3339("2000-02-29T00:00:00Z") == 951782400);
  CHECK(parse_rfc3339("2024-12-31T00:00:00Z") == 1735603200);
}

TEST_CASE("format_utc and format_date are the inverse of parse")
{
  CHECK(format_utc(1459555199) == "2016-04-01 23:59:59");
  CHECK(format_date(0) == "1970-01-01");
  CHECK(parse_date("2024-02-29") == 1709164800);
  CHECK_FALSE(parse_date("2024-02-29T00:00").has_value());
  CHECK_FALSE(parse_date("2024-02-30").has_value());
  CHECK_FALSE(parse_date("2023-02-29").has_value());
  CHECK_FALSE(parse_date("2024-04-31").has_value());
  CHECK(parse_date("2024-12-31") == 1735603200);
}

TEST_CASE("trim, to_lower, iequals, icontains")
{
  CHECK(trim(" \t example.com \r\n") == "example.com");
  CHECK(to_lower("Pass") == "pass");
  CHECK(iequals("PASS", "pass"));
  CHECK_FALSE(iequals("pass", "passed"));
  CHECK(icontains("DMARC Forensic Report for x", "forensic report"));
}

TEST_CASE("printable escapes control characters so text stays one line on a terminal")
{
  CHECK(printable("plain Exämple.com") == "plain Exämple.com");
  CHECK(printable("a\nb\rc\td") == "a\\nb\\rc\\td");
  CHECK(printable("\x1b[31mred\x7f") == "\\x1b[31mred\\x7f");
  CHECK(printable(std::string("nul\0end", 7)) == "nul\\x00end");
  CHECK(printable("csi\xc2\x9b" "2J \xc2\xa0nbsp") == "csi\\u009b2J \xc2\xa0nbsp");
  CHECK(printable("two\nlines\x1b", true) == "two\nlines\\x1b");
  CHECK(printable(printable("x\ny")) == printable("x\ny"));
  // Bytes of no UTF-8 character: a lone 0x9b is the 8-bit CSI, Latin-1 'é', a cut sequence.
  CHECK(printable("bad\x9b" "2J caf\xe9 \xe2\x82") == "bad\\x9b2J caf\\xe9 \\xe2\\x82");
  CHECK(printable("\xe2\x82\xac \xf0\x9f\x93\xa7") == "\xe2\x82\xac \xf0\x9f\x93\xa7");
  CHECK(is_valid_utf8(printable("\xff\xc0\x80\xed\xa0\x80")));
}
