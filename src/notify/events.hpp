// notify: the events worth telling the admin, computed from stored facts and the advisor's
// verdicts, and which of them a channel still has to hear. Pure: facts in, values out.
//
// Why stable keys: `dmarcctl notify` runs every night and judges the same history again, so
// each event carries a key that names the thing it is about ("verdict:example.com:dmarc",
// "failing-source:example.com:198.51.100.7") and a fingerprint of its form (the verdict and
// the step, the class of a source). A channel hears an event when its key is new to it, when
// its fingerprint changed, or — for the kinds that say so (`announce_clear`) — when it went
// away ("cleared"). Everything else was said already and is not repeated.
//
// Kinds (severity): verdict (critical for a regression, info for an advance), failing-source
// (critical when the source is authorized, else warning), authorized-below (warning),
// silent-reporter (warning), silent-domain (critical), tls-failures (warning), lost-reports
// (critical), account-failed (critical).
#pragma once

#include "advise/advisor.hpp"
#include "core/notify_facts.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::notify {

enum class Severity { info, warning, critical };

// "info", "warning", "critical".
std::string_view to_string(Severity severity);
// The severity named `name`; info for anything else.
Severity severity_of(std::string_view name);

struct Event
{
  std::string key;               // stable: the same thing gives the same key every run
  std::string kind;              // verdict, failing-source, ... (see the head of this file)
  std::string domain;            // "" when about no domain (lost reports, an account)
  Severity severity = Severity::warning;
  std::string text;              // one line for people
  std::string detail;            // more lines ("" when none): evidence, the DNS record
  std::string fingerprint;       // the event's form: a different one is sent again
  bool announce_clear = false;   // its going away is sent as "cleared"
};

struct Settings
{
  int64_t min_messages = 50;           // failing messages a day that make a source worth a mail
  int silent_days = 7;                 // days without reports that make a reporter silent
  double source_min_pass_share = 0.95; // an authorized source below this is worth a mail
  int new_source_days = 14;            // a source first seen this recently is new
  int recent_days = 7;                 // TLS failures, lost reports: the days looked at
};

// Everything the rules look at. `advice` holds every domain's verdicts and classified
// sources (src/advise); the rest comes from the store (store/notify_queries.hpp).
struct Facts
{
  int64_t as_of_day = 0;
  const advise::Advice* advice = nullptr;
  std::vector<FailingSourceDay> failing;     // days in [as_of - recent_days, as_of]
  std::vector<ReporterActivity> reporters;   // report days, a long lookback (120 days)
  std::vector<TlsFailureFact> tls_failures;  // days in [as_of - recent_days, as_of]
  std::vector<IngestRun> runs;               // recent imports and fetches, oldest first
  std::optional<IngestRun> latest_fetch;     // the newest fetch, however old
};

// The events true as of `facts.as_of_day`, sorted by key.
std::vector<Event> compute_events(const Facts& facts, const Settings& settings);

enum class Change { raised, changed, cleared };

// "new", "changed", "cleared".
std::string_view to_string(Change change);

// One event a channel has to hear, and how it changed since the channel last heard of it.
struct Notice
{
  Event event;                   // for a clearing: the event as it was last delivered (info)
  Change change = Change::raised;
};

// What a channel last heard of an event key (store::DeliveredRow without the store).
struct Delivered
{
  std::string key;
  std::string kind;
  std::string domain;
  std::string severity;
  std::string fingerprint;
  std::string text;
  bool active = false;
  bool announce_clear = false;
};

struct Plan
{
  std::vector<Notice> notices;         // to send, worst first
  std::vector<Delivered> after;        // the channel's rows to write once it accepted them
                                       // (also the quiet ones: an event gone unannounced)
};

// What a channel with the state `delivered` has to hear of `current`.
Plan plan(const std::vector<Event>& current, const std::vector<Delivered>& delivered);

} // namespace dmarc::notify
