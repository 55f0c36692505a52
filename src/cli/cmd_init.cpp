// dmarcctl init: writes a first configuration (mode 0600), creates the database directory,
// checks the file and the IMAP login, and prints the DNS records that make reports arrive
// (RFC 7489 §7.1 rua and its _report._dmarc authorisation, RFC 8460 §3 TLS-RPT) and the
// command that enables the nightly timer.
//
// Why a command and not a file to copy: the first run is where new users get stuck (a
// password in the config, a world-readable file, a wrong URL, reports that never arrive
// because the mailbox is in another domain). Interactive by default (questions on stderr,
// answers on stdin, the password read without echo into a 0600 file); every answer can be
// an option for scripts (--non-interactive).
#include "cli/context.hpp"
#include "core/log.hpp"
#include "net/imap_client.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>
#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

namespace dmarc::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* k_default_config = "/etc/dmarcctl/dmarcctl.toml";
constexpr const char* k_default_database = "/var/lib/dmarcctl/reports.sqlite";

struct InitOptions
{
  bool non_interactive = false;
  bool force = false;
  bool no_connect = false;
  std::vector<std::string> domains;
  std::string imap_url;
  std::string username;
  std::string password_file;
  std::string database = k_default_database;
};

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(const std::string& s)
{
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Letters, digits, '-' and '.', at least one dot: what a mail domain looks like.
bool plausible_domain(const std::string& d)
{
  if (d.empty() || d.size() > 253 || d.find('.') == std::string::npos || d.front() == '.'
      || d.back() == '.') {
    return false;
  }
  for (const char c : d) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string mailbox_domain(const std::string& username)
{
  const std::size_t at = username.rfind('@');
  return at == std::string::npos ? "" : domain_key(username.substr(at + 1));
}

// Asks on stderr, reads a line from stdin; `fallback` when the answer is empty.
std::string ask(const std::string& question, const std::string& fallback)
{
  std::fprintf(stderr, "%s%s: ", question.c_str(),
               fallback.empty() ? "" : (" [" + fallback + "]").c_str());
  std::fflush(stderr);
  std::string line;
  if (!std::getline(std::cin, line)) {
    return fallback;
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return line.empty() ? fallback : line;
}

// Reads a line with the terminal's echo off (when stdin is a terminal).
std::string ask_secret(const std::string& question)
{
  std::fprintf(stderr, "%s: ", question.c_str());
  std::fflush(stderr);
  termios saved{};
  const bool tty = isatty(STDIN_FILENO) != 0 && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fputc('\n', stderr);
  }
  if (!line.empty() && line.back() == '\r') {
    line.pop_back();
  }
  return line;
}

// Writes `text` to `path` with mode 0600 whatever the umask; refuses an existing file
// unless `replace`. A replaced file is written beside and renamed over, so a failure
// leaves the old one.
Result<void> write_private(const std::string& path, const std::string& text, bool replace)
{
  const std::string target = replace ? path + ".dmarcctl-init" : path;
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST && !replace) {
      return make_error(ErrorKind::io, path + " exists; pass --force to replace it");
    }
    return make_error(ErrorKind::io, "cannot create " + target + ": " + std::strerror(errno));
  }
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    ok = n > 0;
    done += n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (ok && replace && ::rename(target.c_str(), path.c_str()) != 0) {
    ok = false;
  }
  if (!ok) {
    const int e = errno;
    ::unlink(target.c_str());
    return make_error(ErrorKind::io, "cannot write " + path + ": " + std::strerror(e));
  }
  return {};
}

std::string config_text(const InitOptions& o)
{
  std::string t;
  t += "# dmarcctl configuration, written by `dmarcctl init`. Every key: man dmarcctl.toml\n";
  t += "# Check it with: dmarcctl config check\n\n";
  t += "[database]\npath = " + toml_string(o.database) + "\n\n";
  t += "[[imap]]\n";
  t += "name = \"reports\"\n";
  t += "url = " + toml_string(o.imap_url) + "\n";
  t += "username = " + toml_string(o.username) + "\n";
  t += "password_file = " + toml_string(o.password_file) + "   # mode 0600, the password alone\n";
  t += "mailboxes = [\"INBOX\"]\n";
  t += "after = \"move\"                 # move | seen | delete | leave\n";
  t += "archive = \"Archive/Reports\"\n";
  t += "invalid = \"Invalid\"\n";
  for (const std::string& d : o.domains) {
    t += "\n[[domain]]\n";
    t += "name = " + toml_string(d) + "\n";
    t += "# authorized_ips = [\"203.0.113.10\"]   # your outgoing servers and relays\n";
    t += "# dkim_selectors = [\"dkim\"]          # the selectors you sign with\n";
    t += "rua = " + toml_string(o.username) + "\n";
  }
  return t;
}

// The records that make reporters send to the mailbox, one per line.
std::vector<std::string> dns_records(const InitOptions& o)
{
  std::vector<std::string> out;
  const std::string box_domain = mailbox_domain(o.username);
  for (const std::string& d : o.domains) {
    out.push_back("_dmarc." + d + ".  TXT \"v=DMARC1; p=none; rua=mailto:" + o.username + "\"");
    out.push_back("_smtp._tls." + d + ".  TXT \"v=TLSRPTv1; rua=mailto:" + o.username + "\"");
    if (!box_domain.empty() && box_domain != domain_key(d)) {
      // RFC 7489 §7.1: the mailbox's domain must allow reports about another domain.
      out.push_back(d + "._report._dmarc." + box_domain + ".  TXT \"v=DMARC1\"");
    }
  }
  return out;
}

ExitCode run_init(Context& ctx, InitOptions o)
{
  const std::string path = ctx.config_path.empty() ? k_default_config : ctx.config_path;
  std::error_code early_ec;
  if (!o.force && fs::exists(path, early_ec)) {
    // Before any question: nothing to answer when the file stays.
    return fail(make_error(ErrorKind::io, path + " exists; pass --force to replace it"));
  }
  if (!o.non_interactive) {
    std::fprintf(stderr, "dmarcctl init: a configuration for %s (Ctrl-C to stop)\n", path.c_str());
    if (o.domains.empty()) {
      std::string d = ask("Domain whose reports you want (several: separated by spaces)", "");
      for (std::size_t p = 0; p < d.size();) {
        const std::size_t e = std::min(d.find(' ', p), d.size());
        if (e > p) {
          o.domains.push_back(d.substr(p, e - p));
        }
        p = e + 1;
      }
    }
    const std::string first = o.domains.empty() ? "example.com" : o.domains.front();
    if (o.imap_url.empty()) {
      o.imap_url = ask("IMAP server", "imaps://mail." + first);
    }
    if (o.username.empty()) {
      o.username = ask("Report mailbox (IMAP user name)", "dmarc-reports@" + first);
    }
    if (o.password_file.empty()) {
      o.password_file = ask("Password file", (fs::path(path).parent_path() / "imap.pass").string());
    }
    std::error_code ec;
    if (!fs::exists(o.password_file, ec)) {
      const std::string password = ask_secret("IMAP password (not shown; stored in "
                                              + o.password_file + ", mode 0600)");
      if (password.empty()) {
        return fail(make_error(ErrorKind::usage, "no password given"));
      }
      fs::create_directories(fs::path(o.password_file).parent_path(), ec);
      if (auto w = write_private(o.password_file, password + "\n", false); !w) {
        return fail(w.error());
      }
    }
  }

  std::vector<std::string> missing;
  if (o.domains.empty()) {
    missing.emplace_back("--domain");
  }
  if (o.imap_url.empty()) {
    missing.emplace_back("--imap-url");
  }
  if (o.username.empty()) {
    missing.emplace_back("--username");
  }
  if (o.password_file.empty()) {
    missing.emplace_back("--password-file");
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) {
      list += (list.empty() ? "" : ", ") + m;
    }
    return fail(make_error(ErrorKind::usage,
                           std::string(o.non_interactive ? "init --non-interactive" : "init")
                             + " needs " + list));
  }
  for (std::string& d : o.domains) {
    d = domain_key(d);
    if (!plausible_domain(d)) {
      return fail(make_error(ErrorKind::usage, "'" + d + "' is not a domain name"));
    }
  }
  if (o.imap_url.rfind("imaps://", 0) != 0 && o.imap_url.rfind("imap://", 0) != 0) {
    return fail(make_error(ErrorKind::usage,
                           "--imap-url must start with imaps:// or imap://, not '" + o.imap_url + "'"));
  }
  if (o.username.find('@') == std::string::npos) {
    return fail(make_error(ErrorKind::usage,
                           "--username must be the report mailbox's address (user@domain), "
                           "where the DNS records send the reports"));
  }
  o.password_file = fs::absolute(o.password_file).lexically_normal().string();
  o.database = fs::absolute(o.database).lexically_normal().string();

  std::error_code ec;
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) {
      return fail(make_error(ErrorKind::io, "cannot create " + dir.string() + ": " + ec.message()));
    }
    ::chmod(dir.c_str(), 0700);
  }
  std::error_code exists_ec;
  const bool existed = fs::exists(path, exists_ec);
  if (auto w = write_private(path, config_text(o), o.force && existed); !w) {
    return fail(w.error());
  }
  std::printf("%s %s (mode 0600)\n", existed ? "replaced" : "wrote", path.c_str());

  const fs::path db_dir = fs::path(o.database).parent_path();
  if (!fs::exists(db_dir, ec)) {
    fs::create_directories(db_dir, ec);
    if (ec) {
      return fail(make_error(ErrorKind::io, "cannot create " + db_dir.string() + ": " + ec.message()));
    }
    ::chmod(db_dir.c_str(), 0700);
    std::printf("created %s (mode 0700) for the database\n", db_dir.c_str());
  }

  ctx.config_path = path;
  // `config check --connect`: the file, then the login, each mailbox, the archive and invalid
  // mailboxes (created when missing, as the first move would).
  const ExitCode status = check_config(ctx, !o.no_connect);

  std::printf("\nPublish these DNS records so that reports arrive (keep the p= you publish "
              "today;\n`dmarcctl advise` tells you when to tighten it):\n\n");
  for (const std::string& r : dns_records(o)) {
    std::printf("  %s\n", r.c_str());
  }
  std::printf("\nThen fetch every night:\n\n"
              "  systemctl enable --now dmarcctl.timer\n\n"
              "or try it once now: dmarcctl -c %s -v fetch\n",
              path.c_str());
  if (status != ExitCode::ok) {
    std::fprintf(stderr, "dmarcctl: init: the configuration was written, but the check above "
                         "failed; fix it and run `dmarcctl -c %s config check --connect`\n",
                 path.c_str());
  }
  return status;
}

} // namespace

void register_init(CLI::App& app, Context& ctx, int& exit_code)
{
  auto o = std::make_shared<InitOptions>();
  CLI::App* cmd = app.add_subcommand(
    "init", "Write a first configuration (asking, or from options), create the database "
            "directory, check the login, print the DNS records to publish");
  cmd->add_flag("--non-interactive", o->non_interactive,
                "Ask nothing: take everything from the options below");
  cmd->add_option("--domain", o->domains, "A domain whose reports you want (repeatable)");
  cmd->add_option("--imap-url", o->imap_url,
                  "The report mailbox's server: imaps://host[:993] or imap://host[:143]");
  cmd->add_option("--username", o->username, "The report mailbox's address and IMAP user name");
  cmd->add_option("--password-file", o->password_file,
                  "File holding the IMAP password (mode 0600; interactive: written when missing)");
  cmd->add_option("--database", o->database, "Where the database goes")
    ->capture_default_str();
  cmd->add_flag("--force", o->force, "Replace an existing configuration file");
  cmd->add_flag("--no-connect", o->no_connect, "Check the file only, do not log in to IMAP");
  cmd->footer("The file is written to -c/--config PATH, default /etc/dmarcctl/dmarcctl.toml.");
  cmd->callback([&ctx, &exit_code, o] { exit_code = to_int(run_init(ctx, *o)); });
}

} // namespace dmarc::cli
