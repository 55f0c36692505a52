#include "store/sqlite_store.hpp"

#include "core/checksum.hpp"
#include "core/json_text.hpp"
#include "store/rollups.hpp"
#include "store/sqlite.hpp"

#include <string>
#include <utility>

namespace dmarc::store {

namespace {

// The statements of the import path, prepared once per connection (Connection::cached).
constexpr const char* k_find_message = "SELECT id, status FROM messages WHERE checksum = ?1 AND size = ?2";
constexpr const char* k_insert_message =
  "INSERT INTO messages (source, account, mailbox, uidvalidity, uid, message_id, subject,"
  " date_header, checksum, size, first_seen, last_seen, status, reason, detail, from_header)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, 'rejected', NULL, NULL, ?12)";
constexpr const char* k_touch_message =
  "UPDATE messages SET source = ?2, account = ?3, mailbox = ?4, uidvalidity = ?5, uid = ?6,"
  " last_seen = ?7, seen_count = seen_count + 1 WHERE id = ?1";
constexpr const char* k_finish_message =
  "UPDATE messages SET status = ?2, reason = ?3, detail = ?4,"
  " reports_new = reports_new + ?5, reports_duplicate = ?6 WHERE id = ?1";
constexpr const char* k_insert_report =
  "INSERT INTO aggregate_reports (message, org_name, email, extra_contact_info, report_id,"
  " domain, begin_ts, end_ts, version, xml_namespace, generator, errors, adkim, aspf, p, sp,"
  " np, pct, fo, testing, discovery_method, recovered, record_count, message_count,"
  " dmarc_pass_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
  " ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)"
  " ON CONFLICT (org_name, report_id, domain) DO NOTHING";
constexpr const char* k_insert_record =
  "INSERT INTO aggregate_records (report, source_ip, count, disposition, dkim, spf,"
  " header_from, envelope_from, envelope_to, dkim_aligned, spf_aligned, dmarc_aligned, auth)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
constexpr const char* k_insert_reason =
  "INSERT INTO override_reasons (record, seq, type, comment) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* k_insert_raw =
  "INSERT INTO raw_documents (report_type, report, format, bytes) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* k_insert_tls =
  "INSERT INTO tls_reports (message, org_name, contact_info, report_id, domain, begin_ts, end_ts,"
  " skipped_policies) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
  " ON CONFLICT (org_name, report_id, domain) DO NOTHING";
constexpr const char* k_find_dmarc_content =
  "SELECT message, record_count, message_count FROM aggregate_reports"
  " WHERE org_name = ?1 AND report_id = ?2 AND domain = ?3";
constexpr const char* k_find_tls_content =
  "SELECT r.message, count(p.id), coalesce(sum(p.success_count), 0),"
  " coalesce(sum(p.failure_count), 0) FROM tls_reports r LEFT JOIN tls_policies p ON p.report = r.id"
  " WHERE r.org_name = ?1 AND r.report_id = ?2 AND r.domain = ?3 GROUP BY r.id";
constexpr const char* k_insert_conflict =
  "INSERT INTO report_conflicts (message, report_type, org_name, report_id, domain, stored,"
  " received, first_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING";
constexpr const char* k_insert_policy =
  "INSERT INTO tls_policies (report, seq, policy_type, policy_string, policy_domain, mx_hosts,"
  " success_count, failure_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* k_insert_failure =
  "INSERT INTO tls_failures (policy, result_type, sending_mta_ip, receiving_mx_hostname,"
  " receiving_mx_helo, receiving_ip, failed_session_count, additional_information,"
  " failure_reason_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr const char* k_insert_failure_report =
  "INSERT INTO failure_reports (message, subject, raw_gzip, dedup_key, format, reporter,"
  " report_date, time, domain, feedback_type, user_agent, version, original_envelope_id,"
  " original_mail_from, original_rcpt_to, arrival_date, arrival_ts, reporting_mta, source_ip,"
  " authentication_results, reported_domain, reported_uri, delivery_result, auth_failure,"
  " dkim_domain, dkim_identity, dkim_selector, spf_dns, identity_alignment, samples,"
  " sample_headers_only, sample_truncated, sample_from, sample_to, sample_subject, sample_date,"
  " sample_message_id, sample_headers) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
  " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29,"
  " ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38)"
  " ON CONFLICT DO NOTHING";

// The deduplication key of a failure report (sql/0007_failure_reports.sql).
std::string failure_key(const FailureReport& f, const MessageMeta& meta)
{
  const OptString& id = f.sample_message_id ? f.sample_message_id : f.report_message_id;
  if (!id || id->empty()) {
    return "c:" + meta.checksum;
  }
  std::string key = f.reporter + "\n" + f.source_ip.value_or("") + "\n";
  key += f.arrival ? std::to_string(*f.arrival) : f.arrival_date.value_or("");
  key += "\n" + *id;
  // And the mail's own checksum: the same mail fetched or imported again is one report, but
  // two mails are two reports even when they describe the same message (a reporter's LF and
  // CRLF copies count twice in the shared corpus' totals, as in every other DMARC tool).
  key += "\n" + meta.checksum;
  // Hashed: the key must not keep the sample's Message-ID (samples = "none").
  return "r:" + checksum(key);
}

OptString joined(const std::vector<std::string>& items, std::string_view separator)
{
  if (items.empty()) {
    return std::nullopt;
  }
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) {
      out.append(separator);
    }
    out.append(item);
  }
  return out;
}

std::string domain_of(const FailureReport& f)
{
  if (f.reported_domain.empty()) {
    return {};
  }
  std::string d = f.reported_domain.front();
  while (!d.empty() && d.back() == '.') {
    d.pop_back();
  }
  return d;
}

std::string join(const std::vector<std::string>& items, std::string_view separator)
{
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) {
      out.append(separator);
    }
    out.append(item);
  }
  return out;
}

void append_opt(std::string& out, const OptString& value)
{
  if (value) {
    json_text::append_string(out, *value);
  } else {
    out += "null";
  }
}

// The record's auth results as aggregate_records.auth (sql/0005_packed_auth_results.sql):
// [["dkim"|"spf", domain, selector, scope, result, human_result, aligned], ...].
void pack_auth_results(const AggregateRecord& r, std::string& out)
{
  out.clear();
  out += '[';
  for (const DkimResult& d : r.dkim_results) {
    out += out.size() > 1 ? ",[\"dkim\"," : "[\"dkim\",";
    json_text::append_string(out, d.domain);
    out += ',';
    append_opt(out, d.selector);
    out += ",null,";
    json_text::append_string(out, d.result);
    out += ',';
    append_opt(out, d.human_result);
    out += d.aligned ? ",1]" : ",0]";
  }
  for (const SpfResult& sr : r.spf_results) {
    out += out.size() > 1 ? ",[\"spf\"," : "[\"spf\",";
    json_text::append_string(out, sr.domain);
    out += ",null,";
    append_opt(out, sr.scope);
    out += ',';
    json_text::append_string(out, sr.result);
    out += ',';
    append_opt(out, sr.human_result);
    out += sr.aligned ? ",1]" : ",0]";
  }
  out += ']';
}

// Counts above 2^63 - 1 cannot be stored in an SQLite INTEGER; clamp rather than wrap.
OptString non_empty(std::string value)
{
  if (value.empty()) {
    return std::nullopt;
  }
  return value;
}

int64_t to_db_count(uint64_t count)
{
  constexpr auto max = static_cast<uint64_t>(INT64_MAX);
  return static_cast<int64_t>(count > max ? max : count);
}

// a + b for non-negative counts, clamped at 2^63 - 1 (a signed overflow is undefined; two
// records of 2^63 - 1 messages each were found by pipeline_import_fuzz).
int64_t saturating_add(int64_t a, int64_t b)
{
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

} // namespace

Result<StoreOutcome> SqliteStore::store(const ParsedMessage& message)
{
  Connection& c = m_db.connection();
  if (auto r = c.exec("BEGIN IMMEDIATE"); !r) {
    return r.error();
  }
  auto outcome = store_in_transaction(message);
  if (!outcome) {
    (void)c.exec("ROLLBACK");
    return outcome.error();
  }
  if (auto r = c.exec("COMMIT"); !r) {
    (void)c.exec("ROLLBACK");
    return r.error();
  }
  return outcome;
}

Result<StoreOutcome> SqliteStore::store_in_transaction(const ParsedMessage& message)
{
  Connection& c = m_db.connection();
  const MessageMeta& meta = message.meta;
  const int64_t now = m_clock.now();
  StoreOutcome outcome;

  // The message row: one per distinct content, so a re-import updates instead of adding.
  std::string previous_status;
  {
    auto find = c.cached(k_find_message);
    if (!find) {
      return find.error();
    }
    (*find)->bind_static(1, meta.checksum).bind(2, meta.size);
    auto row = (*find)->step();
    if (!row) {
      return row.error();
    }
    if (*row) {
      outcome.message_row = (*find)->column_int(0);
      previous_status = (*find)->column_text(1);
    }
    (*find)->reset();
  }
  if (outcome.message_row != 0) {
    auto touch = c.cached(k_touch_message);
    if (!touch) {
      return touch.error();
    }
    (*touch)->bind(1, outcome.message_row).bind_static(2, meta.source).bind_static(3, meta.account);
    (*touch)->bind_static(4, meta.mailbox).bind(5, meta.uidvalidity).bind(6, meta.uid).bind(7, now);
    if (auto r = (*touch)->run(); !r) {
      return r.error();
    }
  } else {
    auto insert = c.cached(k_insert_message);
    if (!insert) {
      return insert.error();
    }
    Statement& s = **insert;
    s.bind_static(1, meta.source).bind_static(2, meta.account).bind_static(3, meta.mailbox);
    s.bind(4, meta.uidvalidity).bind(5, meta.uid);
    s.bind_static(6, meta.message_id).bind_static(7, meta.subject).bind_static(8, meta.date_header);
    s.bind_static(9, meta.checksum).bind(10, meta.size).bind(11, now);
    if (meta.from.empty()) {
      s.bind_null(12);
    } else {
      s.bind_static(12, meta.from);
    }
    if (auto r = s.run(); !r) {
      return r.error();
    }
    outcome.message_row = c.last_insert_rowid();
  }

  for (std::size_t i = 0; i < message.aggregates.size(); ++i) {
    uint64_t records = 0;
    auto added = insert_aggregate(outcome.message_row, message.aggregates[i],
                                  message.aggregate_raw[i], records);
    if (!added) {
      return added.error();
    }
    if (*added) {
      ++outcome.dmarc_new;
      outcome.records_new += records;
    } else {
      ++outcome.dmarc_duplicate;
      const AggregateReport& report = message.aggregates[i];
      if (auto r = note_conflict(outcome.message_row, "dmarc", report.org_name, report.report_id,
                                 report.policy.domain, outcome);
          !r) {
        return r.error();
      }
    }
  }
  for (std::size_t i = 0; i < message.tls.size(); ++i) {
    auto added = insert_tls(outcome.message_row, message.tls[i], message.tls_raw[i]);
    if (!added) {
      return added.error();
    }
    ++(*added ? outcome.tls_new : outcome.tls_duplicate);
    if (!*added) {
      const TlsReport& report = message.tls[i];
      if (auto r = note_conflict(outcome.message_row, "tlsrpt", report.org_name, report.report_id,
                                 report.domain(), outcome);
          !r) {
        return r.error();
      }
    }
  }
  const bool has_reports = !message.aggregates.empty() || !message.tls.empty();
  if (message.failure_report && !has_reports) {
    auto insert = c.cached(k_insert_failure_report);
    if (!insert) {
      return insert.error();
    }
    const FailureReport empty_report;
    const FailureReport& f = message.failure ? *message.failure : empty_report;
    Statement& st = **insert;
    st.bind(1, outcome.message_row).bind_static(2, meta.subject);
    if (message.failure_raw_gzip) {
      st.bind_blob(3, std::string_view(*message.failure_raw_gzip));
    } else {
      st.bind_null(3);
    }
    const std::string key = failure_key(f, meta);
    const OptString domain = non_empty(domain_of(f));
    const OptString rcpt_to = joined(f.original_rcpt_to, "\n");
    const OptString auth_results = joined(f.authentication_results, "\n");
    const OptString reported_domain = joined(f.reported_domain, "\n");
    const OptString reported_uri = joined(f.reported_uri, "\n");
    const OptString auth_failure = joined(f.auth_failure, ",");
    const OptString spf_dns = joined(f.spf_dns, "\n");
    const int64_t time = f.arrival ? *f.arrival : f.report_time ? *f.report_time : now;
    st.bind_static(4, key).bind_static(5, f.format).bind_static(6, f.reporter);
    st.bind_static(7, f.report_date).bind(8, time).bind_static(9, domain);
    st.bind_static(10, f.feedback_type).bind_static(11, f.user_agent).bind_static(12, f.version);
    st.bind_static(13, f.original_envelope_id).bind_static(14, f.original_mail_from);
    st.bind_static(15, rcpt_to).bind_static(16, f.arrival_date).bind(17, f.arrival);
    st.bind_static(18, f.reporting_mta).bind_static(19, f.source_ip);
    st.bind_static(20, auth_results).bind_static(21, reported_domain);
    st.bind_static(22, reported_uri).bind_static(23, f.delivery_result);
    st.bind_static(24, auth_failure).bind_static(25, f.dkim_domain);
    st.bind_static(26, f.dkim_identity).bind_static(27, f.dkim_selector);
    st.bind_static(28, spf_dns).bind_static(29, f.identity_alignment);
    st.bind_static(30, to_string(f.samples));
    if (f.has_sample) {
      st.bind(31, int64_t{f.sample_headers_only ? 1 : 0});
      st.bind(32, int64_t{f.sample_truncated ? 1 : 0});
    } else {
      st.bind_null(31);
      st.bind_null(32);
    }
    st.bind_static(33, f.sample_from).bind_static(34, f.sample_to);
    st.bind_static(35, f.sample_subject).bind_static(36, f.sample_date);
    st.bind_static(37, f.sample_message_id);
    if (f.sample_headers.empty()) {
      st.bind_null(38);
    } else {
      st.bind_static(38, f.sample_headers);
    }
    if (auto r = (*insert)->run(); !r) {
      return r.error();
    }
    outcome.failure_new = c.changes() > 0;
    outcome.failure_duplicate = !outcome.failure_new;
  }

  const int new_reports = outcome.dmarc_new + outcome.tls_new;
  const int duplicates = outcome.dmarc_duplicate + outcome.tls_duplicate;
  OptString reason;
  OptString detail;
  if (has_reports) {
    outcome.status = new_reports > 0 ? MessageStatus::imported : MessageStatus::duplicate;
    if (outcome.status == MessageStatus::duplicate && previous_status == "imported") {
      // Seeing the same message again leaves its first verdict in place.
      outcome.status = MessageStatus::imported;
    }
    if (!message.warnings.empty()) {
      reason = std::string(to_string(message.warnings.front().kind));
      detail = message.warnings.front().detail;
    }
  } else if (message.failure_report) {
    outcome.status = MessageStatus::failure;
  } else {
    outcome.status = MessageStatus::rejected;
    const Error rejection =
      message.rejection.value_or(make_error(ErrorKind::not_a_report, "no report found"));
    reason = std::string(to_string(rejection.kind));
    detail = rejection.detail;
  }
  auto finish = c.cached(k_finish_message);
  if (!finish) {
    return finish.error();
  }
  (*finish)->bind(1, outcome.message_row).bind_static(2, to_string(outcome.status));
  (*finish)->bind_static(3, reason).bind_static(4, detail).bind(5, new_reports).bind(6, duplicates);
  if (auto r = (*finish)->run(); !r) {
    return r.error();
  }
  // What this pass did is reported with the pass's own status, not the stored one.
  if ((has_reports && new_reports == 0) || outcome.failure_duplicate) {
    outcome.status = MessageStatus::duplicate;
  }
  return outcome;
}

Result<bool> SqliteStore::insert_aggregate(int64_t message_row, const AggregateReport& report,
                                           const RawDocument& raw, uint64_t& records)
{
  Connection& c = m_db.connection();
  int64_t messages = 0;
  int64_t passing = 0;
  for (const AggregateRecord& r : report.records) {
    const int64_t n = to_db_count(r.count);
    messages = saturating_add(messages, n);
    if (r.dkim == "pass" || r.spf == "pass") {
      passing = saturating_add(passing, n);
    }
  }
  const std::string errors = join(report.errors, "\n");
  const PolicyPublished& p = report.policy;
  {
    auto insert = c.cached(k_insert_report);
    if (!insert) {
      return insert.error();
    }
    Statement& s = **insert;
    s.bind(1, message_row).bind_static(2, report.org_name).bind_static(3, report.email);
    s.bind_static(4, report.extra_contact_info).bind_static(5, report.report_id);
    s.bind_static(6, p.domain).bind(7, report.begin).bind(8, report.end);
    s.bind_static(9, report.version).bind_static(10, report.xml_namespace);
    s.bind_static(11, report.generator);
    if (report.errors.empty()) {
      s.bind_null(12);
    } else {
      s.bind_static(12, errors);
    }
    s.bind_static(13, p.adkim).bind_static(14, p.aspf).bind_static(15, p.p).bind_static(16, p.sp);
    s.bind_static(17, p.np).bind(18, p.pct).bind_static(19, p.fo).bind_static(20, p.testing);
    s.bind_static(21, p.discovery_method).bind(22, int64_t{report.recovered ? 1 : 0});
    s.bind(23, static_cast<int64_t>(report.records.size())).bind(24, messages).bind(25, passing);
    if (auto r = s.run(); !r) {
      return r.error();
    }
    if (c.changes() == 0) {
      auto find = c.cached(k_find_dmarc_content);
      if (!find) {
        return find.error();
      }
      (*find)->bind_static(1, report.org_name).bind_static(2, report.report_id);
      (*find)->bind_static(3, p.domain);
      auto row = (*find)->step();
      if (!row) {
        return row.error();
      }
      const bool found = *row;
      const int64_t stored_message = found ? (*find)->column_int(0) : 0;
      const int64_t stored_records = found ? (*find)->column_int(1) : 0;
      const int64_t stored_messages = found ? (*find)->column_int(2) : 0;
      (*find)->reset();
      const auto records_now = static_cast<int64_t>(report.records.size());
      if (found && stored_message != message_row
          && (stored_messages != messages || stored_records != records_now)) {
        const bool by_messages = stored_messages != messages;
        const auto describe = [by_messages](int64_t n) {
          return std::to_string(n) + (by_messages ? " messages" : " records");
        };
        m_pending_conflict = std::make_pair(describe(by_messages ? stored_messages : stored_records),
                                            describe(by_messages ? messages : records_now));
      }
      return false;
    }
  }
  const int64_t report_row = c.last_insert_rowid();

  auto record_stmt = c.cached(k_insert_record);
  if (!record_stmt) {
    return record_stmt.error();
  }
  Statement& rec = **record_stmt;
  std::string auth;
  for (const AggregateRecord& r : report.records) {
    rec.bind(1, report_row).bind_static(2, r.source_ip).bind(3, to_db_count(r.count));
    rec.bind_static(4, r.disposition).bind_static(5, r.dkim).bind_static(6, r.spf);
    rec.bind_static(7, r.header_from).bind_static(8, r.envelope_from).bind_static(9, r.envelope_to);
    rec.bind(10, int64_t{r.dkim_aligned}).bind(11, int64_t{r.spf_aligned});
    rec.bind(12, int64_t{r.dmarc_aligned});
    if (r.dkim_results.empty() && r.spf_results.empty()) {
      rec.bind_null(13);
    } else {
      pack_auth_results(r, auth);
      rec.bind_static(13, auth);
    }
    if (auto result = rec.run(); !result) {
      return result.error();
    }
    const int64_t record_row = c.last_insert_rowid();
    if (!r.reasons.empty()) {
      auto reason_stmt = c.cached(k_insert_reason);
      if (!reason_stmt) {
        return reason_stmt.error();
      }
      int64_t reason_seq = 0;
      for (const PolicyOverrideReason& reason : r.reasons) {
        (*reason_stmt)->bind(1, record_row).bind(2, reason_seq++).bind_static(3, reason.type);
        (*reason_stmt)->bind_static(4, reason.comment);
        if (auto result = (*reason_stmt)->run(); !result) {
          return result.error();
        }
      }
    }
  }
  records = report.records.size();
  // The per domain × day sums of `summary` / `advise` (sql/0003_rollups.sql).
  if (auto r = add_dmarc_rollups(c, report); !r) {
    return r.error();
  }

  auto raw_stmt = c.cached(k_insert_raw);
  if (!raw_stmt) {
    return raw_stmt.error();
  }
  (*raw_stmt)->bind_static(1, "dmarc").bind(2, report_row).bind_static(3, raw.format);
  (*raw_stmt)->bind_blob(4, raw.bytes ? std::string_view(*raw.bytes) : std::string_view());
  if (auto r = (*raw_stmt)->run(); !r) {
    return r.error();
  }
  return true;
}

Result<bool> SqliteStore::insert_tls(int64_t message_row, const TlsReport& report,
                                     const RawDocument& raw)
{
  Connection& c = m_db.connection();
  {
    auto insert = c.cached(k_insert_tls);
    if (!insert) {
      return insert.error();
    }
    Statement& s = **insert;
    s.bind(1, message_row).bind_static(2, report.org_name).bind_static(3, report.contact_info);
    s.bind_static(4, report.report_id).bind_static(5, report.domain());
    s.bind(6, report.begin).bind(7, report.end);
    const std::string skipped = join(report.skipped_policies, "\n");
    if (report.skipped_policies.empty()) {
      s.bind_null(8);
    } else {
      s.bind_static(8, skipped);
    }
    if (auto r = s.run(); !r) {
      return r.error();
    }
    if (c.changes() == 0) {
      auto find = c.cached(k_find_tls_content);
      if (!find) {
        return find.error();
      }
      (*find)->bind_static(1, report.org_name).bind_static(2, report.report_id);
      (*find)->bind_static(3, report.domain());
      auto row = (*find)->step();
      if (!row) {
        return row.error();
      }
      if (*row && (*find)->column_int(0) != message_row) {
        const int64_t policies = (*find)->column_int(1);
        const int64_t sessions = saturating_add((*find)->column_int(2), (*find)->column_int(3));
        int64_t sessions_now = 0;
        for (const TlsPolicy& policy : report.policies) {
          sessions_now = saturating_add(sessions_now, to_db_count(policy.successful_sessions));
          sessions_now = saturating_add(sessions_now, to_db_count(policy.failed_sessions));
        }
        const auto policies_now = static_cast<int64_t>(report.policies.size());
        if (sessions != sessions_now) {
          m_pending_conflict = std::make_pair(std::to_string(sessions) + " sessions",
                                              std::to_string(sessions_now) + " sessions");
        } else if (policies != policies_now) {
          m_pending_conflict = std::make_pair(std::to_string(policies) + " policies",
                                              std::to_string(policies_now) + " policies");
        }
      }
      (*find)->reset();
      return false;
    }
  }
  const int64_t report_row = c.last_insert_rowid();
  int64_t seq = 0;
  for (const TlsPolicy& policy : report.policies) {
    auto insert = c.cached(k_insert_policy);
    if (!insert) {
      return insert.error();
    }
    const std::string policy_string = join(policy.policy_string, "\n");
    const std::string mx_hosts = join(policy.mx_hosts, ",");
    Statement& s = **insert;
    s.bind(1, report_row).bind(2, seq++).bind_static(3, policy.policy_type);
    if (policy.policy_string.empty()) {
      s.bind_null(4);
    } else {
      s.bind_static(4, policy_string);
    }
    s.bind_static(5, policy.policy_domain);
    if (policy.mx_hosts.empty()) {
      s.bind_null(6);
    } else {
      s.bind_static(6, mx_hosts);
    }
    s.bind(7, to_db_count(policy.successful_sessions)).bind(8, to_db_count(policy.failed_sessions));
    if (auto r = s.run(); !r) {
      return r.error();
    }
    const int64_t policy_row = c.last_insert_rowid();
    for (const TlsFailureDetail& f : policy.failures) {
      auto failure = c.cached(k_insert_failure);
      if (!failure) {
        return failure.error();
      }
      Statement& fs = **failure;
      fs.bind(1, policy_row).bind_static(2, f.result_type).bind_static(3, f.sending_mta_ip);
      fs.bind_static(4, f.receiving_mx_hostname).bind_static(5, f.receiving_mx_helo);
      fs.bind_static(6, f.receiving_ip).bind(7, to_db_count(f.failed_session_count));
      fs.bind_static(8, f.additional_information).bind_static(9, f.failure_reason_code);
      if (auto r = fs.run(); !r) {
        return r.error();
      }
    }
  }
  if (auto r = add_tls_rollups(c, report); !r) {
    return r.error();
  }
  auto raw_stmt = c.cached(k_insert_raw);
  if (!raw_stmt) {
    return raw_stmt.error();
  }
  (*raw_stmt)->bind_static(1, "tlsrpt").bind(2, report_row).bind_static(3, raw.format);
  (*raw_stmt)->bind_blob(4, raw.bytes ? std::string_view(*raw.bytes) : std::string_view());
  if (auto r = (*raw_stmt)->run(); !r) {
    return r.error();
  }
  return true;
}

Result<void> SqliteStore::note_conflict(int64_t message_row, const char* type,
                                        const std::string& org, const std::string& report_id,
                                        const std::string& domain, StoreOutcome& outcome)
{
  if (!m_pending_conflict) {
    return {};
  }
  const auto [stored, received] = std::move(*m_pending_conflict);
  m_pending_conflict.reset();
  Connection& c = m_db.connection();
  auto insert = c.cached(k_insert_conflict);
  if (!insert) {
    return insert.error();
  }
  Statement& s = **insert;
  s.bind(1, message_row).bind_static(2, type).bind_static(3, org).bind_static(4, report_id);
  s.bind_static(5, domain).bind_static(6, stored).bind_static(7, received).bind(8, m_clock.now());
  if (auto r = s.run(); !r) {
    return r.error();
  }
  // "12 vs 7 messages": the unit is the same on both sides.
  outcome.conflicts.push_back(org + " report " + report_id + " for " + domain + ": "
                              + stored.substr(0, stored.find(' ')) + " vs " + received);
  return {};
}

} // namespace dmarc::store
