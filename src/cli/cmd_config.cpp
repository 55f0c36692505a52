// dmarcctl config check: validate a configuration file, naming the line of every mistake.
#include "cli/context.hpp"
#include "core/log.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace dmarc::cli {

namespace {

// `url` without a user:password@ part: config check shows where GELF goes, never a secret.
std::string without_userinfo(const std::string& url)
{
  const std::size_t scheme = url.find("://");
  if (scheme == std::string::npos) {
    return url;
  }
  const std::size_t start = scheme + 3;
  const std::size_t end = url.find_first_of("/?#", start);
  const std::size_t at = url.rfind('@', end);
  if (at == std::string::npos || at < start) {
    return url;
  }
  return url.substr(0, start) + url.substr(at + 1);
}

} // namespace

ExitCode check_config(Context& ctx)
{
  const std::string path = ctx.config_path.empty() ? config::find_default() : ctx.config_path;
  if (path.empty()) {
    return fail(make_error(ErrorKind::usage,
                           "no configuration file: pass -c FILE or create "
                           "/etc/dmarcctl/dmarcctl.toml"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(make_error(ErrorKind::config, "cannot read " + path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<config::Issue> issues;
  const config::Config c = config::parse(text.str(), path, issues);
  for (const config::Issue& issue : issues) {
    std::string line = path;
    if (issue.line > 0) {
      line += ":" + std::to_string(issue.line) + ":" + std::to_string(issue.column);
    }
    log::diagnostic(line + ": " + issue.message);
  }
  // Secrets must be readable by us and by nobody else; the value is never shown.
  int secret_problems = 0;
  for (const config::ImapAccount& account : c.imap) {
    if (account.password_file.empty() && account.password_env.empty()) {
      continue;
    }
    if (auto password = config::read_password(account); !password) {
      // Named at the line that sets password_file / password_env, like every other mistake.
      std::string where = path;
      if (account.password_line > 0) {
        where += ":" + std::to_string(account.password_line) + ":"
                 + std::to_string(account.password_column);
      }
      log::diagnostic(where + ": " + password.error().detail);
      ++secret_problems;
    }
  }
  if (!issues.empty() || secret_problems > 0) {
    log::diagnostic(path + ": " + std::to_string(issues.size() + secret_problems) + " problem"
                    + (issues.size() + secret_problems == 1 ? "" : "s"));
    return ExitCode::usage;
  }
  std::printf("%s: OK: database %s, %zu IMAP account%s, %zu domain%s, GELF %s\n", path.c_str(),
              c.database_path.empty() ? "(default)" : c.database_path.c_str(), c.imap.size(),
              c.imap.size() == 1 ? "" : "s", c.domains.size(), c.domains.size() == 1 ? "" : "s",
              c.gelf ? without_userinfo(c.gelf->url).c_str() : "off");
  return ExitCode::ok;
}

void register_config(CLI::App& app, Context& ctx, int& exit_code)
{
  CLI::App* cmd = app.add_subcommand("config", "Configuration: check a file, list the keys");
  cmd->require_subcommand(1);
  cmd->add_subcommand("check", "Validate the configuration (-c FILE or the default location); "
                               "names the line of every mistake, checks password files")
    ->callback([&ctx, &exit_code] { exit_code = to_int(check_config(ctx)); });
  cmd->add_subcommand("keys", "List every key the configuration file may hold, as "
                              "section.key (what dmarcctl.toml(5) documents)")
    ->callback([] {
      for (const std::string& key : config::known_keys()) {
        std::printf("%s\n", key.c_str());
      }
    });
}

} // namespace dmarc::cli
