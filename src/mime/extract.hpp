// ② mime: find the report attachments in a raw RFC 5322 message.
//
// Why: reporters wrap the report in every MIME shape there is (RFC 7489 §7.2.1.1 asks for
// a gzip/zip attachment, RFC 8460 §5.3 for application/tlsrpt+gzip, practice varies):
// multipart/mixed or multipart/report, the whole body as the attachment, base64 or
// quoted-printable, report mails forwarded inside message/rfc822. This stage walks every
// part (mimetic), decodes it, and hands back the candidates; whether a candidate really
// holds a report is decided downstream by sniffing and parsing. Pure: bytes in, values out.
#pragma once

#include "core/limits.hpp"
#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dmarc::mime {

struct Attachment
{
  std::string content_type; // lower case, without parameters ("application/gzip")
  std::string filename;     // from Content-Disposition filename or Content-Type name; may be ""
  std::string bytes;        // transfer-decoded content
};

struct Extracted
{
  std::string message_id;   // Message-ID header of the outer message, without <>; may be ""
  std::string subject;      // Subject header (RFC 2047 encoded words left as they are)
  std::string from;
  std::string date;         // Date header text
  // Candidate report attachments, in message order. Leaf parts that are plainly not a
  // report (text/plain or text/html bodies without a report-like filename, images) are left out.
  std::vector<Attachment> attachments;
  // The message is a DMARC failure (RUF/forensic) report: it has a message/feedback-report
  // part, or it is a plain-text forensic report ("DMARC Forensic Report"/"Failure Report"
  // in the subject of a multipart/report or a text body).
  bool is_failure_report = false;
};

// True when `bytes` starts like an RFC 5322 message (a header field, or an mbox "From " line).
bool looks_like_message(std::string_view bytes);

// Parses a raw message. Errors: `too-large` (message size, part count or nesting beyond
// `limits`, naming the cap), `not-a-report` only for input that is not a message at all.
Result<Extracted> extract(std::string_view message, const Limits& limits);

} // namespace dmarc::mime
