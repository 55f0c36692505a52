// ② mime: the fields of a DMARC failure (RUF) report mail.
//
// Why here: a failure report is a MIME structure, not a document. RFC 7489 §7.3 sends it
// as an ARF message (RFC 5965 §2): a multipart/report with a human-readable part, a
// machine-readable message/feedback-report part ("Feedback-Type: auth-failure" and the
// RFC 6591 §3.1 fields) and the failing message as message/rfc822 or its headers as
// text/rfc822-headers. Some reporters (exim, others) send a plain-text form instead: a
// text/plain part of "Sender Domain: …" / "Sender IP Address: …" lines and a copy of the
// headers after a "------ This is a copy of the headers …" line. Both are read here into
// FailureReport, with the sample's From / To / Subject / Date / Message-ID, RFC 2047 words
// decoded (decode_encoded_words). Pure: bytes in, values out; bounded by Limits like extract.
//
// Only `auth-failure` is a failure report: ARF of other types (abuse, fraud, virus, ...)
// are spam complaints and the like, not DMARC data (issue 14).
#pragma once

#include "core/failure_report.hpp"
#include "core/limits.hpp"
#include "core/result.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace dmarc::mime {

// The Feedback-Type of a decoded message/feedback-report part, lower case ("" when absent).
std::string arf_feedback_type(std::string_view report_part);

// True when a decoded text part reads like a plain-text failure report: at least two
// "Key: value" lines of the forms exim and others send (Sender Domain, Sender IP Address,
// Received Date, SPF Alignment, DKIM Alignment, DMARC Results).
bool is_text_failure_report(std::string_view text);

// An RFC 5322 date ("Mon, 01 Oct 2018 11:20:27 +0200", "01 Oct 2018 11:20 GMT", obsolete
// zone names, no day name) to Unix seconds; nullopt when it does not parse or names a day
// the calendar lacks.
std::optional<int64_t> parse_mail_date(std::string_view text);

// The failure report in `message` (a whole report mail): the first auth-failure ARF part and
// the sample beside it, else the first plain-text form. The sample is kept whole here
// (FailureReport::sample); apply_sample_policy drops what the configuration does not keep.
// Errors: `not-a-report` when the message holds neither (the detail names an ARF part of
// another type: "ARF feedback report of type 'abuse', not a DMARC failure report");
// `too-large` past the Limits; `empty`. Never throws.
Result<FailureReport> parse_failure_report(std::string_view message, const Limits& limits);

// `report` with what `samples` does not keep removed: "headers" drops the sample's body,
// "none" drops every header of the sample (From, To, Subject, Date, Message-ID, the header
// section) as well.
void apply_sample_policy(FailureReport& report, FailureSamples samples);

} // namespace dmarc::mime
