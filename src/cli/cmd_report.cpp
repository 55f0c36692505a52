// dmarcctl report --html FILE: one self-contained HTML page with, per policy domain, the
// advisor's verdicts, daily charts (messages by outcome, DKIM selectors, TLS sessions) and
// the tables of sources and reporters (issue #16). The numbers are those of `summary` and
// `advise` for the same window: the same store queries fill the same structs.
#include "cli/cmd_report.hpp"

#include "advise/advisor.hpp"
#include "cli/cmd_advise.hpp"
#include "core/log.hpp"
#include "core/stats.hpp"
#include "core/text.hpp"
#include "store/advise_queries.hpp"
#include "store/failure_queries.hpp"
#include "store/report_queries.hpp"

#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

namespace dmarc::cli {

namespace {

// Rows of the source tables: the biggest sources and the failing ones (the rest are in
// `summary` and `export`), so ten domains of 90 days stay well under a megabyte.
constexpr std::size_t k_top_sources = 30;
constexpr std::size_t k_failing_sources = 20;

struct ReportArgs
{
  std::string html;
  std::string domain;
  std::string since = "90d";
  std::string as_of;
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

int class_rank(advise::SourceClass c)
{
  switch (c) {
  case advise::SourceClass::authorized: return 0;
  case advise::SourceClass::forwarder: return 1;
  case advise::SourceClass::unknown: return 2;
  }
  return 2;
}

output::ReportSource shown(const advise::ClassifiedSource& c)
{
  return {c.stats, c.cls, c.basis(), ""};
}

constexpr std::size_t k_newest_failures = 10;   // failure reports listed per domain

Result<output::HtmlDomain> build_domain(store::Database& db, const config::Config& config,
                                        const std::string& name, store::StatsWindow window)
{
  const config::DomainSettings* block = block_for(config, name);
  window.source_limit = -1;   // every source, for the classes
  window.name_limit = block != nullptr && !block->authorized_ptr_domains.empty() ? -1 : 50;
  auto stats = store::domain_stats(db, name, window);
  if (!stats) {
    return stats.error();
  }
  output::HtmlDomain h;
  auto daily = store::daily_stats(db, stats->domain, window);
  if (!daily) {
    return daily.error();
  }
  h.daily = std::move(*daily);
  std::vector<advise::ClassifiedSource> classified = advise::classify(*stats, block);
  stats->sources.clear();
  stats->sources.shrink_to_fit();

  // Per class totals and the class of each source, for the daily outcome.
  std::unordered_map<std::string, advise::SourceClass> class_of;
  class_of.reserve(classified.size());
  for (const advise::ClassifiedSource& c : classified) {
    advise::ClassTotals& t = c.cls == advise::SourceClass::authorized ? h.authorized
                             : c.cls == advise::SourceClass::forwarder ? h.forwarder
                                                                       : h.unknown;
    ++t.sources;
    t.messages += c.stats.messages;
    t.dmarc_pass += c.stats.dmarc_pass;
    class_of.emplace(c.stats.ip, c.cls);
  }
  std::map<int64_t, output::DayOutcome> days;
  std::string key;
  auto each = store::each_source_day(
    db, stats->domain, window,
    [&](int64_t day, std::string_view ip, int64_t messages, int64_t dmarc_pass) {
      key.assign(ip);
      const auto it = class_of.find(key);
      const advise::SourceClass cls = it == class_of.end() ? advise::SourceClass::unknown
                                                           : it->second;
      output::DayOutcome& o = days[day];
      o.day = day;
      o.pass += dmarc_pass;
      const int64_t failed = messages - dmarc_pass;
      switch (cls) {
      case advise::SourceClass::authorized:
        o.fail_authorized += failed;
        o.authorized += messages;
        o.authorized_pass += dmarc_pass;
        break;
      case advise::SourceClass::forwarder: o.fail_forwarder += failed; break;
      case advise::SourceClass::unknown: o.fail_unknown += failed; break;
      }
    });
  if (!each) {
    return each.error();
  }
  for (auto& [day, o] : days) {
    h.outcomes.push_back(o);
  }

  // The tables: the biggest sources, and the failing ones (authorized first).
  std::vector<const advise::ClassifiedSource*> failing;
  for (const advise::ClassifiedSource& c : classified) {
    if (h.sources.size() < k_top_sources) {
      h.sources.push_back(shown(c));
    }
    if (c.stats.messages > c.stats.dmarc_pass) {
      failing.push_back(&c);
      ++h.failing_sources;
      h.failing_messages += c.stats.messages - c.stats.dmarc_pass;
    }
  }
  const auto worse = [](const advise::ClassifiedSource* a, const advise::ClassifiedSource* b) {
    const int64_t fa = a->stats.messages - a->stats.dmarc_pass;
    const int64_t fb = b->stats.messages - b->stats.dmarc_pass;
    if (class_rank(a->cls) != class_rank(b->cls)) {
      return class_rank(a->cls) < class_rank(b->cls);
    }
    return fa != fb ? fa > fb : a->stats.ip < b->stats.ip;
  };
  const std::size_t keep = std::min(failing.size(), k_failing_sources);
  std::partial_sort(failing.begin(), failing.begin() + static_cast<std::ptrdiff_t>(keep),
                    failing.end(), worse);
  for (std::size_t i = 0; i < keep; ++i) {
    h.failing.push_back(shown(*failing[i]));
  }
  // Reverse DNS names of the sources shown beyond the biggest ones the store named.
  for (std::vector<output::ReportSource>* list : {&h.sources, &h.failing}) {
    for (output::ReportSource& s : *list) {
      if (s.stats.reverse_dns.empty()) {
        auto rdns = store::reverse_dns(db, s.stats.ip);
        if (!rdns) {
          return rdns.error();
        }
        s.stats.reverse_dns = std::move(*rdns);
      }
    }
  }
  // Failure (RUF) reports of the same whole UTC days as `summary`: counts by Auth-Failure
  // type and the newest (headers only); the section is shown when there are any.
  auto failures = store::failure_stats(db, stats->domain, window.from_day * 86400,
                                       (window.to_day + 1) * 86400, k_newest_failures);
  if (!failures) {
    return failures.error();
  }
  if (failures->reports > 0) {
    output::FailureReportSection f;
    f.total = failures->reports;
    for (const FailureCount& c : failures->by_type) {
      f.by_type.emplace_back(c.key, c.reports);
    }
    for (const FailureSample& sample : failures->newest) {
      output::FailureReportEntry& e = f.newest.emplace_back();
      e.arrival = sample.time;
      e.feedback_type = "auth-failure";
      e.source_ip = sample.source_ip;
      e.header_from = sample.from.value_or("");
      e.subject = sample.subject.value_or("");
      e.auth_failure = sample.auth_failure;
    }
    h.failure_reports = std::move(f);
  }
  h.stats = std::move(*stats);
  return h;
}

ExitCode run(Context& ctx, const ReportArgs& args)
{
  auto config = ctx.config();
  if (!config) {
    return fail(config.error());
  }
  // The window as `summary` takes it: whole UTC days from `since` up to "today" (--as-of).
  int64_t now = (unix_day(ctx.clock->now()) + 1) * 86400;
  if (!args.as_of.empty()) {
    auto day = text::parse_date(args.as_of);
    if (!day) {
      return fail(make_error(ErrorKind::usage, "--as-of: expected YYYY-MM-DD, got '" + args.as_of
                                                 + "'"));
    }
    now = *day + 86400;
  }
  auto since = parse_since(args.since, now);
  if (!since) {
    return fail(make_error(ErrorKind::usage,
                           "--since: expected Nd, Nw, Nh or YYYY-MM-DD, got '" + args.since + "'"));
  }
  const int64_t to_day = unix_day(now - 1);
  if (unix_day(*since) > to_day && text::parse_date(args.since)) {
    return fail(make_error(ErrorKind::usage, "--since " + args.since + " is after "
                                               + text::format_date(to_day * 86400)
                                               + ", the last day of the period (--as-of)"));
  }
  const int64_t from_day = std::min(unix_day(*since), to_day);
  auto db = ctx.open_database(store::Access::read_only);
  if (!db) {
    return fail(db.error());
  }
  OptString only;
  if (std::string d = domain_key(args.domain); !d.empty()) {
    only = std::move(d);
  }
  auto report = build_html_report(**db, **config, only, from_day, to_day);
  if (!report) {
    return fail(report.error());
  }
  const std::string page = output::html_report(*report);
  if (auto w = write_atomically(args.html, page); !w) {
    return fail(w.error());
  }
  log::verbose("report: wrote " + args.html + " (" + std::to_string(page.size()) + " bytes, "
               + text::plural(static_cast<int64_t>(report->domains.size()), "domain", "domains")
               + ")");
  return ExitCode::ok;
}

} // namespace

Result<output::HtmlReport> build_html_report(store::Database& db, const config::Config& config,
                                             const OptString& domain, int64_t from_day,
                                             int64_t to_day)
{
  output::HtmlReport report;
  report.from_day = from_day;
  report.to_day = to_day;
  report.advice_window_days = std::max(config.advisor.window_days, 1);
  store::StatsWindow window;
  window.from_day = from_day;
  window.to_day = to_day;
  auto names = store::stats_domains(db, window, domain);
  if (!names) {
    return names.error();
  }
  auto advice = compute_advice(db, config, domain, to_day);
  if (!advice) {
    return advice.error();
  }
  // The domains `summary` lists for the window and those `advise` judges.
  std::set<std::string> all(names->begin(), names->end());
  for (const advise::DomainAdvice& a : advice->domains) {
    all.insert(a.domain);
  }
  for (const std::string& name : all) {
    auto h = build_domain(db, config, name, window);
    if (!h) {
      return h.error();
    }
    for (advise::DomainAdvice& a : advice->domains) {
      if (a.domain == name) {
        a.sources.clear();   // the report lists its own window's sources
        h->advice = std::move(a);
      }
    }
    report.domains.push_back(std::move(*h));
  }
  return report;
}

Result<void> write_atomically(const std::string& path, const std::string& bytes)
{
  const std::string tmp = path + ".tmp" + std::to_string(::getpid());
  const auto failed = [&](const std::string& step) -> Error {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    return make_error(ErrorKind::io, "cannot " + step + " " + path + ": " + reason);
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(ErrorKind::io, "cannot write " + path + ": " + std::strerror(errno));
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      ::close(fd);
      return failed("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return failed("write");
  }
  if (::close(fd) != 0) {
    return failed("write");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return failed("replace");
  }
  return {};
}

ExitCode report_step(Context& ctx, store::Database& db, const config::Config& config)
{
  if (config.report.html.empty()) {
    log::verbose("report: no [report] html configured; skipped");
    return ExitCode::ok;
  }
  const int64_t to_day = unix_day(ctx.clock->now());
  const int64_t from_day = to_day - std::max(config.report.days, 1) + 1;
  auto report = build_html_report(db, config, std::nullopt, from_day, to_day);
  if (!report) {
    log::error("report: " + report.error().to_string());
    return ExitCode::error;
  }
  if (auto w = write_atomically(config.report.html, output::html_report(*report)); !w) {
    log::error("report: " + w.error().to_string());
    return ExitCode::error;
  }
  log::verbose("report: wrote " + config.report.html);
  return ExitCode::ok;
}

void register_report(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<ReportArgs>();
  CLI::App* cmd = app.add_subcommand(
    "report", "One self-contained HTML page: verdicts, daily charts, sources, reporters, DKIM, "
              "TLS-RPT");
  cmd->add_option("--html", args->html, "Write the HTML report to FILE (replaced atomically)")
    ->required()
    ->type_name("FILE");
  cmd->add_option("-d,--domain", args->domain, "Only this policy domain");
  cmd->add_option("--since", args->since, "Period start: 90d, 12w or YYYY-MM-DD (whole UTC days)");
  cmd->add_option("--as-of", args->as_of, "Treat this day (YYYY-MM-DD) as today");
  cmd->footer(
    "The page has inline CSS and SVG only: it makes no request, reads without JavaScript,\n"
    "fits a phone, follows the dark mode and prints on A4. Its numbers are those of\n"
    "`summary --format json` for the same --since/--as-of, its verdicts those of `advise`.\n"
    "[report] html = \"FILE\" in the configuration makes `run` rewrite it every night.\n"
    "Example: dmarcctl report --html /var/www/dmarc/index.html --since 90d\n"
    "         dmarcctl report --html out.html --domain example.com --as-of 2024-03-31");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
