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

#include <string>
#include <string_view>
#include <vector>

namespace dmarc::decompress {

enum class Format { gzip, zip, xml, json, unknown };

// "gzip", "zip", "xml", "json", "unknown".
std::string_view to_string(Format format);

// The format of `bytes` from its first bytes (skipping a UTF-8 BOM and leading white space
// for xml/json).
Format sniff(std::string_view bytes);

struct Document
{
  std::string name;   // zip entry name, gzip FNAME, or the name passed in
  Format format;      // xml, json or unknown (never gzip/zip: nested archives are expanded)
  std::string bytes;
};

// Expands `bytes` into the documents it holds: itself when plain, the first gzip member
// (trailing bytes after it are ignored), each zip entry (directories skipped, a gzip inside
// a zip expanded once). Errors: `corrupt-archive` (truncated, bad CRC, not an archive),
// `too-large` (naming the cap: document size, entry count or ratio), `empty`.
Result<std::vector<Document>> expand(std::string_view bytes, std::string_view name,
                                     const Limits& limits);

// gzip-compresses `bytes` (fast level), for keeping raw documents in the database.
std::string gzip(std::string_view bytes);

// Expands a gzip byte string produced by gzip() or any single gzip member, capped at
// `max_bytes`. Errors as expand().
Result<std::string> gunzip(std::string_view bytes, std::size_t max_bytes);

} // namespace dmarc::decompress
