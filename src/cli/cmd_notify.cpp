// dmarcctl notify: tell the admin when it matters (issue #17, docs/notify.md). Read top to
// bottom: the advisor's verdicts and the stored facts → events (src/notify, pure) → per
// channel, what it has not heard yet → mail (SMTP), webhook (HTTP POST of JSON) → the
// delivery state, written only once the channel accepted → the Prometheus textfile.
//
// Why the state is per channel: the mail server may take the mail while the webhook is down;
// the webhook then gets the same events next run, and the mail does not get them twice.
#include "cli/cmd_notify.hpp"

#include "cli/cmd_advise.hpp"
#include "cli/cmd_fetch.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "net/http_client.hpp"
#include "net/smtp_client.hpp"
#include "notify/events.hpp"
#include "notify/render.hpp"
#include "output/summary_text.hpp"
#include "store/advise_queries.hpp"
#include "store/notify_queries.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <unistd.h>

namespace dmarc::cli {

namespace {

constexpr int k_reporter_lookback_days = 120;
constexpr std::size_t k_max_problem_lines = 20;
const std::string k_digest_key = "digest:weekly";

// The week of a Unix day, weeks starting on Monday (day 0, 1970-01-01, was a Thursday).
int64_t week_of(int64_t day) { return (day + 3) / 7; }

notify::Settings settings_of(const config::Config& c)
{
  notify::Settings s;
  s.source_min_pass_share = c.advisor.source_min_pass_share;
  s.new_source_days = std::max(c.advisor.new_source_days, 1);
  if (c.notify) {
    s.min_messages = c.notify->min_messages;
    s.silent_days = c.notify->silent_days;
    if (c.notify->source_min_pass_share) {
      s.source_min_pass_share = *c.notify->source_min_pass_share;
    }
  }
  return s;
}

Result<notify::Facts> gather_facts(store::Database& db, const advise::Advice& advice,
                                   const notify::Settings& s, int64_t as_of_day)
{
  notify::Facts facts;
  facts.as_of_day = as_of_day;
  facts.advice = &advice;
  const int64_t recent = as_of_day - s.recent_days;
  for (const advise::DomainAdvice& d : advice.domains) {
    auto failing = store::failing_source_days(db, d.domain, recent, as_of_day, s.min_messages,
                                              as_of_day - std::max<int64_t>(advice.window_days, s.new_source_days));
    if (!failing) {
      return failing.error();
    }
    facts.failing.insert(facts.failing.end(), failing->begin(), failing->end());
  }
  auto reporters = store::reporter_activity(db, as_of_day - k_reporter_lookback_days, as_of_day);
  if (!reporters) {
    return reporters.error();
  }
  facts.reporters = std::move(*reporters);
  auto tls = store::tls_failure_days(db, recent, as_of_day);
  if (!tls) {
    return tls.error();
  }
  facts.tls_failures = std::move(*tls);
  auto runs = store::ingest_runs_since(db, recent * 86400);
  if (!runs) {
    return runs.error();
  }
  facts.runs = std::move(*runs);
  auto fetch = store::latest_ingest_run(db, "fetch");
  if (!fetch) {
    return fetch.error();
  }
  facts.latest_fetch = std::move(*fetch);
  return facts;
}

std::vector<notify::Delivered> to_delivered(const std::vector<store::DeliveredRow>& rows)
{
  std::vector<notify::Delivered> out;
  for (const store::DeliveredRow& r : rows) {
    if (r.kind != "digest") {
      out.push_back({r.key, r.kind, r.domain, r.severity, r.fingerprint, r.text, r.active,
                     r.announce_clear});
    }
  }
  return out;
}

std::vector<store::DeliveredRow> to_rows(const std::vector<notify::Delivered>& after, int64_t now)
{
  std::vector<store::DeliveredRow> out;
  for (const notify::Delivered& d : after) {
    out.push_back({d.key, d.kind, d.domain, d.severity, d.fingerprint, d.text, d.active,
                   d.announce_clear, now});
  }
  return out;
}

// A channel: its name in errors and the state table, and how it sends.
struct Channel
{
  std::string name;              // "mail", "webhook"
  std::string target;            // for messages: the addresses, the redacted URL
  std::function<Result<void>(const std::vector<notify::Notice>&)> send;
};

uint64_t token_of(std::string_view text, int64_t now)
{
  return std::hash<std::string_view>{}(text) ^ (static_cast<uint64_t>(now) * 0x9E3779B97F4A7C15ULL);
}

Result<void> send_mail(const config::NotifySettings& n, const notify::Mail& mail, int64_t now)
{
  net::SmtpSettings smtp;
  smtp.url = n.smtp_url;
  smtp.require_tls = n.tls == config::TlsMode::required;
  smtp.username = n.username;
  smtp.ca_file = n.ca_file;
  smtp.connect_timeout = n.timeout;
  smtp.timeout = n.timeout;
  if (!n.username.empty()) {
    auto password = config::read_secret("[notify]", n.password_file, n.password_env);
    if (!password) {
      return password.error();
    }
    smtp.password = std::move(*password);
  }
  const std::string message =
    notify::mime_message(mail, n.mail_from, n.mail_to, now, token_of(mail.text, now));
  auto sent = net::send_mail(smtp, n.mail_from, n.mail_to, message);
  std::fill(smtp.password.begin(), smtp.password.end(), '\0');
  return sent;
}

Result<void> post_webhook(const config::NotifySettings& n, const std::string& body)
{
  net::HttpSettings http;
  http.url = n.webhook_url;
  http.ca_file = n.ca_file;
  http.connect_timeout = n.timeout;
  http.timeout = n.timeout;
  net::HttpClient client(http);
  auto response = client.post(body, "application/json");
  if (!response) {
    return make_error(ErrorKind::network, net::redact_url(n.webhook_url) + ": "
                                            + response.error().detail);
  }
  if (response->status < 200 || response->status > 299) {
    return make_error(ErrorKind::network,
                      net::redact_url(n.webhook_url) + ": answered HTTP "
                        + std::to_string(response->status) + " "
                        + text::printable(response->body.substr(0, 200)));
  }
  return {};
}

std::vector<Channel> channels_of(const config::NotifySettings& n, int64_t as_of_day, int64_t now)
{
  std::vector<Channel> out;
  if (!n.mail_to.empty()) {
    std::string to;
    for (const std::string& a : n.mail_to) {
      to += (to.empty() ? "" : ", ") + a;
    }
    out.push_back({"mail", to, [&n, as_of_day, now](const std::vector<notify::Notice>& notices) {
                     return send_mail(n, notify::alert_mail(notices, as_of_day), now);
                   }});
  }
  if (!n.webhook_url.empty()) {
    out.push_back({"webhook", net::redact_url(n.webhook_url),
                   [&n](const std::vector<notify::Notice>& notices) {
                     return post_webhook(n, notify::webhook_json(notices));
                   }});
  }
  return out;
}

// Writes `text` to `path` atomically: a temporary file beside it, fsync, rename (the
// textfile collector never reads half a file).
Result<void> write_atomically(const std::string& path, const std::string& text)
{
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ErrorKind::io, "cannot write " + tmp + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const int error = errno;
      close(fd);
      unlink(tmp.c_str());
      return make_error(ErrorKind::io, "cannot write " + tmp + ": " + std::strerror(error));
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const int error = errno;
    unlink(tmp.c_str());
    return make_error(ErrorKind::io, "cannot write " + tmp + ": " + std::strerror(error));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(tmp.c_str());
    return make_error(ErrorKind::io, "cannot rename " + tmp + " to " + path + ": "
                                       + std::strerror(error));
  }
  return {};
}

std::string digest_summary(store::Database& db, const advise::Advice& advice, int64_t as_of_day)
{
  store::StatsWindow window;
  window.from_day = as_of_day - 6;
  window.to_day = as_of_day;
  window.source_limit = 10;
  Summary summary{window.from_day * 86400, (window.to_day + 1) * 86400, {}};
  for (const advise::DomainAdvice& d : advice.domains) {
    auto stats = store::domain_stats(db, d.domain, window);
    if (stats) {
      summary.domains.push_back(std::move(*stats));
    }
  }
  return output::summary_text(summary);
}

void say(const NotifyRequest& request, const std::string& line)
{
  if (request.quiet_when_fine) {
    log::verbose(line);
  } else {
    log::info(line);
  }
}

} // namespace

void IngestLog::rejected(const std::string& line)
{
  for (const char* reason : {": corrupt-archive: ", ": too-large: ", ": invalid-report: "}) {
    if (line.find(reason) != std::string::npos) {
      ++lost;
      if (lost_lines.size() < k_max_problem_lines) {
        lost_lines.push_back(line);
      }
      return;
    }
  }
}

void IngestLog::warning(const std::string& line)
{
  ++lost;
  if (lost_lines.size() < k_max_problem_lines) {
    lost_lines.push_back(line);
  }
}

void record_ingest(Context& ctx, store::Database& db, const char* command,
                   const pipeline::ImportStats& stats, int accounts, const IngestLog& log)
{
  IngestRun run;
  run.command = command;
  run.finished_at = ctx.clock->now();
  run.inputs = stats.inputs;
  run.reports = stats.dmarc_reports + stats.tls_reports;
  run.rejected = stats.rejected;
  run.lost = log.lost;
  run.partial = stats.partial;
  run.unreadable = stats.unreadable;
  run.accounts = accounts;
  run.failed_accounts = log.failed_accounts;
  run.problems = log.lost_lines;
  if (auto r = store::record_ingest_run(db, run); !r) {
    log::error("cannot record the " + std::string(command) + " run: " + r.error().detail);
  }
}

ExitCode notify_step(Context& ctx, store::Database& db, const config::Config& config,
                     const NotifyRequest& request)
{
  const bool has_channels = config.notify && (!config.notify->mail_to.empty()
                                              || !config.notify->webhook_url.empty());
  if (!has_channels && config.metrics.textfile.empty()) {
    log::verbose("notify: no [notify] mail_to / webhook_url or [metrics] textfile configured; skipped");
    return ExitCode::ok;
  }
  const int64_t now = ctx.clock->now();
  ExitCode code = ExitCode::ok;
  auto advice = compute_advice(db, config, std::nullopt, request.as_of_day);
  if (!advice) {
    log::error("notify: " + advice.error().to_string());
    return ExitCode::error;
  }
  const notify::Settings settings = settings_of(config);

  if (has_channels) {
    const config::NotifySettings& n = *config.notify;
    auto facts = gather_facts(db, *advice, settings, request.as_of_day);
    if (!facts) {
      log::error("notify: " + facts.error().to_string());
      return ExitCode::error;
    }
    const std::vector<notify::Event> events = notify::compute_events(*facts, settings);
    for (const Channel& channel : channels_of(n, request.as_of_day, now)) {
      if (request.mode == NotifyMode::test) {
        notify::Event e;
        e.key = "test";
        e.kind = "test";
        e.severity = notify::Severity::info;
        e.text = "dmarcctl test message: notifications work";
        Result<void> sent = channel.name == "mail"
                              ? send_mail(n, notify::test_mail(now), now)
                              : channel.send({notify::Notice{e, notify::Change::raised}});
        if (!sent) {
          log::error("notify: " + channel.name + " (" + channel.target + "): " + sent.error().detail);
          code = ExitCode::error;
        } else {
          say(request, "notify: " + channel.name + ": test message sent to " + channel.target);
        }
        continue;
      }
      auto rows = store::delivered_state(db, channel.name);
      if (!rows) {
        log::error("notify: " + rows.error().to_string());
        return ExitCode::error;
      }
      notify::Plan plan = notify::plan(events, to_delivered(*rows));
      if (request.mode == NotifyMode::dry_run) {
        std::string out = "notify: " + channel.name + " (" + channel.target + "): ";
        if (plan.notices.empty()) {
          out += "nothing to send\n";
        } else if (channel.name == "mail") {
          const notify::Mail mail = notify::alert_mail(plan.notices, request.as_of_day);
          out += "would send\nSubject: " + mail.subject + "\n\n" + mail.text + "\n";
        } else {
          out += "would post\n" + notify::webhook_json(plan.notices) + "\n";
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
        continue;
      }
      if (!plan.notices.empty()) {
        if (auto sent = channel.send(plan.notices); !sent) {
          log::error("notify: " + channel.name + " (" + channel.target + "): "
                     + sent.error().detail + "; "
                     + text::plural(static_cast<int64_t>(plan.notices.size()), "event stays",
                                    "events stay")
                     + " pending for the next run");
          code = ExitCode::error;
          continue;
        }
        say(request, "notify: " + channel.name + ": "
                       + text::plural(static_cast<int64_t>(plan.notices.size()), "event", "events")
                       + " sent to " + channel.target);
      }
      if (!plan.after.empty()) {
        if (auto saved = store::save_delivered_state(db, channel.name, to_rows(plan.after, now));
            !saved) {
          log::error("notify: " + channel.name + ": sent, but the delivery state could not be "
                     "saved: " + saved.error().detail);
          code = ExitCode::error;
        }
      }
    }
    // The weekly digest: the first run of each week (Monday to Sunday) mails it.
    if (n.digest == "weekly" && !n.mail_to.empty() && request.mode != NotifyMode::test) {
      auto rows = store::delivered_state(db, "mail");
      if (!rows) {
        log::error("notify: " + rows.error().to_string());
        return ExitCode::error;
      }
      const std::string week = std::to_string(week_of(request.as_of_day));
      const bool sent_this_week = std::any_of(rows->begin(), rows->end(), [&](const auto& r) {
        return r.key == k_digest_key && r.fingerprint == week;
      });
      if (!sent_this_week) {
        const notify::Mail mail =
          notify::digest_mail(digest_summary(db, *advice, request.as_of_day), events, request.as_of_day);
        if (request.mode == NotifyMode::dry_run) {
          const std::string out = "notify: mail: would send the weekly digest\nSubject: "
                                  + mail.subject + "\n\n" + mail.text + "\n";
          std::fwrite(out.data(), 1, out.size(), stdout);
        } else if (auto sent = send_mail(n, mail, now); !sent) {
          log::error("notify: mail (weekly digest): " + sent.error().detail
                     + "; it is sent with the next run");
          code = ExitCode::error;
        } else {
          say(request, "notify: mail: weekly digest sent");
          store::DeliveredRow row{k_digest_key, "digest", "", "info", week, mail.subject,
                                  false, false, now};
          if (auto saved = store::save_delivered_state(db, "mail", {row}); !saved) {
            log::error("notify: mail: " + saved.error().detail);
            code = ExitCode::error;
          }
        }
      }
    }
  }

  if (!config.metrics.textfile.empty()) {
    auto totals = store::store_totals(db);
    store::StatsWindow window;
    window.from_day = advise::window_from_day(request.as_of_day, config.advisor);
    window.to_day = request.as_of_day;
    auto tls = store::tls_sessions(db, window.from_day, window.to_day);
    if (!totals || !tls) {
      log::error("notify: metrics: " + (!totals ? totals.error() : tls.error()).to_string());
      return ExitCode::error;
    }
    const std::string text = notify::metrics_text(
      notify::metrics_of(*advice, *totals, *tls, now, request.run_success && code == ExitCode::ok));
    if (request.mode == NotifyMode::dry_run) {
      const std::string out = "notify: metrics: would write " + config.metrics.textfile + "\n";
      std::fwrite(out.data(), 1, out.size(), stdout);
    } else if (auto written = write_atomically(config.metrics.textfile, text); !written) {
      log::error("notify: metrics: " + written.error().detail);
      code = ExitCode::error;
    } else {
      log::verbose("notify: metrics written to " + config.metrics.textfile);
    }
  }
  std::fflush(stdout);
  return code;
}

namespace {

struct NotifyArgs
{
  std::string as_of;
  bool dry_run = false;
  bool test = false;
};

ExitCode run_notify(Context& ctx, const NotifyArgs& args)
{
  auto config = ctx.config();
  if (!config) {
    return fail(config.error());
  }
  NotifyRequest request;
  request.as_of_day = unix_day(ctx.clock->now());
  if (!args.as_of.empty()) {
    auto day = text::parse_date(args.as_of);
    if (!day) {
      return fail(make_error(ErrorKind::usage, "--as-of: expected YYYY-MM-DD, got '" + args.as_of
                                                 + "'"));
    }
    request.as_of_day = unix_day(*day);
  }
  if (args.dry_run && args.test) {
    return fail(make_error(ErrorKind::usage, "--dry-run and --test exclude each other"));
  }
  request.mode = args.test ? NotifyMode::test : args.dry_run ? NotifyMode::dry_run : NotifyMode::send;
  const config::Config& c = **config;
  const bool has_channels = c.notify && (!c.notify->mail_to.empty() || !c.notify->webhook_url.empty());
  if (!has_channels && c.metrics.textfile.empty()) {
    return fail(make_error(ErrorKind::config, "nothing to notify: configure [notify] mail_to or "
                                              "webhook_url, or [metrics] textfile (docs/notify.md)"));
  }
  if (auto r = store::Database::require_existing(ctx.database_path()); !r) {
    return fail(r.error());
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
  return notify_step(ctx, **db, c, request);
}

} // namespace

void register_notify(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<NotifyArgs>();
  CLI::App* cmd = app.add_subcommand(
    "notify", "Mail / post what changed (regressions, failing sources, silence, TLS failures, "
              "lost reports) and write the Prometheus textfile");
  cmd->add_option("--as-of", args->as_of, "Judge as of this day (YYYY-MM-DD), as advise does");
  cmd->add_flag("--dry-run", args->dry_run,
                "Print what would be sent; send nothing, remember nothing, write no textfile");
  cmd->add_flag("--test", args->test, "Send one test message on each channel (state untouched)");
  cmd->footer(
    "Each event is sent once per channel, again only when it changes or clears; a channel\n"
    "that fails (SMTP or webhook down) is an error naming it and its events are sent with\n"
    "the next run. `run` calls notify at its end. Configure [notify] (mail_to, mail_from,\n"
    "smtp_url, tls, webhook_url, digest, min_messages, silent_days) and [metrics] textfile;\n"
    "see docs/notify.md. Takes the run lock.\n"
    "Exit status: 0 ok, 1 a channel failed (or the database), 2 configuration or usage error.\n"
    "Example: dmarcctl notify --dry-run\n"
    "         dmarcctl notify --test");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run_notify(ctx, *args)); });
}

} // namespace dmarc::cli
