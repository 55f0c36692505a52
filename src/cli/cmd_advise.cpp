// dmarcctl advise: when DMARC may go none → quarantine → reject, when SPF may end in -all,
// whether the DKIM selectors sign, when MTA-STS may enforce — with the evidence, the
// blockers and the DNS record to publish (issue #5, DESIGN.md "Policy advisor").
#include "cli/cmd_advise.hpp"

#include "core/log.hpp"
#include "core/stats.hpp"
#include "core/text.hpp"
#include "formats/advice_json.hpp"
#include "output/advice_text.hpp"
#include "store/advise_queries.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <string_view>

namespace dmarc::cli {

namespace {

struct AdviseArgs
{
  std::string domain;
  std::string as_of;
  std::string format = "text";
  bool exit_code = false;
};

const config::DomainSettings* block_for(const config::Config& config, const std::string& domain)
{
  for (const config::DomainSettings& d : config.domains) {
    if (domain_key(d.name) == domain) {
      return &d;
    }
  }
  return nullptr;
}

ExitCode run(Context& ctx, const AdviseArgs& args)
{
  auto config = ctx.config();
  if (!config) {
    return fail(config.error());
  }
  int64_t as_of_day = unix_day(ctx.clock->now());
  if (!args.as_of.empty()) {
    auto day = text::parse_date(args.as_of);
    if (!day) {
      return fail(make_error(ErrorKind::usage, "--as-of: expected YYYY-MM-DD, got '" + args.as_of
                                                 + "'"));
    }
    as_of_day = unix_day(*day);
  }
  auto db = ctx.open_database(store::Access::read_only);
  if (!db) {
    return fail(db.error());
  }
  OptString only;
  if (!args.domain.empty()) {
    only = args.domain;
    // A domain named but never reported on is still judged ("wait", saying reports are
    // missing: a domain just set up), and the user hears which domains the database knows.
    if (auto known = require_known_domain(**db, domain_key(args.domain), *config); !known) {
      if (known.error().kind != ErrorKind::usage) {
        return fail(known.error());
      }
      log::error(known.error().detail);
    }
  }
  auto advice = compute_advice(**db, **config, only, as_of_day);
  if (!advice) {
    return fail(advice.error());
  }
  std::string text = args.format == "json" ? formats::advice_to_json(*advice)
                                           : output::advice_text(*advice);
  if (args.format != "json" && advice->domains.empty()) {
    auto hint = empty_period_hint(**db, as_of_day - advice->window_days + 1, as_of_day, false);
    if (!hint) {
      return fail(hint.error());
    }
    text += *hint + "\n";
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return args.exit_code && advice->regression() ? ExitCode::regression : ExitCode::ok;
}

} // namespace

Result<advise::Advice> compute_advice(store::Database& db, const config::Config& config,
                                      const OptString& domain, int64_t as_of_day)
{
  advise::Advice advice;
  advice.as_of_day = as_of_day;
  advice.window_days = std::max(config.advisor.window_days, 1);
  store::StatsWindow window;
  window.from_day = advise::window_from_day(as_of_day, config.advisor);
  window.to_day = as_of_day;
  const OptString only = domain ? OptString(domain_key(*domain)) : std::nullopt;
  auto names = store::stats_domains(db, window, only);
  if (!names) {
    return names.error();
  }
  std::set<std::string> all(names->begin(), names->end());
  // TLS reports that name no policy domain (only a no-policy-found without one) are listed
  // by summary, but there is no domain to advise on or DNS record to suggest for them.
  all.erase(std::string());
  if (only && !only->empty()) {
    // Asked for by name: judged even without reports ("wait", saying they are missing).
    all.insert(*only);
  }
  for (const config::DomainSettings& d : config.domains) {
    const std::string name = domain_key(d.name);
    if (!name.empty() && (!only || name == *only)) {
      all.insert(name);
    }
  }
  for (const std::string& name : all) {
    const config::DomainSettings* block = block_for(config, name);
    // Reverse DNS names of every source only when a PTR rule needs them.
    window.name_limit = block != nullptr && !block->authorized_ptr_domains.empty() ? -1 : 50;
    auto stats = store::domain_stats(db, name, window);
    if (!stats) {
      return stats.error();
    }
    advice.domains.push_back(
      advise::advise_domain(std::move(*stats), config.advisor, block, as_of_day));
  }
  return advice;
}

ExitCode advise_step(Context& ctx, store::Database& db, const config::Config& config)
{
  auto advice = compute_advice(db, config, std::nullopt, unix_day(ctx.clock->now()));
  if (!advice) {
    log::error("advise: " + advice.error().to_string());
    return ExitCode::error;
  }
  // Only what needs action: a step that is now safe, or a policy hurting real mail.
  advise::Advice actionable;
  actionable.as_of_day = advice->as_of_day;
  actionable.window_days = advice->window_days;
  for (advise::DomainAdvice& d : advice->domains) {
    bool act = false;
    for (advise::Check* c : {&d.dmarc, &d.spf, &d.dkim, &d.mta_sts}) {
      act = act || c->verdict == advise::Verdict::advance
            || c->verdict == advise::Verdict::regression;
    }
    if (act) {
      actionable.domains.push_back(std::move(d));
    }
  }
  if (!actionable.domains.empty()) {
    const std::string text = output::advice_text(actionable);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  } else {
    log::verbose("advise: nothing to change (run `dmarcctl advise` for the details)");
  }
  return actionable.regression() ? ExitCode::regression : ExitCode::ok;
}

void register_advise(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<AdviseArgs>();
  CLI::App* cmd = app.add_subcommand(
    "advise", "When to tighten DMARC, SPF and MTA-STS: verdicts with evidence and DNS records");
  cmd->add_option("-d,--domain", args->domain, "Only this policy domain");
  cmd->add_option("--as-of", args->as_of, "Treat this day (YYYY-MM-DD) as today");
  cmd->add_option("-f,--format", args->format, "Output format")
    ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--exit-code", args->exit_code, "Exit 4 when a verdict is a regression (monitoring)");
  cmd->footer(
    "Judges the last [advisor] window_days (default 28) of reports per domain. Verdicts:\n"
    "wait (too little data), advance (the next step is safe), hold (blockers say why),\n"
    "regression (a published policy hurts your own mail), done (strictest step, healthy).\n"
    "Authorized senders come from [[domain]] blocks, or are inferred without one.\n"
    "Example: dmarcctl advise --domain example.com\n"
    "         dmarcctl advise --format json --exit-code   # for monitoring\n"
    "Exit status: 0 ok, 1 error, 2 usage error, 4 a regression (with --exit-code).");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
