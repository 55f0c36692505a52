#include "store/failure_queries.hpp"

#include "store/row_reader.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <map>

namespace dmarc::store {

namespace {

#define DMARC_FAILURE_COLUMNS                                                                 \
  "id, time, domain, format, reporter, report_date, feedback_type, user_agent, version,"       \
  " original_envelope_id, original_mail_from, original_rcpt_to, arrival_date, arrival_ts,"     \
  " reporting_mta, source_ip, authentication_results, reported_domain, reported_uri,"          \
  " delivery_result, auth_failure, dkim_domain, dkim_identity, dkim_selector, spf_dns,"        \
  " identity_alignment, samples, sample_headers_only, sample_truncated, sample_from,"           \
  " sample_to, sample_subject, sample_date, sample_message_id, sample_headers"

constexpr const char* k_select_filtered =
  "SELECT " DMARC_FAILURE_COLUMNS " FROM failure_reports"
  " WHERE (?1 IS NULL OR domain = ?1) AND time >= ?2 AND time < ?3 AND id > ?4"
  " ORDER BY id LIMIT 256";
constexpr const char* k_select_page =
  "SELECT " DMARC_FAILURE_COLUMNS " FROM failure_reports WHERE id > ?1 AND id <= ?2"
  " ORDER BY id LIMIT ?3";
constexpr const char* k_select_domains =
  "SELECT DISTINCT domain FROM failure_reports"
  " WHERE domain IS NOT NULL AND domain <> '' AND time >= ?1 AND time < ?2"
  " AND (?3 IS NULL OR domain = ?3) ORDER BY domain";
constexpr const char* k_select_stats =
  "SELECT time, source_ip, auth_failure, sample_subject, sample_from FROM failure_reports"
  " WHERE domain = ?1 AND time >= ?2 AND time < ?3 ORDER BY time DESC, id DESC";

std::vector<std::string> split(const OptString& value, char separator)
{
  std::vector<std::string> out;
  if (!value) {
    return out;
  }
  std::size_t pos = 0;
  while (pos <= value->size()) {
    std::size_t end = value->find(separator, pos);
    if (end == std::string::npos) {
      end = value->size();
    }
    if (end > pos) {
      out.push_back(value->substr(pos, end - pos));
    }
    pos = end + 1;
  }
  return out;
}

FailureSamples samples_of(const OptString& value)
{
  if (value == "full") {
    return FailureSamples::full;
  }
  if (value == "none") {
    return FailureSamples::none;
  }
  return FailureSamples::headers;
}

StoredFailure read_failure(const Statement& s)
{
  StoredFailure out;
  out.id = s.column_int(0);
  out.time = s.column_int(1);
  out.domain = s.column_opt_text(2).value_or("");
  FailureReport& f = out.report;
  f.format = s.column_opt_text(3).value_or("");
  f.reporter = s.column_opt_text(4).value_or("");
  f.report_date = s.column_opt_text(5);
  f.feedback_type = s.column_opt_text(6).value_or("");
  f.user_agent = s.column_opt_text(7);
  f.version = s.column_opt_text(8);
  f.original_envelope_id = s.column_opt_text(9);
  f.original_mail_from = s.column_opt_text(10);
  f.original_rcpt_to = split(s.column_opt_text(11), '\n');
  f.arrival_date = s.column_opt_text(12);
  f.arrival = s.column_opt_int(13);
  f.reporting_mta = s.column_opt_text(14);
  f.source_ip = s.column_opt_text(15);
  f.authentication_results = split(s.column_opt_text(16), '\n');
  f.reported_domain = split(s.column_opt_text(17), '\n');
  f.reported_uri = split(s.column_opt_text(18), '\n');
  f.delivery_result = s.column_opt_text(19);
  f.auth_failure = split(s.column_opt_text(20), ',');
  f.dkim_domain = s.column_opt_text(21);
  f.dkim_identity = s.column_opt_text(22);
  f.dkim_selector = s.column_opt_text(23);
  f.spf_dns = split(s.column_opt_text(24), '\n');
  f.identity_alignment = s.column_opt_text(25);
  f.samples = samples_of(s.column_opt_text(26));
  f.has_sample = !s.column_is_null(27);
  f.sample_headers_only = s.column_opt_int(27).value_or(0) != 0;
  f.sample_truncated = s.column_opt_int(28).value_or(0) != 0;
  f.sample_from = s.column_opt_text(29);
  f.sample_to = s.column_opt_text(30);
  f.sample_subject = s.column_opt_text(31);
  f.sample_date = s.column_opt_text(32);
  f.sample_message_id = s.column_opt_text(33);
  f.sample_headers = s.column_opt_text(34).value_or("");
  return out;
}

void add_count(std::vector<FailureCount>& counts, const std::string& key)
{
  for (FailureCount& c : counts) {
    if (c.key == key) {
      ++c.reports;
      return;
    }
  }
  counts.push_back({key, 1});
}

void sort_counts(std::vector<FailureCount>& counts)
{
  std::stable_sort(counts.begin(), counts.end(), [](const FailureCount& a, const FailureCount& b) {
    return a.reports != b.reports ? a.reports > b.reports : a.key < b.key;
  });
}

} // namespace

Result<void> for_each_failure(Database& db, const ReportFilter& filter,
                              const std::function<Result<void>(const StoredFailure&)>& fn)
{
  Connection& c = db.connection();
  int64_t after = 0;
  for (;;) {
    std::vector<StoredFailure> page;
    {
      auto stmt = c.prepare(k_select_filtered);
      if (!stmt) {
        return stmt.error();
      }
      stmt->bind(1, filter.domain).bind(2, filter.since).bind(3, filter.until).bind(4, after);
      auto read = each_row(*stmt, [&](const Statement& s) { page.push_back(read_failure(s)); });
      if (!read) {
        return read;
      }
    }
    if (page.empty()) {
      return {};
    }
    after = page.back().id;
    for (const StoredFailure& f : page) {
      if (auto r = fn(f); !r) {
        return r;
      }
    }
  }
}

Result<void> failure_page(Database& db, int64_t after, int64_t until, std::size_t limit,
                          std::vector<StoredFailure>& out)
{
  out.clear();
  auto stmt = db.connection().cached(k_select_page);
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, after).bind(2, until).bind(3, static_cast<int64_t>(limit));
  return each_row(**stmt, [&](const Statement& s) { out.push_back(read_failure(s)); });
}

Result<std::vector<std::string>> failure_domains(Database& db, int64_t since, int64_t until,
                                                 const OptString& only)
{
  std::vector<std::string> out;
  auto stmt = db.connection().prepare(k_select_domains);
  if (!stmt) {
    return stmt.error();
  }
  stmt->bind(1, since).bind(2, until).bind(3, only);
  auto read = each_row(*stmt, [&](const Statement& s) { out.push_back(s.column_text(0)); });
  if (!read) {
    return read.error();
  }
  return out;
}

Result<FailureStats> failure_stats(Database& db, const std::string& domain, int64_t since,
                                   int64_t until, std::size_t top)
{
  FailureStats out;
  auto stmt = db.connection().prepare(k_select_stats);
  if (!stmt) {
    return stmt.error();
  }
  stmt->bind(1, domain).bind(2, since).bind(3, until);
  auto read = each_row(*stmt, [&](const Statement& s) {
    ++out.reports;
    const OptString types = s.column_opt_text(2);
    const std::vector<std::string> list = split(types, ',');
    if (list.empty()) {
      add_count(out.by_type, "unknown");
    }
    for (const std::string& t : list) {
      add_count(out.by_type, t);
    }
    const std::string ip = s.column_opt_text(1).value_or("");
    add_count(out.by_source, ip.empty() ? std::string("unknown") : ip);
    if (out.newest.size() < top) {
      FailureSample sample;
      sample.time = s.column_int(0);
      sample.source_ip = ip;
      sample.auth_failure = types.value_or("");
      sample.subject = s.column_opt_text(3);
      sample.from = s.column_opt_text(4);
      out.newest.push_back(std::move(sample));
    }
  });
  if (!read) {
    return read.error();
  }
  sort_counts(out.by_type);
  sort_counts(out.by_source);
  if (out.by_source.size() > top) {
    out.by_source.resize(top);
  }
  return out;
}

} // namespace dmarc::store
