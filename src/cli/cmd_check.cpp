// dmarcctl check: what a domain publishes — DMARC, SPF (with its lookup count), DKIM keys,
// MTA-STS record and policy, TLS-RPT, MX reverse DNS — each finding with a stable code and
// what to do (issue #13, docs/check.md). DNS goes through the [enrich] resolvers (c-ares,
// all lookups of all domains in flight together); the MTA-STS policy through libcurl.
#include "cli/cmd_check.hpp"

#include "core/log.hpp"
#include "formats/check_json.hpp"
#include "output/check_text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>

namespace dmarc::cli {

namespace {

struct CheckArgs
{
  std::vector<std::string> domains;
  std::vector<std::string> selectors;
  std::string format = "text";
};

ExitCode run(Context& ctx, const CheckArgs& args)
{
  auto config = ctx.config();
  if (!config) {
    return fail(config.error());
  }
  const auto inputs = check_inputs(**config, args.domains, args.selectors);
  if (inputs.empty()) {
    return fail(make_error(ErrorKind::usage, "check: no domain to check: name one "
                                             "(dmarcctl check example.com) or add [[domain]] "
                                             "blocks to the configuration"));
  }
  auto result = pipeline::run_checks(inputs, check_options(**config));
  if (!result) {
    log::error("check: DNS cannot be asked: " + result.error().detail);
    return ExitCode::error;
  }
  log::verbose("check: " + std::to_string(result->queries) + " DNS questions in "
               + std::to_string(result->rounds) + " rounds, " + std::to_string(result->failed)
               + " failed, " + std::to_string(result->fetches) + " policy fetches");
  const std::string out = args.format == "json"
                            ? formats::check_to_json(result->domains, ctx.clock->now())
                            : output::check_text(result->domains);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (result->dns_unreachable()) {
    log::error("check: no DNS answer at all (" + std::to_string(result->failed)
               + " questions failed): check [enrich] dns_servers and the network");
    return ExitCode::error;
  }
  const bool error = std::any_of(result->domains.begin(), result->domains.end(),
                                 [](const check::DomainCheck& d) { return d.has_error(); });
  return error ? ExitCode::check_failed : ExitCode::ok;
}

} // namespace

pipeline::CheckOptions check_options(const config::Config& config)
{
  pipeline::CheckOptions o;
  o.dns.servers = config.enrich.dns_servers;
  o.dns.timeout_ms = config.enrich.timeout_ms;
  o.dns.retries = config.enrich.retries;
  o.dns.concurrency = config.enrich.concurrency;
  o.ca_file = config.check.ca_file;
  o.https_timeout_seconds = config.check.https_timeout;
  return o;
}

std::vector<check::DomainInput> check_inputs(const config::Config& config,
                                             const std::vector<std::string>& domains,
                                             const std::vector<std::string>& extra_selectors)
{
  std::vector<std::string> names;
  for (const std::string& d : domains) {
    names.push_back(domain_key(d));
  }
  if (names.empty()) {
    for (const config::DomainSettings& d : config.domains) {
      names.push_back(domain_key(d.name));
    }
  }
  std::vector<check::DomainInput> out;
  for (const std::string& name : names) {
    if (name.empty() || std::any_of(out.begin(), out.end(),
                                    [&](const check::DomainInput& x) { return x.domain == name; })) {
      continue;
    }
    check::DomainInput in;
    in.domain = name;
    for (const config::DomainSettings& d : config.domains) {
      if (domain_key(d.name) == name) {
        in.selectors = d.dkim_selectors;
        in.authorized_ips = d.authorized_ips;
      }
    }
    for (const std::string& s : extra_selectors) {
      if (std::find(in.selectors.begin(), in.selectors.end(), s) == in.selectors.end()) {
        in.selectors.push_back(s);
      }
    }
    out.push_back(std::move(in));
  }
  return out;
}

void register_check(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<CheckArgs>();
  CLI::App* cmd = app.add_subcommand(
    "check", "What DNS publishes: DMARC, SPF, DKIM keys, MTA-STS, TLS-RPT and MX, with findings");
  cmd->add_option("domains", args->domains, "Domains to check (default: every [[domain]] of the config)");
  cmd->add_option("-s,--selector", args->selectors,
                  "DKIM selector to look up as well as the domain's dkim_selectors (repeatable)")
    ->allow_extra_args(false);
  cmd->add_option("-f,--format", args->format, "Output format")
    ->check(CLI::IsMember({"text", "json"}));
  cmd->footer(
    "DNS goes to [enrich] dns_servers (default: /etc/resolv.conf), each lookup bounded by\n"
    "[enrich] timeout_ms; the MTA-STS policy is fetched over HTTPS with the certificate\n"
    "verified ([check] ca_file adds a private CA). Every finding has a stable code and says\n"
    "what to do; docs/check.md lists them.\n"
    "Exit status: 0 no error (warnings allowed), 5 some finding is an error, 1 DNS could not\n"
    "be asked (no server answered), 2 usage.\n"
    "Example: dmarcctl check example.com --selector mail\n"
    "         dmarcctl check --format json      # every [[domain]] of the config");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
