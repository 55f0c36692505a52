// ① fetch, the wire: one IMAP session over one connection (libcurl lives in src/net only).
//
// Why libcurl with CURLOPT_CONNECT_ONLY: curl does the parts that are easy to get wrong
// and must be right — TCP with a connect timeout, implicit TLS (imaps://, RFC 8314) or
// STARTTLS that is *required* (CURLUSESSL_ALL: never a silent fall back to plaintext,
// RFC 3501 §6.2.1), certificate and host name verification (always on; `ca_file` adds a
// trust anchor), and the login (SASL PLAIN or LOGIN, with the password never logged: curl's
// verbose output is never enabled and no error text carries it). After the login curl hands
// over the authenticated connection and this module speaks IMAP4rev1 itself with
// curl_easy_send/recv: that is the only way to read message bodies as literals with
// BODY.PEEK[] (curl's own FETCH uses BODY[], which marks messages \Seen before they are
// stored) and to pipeline a batch of messages in one UID FETCH.
//
// Commands used (RFC 3501 unless noted): CAPABILITY, LIST (existence, hierarchy
// delimiter), CREATE, SELECT/EXAMINE (UIDVALIDITY, UIDNEXT, EXISTS), UID FETCH (sizes; then
// bodies with BODY.PEEK[] in batches), UID MOVE (RFC 6851) or UID COPY + UID STORE
// +FLAGS.SILENT (\Deleted) + UID EXPUNGE (RFC 4315 UIDPLUS), UID STORE +FLAGS.SILENT (\Seen),
// LOGOUT. Every wait on the server is bounded by `timeout` seconds without a byte.
#pragma once

#include "core/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::net {

struct ImapSettings
{
  std::string url;                  // imaps://host[:993] or imap://host[:143]
  std::string username;
  std::string password;             // never logged, never part of an error
  std::string ca_file;              // extra trust anchor (PEM); "" for the system's
  bool require_tls = true;          // false only for a loopback host (tls = "none")
  int connect_timeout = 30;         // seconds for TCP + TLS + login
  int timeout = 120;                // seconds without a byte from the server
  std::size_t max_message_bytes = 64u << 20;
};

struct SelectedMailbox
{
  int64_t uidvalidity = 0;
  int64_t uidnext = 0;              // 0 when the server did not say
  int64_t exists = 0;
  bool read_only = false;
};

struct UidSize
{
  int64_t uid = 0;
  int64_t size = 0;                 // RFC822.SIZE
};

struct FetchedMessage
{
  int64_t uid = 0;
  std::string body;                 // the raw RFC 5322 message
};

// An authenticated IMAP session. Mailbox names are UTF-8 with '/' as the hierarchy
// separator; the session translates '/' to the server's delimiter and encodes modified
// UTF-7. Every error names the step ("select \"INBOX\": ..."). After a connection-level
// error (timeout, dropped connection, protocol violation) broken() is true and every
// further call fails at once; a NO/BAD answer leaves the session usable.
class ImapSession
{
public:
  virtual ~ImapSession() = default;

  // True when the server advertised `capability` (upper case) after login.
  virtual bool has_capability(std::string_view capability) const = 0;
  // True once the connection can no longer be used.
  virtual bool broken() const = 0;

  // True when the mailbox exists (LIST).
  virtual Result<bool> mailbox_exists(const std::string& name) = 0;
  // Every selectable mailbox (LIST "" "*"), UTF-8 with '/' as the separator; for errors
  // that name the mailboxes that do exist. A session that cannot list returns none.
  virtual Result<std::vector<std::string>> list_mailboxes() { return std::vector<std::string>(); }
  // CREATE (parents are created by the server or explicitly, as needed).
  virtual Result<void> create_mailbox(const std::string& name) = 0;
  // SELECT (or EXAMINE when `read_only`).
  virtual Result<SelectedMailbox> select(const std::string& name, bool read_only) = 0;
  // UID and size of every message with a UID >= `first_uid` in the selected mailbox, by UID.
  virtual Result<std::vector<UidSize>> list_from(int64_t first_uid) = 0;
  // Starts a UID FETCH of the bodies (BODY.PEEK[]) of `uids`; read them with next_fetched().
  virtual Result<void> begin_fetch(const std::vector<int64_t>& uids) = 0;
  // The next fetched message: true with `message` set, false when the FETCH completed.
  // A NO answer is an error with broken() still false.
  virtual Result<bool> next_fetched(FetchedMessage& message) = 0;
  // Moves `uids` of the selected mailbox to `target`: UID MOVE when the server has MOVE,
  // else UID COPY + UID STORE \Deleted + UID EXPUNGE.
  virtual Result<void> move(const std::vector<int64_t>& uids, const std::string& target) = 0;
  // UID STORE +FLAGS.SILENT (flag), e.g. "\\Seen".
  virtual Result<void> add_flag(const std::vector<int64_t>& uids, std::string_view flag) = 0;
  // Sets \Deleted and expunges exactly `uids` (UID EXPUNGE; plain EXPUNGE without UIDPLUS).
  virtual Result<void> remove(const std::vector<int64_t>& uids) = 0;
  // LOGOUT; the session is closed afterwards.
  virtual Result<void> logout() = 0;
};

// Connects, secures and logs in. The error says which step failed: "connect failed: ...",
// "TLS failed: ...", "STARTTLS failed: ...", "login failed: ...", "timed out ...".
Result<std::unique_ptr<ImapSession>> connect_imap(const ImapSettings& settings);

// A line-oriented trace of the commands sent (never the login, never message bodies) for
// -vv; set once by the caller, or nullptr.
using ImapTrace = void (*)(std::string_view line);
void set_imap_trace(ImapTrace trace);

} // namespace dmarc::net
