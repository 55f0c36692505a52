// dmarcctl: DMARC aggregate and SMTP TLS reports into SQLite, summaries, advice, GELF.
// main() sets up the global options, lets each subcommand register itself, and is the one
// place that catches what escapes (a bug, or out of memory) and turns it into exit 1.
#include "cli/context.hpp"
#include "core/log.hpp"
#include "core/text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string_view>

namespace {

// "did you mean 'import'?" for a mistyped subcommand.
std::string suggestion(const CLI::App& app, const std::string& word)
{
  std::string best;
  std::size_t best_distance = 3;
  for (const CLI::App* sub : app.get_subcommands({})) {
    const std::size_t d = dmarc::text::edit_distance(word, sub->get_name());
    if (d < best_distance) {
      best_distance = d;
      best = sub->get_name();
    }
  }
  return best;
}

} // namespace

int main(int argc, char** argv)
{
  using namespace dmarc;
  cli::Context ctx;
  int exit_code = to_int(ExitCode::ok);

  CLI::App app{"dmarcctl: turn DMARC aggregate and SMTP TLS reports into a SQLite history,\n"
               "summaries, policy advice and a GELF feed.",
               "dmarcctl"};
  app.set_version_flag("--version", std::string("dmarcctl 0.1.0"));
  app.option_defaults()->always_capture_default();
  app.add_option("-c,--config", ctx.config_path,
                 "Configuration file (TOML; default /etc/dmarcctl/dmarcctl.toml, then "
                 "~/.config/dmarcctl/dmarcctl.toml)");
  app.add_option("--db", ctx.db_path,
                 "SQLite database (default: the config's [database] path, else ./dmarcctl.sqlite)");
  app.add_flag("-v,--verbose", ctx.verbose, "More detail on stderr (-vv for debug)");
  app.add_flag("-q,--quiet", ctx.quiet, "Only errors on stderr");
  app.require_subcommand(1);
  // The global options also after the command (`dmarcctl advise --db FILE -c FILE`), as
  // people type them; a subcommand hands what it does not know up to here.
  app.fallthrough();
  app.footer("Exit status: 0 ok, 1 error, 2 usage, 3 some inputs failed, 4 the advisor sees a "
             "regression (run, advise --exit-code).\nRun `dmarcctl COMMAND --help` for a command's "
             "options; the options above go before or after COMMAND.");

  cli::register_import(app, ctx, exit_code);
  cli::register_export(app, ctx, exit_code);
  cli::register_summary(app, ctx, exit_code);
  cli::register_advise(app, ctx, exit_code);
  cli::register_db(app, ctx, exit_code);
  cli::register_config(app, ctx, exit_code);
  cli::register_fetch(app, ctx, exit_code);
  cli::register_run(app, ctx, exit_code);
  cli::register_forward(app, ctx, exit_code);
  cli::register_enrich(app, ctx, exit_code);

  app.parse_complete_callback([&] {
    if (ctx.quiet) {
      log::set_level(log::Level::quiet);
    } else if (ctx.verbose >= 2) {
      log::set_level(log::Level::debug);
    } else if (ctx.verbose == 1) {
      log::set_level(log::Level::verbose);
    }
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return to_int(ExitCode::ok);
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return to_int(ExitCode::ok);
  } catch (const CLI::CallForVersion& e) {
    std::puts(e.what());
    return to_int(ExitCode::ok);
  } catch (const CLI::ParseError& e) {
    // A password is never taken on the command line: say so without echoing the arguments,
    // one of which is likely the password (stderr ends up in cron mail and logs).
    for (int i = 1; i < argc; ++i) {
      const std::string_view word = argv[i];
      if (word.rfind("--pass", 0) == 0 || word.rfind("--pw", 0) == 0 || word == "-p") {
        std::fputs("dmarcctl: passwords are not taken on the command line: set password_file "
                   "or password_env in the [[imap]] block of the configuration\n", stderr);
        return to_int(ExitCode::usage);
      }
    }
    // A mistyped command shows up as an unexpected argument or a missing subcommand.
    std::string message = e.what();
    for (int i = 1; i < argc; ++i) {
      const std::string word = argv[i];
      if (word.empty() || word[0] == '-') {
        continue;
      }
      const auto known = app.get_subcommands([&word](const CLI::App* sub) {
        return sub->get_name() == word;
      });
      if (known.empty()) {
        if (std::string hint = suggestion(app, word); !hint.empty()) {
          message = "unknown command '" + word + "' (did you mean '" + hint + "'?)";
        }
      }
      break;
    }
    std::fprintf(stderr, "dmarcctl: %s\nRun `dmarcctl --help` for usage.\n", message.c_str());
    return to_int(ExitCode::usage);
  } catch (const std::bad_alloc&) {
    std::fputs("dmarcctl: out of memory\n", stderr);
    return to_int(ExitCode::error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dmarcctl: internal error: %s\n", e.what());
    return to_int(ExitCode::error);
  }
  return exit_code;
}
