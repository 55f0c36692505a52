// A message as it leaves the pure stages (②③④) and enters the store (⑤): where it came
// from, the reports found in it, and what went wrong.
#pragma once

#include "core/error.hpp"
#include "core/failure_report.hpp"
#include "core/report.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dmarc {

struct MessageMeta
{
  std::string source;            // file path, "-" for stdin, "imap://account/mailbox"
  OptString account;             // IMAP account name
  OptString mailbox;             // IMAP mailbox
  std::optional<int64_t> uidvalidity;
  std::optional<int64_t> uid;
  std::string message_id;        // without <>; "" for bare report files
  std::string subject;
  std::string from;              // From header (RFC 2047 decoded); "" for bare report files
  std::string date_header;
  std::string checksum;          // of the raw bytes
  int64_t size = 0;
};

// A report document as received: the original archive bytes when it came compressed,
// gzip of the document otherwise. Shared by the reports of one zip archive.
struct RawDocument
{
  std::string format;            // "gzip" | "zip"
  std::shared_ptr<const std::string> bytes;
};

struct ParsedMessage
{
  MessageMeta meta;
  std::vector<AggregateReport> aggregates;
  std::vector<RawDocument> aggregate_raw;    // parallel to aggregates
  std::vector<TlsReport> tls;
  std::vector<RawDocument> tls_raw;          // parallel to tls
  bool failure_report = false;
  std::shared_ptr<const std::string> failure_raw_gzip; // the whole mail; samples = "full" only
  std::optional<FailureReport> failure;      // its fields, set when failure_report
  std::optional<Error> rejection;            // set when nothing usable was found
  std::vector<Error> warnings;               // attachments that failed beside good ones
};

enum class MessageStatus { imported, duplicate, failure, rejected };

// "imported", "duplicate", "failure", "rejected".
const char* to_string(MessageStatus status);

} // namespace dmarc
