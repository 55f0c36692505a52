// Rows back into the report model: the column lists and readers that export (queries.cpp)
// and forward (forward_queries.cpp) share, so a column added to a table is read the same
// way everywhere. Internal to the store.
#pragma once

#include "core/report.hpp"
#include "core/result.hpp"
#include "store/sqlite.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace dmarc::store {

// Column lists as string-literal macros, so statements are spliced together at compile
// time ("SELECT id, " DMARC_REPORT_COLUMNS " FROM ..."), never from runtime text.

// aggregate_reports columns read by read_report_columns(), in order.
#define DMARC_REPORT_COLUMNS                                                              \
  "org_name, email, extra_contact_info, report_id, domain, begin_ts, end_ts, version,"     \
  " xml_namespace, generator, errors, adkim, aspf, p, sp, np, pct, fo, testing,"           \
  " discovery_method, recovered"

// aggregate_records columns read by read_record_columns(), in order.
#define DMARC_RECORD_COLUMNS                                                              \
  "source_ip, count, disposition, dkim, spf, header_from, envelope_from, envelope_to,"      \
  " dkim_aligned, spf_aligned, dmarc_aligned"

// The auth results and override reasons of the records with ids in [?1, ?2], in order;
// the first column is the record id (see add_auth_result() / add_reason()).
inline constexpr const char* k_select_auth_range =
  "SELECT record, kind, domain, selector, scope, result, human_result, aligned FROM auth_results"
  " WHERE record BETWEEN ?1 AND ?2 ORDER BY record, seq";
inline constexpr const char* k_select_reasons_range =
  "SELECT record, type, comment FROM override_reasons WHERE record BETWEEN ?1 AND ?2"
  " ORDER BY record, seq";

// tls_policies columns read by read_policy_columns(), in order.
#define DMARC_POLICY_COLUMNS \
  "policy_type, policy_string, policy_domain, mx_hosts, success_count, failure_count"

// `text` split at every `separator` (one element for text without it).
std::vector<std::string> split(const std::string& text, char separator);

// A stored count as the model's unsigned count (negative values cannot be stored; 0).
uint64_t to_count(int64_t value);

// Fills the report metadata and policy from DMARC_REPORT_COLUMNS starting at column `first`.
void read_report_columns(const Statement& s, int first, AggregateReport& r);

// Fills a record from DMARC_RECORD_COLUMNS starting at column `first`.
void read_record_columns(const Statement& s, int first, AggregateRecord& r);

// Appends the auth result of a k_select_auth_range row to `r`.
void add_auth_result(const Statement& s, AggregateRecord& r);

// Appends the reason of a k_select_reasons_range row to `r`.
void add_reason(const Statement& s, AggregateRecord& r);

// A policy from DMARC_POLICY_COLUMNS starting at column `first`.
TlsPolicy read_policy_columns(const Statement& s, int first);

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

} // namespace dmarc::store
