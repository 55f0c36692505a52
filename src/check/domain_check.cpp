#include "check/domain_check.hpp"

#include "advise/ip.hpp"
#include "check/dkim_key.hpp"
#include "check/dmarc_record.hpp"
#include "check/mta_sts.hpp"
#include "check/net_names.hpp"
#include "check/spf.hpp"
#include "core/text.hpp"
#include "domain/alignment.hpp"

#include <algorithm>

namespace dmarc::check {

namespace {

// The TXT records of `name` that `select` accepts; null while pending. A failed lookup
// adds a dns-error problem and returns an empty list with `failed` set.
struct Selected
{
  bool pending = false;
  bool failed = false;
  std::vector<std::string> records;      // accepted
  std::vector<std::string> others;       // TXT records at the name that are not of the kind
};

template <typename Accept>
Selected select_txt(Lookups& lookups, const std::string& name, Accept accept, Problems& problems,
                    std::string_view what)
{
  Selected s;
  const Answer* a = lookups.dns(name, RrType::txt);
  if (a == nullptr) {
    s.pending = true;
    return s;
  }
  if (a->failed()) {
    s.failed = true;
    add_error(problems, "dns-error", "The TXT lookup of " + name + " failed ("
                                       + std::string(to_string(a->status))
                                       + (a->error.empty() ? "" : ": " + a->error) + "), so the "
                                       + std::string(what) + " could not be checked: check that "
                                       "the domain's name servers answer.");
    return s;
  }
  for (const std::string& r : a->records) {
    (accept(r) ? s.records : s.others).push_back(r);
  }
  return s;
}

void note_text_issues(const std::string& record, const std::string& name, Problems& problems)
{
  if (has_non_ascii(record)) {
    add_warning(problems, "record-non-ascii", "The record at " + name + " holds bytes outside "
                                              "printable ASCII ('" + printable(record, 60)
                                              + "'): retype it in plain ASCII.");
  }
  if (record.size() > k_long_record) {
    add_warning(problems, "record-too-long", "The record at " + name + " is "
                                             + std::to_string(record.size()) + " bytes long; "
                                             "receivers may not fetch answers that large: "
                                             "shorten it.");
  }
}

// ---- DMARC ----

void check_dmarc(Lookups& lookups, const std::string& domain, DomainCheck& out)
{
  DmarcCheck& d = out.dmarc;
  std::string name = "_dmarc." + domain;
  Selected s = select_txt(lookups, name, is_dmarc_record, d.problems, "DMARC record");
  if (s.pending) {
    out.complete = false;
    return;
  }
  if (s.failed) {
    return;
  }
  if (s.records.empty()) {
    // RFC 7489 §6.6.3: no record at the domain → the organizational domain's applies.
    const std::string org = domain::organizational_domain(domain);
    if (org != domain && !org.empty()) {
      name = "_dmarc." + org;
      Problems ignored;
      Selected o = select_txt(lookups, name, is_dmarc_record, ignored, "DMARC record");
      if (o.pending) {
        out.complete = false;
        return;
      }
      if (o.records.size() == 1) {
        s = o;
        add_warning(d.problems, "dmarc-inherited",
                    "_dmarc." + domain + " has no record: the policy of the organizational "
                    "domain " + org + " applies (its sp= if set). Publish a record for " + domain
                    + " to set its own policy.");
      }
    }
  }
  if (s.records.empty()) {
    add_error(d.problems, "dmarc-missing",
              "No DMARC record at _dmarc." + domain
                + (s.others.empty() ? std::string() : " (TXT there: '" + printable(s.others.front(), 60) + "')")
                + ": publish TXT \"v=DMARC1; p=none; rua=mailto:<your report mailbox>\" to start "
                  "receiving reports.");
    return;
  }
  if (s.records.size() > 1) {
    add_error(d.problems, "dmarc-multiple",
              "_dmarc." + domain + " has " + std::to_string(s.records.size())
                + " DMARC records, so receivers apply none: keep exactly one.");
    return;
  }
  d.record = s.records.front();
  d.found_at = name;
  note_text_issues(d.record, name, d.problems);
  DmarcRecord rec = parse_dmarc(d.record);
  d.tags = rec.tags;
  d.problems.insert(d.problems.end(), rec.problems.begin(), rec.problems.end());

  // External report destinations need <domain>._report._dmarc.<dest> (RFC 7489 §7.1).
  const std::string own_org = domain::organizational_domain(domain);
  std::vector<std::string> dests;
  for (const std::vector<std::string>* uris : {&rec.rua, &rec.ruf}) {
    for (const std::string& uri : *uris) {
      const std::string dest = mailto_domain(uri);
      if (!dest.empty() && domain::organizational_domain(dest) != own_org
          && std::find(dests.begin(), dests.end(), dest) == dests.end()) {
        dests.push_back(dest);
      }
    }
  }
  for (const std::string& dest : dests) {
    const std::string auth = domain + "._report._dmarc." + dest;
    Problems dns_problems;
    Selected a = select_txt(lookups, auth, is_dmarc_record, dns_problems, "report authorization");
    if (a.pending) {
      out.complete = false;
      continue;
    }
    if (a.failed) {
      d.problems.insert(d.problems.end(), dns_problems.begin(), dns_problems.end());
      continue;
    }
    if (a.records.empty()) {
      add_error(d.problems, "rua-not-authorized",
                "Reports go to " + dest + ", another domain, which does not publish " + auth
                  + " TXT \"v=DMARC1\": receivers will not send reports there. Ask " + dest
                  + "'s admin to publish it, or use an address in " + domain + ".");
    }
  }
}

// ---- SPF ----

void check_spf(Lookups& lookups, const std::string& domain, const std::vector<std::string>& ips,
               DomainCheck& out)
{
  SpfCheck& s = out.spf;
  const SpfEvaluation walk = evaluate_spf(lookups, domain, std::nullopt);
  if (!walk.complete) {
    out.complete = false;
    return;
  }
  s.record = walk.record;
  s.lookups = walk.lookups;
  s.void_lookups = walk.void_lookups;
  s.all = walk.all;
  s.result = std::string(to_string(walk.result));
  s.problems = walk.problems;
  const Answer* txt = lookups.dns(domain, RrType::txt);
  if (txt != nullptr && txt->failed()) {
    // evaluate_spf said spf-dns-error; name it as the other parts do.
    s.problems.erase(std::remove_if(s.problems.begin(), s.problems.end(),
                                    [](const Problem& p) { return p.code == "spf-dns-error"; }),
                     s.problems.end());
    add_error(s.problems, "dns-error", "The TXT lookup of " + domain + " failed ("
                                         + std::string(to_string(txt->status)) + "), so the SPF "
                                         "record could not be checked: check that the domain's "
                                         "name servers answer.");
    return;
  }
  if (walk.result == SpfResult::none) {
    add_error(s.problems, "spf-missing",
              domain + " publishes no SPF record: publish TXT \"v=spf1 <your senders> ~all\" "
                       "(mx, ip4:, include: of your relay).");
    return;
  }
  if (s.record.empty()) {
    return; // several records (spf-multiple)
  }
  note_text_issues(s.record, domain, s.problems);
  if (s.all == "+all") {
    add_error(s.problems, "spf-pass-all", "The SPF record ends in +all, which lets anyone send as "
                                          + domain + ": end it with ~all or -all.");
  } else if (s.all == "?all") {
    add_warning(s.problems, "spf-neutral-all", "The SPF record ends in ?all, which says nothing "
                                               "about other senders: use ~all, then -all.");
  } else if (s.all.empty() && walk.result != SpfResult::permerror && walk.result != SpfResult::temperror) {
    add_warning(s.problems, "spf-no-all", "The SPF record has no all term, so other senders get "
                                          "neutral: end it with ~all, then -all.");
  }
  if (walk.result == SpfResult::permerror || walk.result == SpfResult::temperror) {
    return;
  }
  for (const std::string& entry : ips) {
    const auto range = advise::parse_range(text::trim(entry));
    if (!range) {
      continue;
    }
    const SpfEvaluation e = evaluate_spf(lookups, domain, range);
    if (!e.complete) {
      out.complete = false;
      continue;
    }
    if (e.result == SpfResult::pass && !e.partial) {
      continue;
    }
    s.authorized_ips_missed.push_back(std::string(text::trim(entry)));
    const bool v4 = range->base.v4;
    std::string why = e.partial ? "part of it gets another result"
                                : "it gets " + std::string(to_string(e.result))
                                    + (e.decided_by.empty() ? std::string() : " (from " + e.decided_by + ")");
    add_error(s.problems, "spf-misses-authorized-ip",
              "authorized_ips entry " + std::string(text::trim(entry)) + " is not passed by the SPF "
                "record: " + why + (e.uncertain ? " (a macro or ptr term could not be evaluated)" : "")
                + ". Add " + (v4 ? "ip4:" : "ip6:") + std::string(text::trim(entry))
                + " (or the include: of that relay) before the all term.");
  }
}

// ---- DKIM ----

void check_dkim(Lookups& lookups, const std::string& domain, const std::vector<std::string>& selectors,
                DomainCheck& out)
{
  for (const std::string& sel : selectors) {
    DkimCheck k;
    k.selector = sel;
    const std::string name = sel + "._domainkey." + domain;
    Selected s = select_txt(lookups, name, is_dkim_record, k.problems, "DKIM key");
    if (s.pending) {
      out.complete = false;
      continue;
    }
    if (!s.failed) {
      if (s.records.empty()) {
        add_error(k.problems, "dkim-key-missing",
                  "No DKIM key at " + name + ": publish the TXT record your signer (selector "
                    + sel + ") gives you, or remove the selector from dkim_selectors.");
      } else if (s.records.size() > 1) {
        add_error(k.problems, "dkim-invalid", name + " has " + std::to_string(s.records.size())
                                                + " key records; receivers may pick either: keep one.");
      } else {
        k.record = s.records.front();
        note_text_issues(k.record, name, k.problems);
        DkimKey key = parse_dkim_key(k.record, sel);
        k.key_type = key.key_type;
        k.key_bits = key.key_bits;
        k.testing = key.testing;
        k.revoked = key.revoked;
        k.problems.insert(k.problems.end(), key.problems.begin(), key.problems.end());
      }
    }
    out.dkim.push_back(std::move(k));
  }
}

// ---- MX ----

// The MX hosts by preference; null while pending.
std::optional<std::vector<std::pair<int, std::string>>> mx_hosts(Lookups& lookups,
                                                                  const std::string& domain,
                                                                  Problems* problems)
{
  const Answer* a = lookups.dns(domain, RrType::mx);
  if (a == nullptr) {
    return std::nullopt;
  }
  std::vector<std::pair<int, std::string>> out;
  if (a->failed()) {
    if (problems != nullptr) {
      add_error(*problems, "dns-error", "The MX lookup of " + domain + " failed ("
                                          + std::string(to_string(a->status)) + ").");
    }
    return out;
  }
  for (const std::string& r : a->records) {
    const std::size_t sp = r.find(' ');
    int pref = 0;
    try {
      pref = std::stoi(r.substr(0, sp));
    } catch (...) {
      pref = 0;
    }
    out.emplace_back(pref, normalize_name(sp == std::string::npos ? r : r.substr(sp + 1)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

void check_mx(Lookups& lookups, const std::string& domain, DomainCheck& out)
{
  auto hosts = mx_hosts(lookups, domain, &out.mx_problems);
  if (!hosts) {
    out.complete = false;
    return;
  }
  const Answer* mx = lookups.dns(domain, RrType::mx);
  if (hosts->empty() && mx != nullptr && !mx->failed()) {
    add_warning(out.mx_problems, "mx-missing", domain + " has no MX record: mail to it goes to "
                                               "its A record, if any. Publish MX records.");
    return;
  }
  constexpr std::size_t k_max_hosts = 10;
  for (std::size_t i = 0; i < hosts->size() && i < k_max_hosts; ++i) {
    MxHost h;
    h.preference = (*hosts)[i].first;
    h.host = (*hosts)[i].second;
    if (h.host.empty()) {
      // Null MX (RFC 7505): the domain accepts no mail.
      out.mx.push_back(std::move(h));
      continue;
    }
    bool all_confirmed = true;
    bool pending = false;
    for (const RrType t : {RrType::a, RrType::aaaa}) {
      const Answer* a = lookups.dns(h.host, t);
      if (a == nullptr) {
        pending = true;
        continue;
      }
      h.ips.insert(h.ips.end(), a->records.begin(), a->records.end());
    }
    if (pending) {
      out.complete = false;
      continue;
    }
    for (const std::string& ip_text_ : h.ips) {
      const auto ip = advise::parse_ip(ip_text_);
      if (!ip) {
        continue;
      }
      const Answer* ptr = lookups.dns(reverse_name(*ip), RrType::ptr);
      if (ptr == nullptr) {
        pending = true;
        continue;
      }
      bool confirmed = false;
      for (const std::string& name : ptr->records) {
        const std::string n = normalize_name(name);
        if (std::find(h.ptr.begin(), h.ptr.end(), n) == h.ptr.end()) {
          h.ptr.push_back(n);
        }
        const Answer* fwd = lookups.dns(n, ip->v4 ? RrType::a : RrType::aaaa);
        if (fwd == nullptr) {
          pending = true;
          continue;
        }
        for (const std::string& back : fwd->records) {
          const auto b = advise::parse_ip(back);
          if (b && *b == *ip) {
            confirmed = true;
          }
        }
      }
      all_confirmed = all_confirmed && confirmed;
    }
    if (pending) {
      out.complete = false;
      continue;
    }
    h.fcrdns = all_confirmed && !h.ips.empty();
    if (h.ips.empty()) {
      add_error(out.mx_problems, "mx-no-address", "MX host " + h.host + " has no A or AAAA record, "
                                                  "so mail cannot be delivered to it: fix its name "
                                                  "or its address records.");
    } else if (!h.fcrdns) {
      add_warning(out.mx_problems, "mx-no-fcrdns",
                  "MX host " + h.host + ": not every address has a PTR name that resolves back to "
                    "it (forward-confirmed reverse DNS); receivers score mail from hosts without "
                    "it as spam. Ask the address's owner to set the PTR to " + h.host + ".");
    }
    out.mx.push_back(std::move(h));
  }
}

// ---- MTA-STS ----

void check_mta_sts(Lookups& lookups, const std::string& domain, DomainCheck& out)
{
  MtaStsCheck& m = out.mta_sts;
  const std::string name = "_mta-sts." + domain;
  Selected s = select_txt(lookups, name, is_sts_record, m.problems, "MTA-STS record");
  if (s.pending) {
    out.complete = false;
    return;
  }
  if (s.failed) {
    return;
  }
  if (s.records.empty()) {
    add_warning(m.problems, "mta-sts-missing",
                "No MTA-STS record at " + name + ": senders deliver to " + domain + " without "
                  "requiring TLS. Publish a policy (mode: testing) and TXT \"v=STSv1; id=1\".");
    return;
  }
  if (s.records.size() > 1) {
    add_error(m.problems, "mta-sts-invalid", name + " has " + std::to_string(s.records.size())
                                               + " STSv1 records, so senders ignore MTA-STS: keep one.");
    return;
  }
  m.record = s.records.front();
  note_text_issues(m.record, name, m.problems);
  StsRecord rec = parse_sts_record(m.record);
  m.id = rec.id;
  m.problems.insert(m.problems.end(), rec.problems.begin(), rec.problems.end());

  // The policy host's address, through the same resolvers, then the HTTPS fetch.
  const std::string host = "mta-sts." + domain;
  const Answer* a4 = lookups.dns(host, RrType::a);
  const Answer* a6 = lookups.dns(host, RrType::aaaa);
  if (a4 == nullptr || a6 == nullptr) {
    out.complete = false;
    return;
  }
  std::string address = !a4->records.empty() ? a4->records.front()
                        : !a6->records.empty() ? a6->records.front() : std::string();
  const std::string url = "https://" + host + "/.well-known/mta-sts.txt";
  if (address.empty()) {
    add_error(m.problems, "mta-sts-policy-unreachable",
              host + " has no address" + (a4->failed() ? " (lookup " + std::string(to_string(a4->status)) + ")" : "")
                + ", so senders cannot fetch " + url + ": publish an A record for it.");
    return;
  }
  const Fetch* f = lookups.https({host, address});
  if (f == nullptr) {
    out.complete = false;
    return;
  }
  if (!f->ok) {
    add_error(m.problems, "mta-sts-policy-unreachable",
              "Fetching " + url + " failed: " + f->error + ". Senders cannot read the policy: "
              "serve it over HTTPS with a certificate valid for " + host + ".");
    return;
  }
  if (f->status != 200) {
    add_error(m.problems, "mta-sts-policy-unreachable",
              url + " answered HTTP " + std::to_string(f->status) + ", not 200: serve the policy "
              "file there.");
    return;
  }
  StsPolicy policy = parse_sts_policy(f->body);
  MtaStsPolicyView view;
  view.version = policy.version;
  view.mode = policy.mode;
  view.mx = policy.mx;
  view.max_age = policy.max_age;
  m.policy = view;
  m.problems.insert(m.problems.end(), policy.problems.begin(), policy.problems.end());
  if (policy.mode == "none" || has_code(policy.problems, "mta-sts-invalid")) {
    return;
  }
  auto hosts = mx_hosts(lookups, domain, nullptr);
  if (!hosts) {
    out.complete = false;
    return;
  }
  for (const auto& [pref, mx] : *hosts) {
    if (mx.empty()) {
      continue;
    }
    const bool covered = std::any_of(policy.mx.begin(), policy.mx.end(),
                                     [&mx = mx](const std::string& p) { return mx_pattern_matches(p, mx); });
    if (!covered) {
      add_error(m.problems, "mta-sts-mx-not-covered",
                "MX host " + mx + " matches no mx: line of the MTA-STS policy, so senders "
                  + (policy.mode == "enforce" ? std::string("refuse to deliver to it")
                                              : std::string("will fail it once the mode is enforce"))
                  + ": add 'mx: " + mx + "' to the policy and change the id= of " + name + ".");
    }
  }
}

// ---- TLS-RPT ----

void check_tlsrpt(Lookups& lookups, const std::string& domain, DomainCheck& out)
{
  TlsRptCheck& t = out.tlsrpt;
  const std::string name = "_smtp._tls." + domain;
  Selected s = select_txt(lookups, name, is_tlsrpt_record, t.problems, "TLS-RPT record");
  if (s.pending) {
    out.complete = false;
    return;
  }
  if (s.failed) {
    return;
  }
  if (s.records.empty()) {
    add_warning(t.problems, "tlsrpt-missing",
                "No TLS-RPT record at " + name + ": senders report no TLS failures. Publish TXT "
                "\"v=TLSRPTv1; rua=mailto:<your TLS report mailbox>\".");
    return;
  }
  if (s.records.size() > 1) {
    add_error(t.problems, "tlsrpt-invalid", name + " has " + std::to_string(s.records.size())
                                              + " TLSRPTv1 records, so senders use none: keep one.");
    return;
  }
  t.record = s.records.front();
  note_text_issues(t.record, name, t.problems);
  TlsRptRecord rec = parse_tlsrpt(t.record);
  t.rua = rec.rua;
  t.problems.insert(t.problems.end(), rec.problems.begin(), rec.problems.end());
}

} // namespace

std::vector<const Problem*> DomainCheck::all_problems() const
{
  std::vector<const Problem*> out;
  auto add = [&](const Problems& p) {
    for (const Problem& x : p) {
      out.push_back(&x);
    }
  };
  add(dmarc.problems);
  add(spf.problems);
  for (const DkimCheck& k : dkim) {
    add(k.problems);
  }
  add(mta_sts.problems);
  add(tlsrpt.problems);
  add(mx_problems);
  return out;
}

bool DomainCheck::has_error() const
{
  const auto all = all_problems();
  return std::any_of(all.begin(), all.end(),
                     [](const Problem* p) { return p->severity == Severity::error; });
}

DomainCheck check_domain(Lookups& lookups, const DomainInput& input)
{
  DomainCheck out;
  out.domain = normalize_name(input.domain);
  check_dmarc(lookups, out.domain, out);
  check_spf(lookups, out.domain, input.authorized_ips, out);
  check_dkim(lookups, out.domain, input.selectors, out);
  check_mx(lookups, out.domain, out);
  check_mta_sts(lookups, out.domain, out);
  check_tlsrpt(lookups, out.domain, out);
  return out;
}

} // namespace dmarc::check
