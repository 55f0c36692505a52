// Writing JSON text without a library, for the hot paths that emit millions of small
// documents (GELF messages, packed auth results). Pure. Parsing JSON stays in src/formats.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dmarc::json_text {

// Appends `s` as a JSON string literal with quotes; ill-formed UTF-8 becomes U+FFFD.
void append_string(std::string& out, std::string_view s);

// Appends the decimal text of `value`.
void append_number(std::string& out, int64_t value);
void append_number(std::string& out, uint64_t value);
// The shortest text that reads back as `value`.
void append_number(std::string& out, double value);

} // namespace dmarc::json_text
