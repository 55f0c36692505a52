// The notify step, shared by `dmarcctl notify` and the end of `dmarcctl run`, and the record
// of what each import/fetch lost (table ingest_runs), which notify reads.
#pragma once

#include "cli/context.hpp"
#include "pipeline/import.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmarc::cli {

enum class NotifyMode { send, dry_run, test };

struct NotifyRequest
{
  int64_t as_of_day = 0;         // judge as of this day (Unix day)
  NotifyMode mode = NotifyMode::send;
  bool run_success = true;       // dmarcctl_last_run_success
  bool quiet_when_fine = false;  // run: say nothing on success (cron)
};

// Computes the events, sends what each channel ([notify] mail, webhook) has not heard yet
// and writes the [metrics] textfile. A channel that fails is an error naming it; its events
// stay pending for the next run. ok when nothing is configured.
ExitCode notify_step(Context& ctx, store::Database& db, const config::Config& config,
                     const NotifyRequest& request);

// What an import or fetch lost, collected from its diagnostics, then recorded.
struct IngestLog
{
  std::vector<std::string> lost_lines;      // rejected as corrupt/invalid/too large, or partial
  std::vector<std::string> failed_accounts;
  int64_t lost = 0;

  // A rejected input's line "SOURCE: REASON: detail": counted when its reason loses a report.
  void rejected(const std::string& line);
  // A report lost beside stored ones ("SOURCE: REASON: detail (other reports ...)").
  void warning(const std::string& line);
};

// Records the run in ingest_runs; a failure is logged, never fatal (the reports are stored).
void record_ingest(Context& ctx, store::Database& db, const char* command,
                   const pipeline::ImportStats& stats, int accounts, const IngestLog& log);

} // namespace dmarc::cli
