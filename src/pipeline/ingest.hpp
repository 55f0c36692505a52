// Ingest: stages ② mime → ③ decompress → ④ parse (+ alignment) for one input, as a pure
// function. The bytes of a mail or of a bare report file go in; a ParsedMessage with every
// report found, or the reason nothing was found, comes out. Nothing is stored here.
#pragma once

#include "core/limits.hpp"
#include "core/message.hpp"

#include <string_view>

namespace dmarc::pipeline {

// Parses one input. `meta.source` names it in diagnostics; the rest of `meta` is completed
// from the message headers and the bytes (checksum, size). `bytes` may be a whole RFC 5322
// message (attachments found by MIME walk) or a bare xml/json/gzip/zip report file.
ParsedMessage parse_input(std::string_view bytes, MessageMeta meta, const Limits& limits);

} // namespace dmarc::pipeline
