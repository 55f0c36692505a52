// A DMARC failure (RUF, "forensic") report as the model holds it: the fields of its
// machine-readable part (RFC 6591 §3.1 / RFC 5965 §3.5 ARF fields, RFC 7489 §7.3) or of the
// plain-text forms some reporters send instead, and the headers of the returned sample.
// Plain structs, no logic. Parsed by src/mime/failure.cpp, stored by src/store, shown by
// export / summary / forward.
#pragma once

#include "core/report.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmarc {

// How much of a failure report's sample (the copy of the failing mail) is kept:
// [failure] samples = "headers" (default) | "full" | "none".
enum class FailureSamples { headers, full, none };

// "headers", "full", "none".
const char* to_string(FailureSamples samples);

struct FailureReport
{
  std::string format;                      // "arf" (message/feedback-report) | "text"
  std::string feedback_type;               // "auth-failure"
  // The report part. Fields that RFC 5965 lets repeat are lists, in report order.
  OptString user_agent;
  OptString version;
  OptString original_envelope_id;
  OptString original_mail_from;
  std::vector<std::string> original_rcpt_to;
  OptString arrival_date;                  // as written
  std::optional<int64_t> arrival;          // Arrival-Date as Unix seconds, when it parses
  OptString reporting_mta;
  OptString source_ip;
  std::vector<std::string> authentication_results;
  std::vector<std::string> reported_domain;
  std::vector<std::string> reported_uri;
  OptString delivery_result;
  std::vector<std::string> auth_failure;   // lower case: dmarc, dkim, spf, adsp, bodyhash, ...
  OptString dkim_domain;
  OptString dkim_identity;
  OptString dkim_selector;
  std::vector<std::string> spf_dns;
  OptString identity_alignment;
  OptString report_message_id;             // a Message-ID field in the report part (non-standard)
  // The report mail itself.
  std::string reporter;                    // its From address, lower case ("" when none)
  OptString report_date;                   // its Date header
  std::optional<int64_t> report_time;      // ... as Unix seconds
  // The sample: the returned message (message/rfc822) or its headers (text/rfc822-headers,
  // or the header copy of a plain-text report). RFC 2047 encoded words decoded.
  bool has_sample = false;
  bool sample_headers_only = false;        // the reporter sent headers only
  bool sample_truncated = false;           // the sample ends inside its header section
  OptString sample_from;
  OptString sample_to;
  OptString sample_subject;
  OptString sample_date;
  OptString sample_message_id;             // without <>
  std::string sample_headers;              // its header section as received
  std::string sample;                      // headers and body as received ("" for headers only)
  FailureSamples samples = FailureSamples::full; // what was kept (apply_sample_policy)
};

// The newest failure reports of a domain, for summary.
struct FailureSample
{
  int64_t time = 0;                        // arrival (or report mail date, or import time)
  std::string source_ip;
  std::string auth_failure;                // joined with ","
  OptString subject;                       // sample subject (absent with samples = "none")
  OptString from;                          // sample From
};

struct FailureCount
{
  std::string key;                         // an Auth-Failure type or a source IP
  int64_t reports = 0;
};

// Failure reports of one policy domain in a window (summary).
struct FailureStats
{
  int64_t reports = 0;
  std::vector<FailureCount> by_type;       // most first; a report counts for each type it names
  std::vector<FailureCount> by_source;     // most first, the top few
  std::vector<FailureSample> newest;       // newest first, a few
};

} // namespace dmarc
