// ③ decompress: sniff what a byte string is and expand gzip / zip into documents.
//
// Why: the name and the declared content type of an attachment lie often enough
// (application/octet-stream, ".xml" that is gzip, gzip named ".zip"), so the format is
// taken from the magic bytes (gzip 1f 8b, zip PK\3\4, '<' or a BOM for XML, '{' for JSON).
// Every expansion is capped (size per document, zip entries, compression ratio) and stops
// as soon as a cap is crossed, so a bomb costs neither memory nor time. Pure.
#pragma once

#include "core/limits.hpp"
#include "core/result.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dmarc::decompress {

enum class Format { gzip, zip, xml, json, unknown };

// "gzip", "zip", "xml", "json", "unknown".
std::string_view to_string(Format format);

// The format of `bytes` from its first bytes: gzip (1f 8b), zip (PK\3\4, or PK\5\6 for an
// empty archive), xml ('<' after an optional UTF-8 BOM and white space, or a UTF-16 BOM),
// json ('{' or '[' likewise), else unknown (also for zero bytes).
Format sniff(std::string_view bytes);

struct Document
{
  std::string name;   // zip entry name, gzip FNAME, or the name passed in
  Format format;      // xml, json or unknown (never gzip/zip: a gzip inside is expanded
                      // once, anything compressed deeper than that is unknown)
  std::string bytes;
};

// Expands `bytes` into the documents it holds: itself when plain (xml, json or unknown,
// name kept), the gzip members joined as `gzip -d` does (bytes after the last member that
// do not start another are ignored; name from the first FNAME header, else `name` without
// ".gz"; a member whose text opens with an XML declaration starts another document), each zip file entry in archive order
// (directory entries and empty files skipped, name = entry name). A gzip inside a gzip or
// zip is expanded once more; anything still compressed after that is returned as
// `unknown`. Every returned document has at least one byte, and all documents of one input
// together stay within `limits.max_document_bytes`, so memory is bounded by that cap.
// Errors: `empty` (zero bytes in, or a gzip / only empty zip files that expand to nothing),
// `corrupt-archive` (truncated, bad CRC or length, broken central directory, encrypted or
// unsupported zip entry), `too-large` (naming the cap: max_document_bytes, max_zip_entries
// or max_ratio; enforced while inflating, zip declared sizes checked before), and
// `not-a-report` (a zip archive without file entries).
Result<std::vector<Document>> expand(std::string_view bytes, std::string_view name,
                                     const Limits& limits);

// gzip-compresses `bytes` at level 1 (fast), for keeping raw documents in the database.
// Returns "" only if zlib itself fails (out of memory).
std::string gzip(std::string_view bytes);

// The checksums of the two framings, zlib's own implementations: RFC 1950 Adler-32 and
// RFC 1952 CRC-32 of `bytes` (for encoders that write the framing themselves).
uint32_t adler32(std::string_view bytes);
uint32_t crc32(std::string_view bytes);

enum class Framing { zlib, gzip };   // RFC 1950 or RFC 1952 framing of a deflate stream

// A deflate stream kept for many small inputs (GELF messages over UDP): the state is
// allocated once and reset per call, so compressing a 1 KiB message costs no allocation,
// only the deflate itself. Not thread-safe: one Deflater per thread.
class Deflater
{
public:
  explicit Deflater(Framing framing, int level = 1);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Replaces `out` with one complete zlib or gzip stream of `bytes`. false only if zlib
  // fails (out of memory); `out` is then empty.
  bool compress(std::string_view bytes, std::string& out);

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Expands the gzip `bytes` (as produced by gzip(); several members are joined), capped at `max_bytes`
// and at the default Limits ratio guard. Errors as expand(): `empty` for zero input bytes,
// `corrupt-archive` (also for input that is not gzip), `too-large`.
Result<std::string> gunzip(std::string_view bytes, std::size_t max_bytes);

// One member of a zip archive written by zip_archive().
struct ZipMember
{
  std::string name;
  std::string_view bytes;
};

// A zip archive (deflate, fixed 2000-01-01 timestamps, so equal input gives equal bytes)
// holding `files` in order. Used by the benchmark corpus generator and tests, which must
// not link libzip themselves. Returns "" only if libzip fails (out of memory).
std::string zip_archive(const std::vector<ZipMember>& files);

} // namespace dmarc::decompress
