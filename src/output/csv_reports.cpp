// The TLS and failure report CSVs of `export --type tls|failure`, with parsedmarc's column
// names and order (parsed_smtp_tls_reports_to_csv, parsed_forensic_reports_to_csv), times as
// ISO 8601 UTC with their zone ("2024-01-01T00:00:00Z"). Pure.
#include "output/csv.hpp"

#include "core/text.hpp"

#include <array>

namespace dmarc::output {

namespace {

constexpr std::array<std::string_view, 17> k_tls_columns = {
  "organization_name", "begin_date", "end_date", "report_id", "result_type",
  "successful_session_count", "failed_session_count", "policy_domain", "policy_type",
  "policy_strings", "mx_host_patterns", "sending_mta_ip", "receiving_ip",
  "receiving_mx_hostname", "receiving_mx_helo", "additional_info_uri", "failure_reason_code"};

constexpr std::array<std::string_view, 23> k_failure_columns = {
  "feedback_type", "user_agent", "version", "original_envelope_id", "original_mail_from",
  "original_rcpt_to", "arrival_date", "arrival_date_utc", "subject", "message_id",
  "authentication_results", "dkim_domain", "source_ip_address", "source_country",
  "source_reverse_dns", "source_base_domain", "source_name", "source_type", "delivery_result",
  "auth_failure", "reported_domain", "authentication_mechanisms", "sample_headers_only"};

class Line
{
public:
  void add(std::string_view value)
  {
    if (m_fields++ > 0) {
      m_line += ',';
    }
    m_line += csv_field(value);
  }
  void add(const std::string& value) { add(std::string_view(value)); }
  void add(const char* value) { add(std::string_view(value)); }
  void add(const OptString& value) { add(value ? std::string_view(*value) : std::string_view()); }
  std::string finish() { return std::move(m_line) + "\r\n"; }

private:
  std::string m_line;
  int m_fields = 0;
};

template <std::size_t N>
std::string header_of(const std::array<std::string_view, N>& columns)
{
  Line line;
  for (const std::string_view c : columns) {
    line.add(c);
  }
  return line.finish();
}

std::string joined(const std::vector<std::string>& items, const char* separator)
{
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) {
      out += separator;
    }
    out += item;
  }
  return out;
}

} // namespace

std::string tls_csv_header() { return header_of(k_tls_columns); }

std::string tls_csv_rows(const TlsReport& report)
{
  const std::string begin = text::format_iso_utc(report.begin);
  const std::string end = text::format_iso_utc(report.end);
  std::string out;
  for (const TlsPolicy& p : report.policies) {
    const std::string strings = joined(p.policy_string, "|");
    const std::string mx = joined(p.mx_hosts, "|");
    const auto common = [&](Line& line) {
      line.add(report.org_name);
      line.add(begin);
      line.add(end);
      line.add(report.report_id);
    };
    const auto policy = [&](Line& line) {
      line.add(p.policy_domain);
      line.add(p.policy_type);
      line.add(strings);
      line.add(mx);
    };
    Line row;
    common(row);
    row.add(std::string_view());                          // result_type
    row.add(std::to_string(p.successful_sessions));
    row.add(std::string_view());                          // failed_session_count: per detail
    policy(row);
    for (int i = 0; i < 6; ++i) {
      row.add(std::string_view());
    }
    out += row.finish();
    for (const TlsFailureDetail& d : p.failures) {
      Line f;
      common(f);
      f.add(d.result_type);
      f.add(std::string_view());                          // successful_session_count
      f.add(std::to_string(d.failed_session_count));
      policy(f);
      f.add(d.sending_mta_ip);
      f.add(d.receiving_ip);
      f.add(d.receiving_mx_hostname);
      f.add(d.receiving_mx_helo);
      f.add(d.additional_information);
      f.add(d.failure_reason_code);
      out += f.finish();
    }
  }
  return out;
}

std::string failure_csv_header() { return header_of(k_failure_columns); }

std::string failure_csv_row(const FailureReport& f, int64_t time)
{
  Line row;
  row.add(f.feedback_type);
  row.add(f.user_agent);
  row.add(f.version);
  row.add(f.original_envelope_id);
  row.add(f.original_mail_from);
  row.add(joined(f.original_rcpt_to, ","));
  row.add(f.arrival_date);
  row.add(text::format_iso_utc(f.arrival ? *f.arrival : time));
  row.add(f.sample_subject);
  const OptString& id = f.sample_message_id ? f.sample_message_id : f.report_message_id;
  row.add(id && !id->empty() ? "<" + *id + ">" : std::string());
  row.add(joined(f.authentication_results, "; "));
  row.add(f.dkim_domain);
  row.add(f.source_ip);
  for (int i = 0; i < 5; ++i) {
    row.add(std::string_view()); // country, reverse DNS, base domain, name, type: not known here
  }
  row.add(f.delivery_result);
  row.add(joined(f.auth_failure, ","));
  row.add(joined(f.reported_domain, ","));
  std::string mechanisms;
  if (f.identity_alignment && !text::iequals(text::trim(*f.identity_alignment), "none")) {
    for (char c : *f.identity_alignment) {
      if (c != ' ' && c != '\t') {
        mechanisms += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      }
    }
  }
  row.add(mechanisms);
  row.add(f.sample_headers_only || f.samples != FailureSamples::full ? "True" : "False");
  return row.finish();
}

} // namespace dmarc::output
