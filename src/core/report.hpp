// The report model: plain structs that the parsers fill and the store, the advisor and the
// renderers read. No library types; strings are UTF-8 (invalid bytes replaced by U+FFFD by
// the parsers). An optional field is std::nullopt when the element was absent or empty in
// the report: the store writes NULL and the exporters write null, never an invented value.
//
// DMARC aggregate: RFC 7489 Appendix C and RFC 9990 (DMARCbis) §"Aggregate Reporting".
// SMTP TLS: RFC 8460 §4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmarc {

using OptString = std::optional<std::string>;

// ---- DMARC aggregate (RUA) -------------------------------------------------------------

struct PolicyPublished
{
  std::string domain;            // required
  OptString adkim;               // "r" | "s"
  OptString aspf;                // "r" | "s"
  std::string p;                 // none | quarantine | reject (lower case)
  OptString sp;
  OptString np;                  // RFC 9990
  std::optional<int64_t> pct;    // RFC 7489; replaced by `testing` in RFC 9990
  OptString fo;
  OptString testing;             // RFC 9990: "y" | "n"
  OptString discovery_method;    // RFC 9990: "psl" | "treewalk"
};

struct PolicyOverrideReason
{
  std::string type;              // forwarded | sampled_out | trusted_forwarder |
                                 // mailing_list | local_policy | other
  OptString comment;
};

struct DkimResult
{
  std::string domain;
  OptString selector;
  std::string result;            // none | pass | fail | policy | neutral | temperror | permerror
  OptString human_result;
  bool aligned = false;          // passes with a domain aligned with header_from (computed)
};

struct SpfResult
{
  std::string domain;
  OptString scope;               // helo | mfrom
  std::string result;            // none | neutral | pass | fail | softfail | temperror | permerror
  OptString human_result;
  bool aligned = false;          // mfrom pass with a domain aligned with header_from (computed)
};

struct AggregateRecord
{
  std::string source_ip;         // textual, as reported (IPv4 or IPv6)
  uint64_t count = 0;            // may exceed 2^31
  std::string disposition;       // none | quarantine | reject (| pass in some reporters)
  std::string dkim;              // policy_evaluated, lower case ("" when absent)
  std::string spf;               // policy_evaluated, lower case ("" when absent)
  std::vector<PolicyOverrideReason> reasons;
  std::string header_from;
  OptString envelope_from;
  OptString envelope_to;
  std::vector<DkimResult> dkim_results;
  std::vector<SpfResult> spf_results;

  // Alignment, computed once at import (see domain/alignment.hpp).
  bool dkim_aligned = false;
  bool spf_aligned = false;
  bool dmarc_aligned = false;
};

struct AggregateReport
{
  // Report metadata.
  OptString version;             // "1.0", "2.0" or absent (pre-RFC drafts)
  std::string xml_namespace;     // "" when the document has none
  std::string org_name;          // required (may be empty text, e.g. some MTAs)
  OptString email;
  OptString extra_contact_info;
  std::string report_id;         // required
  int64_t begin = 0;             // date_range, Unix seconds
  int64_t end = 0;
  OptString generator;           // RFC 9990
  std::vector<std::string> errors;
  PolicyPublished policy;
  std::vector<AggregateRecord> records;
  bool recovered = false;        // the XML needed repair before it parsed
  std::vector<std::string> notes; // repairs made while reading ("<data_range> read as
                                  // <date_range>"), for -v; not stored
};

// ---- SMTP TLS reporting (RFC 8460) ----------------------------------------------------

struct TlsFailureDetail
{
  std::string result_type;
  OptString sending_mta_ip;
  OptString receiving_mx_hostname;
  OptString receiving_mx_helo;
  OptString receiving_ip;
  uint64_t failed_session_count = 0;
  OptString additional_information;
  OptString failure_reason_code;
};

struct TlsPolicy
{
  std::string policy_type;       // sts | tlsa | no-policy-found
  std::vector<std::string> policy_string;
  std::string policy_domain;
  std::vector<std::string> mx_hosts;
  uint64_t successful_sessions = 0;
  uint64_t failed_sessions = 0;
  std::vector<TlsFailureDetail> failures;
};

struct TlsReport
{
  std::string org_name;          // organization-name
  OptString contact_info;
  std::string report_id;
  int64_t begin = 0;             // date-range start-datetime, Unix seconds
  int64_t end = 0;
  std::vector<TlsPolicy> policies;
  // Policies that were invalid on their own and left out ("policies[1]: unknown
  // \"policy-type\" 'x'"): the report is stored partial, and says so in export.
  std::vector<std::string> skipped_policies;
  std::vector<std::string> notes; // values read leniently, for -v; not stored

  // The policy domain that keys the report: the first policy's domain that is not empty
  // (a no-policy-found policy may have none); "" when no policy names one.
  const std::string& domain() const
  {
    static const std::string none;
    for (const TlsPolicy& policy : policies) {
      if (!policy.policy_domain.empty()) {
        return policy.policy_domain;
      }
    }
    return none;
  }
};

} // namespace dmarc
