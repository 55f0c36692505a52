#include "pipeline/forward.hpp"

#include "formats/failure_json.hpp"
#include "formats/gelf.hpp"
#include "store/failure_queries.hpp"
#include "store/forward_queries.hpp"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace dmarc::pipeline {

namespace {

using store::ForwardStream;

// An exclusive flock(2) on a file next to the database, for the length of a run.
class RunLock
{
public:
  RunLock() = default;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock()
  {
    if (m_fd >= 0) {
      ::close(m_fd); // releases the lock
    }
  }

  Result<void> acquire(const std::string& path)
  {
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (m_fd < 0) {
      return make_error(ErrorKind::io, "cannot open lock file " + path + ": "
                                         + std::strerror(errno));
    }
    if (flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(m_fd);
      m_fd = -1;
      if (error == EWOULDBLOCK) {
        return make_error(ErrorKind::io, "another `dmarcctl forward` is running on this database"
                                         " (lock " + path + ")");
      }
      return make_error(ErrorKind::io, "cannot lock " + path + ": " + std::strerror(error));
    }
    return {};
  }

private:
  int m_fd = -1;
};

// "aggregate_records:42": the value of _dmarcctl_row.
std::string_view row_key(std::string& buffer, ForwardStream stream, int64_t id)
{
  buffer = store::to_string(stream);
  buffer += ':';
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, id);
  buffer.append(digits, r.ptr);
  return buffer;
}

// One run over the streams: shared state of forward() and forward_dry_run().
class Run
{
public:
  Run(store::Database& db, output::GelfSink* sink, std::string sink_name, const Clock* clock,
      const ForwardOptions& options)
    : m_db(db), m_sink(sink), m_options(options), m_reader(db), m_clock(clock)
  {
    m_stats.sink = std::move(sink_name);
    m_stats.dry_run = sink == nullptr;
    m_host = options.host.empty() ? local_host_name() : options.host;
    m_batch = options.batch == 0 ? 1 : options.batch;
  }

  Result<ForwardStats> all()
  {
    if (auto r = records(); !r) {
      return r.error();
    }
    if (!m_stats.failure) {
      if (auto r = policies(); !r) {
        return r.error();
      }
    }
    if (!m_stats.failure) {
      if (auto r = failures(); !r) {
        return r.error();
      }
    }
    if (!m_stats.failure) {
      if (auto r = failure_reports(); !r) {
        return r.error();
      }
    }
    if (!m_stats.failure) {
      if (auto r = advice(); !r) {
        return r.error();
      }
    }
    return m_stats;
  }

private:
  Result<void> records()
  {
    std::vector<store::ForwardRecordRow> page;
    int64_t prefix_report = -1;
    std::string prefix;
    return stream(
      ForwardStream::aggregate_records, m_stats.records,
      [&](int64_t after, int64_t until) { return m_reader.records(after, until, m_batch, page); },
      page,
      [&](const store::ForwardRecordRow& row) { return row.report->begin; },
      [&](const store::ForwardRecordRow& row, std::string& out) {
        if (row.report_row != prefix_report) {
          prefix = formats::gelf_aggregate_report_fields(*row.report, m_host);
          prefix_report = row.report_row;
        }
        formats::append_gelf_aggregate(out, prefix, *row.report, row.record, row.source,
                                       row_key(m_key, ForwardStream::aggregate_records, row.id));
      },
      [](const store::ForwardRecordRow& row) {
        return "report " + row.report->report_id + " from " + row.report->org_name;
      });
  }

  Result<void> policies()
  {
    std::vector<store::ForwardPolicyRow> page;
    return stream(
      ForwardStream::tls_policies, m_stats.policies,
      [&](int64_t after, int64_t until) { return m_reader.policies(after, until, m_batch, page); },
      page, [](const store::ForwardPolicyRow& row) { return row.report->begin; },
      [&](const store::ForwardPolicyRow& row, std::string& out) {
        formats::append_gelf_tls_policy(out, *row.report, row.policy, m_host,
                                        row_key(m_key, ForwardStream::tls_policies, row.id));
      },
      [](const store::ForwardPolicyRow& row) {
        return "TLS report " + row.report->report_id + " from " + row.report->org_name;
      });
  }

  Result<void> failures()
  {
    std::vector<store::ForwardFailureRow> page;
    return stream(
      ForwardStream::tls_failures, m_stats.failures,
      [&](int64_t after, int64_t until) { return m_reader.failures(after, until, m_batch, page); },
      page, [](const store::ForwardFailureRow& row) { return row.report->begin; },
      [&](const store::ForwardFailureRow& row, std::string& out) {
        formats::append_gelf_tls_failure(out, *row.report, *row.policy, row.failure, m_host,
                                         row_key(m_key, ForwardStream::tls_failures, row.id));
      },
      [](const store::ForwardFailureRow& row) {
        return "TLS report " + row.report->report_id + " from " + row.report->org_name;
      });
  }

  // DMARC failure (RUF) reports: one message each, timestamp its arrival.
  Result<void> failure_reports()
  {
    std::vector<store::StoredFailure> page;
    return stream(
      ForwardStream::failure_reports, m_stats.failure_reports,
      [&](int64_t after, int64_t until) {
        return store::failure_page(m_db, after, until, m_batch, page);
      },
      page, [](const store::StoredFailure& row) { return row.time; },
      [&](const store::StoredFailure& row, std::string& out) {
        out += formats::gelf_failure(row.report, row.time, row.domain, m_host,
                                     row_key(m_key, ForwardStream::failure_reports, row.id));
      },
      [](const store::StoredFailure& row) {
        return "failure report from " + (row.report.reporter.empty() ? std::string("unknown")
                                                                     : row.report.reporter);
      });
  }

  // Sends the day's findings unless the sink has them already.
  Result<void> advice()
  {
    const int64_t day = m_options.findings_day;
    if (day < 0 || m_options.findings.empty()) {
      return {};
    }
    auto cursor = store::forward_cursor(m_db, m_stats.sink, ForwardStream::advice);
    if (!cursor) {
      return cursor.error();
    }
    if (*cursor >= day) {
      return {};
    }
    int64_t handed = 0;
    for (const Finding& finding : m_options.findings) {
      const std::string row = "advice:" + std::to_string(day) + ":" + finding.domain + ":"
                              + finding.check;
      const std::string message = formats::gelf_advice(finding, m_host, row);
      if (m_options.on_message) {
        m_options.on_message(message);
      }
      if (m_sink == nullptr) {
        ++m_stats.advice.sent;
        continue;
      }
      if (auto sent = m_sink->send(message); !sent) {
        if (sent.error().kind == ErrorKind::too_large) {
          ++m_stats.advice.rejected;
          if (m_options.on_rejected) {
            m_options.on_rejected(row + ": " + sent.error().detail);
          }
          continue;
        }
        m_sink->reset();
        m_stats.failure = sent.error();
        return {};
      }
      ++handed;
    }
    if (m_sink == nullptr) {
      return {};
    }
    if (auto flushed = m_sink->flush(); !flushed) {
      m_sink->reset();
      m_stats.failure = flushed.error();
      return {};
    }
    m_stats.advice.sent += handed;
    return store::set_forward_cursor(m_db, m_stats.sink, ForwardStream::advice, day, now());
  }

  // Sends the rows of one stream above its cursor; see forward.hpp for the rules.
  template <typename Row, typename Read, typename Begin, typename Encode, typename Describe>
  Result<void> stream(ForwardStream which, ForwardStreamStats& stats, Read read,
                      std::vector<Row>& page, Begin begin, Encode encode, Describe describe)
  {
    auto cursor = store::forward_cursor(m_db, m_stats.sink, which);
    if (!cursor) {
      return cursor.error();
    }
    auto until = store::max_row_id(m_db, which);
    if (!until) {
      return until.error();
    }
    int64_t committed = *cursor;   // the cursor in the database
    int64_t examined = *cursor;    // every row up to here is sent, skipped or rejected
    int64_t last_failure_cursor = -1;
    int failures_without_progress = 0;
    std::vector<int64_t> unconfirmed; // ids handed to the sink since the last commit
    std::string message;

    auto commit = [&](int64_t to) -> Result<void> {
      if (to > committed) {
        if (auto r = store::set_forward_cursor(m_db, m_stats.sink, which, to, now()); !r) {
          return r;
        }
        committed = to;
      }
      return {};
    };
    // Confirms what was handed over and moves the cursor to `examined`.
    auto confirm = [&]() -> Result<std::optional<Error>> {
      if (!unconfirmed.empty()) {
        if (auto flushed = m_sink->flush(); !flushed) {
          return std::optional<Error>(flushed.error());
        }
      }
      stats.sent += static_cast<int64_t>(unconfirmed.size());
      unconfirmed.clear();
      if (auto r = commit(examined); !r) {
        return r.error();
      }
      if (m_options.on_progress) {
        m_options.on_progress(m_stats);
      }
      return std::optional<Error>();
    };
    // After a sink failure: keep what is known delivered, decide whether to go on.
    // `failed_id` is the row whose send failed (0 when flush() failed).
    auto recover = [&](const Error& error, int64_t failed_id) -> Result<bool> {
      const std::size_t delivered = std::min(m_sink->delivered(), unconfirmed.size());
      int64_t to = examined;
      if (delivered < unconfirmed.size()) {
        to = unconfirmed[delivered] - 1;
      } else if (failed_id > 0) {
        to = failed_id - 1;
      }
      stats.sent += static_cast<int64_t>(delivered);
      unconfirmed.clear();
      if (auto r = commit(to); !r) {
        return r.error();
      }
      m_sink->reset();
      examined = committed;
      if (committed > last_failure_cursor && last_failure_cursor >= 0) {
        failures_without_progress = 0;
      }
      last_failure_cursor = committed;
      if (++failures_without_progress > m_options.retries) {
        m_stats.failure = error;
        return false;
      }
      ++m_stats.reconnects;
      if (m_options.retry_delay_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(m_options.retry_delay_ms));
      }
      return true;
    };

    while (examined < *until) {
      if (auto r = read(examined, *until); !r) {
        return r;
      }
      if (page.empty()) {
        break;
      }
      bool restart = false;
      for (const Row& row : page) {
        if (m_options.since && begin(row) < *m_options.since) {
          ++stats.skipped;
          examined = row.id;
          continue;
        }
        message.clear();
        encode(row, message);
        if (m_sink == nullptr) {
          if (m_options.on_message) {
            m_options.on_message(message);
          }
          ++stats.sent;
          examined = row.id;
          continue;
        }
        if (m_options.on_message) {
          m_options.on_message(message);
        }
        if (auto sent = m_sink->send(message); !sent) {
          if (sent.error().kind == ErrorKind::too_large) {
            ++stats.rejected;
            if (m_options.on_rejected) {
              m_options.on_rejected(std::string(store::to_string(which)) + " "
                                    + std::to_string(row.id) + " (" + describe(row)
                                    + "): " + sent.error().detail);
            }
            examined = row.id;
            continue;
          }
          auto go_on = recover(sent.error(), row.id);
          if (!go_on) {
            return go_on.error();
          }
          if (!*go_on) {
            return {};
          }
          restart = true;
          break;
        }
        unconfirmed.push_back(row.id);
        examined = row.id;
        if (unconfirmed.size() >= m_batch) {
          auto confirmed = confirm();
          if (!confirmed) {
            return confirmed.error();
          }
          if (*confirmed) {
            auto go_on = recover(**confirmed, 0);
            if (!go_on) {
              return go_on.error();
            }
            if (!*go_on) {
              return {};
            }
            restart = true;
            break;
          }
        }
      }
      if (restart) {
        continue;
      }
      if (m_sink != nullptr && (unconfirmed.size() > 0 || examined > committed)) {
        // Commit at page ends too, so passed-over rows do not pile up uncommitted.
        auto confirmed = confirm();
        if (!confirmed) {
          return confirmed.error();
        }
        if (*confirmed) {
          auto go_on = recover(**confirmed, 0);
          if (!go_on) {
            return go_on.error();
          }
          if (!*go_on) {
            return {};
          }
        }
      }
    }
    if (m_sink != nullptr) {
      // Nothing above the cursor up to `until`: record that, so --since is not needed again.
      examined = std::max(examined, *until);
      auto confirmed = confirm();
      if (!confirmed) {
        return confirmed.error();
      }
      if (*confirmed) {
        auto go_on = recover(**confirmed, 0);
        if (!go_on) {
          return go_on.error();
        }
      }
    }
    return {};
  }

  int64_t now() const { return m_clock != nullptr ? m_clock->now() : 0; }

  store::Database& m_db;
  output::GelfSink* m_sink;
  const ForwardOptions& m_options;
  store::ForwardReader m_reader;
  const Clock* m_clock;
  ForwardStats m_stats;
  std::string m_host;
  std::size_t m_batch = 1000;
  std::string m_key;
};

std::string count_of(int64_t n, const char* one, const char* many)
{
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

} // namespace

std::string ForwardStats::to_line() const
{
  std::string line = dry_run ? "dry run: would forward " : "forwarded ";
  line += count_of(sent(), "message", "messages") + " to " + sink + " ("
          + count_of(records.sent, "DMARC record", "DMARC records") + ", "
          + count_of(policies.sent, "TLS policy", "TLS policies") + ", "
          + count_of(failures.sent, "TLS failure detail", "TLS failure details");
  if (failure_reports.sent > 0) {
    line += ", " + count_of(failure_reports.sent, "failure report", "failure reports");
  }
  if (advice.sent > 0) {
    line += ", " + count_of(advice.sent, "finding", "findings");
  }
  line += ")";
  const int64_t skipped =
    records.skipped + policies.skipped + failures.skipped + failure_reports.skipped;
  if (skipped > 0) {
    line += ", " + std::to_string(skipped) + " older than --since passed over";
  }
  if (rejected() > 0) {
    line += ", " + std::to_string(rejected()) + " too large for the sink passed over";
  }
  return line;
}

Result<ForwardStats> forward(store::Database& db, output::GelfSink& sink, const Clock& clock,
                             const ForwardOptions& options)
{
  RunLock lock;
  if (options.lock && db.path() != ":memory:" && !db.path().empty()) {
    if (auto locked = lock.acquire(db.path() + ".forward.lock"); !locked) {
      return locked.error();
    }
  }
  Run run(db, &sink, sink.name(), &clock, options);
  return run.all();
}

Result<ForwardStats> forward_dry_run(store::Database& db, std::string_view sink_name,
                                     const ForwardOptions& options)
{
  Run run(db, nullptr, std::string(sink_name), nullptr, options);
  return run.all();
}

std::string local_host_name()
{
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
    return "localhost";
  }
  return name;
}

} // namespace dmarc::pipeline
