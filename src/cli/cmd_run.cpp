// dmarcctl run: the nightly job, read top to bottom — lock, local, fetch, forward, advise, report,
// notify.
//
// Why one command: cron and systemd timers want one line and one exit status. The lock
// ([database] lock_file, default "<database>.lock", flock) keeps two runs (or a run and a
// manual fetch) apart: the second exits 1 with "already running". Under cron (stderr not a
// terminal) a run that went well prints nothing, so cron mails only when something needs
// attention: an error, a rejected message, a failed account. On a terminal it shows progress
// and a summary.
#include "cli/cmd_advise.hpp"
#include "cli/cmd_enrich.hpp"
#include "cli/cmd_fetch.hpp"
#include "cli/cmd_import.hpp"
#include "cli/cmd_report.hpp"
#include "cli/cmd_notify.hpp"
#include "core/log.hpp"

#include <CLI/CLI.hpp>

namespace dmarc::cli {

namespace {

// The more serious of two outcomes: error > regression > partial > ok.
ExitCode worst(ExitCode a, ExitCode b)
{
  const auto rank = [](ExitCode c) {
    switch (c) {
    case ExitCode::ok: return 0;
    case ExitCode::partial: return 1;
    case ExitCode::regression: return 2;
    default: return 3;
    }
  };
  return rank(a) >= rank(b) ? a : b;
}

ExitCode run_nightly(Context& ctx, bool offline)
{
  auto config = ctx.config();
  if (!config) {
    return fail(config.error());
  }
  const config::Config& c = **config;
  if (c.path.empty()) {
    // Without a configuration there is nothing to fetch or forward: say so, even to cron.
    return fail(make_error(ErrorKind::config, "no configuration file: pass -c FILE or create "
                                              "/etc/dmarcctl/dmarcctl.toml"));
  }
  auto lock = acquire_run_lock(ctx, c);
  if (!lock) {
    log::error(lock.error().detail);
    return ExitCode::error;
  }
  auto db = ctx.open_database(store::Access::read_write);
  if (!db) {
    return fail(db.error());
  }
  const bool chatty = log::progress_enabled() || log::level() >= log::Level::verbose;
  ExitCode code = ExitCode::ok;

  // step: local — [[local]] Maildirs on this host → store (cmd_import.cpp).
  if (!c.local.empty()) {
    const LocalReport local = import_local_sources(ctx, **db, c);
    if ((chatty || local.attention) && !local.summary.empty()) {
      log::info(local.summary);
    }
    code = worst(code, local.code);
    if (local.code == ExitCode::error) {
      return code;
    }
  }

  // step: fetch — IMAP mailboxes → store.
  if (c.imap.empty()) {
    log::verbose("fetch: no [[imap]] accounts configured; skipped");
  } else {
    const FetchReport fetched = fetch_accounts(ctx, **db, c);
    if (chatty || fetched.attention) {
      log::info(fetched.summary);
    }
    code = worst(code, fetched.code);
    if (fetched.database_failed) {
      return code; // nothing after this can work
    }
  }

  // step: enrich — who sends (cmd_enrich.cpp): after fetch committed, before the outputs.
  if (ExitCode e = enrich_step(ctx, **db, offline ? EnrichDns::offline : EnrichDns::configured);
      e != ExitCode::ok) {
    code = worst(code, ExitCode::partial);
  }

  // step: forward — store → GELF (cmd_forward.cpp); skipped when no [gelf] is configured.
  if (!c.gelf || c.gelf->url.empty()) {
    log::verbose("forward: no [gelf] configured; skipped");
  } else {
    code = worst(code, forward_pending(ctx));
  }

  // step: advise — the advisor's findings that need action (a step now safe, or a
  // regression), printed when there are any (cmd_advise.cpp).
  // The published records are read from DNS (docs/check.md) through [enrich] dns_servers or
  // the system's resolvers, unless DNS is off (--offline, [enrich] rdns = false); when DNS
  // does not answer, the reports stay the fallback.
  const ReadDns dns = !offline && c.enrich.rdns ? ReadDns::yes : ReadDns::no;
  code = worst(code, advise_step(ctx, **db, c, dns));

  // step: report — rewrite the HTML report ([report] html) atomically (cmd_report.cpp).
  code = worst(code, report_step(ctx, **db, c));

  // step: notify — events by mail / webhook, the Prometheus textfile (cmd_notify.cpp);
  // skipped when neither [notify] nor [metrics] is configured.
  NotifyRequest notify;
  notify.as_of_day = unix_day(ctx.clock->now());
  notify.run_success = code == ExitCode::ok || code == ExitCode::regression;
  notify.quiet_when_fine = !chatty;
  code = worst(code, notify_step(ctx, **db, c, notify));

  return code;
}

} // namespace

void register_run(CLI::App& app, Context& ctx, int& exit_code)
{
  auto offline = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
    "run", "The nightly job: import [[local]] Maildirs, fetch new reports, enrich their sources, "
           "forward them to GELF, print the advisor's findings, rewrite the HTML report, notify");
  cmd->add_flag("--offline", *offline, "No DNS: enrich without it (sender map and databases only), "
                                      "advice from the reports alone");
  cmd->footer(
    "Takes the run lock ([database] lock_file, default <database>.lock): a second run while\n"
    "one is active exits 1 with \"already running\". Prints nothing under cron unless\n"
    "something needs attention; progress and a summary on a terminal.\n"
    "Ends with notify ([notify] mail / webhook, [metrics] textfile; docs/notify.md).\n"
    "Exit status: 0 all fine, 3 something failed or was rejected, 4 the advisor sees a\n"
    "regression, 1 fatal, already running or a notify channel failed, 2 configuration error.\n"
    "Example (crontab): 17 3 * * * dmarcctl -c /etc/dmarcctl/dmarcctl.toml run");
  cmd->callback([&ctx, &exit_code, offline] { exit_code = to_int(run_nightly(ctx, *offline)); });
}

} // namespace dmarc::cli
