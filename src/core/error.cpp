#include "core/error.hpp"

namespace dmarc {

std::string_view to_string(ErrorKind kind)
{
  switch (kind) {
  case ErrorKind::empty: return "empty";
  case ErrorKind::not_a_report: return "not-a-report";
  case ErrorKind::corrupt_archive: return "corrupt-archive";
  case ErrorKind::too_large: return "too-large";
  case ErrorKind::invalid_report: return "invalid-report";
  case ErrorKind::io: return "io";
  case ErrorKind::database: return "database";
  case ErrorKind::network: return "network";
  case ErrorKind::config: return "config";
  case ErrorKind::usage: return "usage";
  case ErrorKind::internal: return "internal";
  }
  return "internal";
}

std::string Error::to_string() const
{
  std::string out(dmarc::to_string(kind));
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

} // namespace dmarc

#include "core/message.hpp"

namespace dmarc {

const char* to_string(MessageStatus status)
{
  switch (status) {
  case MessageStatus::imported: return "imported";
  case MessageStatus::duplicate: return "duplicate";
  case MessageStatus::failure: return "failure";
  case MessageStatus::rejected: return "rejected";
  }
  return "rejected";
}

} // namespace dmarc
