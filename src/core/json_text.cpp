#include "core/json_text.hpp"

#include "core/text.hpp"

#include <charconv>

namespace dmarc::json_text {

namespace {

constexpr const char* k_hex = "0123456789abcdef";

// Escapes `s`, which must be valid UTF-8: runs of plain bytes are copied at once.
void append_escaped(std::string& out, std::string_view s)
{
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      continue;
    }
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    default:
      out += "\\u00";
      out += k_hex[c >> 4];
      out += k_hex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
}

bool is_ascii(std::string_view s)
{
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

template <typename T>
void append_chars(std::string& out, T value)
{
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, r.ptr);
}

} // namespace

void append_string(std::string& out, std::string_view s)
{
  out += '"';
  if (is_ascii(s) || text::is_valid_utf8(s)) {
    append_escaped(out, s);
  } else {
    append_escaped(out, text::sanitize_utf8(s));
  }
  out += '"';
}

void append_number(std::string& out, int64_t value) { append_chars(out, value); }
void append_number(std::string& out, uint64_t value) { append_chars(out, value); }
void append_number(std::string& out, double value) { append_chars(out, value); }

} // namespace dmarc::json_text
