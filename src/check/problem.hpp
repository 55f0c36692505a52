// A finding of `dmarcctl check`: a stable code, how bad it is, and a sentence saying what
// to do. The codes are a contract (docs/check.md lists every one).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dmarc::check {

enum class Severity { error, warning };

// "error", "warning".
std::string_view to_string(Severity severity);

struct Problem
{
  std::string code;              // "dmarc-missing", "spf-too-many-lookups", ...
  Severity severity = Severity::error;
  std::string message;           // what is wrong and what to do
  bool operator==(const Problem&) const = default;
};

using Problems = std::vector<Problem>;

inline void add_error(Problems& p, std::string code, std::string message)
{
  p.push_back({std::move(code), Severity::error, std::move(message)});
}

inline void add_warning(Problems& p, std::string code, std::string message)
{
  p.push_back({std::move(code), Severity::warning, std::move(message)});
}

// True when some problem of `p` has `code`.
bool has_code(const Problems& p, std::string_view code);

// Splits "a=1; b = 2;" into trimmed (tag, value) pairs; a part without '=' gets
// `malformed` set to it. Shared by the DMARC, DKIM, MTA-STS and TLS-RPT tag lists.
struct TagList
{
  std::vector<std::pair<std::string, std::string>> tags;   // tag names lower-cased
  std::vector<std::string> malformed;
};
TagList split_tags(std::string_view text);

// A record's text made printable for a message: control bytes and non-ASCII bytes as \xNN,
// at most `max` characters (then "…").
std::string printable(std::string_view text, std::size_t max = 120);

// True when `text` holds a byte outside printable ASCII (tab counts as printable).
bool has_non_ascii(std::string_view text);

} // namespace dmarc::check
