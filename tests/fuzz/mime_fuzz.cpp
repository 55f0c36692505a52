// libFuzzer target for ② mime: any bytes through looks_like_message and extract with the
// default limits. Must never crash, hang or throw; every result is either a value or an
// Error. Seeds: fixtures/mail/*.eml.
#include "mime/extract.hpp"

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
  return 0;
}
