// The advisor as the CLI runs it: statistics from the store, settings and [[domain]]
// blocks from the configuration, verdicts from src/advise. Shared by `dmarcctl advise`
// and the advise step of `dmarcctl run`.
#pragma once

#include "advise/advisor.hpp"
#include "cli/context.hpp"
#include "core/report.hpp"

#include <cstdint>

namespace dmarc::cli {

enum class ReadDns { no, yes };

// The advice for the window ending `as_of_day` (Unix day): every domain with reports in
// it plus every configured [[domain]], or only `domain` when given (with or without reports).
// With ReadDns::yes the published DMARC and SPF records are read first (`check`, through
// the [enrich] resolvers) and the advice builds on them; when DNS does not answer, the
// reports are the fallback and a warning says so.
Result<advise::Advice> compute_advice(store::Database& db, const config::Config& config,
                                      const OptString& domain, int64_t as_of_day,
                                      ReadDns dns = ReadDns::no);

// The advise step of `run`: prints (stdout) the checks that need action — advance and
// regression — and returns regression when there is one, ok otherwise.
ExitCode advise_step(Context& ctx, store::Database& db, const config::Config& config,
                     ReadDns dns = ReadDns::no);

} // namespace dmarc::cli
