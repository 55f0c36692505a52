#include "store/queries.hpp"

#include "store/embedded_sql.hpp"
#include "store/row_reader.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <map>

namespace dmarc::store {

namespace {

constexpr const char* k_select_reports =
  "SELECT id, " DMARC_REPORT_COLUMNS " FROM aggregate_reports"
  " WHERE (?1 IS NULL OR rtrim(lower(domain), '.') = ?1)"
  " AND begin_ts >= ?2 AND begin_ts < ?3 AND id > ?4"
  " ORDER BY id LIMIT 256";
constexpr const char* k_select_records =
  "SELECT id, " DMARC_RECORD_COLUMNS " FROM aggregate_records WHERE report = ?1 ORDER BY id";
constexpr const char* k_select_tls =
  "SELECT id, org_name, contact_info, report_id, begin_ts, end_ts, skipped_policies FROM tls_reports"
  " WHERE (?1 IS NULL OR rtrim(lower(domain), '.') = ?1)"
  " AND begin_ts >= ?2 AND begin_ts < ?3 AND id > ?4"
  " ORDER BY id LIMIT 256";
constexpr const char* k_select_policies =
  "SELECT id, " DMARC_POLICY_COLUMNS " FROM tls_policies WHERE report = ?1 ORDER BY seq";
constexpr const char* k_select_failures =
  "SELECT result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip,"
  " failed_session_count, additional_information, failure_reason_code FROM tls_failures"
  " WHERE policy = ?1 ORDER BY id";

// The records of `stored` with their auth results and override reasons.
Result<void> load_records(Connection& c, StoredAggregate& stored)
{
  auto records = c.cached(k_select_records);
  if (!records) {
    return records.error();
  }
  (*records)->bind(1, stored.id);
  std::vector<int64_t> ids;
  auto read = each_row(**records, [&](const Statement& s) {
    ids.push_back(s.column_int(0));
    read_record_columns(s, 1, stored.report.records.emplace_back());
  });
  if (!read || ids.empty()) {
    return read;
  }
  // Record ids of one report are consecutive in practice, but map them to be sure.
  std::map<int64_t, std::size_t> index;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    index.emplace(ids[i], i);
  }
  for (const auto& [sql, add] : {std::pair{k_select_auth_range, &add_auth_result},
                                 std::pair{k_select_reasons_range, &add_reason}}) {
    auto stmt = c.cached(sql);
    if (!stmt) {
      return stmt.error();
    }
    (*stmt)->bind(1, ids.front()).bind(2, ids.back());
    read = each_row(**stmt, [&, add = add](const Statement& s) {
      if (auto it = index.find(s.column_int(0)); it != index.end()) {
        add(s, stored.report.records[it->second]);
      }
    });
    if (!read) {
      return read;
    }
  }
  return {};
}

} // namespace

Result<void> for_each_aggregate(Database& db, const ReportFilter& filter,
                                const std::function<Result<void>(const StoredAggregate&)>& fn)
{
  Connection& c = db.connection();
  // Pages of report headers, so no statement stays open while `fn` runs (it may write).
  int64_t after = 0;
  for (;;) {
    std::vector<StoredAggregate> page;
    {
      auto stmt = c.prepare(k_select_reports);
      if (!stmt) {
        return stmt.error();
      }
      stmt->bind(1, filter.domain).bind(2, filter.since).bind(3, filter.until).bind(4, after);
      auto read = each_row(*stmt, [&](const Statement& s) {
        StoredAggregate& stored = page.emplace_back();
        stored.id = s.column_int(0);
        read_report_columns(s, 1, stored.report);
      });
      if (!read) {
        return read;
      }
    }
    if (page.empty()) {
      return {};
    }
    after = page.back().id;
    for (StoredAggregate& stored : page) {
      if (auto r = load_records(c, stored); !r) {
        return r;
      }
      if (auto r = fn(stored); !r) {
        return r;
      }
      stored.report.records.clear();
      stored.report.records.shrink_to_fit();
    }
  }
}

Result<void> for_each_tls(Database& db, const ReportFilter& filter,
                          const std::function<Result<void>(const StoredTls&)>& fn)
{
  Connection& c = db.connection();
  int64_t after = 0;
  for (;;) {
    std::vector<StoredTls> page;
    {
      auto stmt = c.prepare(k_select_tls);
      if (!stmt) {
        return stmt.error();
      }
      stmt->bind(1, filter.domain).bind(2, filter.since).bind(3, filter.until).bind(4, after);
      auto read = each_row(*stmt, [&](const Statement& s) {
        StoredTls& stored = page.emplace_back();
        stored.id = s.column_int(0);
        stored.report.org_name = s.column_text(1);
        stored.report.contact_info = s.column_opt_text(2);
        stored.report.report_id = s.column_text(3);
        stored.report.begin = s.column_int(4);
        stored.report.end = s.column_int(5);
        if (const OptString skipped = s.column_opt_text(6)) {
          std::size_t begin = 0;
          while (begin <= skipped->size()) {
            const std::size_t end = std::min(skipped->find('\n', begin), skipped->size());
            stored.report.skipped_policies.push_back(skipped->substr(begin, end - begin));
            begin = end + 1;
          }
        }
      });
      if (!read) {
        return read;
      }
    }
    if (page.empty()) {
      return {};
    }
    after = page.back().id;
    for (StoredTls& stored : page) {
      std::vector<int64_t> policy_ids;
      auto policies = c.cached(k_select_policies);
      if (!policies) {
        return policies.error();
      }
      (*policies)->bind(1, stored.id);
      auto read = each_row(**policies, [&](const Statement& s) {
        policy_ids.push_back(s.column_int(0));
        stored.report.policies.push_back(read_policy_columns(s, 1));
      });
      if (!read) {
        return read;
      }
      for (std::size_t i = 0; i < policy_ids.size(); ++i) {
        auto failures = c.cached(k_select_failures);
        if (!failures) {
          return failures.error();
        }
        (*failures)->bind(1, policy_ids[i]);
        read = each_row(**failures, [&](const Statement& s) {
          TlsFailureDetail& f = stored.report.policies[i].failures.emplace_back();
          f.result_type = s.column_text(0);
          f.sending_mta_ip = s.column_opt_text(1);
          f.receiving_mx_hostname = s.column_opt_text(2);
          f.receiving_mx_helo = s.column_opt_text(3);
          f.receiving_ip = s.column_opt_text(4);
          f.failed_session_count = to_count(s.column_int(5));
          f.additional_information = s.column_opt_text(6);
          f.failure_reason_code = s.column_opt_text(7);
        });
        if (!read) {
          return read;
        }
      }
      if (auto r = fn(stored); !r) {
        return r;
      }
    }
  }
}

Result<DatabaseCounts> counts(Database& db)
{
  Connection& c = db.connection();
  // The sums are TOTAL() cast back to an integer: a hostile report's counts are stored
  // clamped at 2^63 - 1, and SUM() over them fails with "integer overflow" (the cast
  // saturates instead; below 2^53 the result is exact).
  auto stmt = c.prepare(
    "SELECT"
    " (SELECT COUNT(*) FROM messages),"
    " (SELECT COUNT(*) FROM messages WHERE status = 'imported'),"
    " (SELECT COUNT(*) FROM messages WHERE status = 'duplicate'),"
    " (SELECT COUNT(*) FROM messages WHERE status = 'failure'),"
    " (SELECT COUNT(*) FROM messages WHERE status = 'rejected'),"
    " (SELECT COUNT(*) FROM aggregate_reports),"
    " (SELECT CAST(TOTAL(record_count) AS INTEGER) FROM aggregate_reports),"
    " (SELECT CAST(TOTAL(message_count) AS INTEGER) FROM aggregate_reports),"
    " (SELECT COUNT(*) FROM tls_reports),"
    " (SELECT COUNT(*) FROM tls_policies),"
    " (SELECT CAST(TOTAL(success_count) AS INTEGER) FROM tls_policies),"
    " (SELECT CAST(TOTAL(failure_count) AS INTEGER) FROM tls_policies),"
    " (SELECT COUNT(*) FROM failure_reports),"
    " (SELECT COUNT(*) FROM report_conflicts)");
  if (!stmt) {
    return stmt.error();
  }
  auto row = stmt->step();
  if (!row) {
    return row.error();
  }
  DatabaseCounts n;
  int64_t* fields[] = {&n.messages,      &n.messages_imported, &n.messages_duplicate,
                       &n.messages_failure, &n.messages_rejected, &n.dmarc_reports,
                       &n.dmarc_records, &n.dmarc_messages,    &n.tls_reports,
                       &n.tls_policies,  &n.tls_success,       &n.tls_failure,
                       &n.failure_reports, &n.conflicts};
  for (int i = 0; i < 14; ++i) {
    *fields[i] = stmt->column_int(i);
  }
  return n;
}

Result<StoredExtent> stored_extent(Database& db)
{
  auto stmt = db.connection().prepare(
    "SELECT count(*), coalesce(min(begin_ts), 0), coalesce(max(end_ts), 0) FROM"
    " (SELECT begin_ts, end_ts FROM aggregate_reports UNION ALL"
    "  SELECT begin_ts, end_ts FROM tls_reports)");
  if (!stmt) {
    return stmt.error();
  }
  auto row = stmt->step();
  if (!row) {
    return row.error();
  }
  return StoredExtent{stmt->column_int(0), stmt->column_int(1), stmt->column_int(2)};
}

Result<std::vector<std::string>> known_domains(Database& db)
{
  auto stmt = db.connection().prepare(
    "SELECT DISTINCT rtrim(lower(domain), '.') AS d FROM"
    " (SELECT domain FROM aggregate_reports UNION ALL SELECT domain FROM tls_reports"
    "  UNION ALL SELECT domain FROM failure_reports WHERE domain IS NOT NULL)"
    " WHERE d <> '' ORDER BY d");
  if (!stmt) {
    return stmt.error();
  }
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return out;
    }
    out.push_back(stmt->column_text(0));
  }
}

Result<std::vector<std::string>> conflicts(Database& db)
{
  auto stmt = db.connection().prepare(
    "SELECT c.org_name || ' report ' || c.report_id || ' for ' || c.domain || ': '"
    " || substr(c.stored, 1, instr(c.stored, ' ') - 1) || ' vs ' || c.received"
    " || ' (' || m.source || ')'"
    " FROM report_conflicts c JOIN messages m ON m.id = c.message ORDER BY c.id");
  if (!stmt) {
    return stmt.error();
  }
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return out;
    }
    out.push_back(stmt->column_text(0));
  }
}

Result<void> vacuum(Database& db)
{
  return db.connection().exec("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);");
}

Result<std::string> integrity_check(Database& db)
{
  Connection& c = db.connection();
  std::string problems;
  for (const char* sql : {"PRAGMA integrity_check", "PRAGMA foreign_key_check"}) {
    auto stmt = c.prepare(sql);
    if (!stmt) {
      return stmt.error();
    }
    for (;;) {
      auto row = stmt->step();
      if (!row) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      std::string line = stmt->column_text(0);
      if (line == "ok") {
        continue;
      }
      if (std::string(sql) == "PRAGMA foreign_key_check") {
        line = "foreign key violation in " + line + " row " + stmt->column_text(1);
      }
      problems += line + "\n";
    }
  }
  // The totals kept at import must match the rows: a report is stored whole or not at all
  // (one transaction per message), so a mismatch means damage, not a crash.
  constexpr const char* k_consistency[] = {
    "SELECT 'aggregate report ' || id || ': record_count ' || record_count || ' but '"
    " || (SELECT COUNT(*) FROM aggregate_records WHERE report = r.id) || ' records'"
    " FROM aggregate_reports r"
    " WHERE record_count <> (SELECT COUNT(*) FROM aggregate_records WHERE report = r.id)",
    // Counts from 2^40 up may add up past 2^63 (stored clamped); SUM would fail on them.
    "SELECT 'aggregate report ' || id || ': message_count ' || message_count"
    " || ' but its records count ' || (SELECT SUM(count) FROM aggregate_records WHERE report = r.id)"
    " FROM aggregate_reports r WHERE CASE WHEN EXISTS (SELECT 1 FROM aggregate_records"
    " WHERE report = r.id AND count >= 1099511627776) THEN 0 ELSE message_count <>"
    " (SELECT COALESCE(SUM(count), 0) FROM aggregate_records WHERE report = r.id) END",
    "SELECT 'aggregate report ' || id || ': no raw document' FROM aggregate_reports r"
    " WHERE NOT EXISTS (SELECT 1 FROM raw_documents WHERE report_type = 'dmarc' AND report = r.id)",
    "SELECT 'tls report ' || id || ': no raw document' FROM tls_reports r"
    " WHERE NOT EXISTS (SELECT 1 FROM raw_documents WHERE report_type = 'tlsrpt' AND report = r.id)",
  };
  for (const char* sql : k_consistency) {
    auto stmt = c.prepare(sql);
    if (!stmt) {
      return stmt.error();
    }
    for (;;) {
      auto row = stmt->step();
      if (!row) {
        return row.error();
      }
      if (!*row) {
        break;
      }
      problems += stmt->column_text(0) + "\n";
    }
  }
  return problems.empty() ? std::string("ok") : problems;
}

} // namespace dmarc::store
