#include "store/forward_queries.hpp"

#include "store/row_reader.hpp"
#include "store/sqlite.hpp"

#include <charconv>

namespace dmarc::store {

namespace {

// The record columns of DMARC_RECORD_COLUMNS, qualified for the join.
constexpr const char* k_select_records =
  "SELECT r.id, r.report, r.source_ip, r.count, r.disposition, r.dkim, r.spf, r.header_from,"
  " r.envelope_from, r.envelope_to, r.dkim_aligned, r.spf_aligned, r.dmarc_aligned,"
  " s.reverse_dns, s.base_domain, s.name, s.type, r.auth"
  " FROM aggregate_records r LEFT JOIN sources s ON s.ip = r.source_ip"
  " WHERE r.id > ?1 AND r.id <= ?2 ORDER BY r.id LIMIT ?3";
constexpr const char* k_select_report =
  "SELECT " DMARC_REPORT_COLUMNS " FROM aggregate_reports WHERE id = ?1";
constexpr const char* k_select_policies =
  "SELECT id, report, " DMARC_POLICY_COLUMNS
  " FROM tls_policies WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3";
constexpr const char* k_select_policy =
  "SELECT id, report, " DMARC_POLICY_COLUMNS " FROM tls_policies WHERE id = ?1";
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
constexpr const char* k_upsert_cursor =
  "INSERT INTO forward_cursor (sink, stream, last_id, updated) VALUES (?1, ?2, ?3, ?4)"
  " ON CONFLICT (sink, stream) DO UPDATE SET last_id = max(last_id, excluded.last_id),"
  " updated = excluded.updated";

// Reports kept in the reader's caches at most; rows arrive grouped by report, so a few
// suffice, and the bound keeps a long run's memory flat.
constexpr std::size_t k_cache_reports = 256;

// Reads aggregate_records.auth (sql/0005_packed_auth_results.sql) without SQLite's JSON
// functions: the auth_results view extracts each of the 7 fields of each entry with `->>`,
// which cost about 6 µs per record, most of what `forward` spent reading a row. The column
// holds [["dkim"|"spf", domain, selector, scope, result, human_result, aligned], ...] with
// strings, nulls and integers only; anything else makes the caller use the view instead.
class PackedAuthReader
{
public:
  explicit PackedAuthReader(std::string_view text) : m_text(text) {}

  // Appends the entries to `r`; false when the text is not in the packed form.
  bool read(AggregateRecord& r)
  {
    if (!eat('[')) {
      return false;
    }
    if (eat(']')) {
      return at_end();
    }
    do {
      if (!entry(r)) {
        return false;
      }
    } while (eat(','));
    return eat(']') && at_end();
  }

private:
  bool entry(AggregateRecord& r)
  {
    OptString kind, domain, selector, scope, result, human;
    int64_t aligned = 0;
    if (!eat('[') || !string_or_null(kind) || !kind || !comma() || !string_or_null(domain)
        || !comma() || !string_or_null(selector) || !comma() || !string_or_null(scope)
        || !comma() || !string_or_null(result) || !comma() || !string_or_null(human)
        || !comma() || !integer_or_null(aligned) || !eat(']')) {
      return false;
    }
    // As add_auth_result() reads the view: NULL text as "", NULL aligned as 0.
    if (*kind == "dkim") {
      DkimResult d;
      d.domain = domain.value_or("");
      d.selector = std::move(selector);
      d.result = result.value_or("");
      d.human_result = std::move(human);
      d.aligned = aligned != 0;
      r.dkim_results.push_back(std::move(d));
    } else {
      SpfResult sr;
      sr.domain = domain.value_or("");
      sr.scope = std::move(scope);
      sr.result = result.value_or("");
      sr.human_result = std::move(human);
      sr.aligned = aligned != 0;
      r.spf_results.push_back(std::move(sr));
    }
    return true;
  }

  void skip_space()
  {
    while (m_at < m_text.size()
           && (m_text[m_at] == ' ' || m_text[m_at] == '\n' || m_text[m_at] == '\t'
               || m_text[m_at] == '\r')) {
      ++m_at;
    }
  }

  bool eat(char c)
  {
    skip_space();
    if (m_at < m_text.size() && m_text[m_at] == c) {
      ++m_at;
      return true;
    }
    return false;
  }

  bool comma() { return eat(','); }

  bool at_end()
  {
    skip_space();
    return m_at == m_text.size();
  }

  bool null()
  {
    skip_space();
    if (m_text.substr(m_at, 4) == "null") {
      m_at += 4;
      return true;
    }
    return false;
  }

  bool integer_or_null(int64_t& value)
  {
    if (null()) {
      value = 0;
      return true;
    }
    const char* first = m_text.data() + m_at;
    const char* last = m_text.data() + m_text.size();
    const auto parsed = std::from_chars(first, last, value);
    if (parsed.ec != std::errc() || parsed.ptr == first) {
      return false;
    }
    m_at += static_cast<std::size_t>(parsed.ptr - first);
    return true;
  }

  static int hex(char c)
  {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  bool hex4(uint32_t& value)
  {
    if (m_at + 4 > m_text.size()) {
      return false;
    }
    value = 0;
    for (int k = 0; k < 4; ++k) {
      const int h = hex(m_text[m_at++]);
      if (h < 0) {
        return false;
      }
      value = value << 4 | static_cast<uint32_t>(h);
    }
    return true;
  }

  static void append_utf8(std::string& out, uint32_t cp)
  {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  bool string_or_null(OptString& value)
  {
    if (null()) {
      value.reset();
      return true;
    }
    if (!eat('"')) {
      return false;
    }
    std::string out;
    for (;;) {
      const std::size_t special = m_text.find_first_of("\"\\", m_at);
      if (special == std::string_view::npos) {
        return false;
      }
      out.append(m_text.substr(m_at, special - m_at));
      m_at = special + 1;
      if (m_text[special] == '"') {
        value = std::move(out);
        return true;
      }
      if (m_at >= m_text.size()) {
        return false;
      }
      const char e = m_text[m_at++];
      switch (e) {
      case '"': case '\\': case '/': out += e; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t cp = 0;
        if (!hex4(cp)) {
          return false;
        }
        if (cp >= 0xd800 && cp < 0xdc00 && m_text.substr(m_at, 2) == "\\u") {
          const std::size_t back = m_at;
          m_at += 2;
          uint32_t low = 0;
          if (hex4(low) && low >= 0xdc00 && low < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          } else {
            m_at = back;
          }
        }
        append_utf8(out, cp);
        break;
      }
      default: return false;
      }
    }
  }

  std::string_view m_text;
  std::size_t m_at = 0;
};

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
  case ForwardStream::failure_reports: return "failure_reports";
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
    read_report_columns(row, 0, *report);
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
  bool packed = true; // every auth column read here; else the view is read for the page
  auto read = each_row(s, [&](const Statement& row) {
    ForwardRecordRow f;
    f.id = row.column_int(0);
    f.report_row = row.column_int(1);
    read_record_columns(row, 2, f.record);
    f.source.reverse_dns = row.column_opt_text(13);
    f.source.base_domain = row.column_opt_text(14);
    f.source.name = row.column_opt_text(15);
    f.source.type = row.column_opt_text(16);
    if (packed && !row.column_is_null(17)) {
      packed = PackedAuthReader(row.column_view(17)).read(f.record);
    }
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
  std::size_t at = 0;
  auto find = [&](int64_t record) -> ForwardRecordRow* {
    while (at < out.size() && out[at].id < record) {
      ++at;
    }
    return at < out.size() && out[at].id == record ? &out[at] : nullptr;
  };
  if (!packed) {
    for (ForwardRecordRow& f : out) {
      f.record.dkim_results.clear();
      f.record.spf_results.clear();
    }
    auto auth = c.cached(k_select_auth_range);
    if (!auth) {
      return auth.error();
    }
    (*auth)->bind(1, first).bind(2, last);
    read = each_row(**auth, [&](const Statement& a) {
      if (ForwardRecordRow* f = find(a.column_int(0))) {
        add_auth_result(a, f->record);
      }
    });
    if (!read) {
      return read;
    }
  }
  auto reasons = c.cached(k_select_reasons_range);
  if (!reasons) {
    return reasons.error();
  }
  at = 0;
  (*reasons)->bind(1, first).bind(2, last);
  return each_row(**reasons, [&](const Statement& r) {
    if (ForwardRecordRow* f = find(r.column_int(0))) {
      add_reason(r, f->record);
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
    policy = std::make_shared<TlsPolicy>(read_policy_columns(row, 2));
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
    f.policy = read_policy_columns(row, 2);
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
  case ForwardStream::failure_reports:
    return db.connection().query_int("SELECT coalesce(max(id), 0) FROM failure_reports");
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
