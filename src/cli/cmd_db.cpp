// dmarcctl db migrate|check|vacuum: database maintenance.
#include "cli/context.hpp"
#include "core/text.hpp"
#include "core/log.hpp"
#include "store/queries.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace dmarc::cli {

namespace {

ExitCode migrate(Context& ctx)
{
  auto db = ctx.open_database(store::Access::read_write); // open applies the migrations
  if (!db) {
    return fail(db.error());
  }
  auto version = (*db)->schema_version();
  if (!version) {
    return fail(version.error());
  }
  std::printf("%s: schema version %lld (up to date)\n", ctx.database_path().c_str(),
              static_cast<long long>(*version));
  return ExitCode::ok;
}

ExitCode check(Context& ctx)
{
  auto db = ctx.open_database(store::Access::read_only);
  if (!db) {
    return fail(db.error());
  }
  auto integrity = store::integrity_check(**db);
  if (!integrity) {
    return fail(integrity.error());
  }
  auto n = store::counts(**db);
  if (!n) {
    return fail(n.error());
  }
  std::printf("database:         %s\n", ctx.database_path().c_str());
  std::printf("integrity:        %s\n", integrity->c_str());
  std::printf("messages:         %lld (%lld imported, %lld duplicate, %lld failure, %lld rejected)\n",
              static_cast<long long>(n->messages), static_cast<long long>(n->messages_imported),
              static_cast<long long>(n->messages_duplicate),
              static_cast<long long>(n->messages_failure),
              static_cast<long long>(n->messages_rejected));
  std::printf("dmarc reports:    %lld (%lld records, %lld messages)\n",
              static_cast<long long>(n->dmarc_reports), static_cast<long long>(n->dmarc_records),
              static_cast<long long>(n->dmarc_messages));
  std::printf("tls reports:      %lld (%lld policies, %lld successful, %lld failed sessions)\n",
              static_cast<long long>(n->tls_reports), static_cast<long long>(n->tls_policies),
              static_cast<long long>(n->tls_success), static_cast<long long>(n->tls_failure));
  std::printf("failure reports:  %lld\n", static_cast<long long>(n->failure_reports));
  // A report key stored twice with different content: the first is kept, the user judges.
  auto conflicts = store::conflicts(**db);
  if (!conflicts) {
    return fail(conflicts.error());
  }
  std::printf("conflicting duplicates: %lld\n", static_cast<long long>(n->conflicts));
  for (const std::string& line : *conflicts) {
    std::printf("  %s\n", text::printable(line).c_str());
  }
  return *integrity == "ok" ? ExitCode::ok : ExitCode::error;
}

ExitCode vacuum(Context& ctx)
{
  auto db = ctx.open_database(store::Access::read_write);
  if (!db) {
    return fail(db.error());
  }
  if (auto r = store::vacuum(**db); !r) {
    return fail(r.error());
  }
  log::info(ctx.database_path() + ": vacuumed");
  return ExitCode::ok;
}

} // namespace

void register_db(CLI::App& app, Context& ctx, int& exit_code)
{
  CLI::App* db = app.add_subcommand("db", "Database maintenance: migrate, check, vacuum");
  db->require_subcommand(1);
  db->add_subcommand("migrate", "Create the database or apply pending schema migrations")
    ->callback([&ctx, &exit_code] { exit_code = to_int(migrate(ctx)); });
  db->add_subcommand("check", "Run the integrity check and print row counts (exit 1 if damaged)")
    ->footer("Also lists the conflicting duplicates: reports stored twice under one key with\n"
             "different content (the first one is kept).\n"
             "Exit status: 0 ok, 1 error or a damaged database, 2 usage error.")
    ->callback([&ctx, &exit_code] { exit_code = to_int(check(ctx)); });
  db->add_subcommand("vacuum", "Rebuild the file to reclaim free space")
    ->callback([&ctx, &exit_code] { exit_code = to_int(vacuum(ctx)); });
}

} // namespace dmarc::cli
