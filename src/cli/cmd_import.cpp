// dmarcctl import PATH... | -: local files, Maildirs, mboxes, directories or stdin → store.
#include "cli/cmd_enrich.hpp"
#include "cli/context.hpp"
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

  pipeline::ImportOptions options;
  options.limits = ctx.limits();
  options.on_rejected = [](const std::string& line) { log::diagnostic(line); };
  // A report lost beside stored ones is an error, shown with -q too (cron must hear of it).
  options.on_warning = [](const std::string& line) { log::error("warning: " + line); };
  options.on_unreadable = [](const std::string& line) { log::error(line); };
  options.on_stored = [](const std::string& line) { log::verbose(line); };
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
  cmd->add_flag("--offline", args->offline, "With --enrich: no DNS, only local data");
  cmd->footer("The format of each input is taken from its content, not its name.\n"
              "Every rejected input is reported as `SOURCE: REASON: detail`; the run goes on.\n"
              "Exit status: 0 all inputs fine, 3 some were rejected or could not be read (or a\n"
              "report inside one was), 1 fatal error (database unwritable), 2 usage error.\n"
              "Example: dmarcctl --db reports.sqlite import /var/vmail/example.com/dmarc/Maildir");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
