#include "formats/export_json.hpp"

#include "core/text.hpp"
#include "formats/failure_json.hpp"

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
      // An empty element is null, as every optional one is (never "").
      dkim.push_back({{"domain", opt_text(d.domain)}, {"selector", opt_text(d.selector.value_or(""))},
                      {"result", opt_text(d.result)}});
    }
    json spf = json::array();
    for (const SpfResult& s : r.spf_results) {
      spf.push_back({{"domain", opt_text(s.domain)}, {"scope", opt_text(s.scope.value_or(""))},
                     {"result", opt_text(s.result)}});
    }
    records.push_back({
      {"source_ip", opt_text(r.source_ip)},
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
      {"policy_domain", opt_text(p.policy_domain)},   // null when a no-policy-found names none
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
    // Partial: policies that were invalid on their own were left out at import.
    {"partial", !report.skipped_policies.empty()},
    {"skipped_policies", report.skipped_policies},
  };
  return dump(line);
}

std::string summary_to_json(const Summary& summary)
{
  auto share = [](int64_t part, int64_t whole) {
    return whole > 0 ? json(static_cast<double>(part) / static_cast<double>(whole)) : json(nullptr);
  };
  auto day = [](int64_t d) { return text::format_date(d * 86400); };
  json domains = json::array();
  for (const DomainStats& d : summary.domains) {
    json reporters = json::array();
    for (const ReporterStats& r : d.reporters) {
      reporters.push_back({{"org_name", r.org_name}, {"reports", r.reports},
                           {"messages", r.messages}, {"days", r.days}});
    }
    json sources = json::array();
    for (const SourceStats& s : d.sources) {
      sources.push_back({
        {"ip", s.ip},
        {"reverse_dns", opt_text(s.reverse_dns)},
        {"messages", s.messages},
        {"dmarc_pass", s.dmarc_pass},
        {"dmarc_pass_share", share(s.dmarc_pass, s.messages)},
        {"dkim_aligned_share", share(s.dkim_aligned, s.messages)},
        {"spf_aligned_share", share(s.spf_aligned, s.messages)},
        {"forwarded", s.forwarded},
        {"first_seen", day(s.first_day)},
        {"last_seen", day(s.last_day)},
      });
    }
    json selectors = json::array();
    for (const SelectorStats& s : d.selectors) {
      selectors.push_back({{"selector", s.selector}, {"domain", s.dkim_domain},
                           {"messages", s.messages}, {"pass_share", share(s.pass, s.messages)},
                           {"aligned_pass_share", share(s.aligned_pass, s.messages)}});
    }
    json tls = json::array();
    for (const TlsPolicyStats& t : d.tls) {
      json failures = json::object();
      for (const TlsFailureDay& f : t.failures) {
        failures[f.result_type] = failures.value(f.result_type, int64_t{0}) + f.sessions;
      }
      tls.push_back({
        {"policy_type", t.policy_type},
        {"mode", opt_text(t.mode)},
        {"reports", t.reports},
        {"reporters", t.reporters},
        {"days", t.days},
        {"success", t.success},
        {"failure", t.failure},
        {"failure_share", share(t.failure, t.success + t.failure)},
        {"failures", std::move(failures)},
      });
    }
    json policy = nullptr;
    if (d.policy.known) {
      policy = {{"p", d.policy.p}, {"sp", opt(d.policy.sp)},
                {"pct", d.policy.pct ? json(*d.policy.pct) : json(nullptr)},
                {"testing", opt(d.policy.testing)}, {"since", day(d.policy.since_day)}};
    }
    json entry = {
      {"domain", d.domain},
      {"reports", d.reports},
      {"records", d.records},
      {"messages", d.messages},
      {"dmarc_pass", d.dmarc_pass},
      {"dmarc_pass_share", share(d.dmarc_pass, d.messages)},
      {"dkim_aligned", d.dkim_aligned},
      {"dkim_aligned_share", share(d.dkim_aligned, d.messages)},
      {"spf_aligned", d.spf_aligned},
      {"spf_aligned_share", share(d.spf_aligned, d.messages)},
      {"dispositions", {{"none", d.messages - d.quarantined - d.rejected},
                        {"quarantine", d.quarantined}, {"reject", d.rejected}}},
      {"days", d.days},
      {"first_date", d.reports > 0 ? json(text::format_date(d.first_begin)) : json(nullptr)},
      {"last_date", d.reports > 0 ? json(text::format_date(d.last_end)) : json(nullptr)},
      {"policy", std::move(policy)},
      {"reporters", std::move(reporters)},
      {"source_count", d.source_count},
      {"sources", std::move(sources)},
      {"selectors", std::move(selectors)},
      {"tls", std::move(tls)},
      {"failure_reports", json::parse(failure_stats_to_json(d.failures))},
    };
    domains.push_back(std::move(entry));
  }
  json doc = {
    {"since", text::format_date(summary.since)},
    {"until", text::format_date(summary.until - 1)},
    {"domains", std::move(domains)},
  };
  return dump(doc, 2) + "\n";
}

} // namespace dmarc::formats
