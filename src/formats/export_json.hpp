// ⑦ encoding: reports and summaries as JSON (nlohmann_json lives in this module only).
//
// The `export --format jsonl` line format is a contract (issue "Import pipeline"):
// DMARC {"type":"dmarc","org_name","report_id","domain","begin","end","policy":{...},
// "records":[...]} and TLS {"type":"tlsrpt",...,"policies":[...]}; a missing value is null,
// never invented. Pure.
#pragma once

#include "core/report.hpp"
#include "core/summary.hpp"

#include <string>

namespace dmarc::formats {

// One JSON line (without the trailing newline) for a DMARC aggregate report.
std::string to_jsonl(const AggregateReport& report);

// One JSON line (without the trailing newline) for a TLS report.
std::string to_jsonl(const TlsReport& report);

// The summary as a JSON document (pretty-printed, trailing newline).
std::string summary_to_json(const Summary& summary);

} // namespace dmarc::formats
