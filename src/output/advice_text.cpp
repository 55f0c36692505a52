#include "output/advice_text.hpp"

#include "core/text.hpp"
#include "output/text_layout.hpp"

namespace dmarc::output {

namespace {

using advise::Check;
using advise::Verdict;

std::string day(int64_t d) { return text::format_date(d * 86400); }

std::string upper(std::string_view s)
{
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

const std::string k_indent(13, ' ');

// "  DMARC      ADVANCE  p=none -> p=quarantine" and the body of one check.
void check_block(const char* name, const Check& c, const std::string& step, const std::string& dns_name,
                 const char* unit, std::string& out)
{
  std::string head = "  " + pad_right(name, 9) + "  " + upper(advise::to_string(c.verdict));
  if (!step.empty()) {
    head = pad_right(head, 24) + fit(step, 80 - 24);   // no trailing blanks without a step
  }
  out += head + "\n";
  out += wrap(c.explanation, k_indent);   // for wait, it names what is missing
  if (c.publish && !c.published.empty() && c.published != c.dns_record) {
    out += k_indent + "Published: " + dns_name + " TXT\n";
    out += k_indent + "  \"" + c.published + "\"\n";
  }
  if (!c.dns_record.empty()) {
    const std::string verb = c.publish ? "Publish: " : "Keep:    ";
    out += k_indent + verb + dns_name + " TXT\n";
    out += k_indent + "  \"" + c.dns_record + "\"\n";
  }
  if (!c.policy_file.empty()) {
    out += k_indent + "Policy file:\n";
    std::string_view rest = c.policy_file;
    while (!rest.empty()) {
      const std::size_t nl = rest.find('\n');
      out += k_indent + "  " + std::string(rest.substr(0, nl)) + "\n";
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
  }
  if (!c.blockers.empty()) {
    out += k_indent + "Blockers:\n";
    for (const advise::Blocker& b : c.blockers) {
      std::string head = "- " + b.source;
      if (b.messages > 0 || b.pass_share) {
        head += " (" + thousands(b.messages) + " " + unit;
        if (b.pass_share) {
          head += ", " + percent(*b.pass_share) + " pass";
        }
        head += ")";
      }
      head += ": " + b.why;
      out += wrap(head, k_indent + "  ", k_indent + "    ");
    }
  }
}

std::string simple_step(const Check& c, const char* prefix)
{
  if (c.current.empty() || (c.current == "unknown" && c.verdict == Verdict::wait)) {
    return "";
  }
  return c.next.empty() ? prefix + c.current : prefix + c.current + " -> " + prefix + c.next;
}

std::string dkim_step(const Check& c)
{
  std::string out;
  int shown = 0;
  for (const advise::SelectorAdvice& s : c.selectors) {
    if ((s.messages == 0 && !s.configured) || (!s.configured && shown >= 3)) {
      continue;
    }
    ++shown;
    if (!out.empty()) {
      out += ", ";
    }
    out += (s.selector.empty() ? std::string("(none)") : s.selector);
    if (s.messages == 0) {
      out += " never seen";
    } else if (s.aligned_pass == 0 && s.pass > 0) {
      // A relay's or a service's own signature (d= not yours) passes but cannot align: "0%"
      // would read as a broken selector.
      out += " " + percent(static_cast<double>(s.pass) / static_cast<double>(s.messages))
             + " unaligned";
    } else {
      out += " " + percent(static_cast<double>(s.aligned_pass) / static_cast<double>(s.messages));
    }
  }
  return out;
}

} // namespace

std::string dmarc_step(const advise::Check& c, std::string_view arrow)
{
  if (c.current.empty()) {
    return "";
  }
  std::string from = "p=" + c.current;
  if (c.current_pct && *c.current_pct < 100) {
    from += " pct=" + std::to_string(*c.current_pct);
  }
  if (c.current_testing) {
    from += " t=y";
  }
  return c.next.empty() ? from : from + std::string(arrow) + "p=" + c.next;
}

std::string advice_text(const advise::Advice& advice)
{
  std::string out = "Advice as of " + day(advice.as_of_day) + ", from the reports of the last "
                    + std::to_string(advice.window_days) + " days\n";
  if (advice.domains.empty()) {
    out += "\nNo reports in this period and no [[domain]] configured.\n";
    return out;
  }
  for (const advise::DomainAdvice& d : advice.domains) {
    out += "\n" + fit(d.domain, 80) + "\n";
    for (const std::string& note : d.notes) {
      out += wrap("Note: " + note, "  ");
    }
    if (!d.sources.empty()) {
      out += wrap("Sources: " + thousands(d.authorized.sources) + " authorized ("
                    + thousands(d.authorized.messages) + " messages), "
                    + thousands(d.forwarder.sources) + " forwarding ("
                    + thousands(d.forwarder.messages) + "), " + thousands(d.unknown.sources)
                    + " unknown (" + thousands(d.unknown.messages) + ", presumed spoofing)",
                  "  ");
    }
    check_block("DMARC", d.dmarc, dmarc_step(d.dmarc, " -> "), "_dmarc." + d.domain, "messages", out);
    check_block("SPF", d.spf, simple_step(d.spf, ""), d.domain, "messages", out);
    check_block("DKIM", d.dkim, dkim_step(d.dkim), "", "messages", out);
    check_block("MTA-STS", d.mta_sts, simple_step(d.mta_sts, "mode "), "_mta-sts." + d.domain,
                "sessions", out);
  }
  // Whatever a field held, no terminal escape reaches the screen.
  return text::printable(out, true);
}

} // namespace dmarc::output
