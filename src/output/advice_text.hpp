// ⑦ The text form of `advise`: per domain and mechanism (DMARC, SPF, DKIM, MTA-STS) the
// verdict, a sentence a mail admin understands, the DNS record to publish or keep, what is
// missing and the blockers; within 80 columns. Pure.
#pragma once

#include "advise/advisor.hpp"

#include <string>

namespace dmarc::output {

// The whole advice as text, one block per domain, every line at most 80 columns.
std::string advice_text(const advise::Advice& advice);

} // namespace dmarc::output
