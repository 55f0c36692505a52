// What is known about a source IP beyond the report: reverse DNS and naming from the
// `sources` table (filled by the reverse DNS stage). Every field is optional: absent until
// looked up, and never invented. Read by the GELF encoder (parsedmarc's source_* columns).
#pragma once

#include "core/report.hpp"

#include <cstdint>
#include <optional>

namespace dmarc {

struct SourceInfo
{
  OptString reverse_dns;         // PTR name
  OptString base_domain;         // organizational domain of the name that named the source
  OptString name;                // a known sender's name ("Google", "MXRoute")
  OptString type;                // its kind ("Email Provider", "Relay", ...)
  std::optional<bool> fcrdns;    // the PTR name's A/AAAA holds the IP (forward-confirmed)
  OptString name_source;         // "ptr" | "dkim" | "spf": where base_domain/name came from
  std::optional<int64_t> asn;    // from the ASN database
  OptString as_name;
  OptString as_domain;
  OptString country;             // ISO 3166-1 alpha-2 ("US")
};

} // namespace dmarc
