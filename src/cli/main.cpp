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
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

// The commands a command group offers (the app itself, `db`, `config`), in the order they
// were registered: derived from CLI11, so a command added later is listed without change.
std::vector<const CLI::App*> commands_of(const CLI::App& group)
{
  return group.get_subcommands([](const CLI::App*) { return true; });
}

std::string command_list(const CLI::App& group)
{
  std::string out;
  for (const CLI::App* sub : commands_of(group)) {
    out += (out.empty() ? "" : ", ") + sub->get_name();
  }
  return out;
}

// "did you mean 'import'?" for a mistyped subcommand.
std::string suggestion(const CLI::App& group, const std::string& word)
{
  std::string best;
  std::size_t best_distance = 3;
  for (const CLI::App* sub : commands_of(group)) {
    const std::size_t d = dmarc::text::edit_distance(word, sub->get_name());
    if (d < best_distance) {
      best_distance = d;
      best = sub->get_name();
    }
  }
  return best;
}

// "dmarcctl", "dmarcctl db": how the group is typed.
std::string command_path(const CLI::App& group)
{
  std::string path = group.get_name();
  for (const CLI::App* up = group.get_parent(); up != nullptr; up = up->get_parent()) {
    path = up->get_name() + " " + path;
  }
  return path;
}

// "dmarcctl db: unknown command 'foo'" with the list of commands, or "a command is
// required" with it, for a word that names no command of `group`.
std::string unknown_command(const CLI::App& group, const std::string& word)
{
  std::string message = command_path(group) + ": ";
  if (word.empty()) {
    message += "a command is required: " + command_list(group);
  } else {
    message += "unknown command '" + word + "'";
    if (std::string hint = suggestion(group, word); !hint.empty()) {
      message += " (did you mean '" + hint + "'?)";
    }
    message += "\nCommands: " + command_list(group);
  }
  return message + "\nRun `" + command_path(group) + " --help` for usage.";
}

// The command group the parse reached: the app, or the deepest parsed subcommand that
// itself has commands (`db`, `config`); nullptr when it reached a leaf command.
const CLI::App* reached_group(const CLI::App& app)
{
  const CLI::App* at = &app;
  for (;;) {
    const auto parsed = at->get_subcommands();
    if (parsed.empty()) {
      break;
    }
    at = parsed.front();
  }
  return commands_of(*at).empty() ? nullptr : at;
}

// Appends to every command's --help the global options (taken from `app`, so they stay
// in step) and, unless the command states its own, the exit codes every command has.
void add_global_help(CLI::App& app, CLI::App& cmd)
{
  for (CLI::App* sub : cmd.get_subcommands([](CLI::App*) { return true; })) {
    std::string globals = "Global options (before or after the command):\n";
    for (const CLI::Option* opt : app.get_options()) {
      const std::string name = opt->get_name(false, true);
      if (name == "-h,--help" || name == "--version") {
        continue;
      }
      std::string left = "  " + name + (opt->get_type_size() != 0 ? " " + opt->get_type_name() : "");
      left.resize(std::max<std::size_t>(left.size() + 1, 22), ' ');
      globals += left + opt->get_description() + "\n";
    }
    std::string footer = sub->get_footer();
    if (!commands_of(*sub).empty()) {
      add_global_help(app, *sub);
    } else if (footer.find("Exit status:") == std::string::npos) {
      footer += std::string(footer.empty() ? "" : "\n") + "Exit status: 0 ok, 1 error, 2 usage error.";
    }
    sub->footer(globals + (footer.empty() ? "" : "\n" + footer));
  }
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
             "regression (run, advise --exit-code), 5 check found an error.\nRun `dmarcctl COMMAND --help` for a command's "
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
  cli::register_check(app, ctx, exit_code);
  cli::register_report(app, ctx, exit_code);
  cli::register_notify(app, ctx, exit_code);
  cli::register_init(app, ctx, exit_code);
  cli::register_enrich(app, ctx, exit_code);

  // `dmarcctl help [COMMAND...]`: the --help of that command (registered last, so every
  // command above is one it can name).
  auto help_words = std::make_shared<std::vector<std::string>>();
  CLI::App* help = app.add_subcommand("help", "Show the help of dmarcctl or of a command");
  help->add_option("command", *help_words, "The command (and subcommand), e.g. `db check`");
  help->fallthrough(false); // `help db check`: the words are help's, not commands to run
  help->callback([&app, &exit_code, help_words] {
    const CLI::App* at = &app;
    for (const std::string& word : *help_words) {
      const auto found = const_cast<CLI::App*>(at)->get_subcommands(
        [&word](CLI::App* sub) { return sub->get_name() == word; });
      if (found.empty()) {
        std::fprintf(stderr, "%s\n", unknown_command(*at, word).c_str());
        exit_code = to_int(ExitCode::usage);
        return;
      }
      at = found.front();
    }
    // The formatter directly: App::help() would hand over to the selected command (help).
    const std::string text =
      at->get_formatter()->make_help(at, command_path(*at), CLI::AppFormatMode::Normal);
    std::fputs(text.c_str(), stdout);
  });
  add_global_help(app, app);

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
      const bool password_file = word.rfind("--password-file", 0) == 0;   // init's option
      if ((word.rfind("--pass", 0) == 0 && !password_file) || word.rfind("--pw", 0) == 0
          || word == "-p") {
        std::fputs("dmarcctl: passwords are not taken on the command line: set password_file "
                   "or password_env in the [[imap]] block of the configuration\n", stderr);
        return to_int(ExitCode::usage);
      }
    }
    // A mistyped or missing command shows up as an unexpected argument or a missing
    // subcommand of the group the parse reached (`dmarcctl stats`, `dmarcctl db foo`).
    if (const CLI::App* group = reached_group(app);
        group != nullptr
        && (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr
            || dynamic_cast<const CLI::RequiredError*>(&e) != nullptr)) {
      std::string word;
      for (const std::string& extra : app.remaining(true)) {
        if (!extra.empty() && extra[0] != '-') {
          word = extra;
          break;
        }
      }
      if (!word.empty() || std::string_view(e.what()).find("subcommand") != std::string_view::npos) {
        std::fprintf(stderr, "%s\n", unknown_command(*group, word).c_str());
        return to_int(ExitCode::usage);
      }
    }
    const std::string message = e.what();
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
