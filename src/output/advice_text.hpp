// ⑦ The text form of `advise`: per domain and mechanism (DMARC, SPF, DKIM, MTA-STS) the
// verdict, a sentence a mail admin understands, the DNS record to publish or keep, what is
// missing and the blockers; within 80 columns. Pure.
#pragma once

#include "advise/advisor.hpp"

#include <string>
#include <string_view>

namespace dmarc::output {

// The whole advice as text, one block per domain, every line at most 80 columns.
std::string advice_text(const advise::Advice& advice);

// The DMARC step of a check as the text and HTML outputs show it: "p=none pct=50 t=y",
// then `arrow` and the next p= when there is one; "" when the current policy is unknown.
std::string dmarc_step(const advise::Check& c, std::string_view arrow);

} // namespace dmarc::output
