// ③ decompress: sniff + gunzip + unzip with caps (zlib, libzip).
//
// Why this shape: RFC 7489 §7.2.1.1 has reporters send aggregate reports gzip'd or zipped
// and RFC 8460 §5.3 sends TLS reports as application/tlsrpt+gzip, but names and content
// types lie, so the format comes from the magic bytes. Expansion is the one place where a
// small input becomes a huge one, so every cap is enforced while inflating, never after:
//
//  - gzip (RFC 1952): zlib inflate (16 + MAX_WBITS) of each member in turn (gzip -d joins
//    them; bytes after the last one are ignored), straight into the document string. The
//    output is checked after every step of at most k_step bytes, and the ratio guard
//    compares it with the compressed bytes actually consumed so far, so a 4 GiB bomb stops
//    a little past ratio_floor_bytes.
//  - zip (APPNOTE 4.3): libzip opens the archive from memory. The declared sizes in the
//    central directory are checked for every entry before any entry is read (reject early),
//    but never trusted: an entry may not produce more than it declared (a lying size is a
//    corrupt archive). Deflate entries, i.e. all real report zips, are read raw through
//    libzip in chunks and inflated by the same loop as gzip, so their ratio guard also sees
//    the compressed bytes consumed so far and their CRC-32 is checked here; other methods
//    go through libzip's own decompression and CRC check, counted the same way.
//  - All documents of one input together stay within max_document_bytes, so a zip of many
//    entries each just below the caps (or overlapping entries) cannot add up to an
//    unbounded amount of memory; the ratio guard also applies to their total.
//
// Speed: output goes straight into a std::string whose capacity grows geometrically, or is
// reserved once from the gzip ISIZE trailer / zip declared size when that is plausible;
// its size grows a step at a time so only memory about to be written is touched. No
// per-byte work besides inflate and CRC-32, and no copy of the output.
#include "decompress/decompress.hpp"

#include "core/text.hpp"

#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <new>
#include <optional>

namespace dmarc::decompress {
namespace {

// Output produced per inflate / zip_fread call at most: the caps are checked this often.
constexpr std::size_t k_step = std::size_t{1} << 20;
// Without a plausible size hint, the first allocation is this many times the input.
constexpr std::size_t k_guess_factor = 8;
constexpr std::size_t k_min_guess = std::size_t{64} << 10;
// Input handed to zlib per call (its avail counters are 32-bit).
constexpr std::size_t k_zlib_slice = std::size_t{1} << 30;
// Compressed bytes read from a zip entry per zip_fread.
constexpr std::size_t k_zip_read = std::size_t{256} << 10;
// First allocation for a gzip member after the first one.
constexpr std::size_t k_member_guess = std::size_t{4} << 10;
// Longest gzip FNAME kept.
constexpr unsigned k_max_fname = 1024;

constexpr std::size_t k_kib = std::size_t{1} << 10;
constexpr std::size_t k_mib = std::size_t{1} << 20;
constexpr std::size_t k_gib = std::size_t{1} << 30;

// "256 MiB", "4 KiB", "1000 bytes": the cap as a person would write it.
std::string format_size(std::size_t bytes)
{
  if (bytes != 0 && bytes % k_gib == 0) return std::to_string(bytes / k_gib) + " GiB";
  if (bytes != 0 && bytes % k_mib == 0) return std::to_string(bytes / k_mib) + " MiB";
  if (bytes != 0 && bytes % k_kib == 0) return std::to_string(bytes / k_kib) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// "document larger than 256 MiB (max_document_bytes)"; `what` says what crossed the cap.
Error document_too_large(std::size_t max_document_bytes, std::string_view what = "document")
{
  return make_error(ErrorKind::too_large, std::string(what) + " larger than " +
                                              format_size(max_document_bytes) +
                                              " (max_document_bytes)");
}

// "compression ratio above 1000:1 (max_ratio)".
Error ratio_too_large(std::size_t max_ratio)
{
  return make_error(ErrorKind::too_large,
                    "compression ratio above " + std::to_string(max_ratio) + ":1 (max_ratio)");
}

// `error` with "zip entry 'NAME': " in front of its detail.
Error in_entry(std::string_view entry_name, Error error)
{
  error.detail = "zip entry '" + std::string(entry_name) + "': " + error.detail;
  return error;
}

// True when out / in > max_ratio, exactly and without overflow (`in` of 0 counts as 1).
bool ratio_exceeded(std::size_t out, std::size_t in, std::size_t max_ratio)
{
  in = std::max<std::size_t>(in, 1);
  const std::size_t quotient = out / in;
  return quotient > max_ratio || (quotient == max_ratio && out % in != 0);
}

// The caps one expansion runs under.
struct Caps
{
  std::size_t max_bytes;          // output beyond this is too large (what is left of ...
  std::size_t max_document_bytes; // ... this cap, which the error names)
  std::string_view what;          // "document", or "documents together" for a zip's rest
  std::size_t max_ratio;          // output / source beyond this is too large ...
  std::size_t ratio_floor;        // ... once the output is larger than this
  std::size_t source_bytes;       // compressed bytes behind the output; 0: inflate's input so far
  std::optional<std::size_t> declared; // a zip entry's declared size: more is a corrupt archive
};

// Caps for one document of at most `max_bytes` made from `source_bytes` (0: count input).
Caps make_caps(const Limits& limits, std::size_t max_bytes, std::size_t source_bytes)
{
  return Caps{max_bytes,    max_bytes,   "document", limits.max_ratio, limits.ratio_floor_bytes,
              source_bytes, std::nullopt};
}

// The first cap `used` output bytes from `consumed` input bytes cross, if any.
std::optional<Error> check_caps(const Caps& caps, std::size_t used, std::size_t consumed)
{
  if (caps.declared && used > *caps.declared)
    return make_error(ErrorKind::corrupt_archive,
                      "more data than the declared " + std::to_string(*caps.declared) + " bytes");
  if (used > caps.max_bytes) return document_too_large(caps.max_document_bytes, caps.what);
  // With both a fixed source size (a gzip inside a zip entry or gzip) and the input consumed
  // so far, the smaller one counts: otherwise a gzip bomb stored in a zip entry is measured
  // against its whole compressed size and expands to max_document_bytes before the guard
  // sees it (found by tests/cli/hardening/bombs_test: 4 GiB of zeros in a stored entry).
  const std::size_t source = caps.source_bytes == 0 ? consumed
                             : consumed == 0        ? caps.source_bytes
                                                    : std::min(caps.source_bytes, consumed);
  if (used > caps.ratio_floor && ratio_exceeded(used, source, caps.max_ratio))
    return ratio_too_large(caps.max_ratio);
  return std::nullopt;
}

// One byte past the smallest cap, without overflow: output that long proves a cap crossed.
std::size_t output_limit(const Caps& caps)
{
  const std::size_t cap = std::min(caps.max_bytes, caps.declared.value_or(caps.max_bytes));
  return cap == std::numeric_limits<std::size_t>::max() ? cap : cap + 1;
}

// Makes writable room after the first `used` bytes of `out` without going past `limit`
// bytes: capacity doubles when full, size grows by at most k_step. Returns the room.
std::size_t make_room(std::string& out, std::size_t used, std::size_t limit)
{
  if (used >= limit) return 0;
  if (out.size() > used) return out.size() - used;
  if (out.capacity() <= used) out.reserve(std::min(limit, std::max(used * 2, used + k_min_guess)));
  out.resize(std::min({out.capacity(), used + k_step, limit}));
  return out.size() - used;
}

// Cuts `out` to its `used` bytes, giving memory back only when a size hint was far off.
void finish_output(std::string& out, std::size_t used)
{
  out.resize(used);
  if (out.capacity() > 2 * used + k_min_guess) out.shrink_to_fit();
}

// `name` without a trailing ".gz" (any case).
std::string strip_gz(std::string_view name)
{
  if (name.size() > 3 && text::iequals(name.substr(name.size() - 3), ".gz")) name.remove_suffix(3);
  return std::string(name);
}

// FNAME is ISO 8859-1 (RFC 1952 §2.3.1); most writers put UTF-8 there anyway.
std::string fname_to_utf8(std::string_view fname)
{
  if (text::is_valid_utf8(fname)) return std::string(fname);
  std::string out;
  out.reserve(fname.size() * 2);
  for (const char c : fname) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out += c;
    } else {
      out += static_cast<char>(0xC0 | (byte >> 6));
      out += static_cast<char>(0x80 | (byte & 0x3F));
    }
  }
  return out;
}

// sniff() for a finished document: anything still compressed is `unknown`.
Format document_format(std::string_view bytes)
{
  const Format format = sniff(bytes);
  return format == Format::gzip || format == Format::zip ? Format::unknown : format;
}

// ---- inflate (gzip members and zip deflate entries) ----------------------------------------

enum class Wrapper { gzip, raw };

struct Inflated
{
  std::string bytes;
  // Offsets in `bytes` where a later gzip member starts a document of its own (its text
  // opens with an XML declaration): `cat a.xml.gz b.xml.gz` holds two reports.
  std::vector<std::size_t> document_starts;
  std::string fname;        // gzip FNAME header field, "" when absent
  std::size_t consumed = 0; // compressed bytes read up to the end of the stream
  std::uint32_t crc = 0;    // CRC-32 of `bytes` (raw only: zlib checks the gzip one itself)
};

// zlib's inflate error as a rejection.
Error inflate_error(Wrapper wrapper, int rc, const char* msg)
{
  const std::string_view text = msg != nullptr ? msg : "unknown error";
  if (rc == Z_MEM_ERROR) return make_error(ErrorKind::internal, "zlib: out of memory");
  if (wrapper == Wrapper::gzip && text == "incorrect data check")
    return make_error(ErrorKind::corrupt_archive, "gzip CRC mismatch");
  if (wrapper == Wrapper::gzip && text == "incorrect length check")
    return make_error(ErrorKind::corrupt_archive, "gzip length mismatch (ISIZE)");
  const std::string what =
      wrapper == Wrapper::gzip ? "corrupt gzip data: " : "corrupt deflate data: ";
  if (rc == Z_NEED_DICT)
    return make_error(ErrorKind::corrupt_archive, what + "preset dictionary required");
  return make_error(ErrorKind::corrupt_archive, what + std::string(text));
}

// Inflates one stream pulled piece by piece from `next_input` under `caps`, reserving
// `reserve` bytes first. `next_input(std::string_view&)` points its argument at the next
// compressed bytes ("" at the end) or returns an Error. Bytes after the stream are ignored.
template <typename NextInput>
Result<Inflated> inflate_stream(NextInput&& next_input, Wrapper wrapper, const Caps& caps,
                                std::size_t reserve)
{
  z_stream stream{};
  if (inflateInit2(&stream, wrapper == Wrapper::gzip ? 16 + MAX_WBITS : -MAX_WBITS) != Z_OK)
    return make_error(ErrorKind::internal, "zlib: inflateInit2 failed");
  const std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&stream, &inflateEnd);

  char fname[k_max_fname + 1] = {};
  gz_header header{};
  if (wrapper == Wrapper::gzip) {
    header.name = reinterpret_cast<Bytef*>(fname);
    header.name_max = k_max_fname;
    inflateGetHeader(&stream, &header);
  }

  Inflated result;
  std::string& out = result.bytes;
  const std::size_t limit = output_limit(caps);
  out.reserve(std::min(reserve, limit));
  uLong crc = ::crc32(0, Z_NULL, 0);
  std::size_t fed = 0;
  std::size_t used = 0;
  bool input_done = false;
  for (;;) {
    if (stream.avail_in == 0 && !input_done) {
      std::string_view piece;
      if (auto error = next_input(piece)) return *error;
      input_done = piece.empty();
      stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
      stream.avail_in = static_cast<uInt>(piece.size());
      fed += piece.size();
    }
    const std::size_t room = make_room(out, used, limit);
    stream.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    stream.avail_out = static_cast<uInt>(room);

    const int rc = inflate(&stream, Z_NO_FLUSH);
    const std::size_t produced = room - stream.avail_out;
    if (wrapper == Wrapper::raw && produced != 0)
      crc = ::crc32(crc, reinterpret_cast<const Bytef*>(out.data() + used),
                  static_cast<uInt>(produced));
    used += produced;
    result.consumed = fed - stream.avail_in;
    if (auto crossed = check_caps(caps, used, result.consumed)) return *crossed;

    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && stream.avail_in == 0 && input_done)
      return make_error(ErrorKind::corrupt_archive, wrapper == Wrapper::gzip
                                                        ? "truncated gzip stream"
                                                        : "truncated deflate data");
    if (rc == Z_BUF_ERROR && (stream.avail_out == 0 || stream.avail_in == 0)) continue;
    return inflate_error(wrapper, rc, stream.msg);
  }

  finish_output(out, used);
  result.crc = static_cast<std::uint32_t>(crc);
  if (wrapper == Wrapper::gzip && header.name != Z_NULL)
    result.fname = fname_to_utf8({fname, ::strnlen(fname, k_max_fname)});
  return result;
}

// First allocation for inflating the gzip `in`: the ISIZE trailer when it is within the
// caps (it is the size mod 2^32, and trailing bytes after the member make it garbage, so
// it is only a hint), else a multiple of the input.
std::size_t gzip_reserve(std::string_view in, const Caps& caps)
{
  if (in.size() >= 18) {
    const auto* tail = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
    const std::size_t isize = std::size_t{tail[0]} | std::size_t{tail[1]} << 8 |
                              std::size_t{tail[2]} << 16 | std::size_t{tail[3]} << 24;
    const std::size_t source = caps.source_bytes != 0 ? caps.source_bytes : in.size();
    if (isize > 0 && isize <= caps.max_bytes &&
        (isize <= caps.ratio_floor || !ratio_exceeded(isize, source, caps.max_ratio)))
      return isize + 1; // +1: room to see the end of the stream without growing
  }
  return std::max(k_min_guess, in.size() * k_guess_factor);
}

// Inflates the gzip member at the start of `in` under `caps`, reserving `reserve` bytes
// first; bytes after the member are not read.
Result<Inflated> inflate_gzip_member(std::string_view in, const Caps& caps, std::size_t reserve)
{
  std::size_t offset = 0;
  auto next_input = [&](std::string_view& piece) -> std::optional<Error> {
    piece = in.substr(offset, k_zlib_slice);
    offset += piece.size();
    return std::nullopt;
  };
  return inflate_stream(next_input, Wrapper::gzip, caps, reserve);
}

// True when `bytes` open with "<?xml" after an optional UTF-8 BOM and white space: the
// start of a document (a declaration cannot appear inside one, XML 1.0 §2.8).
bool starts_xml_declaration(std::string_view bytes)
{
  if (bytes.starts_with("\xEF\xBB\xBF")) bytes.remove_prefix(3);
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && bytes.substr(first, 5) == "<?xml";
}

// True when `bytes` hold nothing but ASCII white space.
bool is_blank(std::string_view bytes)
{
  return bytes.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// True when `in` starts like a gzip member: magic and the deflate method (RFC 1952 §2.3.1).
bool starts_gzip_member(std::string_view in)
{
  return in.size() >= 3 && static_cast<unsigned char>(in[0]) == 0x1f &&
         static_cast<unsigned char>(in[1]) == 0x8b && in[2] == '\x08';
}

// Inflates the gzip `in` under `caps`. RFC 1952 §2.2: a gzip file is a series of members,
// and `gzip -d` writes their contents one after the other, so a document a writer flushed
// into several members is joined again; the caps hold for all of them together. Bytes after
// the last member that do not start another one (Mimecast's CRLF, zero padding) are ignored.
// Later members start from a small buffer (ISIZE at the end of the input belongs to the
// last member only), so thousands of tiny members cost no more than their bytes.
Result<Inflated> inflate_gzip(std::string_view in, const Caps& caps)
{
  auto result = inflate_gzip_member(in, caps, gzip_reserve(in, caps));
  if (!result) return result;
  std::size_t offset = result->consumed;
  while (starts_gzip_member(in.substr(offset))) {
    Caps rest = caps;
    rest.max_bytes = caps.max_bytes - result->bytes.size();
    if (rest.declared) *rest.declared -= result->bytes.size();
    auto next = inflate_gzip_member(in.substr(offset), rest, k_member_guess);
    if (!next) return next.error();
    if (starts_xml_declaration(next->bytes) && !is_blank(result->bytes))
      result->document_starts.push_back(result->bytes.size());
    result->bytes += next->bytes;
    offset += next->consumed; // a member is at least 18 bytes: the loop always advances
  }
  result->consumed = offset;
  return result;
}

// The documents in a gzip `in`, named after FNAME or `fallback_name` without ".gz": one,
// unless later members start documents of their own (Inflated::document_starts). A gzip
// inside is expanded once more (as one document).
Result<std::vector<Document>> expand_gzip(std::string_view in, std::string_view fallback_name,
                                          const Caps& caps)
{
  auto outer = inflate_gzip(in, caps);
  if (!outer) return outer.error();
  Document document{outer->fname.empty() ? strip_gz(fallback_name) : std::move(outer->fname),
                    Format::unknown, std::move(outer->bytes)};

  std::vector<Document> documents;
  if (sniff(document.bytes) == Format::gzip) {
    // A gzip'd .xml.gz: the ratio still counts against the outer compressed bytes.
    Caps inner_caps = caps;
    if (inner_caps.source_bytes == 0) inner_caps.source_bytes = outer->consumed;
    auto inner = inflate_gzip(document.bytes, inner_caps);
    if (!inner) return inner.error();
    document.name = inner->fname.empty() ? strip_gz(document.name) : std::move(inner->fname);
    document.bytes = std::move(inner->bytes);
  } else if (!outer->document_starts.empty()) {
    std::size_t begin = 0;
    outer->document_starts.push_back(document.bytes.size());
    for (const std::size_t end : outer->document_starts) {
      const std::string_view piece = std::string_view(document.bytes).substr(begin, end - begin);
      if (!is_blank(piece))
        documents.push_back(Document{document.name, document_format(piece), std::string(piece)});
      begin = end;
    }
    return documents;
  }
  document.format = document_format(document.bytes);
  documents.push_back(std::move(document));
  return documents;
}

// ---- zip -------------------------------------------------------------------------------

struct ZipDiscard
{
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipClose
{
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};
using ZipArchive = std::unique_ptr<zip_t, ZipDiscard>;
using ZipFile = std::unique_ptr<zip_file_t, ZipClose>;

struct ZipEntry
{
  zip_uint64_t index = 0;
  std::string name;
  std::optional<std::size_t> size;  // declared uncompressed size
  std::size_t source_bytes = 1;     // declared compressed size, within [1, archive size]
  std::optional<std::uint32_t> crc; // declared CRC-32
  bool deflated = false;            // method 8, not encrypted: inflated here, not by libzip
};

// libzip's zip_open error as a rejection.
Error open_error(int code, const std::string& message)
{
  switch (code) {
  case ZIP_ER_NOZIP:
    return make_error(ErrorKind::corrupt_archive,
                      "truncated or corrupt zip archive: no central directory found");
  case ZIP_ER_INCONS:
    return make_error(ErrorKind::corrupt_archive,
                      "corrupt zip archive: inconsistent central directory");
  case ZIP_ER_MEMORY: return make_error(ErrorKind::internal, "libzip: out of memory");
  default: return make_error(ErrorKind::corrupt_archive, "corrupt zip archive: " + message);
  }
}

// libzip's error opening or reading one entry as a rejection (not yet naming the entry).
Error entry_error(zip_error_t* error)
{
  const int code = zip_error_code_zip(error);
  std::string detail;
  switch (code) {
  case ZIP_ER_CRC: detail = "CRC mismatch"; break;
  case ZIP_ER_ZLIB:
  case ZIP_ER_COMPRESSED_DATA: detail = "corrupt compressed data"; break;
  case ZIP_ER_EOF:
  case ZIP_ER_READ: detail = "truncated"; break;
  case ZIP_ER_NOPASSWD:
  case ZIP_ER_WRONGPASSWD:
  case ZIP_ER_ENCRNOTSUPP: detail = "encrypted (not supported)"; break;
  case ZIP_ER_COMPNOTSUPP: detail = "unsupported compression method"; break;
  case ZIP_ER_MEMORY: return make_error(ErrorKind::internal, "libzip: out of memory");
  default: detail = zip_error_strerror(error); break;
  }
  return make_error(ErrorKind::corrupt_archive, std::move(detail));
}

// Inflates a deflate entry from its raw compressed bytes (read through libzip in chunks),
// so the ratio guard sees the compressed bytes consumed so far.
Result<std::string> inflate_zip_entry(zip_t* archive, const ZipEntry& entry, const Caps& caps)
{
  const ZipFile file(zip_fopen_index(archive, entry.index, ZIP_FL_COMPRESSED));
  if (!file) return entry_error(zip_get_error(archive));
  std::string buffer(std::min(k_zip_read, entry.source_bytes), '\0');
  auto next_input = [&](std::string_view& piece) -> std::optional<Error> {
    const zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
    if (n < 0) return entry_error(zip_file_get_error(file.get()));
    piece = std::string_view(buffer.data(), static_cast<std::size_t>(n));
    return std::nullopt;
  };
  const std::size_t reserve =
      entry.size ? *entry.size + 1 : std::max(k_min_guess, entry.source_bytes * k_guess_factor);
  auto inflated = inflate_stream(next_input, Wrapper::raw, caps, reserve);
  if (!inflated) return inflated.error();
  if (entry.crc && inflated->crc != *entry.crc)
    return make_error(ErrorKind::corrupt_archive, "CRC mismatch");
  return std::move(inflated->bytes);
}

// Reads any other entry through libzip (which checks the CRC) in steps under `caps`.
Result<std::string> read_zip_entry(zip_t* archive, const ZipEntry& entry, const Caps& caps)
{
  const ZipFile file(zip_fopen_index(archive, entry.index, 0));
  if (!file) return entry_error(zip_get_error(archive));

  const std::size_t limit = output_limit(caps);
  std::string out;
  out.reserve(entry.size
                  ? limit
                  : std::min(limit, std::max(k_min_guess, entry.source_bytes * k_guess_factor)));
  std::size_t used = 0;
  for (;;) {
    const std::size_t room = make_room(out, used, limit);
    const zip_int64_t n = zip_fread(file.get(), out.data() + used, room);
    if (n < 0) return entry_error(zip_file_get_error(file.get()));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (auto crossed = check_caps(caps, used, 0)) return *crossed;
  }
  finish_output(out, used);
  return out;
}

// One entry's bytes under `caps`, never more than it declared (errors not yet naming it).
Result<std::string> zip_entry_bytes(zip_t* archive, const ZipEntry& entry, const Caps& caps)
{
  auto bytes = entry.deflated ? inflate_zip_entry(archive, entry, caps)
                              : read_zip_entry(archive, entry, caps);
  if (bytes && entry.size && bytes->size() != *entry.size)
    return make_error(ErrorKind::corrupt_archive, std::to_string(bytes->size()) +
                                                      " bytes instead of the declared " +
                                                      std::to_string(*entry.size));
  return bytes;
}

// The file entries of a zip archive, after checking count and declared sizes.
Result<std::vector<ZipEntry>> list_zip_entries(zip_t* archive, std::size_t archive_bytes,
                                               const Limits& limits, bool& saw_file)
{
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  if (count < 0)
    return make_error(ErrorKind::corrupt_archive, "corrupt zip archive: no entry count");
  if (static_cast<zip_uint64_t>(count) > limits.max_zip_entries)
    return make_error(ErrorKind::too_large, "more than " + std::to_string(limits.max_zip_entries) +
                                                " zip entries (max_zip_entries)");

  std::vector<ZipEntry> entries;
  std::size_t declared_total = 0;
  for (zip_uint64_t index = 0; index < static_cast<zip_uint64_t>(count); ++index) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, index, 0, &stat) != 0)
      return make_error(ErrorKind::corrupt_archive,
                        "corrupt zip archive: " + std::string(zip_strerror(archive)));
    ZipEntry entry;
    entry.index = index;
    entry.name = (stat.valid & ZIP_STAT_NAME) != 0 && stat.name != nullptr ? stat.name : "";
    if ((stat.valid & ZIP_STAT_SIZE) != 0) entry.size = static_cast<std::size_t>(stat.size);
    const bool is_directory =
        !entry.name.empty() && entry.name.back() == '/' && entry.size.value_or(0) == 0;
    if (is_directory) continue;
    saw_file = true;
    if (entry.size == 0u) continue; // an empty file holds no report
    entry.source_bytes = (stat.valid & ZIP_STAT_COMP_SIZE) != 0
                             ? std::clamp<std::size_t>(stat.comp_size, 1, archive_bytes)
                             : archive_bytes;
    if ((stat.valid & ZIP_STAT_CRC) != 0) entry.crc = stat.crc;
    entry.deflated =
        (stat.valid & ZIP_STAT_COMP_METHOD) != 0 && stat.comp_method == ZIP_CM_DEFLATE &&
        (stat.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && stat.encryption_method == ZIP_EM_NONE;
    if (entry.size) {
      if (*entry.size > limits.max_document_bytes)
        return in_entry(entry.name, document_too_large(limits.max_document_bytes));
      if (*entry.size > limits.ratio_floor_bytes &&
          ratio_exceeded(*entry.size, entry.source_bytes, limits.max_ratio))
        return in_entry(entry.name, ratio_too_large(limits.max_ratio));
      declared_total += *entry.size;
      if (declared_total > limits.max_document_bytes)
        return in_entry(entry.name,
                        document_too_large(limits.max_document_bytes, "documents together"));
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

// Every file entry of the zip `in`, in archive order.
Result<std::vector<Document>> expand_zip(std::string_view in, const Limits& limits)
{
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(in.data(), in.size(), 0, &error);
  if (source == nullptr) {
    zip_error_fini(&error);
    return make_error(ErrorKind::internal, "libzip: cannot create a buffer source");
  }
  zip_t* opened = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (opened == nullptr) {
    const int code = zip_error_code_zip(&error);
    const std::string message = zip_error_strerror(&error);
    zip_source_free(source);
    zip_error_fini(&error);
    return open_error(code, message);
  }
  zip_error_fini(&error);
  const ZipArchive archive(opened);

  bool saw_file = false;
  auto entries = list_zip_entries(archive.get(), in.size(), limits, saw_file);
  if (!entries) return entries.error();
  if (!saw_file) return make_error(ErrorKind::not_a_report, "zip archive without files");

  std::vector<Document> documents;
  std::size_t total = 0;
  for (const ZipEntry& entry : *entries) {
    // Deflate entries measure their ratio against the compressed bytes read so far.
    Caps caps = make_caps(limits, limits.max_document_bytes - total,
                          entry.deflated ? 0 : entry.source_bytes);
    caps.max_document_bytes = limits.max_document_bytes;
    if (total != 0) caps.what = "documents together";
    caps.declared = entry.size;
    auto bytes = zip_entry_bytes(archive.get(), entry, caps);
    if (!bytes) return in_entry(entry.name, bytes.error());

    Document document{entry.name, Format::unknown, std::move(*bytes)};
    if (sniff(document.bytes) == Format::gzip) {
      // The gzip inside: its ratio counts against the entry's compressed size.
      caps.source_bytes = entry.source_bytes;
      caps.declared.reset();
      auto inner = inflate_gzip(document.bytes, caps);
      if (!inner) return in_entry(entry.name, inner.error());
      document.name = inner->fname.empty() ? strip_gz(entry.name) : std::move(inner->fname);
      document.bytes = std::move(inner->bytes);
    }
    if (document.bytes.empty()) continue;
    document.format = document_format(document.bytes);

    total += document.bytes.size();
    if (total > limits.ratio_floor_bytes && ratio_exceeded(total, in.size(), limits.max_ratio))
      return ratio_too_large(limits.max_ratio);
    documents.push_back(std::move(document));
  }
  if (documents.empty()) return make_error(ErrorKind::empty, "zip archive holds only empty files");
  return documents;
}

Result<std::vector<Document>> expand_bytes(std::string_view bytes, std::string_view name,
                                           const Limits& limits)
{
  if (bytes.empty()) return make_error(ErrorKind::empty, "zero bytes");
  const Format format = sniff(bytes);
  if (format == Format::zip) return expand_zip(bytes, limits);
  if (format != Format::gzip) {
    std::vector<Document> documents;
    documents.push_back(Document{std::string(name), format, std::string(bytes)});
    return documents;
  }
  auto documents = expand_gzip(bytes, name, make_caps(limits, limits.max_document_bytes, 0));
  if (!documents) return documents.error();
  if (documents->size() == 1 && documents->front().bytes.empty())
    return make_error(ErrorKind::empty, "gzip stream expands to zero bytes");
  return documents;
}

} // namespace

std::string_view to_string(Format format)
{
  switch (format) {
  case Format::gzip: return "gzip";
  case Format::zip: return "zip";
  case Format::xml: return "xml";
  case Format::json: return "json";
  case Format::unknown: return "unknown";
  }
  return "unknown";
}

Format sniff(std::string_view bytes)
{
  const auto at = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.size() >= 2 && at(0) == 0x1f && at(1) == 0x8b) return Format::gzip;
  if (bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' &&
      ((at(2) == 3 && at(3) == 4) || (at(2) == 5 && at(3) == 6)))
    return Format::zip;
  if (bytes.size() >= 2 && ((at(0) == 0xFF && at(1) == 0xFE) || (at(0) == 0xFE && at(1) == 0xFF)))
    return Format::xml; // UTF-16 BOM: only XML declares its own encoding
  std::size_t i = bytes.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (i < bytes.size() &&
         (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n'))
    ++i;
  if (i == bytes.size()) return Format::unknown;
  if (bytes[i] == '<') return Format::xml;
  if (bytes[i] == '{' || bytes[i] == '[') return Format::json;
  return Format::unknown;
}

Result<std::vector<Document>> expand(std::string_view bytes, std::string_view name,
                                     const Limits& limits)
{
  try {
    return expand_bytes(bytes, name, limits);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorKind::internal, "out of memory");
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, e.what());
  }
}

namespace {

// One deflate stream of `bytes` in one call: windowBits MAX_WBITS frames it as zlib
// (RFC 1950), 16 + MAX_WBITS as gzip (RFC 1952). "" only if zlib itself fails.
std::string deflate_all(std::string_view bytes, int level, int window_bits)
{
  z_stream stream{};
  if (deflateInit2(&stream, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return {};
  const std::unique_ptr<z_stream, decltype(&deflateEnd)> guard(&stream, &deflateEnd);
  try {
    std::string out(deflateBound(&stream, bytes.size()), '\0');
    std::size_t fed = 0;
    for (;;) {
      if (stream.avail_in == 0 && fed < bytes.size()) {
        const std::size_t slice = std::min(k_zlib_slice, bytes.size() - fed);
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + fed));
        stream.avail_in = static_cast<uInt>(slice);
        fed += slice;
      }
      if (stream.avail_out == 0) {
        const std::size_t used = stream.total_out;
        if (used == out.size()) out.resize(out.size() * 2);
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + used);
        stream.avail_out = static_cast<uInt>(std::min(k_zlib_slice, out.size() - used));
      }
      const int rc = deflate(&stream, fed == bytes.size() ? Z_FINISH : Z_NO_FLUSH);
      if (rc == Z_STREAM_END) break;
      if (rc != Z_OK && rc != Z_BUF_ERROR) return {};
    }
    out.resize(stream.total_out);
    return out;
  } catch (const std::exception&) {
    return {};
  }
}

} // namespace

std::string gzip(std::string_view bytes)
{
  return deflate_all(bytes, 1, 16 + MAX_WBITS);
}

std::string zip_archive(const std::vector<ZipMember>& files)
{
  // libzip writes into an in-memory source that is kept past zip_close and read back.
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_error_fini(&error);
  if (buffer == nullptr) return {};
  const std::unique_ptr<zip_source_t, decltype(&zip_source_free)> keep(buffer, &zip_source_free);
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, nullptr);
  if (archive == nullptr) return {};
  constexpr time_t k_mtime = 946684800; // 2000-01-01T00:00:00Z
  for (const ZipMember& file : files) {
    zip_source_t* data = zip_source_buffer(archive, file.bytes.data(), file.bytes.size(), 0);
    const zip_int64_t index =
        data == nullptr ? -1 : zip_file_add(archive, file.name.c_str(), data, ZIP_FL_ENC_UTF_8);
    if (index < 0) {
      if (data != nullptr) zip_source_free(data);
      zip_discard(archive);
      return {};
    }
    const auto i = static_cast<zip_uint64_t>(index);
    zip_set_file_compression(archive, i, ZIP_CM_DEFLATE, 6);
    zip_file_set_mtime(archive, i, k_mtime, 0);
  }
  if (zip_close(archive) != 0) {
    zip_discard(archive);
    return {};
  }
  if (zip_source_open(buffer) != 0) return {};
  std::string out;
  if (zip_source_seek(buffer, 0, SEEK_END) == 0) {
    const zip_int64_t size = zip_source_tell(buffer);
    if (size > 0 && zip_source_seek(buffer, 0, SEEK_SET) == 0) {
      out.resize(static_cast<std::size_t>(size));
      if (zip_source_read(buffer, out.data(), out.size()) != size) out.clear();
    }
  }
  zip_source_close(buffer);
  return out;
}

uint32_t adler32(std::string_view bytes)
{
  return static_cast<uint32_t>(
    ::adler32_z(::adler32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()),
                bytes.size()));
}

uint32_t crc32(std::string_view bytes)
{
  return static_cast<uint32_t>(
    ::crc32_z(::crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// Why these parameters: windowBits 15 gives the zlib header 0x78 that GELF receivers sniff.
// memLevel 8 (the default) was measured against 1, 2, 4 and 9 on real GELF messages of
// ~1 KB: a smaller hash table makes deflateReset() cheaper (it clears 2 << (memLevel + 7)
// bytes) but the matching slower and the output larger, which costs more than it saves.
struct Deflater::State
{
  z_stream stream{};
  bool ready = false;
};

Deflater::Deflater(Framing framing, int level) : m_state(std::make_unique<State>())
{
  const int bits = framing == Framing::gzip ? 16 + MAX_WBITS : MAX_WBITS;
  m_state->ready =
    deflateInit2(&m_state->stream, level, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

Deflater::~Deflater()
{
  if (m_state->ready) deflateEnd(&m_state->stream);
}

bool Deflater::compress(std::string_view bytes, std::string& out)
{
  out.clear();
  if (!m_state->ready || bytes.size() > k_zlib_slice) return false;
  z_stream& stream = m_state->stream;
  if (deflateReset(&stream) != Z_OK) return false;
  try {
    out.resize(deflateBound(&stream, bytes.size()));
  } catch (const std::exception&) {
    out.clear();
    return false;
  }
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  // deflateBound() is enough for one Z_FINISH call.
  if (deflate(&stream, Z_FINISH) != Z_STREAM_END) {
    out.clear();
    return false;
  }
  out.resize(stream.total_out);
  return true;
}

Result<std::string> gunzip(std::string_view bytes, std::size_t max_bytes)
{
  if (bytes.empty()) return make_error(ErrorKind::empty, "zero bytes");
  if (sniff(bytes) != Format::gzip)
    return make_error(ErrorKind::corrupt_archive, "not a gzip stream");
  try {
    auto inflated = inflate_gzip(bytes, make_caps(Limits{}, max_bytes, 0));
    if (!inflated) return inflated.error();
    return std::move(inflated->bytes);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorKind::internal, "out of memory");
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, e.what());
  }
}

} // namespace dmarc::decompress
