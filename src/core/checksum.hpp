// A fast 64-bit content checksum (not cryptographic): recognises a message seen before
// so a re-import updates its row instead of adding one. A collision only merges two
// message log rows; reports are still deduplicated by their own key.
#pragma once

#include <string>
#include <string_view>

namespace dmarc {

// 16 lower-case hex digits.
std::string checksum(std::string_view bytes);

} // namespace dmarc
