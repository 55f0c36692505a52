// ① fetch from IMAP: a MessageSource over one account's mailboxes (DESIGN.md "Inputs").
//
// Why it is built this way:
//  - Incremental by UID (RFC 3501 §2.3.1.1): per mailbox the cursor (UIDVALIDITY, last UID
//    fully processed) says where to start; a new UIDVALIDITY means the UIDs were renumbered
//    and the mailbox is read again from the start — the store's dedup keeps that correct.
//  - Batches on one connection: the sizes of all new messages are listed first (so a message
//    above max_message_bytes is rejected as too-large without downloading it), then the
//    bodies come `batch` at a time in one UID FETCH with BODY.PEEK[] (nothing is marked
//    \Seen by reading), handed out one by one as they arrive: memory holds one message.
//  - Nothing happens to a message before the store committed it. The pipeline calls
//    committed() after each message's transaction; when a batch has been read and every
//    message of it committed, the after action is applied to the whole batch at once (one
//    UID MOVE per target), after one durable commit (fsync) when it moves or deletes. Only
//    then does the cursor move past the batch. A run killed anywhere before that reads the
//    batch again next time; the store recognises every message and it is then moved.
//  - Errors: a broken connection ends the account (next() fails); a mailbox-level refusal
//    (no such mailbox, MOVE refused) is recorded in outcomes() and the next mailbox goes on.
#pragma once

#include "core/limits.hpp"
#include "fetch/source.hpp"
#include "net/imap_client.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::fetch {

// What happens to a stored message (config "after").
enum class AfterAction { move, seen, remove, leave };

struct ImapSourceOptions
{
  std::string account;                    // [[imap]] name: messages.account, source URL
  std::vector<std::string> mailboxes{"INBOX"};
  AfterAction after = AfterAction::move;
  std::string archive = "Archive";        // target of AfterAction::move
  std::string invalid = "Invalid";        // target for rejected messages; "" leaves them
  int batch = 200;                        // messages per UID FETCH
  std::size_t max_message_bytes = Limits{}.max_message_bytes;
};

struct ImapCursor
{
  int64_t uidvalidity = 0;
  int64_t last_uid = 0;                   // every UID <= last_uid is fully processed
};

// Where the cursors live (the database in dmarcctl; a map in unit tests).
// `names` quoted and joined with ", ", the nearest to `wanted` (edit distance, ignoring
// case) first: "\"INBOX\", \"Archive\"".
std::string nearest_first(std::vector<std::string> names, std::string_view wanted);

class ImapCursorStore
{
public:
  virtual ~ImapCursorStore() = default;
  // The cursor of a mailbox; nullopt when it was never fetched.
  virtual Result<std::optional<ImapCursor>> load(const std::string& account,
                                                 const std::string& mailbox) = 0;
  virtual Result<void> save(const std::string& account, const std::string& mailbox,
                            const ImapCursor& cursor) = 0;
  // Makes every commit so far durable (fsync); called before messages are moved or deleted.
  virtual Result<void> make_durable(const std::string& account, const std::string& mailbox,
                                    int64_t uidvalidity, int64_t stored_uid) = 0;
};

// What happened in one mailbox.
struct MailboxOutcome
{
  std::string mailbox;
  int64_t found = 0;                      // new messages listed
  int64_t fetched = 0;                    // handed to the pipeline and committed
  int64_t archived = 0;                   // moved to the archive
  int64_t marked_seen = 0;
  int64_t deleted = 0;
  int64_t to_invalid = 0;                 // rejected, moved to the invalid mailbox
  int64_t left = 0;                       // stayed where they were (leave, or invalid = "")
  bool rescanned = false;                 // UIDVALIDITY changed since the last run
  std::optional<Error> error;             // the mailbox could not be finished
};

class ImapSource final : public MessageSource
{
public:
  ImapSource(net::ImapSession& session, ImapCursorStore& cursors, ImapSourceOptions options);

  Result<bool> next(SourceItem& item) override;
  Result<void> committed(const SourceItem& item, MessageStatus status) override;

  // Applies the after action to messages committed but not yet acted on (while the
  // connection works), then logs out. Call once after the import run, however it ended.
  Result<void> close();

  // One entry per mailbox opened so far.
  const std::vector<MailboxOutcome>& outcomes() const { return m_outcomes; }
  // The UID of the message handed out last (0 before the first), for diagnostics.
  int64_t current_uid() const { return m_current_uid; }

  struct Progress
  {
    std::string mailbox;
    int64_t done = 0;
    int64_t total = 0;
  };
  Progress progress() const;

private:
  // A failed SELECT: when the mailbox does not exist, the error lists those that do
  // (nearest name first), so a typo in `mailboxes` is fixed without an IMAP client.
  Error with_existing_mailboxes(Error error, const std::string& mailbox);
  enum class Phase { open_mailbox, start_batch, oversized, fetching, finish_batch, done };

  struct Batch
  {
    std::vector<net::UidSize> listed;     // by UID
    std::vector<int64_t> oversized;       // handed out as too-large, without download
    std::size_t next_oversized = 0;
    std::set<int64_t> to_fetch;
    std::set<int64_t> handed;
    std::map<int64_t, MessageStatus> committed; // committed, after action not yet applied
    std::set<int64_t> acted;              // after action applied (or nothing to do)
    bool fetch_complete = false;          // the FETCH ended OK: unlisted UIDs are gone
  };

  Result<void> open_mailbox(const std::string& mailbox);
  void start_batch();
  Result<void> flush_batch();
  Result<void> ensure_mailbox(const std::string& name);
  // Records a mailbox-level failure and moves on to the next mailbox.
  void mailbox_failed(const Error& error);
  // The error that ends the account, naming the mailbox.
  Error account_error(const Error& error) const;
  void fill_meta(SourceItem& item, int64_t uid) const;

  net::ImapSession& m_session;
  ImapCursorStore& m_cursors;
  ImapSourceOptions m_options;
  std::vector<MailboxOutcome> m_outcomes;
  Phase m_phase = Phase::open_mailbox;
  std::size_t m_next_mailbox = 0;
  std::string m_mailbox;                  // the selected mailbox
  int64_t m_uidvalidity = 0;
  int64_t m_cursor_uid = 0;               // last_uid saved for the mailbox
  std::vector<net::UidSize> m_pending;    // new messages of the mailbox, by UID
  std::size_t m_pending_pos = 0;          // first one not yet in a batch
  int64_t m_handed_in_mailbox = 0;
  Batch m_batch;
  std::set<std::string> m_existing;       // mailboxes known to exist (targets)
  int64_t m_current_uid = 0;
  bool m_closed = false;
};

} // namespace dmarc::fetch
