// dmarcctl import PATH... | -: local files, Maildirs, mboxes, directories or stdin → store.
#include "cli/cmd_enrich.hpp"
#include "cli/cmd_import.hpp"
#include "cli/cmd_notify.hpp"
#include "cli/context.hpp"
#include "core/text.hpp"
#include "core/log.hpp"
#include "fetch/local_source.hpp"
#include "pipeline/import.hpp"
#include "store/sqlite_store.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace dmarc::cli {

namespace {

struct ImportArgs
{
  std::vector<std::string> paths;
  bool enrich = false;             // --enrich: look up the sources after importing
  bool offline = false;            // --offline: ... without DNS
};

ExitCode run(Context& ctx, const ImportArgs& args)
{
  auto db = ctx.open_database(store::Access::read_write);
  if (!db) {
    return fail(db.error());
  }
  store::SqliteStore sink(**db, *ctx.clock);
  fetch::LocalSource source(args.paths, ctx.limits());
  source.skip_database_files(ctx.database_path());

  pipeline::ImportOptions options;
  options.limits = ctx.limits();
  IngestLog lost;   // what notify tells of this run (ingest_runs)
  options.on_rejected = [&lost](const std::string& line) {
    lost.rejected(line);
    log::diagnostic(line);
  };
  // A report lost beside stored ones is an error, shown with -q too (cron must hear of it).
  options.on_warning = [&lost](const std::string& line) {
    lost.warning(line);
    log::error("warning: " + line);
  };
  options.on_unreadable = [](const std::string& line) { log::error(line); };
  options.on_stored = [](const std::string& line) { log::verbose(line); };
  options.on_conflict = [](const std::string& line) { log::info(line); };
  options.on_note = [](const std::string& line) { log::verbose(line); };
  options.on_progress = [](const pipeline::ImportStats& stats) {
    if (!log::progress_due()) {
      return;
    }
    log::progress("importing: " + std::to_string(stats.inputs) + " inputs, "
                  + std::to_string(stats.dmarc_reports + stats.tls_reports) + " reports, "
                  + std::to_string(stats.records) + " records");
  };

  auto stats = pipeline::run_import(source, sink, options);
  log::progress_done();
  if (!stats) {
    return fail(stats.error());
  }
  record_ingest(ctx, **db, "import", *stats, 0, lost);
  log::info(stats->to_line());
  const ExitCode code = stats->rejected > 0 || stats->partial > 0 || stats->unreadable > 0
                          ? ExitCode::partial : ExitCode::ok;
  if (args.enrich) {
    // After every report is committed: lookups never delay storing a report.
    const ExitCode enriched = enrich_step(ctx, **db, args.offline ? EnrichDns::offline : EnrichDns::configured);
    if (enriched != ExitCode::ok) {
      return enriched;
    }
  }
  return code;
}

} // namespace

LocalReport import_local_sources(Context& ctx, store::Database& db, const config::Config& config)
{
  LocalReport report;
  store::SqliteStore sink(db, *ctx.clock);
  for (const config::LocalSource& local : config.local) {
    fetch::LocalSource source(local.paths, ctx.limits());
    source.skip_database_files(ctx.database_path());
    fetch::MaildirActions actions;
    actions.archive = local.after == config::AfterAction::move ? local.archive : std::string();
    actions.invalid = local.invalid;
    source.set_maildir_actions(actions);

    pipeline::ImportOptions options;
    options.limits = ctx.limits();
    options.name_messages = true;
    options.on_rejected = [](const std::string& line) { log::diagnostic(line); };
    // A mail without any report that goes to the invalid folder is handled (-v only).
    options.on_not_a_report = [&local](const std::string& line) {
      if (local.invalid.empty()) {
        log::diagnostic(line);
      } else {
        log::verbose(line);
      }
    };
    options.on_warning = [](const std::string& line) { log::error("warning: " + line); };
    options.on_unreadable = [](const std::string& line) { log::error(line); };
    options.on_stored = [](const std::string& line) { log::debug(line); };
    options.on_conflict = [](const std::string& line) { log::info(line); };
    options.on_note = [](const std::string& line) { log::verbose(line); };
    auto stats = pipeline::run_import(source, sink, options);
    if (!stats) {
      log::error("local " + local.name + ": " + stats.error().detail);
      report.code = ExitCode::error;
      report.attention = true;
      return report;
    }
    for (const std::string& problem : source.move_errors()) {
      log::error("local " + local.name + ": " + problem);
    }
    const int64_t handled = local.invalid.empty() ? 0 : stats->not_reports;
    const bool attention = stats->rejected - handled > 0 || stats->partial > 0
                           || stats->unreadable > 0 || !source.move_errors().empty();
    std::string line = "local " + local.name + ": " + stats->to_line();
    if (source.moved() > 0) {
      line += "; " + text::plural(source.moved(), "message", "messages") + " moved";
    }
    report.summary += (report.summary.empty() ? "" : "\n") + line;
    if (attention) {
      report.attention = true;
      report.code = ExitCode::partial;
    }
  }
  return report;
}

void register_import(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand(
    "import", "Import report mails and report files into the database");
  cmd->add_option("paths", args->paths,
                  "Files (.eml, mbox, .xml, .xml.gz, .zip, .json, .json.gz, ...), Maildir or "
                  "other directories (recursive), or - for one message on stdin")
    ->required();
  cmd->add_flag("--enrich", args->enrich,
                "After importing, look up who sends (as `dmarcctl enrich`; no DNS without this)");
  cmd->add_flag("--offline", args->offline, "Only with --enrich, and then no DNS: only local data");
  cmd->footer("The format of each input is taken from its content, not its name.\n"
              "Every rejected input is reported as `SOURCE: REASON: detail`; the run goes on.\n"
              "Exit status: 0 all inputs fine, 3 some were rejected or could not be read (or a\n"
              "report inside one was), 1 fatal error (database unwritable), 2 usage error.\n"
              "Example: dmarcctl --db reports.sqlite import /var/vmail/example.com/dmarc/Maildir");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
