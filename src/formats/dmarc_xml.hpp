// ④ parse: DMARC aggregate report XML into an AggregateReport.
//
// Why: RFC 7489 Appendix C defines the schema, RFC 9990 moved it to the namespace
// urn:ietf:params:xml:ns:dmarc-2.0 and added np, testing, discovery_method and generator;
// reporters also send the old http://dmarc.org/dmarc-xml/0.1 namespace, pre-RFC drafts
// without <version>, upper-case words, BOMs and broken XML. Element names are matched by
// local name, so every namespace works. Malformed XML that real reporters send is repaired
// before parsing (a <feedback> inside an unclosed wrapper, a stray '<' in text, an address
// in angle brackets) without inventing or dropping a record. DTDs and entities are never
// resolved. Pure.
#pragma once

#include "core/limits.hpp"
#include "core/report.hpp"
#include "core/result.hpp"

#include <string>

namespace dmarc::formats {

// Parses one aggregate report document. `document` is used as the parse buffer and is
// modified. Errors: `empty` (zero bytes), `invalid-report` with the parser's byte offset or
// the missing element (wrong root, missing report_id / org_name / date_range / policy domain
// / p, a bad <count> naming the record, no <feedback> close tag, a second <feedback> after the
// first: two reports are never half read), `too-large` (depth, element
// count, records beyond `limits`). Text values are trimmed and sanitised to UTF-8 (U+FFFD);
// a document declared windows-1252 or ISO-8859-1 (and their aliases) that is not UTF-8 is
// converted from windows-1252 first; result words are lower-cased; `recovered` is set when the XML needed repair.
Result<AggregateReport> parse_aggregate(std::string& document, const Limits& limits);

} // namespace dmarc::formats
