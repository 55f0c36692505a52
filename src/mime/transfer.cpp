#include "mime/transfer.hpp"

#include "core/text.hpp"

#include <mimetic/codec/base64.h>
#include <mimetic/codec/qp.h>

#include <algorithm>
#include <iterator>

namespace dmarc::mime {

namespace {

bool is_base64_char(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
         || c == '/';
}

bool is_blank(char c)
{
  return c == ' ' || c == '\t';
}

// `text` without what mimetic's QP decoder gets wrong at the very end: trailing blanks
// (it prints "=" for them) and a final soft line break (it prints the "=").
std::string_view trim_qp_end(std::string_view text)
{
  std::size_t end = text.size();
  while (end > 0 && is_blank(text[end - 1])) {
    --end;
  }
  std::size_t k = end;
  if (k > 0 && text[k - 1] == '\n') {
    --k;
    if (k > 0 && text[k - 1] == '\r') {
      --k;
    }
    while (k > 0 && is_blank(text[k - 1])) {
      --k;
    }
    if (k > 0 && text[k - 1] == '=') {
      end = k - 1;
    }
  } else if (k > 0 && text[k - 1] == '=') {
    end = k - 1;
  }
  return text.substr(0, end);
}

} // namespace

Encoding parse_encoding(std::string_view value)
{
  const std::string_view v = text::trim(value);
  if (text::iequals(v, "base64")) {
    return Encoding::base64;
  }
  if (text::iequals(v, "quoted-printable")) {
    return Encoding::quoted_printable;
  }
  return Encoding::identity;
}

std::string decode_base64(std::string_view text, std::size_t max_out)
{
  std::string out;
  out.reserve(std::min(text.size() / 4 * 3 + 3, max_out == k_unlimited ? max_out : max_out + 3));
  auto it = std::back_inserter(out);
  mimetic::Base64::Decoder decoder;
  // `quantum` mirrors the decoder's position in the current 4-character group, so '='
  // reaches it only where padding is meaningful.
  int quantum = 0;
  bool skip_pad = false;
  for (const char c : text) {
    if (out.size() >= max_out) {
      return out;
    }
    if (is_base64_char(c)) {
      skip_pad = false;
      decoder.process(static_cast<unsigned char>(c), it);
      quantum = (quantum + 1) & 3;
    } else if (c == '=') {
      if (quantum == 2) {
        // "xx=" then anything: complete the group as "xx==" and eat a second '='.
        decoder.process('=', it);
        decoder.process('=', it);
        quantum = 0;
        skip_pad = true;
      } else if (quantum == 3) {
        decoder.process('=', it);
        quantum = 0;
      } else if (skip_pad) {
        skip_pad = false;
      }
      // '=' at the start of a group is junk: dropped.
    }
    // Line breaks, blanks and garbage are skipped.
  }
  decoder.flush(it);
  return out;
}

std::string decode_quoted_printable(std::string_view text, std::size_t max_out)
{
  const std::string_view input = trim_qp_end(text);
  std::string out;
  out.reserve(std::min(input.size(), max_out));
  auto it = std::back_inserter(out);
  mimetic::QP::Decoder decoder;
  char previous = 0;
  for (const char c : input) {
    if (out.size() >= max_out) {
      return out;
    }
    if (c == '\n' && previous != '\r') {
      // mimetic handles blanks before a line break only for CRLF.
      decoder.process(static_cast<unsigned char>('\r'), it);
    }
    decoder.process(static_cast<unsigned char>(c), it);
    previous = c;
  }
  decoder.flush(it);
  return out;
}

std::string decode_transfer(std::string_view body, Encoding encoding, std::size_t max_out)
{
  switch (encoding) {
  case Encoding::base64: return decode_base64(body, max_out);
  case Encoding::quoted_printable: return decode_quoted_printable(body, max_out);
  case Encoding::identity: break;
  }
  return std::string(body.substr(0, std::min(body.size(), max_out)));
}

} // namespace dmarc::mime
