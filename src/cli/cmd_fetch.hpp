// The fetch step and the run lock, shared by `dmarcctl fetch` and `dmarcctl run`.
#pragma once

#include "cli/cmd_notify.hpp"
#include "cli/context.hpp"
#include "pipeline/import.hpp"

#include <string>
#include <vector>

namespace dmarc::cli {

struct FetchReport
{
  ExitCode code = ExitCode::ok;
  pipeline::ImportStats stats;     // summed over every account
  int accounts = 0;
  int accounts_failed = 0;         // could not log in, or the connection broke
  int mailboxes_failed = 0;        // a mailbox could not be finished
  int mailboxes_done = 0;          // mailboxes read through without an error
  int64_t moved_to_invalid = 0;    // rejected mails moved to the invalid mailbox
  bool attention = false;          // something failed or was rejected
  bool database_failed = false;    // the store failed: the run stopped
  std::string summary;             // "fetched 25 messages from 2 accounts: 24 reports imported ..."
  IngestLog lost;                  // reports lost and accounts failed, for notify
};

// Fetches every IMAP account of `config` (or those named in `only`) into `db`. Errors are
// printed as they happen, each naming account, host and step; one account's failure does
// not stop the others. code: ok; partial when something failed or was rejected while
// something worked; error when nothing could be done or the database failed.
FetchReport fetch_accounts(Context& ctx, store::Database& db, const config::Config& config,
                           const std::vector<std::string>& only = {});

// An exclusive flock on the run lock file, released when destroyed (or when the process
// dies, whatever the way).
class RunLock
{
public:
  RunLock() = default;
  RunLock(RunLock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  RunLock& operator=(RunLock&& other) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

private:
  friend Result<RunLock> acquire_run_lock(Context& ctx, const config::Config& config);
  int m_fd = -1;
};

// Takes the lock ([database] lock_file, default "<database>.lock"). Error (kind io)
// "already running: ..." when another fetch or run holds it.
Result<RunLock> acquire_run_lock(Context& ctx, const config::Config& config);

} // namespace dmarc::cli
