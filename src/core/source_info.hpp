// What is known about a source IP beyond the report: reverse DNS and naming from the
// `sources` table (filled by the reverse DNS stage). Every field is optional: absent until
// looked up, and never invented. Read by the GELF encoder (parsedmarc's source_* columns).
#pragma once

#include "core/report.hpp"

namespace dmarc {

struct SourceInfo
{
  OptString reverse_dns;         // PTR name
  OptString base_domain;         // organizational domain of the PTR name
  OptString name;                // a known sender's name ("Google", "MXRoute")
  OptString type;                // its kind ("Email Provider", "Relay", ...)
};

} // namespace dmarc
