// libFuzzer target for ④ parse: parse_tlsrpt on arbitrary bytes with the default limits.
// Beyond "no crash, no sanitizer report" it checks that every string in an accepted report is
// valid UTF-8 (RFC 3629) and that no exception escapes. Seed corpus: fixtures/tlsrpt/*.json
// and fixtures/bad/json-*.
#include "core/text.hpp"
#include "formats/tlsrpt_json.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void require_utf8(std::string_view s)
{
  if (!dmarc::text::is_valid_utf8(s)) {
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  const std::string_view document(reinterpret_cast<const char*>(data), size);
  const auto report = dmarc::formats::parse_tlsrpt(document, dmarc::Limits{});
  if (!report.ok()) {
    require_utf8(report.error().detail);
    return 0;
  }
  require_utf8(report->org_name);
  require_utf8(report->report_id);
  for (const auto& policy : report->policies) {
    require_utf8(policy.policy_type);
    require_utf8(policy.policy_domain);
    for (const auto& line : policy.policy_string) {
      require_utf8(line);
    }
    for (const auto& failure : policy.failures) {
      require_utf8(failure.result_type);
      if (failure.failure_reason_code) {
        require_utf8(*failure.failure_reason_code);
      }
    }
  }
  return 0;
}
