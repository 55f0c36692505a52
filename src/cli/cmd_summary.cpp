// dmarcctl summary: per policy domain, what the reports of a period say — volume, aligned
// DMARC / DKIM / SPF pass shares, dispositions, top sources, reporters, DKIM selectors and
// TLS-RPT sessions. Reads the rollups (sql/0003_rollups.sql) through store/advise_queries.
#include "cli/context.hpp"
#include "core/stats.hpp"
#include "core/text.hpp"
#include "formats/export_json.hpp"
#include "output/csv.hpp"
#include "output/summary_text.hpp"
#include "store/advise_queries.hpp"
#include "store/failure_queries.hpp"

#include <algorithm>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <string_view>

namespace dmarc::cli {

namespace {

constexpr int k_top_sources = 10;
constexpr std::size_t k_top_failures = 5;   // failure sources and newest failure samples

struct SummaryArgs
{
  std::string domain;
  std::string since = "28d";
  std::string as_of;
  std::string format = "text";
};

ExitCode run(Context& ctx, const SummaryArgs& args)
{
  // The window is whole UTC days: from the day `since` falls on to "today" (--as-of), so
  // "28d" is the 28 days ending today, the same days `advise` judges, at any hour.
  int64_t now = (unix_day(ctx.clock->now()) + 1) * 86400;
  if (!args.as_of.empty()) {
    auto day = text::parse_date(args.as_of);
    if (!day) {
      return fail(make_error(ErrorKind::usage, "--as-of: expected YYYY-MM-DD, got '" + args.as_of
                                                 + "'"));
    }
    now = *day + 86400; // the whole of that day
  }
  auto since = parse_since(args.since, now);
  if (!since) {
    return fail(make_error(ErrorKind::usage,
                           "--since: expected Nd, Nw, Nh or YYYY-MM-DD, got '" + args.since + "'"));
  }
  auto db = ctx.open_database(store::Access::read_only);
  if (!db) {
    return fail(db.error());
  }
  store::StatsWindow window;
  window.to_day = unix_day(now - 1);
  if (unix_day(*since) > window.to_day && text::parse_date(args.since)) {
    // Not silently the one day of --as-of: the day asked for lies after "today". ("0d" is
    // today, as before.)
    return fail(make_error(ErrorKind::usage, "--since " + args.since + " is after "
                                               + text::format_date(window.to_day * 86400)
                                               + ", the last day of the period (--as-of)"));
  }
  window.from_day = std::min(unix_day(*since), window.to_day);
  window.source_limit = k_top_sources;
  OptString only;
  if (std::string d = domain_key(args.domain); !d.empty()) {
    only = std::move(d);   // "Example.COM." is the domain the reports name "example.com"
  }
  if (only) {
    if (auto known = require_known_domain(**db, *only, nullptr); !known) {
      return fail(known.error());
    }
  }
  auto names = store::stats_domains(**db, window, only);
  if (!names) {
    return fail(names.error());
  }
  Summary summary{window.from_day * 86400, (window.to_day + 1) * 86400, {}};
  // A domain known only from failure reports has a block too.
  auto failure_names = store::failure_domains(**db, summary.since, summary.until, only);
  if (!failure_names) {
    return fail(failure_names.error());
  }
  for (const std::string& name : *failure_names) {
    if (std::find(names->begin(), names->end(), name) == names->end()) {
      names->push_back(name);
    }
  }
  std::sort(names->begin(), names->end());
  for (const std::string& name : *names) {
    auto stats = store::domain_stats(**db, name, window);
    if (!stats) {
      return fail(stats.error());
    }
    auto failures = store::failure_stats(**db, name, summary.since, summary.until, k_top_failures);
    if (!failures) {
      return fail(failures.error());
    }
    stats->failures = std::move(*failures);
    summary.domains.push_back(std::move(*stats));
  }
  std::string text;
  if (args.format == "json") {
    text = formats::summary_to_json(summary);
  } else if (args.format == "csv") {
    text = output::summary_csv(summary);
  } else {
    text = output::summary_text(summary);
    if (summary.domains.empty()) {
      // Not a bare "No reports": what is stored, and the option that shows it.
      auto hint = empty_period_hint(**db, window.from_day, window.to_day, true);
      if (!hint) {
        return fail(hint.error());
      }
      text += *hint + "\n";
    }
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return ExitCode::ok;
}

} // namespace

void register_summary(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<SummaryArgs>();
  CLI::App* cmd = app.add_subcommand(
    "summary", "Per domain: volume, aligned pass shares, dispositions, top sources, reporters, "
               "DKIM selectors, TLS-RPT, failure reports");
  cmd->add_option("-d,--domain", args->domain, "Only this policy domain");
  cmd->add_option("--since", args->since, "Period start: 28d, 4w, 12h or YYYY-MM-DD (whole UTC days)");
  cmd->add_option("--as-of", args->as_of, "Treat this day (YYYY-MM-DD) as today");
  cmd->add_option("-f,--format", args->format, "Output format")
    ->check(CLI::IsMember({"text", "json", "csv"}));
  cmd->footer("A report counts for the UTC day its date range begins. Text fits 80 columns;\n"
              "json has every number; csv is one row per domain.\n"
              "Example: dmarcctl summary --domain example.com --since 7d\n"
              "         dmarcctl summary --as-of 2024-03-31 --since 2024-03-01 --format json");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
