#include "store/notify_queries.hpp"

#include "store/sqlite.hpp"

#include <string_view>

namespace dmarc::store {

namespace {

// Per day the failing messages of a source come from two rollups (sql/0003_rollups.sql):
// daily_sources (messages - dmarc_pass) and daily_failing (all of them).
constexpr const char* k_failing_days =
  "WITH f AS ("
  "  SELECT day, source_ip, messages - dmarc_pass AS failing FROM daily_sources"
  "   WHERE domain = ?1 AND day BETWEEN ?2 AND ?3"
  "  UNION ALL"
  "  SELECT day, source_ip, messages FROM daily_failing"
  "   WHERE domain = ?1 AND day BETWEEN ?2 AND ?3),"
  " d AS (SELECT day, source_ip, SUM(failing) AS failing FROM f GROUP BY day, source_ip"
  "   HAVING SUM(failing) >= ?4)"
  " SELECT d.source_ip, d.day, d.failing,"
  "  (SELECT MIN(x.day) FROM (SELECT day FROM daily_sources s WHERE s.domain = ?1"
  "     AND s.source_ip = d.source_ip AND s.day >= ?5"
  "   UNION ALL SELECT day FROM daily_failing g WHERE g.domain = ?1"
  "     AND g.source_ip = d.source_ip AND g.day >= ?5) x)"
  " FROM d ORDER BY d.source_ip, d.day";
constexpr const char* k_reporter_days =
  "SELECT domain, org_name, day FROM daily_reporters WHERE day BETWEEN ?1 AND ?2"
  " ORDER BY domain, org_name, day";
constexpr const char* k_tls_failure_days =
  "SELECT domain, day, result_type, SUM(sessions) FROM daily_tls_failures"
  " WHERE day BETWEEN ?1 AND ?2 GROUP BY domain, day, result_type"
  " HAVING SUM(sessions) > 0 ORDER BY domain, day, result_type";
constexpr const char* k_tls_sessions =
  "SELECT domain, SUM(success), SUM(failure) FROM daily_tls WHERE day BETWEEN ?1 AND ?2"
  " GROUP BY domain ORDER BY domain";
constexpr const char* k_insert_run =
  "INSERT INTO ingest_runs (command, finished_at, inputs, reports, rejected, lost, partial,"
  " unreadable, accounts, failed_accounts, problems)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
constexpr const char* k_runs_since =
  "SELECT id, command, finished_at, inputs, reports, rejected, lost, partial, unreadable,"
  " accounts, failed_accounts, problems FROM ingest_runs WHERE finished_at >= ?1 ORDER BY id";
constexpr const char* k_latest_run =
  "SELECT id, command, finished_at, inputs, reports, rejected, lost, partial, unreadable,"
  " accounts, failed_accounts, problems FROM ingest_runs WHERE command = ?1"
  " ORDER BY id DESC LIMIT 1";
constexpr const char* k_load_state =
  "SELECT key, kind, domain, severity, fingerprint, text, active, announce_clear, delivered_at"
  " FROM notify_state WHERE channel = ?1 ORDER BY key";
constexpr const char* k_save_state =
  "INSERT OR REPLACE INTO notify_state (channel, key, kind, domain, severity, fingerprint,"
  " text, active, announce_clear, delivered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr const char* k_count_dmarc = "SELECT COUNT(*) FROM aggregate_reports";
constexpr const char* k_count_tls = "SELECT COUNT(*) FROM tls_reports";
constexpr const char* k_count_failure = "SELECT COUNT(*) FROM failure_reports";
constexpr const char* k_rejected_reasons =
  "SELECT COALESCE(NULLIF(reason, ''), 'unknown'), COUNT(*) FROM messages"
  " WHERE status = 'rejected' GROUP BY 1 ORDER BY 1";

// Runs `s` to the end, calling `row(s)` per row.
template <typename Fn>
Result<void> each_row(Statement& s, Fn row)
{
  for (;;) {
    auto more = s.step();
    if (!more) {
      s.reset();
      return more.error();
    }
    if (!*more) {
      s.reset();
      return {};
    }
    row(s);
  }
}

std::vector<std::string> lines_of(std::string_view text)
{
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty()) {
      out.emplace_back(line);
    }
    if (end == std::string_view::npos) {
      break;
    }
    text.remove_prefix(end + 1);
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines)
{
  std::string out;
  for (const std::string& line : lines) {
    if (!out.empty()) {
      out += '\n';
    }
    out += line;
  }
  return out;
}

IngestRun run_of(const Statement& s)
{
  IngestRun run;
  run.id = s.column_int(0);
  run.command = s.column_text(1);
  run.finished_at = s.column_int(2);
  run.inputs = s.column_int(3);
  run.reports = s.column_int(4);
  run.rejected = s.column_int(5);
  run.lost = s.column_int(6);
  run.partial = s.column_int(7);
  run.unreadable = s.column_int(8);
  run.accounts = s.column_int(9);
  run.failed_accounts = lines_of(s.column_view(10));
  run.problems = lines_of(s.column_view(11));
  return run;
}

} // namespace

Result<std::vector<FailingSourceDay>> failing_source_days(Database& db, const std::string& domain,
                                                          int64_t from_day, int64_t to_day,
                                                          int64_t min_failing,
                                                          int64_t lookback_day)
{
  auto stmt = db.connection().cached(k_failing_days);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, domain).bind(2, from_day).bind(3, to_day).bind(4, min_failing).bind(5, lookback_day);
  std::vector<FailingSourceDay> out;
  auto r = each_row(s, [&](const Statement& row) {
    FailingSourceDay f;
    f.domain = domain;
    f.ip = row.column_text(0);
    f.day = row.column_int(1);
    f.failing = row.column_int(2);
    f.first_day = row.column_is_null(3) ? f.day : row.column_int(3);
    out.push_back(std::move(f));
  });
  if (!r) {
    return r.error();
  }
  return out;
}

Result<std::vector<ReporterActivity>> reporter_activity(Database& db, int64_t from_day,
                                                        int64_t to_day)
{
  auto stmt = db.connection().cached(k_reporter_days);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, from_day).bind(2, to_day);
  std::vector<ReporterActivity> out;
  auto r = each_row(s, [&](const Statement& row) {
    const std::string_view domain = row.column_view(0);
    const std::string_view org = row.column_view(1);
    if (out.empty() || out.back().domain != domain || out.back().org_name != org) {
      out.push_back({std::string(domain), std::string(org), {}});
    }
    out.back().days.push_back(row.column_int(2));
  });
  if (!r) {
    return r.error();
  }
  return out;
}

Result<std::vector<TlsFailureFact>> tls_failure_days(Database& db, int64_t from_day,
                                                     int64_t to_day)
{
  auto stmt = db.connection().cached(k_tls_failure_days);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, from_day).bind(2, to_day);
  std::vector<TlsFailureFact> out;
  auto r = each_row(s, [&](const Statement& row) {
    out.push_back({row.column_text(0), row.column_int(1), row.column_text(2), row.column_int(3)});
  });
  if (!r) {
    return r.error();
  }
  return out;
}

Result<std::vector<TlsSessions>> tls_sessions(Database& db, int64_t from_day, int64_t to_day)
{
  auto stmt = db.connection().cached(k_tls_sessions);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, from_day).bind(2, to_day);
  std::vector<TlsSessions> out;
  auto r = each_row(s, [&](const Statement& row) {
    out.push_back({row.column_text(0), row.column_int(1), row.column_int(2)});
  });
  if (!r) {
    return r.error();
  }
  return out;
}

Result<void> record_ingest_run(Database& db, IngestRun& run)
{
  auto stmt = db.connection().cached(k_insert_run);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, run.command)
    .bind(2, run.finished_at)
    .bind(3, run.inputs)
    .bind(4, run.reports)
    .bind(5, run.rejected)
    .bind(6, run.lost)
    .bind(7, run.partial)
    .bind(8, run.unreadable)
    .bind(9, run.accounts)
    .bind(10, joined(run.failed_accounts))
    .bind(11, joined(run.problems));
  auto r = s.run();
  s.reset();
  if (!r) {
    return r.error();
  }
  run.id = db.connection().last_insert_rowid();
  return {};
}

Result<std::vector<IngestRun>> ingest_runs_since(Database& db, int64_t since)
{
  auto stmt = db.connection().cached(k_runs_since);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, since);
  std::vector<IngestRun> out;
  auto r = each_row(s, [&](const Statement& row) { out.push_back(run_of(row)); });
  if (!r) {
    return r.error();
  }
  return out;
}

Result<std::optional<IngestRun>> latest_ingest_run(Database& db, const std::string& command)
{
  auto stmt = db.connection().cached(k_latest_run);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, command);
  std::optional<IngestRun> out;
  auto r = each_row(s, [&](const Statement& row) { out = run_of(row); });
  if (!r) {
    return r.error();
  }
  return out;
}

Result<std::vector<DeliveredRow>> delivered_state(Database& db, const std::string& channel)
{
  auto stmt = db.connection().cached(k_load_state);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, channel);
  std::vector<DeliveredRow> out;
  auto r = each_row(s, [&](const Statement& row) {
    DeliveredRow d;
    d.key = row.column_text(0);
    d.kind = row.column_text(1);
    d.domain = row.column_text(2);
    d.severity = row.column_text(3);
    d.fingerprint = row.column_text(4);
    d.text = row.column_text(5);
    d.active = row.column_int(6) != 0;
    d.announce_clear = row.column_int(7) != 0;
    d.delivered_at = row.column_int(8);
    out.push_back(std::move(d));
  });
  if (!r) {
    return r.error();
  }
  return out;
}

Result<void> save_delivered_state(Database& db, const std::string& channel,
                                  const std::vector<DeliveredRow>& rows)
{
  Connection& c = db.connection();
  if (auto r = c.exec("BEGIN IMMEDIATE"); !r) {
    return r.error();
  }
  auto stmt = c.cached(k_save_state);
  if (!stmt) {
    (void)c.exec("ROLLBACK");
    return stmt.error();
  }
  Statement& s = **stmt;
  for (const DeliveredRow& d : rows) {
    s.bind(1, channel)
      .bind(2, d.key)
      .bind(3, d.kind)
      .bind(4, d.domain)
      .bind(5, d.severity)
      .bind(6, d.fingerprint)
      .bind(7, d.text)
      .bind(8, int64_t{d.active ? 1 : 0})
      .bind(9, int64_t{d.announce_clear ? 1 : 0})
      .bind(10, d.delivered_at);
    auto r = s.run();
    s.reset();
    if (!r) {
      (void)c.exec("ROLLBACK");
      return r.error();
    }
  }
  if (auto r = c.exec("COMMIT"); !r) {
    (void)c.exec("ROLLBACK");
    return r.error();
  }
  return {};
}

Result<StoreTotals> store_totals(Database& db)
{
  Connection& c = db.connection();
  StoreTotals totals;
  auto dmarc = c.query_int(k_count_dmarc);
  auto tls = c.query_int(k_count_tls);
  auto failure = c.query_int(k_count_failure);
  for (const auto* n : {&dmarc, &tls, &failure}) {
    if (!*n) {
      return n->error();
    }
  }
  totals.reports_by_type = {{"dmarc", *dmarc}, {"tlsrpt", *tls}, {"failure", *failure}};
  auto stmt = c.cached(k_rejected_reasons);
  if (!stmt) {
    return stmt.error();
  }
  auto r = each_row(**stmt, [&](const Statement& row) {
    totals.rejected_by_reason.emplace_back(row.column_text(0), row.column_int(1));
  });
  if (!r) {
    return r.error();
  }
  return totals;
}

} // namespace dmarc::store
