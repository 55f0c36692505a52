// The advisor as the CLI runs it: statistics from the store, settings and [[domain]]
// blocks from the configuration, verdicts from src/advise. Shared by `dmarcctl advise`
// and the advise step of `dmarcctl run`.
#pragma once

#include "advise/advisor.hpp"
#include "cli/context.hpp"
#include "core/report.hpp"

#include <cstdint>

namespace dmarc::cli {

// The advice for the window ending `as_of_day` (Unix day): every domain with reports in
// it plus every configured [[domain]], or only `domain` when given (with or without reports).
Result<advise::Advice> compute_advice(store::Database& db, const config::Config& config,
                                      const OptString& domain, int64_t as_of_day);

// The advise step of `run`: prints (stdout) the checks that need action — advance and
// regression — and returns regression when there is one, ok otherwise.
ExitCode advise_step(Context& ctx, store::Database& db, const config::Config& config);

} // namespace dmarc::cli
