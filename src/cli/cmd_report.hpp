// The HTML report as the CLI makes it: statistics from the store (the queries of `summary`
// and `advise` plus the daily ones of store/report_queries), verdicts from the advisor,
// rendered by output/html_report, written atomically. Shared by `dmarcctl report` and the
// report step of `dmarcctl run` ([report] html).
#pragma once

#include "cli/context.hpp"
#include "config/config.hpp"
#include "core/report.hpp"
#include "output/html_report.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <string>

namespace dmarc::cli {

// The report over days [from_day, to_day] (Unix days): every domain with reports in them
// and every configured [[domain]], or only `domain`; the advice as of `to_day`.
Result<output::HtmlReport> build_html_report(store::Database& db, const config::Config& config,
                                             const OptString& domain, int64_t from_day,
                                             int64_t to_day);

// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
// a reader (a web server) sees the old file or the new one, never half of one.
Result<void> write_atomically(const std::string& path, const std::string& bytes);

// The report step of `run`: rewrites [report] html for the [report] days ending today;
// ok without doing anything when no [report] html is configured.
ExitCode report_step(Context& ctx, store::Database& db, const config::Config& config);

} // namespace dmarc::cli
