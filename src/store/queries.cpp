#include "store/queries.hpp"

#include "store/embedded_sql.hpp"
#include "store/sqlite.hpp"

#include <map>

namespace dmarc::store {

namespace {

constexpr const char* k_select_reports =
  "SELECT id, org_name, email, extra_contact_info, report_id, domain, begin_ts, end_ts, version,"
  " xml_namespace, generator, errors, adkim, aspf, p, sp, np, pct, fo, testing,"
  " discovery_method, recovered FROM aggregate_reports"
  " WHERE (?1 IS NULL OR domain = ?1) AND begin_ts >= ?2 AND begin_ts < ?3 AND id > ?4"
  " ORDER BY id LIMIT 256";
constexpr const char* k_select_records =
  "SELECT id, source_ip, count, disposition, dkim, spf, header_from, envelope_from, envelope_to,"
  " dkim_aligned, spf_aligned, dmarc_aligned FROM aggregate_records WHERE report = ?1 ORDER BY id";
constexpr const char* k_select_auth =
  "SELECT record, kind, domain, selector, scope, result, human_result, aligned FROM auth_results"
  " WHERE record BETWEEN ?1 AND ?2 ORDER BY record, seq";
constexpr const char* k_select_reasons =
  "SELECT record, type, comment FROM override_reasons WHERE record BETWEEN ?1 AND ?2"
  " ORDER BY record, seq";
constexpr const char* k_select_tls =
  "SELECT id, org_name, contact_info, report_id, begin_ts, end_ts FROM tls_reports"
  " WHERE (?1 IS NULL OR domain = ?1) AND begin_ts >= ?2 AND begin_ts < ?3 AND id > ?4"
  " ORDER BY id LIMIT 256";
constexpr const char* k_select_policies =
  "SELECT id, policy_type, policy_string, policy_domain, mx_hosts, success_count, failure_count"
  " FROM tls_policies WHERE report = ?1 ORDER BY seq";
constexpr const char* k_select_failures =
  "SELECT result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo, receiving_ip,"
  " failed_session_count, additional_information, failure_reason_code FROM tls_failures"
  " WHERE policy = ?1 ORDER BY id";

std::vector<std::string> split(const std::string& text, char separator)
{
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = text.find(separator, start);
    out.push_back(text.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) {
      return out;
    }
    start = pos + 1;
  }
}

uint64_t to_count(int64_t value) { return value < 0 ? 0 : static_cast<uint64_t>(value); }

Result<void> load_records(Connection& c, StoredAggregate& stored)
{
  auto records = c.cached(k_select_records);
  if (!records) {
    return records.error();
  }
  Statement& s = **records;
  s.bind(1, stored.id);
  std::vector<int64_t> ids;
  for (;;) {
    auto row = s.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    AggregateRecord r;
    ids.push_back(s.column_int(0));
    r.source_ip = s.column_text(1);
    r.count = to_count(s.column_int(2));
    r.disposition = s.column_text(3);
    r.dkim = s.column_text(4);
    r.spf = s.column_text(5);
    r.header_from = s.column_text(6);
    r.envelope_from = s.column_opt_text(7);
    r.envelope_to = s.column_opt_text(8);
    r.dkim_aligned = s.column_int(9) != 0;
    r.spf_aligned = s.column_int(10) != 0;
    r.dmarc_aligned = s.column_int(11) != 0;
    stored.report.records.push_back(std::move(r));
  }
  s.reset();
  if (ids.empty()) {
    return {};
  }
  // Record ids of one report are consecutive in practice, but map them to be sure.
  std::map<int64_t, std::size_t> index;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    index.emplace(ids[i], i);
  }
  auto auth = c.cached(k_select_auth);
  if (!auth) {
    return auth.error();
  }
  Statement& a = **auth;
  a.bind(1, ids.front()).bind(2, ids.back());
  for (;;) {
    auto row = a.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    auto it = index.find(a.column_int(0));
    if (it == index.end()) {
      continue;
    }
    AggregateRecord& r = stored.report.records[it->second];
    if (a.column_text(1) == "dkim") {
      DkimResult d;
      d.domain = a.column_text(2);
      d.selector = a.column_opt_text(3);
      d.result = a.column_text(5);
      d.human_result = a.column_opt_text(6);
      d.aligned = a.column_int(7) != 0;
      r.dkim_results.push_back(std::move(d));
    } else {
      SpfResult sr;
      sr.domain = a.column_text(2);
      sr.scope = a.column_opt_text(4);
      sr.result = a.column_text(5);
      sr.human_result = a.column_opt_text(6);
      sr.aligned = a.column_int(7) != 0;
      r.spf_results.push_back(std::move(sr));
    }
  }
  a.reset();
  auto reasons = c.cached(k_select_reasons);
  if (!reasons) {
    return reasons.error();
  }
  Statement& rs = **reasons;
  rs.bind(1, ids.front()).bind(2, ids.back());
  for (;;) {
    auto row = rs.step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    auto it = index.find(rs.column_int(0));
    if (it != index.end()) {
      stored.report.records[it->second].reasons.push_back(
        PolicyOverrideReason{rs.column_text(1), rs.column_opt_text(2)});
    }
  }
  rs.reset();
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
      for (;;) {
        auto row = stmt->step();
        if (!row) {
          return row.error();
        }
        if (!*row) {
          break;
        }
        StoredAggregate stored;
        Statement& s = *stmt;
        stored.id = s.column_int(0);
        AggregateReport& r = stored.report;
        r.org_name = s.column_text(1);
        r.email = s.column_opt_text(2);
        r.extra_contact_info = s.column_opt_text(3);
        r.report_id = s.column_text(4);
        r.policy.domain = s.column_text(5);
        r.begin = s.column_int(6);
        r.end = s.column_int(7);
        r.version = s.column_opt_text(8);
        r.xml_namespace = s.column_text(9);
        r.generator = s.column_opt_text(10);
        if (auto errors = s.column_opt_text(11)) {
          r.errors = split(*errors, '\n');
        }
        r.policy.adkim = s.column_opt_text(12);
        r.policy.aspf = s.column_opt_text(13);
        r.policy.p = s.column_text(14);
        r.policy.sp = s.column_opt_text(15);
        r.policy.np = s.column_opt_text(16);
        r.policy.pct = s.column_opt_int(17);
        r.policy.fo = s.column_opt_text(18);
        r.policy.testing = s.column_opt_text(19);
        r.policy.discovery_method = s.column_opt_text(20);
        r.recovered = s.column_int(21) != 0;
        page.push_back(std::move(stored));
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
      for (;;) {
        auto row = stmt->step();
        if (!row) {
          return row.error();
        }
        if (!*row) {
          break;
        }
        StoredTls stored;
        stored.id = stmt->column_int(0);
        stored.report.org_name = stmt->column_text(1);
        stored.report.contact_info = stmt->column_opt_text(2);
        stored.report.report_id = stmt->column_text(3);
        stored.report.begin = stmt->column_int(4);
        stored.report.end = stmt->column_int(5);
        page.push_back(std::move(stored));
      }
    }
    if (page.empty()) {
      return {};
    }
    after = page.back().id;
    for (StoredTls& stored : page) {
      std::vector<int64_t> policy_ids;
      {
        auto policies = c.cached(k_select_policies);
        if (!policies) {
          return policies.error();
        }
        Statement& s = **policies;
        s.bind(1, stored.id);
        for (;;) {
          auto row = s.step();
          if (!row) {
            return row.error();
          }
          if (!*row) {
            break;
          }
          TlsPolicy p;
          policy_ids.push_back(s.column_int(0));
          p.policy_type = s.column_text(1);
          if (auto text = s.column_opt_text(2)) {
            p.policy_string = split(*text, '\n');
          }
          p.policy_domain = s.column_text(3);
          if (auto hosts = s.column_opt_text(4)) {
            p.mx_hosts = split(*hosts, ',');
          }
          p.successful_sessions = to_count(s.column_int(5));
          p.failed_sessions = to_count(s.column_int(6));
          stored.report.policies.push_back(std::move(p));
        }
        s.reset();
      }
      for (std::size_t i = 0; i < policy_ids.size(); ++i) {
        auto failures = c.cached(k_select_failures);
        if (!failures) {
          return failures.error();
        }
        Statement& s = **failures;
        s.bind(1, policy_ids[i]);
        for (;;) {
          auto row = s.step();
          if (!row) {
            return row.error();
          }
          if (!*row) {
            break;
          }
          TlsFailureDetail f;
          f.result_type = s.column_text(0);
          f.sending_mta_ip = s.column_opt_text(1);
          f.receiving_mx_hostname = s.column_opt_text(2);
          f.receiving_mx_helo = s.column_opt_text(3);
          f.receiving_ip = s.column_opt_text(4);
          f.failed_session_count = to_count(s.column_int(5));
          f.additional_information = s.column_opt_text(6);
          f.failure_reason_code = s.column_opt_text(7);
          stored.report.policies[i].failures.push_back(std::move(f));
        }
        s.reset();
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
  auto stmt = c.prepare(
    "SELECT"
    " (SELECT COUNT(*) FROM messages),"
    " (SELECT COUNT(*) FROM messages WHERE status = 'imported'),"
    " (SELECT COUNT(*) FROM messages WHERE status = 'duplicate'),"
    " (SELECT COUNT(*) FROM messages WHERE status = 'failure'),"
    " (SELECT COUNT(*) FROM messages WHERE status = 'rejected'),"
    " (SELECT COUNT(*) FROM aggregate_reports),"
    " (SELECT COALESCE(SUM(record_count), 0) FROM aggregate_reports),"
    " (SELECT COALESCE(SUM(message_count), 0) FROM aggregate_reports),"
    " (SELECT COUNT(*) FROM tls_reports),"
    " (SELECT COUNT(*) FROM tls_policies),"
    " (SELECT COALESCE(SUM(success_count), 0) FROM tls_policies),"
    " (SELECT COALESCE(SUM(failure_count), 0) FROM tls_policies),"
    " (SELECT COUNT(*) FROM failure_reports)");
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
                       &n.failure_reports};
  for (int i = 0; i < 13; ++i) {
    *fields[i] = stmt->column_int(i);
  }
  return n;
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
