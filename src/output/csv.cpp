#include "output/csv.hpp"

#include "core/text.hpp"

#include <array>
#include <cstdio>

namespace dmarc::output {

namespace {

// parsedmarc's aggregate CSV columns, in its order.
constexpr std::array<std::string_view, 44> k_columns = {
  "xml_schema", "org_name", "org_email", "org_extra_contact_info", "report_id", "begin_date",
  "end_date", "normalized_timespan", "errors", "domain", "adkim", "aspf", "p", "sp", "np", "pct",
  "fo", "testing", "discovery_method", "source_ip_address", "source_country",
  "source_reverse_dns", "source_base_domain", "source_name", "source_type", "source_asn",
  "source_as_name", "source_as_domain", "count", "spf_aligned", "dkim_aligned", "dmarc_aligned",
  "disposition", "policy_override_reasons", "policy_override_comments", "envelope_from",
  "header_from", "envelope_to", "dkim_domains", "dkim_selectors", "dkim_results", "spf_domains",
  "spf_scopes", "spf_results"};

class Row
{
public:
  void add(std::string_view value)
  {
    if (!m_line.empty() || m_fields > 0) {
      m_line += ',';
    }
    m_line += csv_field(value);
    ++m_fields;
  }
  void add(const std::string& value) { add(std::string_view(value)); }
  void add(const char* value) { add(std::string_view(value)); }
  void add(const OptString& value) { add(value ? std::string_view(*value) : std::string_view()); }
  std::string finish() { return std::move(m_line) + "\r\n"; }

private:
  std::string m_line;
  int m_fields = 0;
};

const char* flag(bool value) { return value ? "True" : "False"; }

template <typename T, typename F>
std::string join(const std::vector<T>& items, const char* separator, F field)
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

} // namespace

std::string csv_field(std::string_view field)
{
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(field);
  }
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string aggregate_csv_header()
{
  Row row;
  for (std::string_view column : k_columns) {
    row.add(column);
  }
  return row.finish();
}

std::string aggregate_csv_rows(const AggregateReport& report)
{
  const PolicyPublished& p = report.policy;
  const std::string schema = report.version ? *report.version : "draft";
  // ISO 8601 with the zone: the times are UTC, and the cell says so.
  const std::string begin = text::format_iso_utc(report.begin);
  const std::string end = text::format_iso_utc(report.end);
  std::string errors;
  for (const std::string& e : report.errors) {
    errors += (errors.empty() ? "" : "|") + e;
  }
  std::string out;
  for (const AggregateRecord& r : report.records) {
    Row row;
    row.add(schema);
    row.add(report.org_name);
    row.add(report.email);
    row.add(report.extra_contact_info);
    row.add(report.report_id);
    row.add(begin);
    row.add(end);
    row.add("False");
    row.add(errors);
    row.add(p.domain);
    row.add(p.adkim);
    row.add(p.aspf);
    row.add(p.p);
    row.add(p.sp);
    row.add(p.np);
    row.add(p.pct ? std::to_string(*p.pct) : std::string());
    row.add(p.fo);
    row.add(p.testing);
    row.add(p.discovery_method);
    row.add(r.source_ip);
    for (int i = 0; i < 8; ++i) {
      row.add(std::string_view()); // country, reverse DNS, base domain, name, type, ASN...
    }
    row.add(std::to_string(r.count));
    row.add(flag(r.spf_aligned));
    row.add(flag(r.dkim_aligned));
    row.add(flag(r.dmarc_aligned));
    row.add(r.disposition);
    row.add(join(r.reasons, ",", [](const PolicyOverrideReason& x) {
      return x.type.empty() ? std::string("none") : x.type;
    }));
    row.add(join(r.reasons, "|", [](const PolicyOverrideReason& x) {
      return x.comment && !x.comment->empty() ? *x.comment : std::string("none");
    }));
    row.add(r.envelope_from);
    row.add(r.header_from);
    row.add(r.envelope_to);
    row.add(join(r.dkim_results, ",", [](const DkimResult& d) { return text::to_lower(d.domain); }));
    // One item per result, "" for a result without selector: the n-th selector stays the
    // n-th domain's (as the SPF scopes).
    row.add(join(r.dkim_results, ",", [](const DkimResult& d) {
      return text::to_lower(d.selector.value_or(""));
    }));
    row.add(join(r.dkim_results, ",", [](const DkimResult& d) { return d.result; }));
    row.add(join(r.spf_results, ",", [](const SpfResult& s) { return text::to_lower(s.domain); }));
    row.add(join(r.spf_results, ",", [](const SpfResult& s) { return s.scope.value_or(""); }));
    row.add(join(r.spf_results, ",", [](const SpfResult& s) { return s.result; }));
    out += row.finish();
  }
  return out;
}

std::string summary_csv(const Summary& summary)
{
  std::string out = "domain,reports,records,messages,dmarc_pass,dmarc_pass_share,dkim_aligned,"
                    "dkim_aligned_share,spf_aligned,spf_aligned_share,quarantined,rejected,"
                    "reporters,days,sources,first_date,last_date,policy,tls_success,tls_failure"
                    "\r\n";
  auto share = [](int64_t part, int64_t whole) {
    char buf[32] = "";
    if (whole > 0) {
      std::snprintf(buf, sizeof buf, "%.4f", static_cast<double>(part) / static_cast<double>(whole));
    }
    return std::string(buf);
  };
  for (const DomainStats& d : summary.domains) {
    int64_t tls_success = 0;
    int64_t tls_failure = 0;
    for (const TlsPolicyStats& t : d.tls) {
      tls_success += t.success;
      tls_failure += t.failure;
    }
    std::string policy;
    if (d.policy.known) {
      policy = "p=" + d.policy.p;
      if (d.policy.pct && *d.policy.pct < 100) {
        policy += " pct=" + std::to_string(*d.policy.pct);
      }
      if (d.policy.testing && *d.policy.testing == "y") {
        policy += " t=y";
      }
    }
    Row row;
    row.add(d.domain);
    row.add(std::to_string(d.reports));
    row.add(std::to_string(d.records));
    row.add(std::to_string(d.messages));
    row.add(std::to_string(d.dmarc_pass));
    row.add(share(d.dmarc_pass, d.messages));
    row.add(std::to_string(d.dkim_aligned));
    row.add(share(d.dkim_aligned, d.messages));
    row.add(std::to_string(d.spf_aligned));
    row.add(share(d.spf_aligned, d.messages));
    row.add(std::to_string(d.quarantined));
    row.add(std::to_string(d.rejected));
    row.add(std::to_string(d.reporters.size()));
    row.add(std::to_string(d.days));
    row.add(std::to_string(d.source_count));
    row.add(d.reports > 0 ? text::format_date(d.first_begin) : std::string());
    row.add(d.reports > 0 ? text::format_date(d.last_end) : std::string());
    row.add(policy);
    row.add(std::to_string(tls_success));
    row.add(std::to_string(tls_failure));
    out += row.finish();
  }
  return out;
}

} // namespace dmarc::output
