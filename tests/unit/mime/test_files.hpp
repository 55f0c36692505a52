// Reading fixture and corpus files for the mime tests.
#pragma once

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>

namespace dmarc::mime::test {

// The whole file, or an exception naming it (a missing fixture is a test bug).
inline std::string read_file(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open " + path);
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// fixtures/mail/<name>
inline std::string mail_fixture(const std::string& name)
{
  return read_file(std::string(DMARC_FIXTURES_DIR) + "/mail/" + name);
}

// fixtures/mail/payload/<name>: the exact bytes a fixture mail wraps.
inline std::string payload(const std::string& name)
{
  return read_file(std::string(DMARC_FIXTURES_DIR) + "/mail/payload/" + name);
}

} // namespace dmarc::mime::test
