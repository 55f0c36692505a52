// Error: what went wrong, as a machine-readable kind plus a human detail.
// The first five kinds are the rejection reasons DESIGN.md names for bad input;
// they are printed and stored as-is ("not-a-report", ...).
#pragma once

#include <string>
#include <string_view>

namespace dmarc {

enum class ErrorKind {
  empty,           // zero bytes
  not_a_report,    // a message or file without a report in it
  corrupt_archive, // truncated gzip/zip, bad CRC
  too_large,       // a cap was exceeded (size, entries, ratio, depth, count)
  invalid_report,  // malformed XML/JSON, wrong root, missing required fields
  io,              // file system
  database,        // SQLite
  network,         // IMAP, GELF
  config,          // configuration file
  usage,           // command line
  internal,
};

// The stable name of an error kind ("not-a-report", "io", ...).
std::string_view to_string(ErrorKind kind);

struct Error
{
  ErrorKind kind = ErrorKind::internal;
  std::string detail;

  // "KIND: detail".
  std::string to_string() const;
};

inline Error make_error(ErrorKind kind, std::string detail)
{
  return Error{kind, std::move(detail)};
}

} // namespace dmarc
