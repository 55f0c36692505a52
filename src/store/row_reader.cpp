#include "store/row_reader.hpp"

namespace dmarc::store {

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

void read_report_columns(const Statement& s, int first, AggregateReport& r)
{
  int c = first;
  r.org_name = s.column_text(c++);
  r.email = s.column_opt_text(c++);
  r.extra_contact_info = s.column_opt_text(c++);
  r.report_id = s.column_text(c++);
  r.policy.domain = s.column_text(c++);
  r.begin = s.column_int(c++);
  r.end = s.column_int(c++);
  r.version = s.column_opt_text(c++);
  r.xml_namespace = s.column_text(c++);
  r.generator = s.column_opt_text(c++);
  if (auto errors = s.column_opt_text(c++)) {
    r.errors = split(*errors, '\n');
  }
  r.policy.adkim = s.column_opt_text(c++);
  r.policy.aspf = s.column_opt_text(c++);
  r.policy.p = s.column_text(c++);
  r.policy.sp = s.column_opt_text(c++);
  r.policy.np = s.column_opt_text(c++);
  r.policy.pct = s.column_opt_int(c++);
  r.policy.fo = s.column_opt_text(c++);
  r.policy.testing = s.column_opt_text(c++);
  r.policy.discovery_method = s.column_opt_text(c++);
  r.recovered = s.column_int(c) != 0;
}

void read_record_columns(const Statement& s, int first, AggregateRecord& r)
{
  int c = first;
  r.source_ip = s.column_text(c++);
  r.count = to_count(s.column_int(c++));
  r.disposition = s.column_text(c++);
  r.dkim = s.column_text(c++);
  r.spf = s.column_text(c++);
  r.header_from = s.column_text(c++);
  r.envelope_from = s.column_opt_text(c++);
  r.envelope_to = s.column_opt_text(c++);
  r.dkim_aligned = s.column_int(c++) != 0;
  r.spf_aligned = s.column_int(c++) != 0;
  r.dmarc_aligned = s.column_int(c) != 0;
}

void add_auth_result(const Statement& s, AggregateRecord& r)
{
  if (s.column_text(1) == "dkim") {
    DkimResult d;
    d.domain = s.column_text(2);
    d.selector = s.column_opt_text(3);
    d.result = s.column_text(5);
    d.human_result = s.column_opt_text(6);
    d.aligned = s.column_int(7) != 0;
    r.dkim_results.push_back(std::move(d));
  } else {
    SpfResult sr;
    sr.domain = s.column_text(2);
    sr.scope = s.column_opt_text(4);
    sr.result = s.column_text(5);
    sr.human_result = s.column_opt_text(6);
    sr.aligned = s.column_int(7) != 0;
    r.spf_results.push_back(std::move(sr));
  }
}

void add_reason(const Statement& s, AggregateRecord& r)
{
  r.reasons.push_back(PolicyOverrideReason{s.column_text(1), s.column_opt_text(2)});
}

TlsPolicy read_policy_columns(const Statement& s, int first)
{
  TlsPolicy p;
  int c = first;
  p.policy_type = s.column_text(c++);
  if (auto strings = s.column_opt_text(c++)) {
    p.policy_string = split(*strings, '\n');
  }
  p.policy_domain = s.column_text(c++);
  if (auto hosts = s.column_opt_text(c++); hosts && !hosts->empty()) {
    p.mx_hosts = split(*hosts, ',');
  }
  p.successful_sessions = to_count(s.column_int(c++));
  p.failed_sessions = to_count(s.column_int(c));
  return p;
}

} // namespace dmarc::store
