// ⑦ CSV renderers (RFC 4180). The aggregate export uses parsedmarc's column names and
// value conventions so spreadsheets and scripts built on parsedmarc keep working. Pure.
#pragma once

#include "core/failure_report.hpp"
#include "core/report.hpp"
#include "core/summary.hpp"

#include <string>
#include <string_view>

namespace dmarc::output {

// `field` quoted when it holds a comma, quote, CR or LF (quotes doubled).
std::string csv_field(std::string_view field);

// The header line of the aggregate export, with "\r\n".
std::string aggregate_csv_header();

// One CSV row per record of `report`, each ending in "\r\n".
std::string aggregate_csv_rows(const AggregateReport& report);

// parsedmarc's smtp_tls CSV (export --type tls): the header line, and per policy one row
// with its successful_session_count plus one row per failure detail (parsedmarc's layout).
std::string tls_csv_header();
std::string tls_csv_rows(const TlsReport& report);

// parsedmarc's forensic CSV (export --type failure): the header line, and one row per
// failure report. `time` is the stored report time, used when Arrival-Date did not parse.
std::string failure_csv_header();
std::string failure_csv_row(const FailureReport& report, int64_t time);

// The summary table, one row per domain, header first.
std::string summary_csv(const Summary& summary);

} // namespace dmarc::output
