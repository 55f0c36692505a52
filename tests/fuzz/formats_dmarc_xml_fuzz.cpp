// libFuzzer target for ④ parse: parse_aggregate on arbitrary bytes with the default limits.
// Beyond "no crash, no sanitizer report" it checks the parser's promises: every string in an
// accepted report is valid UTF-8 (RFC 3629) and the record cap holds. Seed corpus:
// fixtures/dmarc/*.xml and fixtures/bad/xml-*.
#include "core/text.hpp"
#include "formats/dmarc_xml.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

void require_utf8(const std::string& s)
{
  if (!dmarc::text::is_valid_utf8(s)) {
    std::abort();
  }
}

void require_utf8(const dmarc::OptString& s)
{
  if (s) {
    require_utf8(*s);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  const dmarc::Limits limits;
  std::string document(reinterpret_cast<const char*>(data), size);
  const auto report = dmarc::formats::parse_aggregate(document, limits);
  if (!report.ok()) {
    require_utf8(report.error().detail);
    return 0;
  }
  if (report->records.size() > limits.max_records) {
    std::abort();
  }
  require_utf8(report->org_name);
  require_utf8(report->report_id);
  require_utf8(report->email);
  require_utf8(report->xml_namespace);
  require_utf8(report->policy.domain);
  require_utf8(report->policy.p);
  for (const auto& record : report->records) {
    require_utf8(record.source_ip);
    require_utf8(record.header_from);
    require_utf8(record.envelope_from);
    for (const auto& reason : record.reasons) {
      require_utf8(reason.type);
      require_utf8(reason.comment);
    }
    for (const auto& dkim : record.dkim_results) {
      require_utf8(dkim.domain);
      require_utf8(dkim.human_result);
    }
  }
  return 0;
}
