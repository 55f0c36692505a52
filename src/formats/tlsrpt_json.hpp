// ④ parse: SMTP TLS report JSON (RFC 8460 §4) into a TlsReport.
//
// Why: TLS-RPT reports are JSON with hyphenated keys; dates are RFC 3339. Unknown keys are
// ignored, missing optional ones stay absent. Pure.
#pragma once

#include "core/limits.hpp"
#include "core/report.hpp"
#include "core/result.hpp"

#include <string_view>

namespace dmarc::formats {

// Parses one TLS report. Errors: `empty` (zero bytes), `invalid-report` (malformed JSON with
// the byte offset, missing organization-name / report-id / date-range / policies / summary
// counts, wrong types, negative counts), `too-large` (size or nesting beyond `limits`).
// Strings are sanitised to UTF-8 (U+FFFD); policy-type and result-type are lower-cased.
Result<TlsReport> parse_tlsrpt(std::string_view document, const Limits& limits);

} // namespace dmarc::formats
