// ⑥ advise: per policy domain statistics → verdicts with evidence (DESIGN.md "Policy advisor").
//
// Why pure: the rules decide when an admin may tighten DMARC (RFC 7489 §6.3 p=, pct=;
// RFC 9990 t=), SPF (RFC 7208 §5.1 "-all") and MTA-STS (RFC 8461 §5 mode), judged on DMARC
// aggregate reports (RFC 7489 §7.2) and SMTP TLS reports (RFC 8460 §4). A wrong "advance"
// loses real mail, so every rule is a function of plain numbers that a table-driven test
// can pin down, and every verdict carries the numbers it was reached on.
//
// Source classification, per domain over the window (the order matters):
//  1. authorized (config): the IP is in `authorized_ips`, or its reverse DNS name is or ends
//     in an `authorized_ptr_domains` entry, or it passes DKIM with a `dkim_domains` d=;
//  2. forwarder: a forwarded / mailing_list / trusted_forwarder reason on at least half of
//     its mail, or aligned DKIM passes on at least half while SPF passes on less than half
//     (what forwarding does: the envelope stays yours, the IP is not in your SPF);
//  3. authorized (inferred): DMARC passes (aligned DKIM or SPF) on at least 90% of its mail;
//  4. unknown: the rest; presumed spoofing, shown but never a blocker, except one that
//     passes DKIM as another d= and SPF for its own envelope (a service sending as you, not
//     yet signing as your domain): it holds the next DMARC step unless its d= is in
//     `ignore_dkim_domains`.
// Verdicts: wait (too little data; `missing` says what), advance (the next step is safe),
// hold (not yet; `blockers` say why), regression (a published strict policy is hurting
// authorized mail), done (at the strictest step and healthy).
#pragma once

#include "config/config.hpp"
#include "core/finding.hpp"
#include "core/stats.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::advise {

enum class Verdict { wait, advance, hold, regression, done };
enum class SourceClass { authorized, forwarder, unknown };

// "wait", "advance", "hold", "regression", "done".
std::string_view to_string(Verdict verdict);
// "authorized", "forwarder", "unknown".
std::string_view to_string(SourceClass cls);

// Share of mail that inferred-authorized sources must pass DMARC on.
constexpr double k_inferred_pass_share = 0.90;
// Share of a source's mail with a forwarding reason (or DKIM-only pass) that makes it a forwarder.
constexpr double k_forwarder_share = 0.50;

// A named number of the evidence ("authorized_pass_share" 0.987, "days" 21).
struct Number
{
  std::string name;
  double value = 0;
  bool integer = false;
};

struct Blocker
{
  std::string source;            // an IP, a selector, a TLS result type, "policy", ...
  int64_t messages = 0;          // messages (DMARC/SPF/DKIM) or sessions (MTA-STS)
  std::optional<double> pass_share;
  std::string why;               // one sentence
};

struct SelectorAdvice
{
  std::string selector;
  bool configured = false;       // listed in dkim_selectors
  int64_t messages = 0;          // messages with a result for it (all d= domains)
  int64_t pass = 0;
  int64_t aligned_pass = 0;
  std::vector<std::string> dkim_domains;
};

// The verdict on one mechanism (DMARC, SPF, DKIM or MTA-STS) of a domain.
struct Check
{
  Verdict verdict = Verdict::wait;
  std::string current;           // dmarc: none|quarantine|reject; spf: -all|~all|?all|unknown;
                                 // mta_sts: testing|enforce|none|unknown; dkim: ""
  std::string next;              // the step the advice is about ("" when none)
  std::string dns_record;        // to publish (publish = true) or to keep as it is
  bool publish = false;
  std::string explanation;       // sentences a mail admin understands
  std::vector<std::string> missing;   // wait: what data is lacking
  std::vector<Number> evidence;
  std::vector<Blocker> blockers;
  // dmarc
  std::optional<int64_t> current_pct;
  bool current_testing = false;  // RFC 9990 t=y
  int64_t published_since_day = 0;
  // dkim
  std::vector<SelectorAdvice> selectors;
  // mta_sts: the policy file to serve at https://mta-sts.DOMAIN/.well-known/mta-sts.txt
  std::string policy_file;
  // dmarc, spf: the record DNS publishes now (`advise --dns`); "" when not read or none.
  std::string published;
};

// What DNS publishes for a domain, read by `check` (`advise --dns`, `run`): the current
// DMARC stage and SPF qualifier come from here when DNS answered (reports are the fallback,
// and a disagreement is shown), and every suggested record is the published one with only
// the step changed. Plain data: the advisor stays pure.
struct Published
{
  bool dmarc_known = false;      // DNS answered for _dmarc.<domain> (with a record or without)
  std::string dmarc_record;      // the domain's own record; "" when none
  bool spf_known = false;        // DNS answered for the domain's TXT
  std::string spf_record;        // "" when none (or several)
  int spf_lookups = 0;           // DNS-querying terms of the whole walk (RFC 7208 §4.6.4)
  std::vector<std::string> spf_missed_ips;   // authorized_ips entries the record does not pass
};

// Why a source got its class (see the head of this file).
enum class Basis { authorized_ips, ptr_domain, dkim_domain, forwarding_reason, dkim_only,
                   inferred, failing };

struct ClassifiedSource
{
  SourceStats stats;
  SourceClass cls = SourceClass::unknown;
  Basis why = Basis::failing;
  std::string matched;           // the config entry that matched (range, d= domain), or ""

  // Why it got its class, in words ("in authorized_ips 198.51.100.0/24"). Made on demand:
  // a domain may have hundreds of thousands of sources, and few are ever shown.
  std::string basis() const;
};

struct ClassTotals
{
  int64_t sources = 0;
  int64_t messages = 0;
  int64_t dmarc_pass = 0;
};

struct DomainAdvice
{
  std::string domain;
  bool configured = false;       // a [[domain]] block exists
  int64_t from_day = 0;          // the window (inclusive)
  int64_t to_day = 0;
  std::vector<std::string> notes;
  std::vector<ClassifiedSource> sources;   // by messages, descending
  ClassTotals authorized;
  ClassTotals forwarder;
  ClassTotals unknown;
  Check dmarc;
  Check spf;
  Check dkim;
  Check mta_sts;
};

struct Advice
{
  int64_t as_of_day = 0;         // "today" (Unix day)
  int window_days = 0;
  std::vector<DomainAdvice> domains;

  // True when some verdict is a regression (`advise --exit-code` exits 4).
  bool regression() const;
};

// The window the advisor judges on: the `window_days` days ending with `as_of_day`.
int64_t window_from_day(int64_t as_of_day, const config::AdvisorSettings& settings);

// Classifies the sources of `stats` (see the head of this file). `domain` may be null.
std::vector<ClassifiedSource> classify(const DomainStats& stats,
                                       const config::DomainSettings* domain,
                                       std::vector<std::string>* notes = nullptr);

// The verdicts for one domain. `stats` covers the window ending `as_of_day` (its sources
// move into the result); `domain` is its [[domain]] block or null (authorized sources
// inferred, and the notes say so).
// `published` (may be null): what DNS publishes now (see Published).
DomainAdvice advise_domain(DomainStats stats, const config::AdvisorSettings& settings,
                           const config::DomainSettings* domain, int64_t as_of_day,
                           const Published* published = nullptr);

// One Finding per domain and check, for outputs that carry findings (GELF).
std::vector<Finding> to_findings(const Advice& advice);

} // namespace dmarc::advise
