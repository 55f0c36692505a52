#include "pipeline/import.hpp"

#include "core/text.hpp"
#include "pipeline/ingest.hpp"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace dmarc::pipeline {

namespace {

// An import allocates and frees a document-sized buffer, its XML tree and its report per
// input. glibc's defaults hand every block above its (adaptive) mmap threshold back to the
// kernel on free and trim the heap top past 128 KiB, so the next input faults the same
// pages in again, zero-filled: about 5% of the import's CPU time (bench/run). Keeping
// freed blocks of up to k_keep_bytes in the heap reuses them instead; the peak stays what
// the largest input needs, as before, because nothing is kept that was not in use at once.
void keep_freed_memory_for_reuse()
{
#if defined(__GLIBC__)
  constexpr int k_keep_bytes = 64 << 20;
  static const bool once = [] {
    mallopt(M_MMAP_THRESHOLD, k_keep_bytes);
    mallopt(M_TRIM_THRESHOLD, 2 * k_keep_bytes);
    return true;
  }();
  (void)once;
#endif
}

// "1 DMARC report", "2 DMARC reports and 1 TLS report".
std::string reports(int dmarc, int tls)
{
  std::string out;
  if (dmarc > 0) {
    out = text::plural(dmarc, "DMARC report", "DMARC reports");
  }
  if (tls > 0) {
    out += (out.empty() ? "" : " and ") + text::plural(tls, "TLS report", "TLS reports");
  }
  return out;
}

// What a stored input held, for -v: "imported: 1 DMARC report, 2 records (1 TLS report
// already stored)", "duplicate: 1 DMARC report already stored", "failure report".
std::string describe(const store::StoreOutcome& o)
{
  if (o.failure_new || o.failure_duplicate) {
    return o.failure_new ? "failure report" : "duplicate: failure report already stored";
  }
  const std::string old = reports(o.dmarc_duplicate, o.tls_duplicate);
  if (o.dmarc_new + o.tls_new == 0) {
    return "duplicate: " + old + " already stored";
  }
  std::string line = "imported: " + reports(o.dmarc_new, o.tls_new);
  if (o.dmarc_new > 0) {
    line += ", " + text::plural(static_cast<int64_t>(o.records_new), "record", "records");
  }
  if (!old.empty()) {
    line += " (" + old + " already stored)";
  }
  return line;
}
// " (Message-ID <id>, From x, Subject "y", Date z)": the headers that name a mail wherever
// it went; empty when it has none of them (a bare report file).
std::string identity(const MessageMeta& meta)
{
  std::string out;
  const auto add = [&out](const char* name, const std::string& value) {
    if (!value.empty()) {
      out += (out.empty() ? " (" : ", ") + std::string(name) + " " + value;
    }
  };
  add("Message-ID", meta.message_id.empty() ? std::string() : "<" + meta.message_id + ">");
  add("From", meta.from);
  add("Subject", meta.subject.empty() ? std::string() : "\"" + meta.subject + "\"");
  add("Date", meta.date_header);
  return out.empty() ? out : out + ")";
}

} // namespace

std::string ImportStats::to_line() const
{
  return text::plural(dmarc_reports + tls_reports, "report", "reports") + " imported ("
         + std::to_string(dmarc_reports) + " DMARC, " + std::to_string(tls_reports) + " TLS), "
         + text::plural(records, "record", "records") + ", "
         + text::plural(duplicates, "duplicate", "duplicates")
         + (conflicts > 0 ? " (" + std::to_string(conflicts) + " conflicting)" : std::string())
         + ", "
         + text::plural(failure_reports, "failure report", "failure reports") + ", "
         + std::to_string(rejected) + " rejected"
         + (partial > 0 ? "; " + text::plural(partial, "input", "inputs") + " partly rejected"
                        : std::string())
         + (unreadable > 0 ? "; " + text::plural(unreadable, "path", "paths") + " could not be read"
                           : std::string());
}

Result<ImportStats> run_import(fetch::MessageSource& source, store::ReportStore& store,
                               const ImportOptions& options)
{
  keep_freed_memory_for_reuse();
  ImportStats stats;
  fetch::SourceItem item;
  for (;;) {
    // ① fetch
    auto more = source.next(item);
    if (!more) {
      return more.error();
    }
    if (!*more) {
      return stats;
    }
    if (item.error && item.error->kind == ErrorKind::io) {
      // A path that cannot be read is no input: nothing to record, nothing to commit.
      ++stats.unreadable;
      if (options.on_unreadable) {
        options.on_unreadable(text::printable(item.meta.source + ": " + item.error->detail));
      }
      continue;
    }
    ++stats.inputs;
    stats.bytes += static_cast<int64_t>(item.bytes.size());

    // ②③④ mime → decompress → parse
    ParsedMessage parsed;
    if (item.error) {
      parsed.meta = item.meta;
      parsed.rejection = item.error;
    } else {
      parsed = parse_input(item.bytes, item.meta, options.limits);
    }
    item.bytes = std::string(); // release the input before storing

    // ⑤ store
    auto outcome = store.store(parsed);
    if (!outcome) {
      return make_error(outcome.error().kind,
                        "cannot store " + parsed.meta.source + ": " + outcome.error().detail);
    }
    stats.dmarc_reports += outcome->dmarc_new;
    stats.tls_reports += outcome->tls_new;
    stats.records += static_cast<int64_t>(outcome->records_new);
    stats.duplicates += outcome->dmarc_duplicate + outcome->tls_duplicate
                        + (outcome->failure_duplicate ? 1 : 0);
    if (outcome->failure_new) {
      ++stats.failure_reports;
    }
    if (outcome->status == MessageStatus::rejected) {
      ++stats.rejected;
      const Error& e = *parsed.rejection;
      const bool not_a_report = e.kind == ErrorKind::not_a_report;
      stats.not_reports += not_a_report ? 1 : 0;
      const auto& report_to = not_a_report && options.on_not_a_report ? options.on_not_a_report
                                                                       : options.on_rejected;
      if (report_to) {
        // One line whatever the report, file or attachment names hold (the database keeps
        // the detail as it is).
        report_to(text::printable(parsed.meta.source + ": " + std::string(to_string(e.kind))
                                  + ": " + e.detail
                                  + (options.name_messages ? identity(parsed.meta) : "")));
      }
    }
    if (outcome->status != MessageStatus::rejected && options.on_stored) {
      options.on_stored(text::printable(parsed.meta.source + ": " + describe(*outcome)));
    }
    stats.conflicts += static_cast<int64_t>(outcome->conflicts.size());
    for (const std::string& conflict : outcome->conflicts) {
      if (options.on_conflict) {
        options.on_conflict(text::printable(parsed.meta.source + ": conflicting duplicate: "
                                            + conflict + " (the first one stored is kept)"));
      }
    }
    if (outcome->status != MessageStatus::rejected && options.on_note) {
      for (const AggregateReport& report : parsed.aggregates) {
        for (const std::string& note : report.notes) {
          options.on_note(text::printable(parsed.meta.source + ": repaired: " + note));
        }
      }
      for (const TlsReport& report : parsed.tls) {
        for (const std::string& note : report.notes) {
          options.on_note(text::printable(parsed.meta.source + ": repaired: " + note));
        }
      }
    }
    // A TLS report stored without a policy that was invalid on its own lost that policy's
    // sessions: a warning, and the input counts as partly rejected.
    bool skipped = false;
    for (const TlsReport& report : parsed.tls) {
      for (const std::string& reason : report.skipped_policies) {
        skipped = true;
        if (options.on_warning) {
          options.on_warning(text::printable(
            parsed.meta.source + ": invalid-report: " + reason
            + " (policy skipped, the report's other policies were imported)"));
        }
      }
    }
    if (!parsed.warnings.empty() || skipped) {
      ++stats.partial;
    }
    if (!parsed.warnings.empty() && options.on_warning) {
      const Error& e = parsed.warnings.front();
      options.on_warning(text::printable(parsed.meta.source + ": " + std::string(to_string(e.kind))
                                         + ": " + e.detail
                                         + " (other reports of the message were imported)"));
    }
    if (auto r = source.committed(item, outcome->status); !r) {
      return r.error();
    }
    if (options.on_progress) {
      options.on_progress(stats);
    }
  }
}

} // namespace dmarc::pipeline
