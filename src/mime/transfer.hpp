// Content-Transfer-Encoding decoding (RFC 2045 §6) on top of mimetic's codecs
// (internal to src/mime).
//
// Why the wrapping: mimetic's Base64::Decoder reads one entry past its table for '|'
// (0x7C) and turns it into 'A' bits, and a stray '=' in the first half of a quantum
// produces garbage; its QP::Decoder drops the line break after trailing blanks on
// LF-only lines, prints the '=' of a soft break at the very end, and prints '=' for
// trailing blanks at the end. So base64 input is filtered to the alphabet (and '='
// only where padding can be) before mimetic sees it, and QP input gets CR before a lone
// LF and loses its trailing blanks and final soft break. Both decode character by
// character straight into the output string: no intermediate copy of the body.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dmarc::mime {

enum class Encoding { identity, base64, quoted_printable };

// The encoding named by a Content-Transfer-Encoding value ("Base64", " quoted-printable").
// 7bit, 8bit, binary, unknown and absent values are identity.
Encoding parse_encoding(std::string_view value);

constexpr std::size_t k_unlimited = static_cast<std::size_t>(-1);

// Base64 to bytes. Skips line breaks, blanks and any character outside the alphabet;
// missing padding is fine; '=' followed by more data starts a new quantum (concatenated
// encodings). Stops once `max_out` bytes are produced (the result may be a few longer).
std::string decode_base64(std::string_view text, std::size_t max_out = k_unlimited);

// Quoted-printable to bytes: "=XX" (either case), soft line breaks "=" CRLF / LF,
// trailing blanks of a line removed, hard line breaks become "\n". Malformed escapes are
// kept as they are. Stops once `max_out` bytes are produced.
std::string decode_quoted_printable(std::string_view text, std::size_t max_out = k_unlimited);

// `body` decoded per `encoding` (identity copies it), at most about `max_out` bytes.
std::string decode_transfer(std::string_view body, Encoding encoding,
                            std::size_t max_out = k_unlimited);

} // namespace dmarc::mime
