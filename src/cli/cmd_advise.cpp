// dmarcctl advise: when DMARC may go none → quarantine → reject, when SPF may end in -all,
// whether the DKIM selectors sign, when MTA-STS may enforce — with the evidence, the
// blockers and the DNS record to publish (issue #5, DESIGN.md "Policy advisor").
#include "cli/cmd_advise.hpp"

#include "cli/cmd_check.hpp"

#include "core/log.hpp"
#include "core/stats.hpp"
#include "core/text.hpp"
#include "formats/advice_json.hpp"
#include "output/advice_text.hpp"
#include "store/advise_queries.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
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
  bool dns = false;
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
  auto advice = compute_advice(**db, **config, only, as_of_day, args.dns ? ReadDns::yes : ReadDns::no);
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

namespace {

// What DNS publishes for `names`, read by the checks of `check`; empty (with a warning)
// when DNS cannot be asked or answers nothing.
std::map<std::string, advise::Published> read_published(const config::Config& config,
                                                        const std::set<std::string>& names)
{
  std::map<std::string, advise::Published> out;
  const auto inputs = check_inputs(config, std::vector<std::string>(names.begin(), names.end()), {});
  if (inputs.empty()) {
    return out;
  }
  auto run = pipeline::run_checks(inputs, check_options(config));
  if (!run) {
    log::warn("advise: DNS cannot be asked (" + run.error().detail
              + "); the current policies come from the reports");
    return out;
  }
  if (run->dns_unreachable()) {
    log::warn("advise: no DNS answer; the current policies come from the reports");
    return out;
  }
  for (const check::DomainCheck& d : run->domains) {
    advise::Published p;
    p.dmarc_known = !check::has_code(d.dmarc.problems, "dns-error");
    if (d.dmarc.found_at == "_dmarc." + d.domain) {
      p.dmarc_record = d.dmarc.record;
    }
    p.spf_known = !check::has_code(d.spf.problems, "dns-error");
    p.spf_record = d.spf.record;
    p.spf_lookups = d.spf.lookups;
    p.spf_missed_ips = d.spf.authorized_ips_missed;
    out[d.domain] = std::move(p);
  }
  return out;
}

} // namespace

Result<advise::Advice> compute_advice(store::Database& db, const config::Config& config,
                                      const OptString& domain, int64_t as_of_day, ReadDns dns)
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
  const std::map<std::string, advise::Published> published =
    dns == ReadDns::yes ? read_published(config, all) : std::map<std::string, advise::Published>();
  for (const std::string& name : all) {
    const config::DomainSettings* block = block_for(config, name);
    const auto pub = published.find(name);
    // Reverse DNS names of every source only when a PTR rule needs them.
    window.name_limit = block != nullptr && !block->authorized_ptr_domains.empty() ? -1 : 50;
    auto stats = store::domain_stats(db, name, window);
    if (!stats) {
      return stats.error();
    }
    advice.domains.push_back(
      advise::advise_domain(std::move(*stats), config.advisor, block, as_of_day,
                            pub != published.end() ? &pub->second : nullptr));
  }
  return advice;
}

ExitCode advise_step(Context& ctx, store::Database& db, const config::Config& config, ReadDns dns)
{
  auto advice = compute_advice(db, config, std::nullopt, unix_day(ctx.clock->now()), dns);
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
  cmd->add_flag("--dns", args->dns,
                "Read the published DMARC and SPF records from DNS ([enrich] dns_servers) and "
                "build every suggestion on them");
  cmd->footer(
    "Judges the last [advisor] window_days (default 28) of reports per domain. Verdicts:\n"
    "wait (too little data), advance (the next step is safe), hold (blockers say why),\n"
    "regression (a published policy hurts your own mail), done (strictest step, healthy).\n"
    "Authorized senders come from [[domain]] blocks, or are inferred without one.\n"
    "With --dns the current DMARC stage and SPF qualifier come from DNS (the reports when it\n"
    "does not answer; a disagreement is shown) and a suggested record is the published one\n"
    "with only the step changed; a -all that would exceed 10 SPF lookups or fail an\n"
    "authorized_ips entry is refused (docs/check.md).\n"
    "Example: dmarcctl advise --domain example.com --dns\n"
    "         dmarcctl advise --format json --exit-code   # for monitoring\n"
    "Exit status: 0 ok, 1 error, 2 usage error, 4 a regression (with --exit-code).");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
