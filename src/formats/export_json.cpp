#include "formats/export_json.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

namespace dmarc::formats {

namespace {

using json = nlohmann::ordered_json;

json opt(const OptString& value)
{
  return value ? json(*value) : json(nullptr);
}

json opt_text(const std::string& value)
{
  return value.empty() ? json(nullptr) : json(value);
}

// Strings are sanitised at parse time; dump() must never throw on stored bytes either.
std::string dump(const json& j, int indent = -1)
{
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::string to_jsonl(const AggregateReport& report)
{
  const PolicyPublished& p = report.policy;
  json policy = {
    {"p", opt_text(p.p)}, {"sp", opt(p.sp)}, {"np", opt(p.np)},
    {"pct", p.pct ? json(*p.pct) : json(nullptr)}, {"adkim", opt(p.adkim)},
    {"aspf", opt(p.aspf)}, {"fo", opt(p.fo)}, {"testing", opt(p.testing)},
  };
  json records = json::array();
  for (const AggregateRecord& r : report.records) {
    json dkim = json::array();
    for (const DkimResult& d : r.dkim_results) {
      dkim.push_back({{"domain", d.domain}, {"selector", opt(d.selector)}, {"result", d.result}});
    }
    json spf = json::array();
    for (const SpfResult& s : r.spf_results) {
      spf.push_back({{"domain", s.domain}, {"scope", opt(s.scope)}, {"result", s.result}});
    }
    records.push_back({
      {"source_ip", r.source_ip},
      {"count", r.count},
      {"disposition", opt_text(r.disposition)},
      {"dkim", opt_text(r.dkim)},
      {"spf", opt_text(r.spf)},
      {"header_from", opt_text(r.header_from)},
      {"envelope_from", opt(r.envelope_from)},
      {"envelope_to", opt(r.envelope_to)},
      {"dkim_aligned", r.dkim_aligned},
      {"spf_aligned", r.spf_aligned},
      {"dmarc_aligned", r.dmarc_aligned},
      {"auth_results", {{"dkim", std::move(dkim)}, {"spf", std::move(spf)}}},
    });
  }
  json line = {
    {"type", "dmarc"},
    {"org_name", report.org_name},
    {"report_id", report.report_id},
    {"domain", p.domain},
    {"begin", report.begin},
    {"end", report.end},
    {"policy", std::move(policy)},
    {"records", std::move(records)},
  };
  return dump(line);
}

std::string to_jsonl(const TlsReport& report)
{
  json policies = json::array();
  for (const TlsPolicy& p : report.policies) {
    json failures = json::array();
    for (const TlsFailureDetail& f : p.failures) {
      failures.push_back({
        {"result_type", f.result_type},
        {"sending_mta_ip", opt(f.sending_mta_ip)},
        {"receiving_mx_hostname", opt(f.receiving_mx_hostname)},
        {"receiving_ip", opt(f.receiving_ip)},
        {"failed_session_count", f.failed_session_count},
        {"failure_reason_code", opt(f.failure_reason_code)},
      });
    }
    policies.push_back({
      {"policy_type", p.policy_type},
      {"policy_domain", p.policy_domain},
      {"mx_hosts", p.mx_hosts.empty() ? json(nullptr) : json(p.mx_hosts)},
      {"success", p.successful_sessions},
      {"failure", p.failed_sessions},
      {"failure_details", std::move(failures)},
    });
  }
  json line = {
    {"type", "tlsrpt"},
    {"org_name", report.org_name},
    {"report_id", report.report_id},
    {"domain", opt_text(report.domain())},
    {"begin", report.begin},
    {"end", report.end},
    {"policies", std::move(policies)},
  };
  return dump(line);
}

std::string summary_to_json(const Summary& summary)
{
  json domains = json::array();
  for (const DomainSummary& d : summary.domains) {
    json entry = {
      {"domain", d.domain},
      {"reports", d.reports},
      {"records", d.records},
      {"messages", d.messages},
      {"dmarc_pass", d.dmarc_pass},
      {"dmarc_pass_share", d.messages > 0 ? json(static_cast<double>(d.dmarc_pass)
                                                 / static_cast<double>(d.messages))
                                          : json(nullptr)},
      {"reporters", d.reporters},
      {"first_begin", d.first_begin},
      {"last_end", d.last_end},
      {"first_date", text::format_date(d.first_begin)},
      {"last_date", text::format_date(d.last_end)},
      {"tls", {{"reports", d.tls_reports}, {"success", d.tls_success}, {"failure", d.tls_failure}}},
    };
    domains.push_back(std::move(entry));
  }
  json doc = {
    {"since", text::format_date(summary.since)},
    {"until", text::format_date(summary.until)},
    {"domains", std::move(domains)},
  };
  return dump(doc, 2) + "\n";
}

} // namespace dmarc::formats
