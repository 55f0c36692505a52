// libFuzzer target for the GELF UDP sink's own deflate encoder (output/gelf_deflate): a
// hand-written encoder of attacker-controlled text (report fields end up in GELF messages),
// so every input must come back byte-exact through zlib's inflate, in both framings, from
// a stream that stays within FastDeflater::bound(). The same deflater compresses the input
// twice, then its two halves, as the sink reuses one per thread across messages.
#include "output/gelf_deflate.hpp"

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

// zlib's inflate of one complete stream; windowBits 15 = zlib framing, 31 = gzip.
bool inflates_to(std::string_view stream, int window_bits, std::string_view expected)
{
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) __builtin_trap();
  std::string out(expected.size() + 1, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stream.data()));
  z.avail_in = static_cast<uInt>(stream.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  const bool ok = rc == Z_STREAM_END && z.avail_in == 0 && z.total_out == expected.size()
                  && std::string_view(out).substr(0, expected.size()) == expected;
  inflateEnd(&z);
  return ok;
}

void round_trip(dmarc::output::detail::FastDeflater& deflater, std::string_view input,
                int window_bits)
{
  using dmarc::output::detail::FastDeflater;
  std::string out = "prefix";
  deflater.compress(input, out);
  if (out.compare(0, 6, "prefix") != 0) __builtin_trap();
  const std::string_view stream = std::string_view(out).substr(6);
  if (stream.size() > FastDeflater::bound(input.size())) __builtin_trap();
  if (!inflates_to(stream, window_bits, input)) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using dmarc::output::detail::DeflateFraming;
  using dmarc::output::detail::FastDeflater;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const auto& [framing, bits] : {std::pair{DeflateFraming::zlib, 15},
                                      std::pair{DeflateFraming::gzip, 31}}) {
    FastDeflater deflater(framing);
    round_trip(deflater, input, bits);
    round_trip(deflater, input, bits);
    round_trip(deflater, input.substr(0, size / 2), bits);
    round_trip(deflater, input.substr(size / 2), bits);
  }
  return 0;
}
