// ⑦ CSV renderers (RFC 4180). The aggregate export uses parsedmarc's column names and
// value conventions so spreadsheets and scripts built on parsedmarc keep working. Pure.
#pragma once

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

// The summary table, one row per domain, header first.
std::string summary_csv(const Summary& summary);

} // namespace dmarc::output
