// SenderMap: see sender_map.hpp.
#include "enrich/sender_map.hpp"

#include "core/text.hpp"

namespace dmarc::enrich {

namespace {

std::string key_of(std::string_view name)
{
  std::string key = text::to_lower(text::trim(name));
  while (!key.empty() && key.back() == '.') {
    key.pop_back();
  }
  return key;
}

} // namespace

Result<SenderMap> SenderMap::parse(std::string_view text)
{
  SenderMap map;
  int line_no = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(start, end - start);
    ++line_no;
    start = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (text::trim(line).empty() || text::trim(line).front() == '#') {
      if (end == text.size()) break;
      continue;
    }
    const std::size_t t1 = line.find('\t');
    const std::size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos || line.find('\t', t2 + 1) != std::string_view::npos) {
      return make_error(ErrorKind::config, "sender map line " + std::to_string(line_no)
                                             + ": expected domain<TAB>name<TAB>type");
    }
    const std::string domain = key_of(line.substr(0, t1));
    const std::string name(text::trim(line.substr(t1 + 1, t2 - t1 - 1)));
    const std::string type(text::trim(line.substr(t2 + 1)));
    if (domain.empty() || name.empty() || type.empty()) {
      return make_error(ErrorKind::config, "sender map line " + std::to_string(line_no)
                                             + ": empty domain, name or type");
    }
    map.m_entries[domain] = {name, type};
    if (end == text.size()) break;
  }
  return map;
}

const SenderMap& SenderMap::builtin()
{
  static const SenderMap k_map = [] {
    auto parsed = parse(builtin_senders_text());
    return parsed ? std::move(*parsed) : SenderMap{};
  }();
  return k_map;
}

void SenderMap::set(const std::string& domain, SenderEntry entry)
{
  m_entries[key_of(domain)] = std::move(entry);
}

std::optional<SenderEntry> SenderMap::find(std::string_view name) const
{
  std::string key = key_of(name);
  std::string_view rest = key;
  while (!rest.empty()) {
    if (auto it = m_entries.find(std::string(rest)); it != m_entries.end()) {
      return it->second;
    }
    const std::size_t dot = rest.find('.');
    if (dot == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(dot + 1);
  }
  return std::nullopt;
}

} // namespace dmarc::enrich
