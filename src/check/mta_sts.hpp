// MTA-STS (RFC 8461): the _mta-sts TXT record (§3.1), the policy file (§3.2) and its mx
// patterns (§4.1), and the TLS-RPT record at _smtp._tls (RFC 8460 §3).
//
// Why each piece is its own function: the record and the policy come from different places
// (DNS, HTTPS), and a sending MTA applies the policy only when both are valid; the mx
// patterns decide whether mail to an MX host is delivered at all in mode enforce. Pure.
#pragma once

#include "check/problem.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::check {

// RFC 8461 §3.2: max_age at most 31557600 seconds (about a year).
constexpr int64_t k_sts_max_age_limit = 31557600;

struct StsRecord
{
  std::string id;
  Problems problems;             // mta-sts-invalid
};

// True when `text` starts with "v=STSv1".
bool is_sts_record(std::string_view text);
StsRecord parse_sts_record(std::string_view text);

struct StsPolicy
{
  std::string version;
  std::string mode;              // enforce | testing | none
  std::vector<std::string> mx;   // patterns as written
  std::optional<int64_t> max_age;
  Problems problems;             // mta-sts-invalid (errors), warnings
};

StsPolicy parse_sts_policy(std::string_view body);

// True when `host` matches the mx pattern (`mail.example.com`, or `*.example.com` for
// exactly one more leftmost label), case-insensitively (RFC 8461 §4.1).
bool mx_pattern_matches(std::string_view pattern, std::string_view host);

struct TlsRptRecord
{
  std::vector<std::string> rua;
  Problems problems;             // tlsrpt-invalid
};

// True when `text` starts with "v=TLSRPTv1".
bool is_tlsrpt_record(std::string_view text);
TlsRptRecord parse_tlsrpt(std::string_view text);

} // namespace dmarc::check
