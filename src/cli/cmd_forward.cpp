// dmarcctl forward [--dry-run] [--since DATE]: the stored reports → GELF → Graylog, each row
// once per sink (pipeline/forward.hpp has the rules), and today's advisor findings once a
// day. Also the forward step of `run`.
#include "advise/advisor.hpp"
#include "cli/cmd_advise.hpp"
#include "cli/context.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"
#include "core/text.hpp"
#include "output/gelf_sink.hpp"
#include "pipeline/forward.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace dmarc::cli {

namespace {

struct ForwardArgs
{
  bool dry_run = false;
  std::string since;
  bool quiet_success = false;  // `run` under cron: say nothing when all went well
  bool need_database = true;   // `forward` alone: a missing database is a mistyped path
};

// Today's advisor findings into `options` (sent once a day). When the advisor cannot run,
// the reports still go and a warning says why.
void add_findings(Context& ctx, store::Database& db, const config::Config& config,
                  pipeline::ForwardOptions& options)
{
  const int64_t day = unix_day(ctx.clock->now());
  auto advice = compute_advice(db, config, std::nullopt, day);
  if (!advice) {
    log::warn("forward: the advisor's findings are not sent: " + advice.error().to_string());
    return;
  }
  options.findings = advise::to_findings(*advice);
  options.findings_day = day;
}

ExitCode run_forward(Context& ctx, const ForwardArgs& args)
{
  auto config = ctx.config();
  if (!config) {
    return fail(config.error());
  }
  if (!(*config)->gelf || (*config)->gelf->url.empty()) {
    return fail(make_error(ErrorKind::config,
                           "forward: no [gelf] url in the configuration"
                           + ((*config)->path.empty() ? std::string(" (no config file found; use -c)")
                                                      : " " + (*config)->path)));
  }
  // Like summary, advise and export: a database that does not exist is a wrong --db or
  // [database] path, not an empty history; creating it would report "0 sent" with exit 0.
  if (args.need_database) {
    if (auto r = store::Database::require_existing(ctx.database_path()); !r) {
      return fail(r.error());
    }
  }
  const config::GelfSettings& gelf = *(*config)->gelf;
  output::GelfSinkSettings settings;
  settings.url = gelf.url;
  settings.ca_file = gelf.ca_file;
  settings.timeout = gelf.timeout;
  if (auto compress = output::parse_gelf_compression(gelf.compress)) {
    settings.compress = *compress;
  }

  pipeline::ForwardOptions options;
  options.host = gelf.host;
  if (!args.since.empty()) {
    auto since = parse_since(args.since, ctx.clock->now());
    if (!since) {
      return fail(make_error(ErrorKind::usage, "--since: expected Nd, Nw, Nh or YYYY-MM-DD, got '"
                                                 + args.since + "'"));
    }
    options.since = *since;
  }
  // The line names the report (its id and reporter, as sent): one line, no terminal escapes.
  options.on_rejected = [](const std::string& line) {
    log::diagnostic("forward: " + text::printable(line));
  };

  auto sink = output::open_gelf_sink(settings);
  if (!sink) {
    return fail(sink.error());
  }

  if (args.dry_run) {
    auto db = ctx.open_database(store::Access::read_only);
    if (!db) {
      return fail(db.error());
    }
    const bool show = log::level() >= log::Level::verbose;
    options.on_message = [show](std::string_view message) {
      if (show) {
        std::fwrite(message.data(), 1, message.size(), stdout);
        std::fputc('\n', stdout);
      }
    };
    add_findings(ctx, **db, **config, options);
    auto stats = pipeline::forward_dry_run(**db, (*sink)->name(), options);
    if (!stats) {
      return fail(stats.error());
    }
    std::printf("%s\n", stats->to_line().c_str());
    return std::fflush(stdout) == 0 ? ExitCode::ok : ExitCode::error;
  }

  auto db = ctx.open_database(store::Access::read_write);
  if (!db) {
    return fail(db.error());
  }
  if (log::level() >= log::Level::debug) {
    options.on_message = [](std::string_view message) { log::debug(message); };
  }
  options.on_progress = [](const pipeline::ForwardStats& stats) {
    if (!log::progress_due()) {
      return;
    }
    log::progress("forwarding: " + std::to_string(stats.sent()) + " messages sent");
  };
  add_findings(ctx, **db, **config, options);
  auto stats = pipeline::forward(**db, **sink, *ctx.clock, options);
  log::progress_done();
  if (!stats) {
    return fail(stats.error());
  }
  if (stats->failure) {
    log::error("forward: " + stats->failure->detail + "; " + std::to_string(stats->sent())
               + " messages sent before, the rest waits for the next run");
    return ExitCode::error;
  }
  if (args.quiet_success && stats->rejected() == 0 && !log::progress_enabled()) {
    log::verbose(stats->to_line());
  } else {
    log::info(stats->to_line());
  }
  return stats->rejected() > 0 ? ExitCode::partial : ExitCode::ok;
}

} // namespace

ExitCode forward_pending(Context& ctx)
{
  auto config = ctx.config();
  if (config && (!(*config)->gelf || (*config)->gelf->url.empty())) {
    log::verbose("forward: no [gelf] url configured, nothing forwarded");
    return ExitCode::ok;
  }
  ForwardArgs args;
  args.quiet_success = true;
  args.need_database = false;
  return run_forward(ctx, args);
}

void register_forward(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<ForwardArgs>();
  CLI::App* cmd = app.add_subcommand(
    "forward", "Send the stored reports to Graylog as GELF, each row once ([gelf] url)");
  cmd->add_flag("-n,--dry-run", args->dry_run,
                "Only count what would be sent (with -v also print each message); send "
                "nothing, move no cursor");
  cmd->add_option("--since", args->since,
                  "Pass over rows of reports that began before this: 28d, 4w, YYYY-MM-DD "
                  "(for a first run against a new sink)");
  cmd->footer(
    "One GELF message per DMARC record, TLS-RPT policy and TLS failure detail, with\n"
    "parsedmarc's field names, and the advisor's findings once a day. A cursor per [gelf]\n"
    "url in the database remembers what the receiver confirmed; a rerun sends only what is\n"
    "new, a failed run resumes next time.\n"
    "Exit status: 0 all sent, 1 the receiver failed (the rest waits for the next run),\n"
    "3 some rows are too large for the sink (named on stderr, passed over).\n"
    "Example: dmarcctl -c /etc/dmarcctl/dmarcctl.toml forward --since 2024-01-01\n"
    "         dmarcctl -v forward --dry-run | head");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run_forward(ctx, *args)); });
}

} // namespace dmarc::cli
