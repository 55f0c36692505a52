// ② mime: find the report attachments in a raw RFC 5322 message.
//
// Why: reporters wrap the report in every MIME shape there is (RFC 7489 §7.2.1.1 asks for
// a gzip/zip attachment, RFC 8460 §5.3 for application/tlsrpt+gzip, practice varies):
// multipart/mixed or multipart/report, the whole body as the attachment, base64 or
// quoted-printable, report mails forwarded inside message/rfc822. This stage walks every
// part (mimetic), decodes it, and hands back the candidates; whether a candidate really
// holds a report is decided downstream by sniffing and parsing. Pure: bytes in, values out.
//
// mimetic is used for what it does well, the base64 and quoted-printable codecs
// (transfer.cpp, with guards for its bugs). Its MimeEntity parser is not used: it cannot
// be bounded from outside (unbounded recursion and memory per part, quadratic header
// buffers) and mis-splits real mail; entity.hpp explains and replaces it.
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
  std::string bytes;        // transfer-decoded content (quoted-printable line breaks become "\n")
};

struct Extracted
{
  std::string message_id;   // Message-ID header of the outer message, without <>; may be ""
  std::string subject;      // Subject header, unfolded, RFC 2047 encoded words decoded to UTF-8
  std::string from;         // From header, unfolded, RFC 2047 encoded words decoded to UTF-8
  std::string date;         // Date header text, unfolded
  // Candidate report attachments, in message order (depth first, forwarded message/rfc822
  // mails included, and mails attached as a file named *.eml). A leaf part is a candidate when its type is a report type (zip, gzip,
  // xml, json, tlsrpt+gzip/json, octet-stream), its filename ends in .xml/.gz/.zip/.json,
  // or its decoded bytes start with gzip/zip magic, "<?xml" or "<feedback", or are JSON
  // naming an "organization-name" (a report pasted into the body). A report-typed part
  // without a transfer encoding whose body is base64 of gzip/zip magic ("H4sI", "UEsDB")
  // is decoded as base64 (the sender forgot the header). Other text/plain or
  // text/html bodies, images etc. are left out. Nothing inside a failure report is a
  // candidate (its message/rfc822 part is the spoofed mail).
  std::vector<Attachment> attachments;
  // The message is a DMARC failure (RUF/forensic) report: some part at any depth is a
  // message/feedback-report of Feedback-Type auth-failure, or a message without ARF part of
  // another type and without delivery status that carries no candidate of its own is a
  // multipart/report of report-type feedback-report, or has "DMARC Forensic Report" /
  // "Failure Report" in its subject and a text part in the plain-text failure form
  // (failure.hpp: the reports exim and others send). The subject alone is not enough.
  bool is_failure_report = false;
  // When not a failure report: the Feedback-Type of an ARF part of another type ("abuse"),
  // "(none)" for one without; "" when there is none.
  std::string other_feedback_type;
};

// True when `bytes` starts like an RFC 5322 message: a header field line ("Name: value",
// RFC 5322 ftext name), optionally after an mbox "From " line. False for XML, JSON, gzip, zip.
bool looks_like_message(std::string_view bytes);

// Parses a raw message (LF or CRLF line ends, an mbox "From " line first is skipped).
// Errors: `empty` for zero bytes; `too-large` for a message above max_message_bytes, more
// than max_mime_parts parts below the top level, or nesting deeper than max_mime_depth
// (the detail names the cap); `not-a-report` only for input that is not a message at all.
// A message without candidates is ok with no attachments. Never throws.
Result<Extracted> extract(std::string_view message, const Limits& limits);

} // namespace dmarc::mime
