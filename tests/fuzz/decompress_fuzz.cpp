// libFuzzer target for ③ decompress: sniff + expand on arbitrary bytes, under small caps so
// a run stays fast, plus the gzip/gunzip round trip. Whatever the input, expand must return
// (never crash, hang or exceed the caps) and keep its promises: documents non-empty,
// never gzip/zip, together within max_document_bytes.
// Seed corpus: fixtures/bad/ and fixtures/dmarc/archive-*.
#include "decompress/decompress.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace dmarc::decompress;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  dmarc::Limits limits;
  limits.max_document_bytes = 8u << 20;
  limits.ratio_floor_bytes = 1u << 20;
  limits.max_zip_entries = 64;

  const Format format = sniff(bytes);
  (void)to_string(format);
  auto documents = expand(bytes, "fuzz.xml.gz", limits);
  if (documents) {
    std::size_t total = 0;
    for (const Document& document : *documents) {
      if (document.bytes.empty() || document.format == Format::gzip ||
          document.format == Format::zip)
        __builtin_trap();
      total += document.bytes.size();
    }
    if (total > limits.max_document_bytes) __builtin_trap();
    if (format != Format::gzip && format != Format::zip &&
        (documents->size() != 1 || documents->front().bytes != bytes))
      __builtin_trap();
  }

  if (size <= (64u << 10)) {
    auto back = gunzip(gzip(bytes), size);
    if (!back || *back != bytes) __builtin_trap();
  }
  return 0;
}
