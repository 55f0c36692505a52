// SPF (RFC 7208): the record's syntax and a full check_host() evaluation over the answer
// table, for a range of addresses rather than one.
//
// Why ranges: `check` must say whether every `authorized_ips` entry of the config (a CIDR
// range) passes, and the advisor refuses a `-all` that would fail one of them. A mechanism
// covers a range fully, not at all, or partly; a range passes when the first mechanism that
// covers it fully is a pass, and no mechanism before it gave part of it another result.
// Without a target the evaluation walks every reachable mechanism and include: that walk is
// what receivers count against the limits of §4.6.4 (10 DNS-querying terms — include, a,
// mx, ptr, exists, redirect — and 2 void lookups), and its count is what `check` shows.
// Macros (§7) are left unexpanded (the mechanism matches nothing, with a warning); `ptr`
// (§5.5, "SHOULD NOT be used") is evaluated for a single address and warned about. Pure.
#pragma once

#include "advise/ip.hpp"
#include "check/lookups.hpp"
#include "check/problem.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::check {

// RFC 7208 §4.6.4 limits.
constexpr int k_spf_max_lookups = 10;
constexpr int k_spf_max_void_lookups = 2;

enum class Qualifier { pass, fail, softfail, neutral };      // + - ~ ?
enum class Mechanism { all, include, a, mx, ptr, ip4, ip6, exists };

struct SpfTerm
{
  Qualifier qualifier = Qualifier::pass;
  Mechanism mechanism = Mechanism::all;
  std::string domain;            // include/exists target, a/mx/ptr domain ("" = current)
  int cidr4 = 32;                // a/mx dual-cidr-length
  int cidr6 = 128;
  advise::IpRange range;         // ip4/ip6
  bool macro = false;            // the domain-spec holds a %{...} macro
  std::string text;              // as written
};

struct SpfRecord
{
  std::vector<SpfTerm> terms;
  std::optional<std::string> redirect;
  std::optional<std::string> exp;
  bool valid = true;             // false: a syntax error (permerror)
  Problems problems;             // spf-invalid (errors), spf-ptr / spf-macro (warnings)
};

// True when `text` is an SPF record ("v=spf1" alone or followed by a space, §4.5).
bool is_spf_record(std::string_view text);

// Parses one record.
SpfRecord parse_spf(std::string_view text);

enum class SpfResult { none, neutral, pass, fail, softfail, temperror, permerror };

// "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror".
std::string_view to_string(SpfResult result);

struct SpfEvaluation
{
  bool complete = true;          // false: answers are missing (see Lookups::take_questions)
  SpfResult result = SpfResult::none;
  std::string record;            // the domain's own SPF record ("" when none)
  int lookups = 0;               // DNS-querying terms met
  int void_lookups = 0;
  std::string all;               // the final "all" reached: "-all", "~all", "?all", "+all", ""
  std::string decided_by;        // the term that gave the result ("ip4:192.0.2.0/24", "-all")
  bool partial = false;          // a term gave part of the target range a non-pass result
  bool uncertain = false;        // a macro or a ptr could not be evaluated for the target
  Problems problems;
};

// check_host() for `domain` (RFC 7208 §4): with a target range, its result for every address
// of it (see the head of this file); without one, the walk of every term.
SpfEvaluation evaluate_spf(Lookups& lookups, std::string_view domain,
                           const std::optional<advise::IpRange>& target);

} // namespace dmarc::check
