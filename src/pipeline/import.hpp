// The import run: ① source → ②③④ parse_input → ⑤ store, one message at a time, one
// transaction per message. Reads top to bottom as the data flows. A bad input is a
// diagnostic (printed as "SOURCE: REASON: detail" and recorded), never the end of the run;
// only a failing database or source stops it.
#pragma once

#include "core/limits.hpp"
#include "core/result.hpp"
#include "fetch/source.hpp"
#include "store/report_store.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace dmarc::pipeline {

struct ImportStats
{
  int64_t inputs = 0;
  int64_t dmarc_reports = 0;     // new DMARC aggregate reports
  int64_t tls_reports = 0;       // new TLS reports
  int64_t records = 0;           // aggregate records of the new reports
  int64_t duplicates = 0;        // reports already stored
  int64_t conflicts = 0;         // of those, stored before with different content
  int64_t failure_reports = 0;   // DMARC failure (RUF) messages
  int64_t rejected = 0;          // inputs without a usable report
  int64_t not_reports = 0;       // of those, mails that hold no report at all (not-a-report)
  int64_t unreadable = 0;        // paths that could not be read (missing, no permission)
  int64_t partial = 0;           // stored inputs of which a report was rejected (a bad zip entry)
  int64_t bytes = 0;

  // "12 reports imported (10 DMARC, 2 TLS), 345 records, 3 duplicates, 1 failure report, 2 rejected"
  // and, only when there were any, "; 1 input partly rejected" and "; 1 path could not be read".
  std::string to_line() const;
};

struct ImportOptions
{
  Limits limits;
  // Called for every rejected input with its one-line diagnostic.
  std::function<void(const std::string&)> on_rejected;
  // When set, called instead of on_rejected for a mail that holds no report at all
  // (not-a-report: spam to the report address), which the IMAP source moves to `invalid`.
  std::function<void(const std::string&)> on_not_a_report;
  // Rejections name the mail by Message-ID, From, Subject and Date too (an IMAP UID means
  // nothing once the mail has been moved).
  bool name_messages = false;
  // Called for a path that could not be read at all ("PATH: cannot read: why"): it is no
  // input with a reason, so it is counted apart and not recorded in the database.
  std::function<void(const std::string&)> on_unreadable;
  // Called for an input that held reports but also a bad attachment or archive entry
  // ("SOURCE: REASON: detail (other reports of the message were imported)"): a report was
  // lost, so it counts as partial and the run's exit status says some failed.
  std::function<void(const std::string&)> on_warning;
  // Called for every input that was stored (not rejected) with one line saying what it held:
  // "SOURCE: imported: 1 DMARC report, 2 records", "SOURCE: duplicate: 1 DMARC report already
  // stored", "SOURCE: failure report" (for -v).
  std::function<void(const std::string&)> on_stored;
  // Called for a report whose key was stored before with different content ("SOURCE:
  // conflicting duplicate: ORG report ID for DOMAIN: 12 vs 7 messages (the first one stored
  // is kept)"): nothing is lost, but which copy is right is for the user to judge.
  std::function<void(const std::string&)> on_conflict;
  // Called for every repair or lenient reading of a stored report ("SOURCE: repaired:
  // <data_range> read as <date_range>"), for -v.
  std::function<void(const std::string&)> on_note;
  // Called after each input (for progress display).
  std::function<void(const ImportStats&)> on_progress;
};

// Imports every input of `source` into `store`. Errors: the store failed (the message in
// flight is not stored and the run stops) or the source failed.
Result<ImportStats> run_import(fetch::MessageSource& source, store::ReportStore& store,
                               const ImportOptions& options);

} // namespace dmarc::pipeline
