// ⑦ `dmarcctl check` as text for people: per domain what is published, then each finding
// with its code and what to do. Record text is shown with control and non-ASCII bytes
// escaped (\xNN), so a hostile TXT record cannot drive the terminal. Pure.
#pragma once

#include "check/domain_check.hpp"

#include <string>
#include <vector>

namespace dmarc::output {

std::string check_text(const std::vector<check::DomainCheck>& domains);

} // namespace dmarc::output
