#include "check/problem.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <cstdio>

namespace dmarc::check {

std::string_view to_string(Severity severity)
{
  return severity == Severity::error ? "error" : "warning";
}

bool has_code(const Problems& p, std::string_view code)
{
  return std::any_of(p.begin(), p.end(), [&](const Problem& x) { return x.code == code; });
}

TagList split_tags(std::string_view text)
{
  TagList out;
  while (!text.empty()) {
    const std::size_t semi = text.find(';');
    std::string_view part = text::trim(text.substr(0, semi));
    text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
    if (part.empty()) {
      continue;
    }
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      out.malformed.emplace_back(part);
      continue;
    }
    std::string name(text::trim(part.substr(0, eq)));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.tags.emplace_back(std::move(name), std::string(text::trim(part.substr(eq + 1))));
  }
  return out;
}

std::string printable(std::string_view text, std::size_t max)
{
  std::string out;
  for (const char ch : text) {
    if (out.size() >= max) {
      out += "…";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

bool has_non_ascii(std::string_view text)
{
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c >= 0x7f;
  });
}

} // namespace dmarc::check
