// GELF 1.1 encoding (see gelf.hpp for the why). The JSON is flat, so it is written directly:
// keys are fixed literals that already match ^_[A-Za-z0-9_.-]+$, values go through
// append_json_string (RFC 8259 §7 escaping) or std::to_chars.
#include "formats/gelf.hpp"

#include "core/json_text.hpp"
#include "core/text.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <set>

namespace dmarc::formats {

namespace {

constexpr int k_level_info = 6;
constexpr int k_level_warning = 4;






// Writes one flat JSON object. Empty strings and absent values are left out, as GELF
// wants neither null nor meaningless empty fields.
class Fields
{
public:
  explicit Fields(std::string& out) : m_out(out) {}

  // Continues an object whose opening (and at least one field) is already in `out`.
  static Fields continuing(std::string& out)
  {
    Fields f(out);
    f.m_first = false;
    return f;
  }

  void open() { m_out += '{'; }
  void close() { m_out += '}'; }

  void text(std::string_view key, std::string_view value)
  {
    if (value.empty()) {
      return;
    }
    name(key);
    append_json_string(m_out, value);
  }
  void opt(std::string_view key, const OptString& value)
  {
    if (value) {
      text(key, std::string_view(*value));
    }
  }
  void number(std::string_view key, int64_t value)
  {
    name(key);
    json_text::append_number(m_out, value);
  }
  void number(std::string_view key, uint64_t value)
  {
    name(key);
    json_text::append_number(m_out, value);
  }
  void number(std::string_view key, double value)
  {
    if (!std::isfinite(value)) {
      return;
    }
    name(key);
    json_text::append_number(m_out, value);
  }
  void flag(std::string_view key, bool value) { text(key, value ? "true" : "false"); }

  // version, host, timestamp, level: the GELF 1.1 header.
  void header(std::string_view host, int64_t timestamp, int level)
  {
    text("version", "1.1");
    text("host", host.empty() ? std::string_view("dmarcctl") : host);
    number("timestamp", timestamp);
    number("level", static_cast<int64_t>(level));
  }

private:
  void name(std::string_view key)
  {
    if (!m_first) {
      m_out += ',';
    }
    m_first = false;
    m_out += '"';
    m_out += key;
    m_out += "\":";
  }

  std::string& m_out;
  bool m_first = true;
};

// Items joined with `separator`, each through `field`, empty items kept (as parsedmarc).
template <typename T, typename F>
std::string join(const std::vector<T>& items, std::string_view separator, F field)
{
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += field(items[i]);
  }
  return out;
}

// "mx1.example.com" or "mx1.example.com (203.0.113.25)": where a TLS failure happened.
std::string receiving_side(const TlsFailureDetail& f)
{
  std::string where = f.receiving_mx_hostname.value_or("");
  if (f.receiving_ip && !f.receiving_ip->empty()) {
    where += where.empty() ? *f.receiving_ip : " (" + *f.receiving_ip + ")";
  }
  return where;
}

// The fields parsedmarc's SMTP TLS rows share: report and policy identity.
void tls_common(Fields& f, const TlsReport& report, const TlsPolicy& policy)
{
  f.text("_report_type", "smtp_tls");
  f.text("_organization_name", report.org_name);
  f.opt("_contact_info", report.contact_info);
  f.text("_report_id", report.report_id);
  f.number("_begin_date", report.begin);   // times are numbers (issue #6), Unix seconds
  f.number("_end_date", report.end);
  f.text("_policy_domain", policy.policy_domain);
  f.text("_policy_type", policy.policy_type);
  f.text("_policy_strings", join(policy.policy_string, "|", [](const std::string& s) { return s; }));
  f.text("_mx_host_patterns", join(policy.mx_hosts, "|", [](const std::string& s) { return s; }));
}

std::string plural(uint64_t n, const char* word)
{
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

} // namespace

void append_json_string(std::string& out, std::string_view s)
{
  json_text::append_string(out, s);
}

std::string gelf_aggregate_report_fields(const AggregateReport& report, std::string_view host)
{
  std::string out;
  out.reserve(512);
  Fields f(out);
  f.open();
  f.header(host, report.begin, k_level_info);
  const PolicyPublished& p = report.policy;
  f.text("_report_type", "aggregate");
  f.text("_xml_schema", report.version ? std::string_view(*report.version) : "draft");
  f.text("_org_name", report.org_name);
  f.opt("_org_email", report.email);
  f.opt("_org_extra_contact_info", report.extra_contact_info);
  f.text("_report_id", report.report_id);
  // Times are numbers (issue #6: "counts and times as numbers"), Unix seconds like
  // `timestamp`, so Graylog can range-query them; export --format csv has the text form.
  f.number("_begin_date", report.begin);
  f.number("_end_date", report.end);
  f.text("_errors", join(report.errors, "|", [](const std::string& e) { return e; }));
  f.text("_domain", p.domain);
  f.opt("_adkim", p.adkim);
  f.opt("_aspf", p.aspf);
  f.text("_p", p.p);
  f.opt("_sp", p.sp);
  f.opt("_np", p.np);
  if (p.pct) {
    f.number("_pct", *p.pct);
  }
  f.opt("_fo", p.fo);
  f.opt("_testing", p.testing);
  f.opt("_discovery_method", p.discovery_method);
  return out;
}

void append_gelf_aggregate(std::string& out, std::string_view report_fields,
                           const AggregateReport& report, const AggregateRecord& r,
                           const SourceInfo& source, std::string_view row)
{
  out += report_fields;
  Fields f = Fields::continuing(out);
  f.text("_source_ip_address", r.source_ip);
  f.opt("_source_reverse_dns", source.reverse_dns);
  f.opt("_source_base_domain", source.base_domain);
  f.opt("_source_name", source.name);
  f.opt("_source_type", source.type);
  f.number("_count", r.count);
  f.flag("_spf_aligned", r.spf_aligned);
  f.flag("_dkim_aligned", r.dkim_aligned);
  f.flag("_dmarc_aligned", r.dmarc_aligned);
  f.text("_disposition", r.disposition);
  if (!r.reasons.empty()) {
    f.text("_policy_override_reasons", join(r.reasons, ",", [](const PolicyOverrideReason& x) {
             return x.type.empty() ? std::string("none") : x.type;
           }));
    f.text("_policy_override_comments", join(r.reasons, "|", [](const PolicyOverrideReason& x) {
             return x.comment && !x.comment->empty() ? *x.comment : std::string("none");
           }));
  }
  f.opt("_envelope_from", r.envelope_from);
  f.text("_header_from", r.header_from);
  f.opt("_envelope_to", r.envelope_to);
  if (!r.dkim_results.empty()) {
    f.text("_dkim_domains",
           join(r.dkim_results, ",", [](const DkimResult& d) { return text::to_lower(d.domain); }));
    // One item per result, "" for a result without selector, so the n-th selector stays
    // the n-th domain's (as the SPF scopes).
    f.text("_dkim_selectors", join(r.dkim_results, ",", [](const DkimResult& d) {
             return text::to_lower(d.selector.value_or(""));
           }));
    f.text("_dkim_results", join(r.dkim_results, ",", [](const DkimResult& d) { return d.result; }));
  }
  if (!r.spf_results.empty()) {
    f.text("_spf_domains",
           join(r.spf_results, ",", [](const SpfResult& s) { return text::to_lower(s.domain); }));
    f.text("_spf_scopes",
           join(r.spf_results, ",", [](const SpfResult& s) { return s.scope.value_or(""); }));
    f.text("_spf_results", join(r.spf_results, ",", [](const SpfResult& s) { return s.result; }));
  }
  f.text("_dmarcctl_row", row);

  std::string message = "DMARC ";
  message += r.dmarc_aligned ? "pass " : "fail ";
  message += r.header_from.empty() ? report.policy.domain : r.header_from;
  message += ": " + plural(r.count, "message") + " from " + r.source_ip;
  if (!r.disposition.empty()) {
    message += ", disposition " + r.disposition;
  }
  if (!report.org_name.empty()) {
    message += " (reported by " + report.org_name + ")";
  }
  f.text("short_message", message);
  f.close();
}

std::string gelf_aggregate(const AggregateReport& report, const AggregateRecord& record,
                           const SourceInfo& source, std::string_view host, std::string_view row)
{
  std::string out;
  append_gelf_aggregate(out, gelf_aggregate_report_fields(report, host), report, record, source,
                        row);
  return out;
}

void append_gelf_tls_policy(std::string& out, const TlsReport& report, const TlsPolicy& policy,
                            std::string_view host, std::string_view row)
{
  Fields f(out);
  f.open();
  f.header(host, report.begin, k_level_info);
  tls_common(f, report, policy);
  f.number("_successful_session_count", policy.successful_sessions);
  f.number("_failed_session_count", policy.failed_sessions);
  f.text("_dmarcctl_row", row);
  std::string message = "TLS-RPT " + policy.policy_domain + " " + policy.policy_type + ": "
                        + std::to_string(policy.successful_sessions) + " successful, "
                        + std::to_string(policy.failed_sessions) + " failed sessions";
  if (!report.org_name.empty()) {
    message += " (reported by " + report.org_name + ")";
  }
  f.text("short_message", message);
  f.close();
}

std::string gelf_tls_policy(const TlsReport& report, const TlsPolicy& policy,
                            std::string_view host, std::string_view row)
{
  std::string out;
  append_gelf_tls_policy(out, report, policy, host, row);
  return out;
}

void append_gelf_tls_failure(std::string& out, const TlsReport& report, const TlsPolicy& policy,
                             const TlsFailureDetail& d, std::string_view host,
                             std::string_view row)
{
  Fields f(out);
  f.open();
  f.header(host, report.begin, k_level_warning);
  tls_common(f, report, policy);
  f.text("_result_type", d.result_type);
  f.opt("_sending_mta_ip", d.sending_mta_ip);
  f.opt("_receiving_ip", d.receiving_ip);
  f.opt("_receiving_mx_hostname", d.receiving_mx_hostname);
  f.opt("_receiving_mx_helo", d.receiving_mx_helo);
  f.opt("_additional_info_uri", d.additional_information);
  f.opt("_failure_reason_code", d.failure_reason_code);
  f.number("_failed_session_count", d.failed_session_count);
  f.text("_dmarcctl_row", row);
  std::string message = "TLS-RPT failure " + policy.policy_domain + ": "
                        + (d.result_type.empty() ? std::string("unknown") : d.result_type) + ", "
                        + plural(d.failed_session_count, "session");
  if (d.sending_mta_ip && !d.sending_mta_ip->empty()) {
    message += " from " + *d.sending_mta_ip;
  }
  if (const std::string where = receiving_side(d); !where.empty()) {
    message += " to " + where;
  }
  f.text("short_message", message);
  f.close();
}

std::string gelf_tls_failure(const TlsReport& report, const TlsPolicy& policy,
                             const TlsFailureDetail& failure, std::string_view host,
                             std::string_view row)
{
  std::string out;
  append_gelf_tls_failure(out, report, policy, failure, host, row);
  return out;
}

std::string gelf_advice(const Finding& finding, std::string_view host, std::string_view row)
{
  static const std::set<std::string, std::less<>> k_fixed = {
    "_report_type", "_domain", "_check", "_verdict", "_record", "_id", "_dmarcctl_row"};
  std::string out;
  Fields f(out);
  f.open();
  f.header(host, finding.as_of, finding.warning ? k_level_warning : k_level_info);
  f.text("_report_type", "advice");
  f.text("_domain", finding.domain);
  f.text("_check", finding.check);
  f.text("_verdict", finding.verdict);
  f.text("_record", finding.record);
  std::set<std::string, std::less<>> used;
  for (const auto& [raw_name, value] : finding.numbers) {
    std::string name = "_";
    for (char c : raw_name) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                      || c == '_' || c == '.' || c == '-';
      name += ok ? c : '_';
    }
    if (name.size() == 1 || k_fixed.count(name) > 0) {
      name = "_evidence" + (name.size() == 1 ? std::string("_") : name);
    }
    if (!used.insert(name).second) {
      continue; // the first value of a name wins; JSON keys must be unique
    }
    f.number(name, value);
  }
  f.text("_dmarcctl_row", row);
  std::string message = finding.message;
  if (message.empty()) {
    message = finding.check + " " + finding.domain + ": " + finding.verdict;
  }
  f.text("short_message", message);
  f.close();
  return out;
}

} // namespace dmarc::formats
