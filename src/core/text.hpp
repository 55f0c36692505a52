// Small text helpers shared by the parsers and renderers. Pure, no dependencies.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dmarc::text {

// True when `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

// `s` with every ill-formed UTF-8 sequence replaced by U+FFFD (Unicode "maximal subpart").
std::string sanitize_utf8(std::string_view s);

// `s` safe to print on a terminal in one line: C0 control characters, DEL and the C1
// controls U+0080..U+009F are written as escapes ("\n", "\t", "\x1b", "\u009b"), and so is
// every byte that is not part of well-formed UTF-8 ("\x9b"), so a hostile report or file
// name cannot start a new line or send terminal escape sequences.
// With keep_newlines, '\n' stays (for text the renderers laid out themselves).
std::string printable(std::string_view s, bool keep_newlines = false);

// "1 report", "2 reports": n and the word that goes with it (no thousands separators).
std::string plural(int64_t n, const char* one, const char* many);

// `s` without leading and trailing ASCII white space.
std::string_view trim(std::string_view s);

// ASCII lower case copy.
std::string to_lower(std::string_view s);

// Case-insensitive ASCII comparison.
bool iequals(std::string_view a, std::string_view b);

// Case-insensitive "contains".
bool icontains(std::string_view haystack, std::string_view needle);

// Levenshtein distance between `a` and `b` (for "did you mean" suggestions).
std::size_t edit_distance(std::string_view a, std::string_view b);

// Decimal unsigned integer (surrounding white space allowed); nullopt on anything else
// or on overflow of 64 bits.
std::optional<uint64_t> parse_u64(std::string_view s);

// Decimal signed integer.
std::optional<int64_t> parse_i64(std::string_view s);

// RFC 3339 date-time ("2016-04-01T00:00:00Z", offsets, fractions) to Unix seconds.
std::optional<int64_t> parse_rfc3339(std::string_view s);

// Unix seconds to "YYYY-MM-DD HH:MM:SS" (UTC).
std::string format_utc(int64_t unix_seconds);

// Unix seconds to ISO 8601 with its zone: "YYYY-MM-DDTHH:MM:SSZ" (UTC).
std::string format_iso_utc(int64_t unix_seconds);

// Unix seconds to "YYYY-MM-DD" (UTC).
std::string format_date(int64_t unix_seconds);

// "YYYY-MM-DD" (UTC midnight) to Unix seconds; nullopt for a day the calendar lacks.
std::optional<int64_t> parse_date(std::string_view s);

} // namespace dmarc::text
