// Unit tests of ③ decompress: sniffing, gzip/zip expansion, every cap and every corrupt
// shape, the committed fixtures (fixtures/bad, fixtures/dmarc/archive-*) and the real
// corpus archives. Bombs are built here at runtime from a repeated deflate block, never
// committed; the "[bomb]" tag selects them (e.g. for /usr/bin/time -v).
#include "decompress/decompress.hpp"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace dmarc;
using namespace dmarc::decompress;

namespace {

constexpr std::size_t k_mib = std::size_t{1} << 20;
constexpr std::size_t k_gib = std::size_t{1} << 30;

const std::string k_report =
    "<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>example.net</org_name>"
    "<report_id>unit-1</report_id></report_metadata><policy_published><domain>example.com"
    "</domain><p>none</p></policy_published><record><row><source_ip>192.0.2.1</source_ip>"
    "<count>1</count></row></record></feedback>\n";

std::string read_file(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void put16(std::string& out, unsigned value)
{
  out += static_cast<char>(value & 0xFF);
  out += static_cast<char>((value >> 8) & 0xFF);
}

void put32(std::string& out, std::uint32_t value)
{
  put16(out, value & 0xFFFF);
  put16(out, value >> 16);
}

// zlib deflate of `data` at `level`; window_bits -15 raw, 16+15 gzip (with FNAME `fname`).
std::string deflate_with(std::string_view data, int window_bits, int level = 9,
                         const char* fname = nullptr)
{
  z_stream s{};
  REQUIRE(deflateInit2(&s, level, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  gz_header header{};
  if (fname != nullptr) {
    header.name = reinterpret_cast<Bytef*>(const_cast<char*>(fname));
    REQUIRE(deflateSetHeader(&s, &header) == Z_OK);
  }
  std::string out(deflateBound(&s, data.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  s.avail_in = static_cast<uInt>(data.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&s, Z_FINISH) == Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::string gzip9(std::string_view data, const char* fname = nullptr)
{
  return deflate_with(data, 16 + MAX_WBITS, 9, fname);
}

std::uint32_t crc_of(std::string_view data)
{
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size())));
}

// A raw deflate stream of `total` zero bytes (a multiple of 4 MiB), with its CRC-32. After
// Z_FULL_FLUSH the compressor starts afresh, so every chunk compresses to the same bytes and
// a 4 GiB stream is one 4 MiB compression repeated (about 4 MB, built in milliseconds).
struct Zeros
{
  std::string deflated;
  std::uint32_t crc = 0;
};
Zeros deflate_zeros(std::size_t total)
{
  constexpr std::size_t chunk = 4 * k_mib;
  REQUIRE(total % chunk == 0);
  const std::string zeros(chunk, '\0');
  z_stream s{};
  REQUIRE(deflateInit2(&s, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY) == Z_OK);
  const auto step = [&](std::string_view in, int flush) {
    std::string out(deflateBound(&s, in.size()) + 64, '\0');
    s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    s.avail_in = static_cast<uInt>(in.size());
    s.next_out = reinterpret_cast<Bytef*>(out.data());
    s.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&s, flush);
    REQUIRE((rc == Z_OK || rc == Z_STREAM_END));
    REQUIRE(s.avail_in == 0);
    out.resize(out.size() - s.avail_out);
    return out;
  };
  const std::string first = step(zeros, Z_FULL_FLUSH);
  REQUIRE(step(zeros, Z_FULL_FLUSH) == first);
  const std::string last = step({}, Z_FINISH);
  deflateEnd(&s);

  Zeros result;
  const std::size_t chunks = total / chunk;
  result.deflated.reserve(first.size() * chunks + last.size());
  for (std::size_t i = 0; i < chunks; ++i) result.deflated += first;
  result.deflated += last;
  const uLong chunk_crc = crc32(0, reinterpret_cast<const Bytef*>(zeros.data()), chunk);
  uLong crc = 0;
  for (std::size_t i = 0; i < chunks; ++i) crc = crc32_combine(crc, chunk_crc, chunk);
  result.crc = static_cast<std::uint32_t>(crc);
  return result;
}

// A gzip member of `total` zero bytes, no FNAME.
std::string gzip_zeros(std::size_t total)
{
  const Zeros zeros = deflate_zeros(total);
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10);
  out += zeros.deflated;
  put32(out, zeros.crc);
  put32(out, static_cast<std::uint32_t>(total & 0xFFFFFFFFu));
  return out;
}

// One entry of a hand-assembled zip: whatever the headers say, even when it is a lie.
struct ZipSpec
{
  std::string name;
  std::string payload; // the stored or deflated bytes as they sit in the archive
  unsigned method = 8; // 0 stored, 8 deflate
  std::uint32_t crc = 0;
  std::uint32_t comp_size = 0;
  std::uint32_t size = 0;
  std::optional<std::uint32_t> offset; // central directory points here instead (overlap)
  unsigned flags = 0x0800;             // general purpose bits: names are UTF-8
};

ZipSpec deflated_entry(std::string name, std::string_view data)
{
  std::string payload = deflate_with(data, -MAX_WBITS);
  const auto comp = static_cast<std::uint32_t>(payload.size());
  return ZipSpec{std::move(name),
                 std::move(payload),
                 8,
                 crc_of(data),
                 comp,
                 static_cast<std::uint32_t>(data.size()),
                 std::nullopt};
}

ZipSpec stored_entry(std::string name, std::string_view data)
{
  const auto size = static_cast<std::uint32_t>(data.size());
  return ZipSpec{std::move(name), std::string(data), 0, crc_of(data), size, size, std::nullopt};
}

// Local headers, central directory and end record for `entries`, in order.
std::string build_zip(const std::vector<ZipSpec>& entries)
{
  std::string out;
  std::string central;
  for (const ZipSpec& e : entries) {
    const auto offset = static_cast<std::uint32_t>(out.size());
    if (!e.offset) {
      put32(out, 0x04034b50);
      put16(out, 20);
      put16(out, e.flags);
      put16(out, e.method);
      put16(out, 0);
      put16(out, 0x21);
      put32(out, e.crc);
      put32(out, e.comp_size);
      put32(out, e.size);
      put16(out, static_cast<unsigned>(e.name.size()));
      put16(out, 0);
      out += e.name;
      out += e.payload;
    }
    put32(central, 0x02014b50);
    put16(central, 0x031e);
    put16(central, 20);
    put16(central, e.flags);
    put16(central, e.method);
    put16(central, 0);
    put16(central, 0x21);
    put32(central, e.crc);
    put32(central, e.comp_size);
    put32(central, e.size);
    put16(central, static_cast<unsigned>(e.name.size()));
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    const bool directory = !e.name.empty() && e.name.back() == '/';
    put32(central, directory ? (040755u << 16) | 0x10 : 0644u << 16);
    put32(central, e.offset.value_or(offset));
    central += e.name;
  }
  const auto central_offset = static_cast<std::uint32_t>(out.size());
  out += central;
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<unsigned>(entries.size()));
  put16(out, static_cast<unsigned>(entries.size()));
  put32(out, static_cast<std::uint32_t>(central.size()));
  put32(out, central_offset);
  put16(out, 0);
  return out;
}

// The one document `expand` must produce.
Document expand_one(std::string_view bytes, std::string_view name, const Limits& limits = {})
{
  auto result = expand(bytes, name, limits);
  if (!result) FAIL("expand failed: " << result.error().to_string());
  REQUIRE(result->size() == 1);
  return std::move(result->front());
}

// The error `expand` must produce.
Error expand_error(std::string_view bytes, std::string_view name, const Limits& limits = {})
{
  auto result = expand(bytes, name, limits);
  if (result) FAIL("expand succeeded with " << result->size() << " document(s)");
  return result.error();
}

Limits small_limits(std::size_t max_document_bytes)
{
  Limits limits;
  limits.max_document_bytes = max_document_bytes;
  return limits;
}

std::optional<std::filesystem::path> corpus_dir()
{
  const std::filesystem::path dir = DMARC_CORPUS_DIR;
  // A test input like the fixtures: its absence fails the case instead of skipping it.
  INFO("corpus directory " << dir.string() << " is absent");
  REQUIRE(std::filesystem::is_directory(dir));
  return dir;
}

// RFC 4648 base64, ignoring line breaks.
std::string base64_decode(std::string_view in)
{
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : in) {
    int value;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    else
      continue;
    buffer = buffer << 6 | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

} // namespace

// ---- sniff / to_string --------------------------------------------------------------------

TEST_CASE("to_string names every format")
{
  CHECK(to_string(Format::gzip) == "gzip");
  CHECK(to_string(Format::zip) == "zip");
  CHECK(to_string(Format::xml) == "xml");
  CHECK(to_string(Format::json) == "json");
  CHECK(to_string(Format::unknown) == "unknown");
}

TEST_CASE("sniff reads the magic bytes, skipping a BOM and white space for xml/json")
{
  CHECK(sniff(std::string_view("\x1f\x8b", 2)) == Format::gzip);
  CHECK(sniff(std::string_view("\x1f\x8b\x08\x00", 4)) == Format::gzip);
  CHECK(sniff(std::string_view("PK\x03\x04", 4)) == Format::zip);
  CHECK(sniff(std::string_view("PK\x05\x06", 4)) == Format::zip);
  CHECK(sniff("<feedback/>") == Format::xml);
  CHECK(sniff("<?xml version=\"1.0\"?>") == Format::xml);
  CHECK(sniff("\xEF\xBB\xBF<feedback/>") == Format::xml);
  CHECK(sniff("\xEF\xBB\xBF \r\n\t<feedback/>") == Format::xml);
  CHECK(sniff("\r\n<feedback/>") == Format::xml);
  CHECK(sniff(std::string_view("\xFF\xFE<\0", 4)) == Format::xml);
  CHECK(sniff(std::string_view("\xFE\xFF\0<", 4)) == Format::xml);
  CHECK(sniff("{\"organization-name\":1}") == Format::json);
  CHECK(sniff("\xEF\xBB\xBF\n {}") == Format::json);
  CHECK(sniff("[1]") == Format::json);

  CHECK(sniff("") == Format::unknown);
  CHECK(sniff(std::string_view("\x1f", 1)) == Format::unknown);
  CHECK(sniff("PK") == Format::unknown);
  CHECK(sniff(std::string_view("PK\x01\x02", 4)) == Format::unknown);
  CHECK(sniff("\xEF\xBB\xBF") == Format::unknown);
  CHECK(sniff(" \r\n") == Format::unknown);
  CHECK(sniff("Hello <feedback/>") == Format::unknown);
  CHECK(sniff("\x0c<feedback/>") == Format::unknown);
  CHECK(sniff(std::string_view("\0<", 2)) == Format::unknown);
}

// ---- plain input --------------------------------------------------------------------------

TEST_CASE("expand returns plain input as one document with the given name")
{
  const Document xml = expand_one(k_report, "report.xml");
  CHECK(xml.name == "report.xml");
  CHECK(xml.format == Format::xml);
  CHECK(xml.bytes == k_report);

  const Document json = expand_one("{\"report-id\":\"x\"}", "tls.json");
  CHECK(json.name == "tls.json");
  CHECK(json.format == Format::json);
  CHECK(json.bytes == "{\"report-id\":\"x\"}");

  const Document other = expand_one("Hello", "note.txt.gz");
  CHECK(other.name == "note.txt.gz");
  CHECK(other.format == Format::unknown);
  CHECK(other.bytes == "Hello");
}

TEST_CASE("expand rejects zero bytes as empty")
{
  const Error error = expand_error("", "empty.xml");
  CHECK(error.kind == ErrorKind::empty);
  CHECK(error.detail == "zero bytes");
  CHECK(error.to_string() == "empty: zero bytes");
}

// ---- gzip / gunzip ------------------------------------------------------------------------

TEST_CASE("gzip writes a level-1 gzip member that gunzip and zlib read back")
{
  const std::string packed = gzip(k_report);
  REQUIRE(packed.size() > 18);
  CHECK(packed.substr(0, 4) == std::string_view("\x1f\x8b\x08\x00", 4)); // deflate, no FNAME
  CHECK(static_cast<unsigned char>(packed[8]) == 4);                     // XFL: fastest
  auto back = gunzip(packed, 1 * k_mib);
  REQUIRE(back.ok());
  CHECK(*back == k_report);

  // Larger than one zlib call's worth, with structure, and the empty string.
  std::string big;
  for (int i = 0; big.size() < 3 * k_mib; ++i)
    big += "<row><source_ip>192.0.2." + std::to_string(i % 256) + "</source_ip></row>\n";
  const std::string big_packed = gzip(big);
  CHECK(big_packed.size() < big.size() / 5);
  auto big_back = gunzip(big_packed, 8 * k_mib);
  REQUIRE(big_back.ok());
  CHECK(*big_back == big);
  auto none = gunzip(gzip(""), 10);
  REQUIRE(none.ok());
  CHECK(none->empty());

  // zlib's own gzip reader agrees (uncompress via inflate with the gzip wrapper).
  z_stream s{};
  REQUIRE(inflateInit2(&s, 16 + MAX_WBITS) == Z_OK);
  std::string check(k_report.size(), '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  s.avail_in = static_cast<uInt>(packed.size());
  s.next_out = reinterpret_cast<Bytef*>(check.data());
  s.avail_out = static_cast<uInt>(check.size());
  CHECK(inflate(&s, Z_FINISH) == Z_STREAM_END);
  inflateEnd(&s);
  CHECK(check == k_report);
}

TEST_CASE("gunzip enforces max_bytes exactly and reports corrupt input")
{
  const std::string thousand(1000, 'x');
  const std::string packed = gzip(thousand);
  auto exact = gunzip(packed, 1000);
  REQUIRE(exact.ok());
  CHECK(*exact == thousand);

  auto over = gunzip(packed, 999);
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().kind == ErrorKind::too_large);
  CHECK(over.error().detail == "document larger than 999 bytes (max_document_bytes)");

  auto empty = gunzip("", 10);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().kind == ErrorKind::empty);

  auto plain = gunzip(k_report, 1 * k_mib);
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.error().kind == ErrorKind::corrupt_archive);
  CHECK(plain.error().detail == "not a gzip stream");

  auto cut = gunzip(std::string_view(packed).substr(0, packed.size() - 3), 1 * k_mib);
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().kind == ErrorKind::corrupt_archive);
  CHECK(cut.error().detail == "truncated gzip stream");
}

// ---- expand: gzip -------------------------------------------------------------------------

TEST_CASE("expand gzip names the document after FNAME, else the name without .gz")
{
  const Document named =
      expand_one(gzip9(k_report, "example.net!example.com!1!2.xml"), "attachment.gz");
  CHECK(named.name == "example.net!example.com!1!2.xml");
  CHECK(named.format == Format::xml);
  CHECK(named.bytes == k_report);

  CHECK(expand_one(gzip9(k_report), "report.xml.gz").name == "report.xml");
  CHECK(expand_one(gzip9(k_report), "REPORT.XML.GZ").name == "REPORT.XML");
  CHECK(expand_one(gzip9(k_report), "report").name == "report");
  CHECK(expand_one(gzip9(k_report), ".gz").name == ".gz");
  CHECK(expand_one(gzip9(k_report), "").name == "");
  // FNAME is ISO 8859-1 (RFC 1952); it comes back as UTF-8.
  CHECK(expand_one(gzip9(k_report, "r\xE9sum\xE9.xml"), "x.gz").name == "r\xC3\xA9sum\xC3\xA9.xml");
  CHECK(expand_one(gzip9(k_report, "caf\xC3\xA9.xml"), "x.gz").name == "caf\xC3\xA9.xml");

  const Document json = expand_one(gzip9("{\"policies\":[]}"), "tls.json.gz");
  CHECK(json.format == Format::json);
  CHECK(json.name == "tls.json");
}

TEST_CASE("expand gzip ignores bytes after the last member that start no other member")
{
  const std::string member = gzip9(k_report, "first.xml");
  CHECK(expand_one(member + "\r\n", "x.gz").bytes == k_report);
  CHECK(expand_one(member + std::string(4096, '\0'), "x.gz").bytes == k_report);
  CHECK(expand_one(member + "garbage\n", "x.gz").bytes == k_report);
}

TEST_CASE("expand gzip joins all members as gzip -d does, under one set of caps")
{
  // RFC 1952 §2.2: a report a writer flushed into two members is one document.
  const std::size_t cut = k_report.find("<record>");
  const std::string two = gzip9(k_report.substr(0, cut), "first.xml") +
                          gzip9(k_report.substr(cut), "second.xml");
  const Document joined = expand_one(two, "x.gz");
  CHECK(joined.name == "first.xml"); // the first member names the document
  CHECK(joined.format == Format::xml);
  CHECK(joined.bytes == k_report);
  CHECK(expand_one(two + "\r\n", "x.gz").bytes == k_report);
  // Three members, the middle one empty.
  CHECK(expand_one(gzip9("<a>") + gzip9("") + gzip9("</a>"), "x.gz").bytes == "<a></a>");

  // The cap counts every member: two members of 600 bytes do not fit 1000.
  Limits limits;
  limits.max_document_bytes = 1000;
  const std::string half(600, ' ');
  CHECK(expand_one(gzip9(half), "x.gz", limits).bytes == half);
  const Error over = expand_error(gzip9(half) + gzip9(half), "x.gz", limits);
  CHECK(over.kind == ErrorKind::too_large);
  CHECK(over.detail == "document larger than 1000 bytes (max_document_bytes)");

  // Many tiny members cost their bytes, not a buffer each.
  std::string many;
  for (int i = 0; i < 20000; ++i) many += gzip9("");
  CHECK(expand_one(many + gzip9(k_report), "x.gz").bytes == k_report);

  // A second member that is broken makes the document corrupt.
  const std::string second = gzip9(k_report.substr(cut));
  const Error truncated = expand_error(gzip9(k_report.substr(0, cut)) +
                                           second.substr(0, second.size() / 2),
                                       "x.gz");
  CHECK(truncated.kind == ErrorKind::corrupt_archive);
  CHECK(truncated.detail == "truncated gzip stream");
}

TEST_CASE("expand gzip rejects every truncation as a truncated gzip stream")
{
  const std::string member = gzip9(k_report, "report.xml");
  for (std::size_t length = 2; length < member.size(); ++length) {
    CAPTURE(length);
    const Error error = expand_error(std::string_view(member).substr(0, length), "report.xml.gz");
    CHECK(error.kind == ErrorKind::corrupt_archive);
    CHECK(error.detail == "truncated gzip stream");
  }
}

TEST_CASE("expand gzip reports a bad CRC, a bad length and broken data")
{
  const std::string member = gzip9(k_report);
  std::string bad_crc = member;
  bad_crc[bad_crc.size() - 8] ^= 0x01;
  Error error = expand_error(bad_crc, "r.xml.gz");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "gzip CRC mismatch");

  std::string bad_isize = member;
  bad_isize[bad_isize.size() - 4] ^= 0x01;
  error = expand_error(bad_isize, "r.xml.gz");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "gzip length mismatch (ISIZE)");

  std::string bad_method = member;
  bad_method[2] = 7;
  error = expand_error(bad_method, "r.xml.gz");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "corrupt gzip data: unknown compression method");

  std::string bad_block = member;
  bad_block[10] = static_cast<char>(0xFF); // BFINAL=1, BTYPE=11: reserved
  error = expand_error(bad_block, "r.xml.gz");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "corrupt gzip data: invalid block type");
}

TEST_CASE("expand gzip: nothing inside is empty, a gzip inside is expanded once")
{
  const Error error = expand_error(gzip9(""), "nothing.xml.gz");
  CHECK(error.kind == ErrorKind::empty);
  CHECK(error.detail == "gzip stream expands to zero bytes");

  const Document twice =
      expand_one(gzip9(gzip9(k_report, "inner.xml"), "inner.xml.gz"), "outer.gz");
  CHECK(twice.name == "inner.xml");
  CHECK(twice.format == Format::xml);
  CHECK(twice.bytes == k_report);

  const Document twice_unnamed = expand_one(gzip9(gzip9(k_report)), "r.xml.gz.gz");
  CHECK(twice_unnamed.name == "r.xml");
  CHECK(twice_unnamed.bytes == k_report);

  const std::string thrice_inner = gzip9(k_report);
  const Document thrice = expand_one(gzip9(gzip9(thrice_inner)), "r.gz");
  CHECK(thrice.format == Format::unknown);
  CHECK(thrice.bytes == thrice_inner);

  const std::string zip = build_zip({stored_entry("a.xml", k_report)});
  const Document zip_in_gzip = expand_one(gzip9(zip), "a.zip.gz");
  CHECK(zip_in_gzip.format == Format::unknown);
  CHECK(zip_in_gzip.bytes == zip);
}

TEST_CASE("expand gzip accepts a document of exactly max_document_bytes")
{
  const std::string body = "<x>" + std::string(k_mib - 7, 'a') + "</x>";
  REQUIRE(body.size() == k_mib);
  const std::string packed = gzip9(body);
  CHECK(expand_one(packed, "r.gz", small_limits(k_mib)).bytes == body);
  const Error error = expand_error(packed, "r.gz", small_limits(k_mib - 1));
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "document larger than 1048575 bytes (max_document_bytes)");
}

TEST_CASE("the zero bomb builder produces what it claims")
{
  Limits lenient;
  lenient.max_ratio = 1'000'000;
  const Document document = expand_one(gzip_zeros(12 * k_mib), "zeros.gz", lenient);
  CHECK(document.bytes == std::string(12 * k_mib, '\0'));
  CHECK(document.format == Format::unknown);
}

TEST_CASE("gzip bomb: 64 MiB of zeros stops at a 1 MiB document cap", "[bomb]")
{
  const Error error = expand_error(gzip_zeros(64 * k_mib), "bomb.xml.gz", small_limits(k_mib));
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "document larger than 1 MiB (max_document_bytes)");

  auto gunzipped = gunzip(gzip_zeros(64 * k_mib), 2 * k_mib);
  REQUIRE_FALSE(gunzipped.ok());
  CHECK(gunzipped.error().detail == "document larger than 2 MiB (max_document_bytes)");
}

TEST_CASE("gzip bomb: the ratio guard applies past ratio_floor_bytes", "[bomb]")
{
  Limits limits;
  limits.ratio_floor_bytes = 1 * k_mib;
  const Error error = expand_error(gzip_zeros(64 * k_mib), "bomb.xml.gz", limits);
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "compression ratio above 1000:1 (max_ratio)");

  // Below the floor the same ratio is fine.
  limits.ratio_floor_bytes = 8 * k_mib;
  CHECK(expand_one(gzip_zeros(8 * k_mib), "ok.gz", limits).bytes.size() == 8 * k_mib);

  // Ordinary XML is far below any ratio that matters.
  limits.max_ratio = 100;
  limits.ratio_floor_bytes = 0;
  CHECK(expand_one(gzip9(k_report), "r.xml.gz", limits).bytes == k_report);
}

TEST_CASE("gzip bomb: 4 GiB of zeros at default limits is rejected", "[bomb]")
{
  const std::string bomb = gzip_zeros(4 * k_gib);
  CHECK(bomb.size() < 5 * k_mib);
  const Error error = expand_error(bomb, "bomb.xml.gz", Limits{});
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "compression ratio above 1000:1 (max_ratio)");
}

// ---- expand: zip --------------------------------------------------------------------------

TEST_CASE("expand zip returns every file entry in archive order")
{
  const std::string json = "{\"report-id\":\"t\"}";
  const std::string zip = build_zip({
      stored_entry("reports/", ""),
      deflated_entry("reports/b.xml", k_report),
      stored_entry("a.json", json),
      stored_entry("empty.xml", ""),
      deflated_entry("c.txt", "hello"),
  });
  auto documents = expand(zip, "archive.zip", Limits{});
  REQUIRE(documents.ok());
  REQUIRE(documents->size() == 3);
  CHECK((*documents)[0].name == "reports/b.xml");
  CHECK((*documents)[0].format == Format::xml);
  CHECK((*documents)[0].bytes == k_report);
  CHECK((*documents)[1].name == "a.json");
  CHECK((*documents)[1].format == Format::json);
  CHECK((*documents)[1].bytes == json);
  CHECK((*documents)[2].name == "c.txt");
  CHECK((*documents)[2].format == Format::unknown);
  CHECK((*documents)[2].bytes == "hello");
}

TEST_CASE("expand zip expands a gzip entry once and leaves a zip entry alone")
{
  const std::string inner_zip = build_zip({stored_entry("x.xml", k_report)});
  const std::string zip = build_zip({
      deflated_entry("named.xml.gz", gzip9(k_report, "from-fname.xml")),
      stored_entry("unnamed.xml.GZ", gzip9(k_report)),
      stored_entry("nested.zip", inner_zip),
      stored_entry("double.gz", gzip9(gzip9(k_report))),
  });
  auto documents = expand(zip, "a.zip", Limits{});
  REQUIRE(documents.ok());
  REQUIRE(documents->size() == 4);
  CHECK((*documents)[0].name == "from-fname.xml");
  CHECK((*documents)[0].bytes == k_report);
  CHECK((*documents)[0].format == Format::xml);
  CHECK((*documents)[1].name == "unnamed.xml");
  CHECK((*documents)[1].bytes == k_report);
  CHECK((*documents)[2].name == "nested.zip");
  CHECK((*documents)[2].format == Format::unknown);
  CHECK((*documents)[2].bytes == inner_zip);
  CHECK((*documents)[3].name == "double");
  CHECK((*documents)[3].format == Format::unknown);
  CHECK((*documents)[3].bytes == gzip9(k_report));

  const std::string bad_inner =
      build_zip({stored_entry("cut.xml.gz", gzip9(k_report).substr(0, 30))});
  const Error error = expand_error(bad_inner, "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'cut.xml.gz': truncated gzip stream");
}

TEST_CASE("expand zip without file entries is not a report, with only empty files empty")
{
  Error error = expand_error(build_zip({}), "none.zip");
  CHECK(error.kind == ErrorKind::not_a_report);
  CHECK(error.detail == "zip archive without files");
  error = expand_error(build_zip({stored_entry("a/", ""), stored_entry("a/b/", "")}), "dirs.zip");
  CHECK(error.kind == ErrorKind::not_a_report);
  CHECK(error.detail == "zip archive without files");
  error = expand_error(build_zip({stored_entry("a/", ""), stored_entry("empty.xml", "")}), "e.zip");
  CHECK(error.kind == ErrorKind::empty);
  CHECK(error.detail == "zip archive holds only empty files");
  error = expand_error(build_zip({stored_entry("nothing.xml.gz", gzip9(""))}), "e.zip");
  CHECK(error.kind == ErrorKind::empty);
  CHECK(error.detail == "zip archive holds only empty files");
}

TEST_CASE("expand zip caps the number of entries")
{
  std::vector<ZipSpec> entries;
  for (int i = 0; i < 1000; ++i)
    entries.push_back(stored_entry(std::to_string(i) + ".xml", "<a/>"));
  auto thousand = expand(build_zip(entries), "many.zip", Limits{});
  REQUIRE(thousand.ok());
  CHECK(thousand->size() == 1000);
  CHECK(thousand->back().name == "999.xml");

  entries.push_back(stored_entry("dir/", "")); // directories count: they cost a stat each
  Error error = expand_error(build_zip(entries), "many.zip");
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "more than 1000 zip entries (max_zip_entries)");

  Limits two;
  two.max_zip_entries = 2;
  error = expand_error(
      build_zip({stored_entry("a", "1"), stored_entry("b", "2"), stored_entry("c", "3")}), "x.zip",
      two);
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "more than 2 zip entries (max_zip_entries)");
}

TEST_CASE("expand zip rejects declared sizes over the caps before reading anything")
{
  // The payload is garbage: only the declared size can have caused the rejection.
  ZipSpec huge{"huge.xml", "garbage", 8, 0, 7, static_cast<std::uint32_t>(k_gib), std::nullopt};
  Error error = expand_error(build_zip({deflated_entry("first.xml", k_report), huge}), "a.zip");
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "zip entry 'huge.xml': document larger than 256 MiB (max_document_bytes)");

  ZipSpec dense{"dense.xml", std::string(17 * 1024, 'g'),
                8,           0,
                17 * 1024,   static_cast<std::uint32_t>(17 * k_mib + 1),
                std::nullopt};
  error = expand_error(build_zip({dense}), "a.zip");
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "zip entry 'dense.xml': compression ratio above 1000:1 (max_ratio)");

  ZipSpec half{"h1.xml", "g", 8, 0, 1, static_cast<std::uint32_t>(k_mib / 2 + 1), std::nullopt};
  ZipSpec other = half;
  other.name = "h2.xml";
  error = expand_error(build_zip({half, other}), "a.zip", small_limits(k_mib));
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail ==
        "zip entry 'h2.xml': documents together larger than 1 MiB (max_document_bytes)");
}

TEST_CASE("expand zip never trusts a declared size")
{
  // Declares 100 bytes, holds the whole report: reading stops one byte past the declaration.
  ZipSpec liar = deflated_entry("liar.xml", k_report);
  liar.size = 100;
  Error error = expand_error(build_zip({liar}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'liar.xml': more data than the declared 100 bytes");

  ZipSpec stored_liar = stored_entry("stored.xml", k_report);
  stored_liar.size = 100;
  error = expand_error(build_zip({stored_liar}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'stored.xml': more data than the declared 100 bytes");

  ZipSpec boaster = deflated_entry("boaster.xml", k_report);
  boaster.size = static_cast<std::uint32_t>(k_report.size() + 10);
  error = expand_error(build_zip({boaster}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'boaster.xml': " + std::to_string(k_report.size()) +
                            " bytes instead of the declared " +
                            std::to_string(k_report.size() + 10));

  // Small gzip entries inside the declared caps still count against the total as they inflate.
  const std::string big = "<x>" + std::string(700 * 1024, 'a') + "</x>";
  error = expand_error(
      build_zip({stored_entry("a.xml.gz", gzip9(big)), stored_entry("b.xml.gz", gzip9(big))}),
      "a.zip", small_limits(k_mib));
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail ==
        "zip entry 'b.xml.gz': documents together larger than 1 MiB (max_document_bytes)");
  error = expand_error(build_zip({stored_entry("a.xml.gz", gzip9(big + big))}), "a.zip",
                       small_limits(k_mib));
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "zip entry 'a.xml.gz': document larger than 1 MiB (max_document_bytes)");
}

TEST_CASE("expand zip reports CRC errors, broken data and truncation")
{
  ZipSpec bad_crc = deflated_entry("r.xml", k_report);
  bad_crc.crc ^= 1;
  Error error = expand_error(build_zip({bad_crc}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'r.xml': CRC mismatch");

  ZipSpec bad_data = deflated_entry("r.xml", k_report);
  bad_data.payload[0] = static_cast<char>(0xFF);
  error = expand_error(build_zip({bad_data}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'r.xml': corrupt deflate data: invalid block type");

  ZipSpec short_data = deflated_entry("r.xml", k_report);
  short_data.payload.resize(short_data.payload.size() / 2);
  short_data.comp_size = static_cast<std::uint32_t>(short_data.payload.size());
  error = expand_error(build_zip({short_data}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'r.xml': truncated deflate data");

  ZipSpec stored_crc = stored_entry("s.xml", k_report);
  stored_crc.crc ^= 1;
  error = expand_error(build_zip({stored_crc}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 's.xml': CRC mismatch");

  ZipSpec encrypted = deflated_entry("secret.xml", k_report);
  encrypted.flags |= 0x0001; // traditional PKWARE encryption
  error = expand_error(build_zip({encrypted}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'secret.xml': encrypted (not supported)");

  ZipSpec bad_method = stored_entry("r.xml", k_report);
  bad_method.method = 98; // PPMd
  error = expand_error(build_zip({bad_method}), "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'r.xml': unsupported compression method");

  const std::string zip = build_zip({deflated_entry("r.xml", k_report)});
  for (const std::size_t length :
       {std::size_t{4}, std::size_t{30}, zip.size() / 2, zip.size() - 1}) {
    CAPTURE(length);
    error = expand_error(std::string_view(zip).substr(0, length), "a.zip");
    CHECK(error.kind == ErrorKind::corrupt_archive);
    CHECK(error.detail == "truncated or corrupt zip archive: no central directory found");
  }

  // An end record pointing past the end of the archive, or at something else.
  std::string broken = zip;
  broken[broken.size() - 6] = static_cast<char>(0x7F);
  error = expand_error(broken, "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "truncated or corrupt zip archive: no central directory found");
  // A central directory whose size does not match what the end record says.
  broken = zip;
  broken[broken.size() - 10] = static_cast<char>(broken[broken.size() - 10] + 1);
  error = expand_error(broken, "a.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "corrupt zip archive: inconsistent central directory");
}

TEST_CASE("zip bomb: 1 GiB of zeros at default limits is rejected", "[bomb]")
{
  const Zeros zeros = deflate_zeros(k_gib);
  ZipSpec honest{"bomb.xml",
                 zeros.deflated,
                 8,
                 zeros.crc,
                 static_cast<std::uint32_t>(zeros.deflated.size()),
                 static_cast<std::uint32_t>(k_gib),
                 std::nullopt};
  Error error = expand_error(build_zip({honest}), "bomb.zip");
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "zip entry 'bomb.xml': document larger than 256 MiB (max_document_bytes)");

  ZipSpec liar = honest;
  liar.size = 1000;
  error = expand_error(build_zip({liar}), "bomb.zip");
  CHECK(error.kind == ErrorKind::corrupt_archive);
  CHECK(error.detail == "zip entry 'bomb.xml': more data than the declared 1000 bytes");

  // A plausible lie (200 MiB from 1 MB passes the declared-size checks): the ratio guard
  // measured on the compressed bytes read so far stops it just past ratio_floor_bytes.
  ZipSpec plausible = honest;
  plausible.size = static_cast<std::uint32_t>(200 * k_mib);
  error = expand_error(build_zip({plausible}), "bomb.zip");
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "zip entry 'bomb.xml': compression ratio above 1000:1 (max_ratio)");
}

TEST_CASE("zip bomb: overlapping entries hit the ratio guard over the whole archive", "[bomb]")
{
  // Fifield's "better zip bomb": every central directory entry points at the same data,
  // each entry stays below ratio_floor_bytes, together they would be 20 x 12 MiB.
  const Zeros zeros = deflate_zeros(12 * k_mib);
  std::vector<ZipSpec> entries;
  for (int i = 0; i < 20; ++i) {
    ZipSpec entry{"z" + std::to_string(i) + ".xml",
                  zeros.deflated,
                  8,
                  zeros.crc,
                  static_cast<std::uint32_t>(zeros.deflated.size()),
                  static_cast<std::uint32_t>(12 * k_mib),
                  std::nullopt};
    if (i > 0) {
      entry.name = "z0.xml"; // the local header they all share names z0.xml
      entry.offset = 0;
    }
    entries.push_back(entry);
  }
  Limits limits;
  limits.max_document_bytes = 1 * k_gib;
  const Error error = expand_error(build_zip(entries), "overlap.zip", limits);
  CHECK(error.kind == ErrorKind::too_large);
  CHECK(error.detail == "compression ratio above 1000:1 (max_ratio)");

  // At default limits the archive-wide ratio trips first (after two entries) ...
  const Error early = expand_error(build_zip(entries), "overlap.zip", Limits{});
  CHECK(early.kind == ErrorKind::too_large);
  CHECK(early.detail == "compression ratio above 1000:1 (max_ratio)");

  // ... and 30 of them declare more than the document cap together: rejected unread.
  while (entries.size() < 30) entries.push_back(entries.back());
  const Error declared = expand_error(build_zip(entries), "overlap.zip", Limits{});
  CHECK(declared.kind == ErrorKind::too_large);
  CHECK(declared.detail ==
        "zip entry 'z0.xml': documents together larger than 256 MiB (max_document_bytes)");
}

// ---- committed fixtures -------------------------------------------------------------------

TEST_CASE("fixtures/bad: each file gives the result fixtures/bad/README.md names")
{
  const std::filesystem::path dir = std::filesystem::path(DMARC_FIXTURES_DIR) / "bad";
  struct Rejected
  {
    const char* file;
    ErrorKind kind;
    const char* detail;
  };
  const Rejected rejected[] = {
      {"truncated.xml.gz", ErrorKind::corrupt_archive, "truncated gzip stream"},
      {"bad-crc.xml.gz", ErrorKind::corrupt_archive, "gzip CRC mismatch"},
      {"bad-isize.xml.gz", ErrorKind::corrupt_archive, "gzip length mismatch (ISIZE)"},
      {"truncated.zip", ErrorKind::corrupt_archive,
       "truncated or corrupt zip archive: no central directory found"},
      {"bad-crc.zip", ErrorKind::corrupt_archive,
       "zip entry 'example.net!example.com!1700000000!1700086399!fixture-bad-1.xml': CRC mismatch"},
      {"lying-size.zip", ErrorKind::corrupt_archive,
       "zip entry 'example.net!example.com!1700000000!1700086399!fixture-bad-1.xml': more data "
       "than "
       "the declared 100 bytes"},
      {"directory-only.zip", ErrorKind::not_a_report, "zip archive without files"},
      {"empty-archive.zip", ErrorKind::not_a_report, "zip archive without files"},
      {"ratio-bomb.xml.gz", ErrorKind::too_large, "compression ratio above 1000:1 (max_ratio)"},
  };
  for (const Rejected& r : rejected) {
    CAPTURE(r.file);
    const Error error = expand_error(read_file(dir / r.file), r.file);
    CHECK(error.kind == r.kind);
    CHECK(error.detail == r.detail);
  }

  // Accepted by this stage; rejected later (not-a-report / invalid-report).
  const std::string noise = read_file(dir / "random.bin");
  const Document random = expand_one(noise, "random.bin");
  CHECK(random.format == Format::unknown);
  CHECK(random.bytes == noise);
  const Document cut =
      expand_one(read_file(dir / "truncated-report.xml.gz"), "truncated-report.xml.gz");
  CHECK(cut.name == "truncated-report.xml");
  CHECK(cut.format == Format::xml);
  CHECK(cut.bytes.find("<report_id>fixture-bad-2</report_id>") != std::string::npos);
  CHECK(cut.bytes.find("</feedback>") == std::string::npos);

  // Odd but valid.
  const auto report_name = [](const char* id) {
    return std::string("example.net!example.com!1700000000!1700086399!") + id + ".xml";
  };
  const Document in_dir = expand_one(read_file(dir / "directory-entry.zip"), "directory-entry.zip");
  CHECK(in_dir.name == "reports/" + report_name("fixture-bad-3"));
  CHECK(in_dir.format == Format::xml);
  CHECK(in_dir.bytes.find("<report_id>fixture-bad-3</report_id>") != std::string::npos);

  auto two = expand(read_file(dir / "two-reports.zip"), "two-reports.zip", Limits{});
  REQUIRE(two.ok());
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].name == report_name("fixture-bad-4"));
  CHECK((*two)[0].bytes.find("<source_ip>192.0.2.4</source_ip>") != std::string::npos);
  CHECK((*two)[1].name == report_name("fixture-bad-5"));
  CHECK((*two)[1].bytes.find("<source_ip>192.0.2.5</source_ip>") != std::string::npos);

  const Document trailing = expand_one(read_file(dir / "trailing-garbage.xml.gz"), "whatever.gz");
  CHECK(trailing.name == report_name("fixture-bad-6"));
  CHECK(trailing.bytes.substr(0, 5) == "<?xml");
  CHECK(trailing.bytes.substr(trailing.bytes.size() - 12) == "</feedback>\n");

  const Document unnamed = expand_one(read_file(dir / "no-fname.xml.gz"), "no-fname.xml.gz");
  CHECK(unnamed.name == "no-fname.xml");
  CHECK(unnamed.bytes.find("<report_id>fixture-bad-7</report_id>") != std::string::npos);
}

TEST_CASE("fixtures/dmarc/archive-*: good archive variants expand to one report each")
{
  const std::filesystem::path dir = std::filesystem::path(DMARC_FIXTURES_DIR) / "dmarc";
  const struct
  {
    const char* file;
    const char* id;
  } cases[] = {{"archive-report.xml.gz", "fixture-archive-1"},
               {"archive-report.zip", "fixture-archive-2"},
               {"archive-nested-gzip.zip", "fixture-archive-3"}};
  for (const auto& c : cases) {
    CAPTURE(c.file);
    const Document document = expand_one(read_file(dir / c.file), c.file);
    CHECK(document.name ==
          std::string("example.net!example.com!1700000000!1700086399!") + c.id + ".xml");
    CHECK(document.format == Format::xml);
    CHECK(document.bytes.find(std::string("<report_id>") + c.id + "</report_id>") !=
          std::string::npos);
  }
}

TEST_CASE("fixtures/shapes/multi-member.xml.gz: a report split over two gzip members")
{
  const std::filesystem::path file =
      std::filesystem::path(DMARC_FIXTURES_DIR) / "shapes" / "multi-member.xml.gz";
  const Document document = expand_one(read_file(file), "multi-member.xml.gz");
  CHECK(document.name == "shape-gzip-members-1.xml");
  CHECK(document.format == Format::xml);
  CHECK(document.bytes.find("<report_id>shape-gzip-members-1</report_id>") != std::string::npos);
  CHECK(document.bytes.find("<source_ip>192.0.2.32</source_ip><count>4</count>") !=
        std::string::npos);
  CHECK(document.bytes.ends_with("</feedback>\n"));
}

TEST_CASE("a gzip member that opens with an XML declaration starts another document")
{
  const std::filesystem::path file =
      std::filesystem::path(DMARC_FIXTURES_DIR) / "shapes" / "two-reports-two-members.xml.gz";
  const auto documents = expand(read_file(file), "two-reports-two-members.xml.gz", Limits{});
  REQUIRE(documents.ok());
  REQUIRE(documents->size() == 2);
  CHECK((*documents)[0].name == "shape-cat-1.xml");
  CHECK((*documents)[1].name == "shape-cat-1.xml"); // the file's name: from the first FNAME
  for (const Document& d : *documents) CHECK(d.format == Format::xml);
  CHECK((*documents)[0].bytes.starts_with("<?xml"));
  CHECK((*documents)[0].bytes.find("<report_id>shape-cat-1</report_id>") != std::string::npos);
  CHECK((*documents)[0].bytes.find("shape-cat-2") == std::string::npos);
  CHECK((*documents)[1].bytes.starts_with("<?xml"));
  CHECK((*documents)[1].bytes.find("<report_id>shape-cat-2</report_id>") != std::string::npos);

  // Only a declaration splits: a member that continues a document (or blank text) joins it.
  const auto joined = expand(gzip9("<?xml version=\"1.0\"?>\n") + gzip9("<feedback/>") +
                                 gzip9("\n"),
                             "x.gz", Limits{});
  REQUIRE(joined.ok());
  REQUIRE(joined->size() == 1);
  CHECK((*joined)[0].bytes == "<?xml version=\"1.0\"?>\n<feedback/>\n");
  const auto blank_first = expand(gzip9("\n") + gzip9(k_report), "x.gz", Limits{});
  REQUIRE(blank_first.ok());
  REQUIRE(blank_first->size() == 1);
  CHECK((*blank_first)[0].bytes == "\n" + k_report);
}

// ---- the real corpus ----------------------------------------------------------------------

TEST_CASE("corpus: nice-input.xml.gz and .zip expand to nice-input.xml byte for byte")
{
  const auto corpus = corpus_dir();
  if (!corpus) return;
  const std::filesystem::path dir = *corpus / "extract_report";
  const std::string plain = read_file(dir / "nice-input.xml");
  REQUIRE(plain.size() == 15159);

  const Document from_gzip = expand_one(read_file(dir / "nice-input.xml.gz"), "nice-input.xml.gz");
  CHECK(from_gzip.name == "nice-input.xml");
  CHECK(from_gzip.format == Format::xml);
  CHECK(from_gzip.bytes == plain);

  const Document from_zip = expand_one(read_file(dir / "nice-input.xml.zip"), "nice-input.xml.zip");
  CHECK(from_zip.name == "nice-input.xml");
  CHECK(from_zip.format == Format::xml);
  CHECK(from_zip.bytes == plain);

  const Document as_is = expand_one(plain, "nice-input.xml");
  CHECK(as_is.bytes == plain);
  CHECK(as_is.format == Format::xml);
}

TEST_CASE("corpus: every aggregate archive expands to one XML report")
{
  const auto corpus = corpus_dir();
  if (!corpus) return;
  const std::filesystem::path dir = *corpus / "aggregate";
  const std::string fastmail = "fastmail.com!example.com!1516060800!1516147199!102675056.xml";
  const Document gz = expand_one(read_file(dir / (fastmail + ".gz")), fastmail + ".gz");
  CHECK(gz.name == fastmail); // from FNAME
  CHECK(gz.format == Format::xml);
  CHECK(gz.bytes.find("<report_id>102675056</report_id>") != std::string::npos);

  const std::string estado =
      "estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml";
  const Document zip = expand_one(read_file(dir / (estado + ".zip")), estado + ".zip");
  CHECK(zip.name == estado);
  CHECK(zip.format == Format::xml);
  CHECK(zip.bytes.size() == 887);
  CHECK(zip.bytes.find("<report_id>2940</report_id>") != std::string::npos);

  int archives = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    const Format format = sniff(read_file(entry.path()));
    if (format != Format::gzip && format != Format::zip) continue;
    CAPTURE(name);
    ++archives;
    CHECK(expand_one(read_file(entry.path()), name).format == Format::xml);
  }
  CHECK(archives == 2);

  const Error empty = expand_error(read_file(*corpus / "empty.xml"), "empty.xml");
  CHECK(empty.kind == ErrorKind::empty);
}

TEST_CASE("corpus: Mimecast's gzip with trailing CRLF expands to its first member")
{
  const auto corpus = corpus_dir();
  if (!corpus) return;
  const std::string mail = read_file(*corpus / "aggregate" / "mimecast-weird-gzip.eml");
  // The whole body is the base64 attachment; MIME itself is stage ②'s business.
  const std::size_t body = mail.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  const std::string attachment = base64_decode(std::string_view(mail).substr(body));
  REQUIRE(attachment.size() == 678);
  REQUIRE(attachment.substr(attachment.size() - 2) == "\r\n");

  const std::string file_name =
      "mimecast.org!ab.id.au!1693353600!1693439999!"
      "157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e.xml.gz";
  const Document document = expand_one(attachment, file_name);
  CHECK(document.name == file_name.substr(0, file_name.size() - 3)); // no FNAME in this member
  CHECK(document.format == Format::xml);
  CHECK(document.bytes.size() == 1260);
  CHECK(document.bytes.find("<org_name>Mimecast</org_name>") != std::string::npos);
}

TEST_CASE("zip_archive writes members that expand back, in order, byte for byte")
{
  const std::string second(300'000, 'x'); // compresses: the archive must hold deflate data
  const std::string zip = zip_archive({{"a/report.xml", k_report}, {"second.xml", second}});
  REQUIRE(sniff(zip) == Format::zip);
  CHECK(zip.size() < second.size() / 10);
  auto documents = expand(zip, "bench.zip", Limits{});
  REQUIRE(documents);
  REQUIRE(documents->size() == 2);
  CHECK((*documents)[0].name == "a/report.xml");
  CHECK((*documents)[0].format == Format::xml);
  CHECK((*documents)[0].bytes == k_report);
  CHECK((*documents)[1].name == "second.xml");
  CHECK((*documents)[1].bytes == second);
  // Fixed timestamps: the same members give the same bytes (a cached corpus stays valid).
  CHECK(zip_archive({{"a/report.xml", k_report}, {"second.xml", second}}) == zip);
}
