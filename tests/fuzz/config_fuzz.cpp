// libFuzzer target for the configuration file (TOML, src/config): config::parse on arbitrary
// text. The file is written by the admin, not by strangers, but `dmarcctl config check` must
// still answer every mistake with a line, never a crash, a hang or an escaping exception
// (toml++ throws; config.cpp catches). Beyond that it checks the promises of config.hpp: a
// file without issues yields caps that are all positive (a zero cap would reject every
// input), and every issue names a non-negative position and says something.
// Seeds: tests/fuzz/seeds/config/*.toml (assembled by tests/fuzz/seeds.sh).
#include "config/config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<dmarc::config::Issue> issues;
  const dmarc::config::Config config = dmarc::config::parse(text, "fuzz.toml", issues);
  for (const dmarc::config::Issue& issue : issues) {
    if (issue.line < 0 || issue.column < 0 || issue.message.empty()) {
      __builtin_trap();
    }
  }
  if (issues.empty()) {
    const dmarc::Limits& l = config.limits;
    for (const std::size_t cap :
         {l.max_message_bytes, l.max_mime_parts, l.max_mime_depth, l.max_document_bytes,
          l.max_zip_entries, l.max_ratio, l.ratio_floor_bytes, l.max_xml_depth,
          l.max_xml_elements, l.max_json_bytes, l.max_json_depth, l.max_records}) {
      if (cap == 0) {
        __builtin_trap();
      }
    }
    for (const dmarc::config::ImapAccount& account : config.imap) {
      // config.hpp: exactly one of password_file / password_env, and a password is never
      // a key of the file (so it cannot end up in a Config at all).
      if (account.password_file.empty() == account.password_env.empty()) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
