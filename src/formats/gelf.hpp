// ⑦ encoding: stored reports as GELF 1.1 messages for Graylog. Pure.
//
// Why these fields: GELF 1.1 (https://go2docs.graylog.org/current/getting_in_log_data/gelf.html)
// wants `version` "1.1", a non-empty `host` and `short_message`, a numeric `timestamp` and
// additional fields named ^_[A-Za-z0-9_.-]+$ (never `_id`) whose values are strings or
// numbers only. Graylog users who came from parsedmarc search and chart its flat row names,
// so every message carries them with a leading `_`:
//  - one message per DMARC aggregate record (RFC 7489 App. C / RFC 9990), named like
//    parsedmarc's aggregate CSV columns (`_org_name`, `_source_ip_address`, `_count`,
//    `_dmarc_aligned`, ...), with the same values as `export --format csv` (src/output/csv.cpp):
//    lists joined with "," (override comments and errors with "|"), `_report_type`
//    "aggregate";
//  - one per SMTP TLS policy (RFC 8460 §4.4) and one per failure detail, named like
//    parsedmarc's SMTP TLS CSV (`_organization_name`, `_policy_domain`,
//    `_successful_session_count`, `_result_type`, ...; policy strings and MX patterns joined
//    with "|" as parsedmarc does), `_report_type` "smtp_tls";
//  - one per advisor finding, `_report_type` "advice".
// Counts and times are numbers (`_begin_date`/`_end_date` in Unix seconds, where the CSV has
// text), flags the strings "true"/"false", absent or empty values
// are left out (never null). `timestamp` is the report's begin time. `_dmarcctl_row` names
// the stored row ("aggregate_records:42"), so a receiver can tell a re-sent message.
//
// Speed: the forwarder sends 100,000+ messages a second, so the JSON is written straight into
// a reused buffer (no DOM), and the fields shared by all records of a report are encoded once
// (gelf_aggregate_report_fields) and copied in front of each record's fields.
#pragma once

#include "core/finding.hpp"
#include "core/report.hpp"
#include "core/source_info.hpp"

#include <string>
#include <string_view>

namespace dmarc::formats {

// The opening of every message of `report`'s records: `{"version":"1.1","host":...`, the
// timestamp and all report-level fields, without the closing brace.
std::string gelf_aggregate_report_fields(const AggregateReport& report, std::string_view host);

// Appends the GELF message of `record` to `out`: `report_fields` (from
// gelf_aggregate_report_fields for the same report), the record's fields, short_message and
// `_dmarcctl_row` = `row` (left out when empty).
void append_gelf_aggregate(std::string& out, std::string_view report_fields,
                           const AggregateReport& report, const AggregateRecord& record,
                           const SourceInfo& source, std::string_view row);

// One DMARC record as a complete GELF message (convenience for single messages and tests).
std::string gelf_aggregate(const AggregateReport& report, const AggregateRecord& record,
                           const SourceInfo& source, std::string_view host,
                           std::string_view row = {});

// Appends the GELF message of one TLS-RPT policy (its summary counts) to `out`.
void append_gelf_tls_policy(std::string& out, const TlsReport& report, const TlsPolicy& policy,
                            std::string_view host, std::string_view row);
std::string gelf_tls_policy(const TlsReport& report, const TlsPolicy& policy,
                            std::string_view host, std::string_view row = {});

// Appends the GELF message (level 4) of one failure detail of `policy` to `out`.
void append_gelf_tls_failure(std::string& out, const TlsReport& report, const TlsPolicy& policy,
                             const TlsFailureDetail& failure, std::string_view host,
                             std::string_view row);
std::string gelf_tls_failure(const TlsReport& report, const TlsPolicy& policy,
                             const TlsFailureDetail& failure, std::string_view host,
                             std::string_view row = {});

// One advisor finding: `_domain`, `_check`, `_verdict`, `_record`, each evidence number as
// `_<name>` (names reduced to [A-Za-z0-9_.-]; ones that would clash with a fixed field are
// prefixed `_evidence_`), `_dmarcctl_row` = `row` (left out when empty), level 4 when
// `warning`, else 6.
std::string gelf_advice(const Finding& finding, std::string_view host, std::string_view row = {});

// `s` as a JSON string literal (quoted, escaped; invalid UTF-8 replaced by U+FFFD),
// appended to `out`.
void append_json_string(std::string& out, std::string_view s);

} // namespace dmarc::formats
