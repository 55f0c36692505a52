// libFuzzer target for ② mime: any bytes through looks_like_message, extract and the failure
// report parser (parse_failure_report, parse_mail_date, apply_sample_policy) with the default
// limits. Must never crash, hang or throw; every result is either a value or an Error, and
// samples = "none" leaves no header of the sample.
// Seeds: fixtures/mail/*.eml, fixtures/failure/*.eml.
#include "mime/extract.hpp"
#include "mime/failure.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const dmarc::Limits limits;
  (void)dmarc::mime::looks_like_message(bytes);
  auto result = dmarc::mime::extract(bytes, limits);
  if (result) {
    // Touch every output so the decoders' results are really produced.
    std::size_t total = result->message_id.size() + result->subject.size();
    for (const auto& attachment : result->attachments) {
      total += attachment.bytes.size() + attachment.content_type.size();
    }
    if (total == static_cast<std::size_t>(-1)) {
      __builtin_trap();
    }
  }
  auto failure = dmarc::mime::parse_failure_report(bytes, limits);
  if (failure) {
    std::size_t total = failure->sample.size() + failure->sample_headers.size();
    for (const auto& t : failure->auth_failure) {
      total += t.size();
    }
    if (failure->arrival_date) {
      total += dmarc::mime::parse_mail_date(*failure->arrival_date).has_value() ? 1 : 0;
    }
    dmarc::mime::apply_sample_policy(*failure, dmarc::FailureSamples::none);
    if (failure->sample_from || failure->sample_subject || !failure->sample_headers.empty()
        || !failure->sample.empty()) {
      __builtin_trap(); // "none" keeps no header of the sample
    }
    if (total == static_cast<std::size_t>(-1)) {
      __builtin_trap();
    }
  }
  (void)dmarc::mime::parse_mail_date(bytes.substr(0, 256));
  return 0;
}
