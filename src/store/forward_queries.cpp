#include "store/forward_queries.hpp"

#include "store/sqlite.hpp"

namespace dmarc::store {

namespace {

constexpr const char* k_select_records =
  "SELECT r.id, r.report, r.source_ip, r.count, r.disposition, r.dkim, r.spf, r.header_from,"
  " r.envelope_from, r.envelope_to, r.dkim_aligned, r.spf_aligned, r.dmarc_aligned,"
  " s.reverse_dns, s.base_domain, s.name, s.type"
  " FROM aggregate_records r LEFT JOIN sources s ON s.ip = r.source_ip"
  " WHERE r.id > ?1 AND r.id <= ?2 ORDER BY r.id LIMIT ?3";
constexpr const char* k_select_auth =
  "SELECT record, kind, domain, selector, scope, result, human_result, aligned FROM auth_results"
  " WHERE record BETWEEN ?1 AND ?2 ORDER BY record, seq";
constexpr const char* k_select_reasons =
  "SELECT record, type, comment FROM override_reasons WHERE record BETWEEN ?1 AND ?2"
  " ORDER BY record, seq";
constexpr const char* k_select_report =
  "SELECT org_name, email, extra_contact_info, report_id, domain, begin_ts, end_ts, version,"
  " xml_namespace, generator, errors, adkim, aspf, p, sp, np, pct, fo, testing,"
  " discovery_method, recovered FROM aggregate_reports WHERE id = ?1";
constexpr const char* k_select_policies =
  "SELECT id, report, policy_type, policy_string, policy_domain, mx_hosts, success_count,"
  " failure_count FROM tls_policies WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3";
constexpr const char* k_select_policy =
  "SELECT id, report, policy_type, policy_string, policy_domain, mx_hosts, success_count,"
  " failure_count FROM tls_policies WHERE id = ?1";
constexpr const char* k_select_tls_report =
  "SELECT org_name, contact_info, report_id, begin_ts, end_ts FROM tls_reports WHERE id = ?1";
constexpr const char* k_select_failures =
  "SELECT id, policy, result_type, sending_mta_ip, receiving_mx_hostname, receiving_mx_helo,"
  " receiving_ip, failed_session_count, additional_information, failure_reason_code"
  " FROM tls_failures WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3";
constexpr const char* k_max_record = "SELECT coalesce(max(id), 0) FROM aggregate_records";
constexpr const char* k_max_policy = "SELECT coalesce(max(id), 0) FROM tls_policies";
constexpr const char* k_max_failure = "SELECT coalesce(max(id), 0) FROM tls_failures";
constexpr const char* k_select_cursor =
  "SELECT last_id FROM forward_cursor WHERE sink = ?1 AND stream = ?2";
constexpr const char* k_any_cursor = "SELECT count(*) FROM forward_cursor WHERE sink = ?1";
constexpr const char* k_upsert_cursor =
  "INSERT INTO forward_cursor (sink, stream, last_id, updated) VALUES (?1, ?2, ?3, ?4)"
  " ON CONFLICT (sink, stream) DO UPDATE SET last_id = max(last_id, excluded.last_id),"
  " updated = excluded.updated";

// Reports kept in the reader's caches at most; rows arrive grouped by report, so a few
// suffice, and the bound keeps a long run's memory flat.
constexpr std::size_t k_cache_reports = 256;

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

// Steps `s` through every row, calling `fn` for each. The statement is reset afterwards.
template <typename F>
Result<void> each_row(Statement& s, F fn)
{
  for (;;) {
    auto row = s.step();
    if (!row) {
      s.reset();
      return row.error();
    }
    if (!*row) {
      s.reset();
      return {};
    }
    fn(s);
  }
}

// The policy columns (id, report, policy_type, policy_string, policy_domain, mx_hosts,
// success_count, failure_count) of `s`.
TlsPolicy read_policy(const Statement& s)
{
  TlsPolicy p;
  p.policy_type = s.column_text(2);
  if (auto strings = s.column_opt_text(3)) {
    p.policy_string = split(*strings, '\n');
  }
  p.policy_domain = s.column_text(4);
  if (auto hosts = s.column_opt_text(5); hosts && !hosts->empty()) {
    p.mx_hosts = split(*hosts, ',');
  }
  p.successful_sessions = to_count(s.column_int(6));
  p.failed_sessions = to_count(s.column_int(7));
  return p;
}

template <typename Map>
void bound_cache(Map& map)
{
  if (map.size() >= k_cache_reports) {
    map.clear();
  }
}

} // namespace

std::string_view to_string(ForwardStream stream)
{
  switch (stream) {
  case ForwardStream::aggregate_records: return "aggregate_records";
  case ForwardStream::tls_policies: return "tls_policies";
  case ForwardStream::tls_failures: return "tls_failures";
  case ForwardStream::advice: return "advice";
  }
  return "unknown";
}

Result<std::shared_ptr<const AggregateReport>> ForwardReader::aggregate_report(int64_t id)
{
  if (auto it = m_reports.find(id); it != m_reports.end()) {
    return it->second;
  }
  auto stmt = m_db.connection().cached(k_select_report);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, id);
  auto report = std::make_shared<AggregateReport>();
  bool found = false;
  auto done = each_row(s, [&](const Statement& row) {
    found = true;
    AggregateReport& r = *report;
    r.org_name = row.column_text(0);
    r.email = row.column_opt_text(1);
    r.extra_contact_info = row.column_opt_text(2);
    r.report_id = row.column_text(3);
    r.policy.domain = row.column_text(4);
    r.begin = row.column_int(5);
    r.end = row.column_int(6);
    r.version = row.column_opt_text(7);
    r.xml_namespace = row.column_text(8);
    r.generator = row.column_opt_text(9);
    if (auto errors = row.column_opt_text(10)) {
      r.errors = split(*errors, '\n');
    }
    r.policy.adkim = row.column_opt_text(11);
    r.policy.aspf = row.column_opt_text(12);
    r.policy.p = row.column_text(13);
    r.policy.sp = row.column_opt_text(14);
    r.policy.np = row.column_opt_text(15);
    r.policy.pct = row.column_opt_int(16);
    r.policy.fo = row.column_opt_text(17);
    r.policy.testing = row.column_opt_text(18);
    r.policy.discovery_method = row.column_opt_text(19);
    r.recovered = row.column_int(20) != 0;
  });
  if (!done) {
    return done.error();
  }
  if (!found) {
    return make_error(ErrorKind::database,
                      "aggregate report " + std::to_string(id) + " of a record is missing");
  }
  bound_cache(m_reports);
  m_reports.emplace(id, report);
  return std::shared_ptr<const AggregateReport>(std::move(report));
}

Result<void> ForwardReader::records(int64_t after, int64_t until, std::size_t limit,
                                    std::vector<ForwardRecordRow>& out)
{
  out.clear();
  Connection& c = m_db.connection();
  auto stmt = c.cached(k_select_records);
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(1, after).bind(2, until).bind(3, static_cast<int64_t>(limit));
  auto read = each_row(s, [&](const Statement& row) {
    ForwardRecordRow f;
    f.id = row.column_int(0);
    f.report_row = row.column_int(1);
    AggregateRecord& r = f.record;
    r.source_ip = row.column_text(2);
    r.count = to_count(row.column_int(3));
    r.disposition = row.column_text(4);
    r.dkim = row.column_text(5);
    r.spf = row.column_text(6);
    r.header_from = row.column_text(7);
    r.envelope_from = row.column_opt_text(8);
    r.envelope_to = row.column_opt_text(9);
    r.dkim_aligned = row.column_int(10) != 0;
    r.spf_aligned = row.column_int(11) != 0;
    r.dmarc_aligned = row.column_int(12) != 0;
    f.source.reverse_dns = row.column_opt_text(13);
    f.source.base_domain = row.column_opt_text(14);
    f.source.name = row.column_opt_text(15);
    f.source.type = row.column_opt_text(16);
    out.push_back(std::move(f));
  });
  if (!read) {
    return read;
  }
  if (out.empty()) {
    return {};
  }
  for (ForwardRecordRow& f : out) {
    auto report = aggregate_report(f.report_row);
    if (!report) {
      return report.error();
    }
    f.report = std::move(*report);
  }
  // The page's ids ascend, so each auth result / reason row finds its record by a forward
  // walk (rows of records outside the page cannot fall in the id range).
  const int64_t first = out.front().id;
  const int64_t last = out.back().id;
  auto auth = c.cached(k_select_auth);
  if (!auth) {
    return auth.error();
  }
  std::size_t at = 0;
  auto find = [&](int64_t record) -> ForwardRecordRow* {
    while (at < out.size() && out[at].id < record) {
      ++at;
    }
    return at < out.size() && out[at].id == record ? &out[at] : nullptr;
  };
  (*auth)->bind(1, first).bind(2, last);
  read = each_row(**auth, [&](const Statement& a) {
    ForwardRecordRow* f = find(a.column_int(0));
    if (f == nullptr) {
      return;
    }
    if (a.column_text(1) == "dkim") {
      DkimResult d;
      d.domain = a.column_text(2);
      d.selector = a.column_opt_text(3);
      d.result = a.column_text(5);
      d.human_result = a.column_opt_text(6);
      d.aligned = a.column_int(7) != 0;
      f->record.dkim_results.push_back(std::move(d));
    } else {
      SpfResult sr;
      sr.domain = a.column_text(2);
      sr.scope = a.column_opt_text(4);
      sr.result = a.column_text(5);
      sr.human_result = a.column_opt_text(6);
      sr.aligned = a.column_int(7) != 0;
      f->record.spf_results.push_back(std::move(sr));
    }
  });
  if (!read) {
    return read;
  }
  auto reasons = c.cached(k_select_reasons);
  if (!reasons) {
    return reasons.error();
  }
  at = 0;
  (*reasons)->bind(1, first).bind(2, last);
  return each_row(**reasons, [&](const Statement& r) {
    if (ForwardRecordRow* f = find(r.column_int(0))) {
      f->record.reasons.push_back(PolicyOverrideReason{r.column_text(1), r.column_opt_text(2)});
    }
  });
}

Result<std::shared_ptr<const TlsReport>> ForwardReader::tls_report(int64_t id)
{
  if (auto it = m_tls_reports.find(id); it != m_tls_reports.end()) {
    return it->second;
  }
  auto stmt = m_db.connection().cached(k_select_tls_report);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, id);
  auto report = std::make_shared<TlsReport>();
  bool found = false;
  auto done = each_row(**stmt, [&](const Statement& row) {
    found = true;
    report->org_name = row.column_text(0);
    report->contact_info = row.column_opt_text(1);
    report->report_id = row.column_text(2);
    report->begin = row.column_int(3);
    report->end = row.column_int(4);
  });
  if (!done) {
    return done.error();
  }
  if (!found) {
    return make_error(ErrorKind::database,
                      "TLS report " + std::to_string(id) + " of a policy is missing");
  }
  bound_cache(m_tls_reports);
  m_tls_reports.emplace(id, report);
  return std::shared_ptr<const TlsReport>(std::move(report));
}

Result<ForwardReader::CachedPolicy> ForwardReader::tls_policy(int64_t id)
{
  if (auto it = m_tls_policies.find(id); it != m_tls_policies.end()) {
    return it->second;
  }
  auto stmt = m_db.connection().cached(k_select_policy);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, id);
  std::shared_ptr<TlsPolicy> policy;
  int64_t report_row = 0;
  auto done = each_row(**stmt, [&](const Statement& row) {
    policy = std::make_shared<TlsPolicy>(read_policy(row));
    report_row = row.column_int(1);
  });
  if (!done) {
    return done.error();
  }
  if (!policy) {
    return make_error(ErrorKind::database,
                      "TLS policy " + std::to_string(id) + " of a failure detail is missing");
  }
  bound_cache(m_tls_policies);
  CachedPolicy cached{std::move(policy), report_row};
  m_tls_policies.emplace(id, cached);
  return cached;
}

Result<void> ForwardReader::policies(int64_t after, int64_t until, std::size_t limit,
                                     std::vector<ForwardPolicyRow>& out)
{
  out.clear();
  auto stmt = m_db.connection().cached(k_select_policies);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, after).bind(2, until).bind(3, static_cast<int64_t>(limit));
  std::vector<int64_t> report_rows;
  auto read = each_row(**stmt, [&](const Statement& row) {
    ForwardPolicyRow f;
    f.id = row.column_int(0);
    report_rows.push_back(row.column_int(1));
    f.policy = read_policy(row);
    out.push_back(std::move(f));
  });
  if (!read) {
    return read;
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto report = tls_report(report_rows[i]);
    if (!report) {
      return report.error();
    }
    out[i].report = std::move(*report);
  }
  return {};
}

Result<void> ForwardReader::failures(int64_t after, int64_t until, std::size_t limit,
                                     std::vector<ForwardFailureRow>& out)
{
  out.clear();
  auto stmt = m_db.connection().cached(k_select_failures);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, after).bind(2, until).bind(3, static_cast<int64_t>(limit));
  std::vector<int64_t> policy_rows;
  auto read = each_row(**stmt, [&](const Statement& row) {
    ForwardFailureRow f;
    f.id = row.column_int(0);
    policy_rows.push_back(row.column_int(1));
    TlsFailureDetail& d = f.failure;
    d.result_type = row.column_text(2);
    d.sending_mta_ip = row.column_opt_text(3);
    d.receiving_mx_hostname = row.column_opt_text(4);
    d.receiving_mx_helo = row.column_opt_text(5);
    d.receiving_ip = row.column_opt_text(6);
    d.failed_session_count = to_count(row.column_int(7));
    d.additional_information = row.column_opt_text(8);
    d.failure_reason_code = row.column_opt_text(9);
    out.push_back(std::move(f));
  });
  if (!read) {
    return read;
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto policy = tls_policy(policy_rows[i]);
    if (!policy) {
      return policy.error();
    }
    out[i].policy = policy->policy;
    auto report = tls_report(policy->report_row);
    if (!report) {
      return report.error();
    }
    out[i].report = std::move(*report);
  }
  return {};
}

Result<int64_t> max_row_id(Database& db, ForwardStream stream)
{
  switch (stream) {
  case ForwardStream::aggregate_records: return db.connection().query_int(k_max_record);
  case ForwardStream::tls_policies: return db.connection().query_int(k_max_policy);
  case ForwardStream::tls_failures: return db.connection().query_int(k_max_failure);
  case ForwardStream::advice: return int64_t{0};
  }
  return make_error(ErrorKind::internal, "unknown forward stream");
}

Result<int64_t> forward_cursor(Database& db, std::string_view sink, ForwardStream stream)
{
  auto stmt = db.connection().cached(k_select_cursor);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, sink).bind(2, to_string(stream));
  int64_t last = 0;
  auto done = each_row(**stmt, [&](const Statement& row) { last = row.column_int(0); });
  if (!done) {
    return done.error();
  }
  return last;
}

Result<bool> has_forward_cursor(Database& db, std::string_view sink)
{
  auto stmt = db.connection().cached(k_any_cursor);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, sink);
  int64_t count = 0;
  auto done = each_row(**stmt, [&](const Statement& row) { count = row.column_int(0); });
  if (!done) {
    return done.error();
  }
  return count > 0;
}

Result<void> set_forward_cursor(Database& db, std::string_view sink, ForwardStream stream,
                                int64_t last_id, int64_t now)
{
  auto stmt = db.connection().cached(k_upsert_cursor);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, sink).bind(2, to_string(stream)).bind(3, last_id).bind(4, now);
  auto done = (*stmt)->run();
  (*stmt)->reset();
  return done;
}

} // namespace dmarc::store
