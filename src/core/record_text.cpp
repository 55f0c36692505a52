#include "core/record_text.hpp"

#include "core/text.hpp"

#include <vector>

namespace dmarc::record_text {

std::optional<std::string> tag_value(std::string_view record, std::string_view tag)
{
  std::string_view rest = record;
  while (!rest.empty()) {
    const std::size_t semi = rest.find(';');
    const std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    const std::size_t eq = part.find('=');
    if (eq != std::string_view::npos && text::iequals(text::trim(part.substr(0, eq)), tag)) {
      return std::string(text::trim(part.substr(eq + 1)));
    }
  }
  return std::nullopt;
}

std::string with_tag(std::string_view record, std::string_view tag, std::string_view value)
{
  std::string out;
  bool replaced = false;
  std::string_view rest = record;
  bool first = true;
  while (true) {
    const std::size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    const std::size_t eq = part.find('=');
    std::string_view name = eq == std::string_view::npos ? std::string_view() : text::trim(part.substr(0, eq));
    if (!first) {
      out += ';';
    }
    first = false;
    if (!replaced && !name.empty() && text::iequals(name, tag)) {
      // Keep the spacing around the value as published.
      const std::string_view after_eq = part.substr(eq + 1);
      const std::size_t lead = after_eq.find_first_not_of(" \t");
      const std::string_view trimmed = text::trim(after_eq);
      const std::size_t trail = lead == std::string_view::npos ? 0 : after_eq.size() - lead - trimmed.size();
      out += std::string(part.substr(0, eq + 1));
      out += std::string(after_eq.substr(0, lead == std::string_view::npos ? after_eq.size() : lead));
      out += std::string(value);
      out += std::string(after_eq.substr(after_eq.size() - trail));
      replaced = true;
    } else {
      out += std::string(part);
    }
    if (semi == std::string_view::npos) {
      break;
    }
    rest = rest.substr(semi + 1);
  }
  if (replaced) {
    return out;
  }
  // Insert after the v= tag.
  const std::size_t semi = record.find(';');
  if (semi == std::string_view::npos) {
    return std::string(text::trim(record)) + "; " + std::string(tag) + "=" + std::string(value);
  }
  return std::string(record.substr(0, semi)) + "; " + std::string(tag) + "=" + std::string(value)
         + ";" + std::string(record.substr(semi + 1));
}

std::string without_tag(std::string_view record, std::string_view tag)
{
  std::vector<std::string_view> parts;
  std::string_view rest = record;
  while (true) {
    const std::size_t semi = rest.find(';');
    parts.push_back(rest.substr(0, semi));
    if (semi == std::string_view::npos) {
      break;
    }
    rest = rest.substr(semi + 1);
  }
  std::string out;
  bool first = true;
  for (std::string_view part : parts) {
    const std::size_t eq = part.find('=');
    if (eq != std::string_view::npos && text::iequals(text::trim(part.substr(0, eq)), tag)) {
      continue;
    }
    if (!first) {
      out += ';';
    }
    first = false;
    out += std::string(part);
  }
  return out;
}

std::optional<std::string> with_all_qualifier(std::string_view record, char qualifier)
{
  std::string out(record);
  std::size_t pos = 0;
  while (pos < out.size()) {
    const std::size_t start = out.find_first_not_of(' ', pos);
    if (start == std::string::npos) {
      break;
    }
    std::size_t end = out.find(' ', start);
    if (end == std::string::npos) {
      end = out.size();
    }
    std::string_view term(out.data() + start, end - start);
    std::size_t q = 0;
    if (!term.empty() && std::string_view("+-~?").find(term[0]) != std::string_view::npos) {
      q = 1;
    }
    if (text::iequals(term.substr(q), "all")) {
      const std::string replacement = (qualifier == '+' ? std::string() : std::string(1, qualifier))
                                      + std::string(term.substr(q));
      out.replace(start, end - start, replacement);
      return out;
    }
    pos = end;
  }
  return std::nullopt;
}

std::string all_term(std::string_view record)
{
  std::string_view rest = record;
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) {
      break;
    }
    rest = rest.substr(start);
    const std::size_t end = rest.find(' ');
    std::string_view term = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    std::size_t q = 0;
    if (!term.empty() && std::string_view("+-~?").find(term[0]) != std::string_view::npos) {
      q = 1;
    }
    if (text::iequals(term.substr(q), "all")) {
      return std::string(term);
    }
  }
  return "";
}

} // namespace dmarc::record_text
