#include "output/summary_text.hpp"

#include "core/text.hpp"
#include "output/text_layout.hpp"

#include <cstdio>
#include <map>

namespace dmarc::output {

namespace {

std::string share(int64_t part, int64_t whole)
{
  return whole > 0 ? percent(static_cast<double>(part) / static_cast<double>(whole)) : "-";
}

// "  LABEL        value" rows of the per domain block.
std::string row(const std::string& label, const std::string& value)
{
  return fit("  " + pad_right(label, 13) + value, 80) + "\n";
}

// A row of a table: `label` in 35 columns, then `columns` (up to 78 in all). A longer label
// (an IPv6 address, a reverse DNS name, a long reporter name) gets a line of its own, so an
// address is never cut short; the numbers follow on the next line.
std::string table_row(const std::string& raw_label, const std::string& columns)
{
  const std::string label = text::printable(raw_label); // a name from a report: one line
  if (width(label) <= 35) {
    return "    " + pad_right(label, 35) + columns + "\n";
  }
  return "    " + fit(label, 76) + "\n    " + pad_right("", 35) + columns + "\n";
}

void sources_block(const DomainStats& d, std::string& out)
{
  if (d.sources.empty()) {
    return;
  }
  std::string head = "Top sources";
  if (d.source_count > static_cast<int64_t>(d.sources.size())) {
    head += " (" + thousands(static_cast<int64_t>(d.sources.size())) + " of "
            + thousands(d.source_count) + ")";
  }
  // 4 + 35 label + 15 messages + 3 × 8 shares = 78 columns.
  out += "  " + pad_right(head, 37) + pad_left("messages", 15) + pad_left("DMARC", 8)
         + pad_left("DKIM", 8) + pad_left("SPF", 8) + "\n";
  for (const SourceStats& s : d.sources) {
    std::string label = s.ip;
    if (!s.reverse_dns.empty()) {
      label += " " + s.reverse_dns;
    }
    out += table_row(label, pad_left(thousands(s.messages), 15)
                              + pad_left(share(s.dmarc_pass, s.messages), 8)
                              + pad_left(share(s.dkim_aligned, s.messages), 8)
                              + pad_left(share(s.spf_aligned, s.messages), 8));
  }
}

void reporters_block(const DomainStats& d, std::string& out)
{
  if (d.reporters.empty()) {
    return;
  }
  out += "  " + pad_right("Reporters", 37) + pad_left("messages", 15) + pad_left("reports", 8)
         + pad_left("days", 8) + "\n";
  std::size_t shown = 0;
  for (const ReporterStats& r : d.reporters) {
    if (++shown > 10) {
      out += "    ... and " + thousands(static_cast<int64_t>(d.reporters.size()) - 10) + " more\n";
      break;
    }
    out += table_row(r.org_name.empty() ? "(empty name)" : r.org_name,
                     pad_left(thousands(r.messages), 15) + pad_left(thousands(r.reports), 8)
                       + pad_left(thousands(r.days), 8));
  }
}

void selectors_block(const DomainStats& d, std::string& out)
{
  if (d.selectors.empty()) {
    return;
  }
  out += "  " + pad_right("DKIM selectors (d=)", 37) + pad_left("messages", 15)
         + pad_left("pass", 8) + pad_left("aligned", 8) + "\n";
  std::size_t shown = 0;
  for (const SelectorStats& s : d.selectors) {
    if (++shown > 10) {
      out += "    ... and " + thousands(static_cast<int64_t>(d.selectors.size()) - 10) + " more\n";
      break;
    }
    const std::string label = (s.selector.empty() ? std::string("(none)") : s.selector) + " ("
                              + s.dkim_domain + ")";
    out += table_row(label, pad_left(thousands(s.messages), 15)
                              + pad_left(share(s.pass, s.messages), 8)
                              + pad_left(share(s.aligned_pass, s.messages), 8));
  }
}

void tls_block(const DomainStats& d, std::string& out)
{
  for (const TlsPolicyStats& t : d.tls) {
    const int64_t sessions = t.success + t.failure;
    std::string line = t.policy_type + (t.mode.empty() ? "" : " (mode " + t.mode + ")") + ": "
                       + thousands(t.reports) + (t.reports == 1 ? " report, " : " reports, ")
                       + thousands(sessions) + " sessions, " + share(t.failure, sessions)
                       + " failed";
    out += row("TLS-RPT", line);
    std::map<std::string, int64_t> by_type;
    for (const TlsFailureDay& f : t.failures) {
      by_type[f.result_type] += f.sessions;
    }
    for (const auto& [type, n] : by_type) {
      out += table_row(type, pad_left(thousands(n), 15));
    }
  }
}

// Failure (RUF) reports: how many, by Auth-Failure type, by source, and the newest samples'
// subjects and senders (absent with [failure] samples = "none").
void failure_block(const DomainStats& d, std::string& out)
{
  const FailureStats& f = d.failures;
  if (f.reports == 0) {
    return;
  }
  std::string types;
  for (const FailureCount& c : f.by_type) {
    types += (types.empty() ? "" : ", ") + c.key + " " + thousands(c.reports);
  }
  out += row("Failures", thousands(f.reports) + (f.reports == 1 ? " failure report" : " failure reports")
                           + " (" + types + ")");
  out += "  " + pad_right("Failure sources", 37) + pad_left("reports", 15) + "\n";
  for (const FailureCount& c : f.by_source) {
    out += table_row(c.key, pad_left(thousands(c.reports), 15));
  }
  if (!f.newest.empty()) {
    out += "  Newest failures\n";
    for (const FailureSample& s : f.newest) {
      std::string line = text::format_utc(s.time).substr(0, 16) + "  "
                         + (s.source_ip.empty() ? std::string("?") : s.source_ip);
      if (!s.auth_failure.empty()) {
        line += " (" + s.auth_failure + ")";
      }
      out += "    " + fit(line, 76) + "\n";
      if (s.from || s.subject) {
        const std::string what = (s.from ? text::printable(*s.from) : std::string("?")) + ": "
                                 + (s.subject ? text::printable(*s.subject) : std::string("?"));
        out += "      " + fit(what, 74) + "\n";
      }
    }
  }
}

} // namespace

std::string summary_text(const Summary& summary)
{
  const int64_t days = (summary.until - summary.since) / 86400;
  std::string out = "Reports from " + text::format_date(summary.since) + " to "
                    + text::format_date(summary.until - 1) + " (" + std::to_string(days)
                    + (days == 1 ? " day" : " days") + ")\n";
  if (summary.domains.empty()) {
    out += "\nNo reports in this period.\n";
    return out;
  }
  for (const DomainStats& d : summary.domains) {
    // A TLS report whose only policy is a no-policy-found without a domain has none.
    out += "\n" + fit(d.domain.empty() ? "(no policy domain)" : d.domain, 80) + "\n";
    if (d.reports > 0) {
      out += row("DMARC", thousands(d.reports) + (d.reports == 1 ? " report" : " reports")
                            + " from " + thousands(static_cast<int64_t>(d.reporters.size()))
                            + (d.reporters.size() == 1 ? " reporter" : " reporters") + " on "
                            + thousands(d.days) + (d.days == 1 ? " day" : " days") + ", "
                            + thousands(d.messages) + (d.messages == 1 ? " message" : " messages"));
      out += row("Pass", share(d.dmarc_pass, d.messages) + " pass DMARC, DKIM aligned "
                           + share(d.dkim_aligned, d.messages) + ", SPF aligned "
                           + share(d.spf_aligned, d.messages));
      out += row("Disposition", "none " + thousands(d.messages - d.quarantined - d.rejected)
                                  + ", quarantine " + thousands(d.quarantined) + ", reject "
                                  + thousands(d.rejected));
      if (d.policy.known) {
        std::string p = "p=" + d.policy.p;
        if (d.policy.pct && *d.policy.pct < 100) {
          p += " pct=" + std::to_string(*d.policy.pct);
        }
        if (d.policy.testing && *d.policy.testing == "y") {
          p += " t=y";
        }
        if (d.policy.sp) {
          p += " sp=" + *d.policy.sp;
        }
        p += " (since " + text::format_date(d.policy.since_day * 86400) + ")";
        out += row("Policy", p);
      }
      out += row("Period", text::format_date(d.first_begin) + " to " + text::format_date(d.last_end));
    } else {
      // Only TLS reports (or, with --domain, nothing at all): say so instead of leaving it out.
      out += row("DMARC", "no aggregate reports in this period");
    }
    if (d.reports > 0) {
      sources_block(d, out);
      reporters_block(d, out);
      selectors_block(d, out);
    }
    tls_block(d, out);
    failure_block(d, out);
  }
  // Whatever a field held, no terminal escape reaches the screen.
  return text::printable(out, true);
}

} // namespace dmarc::output
