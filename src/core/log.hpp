// The logger: diagnostics to stderr with levels (-q quiet, default, -v verbose, -vv debug).
// Results never go through it. Secrets must never be passed to it.
#pragma once

#include <string_view>

namespace dmarc::log {

enum class Level { quiet = 0, normal = 1, verbose = 2, debug = 3 };

void set_level(Level level);
Level level();

// Errors are printed at every level, including quiet.
void error(std::string_view message);
// A diagnostic line printed as-is, at every level ("SOURCE: REASON: detail").
void diagnostic(std::string_view line);
// Warnings and notices: hidden by -q.
void warn(std::string_view message);
void info(std::string_view message);
// Shown with -v.
void verbose(std::string_view message);
// Shown with -vv.
void debug(std::string_view message);

// True when stderr is a terminal and the level is not quiet: progress may be drawn.
bool progress_enabled();
// True when progress may be drawn and the last line is at least 200 ms old: callers of
// a busy loop check this before building the text.
bool progress_due();
// Overwrites the current terminal line with `message` (no-op unless progress_enabled()).
void progress(std::string_view message);
// Clears a progress line, if one is shown.
void progress_done();

} // namespace dmarc::log
