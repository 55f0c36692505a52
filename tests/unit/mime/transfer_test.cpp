// Transfer decoding through mimetic's codecs, including the inputs where the bare
// mimetic decoders are wrong (see transfer.hpp).
#include "mime/transfer.hpp"

#include <catch2/catch.hpp>

using namespace dmarc::mime;

TEST_CASE("parse_encoding")
{
  CHECK(parse_encoding("base64") == Encoding::base64);
  CHECK(parse_encoding(" BASE64 ") == Encoding::base64);
  CHECK(parse_encoding("Quoted-Printable") == Encoding::quoted_printable);
  CHECK(parse_encoding("7bit") == Encoding::identity);
  CHECK(parse_encoding("8bit") == Encoding::identity);
  CHECK(parse_encoding("binary") == Encoding::identity);
  CHECK(parse_encoding("x-unknown") == Encoding::identity);
  CHECK(parse_encoding("") == Encoding::identity);
}

TEST_CASE("decode_base64 tolerates line breaks, blanks, missing padding")
{
  CHECK(decode_base64("SGVsbG8sIHdvcmxkIQ==") == "Hello, world!");
  CHECK(decode_base64("SGVs\r\nbG8s IHdv\tcmxk\nIQ==\n") == "Hello, world!");
  CHECK(decode_base64("SGVsbG8sIHdvcmxkIQ") == "Hello, world!");
  CHECK(decode_base64("SGVsbG8sIHdvcmxkIQ=") == "Hello, world!");
  CHECK(decode_base64("QUI") == "AB");
  CHECK(decode_base64("") == "");
  CHECK(decode_base64("\n\n") == "");
  // Binary output, every byte value.
  CHECK(decode_base64("AAEC/f7/") == std::string("\x00\x01\x02\xfd\xfe\xff", 6));
}

TEST_CASE("decode_base64 skips garbage, including '|' that mimetic maps to 'A'")
{
  CHECK(decode_base64("QU|JD") == "ABC");
  CHECK(decode_base64("!QU*JD~\x80\xff") == "ABC");
  CHECK(decode_base64("Q-U_J.D") == "ABC");
  // '=' where no padding can be is junk, not a 6-bit value.
  CHECK(decode_base64("=QUJD") == "ABC");
  CHECK(decode_base64("Q=UJD") == "ABC");
}

TEST_CASE("decode_base64 continues after padding (concatenated encodings)")
{
  CHECK(decode_base64("QQ==QUJD") == "AABC");
  CHECK(decode_base64("QQ=QUJD") == "AABC");
  CHECK(decode_base64("QUI=QUJD") == "ABABC");
}

TEST_CASE("decode_base64 stops near max_out")
{
  const std::string out = decode_base64("SGVsbG8sIHdvcmxkIQ==", 4);
  CHECK(out.size() >= 4);
  CHECK(out.size() < 13);
  CHECK(out.substr(0, 4) == "Hell");
}

TEST_CASE("decode_quoted_printable basics")
{
  CHECK(decode_quoted_printable("a=3Db=3db") == "a=b=b");
  CHECK(decode_quoted_printable("caf=C3=A9") == "caf\xC3\xA9");
  CHECK(decode_quoted_printable("soft=\nbreak") == "softbreak");
  CHECK(decode_quoted_printable("soft=\r\nbreak") == "softbreak");
  CHECK(decode_quoted_printable("soft= \t\nbreak") == "softbreak");
  CHECK(decode_quoted_printable("line1\r\nline2\r\n") == "line1\nline2\n");
  CHECK(decode_quoted_printable("line1\nline2\n") == "line1\nline2\n");
  CHECK(decode_quoted_printable("=20\n") == " \n");
  CHECK(decode_quoted_printable("") == "");
}

TEST_CASE("decode_quoted_printable: the cases bare mimetic gets wrong")
{
  // Trailing blanks before an LF line break: mimetic also ate the line break.
  CHECK(decode_quoted_printable("abc \ndef\n") == "abc\ndef\n");
  CHECK(decode_quoted_printable("tab\t\nnext") == "tab\nnext");
  // A soft line break at the very end: mimetic printed the '='.
  CHECK(decode_quoted_printable("end=\n") == "end");
  CHECK(decode_quoted_printable("end=") == "end");
  CHECK(decode_quoted_printable("end= \r\n") == "end");
  // Trailing blanks at the very end: mimetic printed "=".
  CHECK(decode_quoted_printable("end  ") == "end");
}

TEST_CASE("decode_quoted_printable keeps malformed escapes")
{
  CHECK(decode_quoted_printable("a=ZZb") == "a=ZZb");
  CHECK(decode_quoted_printable("a=4") == "a=4");
  CHECK(decode_quoted_printable("100=%") == "100=%");
}

TEST_CASE("decode_transfer dispatches and caps")
{
  CHECK(decode_transfer("QUJD", Encoding::base64) == "ABC");
  CHECK(decode_transfer("A=3DB", Encoding::quoted_printable) == "A=B");
  CHECK(decode_transfer("raw =3D bytes", Encoding::identity) == "raw =3D bytes");
  CHECK(decode_transfer("raw bytes", Encoding::identity, 3) == "raw");
}
