// What every subcommand shares: the global options and how to reach the database.
#pragma once

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/exit_code.hpp"
#include "core/limits.hpp"
#include "core/result.hpp"
#include "store/database.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace dmarc::cli {

struct Context
{
  std::string config_path;       // -c; "" when not given
  std::string db_path;           // --db; "" when not given
  int verbose = 0;               // -v count
  bool quiet = false;            // -q
  SystemClock system_clock;
  const Clock* clock = &system_clock;

  // The configuration: -c FILE, else the first default location that exists, else the
  // built-in defaults. Loaded once; an unreadable or invalid file is a config error.
  Result<const config::Config*> config();
  // The caps in effect (the config's [limits], or the defaults when there is no config).
  const Limits& limits();

  // The database path: --db, else the config's [database] path, else ./dmarcctl.sqlite.
  std::string database_path();
  // Opens the database, printing nothing; the error names the path.
  Result<std::unique_ptr<store::Database>> open_database(store::Access access);

private:
  std::optional<config::Config> m_config;
  std::optional<Error> m_config_error;
  Limits m_default_limits;
};

// Reports `error` on stderr ("dmarcctl: ...") and returns the exit code that fits it.
ExitCode fail(const Error& error);

// "28d", "4w", "12h" or "YYYY-MM-DD" → Unix seconds relative to `now`. nullopt on bad input.
std::optional<int64_t> parse_since(const std::string& text, int64_t now);

// "Example.COM." → "example.com": a policy domain as the config or a --domain may write it,
// as summary, advise and export match it.
std::string domain_key(std::string_view name);

// What to say when a period holds no report: how many reports the database holds, their
// date range and the option that shows them ("--since D or --as-of D" when `with_since`,
// else "--as-of D"). `from_day`/`to_day` are the period's UTC days.
Result<std::string> empty_period_hint(store::Database& db, int64_t from_day, int64_t to_day,
                                      bool with_since);

// A --domain the database has no report for and the config does not name: a usage error
// that lists the known domains. `domain` is already a domain_key.
Result<void> require_known_domain(store::Database& db, const std::string& domain,
                                  const config::Config* config);

// Each subcommand registers itself on the app; the callback stores the exit code.
void register_import(CLI::App& app, Context& ctx, int& exit_code);
void register_export(CLI::App& app, Context& ctx, int& exit_code);
void register_summary(CLI::App& app, Context& ctx, int& exit_code);
void register_advise(CLI::App& app, Context& ctx, int& exit_code);
void register_db(CLI::App& app, Context& ctx, int& exit_code);
void register_config(CLI::App& app, Context& ctx, int& exit_code);
void register_fetch(CLI::App& app, Context& ctx, int& exit_code);
void register_run(CLI::App& app, Context& ctx, int& exit_code);
void register_forward(CLI::App& app, Context& ctx, int& exit_code);
void register_enrich(CLI::App& app, Context& ctx, int& exit_code);
void register_check(CLI::App& app, Context& ctx, int& exit_code);
void register_report(CLI::App& app, Context& ctx, int& exit_code);
void register_notify(CLI::App& app, Context& ctx, int& exit_code);
void register_init(CLI::App& app, Context& ctx, int& exit_code);

// `config check [--connect]`: validates ctx's configuration file, printing every problem (cmd_config.cpp).
ExitCode check_config(Context& ctx, bool connect = false);

// The forward step of `run`: sends what is pending to the [gelf] sink (cmd_forward.cpp);
// ok without doing anything when no [gelf] url is configured.
ExitCode forward_pending(Context& ctx);

} // namespace dmarc::cli
