// dmarcctl config check: validate a configuration file, naming the line of every mistake.
#include "cli/context.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "fetch/imap_source.hpp"
#include "net/imap_client.hpp"
#include "net/imap_protocol.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
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

// One account for `config check --connect`: log in, open each mailbox read-only, make sure
// the archive and invalid mailboxes exist (created when missing, as the first move would).
// Prints one line per step; false when a step failed.
bool connect_account(const config::ImapAccount& account)
{
  auto url = net::imap::parse_url(account.url);
  const std::string label = "account " + account.name + " ("
                            + (url ? net::imap::endpoint_label(*url) : account.url) + ")";
  auto password = config::read_password(account);
  if (!password) {
    log::error(label + ": " + password.error().detail);
    return false;
  }
  net::ImapSettings settings;
  settings.url = account.url;
  settings.username = account.username;
  settings.password = std::move(*password);
  settings.ca_file = account.ca_file;
  settings.require_tls = account.tls == config::TlsMode::required;
  settings.connect_timeout = account.connect_timeout;
  settings.timeout = account.timeout;
  auto session = net::connect_imap(settings);
  std::fill(settings.password.begin(), settings.password.end(), '\0');
  if (!session) {
    log::error(label + ": " + session.error().detail);
    return false;
  }
  std::printf("%s: login OK\n", label.c_str());
  bool ok = true;
  std::vector<std::string> existing;
  for (const std::string& mailbox : account.mailboxes) {
    auto selected = (*session)->select(mailbox, true);
    if (selected) {
      std::printf("%s: mailbox \"%s\": OK, %s\n", label.c_str(), mailbox.c_str(),
                  text::plural(selected->exists, "message", "messages").c_str());
      continue;
    }
    ok = false;
    std::string detail = selected.error().detail;
    if (existing.empty()) {
      if (auto names = (*session)->list_mailboxes()) {
        existing = std::move(*names);
      }
    }
    if (!existing.empty()) {
      detail += "; the account has: " + fetch::nearest_first(existing, mailbox);
    }
    log::error(label + ": " + detail);
  }
  const auto ensure = [&](const char* role, const std::string& name) {
    auto exists = (*session)->mailbox_exists(name);
    if (!exists) {
      log::error(label + ": " + role + " \"" + name + "\": " + exists.error().detail);
      ok = false;
      return;
    }
    if (*exists) {
      std::printf("%s: %s \"%s\": exists\n", label.c_str(), role, name.c_str());
      return;
    }
    if (auto created = (*session)->create_mailbox(name); !created) {
      log::error(label + ": " + role + " \"" + name + "\" cannot be created: "
                 + created.error().detail);
      ok = false;
      return;
    }
    std::printf("%s: %s \"%s\": created\n", label.c_str(), role, name.c_str());
  };
  if (account.after == config::AfterAction::move) {
    ensure("archive", account.archive);
  }
  if (!account.invalid.empty()) {
    ensure("invalid", account.invalid);
  }
  (void)(*session)->logout();
  return ok;
}

} // namespace

ExitCode check_config(Context& ctx, bool connect)
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
  if (c.notify && !c.notify->username.empty()) {
    if (auto password = config::read_secret("[notify]", c.notify->password_file,
                                            c.notify->password_env);
        !password) {
      log::diagnostic(path + ": " + password.error().detail);
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
  if (!connect) {
    return ExitCode::ok;
  }
  int failed = 0;
  for (const config::ImapAccount& account : c.imap) {
    failed += connect_account(account) ? 0 : 1;
  }
  if (failed > 0) {
    log::error(text::plural(failed, "account", "accounts") + " of "
               + std::to_string(c.imap.size()) + " failed the connection check");
    return ExitCode::error;
  }
  return ExitCode::ok;
}

void register_config(CLI::App& app, Context& ctx, int& exit_code)
{
  CLI::App* cmd = app.add_subcommand("config", "Configuration: check a file, list the keys");
  cmd->require_subcommand(1);
  auto connect = std::make_shared<bool>(false);
  CLI::App* check_cmd = cmd->add_subcommand(
    "check", "Validate the configuration (-c FILE or the default location); names the line of "
             "every mistake, checks password files");
  check_cmd->add_flag("--connect", *connect,
                      "Also log in to every [[imap]] account, open each mailbox (read-only) and "
                      "make sure the archive and invalid mailboxes exist (created if missing)");
  check_cmd->footer("Without --connect nothing leaves this machine.\n"
                    "Exit status: 0 ok, 1 an account failed the --connect check, 2 the "
                    "configuration has mistakes.");
  check_cmd->callback([&ctx, &exit_code, connect] { exit_code = to_int(check_config(ctx, *connect)); });
  cmd->add_subcommand("keys", "List every key the configuration file may hold, as "
                              "section.key (what dmarcctl.toml(5) documents)")
    ->callback([] {
      for (const std::string& key : config::known_keys()) {
        std::printf("%s\n", key.c_str());
      }
    });
}

} // namespace dmarc::cli
