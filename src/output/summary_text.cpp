#include "output/summary_text.hpp"

#include "core/text.hpp"

#include <cstdio>

namespace dmarc::output {

namespace {
std::string percent(int64_t part, int64_t whole)
{
  if (whole <= 0) {
    return "-";
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part)
                                             / static_cast<double>(whole));
  return buf;
}
} // namespace

std::string summary_text(const Summary& summary)
{
  std::string out = "Reports from " + text::format_date(summary.since) + " to "
                    + text::format_date(summary.until) + "\n";
  if (summary.domains.empty()) {
    out += "\nNo reports in this period.\n";
    return out;
  }
  for (const DomainSummary& d : summary.domains) {
    out += "\n" + d.domain + "\n";
    char line[160];
    if (d.reports > 0) {
      std::snprintf(line, sizeof line,
                    "  DMARC    %lld report%s from %lld reporter%s, %lld message%s, %s pass DMARC\n",
                    static_cast<long long>(d.reports), d.reports == 1 ? "" : "s",
                    static_cast<long long>(d.reporters), d.reporters == 1 ? "" : "s",
                    static_cast<long long>(d.messages), d.messages == 1 ? "" : "s",
                    percent(d.dmarc_pass, d.messages).c_str());
      out += line;
    }
    if (d.tls_reports > 0) {
      std::snprintf(line, sizeof line,
                    "  TLS-RPT  %lld report%s, %lld sessions, %s failed\n",
                    static_cast<long long>(d.tls_reports), d.tls_reports == 1 ? "" : "s",
                    static_cast<long long>(d.tls_success + d.tls_failure),
                    percent(d.tls_failure, d.tls_success + d.tls_failure).c_str());
      out += line;
    }
    out += "  Period   " + text::format_date(d.first_begin) + " to " + text::format_date(d.last_end)
           + "\n";
  }
  return out;
}

} // namespace dmarc::output
