#include "advise/advisor.hpp"

#include "core/record_text.hpp"

#include "advise/ip.hpp"
#include "core/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace dmarc::advise {

namespace {

// ---- numbers ------------------------------------------------------------------------------

// Shares are compared exactly: part / whole against a threshold given to 9 decimals.
int64_t per_billion(double share) { return std::llround(share * 1e9); }

bool at_least(int64_t part, int64_t whole, double share)
{
  return whole > 0
         && static_cast<__int128>(part) * 1'000'000'000
              >= static_cast<__int128>(per_billion(share)) * whole;
}

bool below(int64_t part, int64_t whole, double share) { return whole > 0 && !at_least(part, whole, share); }

std::optional<double> share_of(int64_t part, int64_t whole)
{
  if (whole <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(part) / static_cast<double>(whole);
}

// "99.2%", "99.47%" (two decimals near the strict thresholds and below 1%), "95%", "100%".
// Rounded down, so 99.96% never reads as 100%; trailing zeros dropped.
std::string percent(double share)
{
  char buf[32];
  if (share >= 1.0) {
    return "100%";
  }
  if (share >= 0.99 || share < 0.01) {
    std::snprintf(buf, sizeof buf, "%.2f", std::floor(share * 10000.0) / 100.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", std::floor(share * 1000.0) / 10.0);
  }
  std::string out = buf;
  while (out.find('.') != std::string::npos && (out.back() == '0' || out.back() == '.')) {
    const bool dot = out.back() == '.';
    out.pop_back();
    if (dot) {
      break;
    }
  }
  if (out == "0" && share > 0) {
    return "<0.01%";
  }
  return out + "%";
}

std::string percent(int64_t part, int64_t whole)
{
  auto s = share_of(part, whole);
  return s ? percent(*s) : std::string("-");
}

// 1234567 → "1,234,567".
std::string count(int64_t n)
{
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string plural(int64_t n, const char* one, const char* many)
{
  return count(n) + " " + (n == 1 ? one : many);
}

std::string date(int64_t day) { return text::format_date(day * 86400); }

void add_int(std::vector<Number>& e, const char* name, int64_t value)
{
  e.push_back({name, static_cast<double>(value), true});
}

void add_share(std::vector<Number>& e, const char* name, std::optional<double> value)
{
  if (value) {
    e.push_back({name, *value, false});
  }
}

void add_share(std::vector<Number>& e, const char* name, double value)
{
  e.push_back({name, value, false});
}

// ---- names --------------------------------------------------------------------------------

// `name` equals `domain` or ends in "." + `domain` (case-insensitive, trailing dots ignored).
bool within(std::string_view name, std::string_view domain)
{
  while (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  while (!domain.empty() && domain.back() == '.') {
    domain.remove_suffix(1);
  }
  if (domain.empty() || name.size() < domain.size()) {
    return false;
  }
  if (name.size() == domain.size()) {
    return text::iequals(name, domain);
  }
  return name[name.size() - domain.size() - 1] == '.'
         && text::iequals(name.substr(name.size() - domain.size()), domain);
}

int level_of(std::string_view p)
{
  if (p == "reject") {
    return 2;
  }
  if (p == "quarantine") {
    return 1;
  }
  return 0;
}

// ---- DNS records ----------------------------------------------------------------------------

// The rua= value: the [[domain]] rua (mailto: added where missing), else a marked placeholder.
std::string rua_value(const config::DomainSettings* cfg, bool& placeholder)
{
  placeholder = false;
  if (cfg == nullptr || text::trim(cfg->rua).empty()) {
    placeholder = true;
    return "mailto:<your-report-address>";
  }
  std::string out;
  std::string_view rest = cfg->rua;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    std::string_view item = text::trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) {
      continue;
    }
    if (!out.empty()) {
      out += ',';
    }
    if (!(item.size() > 7 && text::iequals(item.substr(0, 7), "mailto:"))) {
      out += "mailto:";
    }
    out += item;
  }
  return out;
}

// A DMARC record (RFC 7489 §6.3 / RFC 9990 §4.7) keeping the published tags the step does
// not change.
std::string dmarc_record(const PolicyStats& published, std::string_view p,
                         std::optional<int64_t> pct, bool testing, const std::string& rua)
{
  std::string r = "v=DMARC1; p=" + std::string(p);
  if (published.sp) {
    r += "; sp=" + *published.sp;
  }
  if (published.np) {
    r += "; np=" + *published.np;
  }
  if (published.adkim && text::iequals(*published.adkim, "s")) {
    r += "; adkim=s";
  }
  if (published.aspf && text::iequals(*published.aspf, "s")) {
    r += "; aspf=s";
  }
  if (pct && *pct < 100) {
    r += "; pct=" + std::to_string(*pct);
  }
  if (testing) {
    r += "; t=y";
  }
  if (published.fo) {
    r += "; fo=" + *published.fo;
  }
  r += "; rua=" + rua;
  return r;
}

// ---- classification -----------------------------------------------------------------------

struct DomainMatchers
{
  IpRangeSet ips;
  std::vector<std::string> ptr_domains;
  std::vector<std::string> dkim_domains;
};

DomainMatchers matchers_of(const config::DomainSettings* cfg, std::vector<std::string>* notes)
{
  DomainMatchers m;
  if (cfg == nullptr) {
    return m;
  }
  for (const std::string& range : cfg->authorized_ips) {
    if (!m.ips.add(text::trim(range)) && notes != nullptr) {
      notes->push_back("authorized_ips entry '" + range + "' is not an IP address or range; "
                       "it is ignored");
    }
  }
  m.ptr_domains = cfg->authorized_ptr_domains;
  m.dkim_domains = cfg->dkim_domains;
  return m;
}

ClassifiedSource classify_one(SourceStats&& s, const DomainMatchers& m)
{
  ClassifiedSource c;
  c.stats = std::move(s);
  const SourceStats& st = c.stats;
  c.cls = SourceClass::authorized;
  if (!m.ips.empty()) {
    if (auto ip = parse_ip(st.ip)) {
      if (std::string_view range = m.ips.matching(*ip); !range.empty()) {
        c.why = Basis::authorized_ips;
        c.matched = range;
        return c;
      }
    }
  }
  if (!st.reverse_dns.empty()) {
    for (const std::string& d : m.ptr_domains) {
      if (within(st.reverse_dns, d)) {
        c.why = Basis::ptr_domain;
        c.matched = d;
        return c;
      }
    }
  }
  for (const std::string& signer : st.dkim_domains) {
    for (const std::string& d : m.dkim_domains) {
      if (within(signer, d)) {
        c.why = Basis::dkim_domain;
        c.matched = signer;
        return c;
      }
    }
  }
  c.cls = SourceClass::forwarder;
  if (at_least(st.forwarded, st.messages, k_forwarder_share)) {
    c.why = Basis::forwarding_reason;
    return c;
  }
  if (at_least(st.dkim_aligned, st.messages, k_forwarder_share)
      && below(st.spf_pass, st.messages, k_forwarder_share)) {
    c.why = Basis::dkim_only;
    return c;
  }
  if (at_least(st.dmarc_pass, st.messages, k_inferred_pass_share)) {
    c.cls = SourceClass::authorized;
    c.why = Basis::inferred;
    return c;
  }
  c.cls = SourceClass::unknown;
  c.why = Basis::failing;
  return c;
}

// Folds `more` (the same source) into `into`.
void fold(SourceStats& into, SourceStats&& more)
{
  into.messages += more.messages;
  into.dmarc_pass += more.dmarc_pass;
  into.dkim_aligned += more.dkim_aligned;
  into.spf_aligned += more.spf_aligned;
  into.spf_pass += more.spf_pass;
  into.spf_own += more.spf_own;
  into.spf_own_pass += more.spf_own_pass;
  into.forwarded += more.forwarded;
  into.first_day = std::min(into.first_day, more.first_day);
  into.last_day = std::max(into.last_day, more.last_day);
  if (into.reverse_dns.empty()) {
    into.reverse_dns = std::move(more.reverse_dns);
  }
  for (std::string& d : more.dkim_domains) {
    if (std::find(into.dkim_domains.begin(), into.dkim_domains.end(), d) == into.dkim_domains.end()) {
      into.dkim_domains.push_back(std::move(d));
    }
  }
}

// One entry per IPv6 address: reporters write the same one differently ("2001:DB8::1",
// "2001:db8:0::1"; RFC 5952 asks for one form, not all follow it), and the store keeps
// each as reported. Dotted IPv4 has a single form; IPv4-mapped IPv6 joins it.
void fold_ipv6_spellings(std::vector<SourceStats>& sources)
{
  std::map<std::array<uint8_t, 16>, std::size_t> first;
  bool mapped = false;             // some IPv4-mapped IPv6: dotted IPv4 must be looked up too
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].ip.find(':') == std::string::npos) {
      continue;
    }
    if (auto ip = parse_ip(sources[i].ip)) {
      first.emplace(ip->bytes, i);
      mapped = mapped || ip->v4;
    }
  }
  if (first.empty()) {
    return;
  }
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const bool look = sources[i].messages > 0
                      && (mapped || sources[i].ip.find(':') != std::string::npos);
    auto ip = look ? parse_ip(sources[i].ip) : std::nullopt;
    if (!ip) {
      continue;
    }
    auto it = first.find(ip->bytes);
    if (it != first.end() && it->second != i) {
      // Into the one listed first (the store lists the biggest first), with its spelling.
      const std::size_t keep = std::min(it->second, i);
      const std::size_t gone = std::max(it->second, i);
      fold(sources[keep], std::move(sources[gone]));
      sources[gone].messages = 0;   // left out below
      it->second = keep;
    }
  }
}

std::vector<ClassifiedSource> classify_all(std::vector<SourceStats>&& sources,
                                           const DomainMatchers& m)
{
  fold_ipv6_spellings(sources);
  std::vector<ClassifiedSource> out;
  out.reserve(sources.size());
  for (SourceStats& s : sources) {
    if (s.messages > 0) {
      out.push_back(classify_one(std::move(s), m));
    }
  }
  // The store hands sources over biggest first; sort only when they come otherwise.
  const auto bigger = [](const ClassifiedSource& a, const ClassifiedSource& b) {
    return a.stats.messages > b.stats.messages;
  };
  if (!std::is_sorted(out.begin(), out.end(), bigger)) {
    std::stable_sort(out.begin(), out.end(), bigger);
  }
  return out;
}

const char* class_word(SourceClass cls)
{
  switch (cls) {
  case SourceClass::authorized: return "authorized";
  case SourceClass::forwarder: return "forwarder";
  case SourceClass::unknown: return "unknown";
  }
  return "unknown";
}

// ---- shared gates -------------------------------------------------------------------------

// What is lacking for a judgement: days and reporting organizations.
std::vector<std::string> missing_data(int64_t days, int64_t min_days, int64_t reporters,
                                      int64_t min_reporters, const char* what)
{
  std::vector<std::string> missing;
  if (days < min_days) {
    missing.push_back(std::to_string(min_days - days) + " more day" + (min_days - days == 1 ? "" : "s")
                      + " of " + what + " (have " + std::to_string(days) + " of "
                      + std::to_string(min_days) + ")");
  }
  if (reporters < min_reporters) {
    missing.push_back("reports from " + std::to_string(min_reporters - reporters) + " more reporting "
                      + (min_reporters - reporters == 1 ? "organization" : "organizations")
                      + " (have " + std::to_string(reporters) + " of "
                      + std::to_string(min_reporters) + ")");
  }
  return missing;
}

std::string join(const std::vector<std::string>& items, const char* separator)
{
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : separator) + item;
  }
  return out;
}

// ---- DMARC --------------------------------------------------------------------------------

// The published DMARC record with the step changed: p=, and pct=/t= only as the step needs.
std::string dmarc_from_published(const std::string& published, std::string_view p,
                                 std::optional<int64_t> pct, bool testing)
{
  std::string r = record_text::with_tag(published, "p", p);
  if (pct && *pct < 100) {
    r = record_text::with_tag(r, "pct", std::to_string(*pct));
  } else if (record_text::tag_value(r, "pct")) {
    r = record_text::without_tag(r, "pct");
  }
  const auto t = record_text::tag_value(r, "t");
  if (testing) {
    r = record_text::with_tag(r, "t", "y");
  } else if (t && text::iequals(*t, "y")) {
    r = record_text::without_tag(r, "t");
  }
  return r;
}

Check judge_dmarc(const DomainStats& stats, const DomainAdvice& a,
                  const config::AdvisorSettings& s, const config::DomainSettings* cfg,
                  int64_t as_of_day, const Published* published)
{
  Check c;
  PolicyStats pol = stats.policy;
  std::string disagreement;
  const bool from_dns = published != nullptr && published->dmarc_known
                        && !published->dmarc_record.empty();
  if (from_dns) {
    // What DNS publishes now is the current stage; reports show what receivers saw.
    const std::string& rec = published->dmarc_record;
    c.published = rec;
    std::string p = text::to_lower(record_text::tag_value(rec, "p").value_or("none"));
    if (p != "none" && p != "quarantine" && p != "reject") {
      p = "none";
    }
    std::optional<int64_t> pct;
    if (const auto v = record_text::tag_value(rec, "pct"); v && !v->empty() && v->size() <= 3
        && std::all_of(v->begin(), v->end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      pct = std::stoll(*v);
    }
    std::optional<std::string> t;
    if (const auto v = record_text::tag_value(rec, "t")) {
      t = text::to_lower(*v);
    }
    const bool differs = pol.known && (pol.p != p || pol.pct.value_or(100) != pct.value_or(100)
                                       || (pol.testing.value_or("n") == "y") != (t.value_or("n") == "y"));
    if (differs) {
      disagreement = " DNS publishes p=" + p + (pct && *pct < 100 ? " pct=" + std::to_string(*pct) : "")
                     + (t == "y" ? " t=y" : "") + ", but the newest reports show p=" + pol.p
                     + (pol.pct && *pol.pct < 100 ? " pct=" + std::to_string(*pol.pct) : "")
                     + (pol.testing == "y" ? " t=y" : "")
                     + ": the record changed recently (or receivers still cache the old one); "
                       "judged on what DNS publishes, counted as published since the newest report.";
      pol.since_day = pol.newest_day;
    }
    pol.p = p;
    pol.pct = pct;
    pol.testing = t;
    if (!pol.known) {
      pol.known = true;
      pol.newest_day = as_of_day;
      pol.since_day = as_of_day;
    }
  }
  bool placeholder = false;
  const std::string rua = rua_value(cfg, placeholder);
  if (from_dns) {
    placeholder = false;
  }
  // Every record suggested: the published one with the step changed, or (without DNS) one
  // built from the reported policy.
  auto record = [&](std::string_view p, std::optional<int64_t> pct, bool testing) {
    return from_dns ? dmarc_from_published(published->dmarc_record, p, pct, testing)
                    : dmarc_record(pol, p, pct, testing, rua);
  };
  auto finish = [&](Check& done) -> Check& {
    done.explanation += disagreement;
    return done;
  };
  const std::string rua_note =
    placeholder ? " Replace <your-report-address> with your rua address (or set rua in the "
                  "domain's [[domain]] block)."
                : "";

  std::vector<Number>& e = c.evidence;
  add_int(e, "days", stats.days);
  add_int(e, "min_days", s.min_days);
  add_int(e, "reporters", static_cast<int64_t>(stats.reporters.size()));
  add_int(e, "min_reporters", s.min_reporters);
  add_int(e, "messages", stats.messages);
  add_share(e, "dmarc_pass_share", share_of(stats.dmarc_pass, stats.messages));
  add_int(e, "authorized_sources", a.authorized.sources);
  add_int(e, "authorized_messages", a.authorized.messages);
  add_share(e, "authorized_pass_share", share_of(a.authorized.dmarc_pass, a.authorized.messages));
  add_int(e, "forwarder_sources", a.forwarder.sources);
  add_int(e, "forwarder_messages", a.forwarder.messages);
  add_int(e, "unknown_sources", a.unknown.sources);
  add_int(e, "unknown_messages", a.unknown.messages);

  if (!pol.known || stats.messages == 0) {
    c.current = pol.known ? pol.p : "";
    c.missing.push_back("DMARC aggregate reports for " + stats.domain + " in the last "
                        + std::to_string(stats.to_day - stats.from_day + 1) + " days");
    c.explanation = "No DMARC aggregate reports for " + stats.domain
                    + " in this window: check that the _dmarc record has a rua= address and "
                      "that its mailbox is being imported.";
    return finish(c);
  }

  const int level = level_of(pol.p);
  c.current = pol.p;
  c.current_pct = pol.pct.value_or(100);
  c.current_testing = pol.testing && *pol.testing == "y";
  c.published_since_day = pol.since_day;
  const bool partial = level > 0 && (*c.current_pct < 100 || c.current_testing);
  const int64_t published_days = pol.newest_day - pol.since_day + 1;
  add_int(e, "current_pct", *c.current_pct);
  add_int(e, "published_days", published_days);
  const std::string current_record = from_dns ? published->dmarc_record
                                              : dmarc_record(pol, pol.p, pol.pct, c.current_testing, rua);
  c.dns_record = current_record;
  const std::string stage = "p=" + pol.p
                            + (*c.current_pct < 100 ? " pct=" + std::to_string(*c.current_pct) : "")
                            + (c.current_testing ? " t=y" : "");

  // Authorized sources that fail, worst volume first.
  std::vector<const ClassifiedSource*> authorized;
  for (const ClassifiedSource& src : a.sources) {
    if (src.cls == SourceClass::authorized) {
      authorized.push_back(&src);
    }
  }
  auto failing = [&](double threshold) {
    std::vector<const ClassifiedSource*> out;
    for (const ClassifiedSource* src : authorized) {
      if (below(src->stats.dmarc_pass, src->stats.messages, threshold)) {
        out.push_back(src);
      }
    }
    return out;
  };
  auto blocker_for = [&](const ClassifiedSource& src, const std::string& why) {
    return Blocker{src.stats.ip, src.stats.messages,
                   share_of(src.stats.dmarc_pass, src.stats.messages), why};
  };
  // Unknown sources that authenticate, just not as this domain: a valid DKIM signature of
  // another d= and SPF passing for their own envelope on at least half of their mail. That
  // is what a newsletter service, CRM or ticketing system sending with your From looks
  // like before it is set up to sign with your domain, but also what spam from a sender's
  // own authenticated domain looks like. DESIGN.md: unknown sources are shown, never a
  // blocker; so they are named in the explanation for the admin to check before
  // publishing, until listed (authorized) or marked not theirs (ignore_dkim_domains).
  auto third_party_note = [&](const std::string& target) {
    std::vector<std::string> named;
    for (const ClassifiedSource& src : a.sources) {
      const SourceStats& st = src.stats;
      if (src.cls != SourceClass::unknown || st.dkim_domains.empty()
          || below(st.spf_pass, st.messages, k_forwarder_share)) {
        continue;
      }
      bool ignored = false;
      if (cfg != nullptr) {
        for (const std::string& signer : st.dkim_domains) {
          for (const std::string& d : cfg->ignore_dkim_domains) {
            ignored = ignored || within(signer, d);
          }
        }
      }
      if (!ignored) {
        named.push_back(st.ip + " (" + plural(st.messages, "message", "messages") + ", seen "
                        + date(st.first_day) + " to " + date(st.last_day) + ", signs DKIM as d="
                        + join(st.dkim_domains, ", d=") + ")");
      }
    }
    if (named.empty()) {
      return std::string();
    }
    return " Check first: " + join(named, "; ")
           + (named.size() == 1 ? " authenticates" : " authenticate")
           + " as another domain (DKIM with its own d=, SPF for its own envelope), so DMARC "
             "fails for "
           + stats.domain + " and it counts as unknown. If it sends for you (newsletter, CRM, "
             "ticketing), have it sign with d="
           + stats.domain + " and list it (authorized_ips or dkim_domains) before moving to "
           + target + ", or its mail will " + (target == "p=reject" ? "be refused" : "go to spam")
           + "; if it is not yours, add its d= to ignore_dkim_domains to silence this note.";
  };

  // A published enforcing policy with an authorized source failing: hurting real mail.
  // RFC 9990 t=y at quarantine asks receivers to apply none, so nothing is hurt yet; at
  // reject it asks them to quarantine instead.
  const bool enforcing = level == 2 || (level == 1 && !c.current_testing);
  const auto hurt = failing(s.source_min_pass_share);
  if (enforcing && !hurt.empty()) {
    c.verdict = Verdict::regression;
    int64_t failed = 0;
    for (const ClassifiedSource* src : hurt) {
      failed += src->stats.messages - src->stats.dmarc_pass;
      c.blockers.push_back(blocker_for(
        *src, "authorized (" + src->basis() + ") but passes DMARC on only "
                + percent(src->stats.dmarc_pass, src->stats.messages) + " of "
                + plural(src->stats.messages, "message", "messages") + "; under " + stage
                + " receivers "
                + (level == 2 && !c.current_testing ? "reject" : "quarantine") + " the rest"));
    }
    c.explanation = stage + " is hurting your own mail: " + plural(static_cast<int64_t>(hurt.size()), "authorized source", "authorized sources")
                    + " failed DMARC on " + plural(failed, "message", "messages")
                    + ". Fix its DKIM signing or SPF (see the blockers) now, or step back to a "
                      "weaker policy until it passes; the record shown is the one published.";
    return finish(c);
  }

  // Enough data?
  c.missing = missing_data(stats.days, s.min_days, static_cast<int64_t>(stats.reporters.size()),
                           s.min_reporters, "reports");
  const bool towards_reject = (level == 1 && !partial) || level == 2;
  c.next = level == 2 && !partial ? "" : (towards_reject ? "reject" : "quarantine");
  if (!c.missing.empty()) {
    c.verdict = Verdict::wait;
    c.explanation = "Not enough data to judge " + stage + " yet: need " + join(c.missing, " and ")
                    + ". Keep the current record.";
    return finish(c);
  }

  const auto auth_share = share_of(a.authorized.dmarc_pass, a.authorized.messages);
  if (a.authorized.messages == 0) {
    c.blockers.push_back({"authorized sources", 0, std::nullopt,
                          "no mail from an authorized source was seen; if " + stats.domain
                            + " sends no mail at all, publish p=reject, otherwise list your "
                              "senders in its [[domain]] block"});
  }

  if (!towards_reject) {
    // none, or partial quarantine (pct < 100 or t=y) → full quarantine.
    add_share(e, "required_pass_share", s.quarantine_pass_share);
    add_share(e, "source_min_pass_share", s.source_min_pass_share);
    for (const ClassifiedSource* src : failing(s.source_min_pass_share)) {
      c.blockers.push_back(blocker_for(
        *src, "authorized (" + src->basis() + ") but passes DMARC on only "
                + percent(src->stats.dmarc_pass, src->stats.messages) + "; every authorized "
                "source needs " + percent(s.source_min_pass_share)));
    }
    if (a.authorized.messages > 0
        && below(a.authorized.dmarc_pass, a.authorized.messages, s.quarantine_pass_share)) {
      c.blockers.push_back({"all authorized sources", a.authorized.messages, auth_share,
                            percent(*auth_share) + " of authorized mail passes DMARC; "
                              + percent(s.quarantine_pass_share) + " needed"});
    }
    const std::string target = "p=quarantine";
    if (c.blockers.empty()) {
      c.verdict = Verdict::advance;
      c.publish = true;
      c.dns_record = record("quarantine", std::nullopt, false);
      c.explanation =
        std::to_string(stats.days) + " days of reports from "
        + plural(static_cast<int64_t>(stats.reporters.size()), "organization", "organizations")
        + " show " + percent(*auth_share) + " of your authorized mail passing DMARC ("
        + percent(s.quarantine_pass_share) + " needed) and no authorized source below "
        + percent(s.source_min_pass_share) + ": it is safe to move from " + stage + " to "
        + target + ". Mail failing DMARC (" + plural(a.unknown.messages, "message", "messages")
        + " from " + plural(a.unknown.sources, "unknown source", "unknown sources")
        + " in this window) will then go to spam." + rua_note;
    } else {
      c.verdict = Verdict::hold;
      c.explanation = "Stay at " + stage + " for now: "
                      + plural(static_cast<int64_t>(c.blockers.size()), "problem blocks", "problems block")
                      + " the move to " + target
                      + " (see the blockers). Fix the senders named there (their DKIM signing or "
                        "SPF, or your configuration), then wait for new reports.";
    }
    c.explanation += third_party_note(target);
    return finish(c);
  }

  if (level == 2 && !partial) {
    c.verdict = Verdict::done;
    c.explanation = "p=reject is published and healthy: "
                    + (auth_share ? percent(*auth_share) : std::string("all"))
                    + " of authorized mail passes DMARC and mail failing DMARC ("
                    + plural(a.unknown.messages, "message", "messages")
                    + " from unknown sources in this window) is rejected. Nothing to change.";
    if (a.authorized.messages == 0) {
      c.blockers.clear();
    }
    return finish(c);
  }

  // Full quarantine (or partial reject) → full reject.
  add_share(e, "required_pass_share", s.reject_pass_share);
  add_int(e, "quarantine_min_days", s.quarantine_min_days);
  if (published_days < s.quarantine_min_days) {
    c.blockers.push_back({"policy", 0, std::nullopt,
                          stage + " has been published for " + plural(published_days, "day", "days")
                            + " (since " + date(pol.since_day) + "); "
                            + std::to_string(s.quarantine_min_days) + " needed"});
  }
  if (a.authorized.messages > 0
      && below(a.authorized.dmarc_pass, a.authorized.messages, s.reject_pass_share)) {
    c.blockers.push_back({"all authorized sources", a.authorized.messages, auth_share,
                          percent(*auth_share) + " of authorized mail passes DMARC; "
                            + percent(s.reject_pass_share) + " needed"});
  }
  for (const ClassifiedSource* src : failing(s.reject_pass_share)) {
    if (src->stats.first_day > as_of_day - s.new_source_days) {
      c.blockers.push_back(blocker_for(
        *src, "a new authorized source (first seen " + date(src->stats.first_day)
                + ") passes DMARC on only " + percent(src->stats.dmarc_pass, src->stats.messages)
                + "; sources seen for less than " + std::to_string(s.new_source_days)
                + " days must pass " + percent(s.reject_pass_share)));
    }
  }
  if (c.blockers.empty()) {
    c.verdict = Verdict::advance;
    c.publish = true;
    c.dns_record = record("reject", std::nullopt, false);
    c.explanation = stage + " has been published for " + plural(published_days, "day", "days")
                    + " and " + percent(*auth_share) + " of authorized mail passes DMARC ("
                    + percent(s.reject_pass_share) + " needed): it is safe to move to p=reject. "
                    "Receivers will then refuse mail failing DMARC instead of filing it as spam."
                    + rua_note;
  } else {
    c.verdict = Verdict::hold;
    c.explanation = "Stay at " + stage + " for now: "
                    + plural(static_cast<int64_t>(c.blockers.size()), "problem blocks", "problems block")
                    + " the move to p=reject (see the blockers).";
  }
  c.explanation += third_party_note("p=reject");
  return finish(c);
}

// ---- SPF ----------------------------------------------------------------------------------

// The published "all" qualifier as receivers report it for mail that does not match.
std::string spf_qualifier(const DomainStats& stats)
{
  const int64_t fail = stats.spf_own_fail;
  const int64_t soft = stats.spf_own_softfail;
  const int64_t neutral = stats.spf_own_neutral;
  if (fail == 0 && soft == 0 && neutral == 0) {
    return "unknown";
  }
  if (fail >= soft && fail >= neutral) {
    return "-all";
  }
  return soft >= neutral ? "~all" : "?all";
}

std::string spf_record(const config::DomainSettings* cfg, bool& placeholder)
{
  std::string mechanisms;
  if (cfg != nullptr) {
    for (const std::string& range : cfg->authorized_ips) {
      const std::string_view r = text::trim(range);
      if (!parse_range(r)) {
        continue;
      }
      mechanisms += (r.find(':') == std::string_view::npos ? " ip4:" : " ip6:") + std::string(r);
    }
    for (const std::string& include : cfg->spf_includes) {
      mechanisms += " include:" + std::string(text::trim(include));
    }
  }
  placeholder = mechanisms.empty();
  if (placeholder) {
    mechanisms = " <your current mechanisms>";
  }
  return "v=spf1" + mechanisms + " -all";
}

Check judge_spf(const DomainStats& stats, const DomainAdvice& a, const config::AdvisorSettings& s,
                const config::DomainSettings* cfg, const Published* published)
{
  Check c;
  c.current = spf_qualifier(stats);
  c.next = "-all";
  bool placeholder = false;
  std::string record = spf_record(cfg, placeholder);
  std::string disagreement;
  std::vector<Blocker> refusals;   // why the published record must not get -all yet
  const bool from_dns = published != nullptr && published->spf_known && !published->spf_record.empty();
  if (from_dns) {
    // The published record is the current one; the suggestion changes only its all term.
    const std::string& rec = published->spf_record;
    c.published = rec;
    std::string all = text::to_lower(record_text::all_term(rec));
    if (all == "all") {
      all = "+all";
    }
    const std::string reported = c.current;
    if (!all.empty()) {
      c.current = all;
      if (reported != "unknown" && reported != all) {
        disagreement = " DNS publishes " + all + ", but receivers reported " + reported
                       + " for failing mail in this window: the record changed recently (or "
                         "receivers still cache the old one).";
      }
    }
    if (const auto changed = record_text::with_all_qualifier(rec, '-')) {
      record = *changed;
      placeholder = false;
    } else {
      record.clear();
      placeholder = true;
      refusals.push_back({"SPF record", 0, std::nullopt,
                          "the published record has no all term (it ends in redirect=): change "
                          "the all term of the record it redirects to"});
    }
    if (published->spf_lookups > 10) {
      refusals.push_back({"SPF record", 0, std::nullopt,
                          "the published record needs " + std::to_string(published->spf_lookups)
                            + " DNS lookups, over the limit of 10 (RFC 7208 §4.6.4): receivers "
                              "already get a permanent error; remove includes or use ip4:/ip6: first"});
    }
    for (const std::string& ip : published->spf_missed_ips) {
      refusals.push_back({ip, 0, std::nullopt,
                          "in authorized_ips but not passed by the published record: with -all its "
                          "mail would fail SPF; add ip4:/ip6:" + ip + " (or its relay's include:) first"});
    }
  }
  auto finish = [&](Check& done) -> Check& {
    done.explanation += disagreement;
    return done;
  };
  std::vector<Number>& e = c.evidence;
  add_int(e, "days", stats.days);
  add_int(e, "reporters", static_cast<int64_t>(stats.reporters.size()));
  add_share(e, "required_pass_share", s.spf_pass_share);
  add_int(e, "spf_fail_messages", stats.spf_own_fail);
  add_int(e, "spf_softfail_messages", stats.spf_own_softfail);
  add_int(e, "spf_neutral_messages", stats.spf_own_neutral);
  int64_t own = 0, own_pass = 0, dkim = 0;
  for (const ClassifiedSource& src : a.sources) {
    if (src.cls == SourceClass::authorized) {
      own += src.stats.spf_own;
      own_pass += src.stats.spf_own_pass;
      dkim += src.stats.dkim_aligned;
    }
  }
  add_int(e, "authorized_messages", a.authorized.messages);
  add_int(e, "authorized_own_envelope_messages", own);
  add_share(e, "authorized_spf_pass_share", share_of(own_pass, own));
  add_share(e, "authorized_dkim_aligned_share", share_of(dkim, a.authorized.messages));
  add_int(e, "forwarder_messages", a.forwarder.messages);

  if (stats.messages == 0) {
    c.missing.push_back("DMARC aggregate reports for " + stats.domain);
    c.explanation = "No DMARC aggregate reports for " + stats.domain + " in this window.";
    return finish(c);
  }

  // Authorized senders failing SPF for the domain's envelope, or relying on SPF alone:
  // one blocker per source naming both problems.
  std::vector<Blocker> spf_failing, all_problems;
  for (const ClassifiedSource& src : a.sources) {
    if (src.cls != SourceClass::authorized) {
      continue;
    }
    const SourceStats& st = src.stats;
    const bool spf_bad = st.spf_own > 0 && below(st.spf_own_pass, st.spf_own, s.spf_pass_share);
    const bool dkim_bad = below(st.dkim_aligned, st.messages, s.spf_pass_share);
    if (!spf_bad && !dkim_bad) {
      continue;
    }
    std::string why = "authorized (" + src.basis() + ") but";
    if (spf_bad) {
      why += " passes SPF for @" + stats.domain + " on only " + percent(st.spf_own_pass, st.spf_own)
             + " of " + plural(st.spf_own, "message", "messages") + " ("
             + percent(s.spf_pass_share) + " needed)";
    }
    if (dkim_bad) {
      why += std::string(spf_bad ? " and" : "") + " carries aligned DKIM on only "
             + percent(st.dkim_aligned, st.messages)
             + ", so forwarded copies of its mail would fail DMARC once SPF fails hard";
    }
    Blocker b = spf_bad ? Blocker{st.ip, st.spf_own, share_of(st.spf_own_pass, st.spf_own), why}
                        : Blocker{st.ip, st.messages, share_of(st.dkim_aligned, st.messages), why};
    if (spf_bad) {
      spf_failing.push_back(b);
    }
    all_problems.push_back(std::move(b));
  }

  if (c.current == "-all" && !spf_failing.empty()) {
    c.verdict = Verdict::regression;
    c.next = "";
    c.blockers = spf_failing;
    c.dns_record = placeholder ? "" : record;
    c.explanation = "SPF -all is published and authorized mail fails it: receivers that "
                    "enforce SPF reject it before DMARC is consulted. Add the sending IPs to "
                    "the SPF record (see the blockers).";
    return finish(c);
  }
  if (c.current == "-all") {
    c.next = "";
  }
  c.missing = missing_data(stats.days, s.min_days, static_cast<int64_t>(stats.reporters.size()),
                           s.min_reporters, "reports");
  if (!c.missing.empty()) {
    c.verdict = Verdict::wait;
    c.explanation = "Not enough data to judge SPF -all yet: need " + join(c.missing, " and ") + ".";
    return finish(c);
  }
  c.blockers = all_problems;
  c.blockers.insert(c.blockers.end(), refusals.begin(), refusals.end());
  if (a.authorized.messages == 0) {
    c.blockers.push_back({"authorized sources", 0, std::nullopt,
                          "no mail from an authorized source was seen"});
  }
  const std::string fwd =
    a.forwarder.messages > 0
      ? " Forwarded mail (" + plural(a.forwarder.messages, "message", "messages") + " from "
          + plural(a.forwarder.sources, "forwarder", "forwarders") + ") does not depend on SPF: "
          + percent(a.forwarder.dmarc_pass, a.forwarder.messages)
          + " of it passes DMARC on its aligned DKIM signature."
      : "";
  if (c.current == "-all") {
    c.verdict = c.blockers.empty() ? Verdict::done : Verdict::hold;
    c.next = "";
    c.dns_record = placeholder ? "" : record;
    c.explanation = c.blockers.empty()
                      ? "SPF -all is published and every authorized source passes it." + fwd
                      : !refusals.empty()
                          ? "SPF -all is published, but the record itself needs fixing: "
                              + refusals.front().why + "."
                          : "SPF -all is published, but some authorized mail relies on SPF alone "
                            "(see the blockers): sign it with DKIM.";
    return finish(c);
  }
  if (c.blockers.empty()) {
    c.verdict = Verdict::advance;
    c.publish = true;
    c.dns_record = record;
    c.explanation = "Every authorized source passes SPF for @" + stats.domain + " ("
                    + (own > 0 ? percent(own_pass, own) : std::string("no own envelopes"))
                    + ") and carries aligned DKIM: it is safe to end the SPF record with -all"
                    + (c.current == "unknown" ? "" : " instead of " + c.current) + "." + fwd
                    + (placeholder ? " Keep your current mechanisms and change only the final "
                                     "qualifier (list authorized_ips or spf_includes in "
                                     "[[domain]] to get the full record)."
                                   : "");
  } else if (!refusals.empty() && refusals.size() == c.blockers.size()) {
    c.verdict = Verdict::hold;
    c.dns_record = "";
    c.explanation = "Keep " + (c.current == "unknown" ? std::string("the current SPF record") : c.current)
                    + " for now: the -all record is refused because " + refusals.front().why
                    + (refusals.size() > 1 ? " (and see the other blockers)" : "") + ".";
  } else {
    c.verdict = Verdict::hold;
    c.explanation = "Keep " + (c.current == "unknown" ? std::string("the current SPF record") : c.current)
                    + " for now: " + plural(static_cast<int64_t>(c.blockers.size()), "authorized source needs", "authorized sources need")
                    + " fixing first (see the blockers).";
  }
  return finish(c);
}

// ---- DKIM ---------------------------------------------------------------------------------

Check judge_dkim(const DomainStats& stats, const DomainAdvice& a, const config::AdvisorSettings& s,
                 const config::DomainSettings* cfg)
{
  Check c;
  // Selectors by name (over every d= domain they sign for).
  std::map<std::string, SelectorAdvice> by_name;
  for (const SelectorStats& sel : stats.selectors) {
    SelectorAdvice& x = by_name[sel.selector];
    x.selector = sel.selector;
    x.messages += sel.messages;
    x.pass += sel.pass;
    x.aligned_pass += sel.aligned_pass;
    x.dkim_domains.push_back(sel.dkim_domain);
  }
  std::vector<std::string> configured;
  if (cfg != nullptr) {
    for (const std::string& name : cfg->dkim_selectors) {
      const std::string n = text::to_lower(text::trim(name));
      if (!n.empty()) {
        configured.push_back(n);
        by_name[n].selector = n;
        by_name[n].configured = true;
      }
    }
  }
  for (auto& [name, sel] : by_name) {
    c.selectors.push_back(sel);
  }
  std::sort(c.selectors.begin(), c.selectors.end(), [](const SelectorAdvice& x, const SelectorAdvice& y) {
    if (x.configured != y.configured) {
      return x.configured;
    }
    if (x.messages != y.messages) {
      return x.messages > y.messages;
    }
    return x.selector < y.selector;
  });
  int64_t dkim = 0;
  for (const ClassifiedSource& src : a.sources) {
    if (src.cls == SourceClass::authorized) {
      dkim += src.stats.dkim_aligned;
    }
  }
  std::vector<Number>& e = c.evidence;
  add_int(e, "days", stats.days);
  add_int(e, "reporters", static_cast<int64_t>(stats.reporters.size()));
  add_int(e, "selectors_configured", static_cast<int64_t>(configured.size()));
  add_int(e, "selectors_seen", static_cast<int64_t>(stats.selectors.empty() ? 0 : std::count_if(
                                 c.selectors.begin(), c.selectors.end(),
                                 [](const SelectorAdvice& x) { return x.messages > 0; })));
  add_share(e, "authorized_dkim_aligned_share", share_of(dkim, a.authorized.messages));

  if (stats.messages == 0) {
    c.missing.push_back("DMARC aggregate reports for " + stats.domain);
    c.explanation = "No DMARC aggregate reports for " + stats.domain + " in this window.";
    return c;
  }
  // Failures of a selector that mail from outside your authorized sources cannot explain.
  const int64_t outside = a.forwarder.messages + a.unknown.messages;
  const auto own_failures = [&](const SelectorAdvice& sel) {
    return std::max<int64_t>(0, sel.messages - sel.aligned_pass - outside);
  };
  for (const std::string& name : configured) {
    const SelectorAdvice& sel = by_name[name];
    if (sel.messages == 0) {
      c.blockers.push_back({"selector " + name, 0, std::nullopt,
                            "never seen in " + std::to_string(stats.to_day - stats.from_day + 1)
                              + " days of reports: is the signer configured, and is "
                              + name + "._domainkey." + stats.domain + " published?"});
    } else if (sel.aligned_pass == 0) {
      c.blockers.push_back({"selector " + name, sel.messages, share_of(sel.pass, sel.messages),
                            sel.pass > 0 ? "passes only with a d= not aligned with the From ("
                                             + join(sel.dkim_domains, ", ") + ")"
                                         : "seen on " + plural(sel.messages, "message", "messages")
                                             + " but never passing: check its public key"});
    } else if (const int64_t own_fail = own_failures(sel);
               below(sel.aligned_pass, sel.aligned_pass + own_fail, s.source_min_pass_share)) {
      // Selector results are not kept per source: the failures that forwarders (a mailing
      // list rewriting the body) and spoofers (a forged s=) could account for are left out,
      // so neither ever blocks; what remains failed on your own mail.
      const int64_t judged = sel.aligned_pass + own_fail;
      c.blockers.push_back({"selector " + name, judged, share_of(sel.aligned_pass, judged),
                            "passes aligned on only " + percent(sel.aligned_pass, judged) + " of "
                              + plural(judged, "message", "messages")
                              + (judged < sel.messages
                                   ? " (leaving out " + count(sel.messages - judged)
                                       + " failures that forwarders or unknown sources may have "
                                         "caused)"
                                   : std::string())
                              + "; " + percent(s.source_min_pass_share) + " expected"});
    }
  }
  if (configured.empty()) {
    for (const ClassifiedSource& src : a.sources) {
      if (src.cls == SourceClass::authorized
          && below(src.stats.dkim_aligned, src.stats.messages, s.source_min_pass_share)) {
        c.blockers.push_back({src.stats.ip, src.stats.messages,
                              share_of(src.stats.dkim_aligned, src.stats.messages),
                              "authorized (" + src.basis() + ") but signs with aligned DKIM on only "
                                + percent(src.stats.dkim_aligned, src.stats.messages)});
      }
    }
  }
  // Too little data is "wait" even when every selector was seen: a few days from one
  // reporter do not show that a selector signs all the mail (DESIGN.md: never a guess).
  c.missing = missing_data(stats.days, s.min_days, static_cast<int64_t>(stats.reporters.size()),
                           s.min_reporters, "reports");
  if (!c.missing.empty()) {
    c.verdict = Verdict::wait;
    c.blockers.clear();
    c.explanation = "Not enough data to judge DKIM yet: need " + join(c.missing, " and ") + ".";
    return c;
  }
  c.missing.clear();
  std::vector<std::string> passing;
  for (const SelectorAdvice& sel : c.selectors) {
    if (sel.aligned_pass > 0) {
      passing.push_back(sel.selector.empty() ? "(no selector)" : sel.selector);
    }
  }
  if (c.blockers.empty()) {
    c.verdict = Verdict::done;
    c.explanation = configured.empty()
                      ? "Authorized mail carries aligned DKIM signatures (selectors seen passing: "
                          + (passing.empty() ? std::string("none") : join(passing, ", "))
                          + "). List your selectors in dkim_selectors to be told when one stops "
                            "signing."
                      : "Every configured selector (" + join(configured, ", ")
                          + ") was seen passing with an aligned signature.";
  } else {
    c.verdict = Verdict::hold;
    c.explanation = configured.empty()
                      ? "Some authorized mail is not signed with an aligned DKIM key (see the "
                        "blockers); without it, forwarding breaks DMARC."
                      : "Not every configured selector signs as it should (see the blockers).";
  }
  return c;
}

// ---- MTA-STS ------------------------------------------------------------------------------

// RFC 8460 §4.3 result types that mean an enforcing MTA-STS policy would stop delivery.
bool blocks_enforce(std::string_view result_type)
{
  static const std::set<std::string_view> k_blocking = {
    "starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
    "certificate-not-trusted", "validation-failure", "sts-policy-fetch-error",
    "sts-policy-invalid", "sts-webpki-invalid"};
  return k_blocking.count(result_type) != 0;
}

std::string policy_file(const TlsPolicyStats& sts)
{
  std::vector<std::string> mx;
  std::string max_age;
  std::string_view rest = sts.policy_string;
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = text::trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (line.size() > 3 && text::iequals(line.substr(0, 3), "mx:")) {
      mx.emplace_back(text::trim(line.substr(3)));
    } else if (line.size() > 8 && text::iequals(line.substr(0, 8), "max_age:")) {
      max_age = std::string(text::trim(line.substr(8)));
    }
  }
  if (mx.empty()) {
    mx = sts.mx_hosts;
  }
  std::string out = "version: STSv1\nmode: enforce\n";
  for (const std::string& m : mx) {
    out += "mx: " + m + "\n";
  }
  if (mx.empty()) {
    out += "mx: <your MX host>\n";
  }
  out += "max_age: " + (max_age.empty() ? std::string("604800") : max_age) + "\n";
  return out;
}

Check judge_mta_sts(const DomainStats& stats, const config::AdvisorSettings& s, int64_t as_of_day)
{
  Check c;
  const TlsPolicyStats* sts = nullptr;
  bool other_tls = false;
  for (const TlsPolicyStats& t : stats.tls) {
    if (t.policy_type == "sts") {
      sts = &t;
    } else {
      other_tls = true;
    }
  }
  if (sts == nullptr) {
    c.current = other_tls ? "none" : "unknown";
    if (other_tls) {
      c.missing.push_back("TLS reports for an MTA-STS policy (they show no MTA-STS policy: "
                          "publish one in mode: testing first)");
      c.explanation = "TLS reports for " + stats.domain + " show no MTA-STS policy. Publish one "
                      "in mode: testing (an _mta-sts TXT record and the policy file); the advice "
                      "to enforce follows once reports for it come in.";
    } else {
      c.missing.push_back("TLS-RPT reports (policy type sts) for " + stats.domain);
      c.explanation = "No TLS reports for " + stats.domain + " in this window: publish a "
                      "_smtp._tls TXT record with a rua= address and import that mailbox.";
    }
    return c;
  }
  c.current = sts->mode.empty() ? "unknown" : sts->mode;
  c.next = c.current == "enforce" ? "" : "enforce";
  const int64_t sessions = sts->success + sts->failure;
  const int64_t clean_from = as_of_day - s.mta_sts_clean_days + 1;
  std::map<std::string, std::pair<int64_t, int64_t>> recent;   // type → sessions, last day
  int64_t last_blocking_day = -1;
  for (const TlsFailureDay& f : sts->failures) {
    if (!blocks_enforce(f.result_type) || f.sessions <= 0) {
      continue;
    }
    last_blocking_day = std::max(last_blocking_day, f.day);
    if (f.day >= clean_from) {
      auto& r = recent[f.result_type];
      r.first += f.sessions;
      r.second = std::max(r.second, f.day);
    }
  }
  std::vector<Number>& e = c.evidence;
  add_int(e, "days", sts->days);
  add_int(e, "min_days", s.mta_sts_min_days);
  add_int(e, "reporters", sts->reporters);
  add_int(e, "min_reporters", s.mta_sts_min_reporters);
  add_int(e, "sessions", sessions);
  add_int(e, "failure_sessions", sts->failure);
  add_share(e, "failure_share", share_of(sts->failure, sessions));
  add_share(e, "max_failure_share", s.mta_sts_max_failure_share);
  add_int(e, "clean_days_required", s.mta_sts_clean_days);
  if (last_blocking_day >= 0) {
    add_int(e, "days_since_blocking_failure", as_of_day - last_blocking_day);
  }
  // A new policy id (RFC 8461 §3.1): the date, so it changes with each advised step.
  std::string stamp = date(as_of_day);
  stamp.erase(std::remove(stamp.begin(), stamp.end(), '-'), stamp.end());
  const std::string txt = "v=STSv1; id=" + stamp + "T000000";

  std::vector<Blocker> recent_blockers;
  for (const auto& [type, r] : recent) {
    // Which MX the reporters name for this failure type (over the window, most first), so
    // the admin knows where to look: one MX with an expired certificate is the usual case.
    std::string hosts;
    int named = 0;
    for (const TlsFailureHost& h : sts->failure_hosts) {
      if (h.result_type != type) {
        continue;
      }
      if (++named > 3) {
        hosts += ", ...";
        break;
      }
      hosts += (hosts.empty() ? "" : ", ") + h.mx_host + " ("
               + plural(h.sessions, "session", "sessions") + ")";
    }
    recent_blockers.push_back({type, r.first, std::nullopt,
                               plural(r.first, "failed session", "failed sessions") + " in the last "
                                 + std::to_string(s.mta_sts_clean_days) + " days (last on "
                                 + date(r.second) + ")"
                                 + (hosts.empty() ? "" : "; receiving MX in this window: " + hosts)
                                 + "; an enforced policy would stop that mail"});
  }
  std::sort(recent_blockers.begin(), recent_blockers.end(),
            [](const Blocker& x, const Blocker& y) { return x.messages > y.messages; });

  if (c.current == "enforce" && !recent_blockers.empty()) {
    c.verdict = Verdict::regression;
    c.blockers = recent_blockers;
    c.explanation = "MTA-STS mode: enforce is published and senders fail to deliver over "
                    "verified TLS (see the blockers): mail to " + stats.domain
                    + " is being refused or delayed. Fix the certificate or policy now, or "
                      "switch the policy back to mode: testing.";
    return c;
  }
  c.missing = missing_data(sts->days, s.mta_sts_min_days, sts->reporters, s.mta_sts_min_reporters,
                           "TLS reports");
  if (!c.missing.empty()) {
    c.verdict = Verdict::wait;
    c.explanation = "Not enough TLS reports to judge MTA-STS yet: need " + join(c.missing, " and ")
                    + ".";
    return c;
  }
  c.blockers = recent_blockers;
  if (sessions > 0 && !below(sts->failure, sessions, s.mta_sts_max_failure_share)) {
    c.blockers.push_back({"all sessions", sts->failure, share_of(sts->success, sessions),
                          percent(sts->failure, sessions) + " of " + plural(sessions, "session", "sessions")
                            + " failed; less than " + percent(s.mta_sts_max_failure_share)
                            + " needed"});
  }
  if (sessions == 0) {
    c.blockers.push_back({"all sessions", 0, std::nullopt, "no sessions reported"});
  }
  if (c.current == "enforce") {
    c.verdict = c.blockers.empty() ? Verdict::done : Verdict::hold;
    c.explanation = c.blockers.empty()
                      ? "MTA-STS mode: enforce is published and healthy: "
                          + percent(sts->success, sessions) + " of " + plural(sessions, "session", "sessions")
                          + " succeeded."
                      : "MTA-STS mode: enforce is published but failures show up (see the blockers).";
    return c;
  }
  if (c.blockers.empty()) {
    c.verdict = Verdict::advance;
    c.publish = true;
    c.dns_record = txt;
    c.policy_file = policy_file(*sts);
    c.explanation = std::to_string(sts->days) + " days of TLS reports from "
                    + plural(sts->reporters, "organization", "organizations") + " show "
                    + percent(sts->failure, sessions) + " failed sessions and no certificate, "
                    "validation or policy-fetch failure in the last "
                    + std::to_string(s.mta_sts_clean_days)
                    + " days: it is safe to switch the MTA-STS policy to mode: enforce. Serve "
                      "the policy file below at https://mta-sts." + stats.domain
                    + "/.well-known/mta-sts.txt, then publish the new id in the _mta-sts."
                    + stats.domain + " TXT record.";
  } else {
    c.verdict = Verdict::hold;
    c.explanation = "Keep MTA-STS in mode: " + c.current + " for now: "
                    + plural(static_cast<int64_t>(c.blockers.size()), "problem", "problems")
                    + " would make an enforced policy stop mail (see the blockers).";
  }
  return c;
}

} // namespace

std::string_view to_string(Verdict verdict)
{
  switch (verdict) {
  case Verdict::wait: return "wait";
  case Verdict::advance: return "advance";
  case Verdict::hold: return "hold";
  case Verdict::regression: return "regression";
  case Verdict::done: return "done";
  }
  return "wait";
}

std::string_view to_string(SourceClass cls) { return class_word(cls); }

bool Advice::regression() const
{
  for (const DomainAdvice& d : domains) {
    for (const Check* c : {&d.dmarc, &d.spf, &d.dkim, &d.mta_sts}) {
      if (c->verdict == Verdict::regression) {
        return true;
      }
    }
  }
  return false;
}

int64_t window_from_day(int64_t as_of_day, const config::AdvisorSettings& settings)
{
  return as_of_day - std::max(settings.window_days, 1) + 1;
}

std::string ClassifiedSource::basis() const
{
  const SourceStats& s = stats;
  switch (why) {
  case Basis::authorized_ips: return "in authorized_ips " + matched;
  case Basis::ptr_domain: return "reverse DNS " + s.reverse_dns + " in authorized_ptr_domains";
  case Basis::dkim_domain: return "signs DKIM as d=" + matched + " (dkim_domains)";
  case Basis::forwarding_reason:
    return "forwarded or mailing-list reason on " + percent(s.forwarded, s.messages);
  case Basis::dkim_only:
    return "SPF fails but aligned DKIM passes on " + percent(s.dkim_aligned, s.messages);
  case Basis::inferred: return "inferred: passes DMARC on " + percent(s.dmarc_pass, s.messages);
  case Basis::failing: return "fails DMARC on " + percent(s.messages - s.dmarc_pass, s.messages);
  }
  return "";
}

std::vector<ClassifiedSource> classify(const DomainStats& stats,
                                       const config::DomainSettings* domain,
                                       std::vector<std::string>* notes)
{
  return classify_all(std::vector<SourceStats>(stats.sources), matchers_of(domain, notes));
}

DomainAdvice advise_domain(DomainStats stats, const config::AdvisorSettings& settings,
                           const config::DomainSettings* domain, int64_t as_of_day,
                           const Published* published)
{
  DomainAdvice a;
  a.domain = stats.domain;
  a.configured = domain != nullptr;
  a.from_day = stats.from_day;
  a.to_day = stats.to_day;
  if (domain == nullptr) {
    a.notes.push_back("No [[domain]] block for " + stats.domain
                      + ": authorized sources are inferred (those passing DMARC on at least "
                      + percent(k_inferred_pass_share)
                      + " of their mail). Add a [[domain]] block with authorized_ips to be sure.");
  }
  a.sources = classify_all(std::move(stats.sources), matchers_of(domain, &a.notes));
  stats.sources.clear();
  for (const ClassifiedSource& src : a.sources) {
    ClassTotals& t = src.cls == SourceClass::authorized ? a.authorized
                     : src.cls == SourceClass::forwarder ? a.forwarder
                                                         : a.unknown;
    ++t.sources;
    t.messages += src.stats.messages;
    t.dmarc_pass += src.stats.dmarc_pass;
  }
  a.dmarc = judge_dmarc(stats, a, settings, domain, as_of_day, published);
  a.spf = judge_spf(stats, a, settings, domain, published);
  a.dkim = judge_dkim(stats, a, settings, domain);
  a.mta_sts = judge_mta_sts(stats, settings, as_of_day);
  return a;
}

std::vector<Finding> to_findings(const Advice& advice)
{
  std::vector<Finding> out;
  for (const DomainAdvice& d : advice.domains) {
    const std::pair<const char*, const Check*> checks[] = {
      {"dmarc", &d.dmarc}, {"spf", &d.spf}, {"dkim", &d.dkim}, {"mta-sts", &d.mta_sts}};
    for (const auto& [name, c] : checks) {
      Finding f;
      f.domain = d.domain;
      f.check = name;
      f.verdict = std::string(to_string(c->verdict));
      f.message = c->explanation;
      f.record = c->publish ? c->dns_record : "";
      f.as_of = advice.as_of_day * 86400;
      f.warning = c->verdict == Verdict::regression || c->verdict == Verdict::hold;
      for (const Number& n : c->evidence) {
        f.numbers.emplace_back(n.name, n.value);
      }
      out.push_back(std::move(f));
    }
  }
  return out;
}

} // namespace dmarc::advise
