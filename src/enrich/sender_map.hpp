// The sender map: base domains → organisation and kind ("google.com" → "Google",
// "Email Provider"), so a source is shown as who it is rather than as an address.
//
// Why a data file: the list (data/senders.tsv, compiled into the binary; its head says where
// the entries come from) changes more often than the code, and an admin extends or
// overrides it in the config ([enrich] names). Matching walks the name from the longest
// suffix to the shortest that is still a domain, so an entry for
// "protection.outlook.com" wins over one for "outlook.com". Pure.
#pragma once

#include "core/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dmarc::enrich {

struct SenderEntry
{
  std::string name;   // "Google"
  std::string type;   // "Email Provider"
};

class SenderMap
{
public:
  // The map shipped with dmarcctl (data/senders.tsv).
  static const SenderMap& builtin();

  // Parses "domain<TAB>Name<TAB>Type" lines ('#' comments, blank lines ignored). Error
  // (config) names the first bad line.
  static Result<SenderMap> parse(std::string_view text);

  // Adds or replaces an entry (config overrides).
  void set(const std::string& domain, SenderEntry entry);

  // The entry for `name` or its closest listed parent domain; case-insensitive, a trailing
  // dot ignored.
  std::optional<SenderEntry> find(std::string_view name) const;

  std::size_t size() const { return m_entries.size(); }

private:
  std::unordered_map<std::string, SenderEntry> m_entries;
};

// The text of data/senders.tsv (generated at build time).
std::string_view builtin_senders_text();

} // namespace dmarc::enrich
