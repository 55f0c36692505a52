// dmarcctl enrich: reverse DNS (forward-confirmed), base domain, organisation, ASN and
// country for every source IP that needs it (docs/enrichment.md).
#include "cli/cmd_enrich.hpp"

#include "core/log.hpp"
#include "pipeline/enrich.hpp"

#include <CLI/CLI.hpp>

namespace dmarc::cli {

ExitCode enrich_step(Context& ctx, store::Database& db, EnrichDns dns, bool all, bool loud)
{
  auto config = ctx.config();
  if (!config) {
    return fail(config.error());
  }
  const config::EnrichSettings& e = (*config)->enrich;
  pipeline::EnrichRunOptions options;
  options.dns = dns == EnrichDns::configured && e.rdns;
  options.dns_options.servers = e.dns_servers;
  options.dns_options.timeout_ms = e.timeout_ms;
  options.dns_options.retries = e.retries;
  options.dns_options.concurrency = e.concurrency;
  options.cache_days = e.cache_days;
  options.asn_db = e.asn_db;
  options.country_db = e.country_db;
  for (const config::SenderName& n : e.names) {
    options.names.push_back({n.domain, {n.name, n.type}});
  }
  options.scope = all ? store::EnrichScope::all : store::EnrichScope::due;
  options.now = ctx.clock->now();
  options.on_problem = [](const std::string& line) { log::info("enrich: warning: " + line); };
  log::progress("enriching sources...");
  auto stats = pipeline::run_enrich(db, options);
  log::progress_done();
  if (!stats) {
    return fail(stats.error());
  }
  if (loud) {
    log::info(stats->to_line());
  } else {
    log::verbose(stats->to_line());
  }
  return ExitCode::ok;
}

namespace {

struct EnrichArgs
{
  bool offline = false;
  bool all = false;
};

} // namespace

void register_enrich(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<EnrichArgs>();
  CLI::App* cmd = app.add_subcommand(
    "enrich", "Look up who sends: reverse DNS (forward-confirmed), organisation, ASN, country");
  cmd->add_flag("--offline", args->offline,
                "No DNS: only the sender map, the DKIM/SPF fallback and the ASN/country databases");
  cmd->add_flag("--all", args->all,
                "Every source again, not only new ones and those whose cached answer expired");
  cmd->footer(
    "Asks DNS (the system's resolvers, or [enrich] dns_servers) for the PTR of every source IP\n"
    "not yet known or whose answer is older than its TTL (at most [enrich] cache_days), many\n"
    "queries in flight, and confirms each name forward (A/AAAA). A timeout is asked again next\n"
    "run; DNS trouble never fails the command. See docs/enrichment.md.\n"
    "Exit status: 0 done (also when some lookups failed), 1 database or configuration error.\n"
    "Example: dmarcctl -c /etc/dmarcctl/dmarcctl.toml enrich");
  cmd->callback([&ctx, &exit_code, args] {
    auto db = ctx.open_database(store::Access::read_write);
    if (!db) {
      exit_code = to_int(fail(db.error()));
      return;
    }
    exit_code = to_int(enrich_step(ctx, **db, args->offline ? EnrichDns::offline : EnrichDns::configured,
                                   args->all, true));
  });
}

} // namespace dmarc::cli
