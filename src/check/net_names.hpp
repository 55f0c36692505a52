// Address text and reverse DNS names (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa).
#pragma once

#include "advise/ip.hpp"

#include <string>

namespace dmarc::check {

// "192.0.2.1" or "2001:db8::1" (RFC 5952 form).
std::string ip_text(const advise::IpAddress& ip);

// "1.2.0.192.in-addr.arpa" or the 32 nibbles of ip6.arpa.
std::string reverse_name(const advise::IpAddress& ip);

} // namespace dmarc::check
