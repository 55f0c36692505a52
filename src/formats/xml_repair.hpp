// ④ parse (internal): textual repair of the malformed aggregate XML real reporters send.
//
// Why: RFC 7489 Appendix C requires well-formed XML, but deployed reporters send a <feedback>
// inside an unclosed wrapper (`<xs:schema ...>` with no close tag), a bare '<' inside text
// (`<header_from>bad<xml.net</header_from>`) and addresses in angle brackets
// (`<email><postmaster@example.net></email>`). A strict XML parser (XML 1.0 §2.4: '<' must be
// escaped in character data) rejects all three. The repair runs only after a strict parse has
// failed. It cuts the <feedback> element out of the document and escapes every '<' that does
// not open markup which closes properly; it never adds or removes an element that has
// children, so a record is never invented or dropped. A <feedback> that is never closed is a
// truncated document, which no repair may "complete". Pure; no third-party types.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dmarc::formats {

enum class RepairOutcome {
  repaired,     // `xml` holds the repaired document
  no_feedback,  // no <feedback> start tag anywhere: nothing to repair
  truncated,    // a <feedback> start tag without a </feedback> after it
  unrepairable, // the element structure itself is broken (an unclosed element with children
                // or a DMARC container name, an end tag that closes nothing): escaping text
                // cannot fix it
};

struct XmlRepair
{
  RepairOutcome outcome = RepairOutcome::unrepairable;
  std::string xml; // the repaired document when outcome == repaired
  std::size_t escaped = 0; // how many '<' were escaped as "&lt;"
};

// Cuts the first <feedback> (any prefix) through the last </feedback> out of `xml`, keeps a
// leading BOM and XML declaration, and escapes each '<' that starts no well-formed tag or
// starts a text-only, non-container start tag that is never closed before its parent closes.
XmlRepair repair_aggregate_xml(std::string_view xml);

} // namespace dmarc::formats
