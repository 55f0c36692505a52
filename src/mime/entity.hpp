// The structure of a MIME entity: header/body split, header fields, parameters and
// multipart bodies, all as views into the raw message (internal to src/mime).
//
// Why not mimetic's MimeEntity parser: on real and hostile input it recurses once per
// nesting level (a 3 MB chain of message/rfc822 overflows the stack), allocates ~170
// bytes of node per input byte for empty parts (5 MB of "--b" lines took 830 MB), grows
// header values 128 bytes at a time (quadratic: a 4 MB header line took 2.8 s), matches
// boundaries in the middle of a line, lets an unclosed inner multipart swallow the outer
// parts after it, treats an mbox "From " line as the start of the body, and splits quoted
// parameter values at ';'. Limits cannot be applied from outside because all of that
// happens inside one constructor call. This splitter is iterative, bounded as it goes
// (the caller walks parts with an explicit stack) and copies nothing: the message is
// held once by the caller and every entity is a pair of string_views into it.
// RFC 5322 §2.2 (header fields, folding), RFC 2045 §5.1 (parameters), RFC 2046 §5.1.1
// (boundaries), RFC 2231 §3-4 (parameter continuations and charsets), RFC 2047 §2-4
// (encoded words).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dmarc::mime {

// An entity: the header section (without the empty line) and the body.
struct Entity
{
  std::string_view header;
  std::string_view body;
};

enum class MboxLine { keep, skip };

// Splits `raw` at the first empty (or white-space-only) line. A line that is neither a
// header field nor a folded continuation also ends the header and starts the body
// (senders that forget the empty line). With MboxLine::skip a leading mbox "From " line
// is dropped first.
Entity split_entity(std::string_view raw, MboxLine mbox = MboxLine::keep);

// True when `line` (without its line break) starts a header field: a field name of
// printable ASCII other than ':' (RFC 5322 ftext), optional blanks, then ':'.
bool is_field_line(std::string_view line);

// The value of the first field named `name` (case-insensitive) in `header`, unfolded
// (line breaks before continuation blanks removed) and trimmed; nullopt when absent.
std::optional<std::string> header_field(std::string_view header, std::string_view name);

// A structured field value: "type/subtype; a=b; c*=utf-8''%41".
struct FieldValue
{
  std::string value; // the part before the first ';', trimmed, lower case
  std::vector<std::pair<std::string, std::string>> params; // names lower case, values decoded

  // The value of parameter `name` (lower case), or "" when absent.
  const std::string& param(std::string_view name) const;
};

// Parses "value; name=token; name="quoted \" string"; name*=charset'lang'%xx;
// name*0=a; name*1*=%62" (RFC 2045 §5.1 with RFC 2231 continuations merged into one
// parameter, percent-decoded; the charset is not converted). Never fails: junk yields
// fewer parameters.
FieldValue parse_field_value(std::string_view unfolded);

// `text` with RFC 2047 encoded words ("=?utf-8?Q?r=C3=A9?=", "=?iso-8859-1?Q?r=E9?=")
// decoded and converted to UTF-8 from their charset (glibc iconv: ISO-8859-x, windows-125x,
// ...); a charset iconv does not know keeps its UTF-8 and gets U+FFFD for the rest.
// Malformed words are left as they are.
std::string decode_encoded_words(std::string_view text);

// `bytes` in `charset` (a MIME charset name, "charset*lang" allowed) as UTF-8; invalid or
// unknown bytes become U+FFFD.
std::string charset_to_utf8(std::string_view bytes, std::string_view charset);

struct MultipartBody
{
  std::vector<std::string_view> parts; // each part: its header section and body
  bool closed = false;                 // the closing delimiter "--boundary--" was seen
  bool truncated = false;              // stopped after `max_parts` parts
};

// The parts of a multipart body (RFC 2046 §5.1.1): a delimiter is a line that starts
// with "--" + boundary, followed by "--" for the last one, then only blanks. The line
// break before a delimiter belongs to it. The preamble and the epilogue are dropped; a
// missing closing delimiter ends the last part at the end of `body`. At most
// `max_parts` + 1 parts are returned (then `truncated` is set).
MultipartBody split_multipart(std::string_view body, std::string_view boundary,
                              std::size_t max_parts);

// The boundary a multipart body uses when its Content-Type has none (or a wrong one):
// the text after "--" on the first line that starts with "--", or "" when none does.
std::string_view guess_boundary(std::string_view body);

} // namespace dmarc::mime
