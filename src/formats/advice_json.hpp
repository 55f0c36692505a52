// ⑦ encoding: the advisor's verdicts as JSON (nlohmann_json lives in this module only).
//
// The document is a contract (issue #5): {"as_of": "YYYY-MM-DD", "domains": [{"domain",
// "dmarc": {"current", "current_pct", "verdict", "next_policy", "dns_record", "evidence",
// "blockers": [{"source", "messages", "pass_share", "why"}]}, "spf": {"verdict", ...},
// "dkim": {"verdict", "selectors": {...}, ...}, "mta_sts": {"verdict", ...}}]}; README.md
// documents every key. Pure.
#pragma once

#include "advise/advisor.hpp"

#include <string>

namespace dmarc::formats {

// The advice as a JSON document (pretty-printed, trailing newline).
std::string advice_to_json(const advise::Advice& advice);

} // namespace dmarc::formats
