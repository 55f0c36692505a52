#include "net/imap_protocol.hpp"

#include <algorithm>
#include <cctype>

namespace dmarc::net::imap {

namespace {

// RFC 3501 §5.1.3: base64 with ',' instead of '/', no padding.
constexpr std::string_view k_utf7_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int utf7_value(char c)
{
  const auto pos = k_utf7_alphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// Decodes one UTF-8 sequence at `i`; nullopt when ill-formed (overlong, surrogate, > U+10FFFF).
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i)
{
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    cp = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    cp = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    cp = b0 & 0x07;
    min = 0x10000;
  } else {
    return std::nullopt;
  }
  if (i + static_cast<std::size_t>(length) > s.size()) {
    return std::nullopt;
  }
  for (int k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      return std::nullopt;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  i += static_cast<std::size_t>(length);
  return cp;
}

void append_utf8(std::string& out, char32_t cp)
{
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Appends "&<base64 of the UTF-16BE units>-" and clears `units`.
void flush_utf16(std::string& out, std::vector<uint16_t>& units)
{
  if (units.empty()) {
    return;
  }
  out.push_back('&');
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t unit : units) {
    for (int shift : {8, 0}) {
      bits = (bits << 8) | ((unit >> shift) & 0xFF);
      nbits += 8;
      while (nbits >= 6) {
        nbits -= 6;
        out.push_back(k_utf7_alphabet[(bits >> nbits) & 0x3F]);
      }
    }
  }
  if (nbits > 0) {
    out.push_back(k_utf7_alphabet[(bits << (6 - nbits)) & 0x3F]);
  }
  out.push_back('-');
  units.clear();
}

std::string upper(std::string_view s)
{
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<int64_t> parse_number(std::string_view s)
{
  if (s.empty() || s.size() > 18) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

// If the line [begin, end) ends with a literal announcement "{n}" or "{n+}", n.
std::optional<std::size_t> literal_size(std::string_view buf, std::size_t begin, std::size_t end)
{
  if (end <= begin || buf[end - 1] != '}') {
    return std::nullopt;
  }
  std::size_t i = end - 1;
  if (i > begin && buf[i - 1] == '+') {
    --i;
  }
  const std::size_t digits_end = i;
  while (i > begin && buf[i - 1] >= '0' && buf[i - 1] <= '9') {
    --i;
  }
  if (i == digits_end || i == begin || buf[i - 1] != '{' || digits_end - i > 18) {
    return std::nullopt;
  }
  std::size_t n = 0;
  for (std::size_t k = i; k < digits_end; ++k) {
    n = n * 10 + static_cast<std::size_t>(buf[k] - '0');
  }
  return n;
}

} // namespace

Result<std::string> encode_mailbox(std::string_view utf8)
{
  std::string out;
  std::vector<uint16_t> units;
  std::size_t i = 0;
  while (i < utf8.size()) {
    const auto cp = next_code_point(utf8, i);
    if (!cp) {
      return make_error(ErrorKind::usage, "mailbox name is not valid UTF-8");
    }
    if (*cp == 0 || *cp == '\r' || *cp == '\n') {
      return make_error(ErrorKind::usage, "mailbox name contains a control character");
    }
    if (*cp >= 0x20 && *cp <= 0x7E) {
      flush_utf16(out, units);
      if (*cp == '&') {
        out += "&-";
      } else {
        out.push_back(static_cast<char>(*cp));
      }
    } else if (*cp >= 0x10000) {
      const char32_t v = *cp - 0x10000;
      units.push_back(static_cast<uint16_t>(0xD800 + (v >> 10)));
      units.push_back(static_cast<uint16_t>(0xDC00 + (v & 0x3FF)));
    } else {
      units.push_back(static_cast<uint16_t>(*cp));
    }
  }
  flush_utf16(out, units);
  return out;
}

Result<std::string> decode_mailbox(std::string_view utf7)
{
  const auto bad = [&] {
    return make_error(ErrorKind::network, "malformed modified UTF-7 mailbox name");
  };
  std::string out;
  std::size_t i = 0;
  while (i < utf7.size()) {
    const char c = utf7[i];
    if (c != '&') {
      if (c < 0x20 || c > 0x7E) {
        return bad();
      }
      out.push_back(c);
      ++i;
      continue;
    }
    const std::size_t end = utf7.find('-', i + 1);
    if (end == std::string_view::npos) {
      return bad();
    }
    if (end == i + 1) {
      out.push_back('&');
      i = end + 1;
      continue;
    }
    std::vector<uint16_t> units;
    uint32_t bits = 0;
    int nbits = 0;
    std::string bytes;
    for (std::size_t k = i + 1; k < end; ++k) {
      const int v = utf7_value(utf7[k]);
      if (v < 0) {
        return bad();
      }
      bits = (bits << 6) | static_cast<uint32_t>(v);
      nbits += 6;
      if (nbits >= 8) {
        nbits -= 8;
        bytes.push_back(static_cast<char>((bits >> nbits) & 0xFF));
      }
    }
    // Leftover bits are padding and must be zero; the bytes must make whole UTF-16 units.
    if ((bits & ((1u << nbits) - 1)) != 0 || bytes.size() % 2 != 0) {
      return bad();
    }
    for (std::size_t k = 0; k < bytes.size(); k += 2) {
      units.push_back(static_cast<uint16_t>((static_cast<unsigned char>(bytes[k]) << 8)
                                            | static_cast<unsigned char>(bytes[k + 1])));
    }
    for (std::size_t k = 0; k < units.size(); ++k) {
      const uint16_t u = units[k];
      if (u >= 0xD800 && u <= 0xDBFF) {
        if (k + 1 >= units.size() || units[k + 1] < 0xDC00 || units[k + 1] > 0xDFFF) {
          return bad();
        }
        append_utf8(out, 0x10000 + ((static_cast<char32_t>(u) - 0xD800) << 10)
                           + (units[k + 1] - 0xDC00));
        ++k;
      } else if (u >= 0xDC00 && u <= 0xDFFF) {
        return bad();
      } else {
        append_utf8(out, u);
      }
    }
    i = end + 1;
  }
  return out;
}

std::string quote(std::string_view s)
{
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string uid_set(std::vector<int64_t> uids)
{
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  std::string out;
  for (std::size_t i = 0; i < uids.size();) {
    std::size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) {
      ++j;
    }
    if (!out.empty()) {
      out.push_back(',');
    }
    out += std::to_string(uids[i]);
    if (j > i) {
      out += ":" + std::to_string(uids[j]);
    }
    i = j + 1;
  }
  return out;
}

void ResponseReader::feed(std::string_view bytes)
{
  // Drop what was handed out before growing the buffer.
  if (m_start > 0 && (m_start >= m_buf.size() / 2 || m_start > (1u << 20))) {
    m_buf.erase(0, m_start);
    m_scan -= m_start;
    m_start = 0;
  }
  m_buf.append(bytes);
}

Result<bool> ResponseReader::next(std::string& response)
{
  for (;;) {
    const std::size_t newline = m_buf.find('\n', m_scan);
    if (newline == std::string::npos) {
      if (m_buf.size() - m_start > m_max) {
        return make_error(ErrorKind::network, "server response longer than "
                                                + std::to_string(m_max) + " bytes");
      }
      return false;
    }
    std::size_t line_end = newline;
    if (line_end > m_scan && m_buf[line_end - 1] == '\r') {
      --line_end;
    }
    if (const auto n = literal_size(m_buf, m_scan, line_end)) {
      if (*n > m_max || newline + 1 - m_start > m_max - *n) {
        return make_error(ErrorKind::network, "server response longer than "
                                                + std::to_string(m_max) + " bytes");
      }
      if (m_buf.size() < newline + 1 + *n) {
        return false; // the literal is not complete yet; m_scan stays on this line
      }
      m_scan = newline + 1 + *n;
      continue;
    }
    response.assign(m_buf, m_start, line_end - m_start);
    m_start = newline + 1;
    m_scan = m_start;
    return true;
  }
}

bool Token::is_nil() const
{
  return kind == Kind::atom && view.size() == 3 && upper(view) == "NIL";
}

Token Tokenizer::next()
{
  Token t;
  while (m_pos < m_text.size() && m_text[m_pos] == ' ') {
    ++m_pos;
  }
  if (m_pos >= m_text.size() || m_text[m_pos] == '\r' || m_text[m_pos] == '\n') {
    return t;
  }
  const char c = m_text[m_pos];
  if (c == '(' || c == ')') {
    t.kind = c == '(' ? Token::Kind::open : Token::Kind::close;
    t.view = m_text.substr(m_pos, 1);
    ++m_pos;
    return t;
  }
  if (c == '"') {
    std::size_t i = m_pos + 1;
    while (i < m_text.size() && m_text[i] != '"') {
      if (m_text[i] == '\\' && i + 1 < m_text.size()) {
        ++i;
      }
      if (m_text[i] == '\r' || m_text[i] == '\n') {
        return t; // unterminated
      }
      t.unquoted.push_back(m_text[i]);
      ++i;
    }
    if (i >= m_text.size()) {
      t.unquoted.clear();
      return t;
    }
    t.kind = Token::Kind::quoted;
    m_pos = i + 1;
    return t;
  }
  if (c == '{') {
    std::size_t i = m_pos + 1;
    std::size_t n = 0;
    const std::size_t digits = i;
    while (i < m_text.size() && m_text[i] >= '0' && m_text[i] <= '9' && i - digits < 18) {
      n = n * 10 + static_cast<std::size_t>(m_text[i] - '0');
      ++i;
    }
    if (i == digits) {
      return t;
    }
    if (i < m_text.size() && m_text[i] == '+') {
      ++i;
    }
    if (i >= m_text.size() || m_text[i] != '}') {
      return t;
    }
    ++i;
    if (i < m_text.size() && m_text[i] == '\r') {
      ++i;
    }
    if (i >= m_text.size() || m_text[i] != '\n' || m_text.size() - (i + 1) < n) {
      return t;
    }
    ++i;
    t.kind = Token::Kind::literal;
    t.view = m_text.substr(i, n);
    m_pos = i + n;
    return t;
  }
  // An atom; "BODY[HEADER.FIELDS (DATE)]" keeps its bracketed section whole.
  const std::size_t start = m_pos;
  int depth = 0;
  while (m_pos < m_text.size()) {
    const char ch = m_text[m_pos];
    if (ch == '\r' || ch == '\n') {
      break;
    }
    if (ch == '[') {
      ++depth;
    } else if (ch == ']' && depth > 0) {
      --depth;
    } else if (depth == 0 && (ch == ' ' || ch == '(' || ch == ')')) {
      break;
    }
    ++m_pos;
  }
  t.kind = Token::Kind::atom;
  t.view = m_text.substr(start, m_pos - start);
  return t;
}

bool Tokenizer::skip_value()
{
  Token t = next();
  if (t.kind == Token::Kind::end || t.kind == Token::Kind::close) {
    return false;
  }
  if (t.kind != Token::Kind::open) {
    return true;
  }
  int depth = 1;
  while (depth > 0) {
    t = next();
    if (t.kind == Token::Kind::end) {
      return false;
    }
    if (t.kind == Token::Kind::open) {
      ++depth;
    } else if (t.kind == Token::Kind::close) {
      --depth;
    }
  }
  return true;
}

ResponseLine classify(std::string_view response)
{
  ResponseLine line;
  auto word = [&](std::string_view& rest) {
    const auto space = rest.find(' ');
    std::string_view w = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    return w;
  };
  std::string_view rest = response;
  if (!rest.empty() && rest[0] == '+') {
    line.kind = ResponseLine::Kind::continuation;
    line.rest = rest.size() > 2 ? rest.substr(2) : std::string_view();
    return line;
  }
  const std::string_view first = word(rest);
  if (first == "*") {
    line.kind = ResponseLine::Kind::untagged;
    std::string_view w = word(rest);
    if (auto n = parse_number(w)) {
      line.number = n;
      w = word(rest);
    }
    line.keyword = upper(w);
  } else {
    line.kind = ResponseLine::Kind::tagged;
    line.tag = std::string(first);
    line.keyword = upper(word(rest));
  }
  line.rest = rest;
  return line;
}

StatusText parse_status_text(std::string_view rest)
{
  StatusText out;
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close != std::string_view::npos) {
      std::string_view code = rest.substr(1, close - 1);
      const auto space = code.find(' ');
      out.code = upper(code.substr(0, space));
      if (space != std::string_view::npos) {
        out.code_args = std::string(code.substr(space + 1));
      }
      rest = rest.substr(close + 1);
      while (!rest.empty() && rest.front() == ' ') {
        rest.remove_prefix(1);
      }
    }
  }
  for (char c : rest) {
    if (out.text.size() >= 300) {
      break;
    }
    if (c >= 0x20 && c <= 0x7E) {
      out.text.push_back(c);
    }
  }
  return out;
}

std::vector<std::string> parse_capabilities(std::string_view list)
{
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < list.size()) {
    while (i < list.size() && list[i] == ' ') {
      ++i;
    }
    const std::size_t start = i;
    while (i < list.size() && list[i] != ' ') {
      ++i;
    }
    if (i > start) {
      out.push_back(upper(list.substr(start, i - start)));
    }
  }
  return out;
}

Result<ListEntry> parse_list(std::string_view rest)
{
  const auto bad = [&] {
    return make_error(ErrorKind::network, "malformed LIST response");
  };
  ListEntry entry;
  Tokenizer tokens(rest);
  if (tokens.next().kind != Token::Kind::open) {
    return bad();
  }
  for (;;) {
    Token t = tokens.next();
    if (t.kind == Token::Kind::close) {
      break;
    }
    if (t.kind != Token::Kind::atom) {
      return bad();
    }
    entry.flags.push_back(upper(t.view));
  }
  Token delimiter = tokens.next();
  if (delimiter.kind == Token::Kind::quoted && delimiter.unquoted.size() == 1) {
    entry.delimiter = delimiter.unquoted[0];
  } else if (!delimiter.is_nil()) {
    return bad();
  }
  Token name = tokens.next();
  if (name.kind != Token::Kind::atom && name.kind != Token::Kind::quoted
      && name.kind != Token::Kind::literal) {
    return bad();
  }
  entry.name = std::string(name.value());
  return entry;
}

Result<FetchData> parse_fetch(std::string_view rest)
{
  const auto bad = [&] {
    return make_error(ErrorKind::network, "malformed FETCH response");
  };
  FetchData data;
  Tokenizer tokens(rest);
  if (tokens.next().kind != Token::Kind::open) {
    return bad();
  }
  for (;;) {
    Token name = tokens.next();
    if (name.kind == Token::Kind::close) {
      return data;
    }
    if (name.kind != Token::Kind::atom) {
      return bad();
    }
    const std::string key = upper(name.view);
    if (key == "UID" || key == "RFC822.SIZE") {
      Token value = tokens.next();
      const auto n = value.kind == Token::Kind::atom ? parse_number(value.view) : std::nullopt;
      if (!n) {
        return bad();
      }
      (key == "UID" ? data.uid : data.size) = *n;
    } else if (key == "BODY[]") {
      Token value = tokens.next();
      if (value.kind == Token::Kind::literal) {
        data.has_body = true;
        data.body = value.view;
      } else if (value.kind == Token::Kind::quoted) {
        // A quoted body can only be small and plain; keep it by position in `rest`.
        const std::size_t end = tokens.position() - 1;
        const std::size_t begin = end - value.unquoted.size();
        if (value.unquoted.find('\\') != std::string::npos
            || rest.substr(begin, end - begin) != value.unquoted) {
          return bad(); // escaped quoted bodies do not occur in practice
        }
        data.has_body = true;
        data.body = rest.substr(begin, end - begin);
      } else if (!value.is_nil()) {
        return bad();
      }
    } else if (!tokens.skip_value()) {
      return bad();
    }
  }
}

Result<ImapUrl> parse_url(std::string_view url)
{
  ImapUrl out;
  std::string_view rest;
  if (url.rfind("imaps://", 0) == 0) {
    out.implicit_tls = true;
    out.port = 993;
    rest = url.substr(8);
  } else if (url.rfind("imap://", 0) == 0) {
    out.port = 143;
    rest = url.substr(7);
  } else {
    return make_error(ErrorKind::config, "url must start with imaps:// or imap://");
  }
  const auto path = rest.find('/');
  std::string_view authority = rest.substr(0, path);
  if (path != std::string_view::npos && rest.substr(path) != "/") {
    return make_error(ErrorKind::config,
                      "url must name only the server (imaps://host:port); mailboxes are a "
                      "separate setting");
  }
  if (authority.find('@') != std::string_view::npos) {
    return make_error(ErrorKind::config,
                      "url must not contain a user name or password; use username and "
                      "password_file");
  }
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return make_error(ErrorKind::config, "url has an unterminated [IPv6 address]");
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return make_error(ErrorKind::config, "url has junk after the [IPv6 address]");
      }
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (out.host.empty()) {
    return make_error(ErrorKind::config, "url has no host name");
  }
  if (has_port) {
    const auto port = parse_number(port_text);
    if (!port || *port < 1 || *port > 65535) {
      return make_error(ErrorKind::config, "url has a bad port number");
    }
    out.port = static_cast<int>(*port);
  }
  return out;
}

std::string endpoint_label(const ImapUrl& url)
{
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

bool is_loopback(std::string_view host)
{
  if (host == "::1" || upper(host) == "LOCALHOST") {
    return true;
  }
  if (host.rfind("127.", 0) != 0) {
    return false;
  }
  return std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::string redact(std::string text, std::string_view secret)
{
  if (secret.empty()) {
    return text;
  }
  std::size_t pos = 0;
  while ((pos = text.find(secret, pos)) != std::string::npos) {
    text.replace(pos, secret.size(), "***");
    pos += 3;
  }
  return text;
}

} // namespace dmarc::net::imap
