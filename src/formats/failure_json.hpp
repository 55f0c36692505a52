// ⑦ encoding: failure (RUF) reports as JSON lines, GELF messages and summary JSON. Pure.
//
// export --format jsonl: {"type":"failure","id","time","domain","reporter","format",
// "feedback_type", every ARF field (lists as arrays, absent as null), "arrival_date_utc",
// "sample":{"headers_only","truncated","from","to","subject","date","message_id",
// "headers"}} ("sample" null when none is kept).
//
// GELF (forward): one message per failure report, `_report_type` "failure", the fields named
// like parsedmarc's forensic CSV columns (`_feedback_type`, `_original_mail_from`,
// `_arrival_date_utc`, `_subject`, `_message_id`, `_source_ip_address`, `_auth_failure`,
// `_reported_domain`, `_authentication_mechanisms`, `_sample_headers_only`, ...; lists
// joined with ","), the ARF fields parsedmarc does not name as `_reporting_mta`,
// `_dkim_selector`, `_dkim_identity`, `_spf_dns`, `_reported_uri`, `_identity_alignment`,
// plus `_reporter` and `_dmarcctl_row`. `timestamp` is the report's time (arrival). Level 4.
#pragma once

#include "core/failure_report.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace dmarc::formats {

// One JSON line (without the trailing newline) for a stored failure report.
std::string failure_to_jsonl(const FailureReport& report, int64_t id, int64_t time,
                             std::string_view domain);

// One GELF 1.1 message for a failure report; `row` ("failure_reports:7") left out when empty.
std::string gelf_failure(const FailureReport& report, int64_t time, std::string_view domain,
                         std::string_view host, std::string_view row = {});

// The summary's failure block: {"reports","by_auth_failure":{type:n},"by_source":{ip:n},
// "newest":[{"time","source_ip","auth_failure","subject","from"}]}.
std::string failure_stats_to_json(const FailureStats& stats);

// "<id>" of the sample (else the report part's Message-ID), "" when neither.
std::string failure_message_id(const FailureReport& report);

// Identity-Alignment as parsedmarc's authentication_mechanisms: its items, none for "none".
std::string failure_authentication_mechanisms(const FailureReport& report);

} // namespace dmarc::formats
