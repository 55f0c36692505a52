// Test support: what a GELF 1.1 message must be, checked independently of src/formats.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace dmarc::test {

// The problems of one GELF 1.1 message (empty when valid): a JSON object; `version` "1.1";
// non-empty string `host` and `short_message`; numeric `timestamp`; `level` 0-7 when
// present; every other field named ^_[A-Za-z0-9_.-]+$ and not `_id`; every value a string
// or a number (no null, boolean, array or object), and no empty string.
std::vector<std::string> gelf_problems(const std::string& json);

using GelfValue = std::variant<std::string, double>;

// The fields of a valid message (numbers as double); throws on invalid JSON.
std::map<std::string, GelfValue> gelf_fields(const std::string& json);

// A field as text: strings as they are, integral numbers without a fraction, "<absent>".
std::string gelf_text(const std::map<std::string, GelfValue>& fields, const std::string& name);

} // namespace dmarc::test
