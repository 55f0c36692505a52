#include "check/spf.hpp"

#include "check/net_names.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <set>

namespace dmarc::check {

namespace {

using advise::IpAddress;
using advise::IpRange;

bool is_digits(std::string_view s)
{
  return !s.empty() && s.size() <= 3
         && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A domain-spec (§7.1): macro-string ending in "." toplabel, or a macro-expand. Checked
// loosely: visible ASCII, valid macros, and without a macro a dot and a top label with a
// letter.
bool valid_domain_spec(std::string_view spec, bool& macro, std::string& why)
{
  macro = false;
  if (spec.empty()) {
    why = "an empty domain";
    return false;
  }
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const auto c = static_cast<unsigned char>(spec[i]);
    if (c <= 0x20 || c >= 0x7f) {
      why = "a byte that is not visible ASCII";
      return false;
    }
    if (c == '%') {
      macro = true;
      if (i + 1 >= spec.size()) {
        why = "a '%' at the end";
        return false;
      }
      const char n = spec[i + 1];
      if (n == '%' || n == '_' || n == '-') {
        ++i;
        continue;
      }
      if (n != '{') {
        why = "'%" + std::string(1, n) + "' (a macro is %{x}, %%, %_ or %-)";
        return false;
      }
      const std::size_t close = spec.find('}', i);
      if (close == std::string_view::npos || close < i + 3
          || std::string_view("slodiphcrtvSLODIPHCRTV").find(spec[i + 2]) == std::string_view::npos) {
        why = "an invalid macro";
        return false;
      }
      i = close;
    }
  }
  if (macro) {
    return true;
  }
  std::string_view s = spec;
  if (s.back() == '.') {
    s.remove_suffix(1);
  }
  const std::size_t dot = s.rfind('.');
  if (dot == std::string_view::npos || dot + 1 >= s.size()) {
    why = "no top-level domain";
    return false;
  }
  const std::string_view top = s.substr(dot + 1);
  const bool letter = std::any_of(top.begin(), top.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
  if (!letter) {
    why = "a top-level label without a letter";
    return false;
  }
  return true;
}

// "/24", "//64", "/24//64" after a/mx.
bool parse_dual_cidr(std::string_view s, int& c4, int& c6)
{
  if (s.empty()) {
    return true;
  }
  const std::size_t dd = s.find("//");
  std::string_view v4 = dd == std::string_view::npos ? s : s.substr(0, dd);
  std::string_view v6 = dd == std::string_view::npos ? std::string_view() : s.substr(dd + 2);
  if (!v4.empty()) {
    if (v4[0] != '/' || !is_digits(v4.substr(1))) {
      return false;
    }
    c4 = std::stoi(std::string(v4.substr(1)));
    if (c4 > 32) {
      return false;
    }
  }
  if (dd != std::string_view::npos) {
    if (!is_digits(v6)) {
      return false;
    }
    c6 = std::stoi(std::string(v6));
    if (c6 > 128) {
      return false;
    }
  }
  return true;
}

std::string qualifier_char(Qualifier q)
{
  switch (q) {
  case Qualifier::pass: return "+";
  case Qualifier::fail: return "-";
  case Qualifier::softfail: return "~";
  case Qualifier::neutral: return "?";
  }
  return "+";
}

SpfResult result_of(Qualifier q)
{
  switch (q) {
  case Qualifier::pass: return SpfResult::pass;
  case Qualifier::fail: return SpfResult::fail;
  case Qualifier::softfail: return SpfResult::softfail;
  case Qualifier::neutral: return SpfResult::neutral;
  }
  return SpfResult::neutral;
}

enum class Cover { none, full, partial };

// How `net` covers `target`.
Cover cover(const IpRange& net, const IpRange& target)
{
  if (target.prefix >= net.prefix && net.contains(target.base)) {
    return Cover::full;
  }
  if (net.prefix > target.prefix && target.contains(net.base)) {
    return Cover::partial;
  }
  return Cover::none;
}

std::optional<IpRange> network_of(const std::string& address, int c4, int c6)
{
  const auto ip = advise::parse_ip(address);
  if (!ip) {
    return std::nullopt;
  }
  return advise::parse_range(address + "/" + std::to_string(ip->v4 ? c4 : c6));
}

} // namespace

bool is_spf_record(std::string_view text)
{
  text = text::trim(text);
  return text.size() >= 6 && text::iequals(text.substr(0, 6), "v=spf1")
         && (text.size() == 6 || text[6] == ' ');
}

SpfRecord parse_spf(std::string_view text)
{
  SpfRecord r;
  auto invalid = [&](const std::string& why) {
    r.valid = false;
    add_error(r.problems, "spf-invalid", why);
  };
  text = text::trim(text);
  if (!is_spf_record(text)) {
    invalid("The record does not start with v=spf1.");
    return r;
  }
  std::string_view rest = text.substr(6);
  bool macro_warned = false;
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) {
      break;
    }
    rest = rest.substr(start);
    const std::size_t end = rest.find(' ');
    const std::string_view term = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    const std::string shown = printable(term);

    // Modifiers: name=value (a mechanism has no '=' before any ':' or '/').
    const std::size_t eq = term.find('=');
    const std::size_t colon = term.find_first_of(":/");
    if (eq != std::string_view::npos && (colon == std::string_view::npos || eq < colon)) {
      const std::string name = text::to_lower(term.substr(0, eq));
      const std::string_view value = term.substr(eq + 1);
      bool macro = false;
      std::string why;
      if (name == "redirect" || name == "exp") {
        std::optional<std::string>& slot = name == "redirect" ? r.redirect : r.exp;
        if (slot) {
          invalid("The modifier " + name + "= appears twice (RFC 7208 §6): keep one.");
          continue;
        }
        if (!valid_domain_spec(value, macro, why)) {
          invalid("'" + shown + "' has " + why + ".");
          continue;
        }
        slot = std::string(value);
        if (macro && name == "redirect" && !macro_warned) {
          macro_warned = true;
          add_warning(r.problems, "spf-macro", "'" + shown + "' uses a macro, which this check "
                                               "does not expand: its result is not evaluated.");
        }
      } else if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) {
        invalid("'" + shown + "' is not a valid term.");
      }
      continue; // unknown modifiers are ignored (§6)
    }

    SpfTerm t;
    t.text = std::string(term);
    std::string_view body = term;
    if (!body.empty() && std::string_view("+-~?").find(body[0]) != std::string_view::npos) {
      t.qualifier = body[0] == '+'   ? Qualifier::pass
                    : body[0] == '-' ? Qualifier::fail
                    : body[0] == '~' ? Qualifier::softfail
                                     : Qualifier::neutral;
      body.remove_prefix(1);
    }
    const std::size_t sep = body.find_first_of(":/");
    const std::string name = text::to_lower(body.substr(0, sep));
    std::string_view arg = sep == std::string_view::npos ? std::string_view() : body.substr(sep);
    bool macro = false;
    std::string why;
    auto domain_arg = [&](bool required) -> bool {
      // arg is ":domain[/cidr]" or "/cidr" or "".
      std::string_view spec;
      std::string_view cidr;
      if (!arg.empty() && arg[0] == ':') {
        std::string_view d = arg.substr(1);
        // The cidr starts at the first '/' (a domain-spec has none... except in macros).
        const std::size_t slash = d.find('/');
        spec = d.substr(0, slash);
        cidr = slash == std::string_view::npos ? std::string_view() : d.substr(slash);
      } else {
        cidr = arg;
      }
      if (required && spec.empty()) {
        invalid("'" + shown + "' needs a domain (" + name + ":domain).");
        return false;
      }
      if (!spec.empty() && !valid_domain_spec(spec, macro, why)) {
        invalid("'" + shown + "' has " + why + ".");
        return false;
      }
      t.domain = std::string(spec);
      t.macro = macro;
      if (!parse_dual_cidr(cidr, t.cidr4, t.cidr6)) {
        invalid("'" + shown + "' has an invalid prefix length.");
        return false;
      }
      if (!cidr.empty() && (t.mechanism != Mechanism::a && t.mechanism != Mechanism::mx)) {
        invalid("'" + shown + "': only a, mx, ip4 and ip6 take a prefix length.");
        return false;
      }
      return true;
    };
    bool ok = true;
    if (name == "all") {
      t.mechanism = Mechanism::all;
      if (!arg.empty()) {
        invalid("'" + shown + "': all takes no argument.");
        ok = false;
      }
    } else if (name == "include" || name == "exists") {
      t.mechanism = name == "include" ? Mechanism::include : Mechanism::exists;
      ok = domain_arg(true);
    } else if (name == "a" || name == "mx" || name == "ptr") {
      t.mechanism = name == "a" ? Mechanism::a : name == "mx" ? Mechanism::mx : Mechanism::ptr;
      ok = domain_arg(false);
    } else if (name == "ip4" || name == "ip6") {
      t.mechanism = name == "ip4" ? Mechanism::ip4 : Mechanism::ip6;
      const std::string_view net = arg.empty() ? arg : arg.substr(1);
      const auto range = (arg.empty() || arg[0] != ':') ? std::nullopt : advise::parse_range(net);
      const std::size_t slash = net.find('/');
      const auto base = advise::parse_ip(net.substr(0, slash));
      const bool v4 = name == "ip4";
      if (!range || !base || base->v4 != v4 || (v4 && net.substr(0, slash).find(':') != std::string_view::npos)
          || (slash != std::string_view::npos && !is_digits(net.substr(slash + 1)))) {
        invalid("'" + shown + "' is not a valid " + name + " network.");
        ok = false;
      } else {
        t.range = *range;
      }
    } else {
      invalid("'" + shown + "' is not an SPF mechanism (all, include, a, mx, ptr, ip4, ip6, "
                             "exists).");
      ok = false;
    }
    if (!ok) {
      continue;
    }
    if (t.macro && !macro_warned) {
      macro_warned = true;
      add_warning(r.problems, "spf-macro", "'" + shown + "' uses a macro, which this check does "
                                           "not expand: it is counted as a lookup and treated as "
                                           "matching nothing.");
    }
    if (t.mechanism == Mechanism::ptr) {
      add_warning(r.problems, "spf-ptr", "'" + shown + "': the ptr mechanism is slow and "
                                         "unreliable (RFC 7208 §5.5 says not to use it): list "
                                         "the addresses with ip4:/ip6: or a instead.");
    }
    r.terms.push_back(std::move(t));
  }
  return r;
}

std::string_view to_string(SpfResult result)
{
  switch (result) {
  case SpfResult::none: return "none";
  case SpfResult::neutral: return "neutral";
  case SpfResult::pass: return "pass";
  case SpfResult::fail: return "fail";
  case SpfResult::softfail: return "softfail";
  case SpfResult::temperror: return "temperror";
  case SpfResult::permerror: return "permerror";
  }
  return "?";
}

namespace {

class Evaluator
{
public:
  Evaluator(Lookups& lookups, const std::optional<IpRange>& target, SpfEvaluation& out)
    : m_lookups(lookups), m_target(target), m_out(out)
  {
  }

  // check_host() of `domain`; `top` for the domain asked about.
  SpfResult check_host(const std::string& domain, bool top, bool& partial_non_pass)
  {
    if (std::find(m_stack.begin(), m_stack.end(), domain) != m_stack.end()) {
      problem_error("spf-include-loop", "The SPF record of " + domain + " includes itself (via "
                                          + join_stack() + "): remove the loop.");
      return SpfResult::permerror;
    }
    const Answer* txt = m_lookups.dns(domain, RrType::txt);
    if (txt == nullptr) {
      m_out.complete = false;
      return SpfResult::neutral; // pending: go on collecting questions
    }
    if (txt->failed()) {
      problem_warning("spf-dns-error", "The TXT lookup of " + domain + " failed ("
                                          + std::string(to_string(txt->status))
                                          + "): receivers get a temporary error.");
      return SpfResult::temperror;
    }
    std::vector<std::string> records;
    for (const std::string& t : txt->records) {
      if (is_spf_record(t)) {
        records.push_back(t);
      }
    }
    if (top) {
      m_out.record = records.size() == 1 ? records.front() : "";
    }
    if (records.empty()) {
      if (!top) {
        problem_error("spf-include-missing", domain + " (named by " + join_stack()
                                               + ") publishes no SPF record, so receivers get "
                                                 "a permanent error: fix or remove the term.");
        return SpfResult::permerror;
      }
      return SpfResult::none;
    }
    if (records.size() > 1) {
      if (top) {
        problem_error("spf-multiple", domain + " publishes " + std::to_string(records.size())
                                        + " SPF records, so receivers get a permanent error: "
                                          "merge them into one.");
      } else {
        problem_error("spf-multiple", domain + " (named by " + join_stack() + ") publishes "
                                        + std::to_string(records.size())
                                        + " SPF records, so receivers get a permanent error.");
      }
      return SpfResult::permerror;
    }
    const SpfRecord rec = parse_spf(records.front());
    for (const Problem& p : rec.problems) {
      Problem q = p;
      if (!top) {
        q.message = "In the SPF record of " + domain + ": " + q.message;
      }
      add_unique(q);
    }
    if (!rec.valid) {
      return SpfResult::permerror;
    }
    if (top) {
      for (const SpfTerm& t : rec.terms) {
        if (t.mechanism == Mechanism::all) {
          m_out.all = qualifier_char(t.qualifier) + "all";
          break;
        }
      }
    }
    m_stack.push_back(domain);
    const SpfResult r = run_terms(rec, domain, top, partial_non_pass);
    m_stack.pop_back();
    return r;
  }

private:
  Lookups& m_lookups;
  const std::optional<IpRange>& m_target;
  SpfEvaluation& m_out;
  std::vector<std::string> m_stack;
  bool m_limit_hit = false;

  std::string join_stack() const
  {
    std::string s;
    for (const std::string& d : m_stack) {
      s += (s.empty() ? "" : " → ") + d;
    }
    return s;
  }

  void add_unique(const Problem& p)
  {
    if (std::find(m_out.problems.begin(), m_out.problems.end(), p) == m_out.problems.end()) {
      m_out.problems.push_back(p);
    }
  }
  void problem_error(std::string code, std::string message)
  {
    add_unique({std::move(code), Severity::error, std::move(message)});
  }
  void problem_warning(std::string code, std::string message)
  {
    add_unique({std::move(code), Severity::warning, std::move(message)});
  }

  // Counts a DNS-querying term; false past the limit (permerror).
  bool count_lookup(const std::string& term)
  {
    ++m_out.lookups;
    if (m_out.lookups > k_spf_max_lookups) {
      if (!m_limit_hit) {
        m_limit_hit = true;
        problem_error("spf-too-many-lookups",
                      "Evaluating the SPF record needs more than " + std::to_string(k_spf_max_lookups)
                        + " DNS lookups (the 11th is '" + printable(term) + "'), so receivers "
                        "get a permanent error and SPF fails: replace include:, a and mx terms "
                        "with ip4:/ip6: ranges or drop unused includes.");
      }
      return false;
    }
    return true;
  }

  // Counts a void answer; false past the limit (permerror).
  bool count_void(const Answer& a, const std::string& name)
  {
    if (!a.empty()) {
      return true;
    }
    ++m_out.void_lookups;
    if (m_out.void_lookups > k_spf_max_void_lookups) {
      problem_error("spf-void-lookups",
                    "More than " + std::to_string(k_spf_max_void_lookups) + " SPF lookups find "
                      "nothing (the last: " + name + "), so receivers get a permanent error: "
                      "remove the terms that name domains without records.");
      return false;
    }
    return true;
  }

  // The addresses of `name` of the target's family (both without a target); null while
  // pending. `void_counted` says whether a void answer counts against the limit.
  std::optional<std::vector<std::string>> addresses(const std::string& name, bool& ok,
                                                    bool count_voids)
  {
    std::vector<RrType> types;
    if (!m_target) {
      types = {RrType::a, RrType::aaaa};
    } else {
      types = {m_target->base.v4 ? RrType::a : RrType::aaaa};
    }
    std::vector<std::string> out;
    bool pending = false;
    bool any_failed = false;
    Answer combined;
    for (const RrType t : types) {
      const Answer* a = m_lookups.dns(name, t);
      if (a == nullptr) {
        pending = true;
        continue;
      }
      if (a->failed()) {
        any_failed = true;
      }
      out.insert(out.end(), a->records.begin(), a->records.end());
    }
    if (pending) {
      m_out.complete = false;
      return std::nullopt;
    }
    if (any_failed && out.empty()) {
      problem_warning("spf-dns-error", "The address lookup of " + name + " failed: receivers "
                                        "get a temporary error.");
      ok = false;
      return std::vector<std::string>();
    }
    combined.records = out;
    if (count_voids && !count_void(combined, name)) {
      ok = false;
    }
    return out;
  }

  // Matches addresses (with the term's prefix lengths) against the target.
  Cover match_addresses(const std::vector<std::string>& addrs, const SpfTerm& t)
  {
    if (!m_target) {
      return Cover::none;
    }
    Cover best = Cover::none;
    for (const std::string& a : addrs) {
      const auto net = network_of(a, t.cidr4, t.cidr6);
      if (!net) {
        continue;
      }
      const Cover c = cover(*net, *m_target);
      if (c == Cover::full) {
        return c;
      }
      if (c == Cover::partial) {
        best = c;
      }
    }
    return best;
  }

  SpfResult run_terms(const SpfRecord& rec, const std::string& domain, bool top,
                      bool& partial_non_pass)
  {
    for (const SpfTerm& t : rec.terms) {
      const bool dns_term = t.mechanism == Mechanism::include || t.mechanism == Mechanism::a
                            || t.mechanism == Mechanism::mx || t.mechanism == Mechanism::ptr
                            || t.mechanism == Mechanism::exists;
      if (dns_term && !count_lookup(t.text)) {
        return SpfResult::permerror;
      }
      const std::string target_name = t.domain.empty() ? domain : normalize_name(t.domain);
      Cover c = Cover::none;
      bool partial_inner = false;
      if (t.macro) {
        m_out.uncertain = true;
        continue;
      }
      switch (t.mechanism) {
      case Mechanism::all:
        c = Cover::full;
        break;
      case Mechanism::ip4:
      case Mechanism::ip6:
        c = m_target ? cover(t.range, *m_target) : Cover::none;
        break;
      case Mechanism::a: {
        bool ok = true;
        const auto addrs = addresses(target_name, ok, true);
        if (!ok) {
          return m_out.void_lookups > k_spf_max_void_lookups ? SpfResult::permerror
                                                             : SpfResult::temperror;
        }
        if (addrs) {
          c = match_addresses(*addrs, t);
        }
        break;
      }
      case Mechanism::mx: {
        const Answer* mx = m_lookups.dns(target_name, RrType::mx);
        if (mx == nullptr) {
          m_out.complete = false;
          break;
        }
        if (mx->failed()) {
          problem_warning("spf-dns-error", "The MX lookup of " + target_name + " failed: receivers "
                                            "get a temporary error.");
          return SpfResult::temperror;
        }
        if (!count_void(*mx, target_name)) {
          return SpfResult::permerror;
        }
        if (mx->records.size() > 10) {
          problem_error("spf-too-many-lookups", "'" + t.text + "': " + target_name + " has "
                                                  + std::to_string(mx->records.size())
                                                  + " MX hosts, more than the 10 SPF allows "
                                                    "(RFC 7208 §4.6.4): use ip4:/ip6: instead.");
          return SpfResult::permerror;
        }
        for (const std::string& r : mx->records) {
          const std::size_t sp = r.find(' ');
          const std::string host = normalize_name(sp == std::string::npos ? r : r.substr(sp + 1));
          if (host.empty()) {
            continue; // null MX
          }
          bool ok = true;
          const auto addrs = addresses(host, ok, false);
          if (addrs) {
            const Cover one = match_addresses(*addrs, t);
            if (one == Cover::full) {
              c = one;
              break;
            }
            if (one == Cover::partial) {
              c = one;
            }
          }
        }
        break;
      }
      case Mechanism::ptr: {
        if (!m_target || m_target->prefix != 128) {
          m_out.uncertain = m_target.has_value();
          break;
        }
        const std::string rev = reverse_name(m_target->base);
        const Answer* ptr = m_lookups.dns(rev, RrType::ptr);
        if (ptr == nullptr) {
          m_out.complete = false;
          break;
        }
        if (!count_void(*ptr, rev)) {
          return SpfResult::permerror;
        }
        int looked = 0;
        for (const std::string& name : ptr->records) {
          if (++looked > 10) {
            break;
          }
          const std::string n = normalize_name(name);
          if (!(n == target_name || (n.size() > target_name.size()
                                     && n.compare(n.size() - target_name.size(), target_name.size(), target_name) == 0
                                     && n[n.size() - target_name.size() - 1] == '.'))) {
            continue;
          }
          bool ok = true;
          const auto addrs = addresses(n, ok, false);
          if (addrs && match_addresses(*addrs, t) == Cover::full) {
            c = Cover::full;
            break;
          }
        }
        break;
      }
      case Mechanism::exists: {
        const Answer* a = m_lookups.dns(target_name, RrType::a);
        if (a == nullptr) {
          m_out.complete = false;
          break;
        }
        if (a->failed()) {
          return SpfResult::temperror;
        }
        if (!count_void(*a, target_name)) {
          return SpfResult::permerror;
        }
        // exists: matches every address when the name has an A record.
        c = a->records.empty() ? Cover::none : Cover::full;
        break;
      }
      case Mechanism::include: {
        bool inner_partial = false;
        const SpfResult inner = check_host(target_name, false, inner_partial);
        if (inner == SpfResult::temperror || inner == SpfResult::permerror) {
          return inner;
        }
        if (inner == SpfResult::pass) {
          c = Cover::full;
          partial_inner = inner_partial;
        }
        break;
      }
      }
      if (c == Cover::partial && t.qualifier != Qualifier::pass) {
        partial_non_pass = true;
      }
      if (c == Cover::full) {
        if (partial_inner) {
          partial_non_pass = true;
        }
        if (top || m_out.decided_by.empty()) {
          m_out.decided_by = t.text;
        }
        return result_of(t.qualifier);
      }
    }
    if (rec.redirect) {
      if (!count_lookup("redirect=" + *rec.redirect)) {
        return SpfResult::permerror;
      }
      if (rec.redirect->find('%') != std::string::npos) {
        m_out.uncertain = true;
        return SpfResult::neutral;
      }
      const std::string target = normalize_name(*rec.redirect);
      // The redirect target replaces this record: for the domain asked about, its "all"
      // is the domain's.
      const std::string saved = m_out.record;
      const SpfResult r = check_host(target, top, partial_non_pass);
      if (top) {
        m_out.record = saved;
      }
      if (r == SpfResult::none) {
        problem_error("spf-include-missing", "redirect=" + target + " names a domain without an "
                                               "SPF record, so receivers get a permanent error.");
        return SpfResult::permerror;
      }
      return r;
    }
    return SpfResult::neutral;
  }

};

} // namespace

SpfEvaluation evaluate_spf(Lookups& lookups, std::string_view domain,
                           const std::optional<IpRange>& target)
{
  SpfEvaluation out;
  Evaluator e(lookups, target, out);
  bool partial = false;
  out.result = e.check_host(normalize_name(domain), true, partial);
  out.partial = partial;
  return out;
}

} // namespace dmarc::check
