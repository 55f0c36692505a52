// Test support: run the built dmarcctl (or any program) and capture what it does.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dmarc::test {

struct RunResult
{
  int exit_code = -1;            // -1: killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
  int64_t max_rss_kb = 0;        // peak resident memory of the child
};

struct RunOptions
{
  std::string stdin_data;
  std::string cwd;
  std::map<std::string, std::string> env;   // added to (or replacing in) the environment
  std::vector<std::string> unset_env;
};

// Runs `argv` (argv[0] is a path) and waits for it.
RunResult run(const std::vector<std::string>& argv, const RunOptions& options = {});

// Runs the dmarcctl binary under test with `args`.
RunResult dmarcctl(const std::vector<std::string>& args, const RunOptions& options = {});

// A fresh temporary directory, removed with everything in it on destruction.
class TempDir
{
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return m_path; }
  std::string operator/(const std::string& name) const { return m_path + "/" + name; }

private:
  std::string m_path;
};

// Whole file contents; throws std::runtime_error when unreadable.
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& bytes);

// Lines of `text` (without the line ends).
std::vector<std::string> lines(const std::string& text);

// The fixture directory and the shared corpus (which may be absent).
std::string fixture(const std::string& relative);
std::string corpus_dir();
bool corpus_available();

} // namespace dmarc::test
