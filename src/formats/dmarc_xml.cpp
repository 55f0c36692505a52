// ④ parse: DMARC aggregate XML into an AggregateReport. The why is in dmarc_xml.hpp.
//
// How (speed matters: the importer must store >= 200,000 record rows/s, DESIGN.md):
//   - pugixml parses the caller's buffer in place with parse_embed_pcdata, so a leaf element's
//     text lives in its element node (one node per element) and white-space-only text makes no
//     node at all;
//   - one pass over the tree dispatches each child on its local name (RFC 7489 Appendix C and
//     RFC 9990 Appendix A names, prefix stripped, namespace ignored): each container compares
//     against the few names it may hold, in document order, then switches on the Tag;
//   - max_xml_depth is checked in the same pass; subtrees the walk does not read are scanned
//     iteratively, so nothing recurses on input depth. max_xml_elements needs no walk: an
//     element takes at least 4 bytes (`<a/>`), so only a document of more than 4 bytes per
//     allowed element can exceed it, and such a document has its start tags counted before
//     pugixml allocates a node for them;
//   - text is trimmed, and sanitised to UTF-8 only when it is not valid already.
// pugixml overwrites the buffer while it parses, so the original bytes are kept in a reused
// per-thread copy (one memcpy, no page faults) for the repair path (xml_repair.hpp), which
// runs only after the strict parse failed. pugixml never fetches anything and never expands
// DTD entities: without parse_doctype the DOCTYPE is skipped, and a reference like `&lol9;`
// stays literal text.
#include "formats/dmarc_xml.hpp"

#include "core/text.hpp"
#include "formats/xml_repair.hpp"

#include <pugixml.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>

namespace dmarc::formats {

namespace {

constexpr unsigned k_parse_options =
  pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol | pugi::parse_embed_pcdata;

// How many bytes of a bad value an error detail quotes.
constexpr std::size_t k_quote_max = 64;

// The per-thread copy of the original document is kept for reuse up to this size.
constexpr std::size_t k_backup_keep_bytes = 16u << 20;

// The element local names the walk reads.
enum class Tag : unsigned char {
  unknown,
  adkim,
  aspf,
  auth_results,
  begin,
  comment,
  count,
  data_range,
  date_range,
  discovery_method,
  disposition,
  dkim,
  domain,
  email,
  end,
  envelope_from,
  envelope_to,
  error,
  extra_contact_info,
  feedback,
  fo,
  generator,
  header_from,
  human_result,
  identifiers,
  np,
  org_name,
  p,
  pct,
  policy_evaluated,
  policy_published,
  reason,
  record,
  report_id,
  report_metadata,
  result,
  row,
  scope,
  selector,
  source_ip,
  sp,
  spf,
  testing,
  type,
  version,
};

// pugixml's accessors are out-of-line calls (the library is linked as a prebuilt static
// archive), and the walk makes millions of them. xml_node declares its node pointer
// protected for derived classes, so this wrapper tests it inline instead of calling
// operator bool / operator! per child.
class Node : public pugi::xml_node
{
public:
  Node() = default;
  Node(pugi::xml_node node) : pugi::xml_node(node) {}
  explicit operator bool() const { return _root != nullptr; }
  bool operator!() const { return _root == nullptr; }
  // The first child node / the next sibling node (null at the end).
  Node first() const { return first_child(); }
  Node next() const { return next_sibling(); }
};

// True when the NUL-terminated `name` equals `literal`; stops at the first difference, so
// no strlen is needed on the hot path.
bool name_is(const char* name, const char* literal)
{
  while (*literal != '\0') {
    if (*name++ != *literal++) {
      return false;
    }
  }
  return *name == '\0';
}

// An element name a container may hold, and its Tag.
struct Name
{
  const char* text;
  Tag tag;
};

// The children each container may hold (RFC 7489 Appendix C, RFC 9990 Appendix A), in the
// order reporters write them: real reports repeat one layout record after record, so the
// compare chains below predict well.
constexpr Name k_document_names[] = {{"feedback", Tag::feedback}};
constexpr Name k_feedback_names[] = {
  {"record", Tag::record},
  {"report_metadata", Tag::report_metadata},
  {"policy_published", Tag::policy_published},
  {"version", Tag::version},
};
constexpr Name k_metadata_names[] = {
  {"org_name", Tag::org_name},
  {"email", Tag::email},
  {"extra_contact_info", Tag::extra_contact_info},
  {"report_id", Tag::report_id},
  {"date_range", Tag::date_range},
  {"error", Tag::error},
  {"data_range", Tag::data_range}, // a misspelling real reporters send (kddi.com)
  {"generator", Tag::generator},
  {"version", Tag::version},
};
constexpr Name k_date_range_names[] = {{"begin", Tag::begin}, {"end", Tag::end}};
constexpr Name k_policy_names[] = {
  {"domain", Tag::domain},
  {"adkim", Tag::adkim},
  {"aspf", Tag::aspf},
  {"p", Tag::p},
  {"sp", Tag::sp},
  {"np", Tag::np},
  {"pct", Tag::pct},
  {"fo", Tag::fo},
  {"testing", Tag::testing},
  {"discovery_method", Tag::discovery_method},
};
constexpr Name k_record_names[] = {
  {"row", Tag::row},
  {"identifiers", Tag::identifiers},
  {"auth_results", Tag::auth_results},
  {"identities", Tag::identifiers}, // the pre-RFC 7489 draft schema's name for it
};
constexpr Name k_row_names[] = {
  {"source_ip", Tag::source_ip},
  {"count", Tag::count},
  {"policy_evaluated", Tag::policy_evaluated},
};
constexpr Name k_evaluated_names[] = {
  {"disposition", Tag::disposition},
  {"dkim", Tag::dkim},
  {"spf", Tag::spf},
  {"reason", Tag::reason},
};
constexpr Name k_reason_names[] = {{"type", Tag::type}, {"comment", Tag::comment}};
constexpr Name k_identifiers_names[] = {
  {"header_from", Tag::header_from},
  {"envelope_from", Tag::envelope_from},
  {"envelope_to", Tag::envelope_to},
};
constexpr Name k_auth_results_names[] = {{"dkim", Tag::dkim}, {"spf", Tag::spf}};
constexpr Name k_dkim_names[] = {
  {"domain", Tag::domain},
  {"selector", Tag::selector},
  {"result", Tag::result},
  {"human_result", Tag::human_result},
};
constexpr Name k_spf_names[] = {
  {"domain", Tag::domain},
  {"scope", Tag::scope},
  {"result", Tag::result},
  {"human_result", Tag::human_result},
};

// The Tag of `node` among `names`; a namespace prefix ("dmarc:record") is ignored. Text and
// CDATA nodes have an empty name and are `unknown`, as is any name not in `names`.
template <std::size_t N>
Tag tag_of(pugi::xml_node node, const Name (&names)[N])
{
  const char* name = node.name();
  // The first byte rules out most candidates without a call or a loop.
  for (const Name& candidate : names) {
    if (name[0] == candidate.text[0] && name_is(name + 1, candidate.text + 1)) {
      return candidate.tag;
    }
  }
  const char* colon = std::strchr(name, ':');
  if (colon == nullptr) {
    return Tag::unknown;
  }
  for (const Name& candidate : names) {
    if (name_is(colon + 1, candidate.text)) {
      return candidate.tag;
    }
  }
  return Tag::unknown;
}

// XML white space (XML 1.0 §2.3 S) plus \f and \v, as text::trim treats them.
bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// An element's text without surrounding white space, and whether it is all ASCII.
struct RawText
{
  std::string_view text;
  bool ascii = true;
};

// True when no byte of the `n` bytes at `p` has its high bit set, eight bytes at a time.
bool all_ascii(const char* p, std::size_t n)
{
  uint64_t bits = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word = 0;
    std::memcpy(&word, p, 8);
    bits |= word;
  }
  for (; n > 0; ++p, --n) {
    bits |= static_cast<unsigned char>(*p);
  }
  return (bits & 0x8080808080808080ULL) == 0;
}

// The element's text, trimmed and classified: strlen (vectorised in libc) finds the end,
// white space is trimmed from both ends, and the rest is checked eight bytes at a time.
RawText raw_text(pugi::xml_node node)
{
  const char* begin = node.child_value();
  const char* end = begin + std::strlen(begin);
  while (begin < end && is_space(*begin)) {
    ++begin;
  }
  while (end > begin && is_space(end[-1])) {
    --end;
  }
  const auto n = static_cast<std::size_t>(end - begin);
  return RawText{std::string_view(begin, n), all_ascii(begin, n)};
}

// `raw` as a UTF-8 string; the sanitiser only runs when `raw` is not valid already.
std::string to_utf8(RawText raw)
{
  if (raw.ascii || text::is_valid_utf8(raw.text)) {
    return std::string(raw.text);
  }
  return text::sanitize_utf8(raw.text);
}

// ASCII lower case, in place (result words are ASCII; other bytes are left alone).
void lower_in_place(std::string& s)
{
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
}

// Trimmed UTF-8 text ("" when empty).
std::string text_of(pugi::xml_node node)
{
  return to_utf8(raw_text(node));
}

// Trimmed UTF-8 text; nullopt when empty.
OptString opt_text_of(pugi::xml_node node)
{
  const RawText raw = raw_text(node);
  if (raw.text.empty()) {
    return std::nullopt;
  }
  return to_utf8(raw);
}

// Trimmed, lower-cased UTF-8 text: a result word such as "pass".
std::string word_of(pugi::xml_node node)
{
  std::string s = text_of(node);
  lower_in_place(s);
  return s;
}

// Trimmed, lower-cased UTF-8 text; nullopt when empty.
OptString opt_word_of(pugi::xml_node node)
{
  OptString s = opt_text_of(node);
  if (s) {
    lower_in_place(*s);
  }
  return s;
}

// `raw` quoted for an error detail, cut to k_quote_max bytes and made valid UTF-8.
std::string quote(std::string_view raw)
{
  const bool cut = raw.size() > k_quote_max;
  // Appended piecewise: `"'" + std::string` trips g++ 12's -Wrestrict false positive
  // (GCC bug 105651) in Release builds.
  std::string out = "'";
  out += text::sanitize_utf8(raw.substr(0, k_quote_max));
  out += cut ? "...'" : "'";
  return out;
}

// The first element child of `node` (or a null node). Not on the hot path.
pugi::xml_node first_element(pugi::xml_node node)
{
  pugi::xml_node child = node.first_child();
  while (child && child.type() != pugi::node_element) {
    child = child.next_sibling();
  }
  return child;
}

// The next element sibling of `node` (or a null node). Not on the hot path.
pugi::xml_node next_element(pugi::xml_node node)
{
  pugi::xml_node next = node.next_sibling();
  while (next && next.type() != pugi::node_element) {
    next = next.next_sibling();
  }
  return next;
}

// The default namespace in scope at `node` (the prefix's namespace for a prefixed name).
std::string namespace_of(pugi::xml_node node)
{
  const std::string_view name = node.name();
  const std::size_t colon = name.find(':');
  std::string attribute = "xmlns";
  if (colon != std::string_view::npos) {
    attribute += ':';
    attribute.append(name.substr(0, colon));
  }
  for (pugi::xml_node n = node; n && n.type() == pugi::node_element; n = n.parent()) {
    if (const pugi::xml_attribute a = n.attribute(attribute.c_str())) {
      return to_utf8(RawText{text::trim(a.value()), false});
    }
  }
  return {};
}

// One walk over a <feedback> element. Each read_* reads the element `node` at `depth`
// (the root is depth 1) into its argument; false means m_error is set and the walk stops.
// Children are visited with first_child/next_sibling and dispatched on tag_of(): a known
// name is always an element, so the node type is only asked for unknown names.
class AggregateWalker
{
public:
  explicit AggregateWalker(const Limits& limits) : m_limits(limits) {}

  // Reads the report from `feedback`; false on a missing field or a cap (see take_error()).
  bool read_feedback(pugi::xml_node feedback, std::size_t depth, AggregateReport& report);

  // The error after read_feedback returned false.
  Error take_error() { return std::move(*m_error); }

private:
  // Records an error (the first one wins) and returns false.
  bool fail(ErrorKind kind, std::string detail);
  // Checks an element at `depth` against max_xml_depth.
  bool enter(std::size_t depth);
  // The too-large error for max_xml_depth (kept out of the hot path).
  [[gnu::cold, gnu::noinline]] bool fail_depth();
  // Checks an element read as text, and anything nested in it (normally nothing: with
  // parse_embed_pcdata a text-only element has no child nodes).
  bool leaf(pugi::xml_node node, std::size_t depth);
  // Checks a child: a known leaf, or an unknown node and its subtree.
  bool visit(pugi::xml_node node, Tag tag, std::size_t depth);
  // Checks the depth of every element below `node` (at `depth`) without recursion.
  bool scan_below(pugi::xml_node node, std::size_t depth);
  // "record N: " for errors inside the current record.
  std::string record_prefix() const;

  bool read_metadata(pugi::xml_node node, std::size_t depth, AggregateReport& report);
  bool read_date_range(pugi::xml_node node, std::size_t depth, AggregateReport& report);
  bool read_policy(pugi::xml_node node, std::size_t depth, PolicyPublished& policy);
  bool read_record(pugi::xml_node node, std::size_t depth, AggregateRecord& record);
  bool read_row(pugi::xml_node node, std::size_t depth, AggregateRecord& record);
  bool read_evaluated(pugi::xml_node node, std::size_t depth, AggregateRecord& record);
  bool read_reason(pugi::xml_node node, std::size_t depth, AggregateRecord& record);
  bool read_identifiers(pugi::xml_node node, std::size_t depth, AggregateRecord& record);
  bool read_auth_results(pugi::xml_node node, std::size_t depth, AggregateRecord& record);
  bool read_dkim(pugi::xml_node node, std::size_t depth, DkimResult& dkim);
  bool read_spf(pugi::xml_node node, std::size_t depth, SpfResult& spf);

  const Limits& m_limits;
  std::optional<Error> m_error;
  std::size_t m_record_index = 0; // 1-based index of the record being read
  bool m_have_metadata = false;
  bool m_have_org_name = false;
  bool m_have_report_id = false;
  bool m_have_date_range = false;
  bool m_have_begin = false;
  bool m_have_end = false;
  bool m_have_policy = false;
  bool m_have_domain = false;
  bool m_have_p = false;
  bool m_have_count = false;
};

bool AggregateWalker::fail(ErrorKind kind, std::string detail)
{
  if (!m_error) {
    m_error = make_error(kind, std::move(detail));
  }
  return false;
}

bool AggregateWalker::enter(std::size_t depth)
{
  if (depth > m_limits.max_xml_depth) [[unlikely]] {
    return fail_depth();
  }
  return true;
}

bool AggregateWalker::fail_depth()
{
  return fail(ErrorKind::too_large, "XML nested deeper than "
                                      + std::to_string(m_limits.max_xml_depth)
                                      + " levels (max_xml_depth)");
}

bool AggregateWalker::leaf(pugi::xml_node node, std::size_t depth)
{
  return enter(depth) && (!Node(node).first() || scan_below(node, depth));
}

bool AggregateWalker::visit(pugi::xml_node node, Tag tag, std::size_t depth)
{
  if (tag == Tag::unknown && node.type() != pugi::node_element) {
    return true; // text or CDATA beside elements
  }
  return leaf(node, depth);
}

bool AggregateWalker::scan_below(pugi::xml_node node, std::size_t depth)
{
  pugi::xml_node current = node.first_child();
  std::size_t current_depth = depth + 1;
  while (current) {
    if (current.type() == pugi::node_element) {
      if (!enter(current_depth)) {
        return false;
      }
      if (current.first_child()) {
        current = current.first_child();
        ++current_depth;
        continue;
      }
    }
    while (!current.next_sibling()) {
      current = current.parent();
      --current_depth;
      if (current == node) {
        return true;
      }
    }
    current = current.next_sibling();
  }
  return true;
}

std::string AggregateWalker::record_prefix() const
{
  return "record " + std::to_string(m_record_index) + ": ";
}

bool AggregateWalker::read_feedback(pugi::xml_node feedback, std::size_t depth,
                                    AggregateReport& report)
{
  if (!enter(depth)) {
    return false;
  }
  // Count the records first, so the cap holds before anything is allocated for them.
  std::size_t records = 0;
  for (Node c = Node(feedback).first(); c; c = c.next()) {
    records += tag_of(c, k_feedback_names) == Tag::record ? 1 : 0;
  }
  if (records > m_limits.max_records) {
    return fail(ErrorKind::too_large, "more than " + std::to_string(m_limits.max_records)
                                        + " records (max_records)");
  }
  report.records.reserve(records);

  for (Node c = Node(feedback).first(); c; c = c.next()) {
    bool ok = true;
    switch (const Tag tag = tag_of(c, k_feedback_names)) {
    case Tag::record:
      m_record_index = report.records.size() + 1;
      ok = read_record(c, depth + 1, report.records.emplace_back());
      break;
    case Tag::report_metadata:
      m_have_metadata = true;
      ok = read_metadata(c, depth + 1, report);
      break;
    case Tag::policy_published:
      // RFC 7489 Appendix C allows one; a report that repeats it keeps the first (as
      // parsedmarc does), so the key domain does not depend on how many follow.
      ok = m_have_policy ? leaf(c, depth + 1) : read_policy(c, depth + 1, report.policy);
      m_have_policy = true;
      break;
    case Tag::version:
      ok = leaf(c, depth + 1);
      report.version = opt_text_of(c);
      break;
    default:
      ok = visit(c, tag, depth + 1);
      break;
    }
    if (!ok) {
      return false;
    }
  }

  const auto missing = [this](std::string_view what, std::string_view where) {
    return fail(ErrorKind::invalid_report,
                "missing <" + std::string(what) + "> in <" + std::string(where) + ">");
  };
  if (!m_have_metadata) {
    return missing("report_metadata", "feedback");
  }
  if (!m_have_org_name) {
    return missing("org_name", "report_metadata");
  }
  if (!m_have_report_id || report.report_id.empty()) {
    return fail(ErrorKind::invalid_report, std::string(m_have_report_id ? "empty" : "missing")
                                             + " <report_id> in <report_metadata>");
  }
  if (!m_have_date_range) {
    return missing("date_range", "report_metadata");
  }
  if (!m_have_begin) {
    return missing("begin", "date_range");
  }
  if (!m_have_end) {
    return missing("end", "date_range");
  }
  if (!m_have_policy) {
    return missing("policy_published", "feedback");
  }
  if (!m_have_domain || report.policy.domain.empty()) {
    return fail(ErrorKind::invalid_report, std::string(m_have_domain ? "empty" : "missing")
                                             + " <domain> in <policy_published>");
  }
  if (!m_have_p || report.policy.p.empty()) {
    return fail(ErrorKind::invalid_report,
                std::string(m_have_p ? "empty" : "missing") + " <p> in <policy_published>");
  }
  return true;
}

bool AggregateWalker::read_metadata(pugi::xml_node node, std::size_t depth,
                                    AggregateReport& report)
{
  if (!enter(depth)) {
    return false;
  }
  bool misspelled_range = false;
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_metadata_names);
    if (tag == Tag::date_range || (tag == Tag::data_range && !m_have_date_range)) {
      // <data_range> with <begin> and <end> is a <date_range> by another name: read it when
      // the report has no <date_range> (nothing invented: the values are the reporter's).
      misspelled_range = tag == Tag::data_range;
      m_have_date_range = true;
      if (!read_date_range(c, depth + 1, report)) {
        return false;
      }
      continue;
    }
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    switch (tag) {
    case Tag::org_name:
      m_have_org_name = true;
      report.org_name = text_of(c);
      break;
    case Tag::email:
      report.email = opt_text_of(c);
      break;
    case Tag::extra_contact_info:
      report.extra_contact_info = opt_text_of(c);
      break;
    case Tag::report_id:
      m_have_report_id = true;
      report.report_id = text_of(c);
      break;
    case Tag::generator:
      report.generator = opt_text_of(c);
      break;
    case Tag::error:
      if (OptString error = opt_text_of(c)) {
        report.errors.push_back(std::move(*error));
      }
      break;
    case Tag::version: // some reporters put it here instead of in <feedback>
      if (!report.version) {
        report.version = opt_text_of(c);
      }
      break;
    default:
      break;
    }
  }
  if (misspelled_range) {
    report.recovered = true;
    report.notes.push_back("<data_range> read as <date_range>");
  }
  return true;
}

bool AggregateWalker::read_date_range(pugi::xml_node node, std::size_t depth,
                                      AggregateReport& report)
{
  if (!enter(depth)) {
    return false;
  }
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_date_range_names);
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    if (tag != Tag::begin && tag != Tag::end) {
      continue;
    }
    const std::string_view raw = raw_text(c).text;
    const std::optional<int64_t> value = text::parse_i64(raw);
    const bool begin = tag == Tag::begin;
    if (!value) {
      return fail(ErrorKind::invalid_report, std::string("invalid <") + (begin ? "begin" : "end")
                                               + "> in <date_range>: " + quote(raw));
    }
    (begin ? report.begin : report.end) = *value;
    (begin ? m_have_begin : m_have_end) = true;
  }
  return true;
}

bool AggregateWalker::read_policy(pugi::xml_node node, std::size_t depth, PolicyPublished& policy)
{
  if (!enter(depth)) {
    return false;
  }
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_policy_names);
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    switch (tag) {
    case Tag::domain:
      m_have_domain = true;
      policy.domain = text_of(c);
      break;
    case Tag::adkim:
      policy.adkim = opt_word_of(c);
      break;
    case Tag::aspf:
      policy.aspf = opt_word_of(c);
      break;
    case Tag::p:
      m_have_p = true;
      policy.p = word_of(c);
      break;
    case Tag::sp:
      policy.sp = opt_word_of(c);
      break;
    case Tag::np:
      policy.np = opt_word_of(c);
      break;
    case Tag::pct: {
      const std::string_view raw = raw_text(c).text;
      const std::optional<int64_t> pct = raw.empty() ? std::nullopt : text::parse_i64(raw);
      if (!raw.empty() && !pct) {
        return fail(ErrorKind::invalid_report,
                    "invalid <pct> in <policy_published>: " + quote(raw));
      }
      policy.pct = pct;
      break;
    }
    case Tag::fo:
      policy.fo = opt_text_of(c);
      break;
    case Tag::testing:
      policy.testing = opt_word_of(c);
      break;
    case Tag::discovery_method:
      policy.discovery_method = opt_word_of(c);
      break;
    default:
      break;
    }
  }
  return true;
}

bool AggregateWalker::read_record(pugi::xml_node node, std::size_t depth, AggregateRecord& record)
{
  if (!enter(depth)) {
    return false;
  }
  m_have_count = false;
  for (Node c = Node(node).first(); c; c = c.next()) {
    bool ok = true;
    switch (const Tag tag = tag_of(c, k_record_names)) {
    case Tag::row:
      ok = read_row(c, depth + 1, record);
      break;
    case Tag::identifiers:
      ok = read_identifiers(c, depth + 1, record);
      break;
    case Tag::auth_results:
      ok = read_auth_results(c, depth + 1, record);
      break;
    default:
      ok = visit(c, tag, depth + 1);
      break;
    }
    if (!ok) {
      return false;
    }
  }
  if (!m_have_count) {
    return fail(ErrorKind::invalid_report, record_prefix() + "missing <count> in <row>");
  }
  return true;
}

bool AggregateWalker::read_row(pugi::xml_node node, std::size_t depth, AggregateRecord& record)
{
  if (!enter(depth)) {
    return false;
  }
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_row_names);
    if (tag == Tag::policy_evaluated) {
      if (!read_evaluated(c, depth + 1, record)) {
        return false;
      }
      continue;
    }
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    if (tag == Tag::source_ip) {
      record.source_ip = word_of(c); // IPv6 hex digits in lower case
    } else if (tag == Tag::count) {
      const std::string_view raw = raw_text(c).text;
      const std::optional<uint64_t> count = text::parse_u64(raw);
      if (!count) {
        return fail(ErrorKind::invalid_report,
                    record_prefix() + "invalid <count> in <row>: " + quote(raw));
      }
      record.count = *count;
      m_have_count = true;
    }
  }
  return true;
}

bool AggregateWalker::read_evaluated(pugi::xml_node node, std::size_t depth,
                                     AggregateRecord& record)
{
  if (!enter(depth)) {
    return false;
  }
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_evaluated_names);
    if (tag == Tag::reason) {
      if (!read_reason(c, depth + 1, record)) {
        return false;
      }
      continue;
    }
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    switch (tag) {
    case Tag::disposition:
      record.disposition = word_of(c);
      break;
    case Tag::dkim:
      record.dkim = word_of(c);
      break;
    case Tag::spf:
      record.spf = word_of(c);
      break;
    default:
      break;
    }
  }
  return true;
}

bool AggregateWalker::read_reason(pugi::xml_node node, std::size_t depth, AggregateRecord& record)
{
  if (!enter(depth)) {
    return false;
  }
  PolicyOverrideReason reason;
  bool has_elements = false;
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_reason_names);
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    has_elements = has_elements || c.type() == pugi::node_element;
    if (tag == Tag::type) {
      reason.type = word_of(c);
    } else if (tag == Tag::comment) {
      reason.comment = opt_text_of(c);
    }
  }
  // rspamd (1.7 to 1.9) wrote the type as the element's text: `<reason>sampled_out</reason>`.
  if (!has_elements) {
    reason.type = word_of(node);
  }
  // `<reason><type/><comment/></reason>` (seen in the wild) says nothing: skip it.
  if (!reason.type.empty()) {
    record.reasons.push_back(std::move(reason));
  }
  return true;
}

bool AggregateWalker::read_identifiers(pugi::xml_node node, std::size_t depth,
                                       AggregateRecord& record)
{
  if (!enter(depth)) {
    return false;
  }
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_identifiers_names);
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    switch (tag) {
    case Tag::header_from:
      record.header_from = text_of(c);
      break;
    case Tag::envelope_from:
      record.envelope_from = opt_text_of(c);
      break;
    case Tag::envelope_to:
      record.envelope_to = opt_text_of(c);
      break;
    default:
      break;
    }
  }
  return true;
}

bool AggregateWalker::read_auth_results(pugi::xml_node node, std::size_t depth,
                                        AggregateRecord& record)
{
  if (!enter(depth)) {
    return false;
  }
  for (Node c = Node(node).first(); c; c = c.next()) {
    bool ok = true;
    switch (const Tag tag = tag_of(c, k_auth_results_names)) {
    case Tag::dkim:
      // Reporters that sign with two keys (the domain's and the ESP's) are common: room
      // for two up front saves growing the vector from one to two.
      if (record.dkim_results.empty()) {
        record.dkim_results.reserve(2);
      }
      ok = read_dkim(c, depth + 1, record.dkim_results.emplace_back());
      break;
    case Tag::spf:
      ok = read_spf(c, depth + 1, record.spf_results.emplace_back());
      break;
    default:
      ok = visit(c, tag, depth + 1);
      break;
    }
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool AggregateWalker::read_dkim(pugi::xml_node node, std::size_t depth, DkimResult& dkim)
{
  if (!enter(depth)) {
    return false;
  }
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_dkim_names);
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    switch (tag) {
    case Tag::domain:
      dkim.domain = text_of(c);
      break;
    case Tag::selector:
      dkim.selector = opt_text_of(c);
      break;
    case Tag::result:
      dkim.result = word_of(c);
      break;
    case Tag::human_result:
      dkim.human_result = opt_text_of(c);
      break;
    default:
      break;
    }
  }
  return true;
}

bool AggregateWalker::read_spf(pugi::xml_node node, std::size_t depth, SpfResult& spf)
{
  if (!enter(depth)) {
    return false;
  }
  for (Node c = Node(node).first(); c; c = c.next()) {
    const Tag tag = tag_of(c, k_spf_names);
    if (!visit(c, tag, depth + 1)) {
      return false;
    }
    switch (tag) {
    case Tag::domain:
      spf.domain = text_of(c);
      break;
    case Tag::scope:
      spf.scope = opt_word_of(c);
      break;
    case Tag::result:
      spf.result = word_of(c);
      break;
    case Tag::human_result:
      spf.human_result = opt_text_of(c);
      break;
    default:
      break;
    }
  }
  return true;
}

// max_xml_elements, checked before parsing so node memory stays bounded: an element takes at
// least 4 bytes, so only a document larger than 4 bytes per allowed element can exceed the
// cap, and only such a document has its start tags ('<' not followed by '/', '!' or '?', an
// upper bound of the elements) counted.
std::optional<Error> precount_elements(std::string_view document, const Limits& limits)
{
  if (document.size() / 4 <= limits.max_xml_elements) {
    return std::nullopt;
  }
  std::size_t starts = 0;
  for (std::size_t lt = document.find('<'); lt != std::string_view::npos;
       lt = document.find('<', lt + 1)) {
    const char next = lt + 1 < document.size() ? document[lt + 1] : '\0';
    if (next != '/' && next != '!' && next != '?' && ++starts > limits.max_xml_elements) {
      return make_error(ErrorKind::too_large, "more than "
                                                + std::to_string(limits.max_xml_elements)
                                                + " XML elements (max_xml_elements)");
    }
  }
  return std::nullopt;
}

// The report in a parsed document. A root that is not <feedback> but has a <feedback> child
// (a closed wrapper element) is unwrapped and counts as recovered.
Result<AggregateReport> read_document(const pugi::xml_document& xml, const Limits& limits,
                                      bool recovered)
{
  const pugi::xml_node root = xml.document_element();
  pugi::xml_node feedback = root;
  std::size_t depth = 1;
  if (tag_of(root, k_document_names) != Tag::feedback) {
    feedback = first_element(root);
    while (feedback && tag_of(feedback, k_document_names) != Tag::feedback) {
      feedback = next_element(feedback);
    }
    if (!feedback) {
      const std::string_view name = root.name();
      return make_error(ErrorKind::invalid_report,
                        "root element is <" + text::sanitize_utf8(name.substr(0, k_quote_max))
                          + ">, expected <feedback>");
    }
    depth = 2;
    recovered = true;
  }
  // Two reports written into one file (concatenated documents): pugixml takes them as two
  // top-level elements. Reading only the first would drop the second without a word.
  for (pugi::xml_node next = next_element(feedback); next; next = next_element(next)) {
    if (tag_of(next, k_document_names) == Tag::feedback) {
      return make_error(ErrorKind::invalid_report,
                        "more than one <feedback> in the document (concatenated reports)");
    }
  }
  AggregateReport report;
  AggregateWalker walker(limits);
  if (!walker.read_feedback(feedback, depth, report)) {
    return walker.take_error();
  }
  report.xml_namespace = namespace_of(feedback);
  report.recovered = report.recovered || recovered; // or a repair while reading (<data_range>)
  return report;
}

// The original bytes of the document, for the repair path: pugixml's in-place parse
// overwrites the buffer. Fresh pages for a copy cost more than the whole parse (each page
// faults and is zeroed), so the copy goes to a per-thread buffer that is reused from call to
// call; a buffer grown past k_backup_keep_bytes is released again, so a rare huge document
// does not pin its size for the life of the thread.
class BackupCopy
{
public:
  explicit BackupCopy(std::string_view document) { buffer().assign(document); }
  ~BackupCopy()
  {
    if (buffer().capacity() > k_backup_keep_bytes) {
      std::string().swap(buffer());
    }
  }
  BackupCopy(const BackupCopy&) = delete;
  BackupCopy& operator=(const BackupCopy&) = delete;

  // The copied bytes, valid while this object lives.
  std::string_view bytes() const { return buffer(); }

private:
  static std::string& buffer()
  {
    thread_local std::string t_buffer;
    return t_buffer;
  }
};

// The labels the WHATWG Encoding Standard (§4.2) maps to windows-1252, lower case.
constexpr std::string_view k_windows_1252_labels[] = {
  "ansi_x3.4-1968", "ascii",      "cp1252",          "cp819",        "csisolatin1",
  "ibm819",         "iso-8859-1", "iso-ir-100",      "iso8859-1",    "iso88591",
  "iso_8859-1",     "iso_8859-1:1987", "l1",         "latin1",       "us-ascii",
  "windows-1252",   "x-cp1252",
};

// True when `document` starts with an XML declaration (XML 1.0 §2.8, §4.3.3) whose encoding
// is one of k_windows_1252_labels. Only an ASCII declaration at the start counts: a BOM
// or UTF-16 bytes say the encoding themselves.
bool declares_windows_1252(std::string_view document)
{
  std::size_t i = 0;
  while (i < document.size() && is_space(document[i])) {
    ++i;
  }
  if (document.substr(i, 5) != "<?xml") {
    return false;
  }
  const std::string_view head = document.substr(i, 256);
  const std::size_t close = head.find("?>");
  if (close == std::string_view::npos) {
    return false;
  }
  const std::string_view declaration = head.substr(0, close);
  std::size_t p = declaration.find("encoding");
  if (p == std::string_view::npos) {
    return false;
  }
  p += 8;
  while (p < declaration.size() && is_space(declaration[p])) {
    ++p;
  }
  if (p >= declaration.size() || declaration[p] != '=') {
    return false;
  }
  ++p;
  while (p < declaration.size() && is_space(declaration[p])) {
    ++p;
  }
  if (p >= declaration.size() || (declaration[p] != '"' && declaration[p] != '\'')) {
    return false;
  }
  const std::size_t end = declaration.find(declaration[p], p + 1);
  if (end == std::string_view::npos) {
    return false;
  }
  const std::string label = text::to_lower(declaration.substr(p + 1, end - p - 1));
  for (const std::string_view known : k_windows_1252_labels) {
    if (label == known) {
      return true;
    }
  }
  return false;
}

// windows-1252 bytes as UTF-8: 0x80-0x9F through the WHATWG index (its five unassigned bytes
// map to the C1 code point of the same value, as WHATWG does), 0xA0-0xFF as Latin-1.
std::string windows_1252_to_utf8(std::string_view bytes)
{
  static constexpr char16_t k_c1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
  };
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    const unsigned code = byte >= 0x80 && byte < 0xA0 ? k_c1[byte - 0x80] : byte;
    if (code < 0x80) {
      out += c;
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  return out;
}

// "XML parse error at offset N: <pugixml's description>" as an invalid-report error.
Error parse_error(const pugi::xml_parse_result& parsed)
{
  return make_error(ErrorKind::invalid_report, "XML parse error at offset "
                                                 + std::to_string(parsed.offset) + ": "
                                                 + parsed.description());
}

} // namespace

Result<AggregateReport> parse_aggregate(std::string& document, const Limits& limits)
{
  if (document.empty()) {
    return make_error(ErrorKind::empty, "empty document");
  }
  // pugixml knows UTF-8/16/32 and Latin-1 only, and would read a declared windows-1252 as
  // UTF-8 (every accented letter U+FFFD) and a declared ISO-8859-1 that holds windows-1252
  // bytes (as most do) with C1 controls for "€" and quotes. Such a document is converted
  // here; one that is valid UTF-8 despite its declaration is read as the UTF-8 it is.
  pugi::xml_encoding encoding = pugi::encoding_auto;
  if (declares_windows_1252(document)) {
    if (!text::is_valid_utf8(document)) {
      document = windows_1252_to_utf8(document);
    }
    encoding = pugi::encoding_utf8;
  }
  if (auto error = precount_elements(document, limits)) {
    return std::move(*error);
  }
  const BackupCopy backup(document);
  const std::string_view original = backup.bytes();
  pugi::xml_document xml;
  const pugi::xml_parse_result parsed =
    xml.load_buffer_inplace(document.data(), document.size(), k_parse_options, encoding);
  if (parsed) {
    return read_document(xml, limits, false);
  }

  // Repair runs only now, on the original bytes; its own errors never hide the parser's.
  XmlRepair repair = repair_aggregate_xml(original);
  switch (repair.outcome) {
  case RepairOutcome::truncated:
    return make_error(ErrorKind::invalid_report, "document truncated: no </feedback>");
  case RepairOutcome::no_feedback:
  case RepairOutcome::unrepairable:
    return parse_error(parsed);
  case RepairOutcome::repaired:
    break;
  }
  pugi::xml_document repaired;
  if (!repaired.load_buffer_inplace(repair.xml.data(), repair.xml.size(), k_parse_options,
                                    encoding)) {
    return parse_error(parsed);
  }
  return read_document(repaired, limits, true);
}

} // namespace dmarc::formats
