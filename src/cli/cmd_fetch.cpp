// dmarcctl fetch: every [[imap]] account, every mailbox → store, then the after action.
//
// Reads top to bottom per account: password (file or environment) → connect, TLS, login
// (net::connect_imap) → the import pipeline over an ImapSource → after actions on what was
// committed → logout. A failing account is reported with its name, host and the step that
// failed, and the next account goes on. The run lock keeps a manual fetch and the nightly
// run (or two cron runs) from working on the same mailboxes at once.
#include "cli/cmd_fetch.hpp"

#include "core/log.hpp"
#include "core/text.hpp"
#include "fetch/imap_source.hpp"
#include "net/imap_client.hpp"
#include "net/imap_protocol.hpp"
#include "store/imap_state.hpp"
#include "store/sqlite_store.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace dmarc::cli {

namespace {

// The cursors of ImapSource, kept in the database (store/imap_state.hpp).
class DatabaseCursors final : public fetch::ImapCursorStore
{
public:
  DatabaseCursors(store::Database& db, const Clock& clock) : m_db(db), m_clock(clock) {}

  Result<std::optional<fetch::ImapCursor>> load(const std::string& account,
                                                const std::string& mailbox) override
  {
    auto state = store::load_imap_state(m_db, account, mailbox);
    if (!state) {
      return state.error();
    }
    if (!*state) {
      return std::optional<fetch::ImapCursor>();
    }
    return std::optional<fetch::ImapCursor>(fetch::ImapCursor{(*state)->uidvalidity, (*state)->last_uid});
  }

  Result<void> save(const std::string& account, const std::string& mailbox,
                    const fetch::ImapCursor& cursor) override
  {
    return store::save_imap_state(m_db, account, mailbox, cursor.uidvalidity, cursor.last_uid,
                                  m_clock.now());
  }

  Result<void> make_durable(const std::string& account, const std::string& mailbox,
                            int64_t uidvalidity, int64_t stored_uid) override
  {
    return store::mark_stored_durably(m_db, account, mailbox, uidvalidity, stored_uid, m_clock.now());
  }

private:
  store::Database& m_db;
  const Clock& m_clock;
};

fetch::AfterAction after_action(config::AfterAction action)
{
  switch (action) {
  case config::AfterAction::move: return fetch::AfterAction::move;
  case config::AfterAction::seen: return fetch::AfterAction::seen;
  case config::AfterAction::remove: return fetch::AfterAction::remove;
  case config::AfterAction::leave: return fetch::AfterAction::leave;
  }
  return fetch::AfterAction::leave;
}

void add(pipeline::ImportStats& sum, const pipeline::ImportStats& s)
{
  sum.inputs += s.inputs;
  sum.dmarc_reports += s.dmarc_reports;
  sum.tls_reports += s.tls_reports;
  sum.records += s.records;
  sum.duplicates += s.duplicates;
  sum.failure_reports += s.failure_reports;
  sum.rejected += s.rejected;
  sum.not_reports += s.not_reports;
  sum.conflicts += s.conflicts;
  sum.unreadable += s.unreadable;
  sum.partial += s.partial;
  sum.bytes += s.bytes;
}

// "account dmarc (mail.example.com:993)".
std::string account_label(const config::ImapAccount& account)
{
  auto url = net::imap::parse_url(account.url);
  return "account " + account.name + " (" + (url ? net::imap::endpoint_label(*url) : account.url)
         + ")";
}

// What happened in a mailbox, for -v.
std::string describe(const fetch::MailboxOutcome& o)
{
  std::string line =
    "mailbox \"" + o.mailbox + "\": " + text::plural(o.found, "new message", "new messages");
  if (o.rescanned) {
    line += " (UIDVALIDITY changed: read again from the start)";
  }
  const std::pair<int64_t, const char*> parts[] = {
    {o.archived, "moved to the archive"}, {o.marked_seen, "marked seen"}, {o.deleted, "deleted"},
    {o.to_invalid, "moved to the invalid mailbox"}, {o.left, "left in place"}};
  for (const auto& [n, what] : parts) {
    if (n > 0) {
      line += ", " + std::to_string(n) + " " + what;
    }
  }
  return line;
}

void imap_trace(std::string_view line)
{
  log::debug(std::string("imap: ") + std::string(line));
}

// Fetches one account. Returns false when the account failed as a whole.
bool fetch_account(Context& ctx, store::Database& db, store::SqliteStore& sink,
                   const config::ImapAccount& account, FetchReport& report, bool& fatal)
{
  const std::string label = account_label(account);
  auto password = config::read_password(account);
  if (!password) {
    log::error(password.error().detail);
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
  settings.max_message_bytes = ctx.limits().max_message_bytes;
  log::verbose(label + ": connecting");
  auto session = net::connect_imap(settings);
  std::fill(settings.password.begin(), settings.password.end(), '\0');
  settings.password.clear();
  if (!session) {
    log::error(label + ": " + session.error().detail);
    return false;
  }
  log::verbose(label + ": logged in");

  fetch::ImapSourceOptions options;
  options.account = account.name;
  options.mailboxes = account.mailboxes;
  options.after = after_action(account.after);
  options.archive = account.archive;
  options.invalid = account.invalid;
  options.batch = account.batch;
  options.max_message_bytes = ctx.limits().max_message_bytes;
  DatabaseCursors cursors(db, *ctx.clock);
  fetch::ImapSource source(**session, cursors, std::move(options));

  // "imap://dmarc/INBOX: not-a-report: ..." → "imap://dmarc/INBOX;UID=7: not-a-report: ...".
  auto with_uid = [&source, &account](const std::string& line) {
    const std::string prefix = "imap://" + account.name + "/" + source.progress().mailbox;
    if (line.rfind(prefix + ": ", 0) != 0) {
      return line;
    }
    return prefix + ";UID=" + std::to_string(source.current_uid()) + line.substr(prefix.size());
  };
  pipeline::ImportStats seen;
  pipeline::ImportOptions import_options;
  import_options.limits = ctx.limits();
  import_options.on_rejected = [&](const std::string& line) {
    report.lost.rejected(with_uid(line));
    log::diagnostic(with_uid(line));
  };
  import_options.name_messages = true;
  // A mail without any report (spam to the report address) that goes to the invalid
  // mailbox is handled: said with -v, no exit 3 (cron would mail the admin every night).
  const bool moves_invalid = !account.invalid.empty();
  import_options.on_not_a_report = [&, moves_invalid](const std::string& line) {
    if (moves_invalid) {
      log::verbose(with_uid(line));
    } else {
      log::diagnostic(with_uid(line));
    }
  };
  import_options.on_conflict = [&](const std::string& line) { log::info(with_uid(line)); };
  import_options.on_note = [&](const std::string& line) { log::verbose(with_uid(line)); };
  import_options.on_warning = [&](const std::string& line) {
    report.lost.warning(with_uid(line));
    log::error("warning: " + with_uid(line));
  };
  // Per message only at -vv: a mailbox may hold thousands (-v says what each mailbox did).
  import_options.on_stored = [&](const std::string& line) { log::debug(with_uid(line)); };
  import_options.on_progress = [&](const pipeline::ImportStats& stats) {
    seen = stats;
    if (!log::progress_due()) {
      return;
    }
    const auto p = source.progress();
    log::progress("fetching " + account.name + "/" + p.mailbox + ": " + std::to_string(p.done)
                  + "/" + std::to_string(p.total) + " messages, "
                  + std::to_string(stats.dmarc_reports + stats.tls_reports) + " reports");
  };

  auto stats = pipeline::run_import(source, sink, import_options);
  log::progress_done();
  auto closed = source.close();
  add(report.stats, stats ? *stats : seen);

  bool ok = true;
  if (!stats) {
    log::error(label + ": " + stats.error().detail);
    ok = false;
    fatal = stats.error().kind == ErrorKind::database;
  }
  for (const fetch::MailboxOutcome& outcome : source.outcomes()) {
    report.moved_to_invalid += outcome.to_invalid;
    if (outcome.error) {
      log::error(label + ": " + outcome.error->detail);
      ++report.mailboxes_failed;
    } else if (stats && closed) {
      ++report.mailboxes_done;
    }
    log::verbose(label + ": " + describe(outcome));
  }
  if (!closed && stats) {
    // The messages stay where they are and are handled by the next run.
    log::error(label + ": " + closed.error().detail);
    ++report.mailboxes_failed;
  }
  return ok;
}

} // namespace

FetchReport fetch_accounts(Context& ctx, store::Database& db, const config::Config& config,
                           const std::vector<std::string>& only)
{
  FetchReport report;
  net::set_imap_trace(log::level() >= log::Level::debug ? &imap_trace : nullptr);
  store::SqliteStore sink(db, *ctx.clock);
  bool fatal = false;
  for (const config::ImapAccount& account : config.imap) {
    if (!only.empty() && std::find(only.begin(), only.end(), account.name) == only.end()) {
      continue;
    }
    ++report.accounts;
    const int mailboxes_failed = report.mailboxes_failed;
    if (!fetch_account(ctx, db, sink, account, report, fatal)) {
      ++report.accounts_failed;
      report.lost.failed_accounts.push_back(account.name);
    } else if (report.mailboxes_failed > mailboxes_failed) {
      report.lost.failed_accounts.push_back(account.name);
    }
    if (fatal) {
      break; // the database failed: no account can be stored
    }
  }
  const pipeline::ImportStats& s = report.stats;
  report.summary = "fetched " + text::plural(s.inputs, "message", "messages") + " from "
                   + text::plural(report.accounts, "account", "accounts") + ": " + s.to_line();
  if (report.accounts_failed > 0) {
    report.summary += "; " + text::plural(report.accounts_failed, "account", "accounts") + " failed";
  }
  if (report.mailboxes_failed > 0) {
    report.summary += "; " + text::plural(report.mailboxes_failed, "mailbox", "mailboxes") + " failed";
  }
  const bool something_failed = report.accounts_failed > 0 || report.mailboxes_failed > 0;
  // Mails without a report that went to the invalid mailbox are handled; a report that
  // could not be stored (corrupt, invalid, too large) and mails left in place are not.
  const int64_t handled = std::min(s.not_reports, report.moved_to_invalid);
  if (handled > 0) {
    report.summary += "; " + text::plural(handled, "mail", "mails")
                      + " without a report moved to the invalid mailbox";
  }
  report.attention = something_failed || s.rejected - handled > 0 || s.partial > 0;
  report.database_failed = fatal;
  if (!fatal) {
    record_ingest(ctx, db, "fetch", s, report.accounts, report.lost);
  }
  // Nothing could be done: no account logged in, or every mailbox failed (a mistyped
  // mailbox name, say), and not one message was read.
  const bool nothing_done = something_failed && report.mailboxes_done == 0 && s.inputs == 0;
  if (fatal || nothing_done) {
    report.code = ExitCode::error;
  } else if (report.attention) {
    report.code = ExitCode::partial;
  }
  return report;
}

RunLock& RunLock::operator=(RunLock&& other) noexcept
{
  if (this != &other) {
    if (m_fd >= 0) {
      close(m_fd);
    }
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

RunLock::~RunLock()
{
  if (m_fd >= 0) {
    close(m_fd); // releases the flock
  }
}

Result<RunLock> acquire_run_lock(Context& ctx, const config::Config& config)
{
  const std::string path =
    config.lock_file.empty() ? ctx.database_path() + ".lock" : config.lock_file;
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorKind::io, "cannot open lock file " + path + ": " + std::strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) {
      return make_error(ErrorKind::io, "already running: another dmarcctl fetch or run holds "
                                         + path);
    }
    return make_error(ErrorKind::io, "cannot lock " + path + ": " + std::strerror(error));
  }
  // The holder's pid, for whoever looks at the file.
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || write(fd, pid.data(), pid.size()) < 0) {
    log::debug("cannot write the pid into " + path);
  }
  RunLock lock;
  lock.m_fd = fd;
  return lock;
}

namespace {

struct FetchArgs
{
  std::vector<std::string> accounts;
};

ExitCode run_fetch(Context& ctx, const FetchArgs& args)
{
  auto config = ctx.config();
  if (!config) {
    return fail(config.error());
  }
  const config::Config& c = **config;
  if (c.imap.empty()) {
    return fail(make_error(ErrorKind::config,
                           "no [[imap]] accounts configured"
                             + (c.path.empty() ? std::string(" (no configuration file; use -c FILE)")
                                               : " in " + c.path)));
  }
  for (const std::string& name : args.accounts) {
    const bool known = std::any_of(c.imap.begin(), c.imap.end(),
                                   [&](const config::ImapAccount& a) { return a.name == name; });
    if (!known) {
      // Which accounts there are, and the one that was meant when it is near.
      std::string list;
      std::string hint;
      std::size_t best = 3;
      for (const config::ImapAccount& a : c.imap) {
        list += (list.empty() ? "\"" : ", \"") + a.name + "\"";
        if (const std::size_t d = text::edit_distance(name, a.name); d < best) {
          best = d;
          hint = a.name;
        }
      }
      return fail(make_error(ErrorKind::usage,
                             "no [[imap]] account named \"" + name + "\""
                               + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)")
                               + "; the configuration has " + list));
    }
  }
  auto lock = acquire_run_lock(ctx, c);
  if (!lock) {
    log::error(lock.error().detail);
    return ExitCode::error;
  }
  auto db = ctx.open_database(store::Access::read_write);
  if (!db) {
    return fail(db.error());
  }
  const FetchReport report = fetch_accounts(ctx, **db, c, args.accounts);
  log::info(report.summary);
  return report.code;
}

} // namespace

void register_fetch(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<FetchArgs>();
  CLI::App* cmd = app.add_subcommand(
    "fetch", "Fetch new report mails from the configured IMAP mailboxes into the database");
  cmd->add_option("--account", args->accounts,
                  "Only this [[imap]] account (by name; may be repeated)");
  cmd->footer(
    "Logs in to every [[imap]] account of the configuration, reads new messages by UID in\n"
    "batches over one connection and stores their reports. Only after a message is stored\n"
    "is its `after` action applied (move to archive, mark seen, delete, or leave); messages\n"
    "without a usable report go to the `invalid` mailbox. A failing account is reported\n"
    "(account, host, step) and the others still run. Takes the run lock.\n"
    "Exit status: 0 all fine, 3 some account, mailbox or message failed, 1 nothing could be\n"
    "done (or the database failed), 2 configuration error.\n"
    "Example: dmarcctl -c /etc/dmarcctl/dmarcctl.toml fetch\n"
    "         dmarcctl -c dmarcctl.toml -v fetch --account dmarc");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run_fetch(ctx, *args)); });
}

} // namespace dmarc::cli
