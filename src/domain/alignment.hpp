// Identifier alignment (RFC 7489 §3.1, RFC 9990 §4.4): is an authenticated domain (DKIM d=,
// SPF MAIL FROM) aligned with the RFC5322.From domain?
//
// Why here: alignment is computed once at import and stored, so summaries and the advisor
// never recompute it. Relaxed mode compares organizational domains, which needs the Public
// Suffix List (libpsl with Debian's `publicsuffix` data); strict mode compares the names.
// The reporter's own verdict (policy_evaluated) wins where it exists: it is what decided
// the disposition, and it is what parsedmarc-based dashboards show. Pure (the PSL data is
// loaded once, read-only).
#pragma once

#include "core/report.hpp"

#include <string>
#include <string_view>

namespace dmarc::domain {

enum class Mode { relaxed, strict };

// "r"/absent → relaxed, "s" → strict.
Mode mode_from(const OptString& value);

// The organizational (registrable) domain of `name`, lower case, without a trailing dot;
// `name` itself when the PSL knows no registrable part (e.g. a bare public suffix).
std::string organizational_domain(std::string_view name);

// True when `authenticated` is aligned with `from` under `mode`.
bool aligned(std::string_view authenticated, std::string_view from, Mode mode);

// Fills the record alignment flags of every record of `report`:
// dkim_aligned = policy_evaluated dkim is "pass", or, when the reporter gave no
// policy_evaluated dkim, some DKIM result passes with an aligned domain; spf_aligned
// likewise (SPF results of scope mfrom or without scope); dmarc_aligned = either.
void compute_alignment(AggregateReport& report);

} // namespace dmarc::domain
