#include "core/log.hpp"

#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace dmarc::log {

namespace {
Level g_level = Level::normal;
bool g_progress_shown = false;

void write_line(std::string_view prefix, std::string_view message)
{
  progress_done();
  std::string line;
  line.reserve(prefix.size() + message.size() + 1);
  line.append(prefix).append(message).push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}
} // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

void error(std::string_view message) { write_line("dmarcctl: ", message); }

void diagnostic(std::string_view line) { write_line("", line); }

void warn(std::string_view message)
{
  if (g_level >= Level::normal) {
    write_line("dmarcctl: warning: ", message);
  }
}

void info(std::string_view message)
{
  if (g_level >= Level::normal) {
    write_line("", message);
  }
}

void verbose(std::string_view message)
{
  if (g_level >= Level::verbose) {
    write_line("", message);
  }
}

void debug(std::string_view message)
{
  if (g_level >= Level::debug) {
    write_line("debug: ", message);
  }
}

bool progress_enabled()
{
  static const bool tty = isatty(STDERR_FILENO) == 1;
  return tty && g_level >= Level::normal;
}

bool progress_due()
{
  // Only for redrawing a terminal line: a steady clock here changes no result.
  static auto last = std::chrono::steady_clock::time_point{};
  if (!progress_enabled()) {
    return false;
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last < std::chrono::milliseconds(200)) {
    return false;
  }
  last = now;
  return true;
}

void progress(std::string_view message)
{
  if (!progress_enabled()) {
    return;
  }
  std::string line = "\r\033[K";
  line.append(message);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  g_progress_shown = true;
}

void progress_done()
{
  if (g_progress_shown) {
    std::fputs("\r\033[K", stderr);
    g_progress_shown = false;
  }
}

} // namespace dmarc::log
