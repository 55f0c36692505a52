// Limits: the caps that keep a hostile or broken report from exhausting the machine.
// Every stage that expands or nests input takes the part that concerns it; exceeding
// any of them is a `too-large` rejection naming the cap.
#pragma once

#include "core/failure_report.hpp"

#include <cstddef>
#include <cstdint>

namespace dmarc {

struct Limits
{
  // ② mime
  std::size_t max_message_bytes = 64u << 20;    // one raw message (IMAP or file)
  std::size_t max_mime_parts = 1000;             // parts walked per message
  std::size_t max_mime_depth = 16;               // multipart / message/rfc822 nesting
  // ③ decompress
  std::size_t max_document_bytes = 256u << 20;  // one decompressed document
  std::size_t max_zip_entries = 1000;
  std::size_t max_ratio = 1000;                  // decompressed / compressed, for large outputs
  std::size_t ratio_floor_bytes = 16u << 20;    // the ratio guard applies past this size
  // ④ parse
  std::size_t max_xml_depth = 64;
  // Parsed trees cost far more than their text (a pugixml node is 64 bytes, an element as
  // little as 4 bytes of XML; a nlohmann value ~32x its JSON), so these bound memory: 10M
  // elements is ~640 MB of nodes, no more than the largest real report max_document_bytes
  // admits (~380k records of ~22 elements); 50M took 3.5 GB for a 29 MB gzip of "<a/>"s.
  // Real TLS reports are kilobytes; 4 MiB of "{},[]" costs ~135 MB (64 MiB took 2.1 GB).
  std::size_t max_xml_elements = 10'000'000;
  std::size_t max_json_bytes = 4u << 20;
  std::size_t max_json_depth = 64;
  // 1M records cannot fit a real report into max_document_bytes anyway (~700 bytes each).
  std::size_t max_records = 1'000'000;          // records per report
  // Not a cap on size but on personal data: how much of a failure report's sample (the
  // copy of the failing mail) leaves the parse step ([failure] samples).
  FailureSamples failure_samples = FailureSamples::headers;
};

} // namespace dmarc
