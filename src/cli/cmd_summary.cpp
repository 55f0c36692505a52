// dmarcctl summary: per policy domain, what the reports of a period say.
#include "cli/context.hpp"
#include "core/text.hpp"
#include "formats/export_json.hpp"
#include "output/csv.hpp"
#include "output/summary_text.hpp"
#include "store/queries.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace dmarc::cli {

namespace {

struct SummaryArgs
{
  std::string domain;
  std::string since = "28d";
  std::string as_of;
  std::string format = "text";
};

ExitCode run(Context& ctx, const SummaryArgs& args)
{
  int64_t now = ctx.clock->now();
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
  store::ReportFilter filter;
  if (!args.domain.empty()) {
    filter.domain = args.domain;
  }
  filter.since = *since;
  filter.until = now;
  auto domains = store::domain_summaries(**db, filter);
  if (!domains) {
    return fail(domains.error());
  }
  Summary summary{*since, now, std::move(*domains)};
  std::string text;
  if (args.format == "json") {
    text = formats::summary_to_json(summary);
  } else if (args.format == "csv") {
    text = output::summary_csv(summary);
  } else {
    text = output::summary_text(summary);
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  return ExitCode::ok;
}

} // namespace

void register_summary(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<SummaryArgs>();
  CLI::App* cmd = app.add_subcommand("summary", "Per domain: volume, DMARC pass share, reporters, TLS-RPT");
  cmd->add_option("-d,--domain", args->domain, "Only this policy domain");
  cmd->add_option("--since", args->since, "Period start: 28d, 4w, 12h or YYYY-MM-DD");
  cmd->add_option("--as-of", args->as_of, "Treat this day (YYYY-MM-DD) as today");
  cmd->add_option("-f,--format", args->format, "Output format")
    ->check(CLI::IsMember({"text", "json", "csv"}));
  cmd->footer("Example: dmarcctl summary --since 7d --format json");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
