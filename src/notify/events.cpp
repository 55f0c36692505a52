#include "notify/events.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

namespace dmarc::notify {

namespace {

std::string day_text(int64_t day) { return text::format_date(day * 86400); }

// "87.3%".
std::string percent(double share)
{
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", share * 100.0);
  return buf;
}

// "DMARC", "SPF", "DKIM", "MTA-STS".
std::string check_label(std::string_view check)
{
  std::string out(check);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

// Names and data from reports are shown as printable text: no control character (a CR or LF
// from a hostile report must never reach a mail header or break a line).
std::string clean(std::string_view s) { return text::printable(s); }

void verdict_events(const advise::Advice& advice, std::vector<Event>& out)
{
  for (const advise::DomainAdvice& d : advice.domains) {
    const std::pair<const char*, const advise::Check*> checks[] = {
      {"dmarc", &d.dmarc}, {"spf", &d.spf}, {"dkim", &d.dkim}, {"mta-sts", &d.mta_sts}};
    for (const auto& [name, c] : checks) {
      if (c->verdict != advise::Verdict::regression && c->verdict != advise::Verdict::advance) {
        continue;
      }
      Event e;
      e.key = "verdict:" + d.domain + ":" + name;
      e.kind = "verdict";
      e.domain = d.domain;
      const std::string domain = clean(d.domain);
      if (c->verdict == advise::Verdict::regression) {
        e.severity = Severity::critical;
        e.text = domain + ": " + check_label(name) + " regression"
                 + (c->current.empty() ? "" : " at " + clean(c->current))
                 + ": the published policy hurts authorized mail";
        e.announce_clear = true;
      } else {
        e.severity = Severity::info;
        e.text = domain + ": " + check_label(name) + " may advance"
                 + (c->next.empty() ? "" : " to " + clean(c->next));
      }
      e.detail = clean(c->explanation);
      if (c->publish && !c->dns_record.empty()) {
        e.detail += (e.detail.empty() ? "" : "\n") + std::string("Publish: ") + clean(c->dns_record);
      }
      for (const advise::Blocker& b : c->blockers) {
        e.detail += "\n- " + clean(b.source) + ": " + clean(b.why);
      }
      e.fingerprint = std::string(advise::to_string(c->verdict)) + "|" + c->next;
      out.push_back(std::move(e));
    }
  }
}

const advise::ClassifiedSource* find_source(const advise::DomainAdvice& d, const std::string& ip)
{
  for (const advise::ClassifiedSource& s : d.sources) {
    if (s.stats.ip == ip) {
      return &s;
    }
  }
  return nullptr;
}

void source_events(const Facts& facts, const Settings& settings, std::vector<Event>& out)
{
  std::unordered_map<std::string, const advise::DomainAdvice*> domains;
  if (facts.advice != nullptr) {
    for (const advise::DomainAdvice& d : facts.advice->domains) {
      domains[d.domain] = &d;
    }
  }
  // New failing sources: the worst day of each (domain, ip) first seen recently.
  std::map<std::pair<std::string, std::string>, FailingSourceDay> worst;
  for (const FailingSourceDay& f : facts.failing) {
    if (f.failing < settings.min_messages
        || f.first_day < facts.as_of_day - settings.new_source_days || f.day > facts.as_of_day) {
      continue;
    }
    auto [it, added] = worst.emplace(std::make_pair(f.domain, f.ip), f);
    if (!added && f.failing > it->second.failing) {
      it->second = f;
    }
  }
  for (const auto& [where, f] : worst) {
    const advise::ClassifiedSource* s = nullptr;
    if (auto d = domains.find(f.domain); d != domains.end()) {
      s = find_source(*d->second, f.ip);
    }
    const advise::SourceClass cls = s != nullptr ? s->cls : advise::SourceClass::unknown;
    const std::string name = s != nullptr ? clean(s->stats.reverse_dns) : "";
    Event e;
    e.key = "failing-source:" + f.domain + ":" + f.ip;
    e.kind = "failing-source";
    e.domain = f.domain;
    e.severity = cls == advise::SourceClass::authorized ? Severity::critical : Severity::warning;
    e.text = clean(f.domain) + ": new " + std::string(advise::to_string(cls)) + " source "
             + clean(f.ip) + (name.empty() ? "" : " (" + name + ")") + " failed DMARC on "
             + text::plural(f.failing, "message", "messages") + " on " + day_text(f.day);
    e.detail = "First seen " + day_text(f.first_day) + ".";
    if (s != nullptr) {
      e.detail += " Classified " + std::string(advise::to_string(cls)) + ": " + clean(s->basis()) + ".";
    }
    e.fingerprint = std::string(advise::to_string(cls));
    out.push_back(std::move(e));
  }
  // Authorized sources below the pass share.
  if (facts.advice == nullptr) {
    return;
  }
  for (const advise::DomainAdvice& d : facts.advice->domains) {
    for (const advise::ClassifiedSource& s : d.sources) {
      if (s.cls != advise::SourceClass::authorized || s.stats.messages < settings.min_messages) {
        continue;
      }
      const double share = static_cast<double>(s.stats.dmarc_pass) / static_cast<double>(s.stats.messages);
      if (share >= settings.source_min_pass_share) {
        continue;
      }
      Event e;
      e.key = "authorized-below:" + d.domain + ":" + s.stats.ip;
      e.kind = "authorized-below";
      e.domain = d.domain;
      e.severity = Severity::warning;
      const std::string name = clean(s.stats.reverse_dns);
      e.text = clean(d.domain) + ": authorized source " + clean(s.stats.ip)
               + (name.empty() ? "" : " (" + name + ")") + " passes DMARC on only "
               + percent(share) + " of " + text::plural(s.stats.messages, "message", "messages")
               + " (below " + percent(settings.source_min_pass_share) + ")";
      e.detail = "Window " + day_text(d.from_day) + " to " + day_text(d.to_day) + "; "
                 + clean(s.basis()) + ".";
      e.announce_clear = true;
      out.push_back(std::move(e));
    }
  }
}

// Reported in each of the four weeks up to and including `last`.
bool weekly(const std::vector<int64_t>& days, int64_t last)
{
  bool week[4] = {false, false, false, false};
  for (int64_t day : days) {
    const int64_t back = last - day;
    if (back >= 0 && back < 28) {
      week[back / 7] = true;
    }
  }
  return week[0] && week[1] && week[2] && week[3];
}

void silence_events(const Facts& facts, const Settings& settings, std::vector<Event>& out)
{
  std::map<std::string, int64_t> domain_last;
  for (const ReporterActivity& r : facts.reporters) {
    if (!r.days.empty() && r.days.back() <= facts.as_of_day) {
      int64_t& last = domain_last.try_emplace(r.domain, r.days.back()).first->second;
      last = std::max(last, r.days.back());
    }
  }
  std::set<std::string> silent_domains;
  for (const auto& [domain, last] : domain_last) {
    if (domain.empty() || facts.as_of_day - last <= settings.silent_days) {
      continue;
    }
    silent_domains.insert(domain);
    Event e;
    e.key = "silent-domain:" + domain;
    e.kind = "silent-domain";
    e.domain = domain;
    e.severity = Severity::critical;
    e.text = clean(domain) + ": no DMARC aggregate report since " + day_text(last) + " ("
             + text::plural(facts.as_of_day - last, "day", "days") + ")";
    e.detail = "Check the rua= tag of the _dmarc." + clean(domain)
               + " TXT record and the mailbox it names.";
    e.announce_clear = true;
    out.push_back(std::move(e));
  }
  for (const ReporterActivity& r : facts.reporters) {
    std::vector<int64_t> days;
    for (int64_t day : r.days) {
      if (day <= facts.as_of_day) {
        days.push_back(day);
      }
    }
    if (days.empty() || silent_domains.count(r.domain) != 0) {
      continue;
    }
    const int64_t last = days.back();
    if (facts.as_of_day - last <= settings.silent_days || !weekly(days, last)) {
      continue;
    }
    Event e;
    e.key = "silent-reporter:" + r.domain + ":" + r.org_name;
    e.kind = "silent-reporter";
    e.domain = r.domain;
    e.severity = Severity::warning;
    e.text = clean(r.domain) + ": reporter " + clean(r.org_name)
             + " sent reports every week but none since " + day_text(last) + " ("
             + text::plural(facts.as_of_day - last, "day", "days") + ")";
    e.announce_clear = true;
    out.push_back(std::move(e));
  }
}

void tls_events(const Facts& facts, const Settings& settings, std::vector<Event>& out)
{
  // Per domain and day: sessions by result type.
  std::map<std::pair<std::string, int64_t>, std::vector<std::pair<std::string, int64_t>>> days;
  for (const TlsFailureFact& f : facts.tls_failures) {
    if (f.day > facts.as_of_day || f.day < facts.as_of_day - settings.recent_days || f.sessions <= 0) {
      continue;
    }
    days[{f.domain, f.day}].emplace_back(f.result_type, f.sessions);
  }
  for (const auto& [where, types] : days) {
    int64_t total = 0;
    std::string list;
    for (const auto& [type, sessions] : types) {
      total += sessions;
      list += (list.empty() ? "" : ", ") + clean(type) + " " + std::to_string(sessions);
    }
    Event e;
    e.key = "tls-failures:" + where.first + ":" + day_text(where.second);
    e.kind = "tls-failures";
    e.domain = where.first;
    e.severity = Severity::warning;
    e.text = clean(where.first) + ": " + text::plural(total, "failed TLS session", "failed TLS sessions")
             + " on " + day_text(where.second) + " (" + list + ")";
    e.fingerprint = std::to_string(total);
    out.push_back(std::move(e));
  }
}

void run_events(const Facts& facts, std::vector<Event>& out)
{
  for (const IngestRun& run : facts.runs) {
    if (run.lost <= 0) {
      continue;
    }
    Event e;
    e.key = "lost-reports:" + std::to_string(run.id);
    e.kind = "lost-reports";
    e.severity = Severity::critical;
    e.text = clean(run.command) + " at " + text::format_utc(run.finished_at) + " UTC lost "
             + text::plural(run.lost, "report", "reports")
             + " (rejected as corrupt, invalid or too large, or partly stored)";
    for (const std::string& line : run.problems) {
      e.detail += (e.detail.empty() ? "" : "\n") + clean(line);
    }
    out.push_back(std::move(e));
  }
  if (facts.latest_fetch) {
    for (const std::string& account : facts.latest_fetch->failed_accounts) {
      Event e;
      e.key = "account-failed:" + account;
      e.kind = "account-failed";
      e.severity = Severity::critical;
      e.text = "fetch: account " + clean(account) + " failed at "
               + text::format_utc(facts.latest_fetch->finished_at) + " UTC"
               + " (run `dmarcctl fetch -v` for the step)";
      e.announce_clear = true;
      out.push_back(std::move(e));
    }
  }
}

int rank(Severity s) { return static_cast<int>(s); }

} // namespace

std::string_view to_string(Severity severity)
{
  switch (severity) {
  case Severity::info: return "info";
  case Severity::warning: return "warning";
  case Severity::critical: return "critical";
  }
  return "info";
}

Severity severity_of(std::string_view name)
{
  return name == "critical" ? Severity::critical : name == "warning" ? Severity::warning : Severity::info;
}

std::string_view to_string(Change change)
{
  switch (change) {
  case Change::raised: return "new";
  case Change::changed: return "changed";
  case Change::cleared: return "cleared";
  }
  return "new";
}

std::vector<Event> compute_events(const Facts& facts, const Settings& settings)
{
  std::vector<Event> out;
  if (facts.advice != nullptr) {
    verdict_events(*facts.advice, out);
  }
  source_events(facts, settings, out);
  silence_events(facts, settings, out);
  tls_events(facts, settings, out);
  run_events(facts, out);
  std::sort(out.begin(), out.end(), [](const Event& a, const Event& b) { return a.key < b.key; });
  // One event per key (a key is a thing; the rules above never make two, but be sure).
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Event& a, const Event& b) { return a.key == b.key; }),
            out.end());
  return out;
}

Plan plan(const std::vector<Event>& current, const std::vector<Delivered>& delivered)
{
  std::unordered_map<std::string, const Delivered*> known;
  for (const Delivered& d : delivered) {
    known[d.key] = &d;
  }
  Plan p;
  std::set<std::string> present;
  for (const Event& e : current) {
    present.insert(e.key);
    const auto it = known.find(e.key);
    const Delivered* d = it == known.end() ? nullptr : it->second;
    if (d != nullptr && d->active && d->fingerprint == e.fingerprint) {
      continue; // said already
    }
    p.notices.push_back({e, d != nullptr && d->active ? Change::changed : Change::raised});
    p.after.push_back({e.key, e.kind, e.domain, std::string(to_string(e.severity)), e.fingerprint,
                       e.text, true, e.announce_clear});
  }
  for (const Delivered& d : delivered) {
    if (!d.active || present.count(d.key) != 0) {
      continue;
    }
    Delivered gone = d;
    gone.active = false;
    if (d.announce_clear) {
      Event e;
      e.key = d.key;
      e.kind = d.kind;
      e.domain = d.domain;
      e.severity = Severity::info;
      e.text = d.text;
      e.fingerprint = d.fingerprint;
      p.notices.push_back({std::move(e), Change::cleared});
    }
    p.after.push_back(std::move(gone));
  }
  // Worst first; among clearings, the one of the worse event first.
  std::unordered_map<std::string, int> former;
  for (const Delivered& d : delivered) {
    former[d.key] = rank(severity_of(d.severity));
  }
  const auto order = [&former](const Notice& n) {
    const int before = n.change == Change::cleared ? former[n.event.key] : rank(n.event.severity);
    return std::make_pair(rank(n.event.severity), before);
  };
  std::stable_sort(p.notices.begin(), p.notices.end(),
                   [&order](const Notice& a, const Notice& b) { return order(a) > order(b); });
  return p;
}

} // namespace dmarc::notify
