// The forward run: ⑤ store → GELF messages → ⑦ sink, every stored row exactly once per sink.
//
// Why this shape (issue 6, "exactly once"): each sink URL has a cursor per stream (DMARC
// records, TLS policies, TLS failure details, DMARC failure reports) in the database: the highest row id it has
// confirmed. A run sends the rows above the cursor in id order, and moves the cursor only
// over what the sink confirmed (gelf_sink.hpp: UDP written, TCP acknowledged, HTTP 2xx), in
// a small transaction every `batch` messages and at the end. So:
//  - a rerun sends only rows stored since;
//  - a receiver that fails (down, reset, timeout) or a killed run (kill -9, power loss after
//    the last commit) leaves the cursor at the last confirmed row, and the next run sends the
//    rest: nothing confirmed is sent twice, nothing unconfirmed is lost. The only repeats are
//    TCP messages the receiver read after the last confirmation, before its connection
//    broke (TCP cannot tell read from unread bytes), at most one batch;
//  - a row that can never go through the sink (a message over 128 UDP chunks, HTTP 413) is
//    reported (on_rejected) and passed over, so it cannot block every later row;
//  - after a failure the sink reconnects and the run goes on, as long as each attempt moves
//    the cursor; `retries` failures in a row without progress end the run with the error.
// Advisor findings are not stored rows: the caller computes them for a day, and they go once
// per day and sink (the `advice` cursor holds the day). If the sink fails in the middle of
// them, the day's findings are all sent again on the next run.
// Two forward runs on one database would send the same rows twice, so a run holds an
// exclusive flock(2) on "<database>.forward.lock" (released by the kernel if it dies).
#pragma once

#include "core/clock.hpp"
#include "core/finding.hpp"
#include "core/result.hpp"
#include "output/gelf_sink.hpp"
#include "store/database.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::pipeline {

struct ForwardStreamStats
{
  int64_t sent = 0;        // confirmed by the sink (dry run: would be sent)
  int64_t skipped = 0;     // passed over: the report began before --since
  int64_t rejected = 0;    // passed over: the sink can never take the message
};

struct ForwardStats
{
  std::string sink;                 // the sink's name (URL without credentials)
  ForwardStreamStats records;       // DMARC aggregate records
  ForwardStreamStats policies;      // TLS-RPT policies
  ForwardStreamStats failures;      // TLS-RPT failure details
  ForwardStreamStats failure_reports; // DMARC failure (RUF) reports
  ForwardStreamStats advice;        // advisor findings
  int64_t reconnects = 0;           // failures recovered from within the run
  std::optional<Error> failure;     // the sink failed for good; the rest waits for next run
  bool dry_run = false;

  int64_t sent() const
  {
    return records.sent + policies.sent + failures.sent + failure_reports.sent + advice.sent;
  }
  int64_t rejected() const
  {
    return records.rejected + policies.rejected + failures.rejected + failure_reports.rejected
           + advice.rejected;
  }
  // "forwarded 1234 messages to udp://graylog:12201 (1200 DMARC records, 30 TLS policies,
  // 4 TLS failure details, 8 findings)" and what was passed over; a dry run says "would
  // forward".
  std::string to_line() const;
};

struct ForwardOptions
{
  std::string host;                        // GELF `host`; "" = the machine's hostname
  std::optional<int64_t> since;            // pass over rows of reports beginning before
  std::size_t batch = 1000;                // messages per confirmation and cursor commit
  int retries = 1;                         // failures in a row without progress tolerated
  int retry_delay_ms = 100;                // pause before reconnecting
  bool lock = true;                        // hold <database>.forward.lock during the run
  std::vector<Finding> findings;           // the advisor's findings for `findings_day`
  int64_t findings_day = -1;               // Unix day; -1: no findings this run
  // Dry run: each message that would be sent (no sink, no cursor moves). Otherwise, when
  // set, each message handed to the sink (for -vv).
  std::function<void(std::string_view)> on_message;
  // A row passed over because the sink can never take it: "tls_failures 7: detail".
  std::function<void(const std::string&)> on_rejected;
  // After every cursor commit.
  std::function<void(const ForwardStats&)> on_progress;
};

// Sends every row of `db` that `sink` has not confirmed, moving its cursor as confirmations
// come. A failing sink is not an error of the run: it ends with stats.failure set (what is
// pending goes next run). Errors: the database, or the lock held by another run.
Result<ForwardStats> forward(store::Database& db, output::GelfSink& sink, const Clock& clock,
                             const ForwardOptions& options);

// What forward() would send to the sink named `sink_name` now, without sending anything or
// moving a cursor: counts, and every message through options.on_message.
Result<ForwardStats> forward_dry_run(store::Database& db, std::string_view sink_name,
                                     const ForwardOptions& options);

// The machine's host name (gethostname), "localhost" when it has none.
std::string local_host_name();

} // namespace dmarc::pipeline
