// ⑦ Small layout helpers for the text renderers (summary, advice): columns, shortening and
// word wrapping for an 80-column terminal. Widths count UTF-8 code points, so a reporter
// name with accents is not cut in the middle of a character. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dmarc::output {

// Display width of `s`: its UTF-8 code points.
std::size_t width(std::string_view s);

// `s` shortened to at most `columns` code points, ending in "..." when cut.
std::string fit(std::string_view s, std::size_t columns);

// `s` padded with spaces on the right / left to `columns` (never cut).
std::string pad_right(std::string_view s, std::size_t columns);
std::string pad_left(std::string_view s, std::size_t columns);

// 1234567 → "1,234,567".
std::string thousands(int64_t n);

// 0.9947 → "99.47%" (two decimals from 99% and below 1%, one between, rounded down so
// 99.95% never shows as 100%), 1 → "100%", 0 → "0%", 0.00003 → "<0.01%".
std::string percent(double share);

// `text` wrapped at word boundaries into lines of at most `columns`, each line starting
// with `indent` (the first line too) and ending in "\n".
std::string wrap(std::string_view text, std::string_view indent, std::size_t columns = 80);
// The same, with the lines after the first starting with `hanging` instead.
std::string wrap(std::string_view text, std::string_view indent, std::string_view hanging,
                 std::size_t columns = 80);

} // namespace dmarc::output
