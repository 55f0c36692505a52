#include "formats/failure_json.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

namespace dmarc::formats {

namespace {

using json = nlohmann::ordered_json;

json opt(const OptString& value)
{
  return value ? json(*value) : json(nullptr);
}

json list(const std::vector<std::string>& items)
{
  json out = json::array();
  for (const std::string& item : items) {
    out.push_back(item);
  }
  return out;
}

std::string joined(const std::vector<std::string>& items, const char* separator = ",")
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

std::string dump(const json& j, int indent = -1)
{
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::string failure_message_id(const FailureReport& f)
{
  const OptString& id = f.sample_message_id ? f.sample_message_id : f.report_message_id;
  return id && !id->empty() ? "<" + *id + ">" : std::string();
}

std::string failure_authentication_mechanisms(const FailureReport& f)
{
  if (!f.identity_alignment || text::iequals(text::trim(*f.identity_alignment), "none")) {
    return {};
  }
  std::string out;
  for (char c : *f.identity_alignment) {
    if (c != ' ' && c != '\t') {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
  }
  return out;
}

std::string failure_to_jsonl(const FailureReport& f, int64_t id, int64_t time,
                             std::string_view domain)
{
  json sample = nullptr;
  if (f.sample_from || f.sample_to || f.sample_subject || f.sample_date || f.sample_message_id
      || !f.sample_headers.empty()) {
    sample = {
      {"headers_only", f.sample_headers_only},
      {"truncated", f.sample_truncated},
      {"from", opt(f.sample_from)},
      {"to", opt(f.sample_to)},
      {"subject", opt(f.sample_subject)},
      {"date", opt(f.sample_date)},
      {"message_id", opt(f.sample_message_id)},
      {"headers", f.sample_headers.empty() ? json(nullptr) : json(f.sample_headers)},
    };
  }
  const json line = {
    {"type", "failure"},
    {"id", id},
    {"time", text::format_iso_utc(time)},
    {"domain", domain.empty() ? json(nullptr) : json(std::string(domain))},
    {"reporter", f.reporter.empty() ? json(nullptr) : json(f.reporter)},
    {"format", f.format},
    {"feedback_type", f.feedback_type.empty() ? json(nullptr) : json(f.feedback_type)},
    {"user_agent", opt(f.user_agent)},
    {"version", opt(f.version)},
    {"original_envelope_id", opt(f.original_envelope_id)},
    {"original_mail_from", opt(f.original_mail_from)},
    {"original_rcpt_to", list(f.original_rcpt_to)},
    {"arrival_date", opt(f.arrival_date)},
    {"arrival_date_utc", f.arrival ? json(text::format_iso_utc(*f.arrival)) : json(nullptr)},
    {"reporting_mta", opt(f.reporting_mta)},
    {"source_ip", opt(f.source_ip)},
    {"authentication_results", list(f.authentication_results)},
    {"reported_domain", list(f.reported_domain)},
    {"reported_uri", list(f.reported_uri)},
    {"delivery_result", opt(f.delivery_result)},
    {"auth_failure", list(f.auth_failure)},
    {"dkim_domain", opt(f.dkim_domain)},
    {"dkim_identity", opt(f.dkim_identity)},
    {"dkim_selector", opt(f.dkim_selector)},
    {"spf_dns", list(f.spf_dns)},
    {"identity_alignment", opt(f.identity_alignment)},
    {"samples", to_string(f.samples)},
    {"sample", sample},
  };
  return dump(line);
}

std::string gelf_failure(const FailureReport& f, int64_t time, std::string_view domain,
                         std::string_view host, std::string_view row)
{
  json m = json::object();
  m["version"] = "1.1";
  m["host"] = host.empty() ? std::string("dmarcctl") : std::string(host);
  m["timestamp"] = time;
  m["level"] = 4;
  // Empty values are left out: GELF wants neither null nor empty fields.
  const auto text = [&m](const char* key, const std::string& value) {
    if (!value.empty()) {
      m[key] = value;
    }
  };
  const auto opt_text = [&text](const char* key, const OptString& value) {
    if (value) {
      text(key, *value);
    }
  };
  text("_report_type", "failure");
  text("_feedback_type", f.feedback_type);
  opt_text("_user_agent", f.user_agent);
  opt_text("_version", f.version);
  opt_text("_original_envelope_id", f.original_envelope_id);
  opt_text("_original_mail_from", f.original_mail_from);
  text("_original_rcpt_to", joined(f.original_rcpt_to));
  opt_text("_arrival_date", f.arrival_date);
  if (f.arrival) {
    text("_arrival_date_utc", text::format_iso_utc(*f.arrival));
  }
  opt_text("_subject", f.sample_subject);
  text("_message_id", failure_message_id(f));
  text("_authentication_results", joined(f.authentication_results, "; "));
  opt_text("_dkim_domain", f.dkim_domain);
  opt_text("_source_ip_address", f.source_ip);
  opt_text("_delivery_result", f.delivery_result);
  text("_auth_failure", joined(f.auth_failure));
  text("_reported_domain", domain.empty() ? joined(f.reported_domain) : std::string(domain));
  text("_authentication_mechanisms", failure_authentication_mechanisms(f));
  if (f.has_sample) {
    text("_sample_headers_only",
         f.sample_headers_only || f.samples != FailureSamples::full ? "true" : "false");
  }
  opt_text("_reporting_mta", f.reporting_mta);
  opt_text("_dkim_selector", f.dkim_selector);
  opt_text("_dkim_identity", f.dkim_identity);
  text("_spf_dns", joined(f.spf_dns));
  text("_reported_uri", joined(f.reported_uri));
  opt_text("_identity_alignment", f.identity_alignment);
  text("_reporter", f.reporter);
  text("_dmarcctl_row", std::string(row));
  std::string message = "DMARC failure report";
  if (!domain.empty()) {
    message += " for " + std::string(domain);
  }
  if (!f.auth_failure.empty()) {
    message += ": " + joined(f.auth_failure);
  }
  if (f.source_ip) {
    message += " from " + *f.source_ip;
  }
  m["short_message"] = message;
  return dump(m);
}

std::string failure_stats_to_json(const FailureStats& stats)
{
  json by_type = json::object();
  for (const FailureCount& c : stats.by_type) {
    by_type[c.key] = c.reports;
  }
  json by_source = json::object();
  for (const FailureCount& c : stats.by_source) {
    by_source[c.key] = c.reports;
  }
  json newest = json::array();
  for (const FailureSample& s : stats.newest) {
    newest.push_back({
      {"time", text::format_iso_utc(s.time)},
      {"source_ip", s.source_ip.empty() ? json(nullptr) : json(s.source_ip)},
      {"auth_failure", s.auth_failure.empty() ? json(nullptr) : json(s.auth_failure)},
      {"subject", opt(s.subject)},
      {"from", opt(s.from)},
    });
  }
  const json out = {{"reports", stats.reports},
                    {"by_auth_failure", by_type},
                    {"by_source", by_source},
                    {"newest", newest}};
  return dump(out);
}

} // namespace dmarc::formats
