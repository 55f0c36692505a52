#include "mime/entity.hpp"

#include "core/text.hpp"
#include "mime/transfer.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <iconv.h>
#include <map>

namespace dmarc::mime {

namespace {

constexpr auto k_npos = std::string_view::npos;

bool is_blank(char c)
{
  return c == ' ' || c == '\t';
}

bool is_blank_line(std::string_view line)
{
  return std::all_of(line.begin(), line.end(), [](char c) { return is_blank(c) || c == '\r'; });
}

// The line starting at `pos` without its line break, and the position after the break.
std::pair<std::string_view, std::size_t> line_at(std::string_view s, std::size_t pos)
{
  const std::size_t nl = s.find('\n', pos);
  const std::size_t end = nl == k_npos ? s.size() : nl;
  std::string_view line = s.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return {line, nl == k_npos ? s.size() : nl + 1};
}

int hex_value(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// "%41" → "A"; a '%' without two hex digits stays.
std::string percent_decode(std::string_view s)
{
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 2047 "Q" encoding: '_' is a space, "=XX" a byte.
std::string decode_q(std::string_view s)
{
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      out += ' ';
    } else if (s[i] == '=' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0
               && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct RawParam
{
  std::string name;
  std::string value;
};

// Splits "; a=b; c="d;e"" into name/value pairs. Quoted strings keep ';' and lose their
// backslash escapes; an unterminated quote runs to the end.
std::vector<RawParam> split_params(std::string_view s)
{
  std::vector<RawParam> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && (is_blank(s[pos]) || s[pos] == ';')) {
      ++pos;
    }
    if (pos >= s.size()) {
      break;
    }
    std::size_t name_end = pos;
    while (name_end < s.size() && s[name_end] != '=' && s[name_end] != ';') {
      ++name_end;
    }
    RawParam param;
    param.name = text::to_lower(text::trim(s.substr(pos, name_end - pos)));
    pos = name_end;
    if (pos < s.size() && s[pos] == '=') {
      ++pos;
      while (pos < s.size() && is_blank(s[pos])) {
        ++pos;
      }
      if (pos < s.size() && s[pos] == '"') {
        ++pos;
        while (pos < s.size() && s[pos] != '"') {
          if (s[pos] == '\\' && pos + 1 < s.size()) {
            ++pos;
          }
          param.value += s[pos];
          ++pos;
        }
        // Skip the closing quote and anything up to the next ';'.
        while (pos < s.size() && s[pos] != ';') {
          ++pos;
        }
      } else {
        std::size_t value_end = s.find(';', pos);
        if (value_end == k_npos) {
          value_end = s.size();
        }
        param.value = std::string(text::trim(s.substr(pos, value_end - pos)));
        pos = value_end;
      }
    }
    if (!param.name.empty()) {
      out.push_back(std::move(param));
    }
  }
  return out;
}

// True when `line` continues a parameter list that `previous` left open with ';' but was
// not indented: `Content-Type: multipart/report;` then `boundary="..."; report-type=tlsrpt`
// at the start of the next line (seen in Microsoft's TLS report mails). RFC 5322 §2.2.3
// requires the blank; without this the header would end at that line and the message lose
// its boundary or, in a part, its Content-Transfer-Encoding.
bool is_unindented_parameter(std::string_view previous, std::string_view line)
{
  while (!previous.empty() && is_blank(previous.back())) {
    previous.remove_suffix(1);
  }
  if (previous.empty() || previous.back() != ';') {
    return false;
  }
  std::size_t i = 0;
  while (i < line.size()
         && (std::isalnum(static_cast<unsigned char>(line[i])) != 0 || line[i] == '-'
             || line[i] == '_' || line[i] == '.' || line[i] == '*')) {
    ++i;
  }
  while (i > 0 && i < line.size() && is_blank(line[i])) {
    ++i;
  }
  return i > 0 && i < line.size() && line[i] == '=';
}

} // namespace

bool is_field_line(std::string_view line)
{
  std::size_t i = 0;
  while (i < line.size() && line[i] > ' ' && line[i] < 127 && line[i] != ':') {
    ++i;
  }
  if (i == 0) {
    return false;
  }
  while (i < line.size() && is_blank(line[i])) {
    ++i;
  }
  return i < line.size() && line[i] == ':';
}

Entity split_entity(std::string_view raw, MboxLine mbox)
{
  std::size_t begin = 0;
  if (mbox == MboxLine::skip && raw.substr(0, 5) == "From ") {
    begin = line_at(raw, 0).second;
  }
  std::size_t pos = begin;
  std::string_view previous;
  while (pos < raw.size()) {
    const auto [line, next] = line_at(raw, pos);
    if (is_blank_line(line)) {
      return {raw.substr(begin, pos - begin), raw.substr(next)};
    }
    const bool continuation =
      pos > begin && (is_blank(line.front()) || is_unindented_parameter(previous, line));
    previous = line;
    if (!continuation && !is_field_line(line)) {
      // No empty line before the body: this line is the first line of the body.
      return {raw.substr(begin, pos - begin), raw.substr(pos)};
    }
    pos = next;
  }
  return {raw.substr(begin), {}};
}

std::optional<std::string> header_field(std::string_view header, std::string_view name)
{
  std::optional<std::string> value;
  std::size_t pos = 0;
  std::string_view previous;
  while (pos < header.size()) {
    const auto [line, next] = line_at(header, pos);
    pos = next;
    const std::string_view before = previous;
    previous = line;
    if (!line.empty() && is_blank(line.front())) {
      if (value) {
        value->append(line); // unfolding removes the line break, keeps the blanks
      }
      continue;
    }
    if (is_unindented_parameter(before, line) && !is_field_line(line)) {
      if (value) {
        value->append(" ").append(line);
      }
      continue;
    }
    if (value) {
      break;
    }
    const std::size_t colon = line.find(':');
    if (colon == k_npos) {
      continue;
    }
    std::string_view field_name = line.substr(0, colon);
    while (!field_name.empty() && is_blank(field_name.back())) {
      field_name.remove_suffix(1);
    }
    if (text::iequals(field_name, name)) {
      value.emplace(line.substr(colon + 1));
    }
  }
  if (value) {
    *value = std::string(text::trim(*value));
  }
  return value;
}

const std::string& FieldValue::param(std::string_view name) const
{
  static const std::string k_empty;
  for (const auto& [key, value] : params) {
    if (key == name) {
      return value;
    }
  }
  return k_empty;
}

FieldValue parse_field_value(std::string_view unfolded)
{
  FieldValue result;
  const std::size_t semi = unfolded.find(';');
  result.value = text::to_lower(text::trim(unfolded.substr(0, semi)));
  if (semi == k_npos) {
    return result;
  }

  // RFC 2231: "name*" is one extended value, "name*N" / "name*N*" are sections.
  struct Section
  {
    std::string value;
    bool extended = false;
  };
  std::map<std::string, std::map<int, Section>> continued;
  for (RawParam& raw : split_params(unfolded.substr(semi + 1))) {
    const std::size_t star = raw.name.find('*');
    if (star == std::string::npos) {
      const bool seen = std::any_of(result.params.begin(), result.params.end(),
                                    [&](const auto& p) { return p.first == raw.name; });
      if (!seen) {
        result.params.emplace_back(std::move(raw.name), std::move(raw.value));
      }
      continue;
    }
    const std::string base = raw.name.substr(0, star);
    std::string_view rest = std::string_view(raw.name).substr(star + 1);
    Section section;
    int index = 0;
    if (rest.empty()) {
      section.extended = true; // "name*="
    } else {
      section.extended = rest.back() == '*';
      if (section.extended) {
        rest.remove_suffix(1);
      }
      const auto n = text::parse_u64(rest);
      if (!n || *n > 999 || rest.empty()) {
        continue;
      }
      index = static_cast<int>(*n);
    }
    section.value = std::move(raw.value);
    continued[base].emplace(index, std::move(section));
  }
  for (auto& [base, sections] : continued) {
    std::string value;
    std::string charset;
    int expected = 0;
    for (auto& [index, section] : sections) {
      if (index != expected++) {
        break; // a gap ends the value
      }
      std::string_view piece = section.value;
      if (section.extended && index == 0) {
        // charset'language'value
        const std::size_t q1 = piece.find('\'');
        const std::size_t q2 = q1 == k_npos ? k_npos : piece.find('\'', q1 + 1);
        if (q2 != k_npos) {
          charset = std::string(piece.substr(0, q1));
          piece.remove_prefix(q2 + 1);
        }
      }
      value += section.extended ? percent_decode(piece) : std::string(piece);
    }
    if (!charset.empty()) {
      value = charset_to_utf8(value, charset);
    }
    const std::string& name = base; // clang 14 cannot capture a structured binding
    auto it = std::find_if(result.params.begin(), result.params.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it != result.params.end()) {
      it->second = std::move(value); // the RFC 2231 form wins over a plain fallback
    } else {
      result.params.emplace_back(name, std::move(value));
    }
  }
  return result;
}

std::string charset_to_utf8(std::string_view bytes, std::string_view charset)
{
  // RFC 2231 §5: "charset*language".
  std::string name = text::to_lower(text::trim(charset.substr(0, charset.find('*'))));
  if (name.empty() || name == "utf-8" || name == "utf8" || name == "us-ascii" || name == "ascii") {
    return text::sanitize_utf8(bytes);
  }
  // glibc's iconv knows ISO-8859-x, windows-125x, KOI8, ISO-2022-JP, Shift_JIS, ...
  iconv_t cd = iconv_open("UTF-8", name.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return text::sanitize_utf8(bytes); // an unknown charset: only UTF-8 survives, the rest is U+FFFD
  }
  std::string out;
  std::string in(bytes);
  char* in_ptr = in.data();
  std::size_t in_left = in.size();
  char buffer[1024];
  while (in_left > 0) {
    char* out_ptr = buffer;
    std::size_t out_left = sizeof buffer;
    const std::size_t r = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    out.append(buffer, static_cast<std::size_t>(out_ptr - buffer));
    if (r == static_cast<std::size_t>(-1)) {
      if (errno == E2BIG) {
        continue;
      }
      // A byte the charset does not define (or a truncated sequence): one U+FFFD for it.
      out += "\xEF\xBF\xBD";
      ++in_ptr;
      --in_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  char* out_ptr = buffer;
  std::size_t out_left = sizeof buffer;
  iconv(cd, nullptr, nullptr, &out_ptr, &out_left); // a stateful charset's shift back
  out.append(buffer, static_cast<std::size_t>(out_ptr - buffer));
  iconv_close(cd);
  return text::sanitize_utf8(out);
}

std::string decode_encoded_words(std::string_view text)
{
  std::string out;
  std::size_t pos = 0;
  bool after_word = false;
  while (pos < text.size()) {
    const std::size_t start = text.find("=?", pos);
    if (start == k_npos) {
      out.append(text.substr(pos));
      break;
    }
    // =?charset?X?encoded?=
    const std::size_t q1 = text.find('?', start + 2);
    const bool shape = q1 != k_npos && q1 > start + 2 && q1 + 2 < text.size()
                       && text[q1 + 2] == '?';
    const std::size_t end = shape ? text.find("?=", q1 + 3) : k_npos;
    const std::string_view charset =
      shape ? text.substr(start + 2, q1 - start - 2) : std::string_view();
    const std::string_view encoded =
      end != k_npos ? text.substr(q1 + 3, end - q1 - 3) : std::string_view();
    const char kind = shape ? text[q1 + 1] : 0;
    const auto has_space = [](std::string_view s) {
      return std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t'; });
    };
    if (end == k_npos || has_space(charset) || has_space(encoded)
        || (kind != 'B' && kind != 'b' && kind != 'Q' && kind != 'q')) {
      out.append(text.substr(pos, start + 2 - pos));
      pos = start + 2;
      after_word = false;
      continue;
    }
    const std::string_view between = text.substr(pos, start - pos);
    if (!(after_word && text::trim(between).empty())) {
      out.append(between); // blanks between two encoded words are dropped (RFC 2047 §6.2)
    }
    out += charset_to_utf8((kind == 'B' || kind == 'b') ? decode_base64(encoded) : decode_q(encoded),
                           charset);
    pos = end + 2;
    after_word = true;
  }
  return out;
}

MultipartBody split_multipart(std::string_view body, std::string_view boundary,
                              std::size_t max_parts)
{
  MultipartBody result;
  if (boundary.empty()) {
    return result;
  }
  std::string delimiter = "--";
  delimiter += boundary;
  std::size_t part_begin = k_npos;
  std::size_t pos = 0;
  while (true) {
    const std::size_t at = body.find(delimiter, pos);
    if (at == k_npos) {
      break;
    }
    pos = at + 1;
    if (at > 0 && body[at - 1] != '\n') {
      continue; // not at the start of a line
    }
    std::size_t q = at + delimiter.size();
    const bool closing = body.substr(q, 2) == "--";
    if (closing) {
      q += 2;
    }
    while (q < body.size() && (is_blank(body[q]) || body[q] == '\r')) {
      ++q;
    }
    if (q < body.size() && body[q] != '\n') {
      continue; // "--boundaryX": a longer boundary (nested part) or text
    }
    const std::size_t next_line = q < body.size() ? q + 1 : body.size();
    if (part_begin != k_npos) {
      std::size_t end = at;
      if (end > part_begin && body[end - 1] == '\n') {
        --end;
        if (end > part_begin && body[end - 1] == '\r') {
          --end;
        }
      }
      result.parts.push_back(body.substr(part_begin, end - part_begin));
      if (result.parts.size() > max_parts) {
        result.truncated = true;
        return result;
      }
    }
    if (closing) {
      result.closed = true;
      return result;
    }
    part_begin = next_line;
    pos = next_line;
  }
  if (part_begin != k_npos) {
    result.parts.push_back(body.substr(part_begin));
    result.truncated = result.parts.size() > max_parts;
  }
  return result;
}

std::string_view guess_boundary(std::string_view body)
{
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto [line, next] = line_at(body, pos);
    if (line.size() > 2 && line.substr(0, 2) == "--") {
      line.remove_prefix(2);
      while (!line.empty() && is_blank(line.back())) {
        line.remove_suffix(1);
      }
      return line;
    }
    pos = next;
  }
  return {};
}

} // namespace dmarc::mime
