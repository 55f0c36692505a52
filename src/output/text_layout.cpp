#include "output/text_layout.hpp"

#include "core/text.hpp"

#include <cmath>
#include <cstdio>

namespace dmarc::output {

namespace {

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

} // namespace

std::size_t width(std::string_view s)
{
  std::size_t n = 0;
  for (char c : s) {
    n += continuation(c) ? 0 : 1;
  }
  return n;
}

std::string fit(std::string_view in, std::size_t columns)
{
  const std::string safe = text::printable(in); // names from reports, shown on a terminal
  const std::string_view s = safe;
  if (width(s) <= columns) {
    return safe;
  }
  const std::size_t keep = columns > 3 ? columns - 3 : 0;
  std::size_t seen = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if (!continuation(s[i])) {
      if (seen == keep) {
        break;
      }
      ++seen;
    }
  }
  return std::string(s.substr(0, i)) + std::string("...").substr(0, columns - keep);
}

std::string pad_right(std::string_view s, std::size_t columns)
{
  const std::size_t w = width(s);
  return std::string(s) + std::string(w < columns ? columns - w : 0, ' ');
}

std::string pad_left(std::string_view s, std::size_t columns)
{
  const std::size_t w = width(s);
  return std::string(w < columns ? columns - w : 0, ' ') + std::string(s);
}

std::string thousands(int64_t n)
{
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string percent(double share)
{
  if (share >= 1.0) {
    return "100%";
  }
  char buf[32];
  if (share <= 0) {
    return "0%";
  }
  if (share < 0.0001) {
    return "<0.01%";
  }
  if (share >= 0.99 || share < 0.01) {
    std::snprintf(buf, sizeof buf, "%.2f%%", std::floor(share * 10000.0) / 100.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f%%", std::floor(share * 1000.0) / 10.0);
  }
  return buf;
}

std::string wrap(std::string_view text, std::string_view indent, std::size_t columns)
{
  return wrap(text, indent, indent, columns);
}

std::string wrap(std::string_view raw, std::string_view indent, std::string_view hanging,
                 std::size_t columns)
{
  const std::string safe = text::printable(raw); // sources, reasons and names from reports
  const std::string_view text = safe;
  std::string out;
  std::string line;
  std::string_view current = indent;
  auto room = [&] { return columns > width(current) + 10 ? columns - width(current) : 10; };
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') {
      ++i;
    }
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') {
      ++j;
    }
    if (j == i) {
      break;
    }
    const std::string_view word = text.substr(i, j - i);
    if (!line.empty() && width(line) + 1 + width(word) > room()) {
      out += std::string(current) + line + "\n";
      line.clear();
      current = hanging;
    }
    line += (line.empty() ? "" : " ") + std::string(word);
    i = j;
  }
  if (!line.empty()) {
    out += std::string(current) + line + "\n";
  }
  return out;
}

} // namespace dmarc::output
