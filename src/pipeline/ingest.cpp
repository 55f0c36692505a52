#include "pipeline/ingest.hpp"

#include "core/checksum.hpp"
#include "core/text.hpp"
#include "decompress/decompress.hpp"
#include "domain/alignment.hpp"
#include "formats/dmarc_xml.hpp"
#include "formats/tlsrpt_json.hpp"
#include "mime/extract.hpp"
#include "mime/failure.hpp"

#include <memory>

namespace dmarc::pipeline {

namespace {

// How telling a failure is when a message holds no report: the most specific wins
// (a corrupt archive says more than "this part was not a report").
int severity(ErrorKind kind)
{
  switch (kind) {
  case ErrorKind::too_large: return 5;
  case ErrorKind::corrupt_archive: return 4;
  case ErrorKind::invalid_report: return 3;
  case ErrorKind::empty: return 2;
  case ErrorKind::not_a_report: return 1;
  default: return 0;
  }
}

struct Collector
{
  ParsedMessage& out;
  std::optional<Error> worst;
  // Decompressed document bytes of the message so far: all attachments together stay
  // within max_document_bytes, as the entries of one zip do (decompress.hpp), so a mail of
  // many attachments cannot hold more than one cap's worth of documents and their reports.
  std::size_t expanded = 0;
  bool full = false;

  void fail(Error error)
  {
    if (!worst || severity(error.kind) > severity(worst->kind)) {
      worst = std::move(error);
    }
  }
};

// One attachment or bare file: expand, parse every document in it, keep the raw bytes.
// `what` names the payload in details: "" for a bare file (the source names it already),
// else the attachment ("attachment 'report.zip'").
void ingest_payload(std::string_view bytes, std::string_view name, const std::string& what,
                    const Limits& limits, Collector& collector)
{
  if (bytes.empty()) {
    // A report attachment that lost its content on the way is empty, not some other file.
    collector.fail(make_error(ErrorKind::empty, what + " has zero bytes"));
    return;
  }
  const decompress::Format outer = decompress::sniff(bytes);
  if (outer == decompress::Format::unknown) {
    collector.fail(make_error(ErrorKind::not_a_report,
                              (what.empty() ? std::string("not a mail, ") : what + " is not ")
                                + "an XML, JSON, gzip or zip report"));
    return;
  }
  // In a mail, a failure names the attachment it comes from ("attachment 'r.zip': ..."):
  // a mail may carry several, and the source line names only the mail.
  const auto named = [&what](Error error) {
    if (!what.empty()) {
      error.detail = what + ": " + error.detail;
    }
    return error;
  };
  auto documents = decompress::expand(bytes, name, limits);
  if (!documents) {
    collector.fail(named(documents.error()));
    return;
  }
  for (const decompress::Document& doc : *documents) {
    collector.expanded += doc.bytes.size();
  }
  if (collector.expanded > limits.max_document_bytes) {
    collector.full = true;
    collector.fail(make_error(ErrorKind::too_large,
                              "documents of the message together larger than "
                                + std::to_string(limits.max_document_bytes)
                                + " bytes (max_document_bytes)"));
    return;
  }
  // The raw document as received: archives are kept as they came; plain documents are
  // gzip-compressed (before parsing, which reuses the buffer).
  std::shared_ptr<const std::string> archive;
  if (outer == decompress::Format::gzip || outer == decompress::Format::zip) {
    archive = std::make_shared<const std::string>(bytes);
  }
  // Of several documents (a zip with more than one entry), a failure names the entry.
  const bool several = documents->size() > 1;
  const auto entry = [&](const decompress::Document& doc, Error error) {
    if (several) {
      error.detail = "entry '" + doc.name + "': " + error.detail;
    }
    return named(std::move(error));
  };
  for (decompress::Document& doc : *documents) {
    RawDocument raw;
    if (archive) {
      raw.format = outer == decompress::Format::gzip ? "gzip" : "zip";
      raw.bytes = archive;
    } else {
      raw.format = "gzip";
      raw.bytes = std::make_shared<const std::string>(decompress::gzip(doc.bytes));
    }
    switch (doc.format) {
    case decompress::Format::xml: {
      auto report = formats::parse_aggregate(doc.bytes, limits);
      if (!report) {
        collector.fail(entry(doc, report.error()));
        break;
      }
      domain::compute_alignment(*report);
      collector.out.aggregates.push_back(std::move(*report));
      collector.out.aggregate_raw.push_back(std::move(raw));
      break;
    }
    case decompress::Format::json: {
      auto report = formats::parse_tlsrpt(doc.bytes, limits);
      if (!report) {
        collector.fail(entry(doc, report.error()));
        break;
      }
      collector.out.tls.push_back(std::move(*report));
      collector.out.tls_raw.push_back(std::move(raw));
      break;
    }
    default:
      collector.fail(make_error(ErrorKind::not_a_report,
                                "'" + doc.name + "' in the archive is neither XML nor JSON"));
      break;
    }
  }
}

// A saved mail with a UTF-8 BOM or empty lines before its header (Windows editors, some
// export tools) starts after them; anything else is returned as it is.
std::string_view skip_mail_prefix(std::string_view bytes)
{
  std::string_view rest = bytes;
  if (rest.starts_with("\xEF\xBB\xBF")) {
    rest.remove_prefix(3);
  }
  while (!rest.empty() && (rest.front() == '\r' || rest.front() == '\n')) {
    rest.remove_prefix(1);
  }
  return rest.size() != bytes.size() && mime::looks_like_message(rest) ? rest : bytes;
}

} // namespace

ParsedMessage parse_input(std::string_view bytes, MessageMeta meta, const Limits& limits)
{
  ParsedMessage out;
  meta.size = static_cast<int64_t>(bytes.size());
  meta.checksum = checksum(bytes);
  out.meta = std::move(meta);
  if (bytes.empty()) {
    out.rejection = make_error(ErrorKind::empty, "zero bytes");
    return out;
  }
  if (bytes.size() > limits.max_message_bytes) {
    out.rejection = make_error(ErrorKind::too_large,
                               "input larger than " + std::to_string(limits.max_message_bytes)
                                 + " bytes (max_message_bytes)");
    return out;
  }

  Collector collector{out, std::nullopt};
  const decompress::Format format = decompress::sniff(bytes);
  const std::string_view mail =
    format == decompress::Format::unknown ? skip_mail_prefix(bytes) : bytes;
  if (format != decompress::Format::unknown || !mime::looks_like_message(mail)) {
    // A bare report file (or something that is neither a file nor a mail).
    ingest_payload(bytes, out.meta.source, "", limits, collector);
  } else {
    auto message = mime::extract(mail, limits);
    if (!message) {
      out.rejection = message.error();
      return out;
    }
    out.meta.message_id = message->message_id;
    out.meta.subject = message->subject;
    out.meta.from = message->from;
    out.meta.date_header = message->date;
    for (const mime::Attachment& attachment : message->attachments) {
      if (collector.full) {
        break;
      }
      const std::string what = attachment.filename.empty()
                                 ? "attachment (" + attachment.content_type + ")"
                                 : "attachment '" + attachment.filename + "'";
      ingest_payload(attachment.bytes, attachment.filename, what, limits, collector);
    }
    if (out.aggregates.empty() && out.tls.empty() && message->is_failure_report) {
      out.failure_report = true;
      auto failure = mime::parse_failure_report(mail, limits);
      if (failure) {
        mime::apply_sample_policy(*failure, limits.failure_samples);
        out.failure = std::move(*failure);
      } else {
        // Recognised (a multipart/report of report-type feedback-report) but without the
        // fields of either form: stored with what the mail itself says.
        FailureReport bare;
        bare.format = "unknown";
        std::string_view from = message->from;
        if (const auto open = from.find('<'); open != std::string_view::npos) {
          from = from.substr(open + 1, from.find('>', open) - open - 1);
        }
        bare.reporter = text::to_lower(text::trim(from));
        out.failure = std::move(bare);
      }
      // The whole mail holds the sample: it is kept only when samples are kept in full.
      if (limits.failure_samples == FailureSamples::full) {
        out.failure_raw_gzip = std::make_shared<const std::string>(decompress::gzip(bytes));
      }
      return out;
    }
    if (message->attachments.empty()) {
      collector.fail(make_error(ErrorKind::not_a_report,
                                message->other_feedback_type.empty()
                                  ? std::string("no report attachment in the message")
                                  : "ARF feedback report of type '" + message->other_feedback_type
                                      + "', not a DMARC failure report"));
    }
  }
  if (out.aggregates.empty() && out.tls.empty()) {
    out.rejection = collector.worst.value_or(make_error(ErrorKind::not_a_report, "no report found"));
  } else if (collector.worst && collector.worst->kind != ErrorKind::not_a_report) {
    out.warnings.push_back(*collector.worst);
  }
  return out;
}

} // namespace dmarc::pipeline
