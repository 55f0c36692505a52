// The pure part of the IMAP client: mailbox name encoding, command arguments, reading
// responses off a byte stream and parsing the few responses dmarcctl needs. No sockets,
// no libcurl: bytes in, values out, so every rule here is unit tested.
//
// Why each piece exists:
//  - Mailbox names travel in modified UTF-7 (RFC 3501 §5.1.3): "Berichte/Prüfung" is sent
//    as "Berichte/Pr&APw-fung"; '&' itself is "&-".
//  - Arguments are sent as quoted strings (RFC 3501 §4.3) so names with spaces, quotes or
//    backslashes work; CR, LF and NUL can never be sent.
//  - A response is one line, except that a literal `{n}` at the end of a line announces n
//    raw bytes that follow the CRLF (RFC 3501 §4.3, LITERAL+ `{n+}` from RFC 7888); message
//    bodies always come that way, and the bytes may contain anything, including CRLF and
//    lines that look like responses. The reader hands out whole responses only.
//  - UID sets (RFC 3501 §9 "sequence-set") are written compactly: 1:5,7,9:12.
#pragma once

#include "core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::net::imap {

// UTF-8 → modified UTF-7. Error (kind usage) for ill-formed UTF-8 or a NUL/CR/LF.
Result<std::string> encode_mailbox(std::string_view utf8);

// Modified UTF-7 → UTF-8. Error (kind network) for a malformed encoding.
Result<std::string> decode_mailbox(std::string_view utf7);

// `s` as an IMAP quoted string ("a \"b\" \\c"). `s` must hold no CR, LF or NUL.
std::string quote(std::string_view s);

// Sorted, de-duplicated UIDs as a compact sequence set ("1:5,7,9:12"); "" for none.
std::string uid_set(std::vector<int64_t> uids);

// Splits a raw byte stream into responses. Feed it what the socket delivers; next() hands
// out each complete response (its line or lines, literals included, without the final
// CRLF). Memory is bounded: a response longer than `max_response` bytes is an error.
class ResponseReader
{
public:
  explicit ResponseReader(std::size_t max_response) : m_max(max_response) {}
  void feed(std::string_view bytes);
  // True and `response` set when a complete response is buffered; false when more bytes
  // are needed. Error (kind network) when a response exceeds the limit.
  Result<bool> next(std::string& response);
  // Bytes buffered but not yet handed out.
  std::size_t buffered() const { return m_buf.size() - m_start; }

private:
  std::string m_buf;
  std::size_t m_start = 0;   // first byte of the response being assembled
  std::size_t m_scan = 0;    // where the search for the next line end continues
  std::size_t m_max;
};

// One token of a response: an atom (NIL, numbers, flags and "BODY[...]" included), a
// quoted string (unescaped), a literal's bytes, or a parenthesis.
struct Token
{
  enum class Kind { end, atom, quoted, literal, open, close };
  Kind kind = Kind::end;
  std::string_view view;     // atom or literal bytes (points into the response)
  std::string unquoted;      // quoted string contents

  // The token's string value (atom text, unquoted string, literal bytes).
  std::string_view value() const { return kind == Kind::quoted ? std::string_view(unquoted) : view; }
  bool is_nil() const;
};

// Reads tokens of a response from a position on. Malformed input yields Kind::end.
class Tokenizer
{
public:
  explicit Tokenizer(std::string_view text, std::size_t position = 0) : m_text(text), m_pos(position) {}
  Token next();
  // Skips one value: an atom, string, literal, or a whole parenthesized list.
  bool skip_value();
  std::size_t position() const { return m_pos; }

private:
  std::string_view m_text;
  std::size_t m_pos;
};

// The first words of a response.
struct ResponseLine
{
  enum class Kind { untagged, tagged, continuation };
  Kind kind = Kind::untagged;
  std::string tag;                  // tagged: the tag
  std::optional<int64_t> number;    // "* 5 EXISTS", "* 3 FETCH ..."
  std::string keyword;              // upper case: OK NO BAD BYE PREAUTH CAPABILITY LIST FETCH ...
  std::string_view rest;            // what follows the keyword (and one space)
};

// Classifies a raw response.
ResponseLine classify(std::string_view response);

// The parts of a status response's text: "[CODE args] human text".
struct StatusText
{
  std::string code;                 // upper case code name ("UIDVALIDITY", "TRYCREATE"), "" if none
  std::string code_args;            // "3857529045"
  std::string text;                 // the human text, control characters removed, at most 300 bytes
};

StatusText parse_status_text(std::string_view rest);

// Capabilities of "* CAPABILITY a b c" (rest = "a b c") or a [CAPABILITY ...] code, upper case.
std::vector<std::string> parse_capabilities(std::string_view list);

// "* LIST (\HasNoChildren) "/" "Archive"": flags, delimiter (nullopt for NIL) and the name
// as sent (modified UTF-7). `rest` is what follows "LIST ".
struct ListEntry
{
  std::vector<std::string> flags;
  std::optional<char> delimiter;
  std::string name;
};
Result<ListEntry> parse_list(std::string_view rest);

// "* 12 FETCH (UID 34 RFC822.SIZE 1234 BODY[] {1234}...)": `rest` is what follows "FETCH ".
struct FetchData
{
  std::optional<int64_t> uid;
  std::optional<int64_t> size;
  bool has_body = false;
  std::string_view body;            // points into the response
};
Result<FetchData> parse_fetch(std::string_view rest);

// Where an imap:// or imaps:// URL points.
struct ImapUrl
{
  bool implicit_tls = false;        // imaps://
  std::string host;                 // without brackets for IPv6
  int port = 0;                     // the default (143 / 993) when absent
};

// Parses "imaps://host[:port][/]" and "imap://host[:port][/]". Error (kind config) otherwise.
Result<ImapUrl> parse_url(std::string_view url);

// "host:port" for messages ("[::1]:993" for IPv6).
std::string endpoint_label(const ImapUrl& url);

// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(std::string_view host);

// `text` with every occurrence of `secret` replaced by "***" (no-op for an empty secret).
std::string redact(std::string text, std::string_view secret);

} // namespace dmarc::net::imap
