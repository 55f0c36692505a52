// dmarcctl import PATH... | -: local files, Maildirs, mboxes, directories or stdin → store.
#include "cli/cmd_notify.hpp"
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
  return stats->rejected > 0 || stats->partial > 0 || stats->unreadable > 0 ? ExitCode::partial
                                                                           : ExitCode::ok;
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
  cmd->footer("The format of each input is taken from its content, not its name.\n"
              "Every rejected input is reported as `SOURCE: REASON: detail`; the run goes on.\n"
              "Exit status: 0 all inputs fine, 3 some were rejected or could not be read (or a\n"
              "report inside one was), 1 fatal error (database unwritable), 2 usage error.\n"
              "Example: dmarcctl --db reports.sqlite import /var/vmail/example.com/dmarc/Maildir");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
