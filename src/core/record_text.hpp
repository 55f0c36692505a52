// Editing published DNS TXT records as text: the advisor suggests the record that is
// published with only the step changed (DMARC p=, SPF's final all), so every other tag,
// its order and its spacing stay as the domain owner wrote them. Pure, no dependencies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dmarc::record_text {

// The value of `tag` in a "tag=value; ..." record (tag names case-insensitive, values
// trimmed); nullopt when absent.
std::optional<std::string> tag_value(std::string_view record, std::string_view tag);

// `record` with the value of `tag` replaced, or the tag added right after the first tag
// (v=); every other tag, its order and spacing kept as published.
std::string with_tag(std::string_view record, std::string_view tag, std::string_view value);

// `record` without `tag` (its "; tag=value" part); the rest kept as published.
std::string without_tag(std::string_view record, std::string_view tag);

// An SPF `record` with its top-level "all" term given `qualifier` ('-', '~', '?', '+'),
// everything else as published; nullopt when the record has no all term (e.g. it ends in
// redirect=).
std::optional<std::string> with_all_qualifier(std::string_view record, char qualifier);

// The "all" term of an SPF `record` as written ("-all", "~ALL"); "" when none.
std::string all_term(std::string_view record);

} // namespace dmarc::record_text
