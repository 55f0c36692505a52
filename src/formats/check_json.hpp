// ⑦ encoding: `dmarcctl check` results as JSON (nlohmann_json lives in this module only).
//
// The document is a contract (issue #13, docs/check.md): {"checked_at", "domains": [{"domain",
// "dmarc": {"record", "found_at", "tags", "problems"}, "spf": {"record", "lookups",
// "void_lookups", "all", "problems"}, "dkim": [{"selector", "key_type", "key_bits", "testing",
// "revoked", "problems"}], "mta_sts": {"record", "id", "policy": {"version", "mode", "mx",
// "max_age"}, "problems"}, "tlsrpt": {"record", "rua", "problems"}, "mx": [{"host",
// "preference", "ips", "ptr", "fcrdns"}], "mx_problems", "errors", "warnings"}]}; each
// problem is {"code", "severity", "message"}. Absent records are null. Bytes that are not
// UTF-8 (a TXT record may hold any) become U+FFFD. Pure.
#pragma once

#include "check/domain_check.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmarc::formats {

// The results as a JSON document (pretty-printed, trailing newline); `checked_at` in Unix
// seconds.
std::string check_to_json(const std::vector<check::DomainCheck>& domains, int64_t checked_at);

// One domain's result as compact JSON (stored in the database).
std::string domain_check_to_json(const check::DomainCheck& domain);

} // namespace dmarc::formats
