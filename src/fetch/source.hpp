// ① fetch: where messages come from. A MessageSource hands out raw inputs one at a time
// and hears back once each one's data is committed, so a source that can move or delete
// (IMAP) only does so after the store holds the data.
#pragma once

#include "core/message.hpp"
#include "core/result.hpp"

#include <optional>
#include <string>

namespace dmarc::fetch {

struct SourceItem
{
  MessageMeta meta;              // source (and for IMAP account/mailbox/uid) filled in
  std::string bytes;
  std::optional<Error> error;    // the input could not be read; bytes are empty
};

class MessageSource
{
public:
  virtual ~MessageSource() = default;
  // Fills `item` with the next input: true when there was one, false at the end. An error
  // is fatal for the source (e.g. a lost connection); unreadable single inputs are
  // reported through item.error instead.
  virtual Result<bool> next(SourceItem& item) = 0;
  // Called once the item has been committed to the store with `status`.
  virtual Result<void> committed(const SourceItem& item, MessageStatus status)
  {
    (void)item;
    (void)status;
    return {};
  }
};

} // namespace dmarc::fetch
