// ⑦ The text form of `summary`: readable in an 80-column terminal. Pure.
#pragma once

#include "core/summary.hpp"

#include <string>

namespace dmarc::output {

std::string summary_text(const Summary& summary);

} // namespace dmarc::output
