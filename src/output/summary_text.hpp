// ⑦ The text form of `summary`: per domain volume, aligned pass shares, dispositions, top
// sources, reporters, DKIM selectors and TLS-RPT (RFC 8460) sessions, laid out to fit an
// 80-column terminal. Pure.
#pragma once

#include "core/summary.hpp"

#include <string>

namespace dmarc::output {

// The whole summary as text, every line at most 80 columns (long names are shortened).
std::string summary_text(const Summary& summary);

} // namespace dmarc::output
