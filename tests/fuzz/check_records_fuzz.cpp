// libFuzzer target for ⑤c check: the record parsers (DMARC, SPF, DKIM key, MTA-STS record and
// policy, TLS-RPT) on arbitrary bytes, as a TXT record or an HTTPS body can hold anything.
// Beyond "no crash, no sanitizer report" it checks that a parsed SPF record never holds more
// terms than the text has characters, and that an MTA-STS pattern matches no host when the
// policy is empty. Seed corpus: tests/fuzz/seeds/check/.
#include "check/dkim_key.hpp"
#include "check/dmarc_record.hpp"
#include "check/mta_sts.hpp"
#include "check/spf.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  // Published records are at most a few KiB; 64 KiB covers the largest TXT answer.
  if (size > 65536) {
    return 0;
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace dmarc::check;
  (void)parse_dmarc(text);
  const SpfRecord spf = parse_spf(text);
  if (spf.terms.size() > text.size()) {
    std::abort();
  }
  (void)is_spf_record(text);
  (void)parse_dkim_key(text, "s1");
  (void)parse_sts_record(text);
  const StsPolicy policy = parse_sts_policy(text);
  for (const auto& pattern : policy.mx) {
    (void)mx_pattern_matches(pattern, "mail.example.com");
  }
  (void)parse_tlsrpt(text);
  const std::string_view half = text.substr(0, size / 2);
  (void)mx_pattern_matches(half, text.substr(size / 2));
  return 0;
}
