#include "output/check_text.hpp"

#include "check/spf.hpp"

namespace dmarc::output {

namespace {

std::string shown(const std::string& record, const char* none)
{
  return record.empty() ? std::string(none) : check::printable(record, 400);
}

void line(std::string& out, const char* label, const std::string& text)
{
  std::string l = "  ";
  l += label;
  l.resize(11, ' ');
  out += l + text + "\n";
}

} // namespace

std::string check_text(const std::vector<check::DomainCheck>& domains)
{
  std::string out;
  bool first = true;
  for (const check::DomainCheck& d : domains) {
    if (!first) {
      out += "\n";
    }
    first = false;
    int errors = 0, warnings = 0;
    for (const check::Problem* p : d.all_problems()) {
      (p->severity == check::Severity::error ? errors : warnings) += 1;
    }
    out += d.domain + ": " + (errors == 0 && warnings == 0 ? std::string("all good")
                                                           : std::to_string(errors) + " error"
                                                               + (errors == 1 ? "" : "s") + ", "
                                                               + std::to_string(warnings) + " warning"
                                                               + (warnings == 1 ? "" : "s"))
           + "\n";
    line(out, "DMARC", shown(d.dmarc.record, "(none)")
                         + (!d.dmarc.found_at.empty() && d.dmarc.found_at != "_dmarc." + d.domain
                              ? "  (from " + d.dmarc.found_at + ")"
                              : ""));
    line(out, "SPF", shown(d.spf.record, "(none)")
                       + (d.spf.record.empty() ? std::string()
                                               : "  (" + std::to_string(d.spf.lookups) + " of "
                                                   + std::to_string(check::k_spf_max_lookups)
                                                   + " lookups, " + std::to_string(d.spf.void_lookups)
                                                   + " void)"));
    for (const check::DkimCheck& k : d.dkim) {
      std::string t = k.selector + ": ";
      if (k.record.empty()) {
        t += "(no key)";
      } else if (k.revoked) {
        t += "revoked";
      } else {
        t += k.key_type + (k.key_bits > 0 ? " " + std::to_string(k.key_bits) + " bits" : "")
             + (k.testing ? ", t=y" : "");
      }
      line(out, "DKIM", t);
    }
    std::string sts = shown(d.mta_sts.record, "(none)");
    if (d.mta_sts.policy) {
      const auto& p = *d.mta_sts.policy;
      sts += "\n" + std::string(11, ' ') + "policy: mode " + (p.mode.empty() ? "?" : p.mode) + ", max_age "
             + (p.max_age ? std::to_string(*p.max_age) : std::string("?")) + ", mx";
      for (const std::string& m : p.mx) {
        sts += " " + check::printable(m);
      }
    }
    line(out, "MTA-STS", sts);
    line(out, "TLS-RPT", shown(d.tlsrpt.record, "(none)"));
    if (d.mx.empty()) {
      line(out, "MX", "(none)");
    }
    for (const check::MxHost& h : d.mx) {
      std::string t = std::to_string(h.preference) + " " + (h.host.empty() ? "." : h.host);
      for (const std::string& ip : h.ips) {
        t += " " + ip;
      }
      if (!h.ptr.empty()) {
        t += " → " + check::printable(h.ptr.front());
      }
      if (!h.host.empty()) {
        t += h.fcrdns ? " (FCrDNS ok)" : " (no FCrDNS)";
      }
      line(out, "MX", t);
    }
    for (const check::Problem* p : d.all_problems()) {
      out += "  " + std::string(check::to_string(p->severity)) + " " + p->code + ": " + p->message
             + "\n";
    }
  }
  return out;
}

} // namespace dmarc::output
