// ② mime: the walk over the parts of one message and the rules that pick the report
// attachments (see extract.hpp for the why).
//
// The walk uses an explicit stack, so nesting costs no C++ stack, and checks
// max_mime_parts / max_mime_depth as parts are found, so a hostile message is refused
// after at most max_mime_parts + 1 parts. Entities are views into `message`; a part is
// decoded (base64 / quoted-printable, mimetic's codecs) only to sniff its first bytes or
// when it is returned. The only other copy is the decoded body of a message/rfc822 part
// that was (against RFC 2046 §5.2.1) transfer-encoded.
#include "mime/extract.hpp"

#include "core/text.hpp"
#include "mime/entity.hpp"
#include "mime/failure.hpp"
#include "mime/transfer.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <exception>
#include <new>
#include <optional>

namespace dmarc::mime {

namespace {

constexpr std::size_t k_none = static_cast<std::size_t>(-1);

// Enough decoded bytes to see gzip/zip magic or "<?xml"/"<feedback" after a BOM and
// some white space.
constexpr std::size_t k_sniff_bytes = 512;

// Declared types that carry a report (RFC 7489 §7.2.1.1, RFC 8460 §5.3, and practice).
constexpr std::array<std::string_view, 12> k_report_types = {
  "application/zip",
  "application/x-zip-compressed",
  "application/x-zip",
  "application/gzip",
  "application/x-gzip",
  "application/x-gunzip",
  "application/xml",
  "text/xml",
  "application/tlsrpt+gzip",
  "application/tlsrpt+json",
  "application/json",
  "application/octet-stream",
};

// Decoded bytes of an ARF part read for its Feedback-Type, and of a text part looked at for
// the plain-text failure report form.
constexpr std::size_t k_arf_bytes = 64u << 10;
constexpr std::size_t k_text_report_bytes = 64u << 10;

constexpr std::array<std::string_view, 4> k_report_suffixes = {".xml", ".gz", ".zip", ".json"};

// Subject phrases of failure (RUF) reports without an ARF part (exim, Netease, ...).
constexpr std::array<std::string_view, 2> k_failure_subjects = {"DMARC Forensic Report",
                                                                "Failure Report"};

struct Node
{
  Entity entity;
  std::size_t depth = 0;
  std::size_t message = 0;             // the message this part belongs to (itself for one)
  std::size_t parent_message = k_none; // for a message: the message that contains it
  bool in_digest = false;              // default type message/rfc822 (RFC 2046 §5.1.5)
};

struct Candidate
{
  std::size_t node = 0;
  std::string content_type;
  std::string filename;
  Encoding encoding = Encoding::identity;
  std::optional<std::string> decoded; // already decoded while sniffing
};

bool starts_with(std::string_view s, std::string_view prefix)
{
  return s.substr(0, prefix.size()) == prefix;
}

bool istarts_with(std::string_view s, std::string_view prefix)
{
  return text::iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix)
{
  return s.size() >= suffix.size() && text::iequals(s.substr(s.size() - suffix.size()), suffix);
}

bool has_report_type(std::string_view type)
{
  for (const std::string_view t : k_report_types) {
    if (type == t) {
      return true;
    }
  }
  return false;
}

bool has_report_name(std::string_view filename)
{
  for (const std::string_view suffix : k_report_suffixes) {
    if (iends_with(filename, suffix)) {
      return true;
    }
  }
  return false;
}

// `s` after a UTF-8 BOM and ASCII white space.
std::string_view skip_bom_and_space(std::string_view s)
{
  if (starts_with(s, "\xEF\xBB\xBF")) {
    s.remove_prefix(3);
  }
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'
                        || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  return s;
}

bool has_report_magic(std::string_view prefix)
{
  if (starts_with(prefix, "\x1f\x8b") || starts_with(prefix, std::string_view("PK\x03\x04", 4))) {
    return true;
  }
  const std::string_view text = skip_bom_and_space(prefix);
  return istarts_with(text, "<?xml") || starts_with(text, "<feedback");
}

// True when an identity-encoded body is base64 text of a gzip or zip ("H4sI" / "UEsDB" are
// the base64 of their magic bytes): a sender that forgot Content-Transfer-Encoding. Raw
// gzip or zip bytes never start like that.
bool is_unlabelled_base64_archive(std::string_view body)
{
  const std::string_view text = skip_bom_and_space(body.substr(0, k_sniff_bytes));
  return starts_with(text, "H4sI") || starts_with(text, "UEsDB");
}

bool is_failure_subject(std::string_view subject)
{
  for (const std::string_view phrase : k_failure_subjects) {
    if (text::icontains(subject, phrase)) {
      return true;
    }
  }
  return false;
}

// "<id@host> (comment)" → "id@host".
std::string strip_message_id(std::string_view value)
{
  const std::size_t open = value.find('<');
  const std::size_t close = open == std::string_view::npos ? open : value.find('>', open);
  if (close != std::string_view::npos) {
    return std::string(text::trim(value.substr(open + 1, close - open - 1)));
  }
  return std::string(text::trim(value));
}

std::string field_or_empty(std::string_view header, std::string_view name)
{
  return header_field(header, name).value_or(std::string());
}

// The file name of a part: Content-Disposition filename, else Content-Type name, with
// RFC 2047 encoded words decoded; "" when it has none.
std::string filename_of(const Entity& entity, const FieldValue& type)
{
  const FieldValue disposition =
    parse_field_value(field_or_empty(entity.header, "content-disposition"));
  std::string filename = disposition.param("filename");
  if (filename.empty()) {
    filename = type.param("name");
  }
  if (filename.find("=?") != std::string::npos) {
    filename = decode_encoded_words(filename);
  }
  return filename;
}

class Walker
{
public:
  explicit Walker(const Limits& limits) : m_limits(limits) {}

  // Walks every part of `message`, collecting candidates and ARF parts.
  Result<void> walk(std::string_view message);

  // The result after walk(): headers, failure verdict, decoded candidates.
  Extracted finish();

private:
  Result<void> visit(std::size_t index, std::vector<std::size_t>& stack);
  Result<void> add_parts(std::size_t count, std::size_t depth);
  void classify_leaf(std::size_t index, const FieldValue& type, Encoding encoding);
  bool is_forensic_message(std::size_t index) const;

  const Limits& m_limits;
  std::vector<Node> m_nodes;
  std::vector<Candidate> m_candidates;
  std::vector<std::size_t> m_feedback_messages; // messages holding an auth-failure ARF part
  std::vector<std::size_t> m_other_feedback;    // messages holding an ARF part of another type
  std::vector<std::size_t> m_text_forensic;     // messages with a plain-text failure report part
  std::vector<std::size_t> m_bounces;           // messages holding a message/delivery-status
  std::string m_other_feedback_type;            // the first such type
  std::deque<std::string> m_owned;              // decoded message/rfc822 bodies
  std::size_t m_parts = 0;                      // parts below the top-level message
};

Result<void> Walker::walk(std::string_view message)
{
  m_nodes.push_back(Node{split_entity(message, MboxLine::skip), 0, 0, k_none, false});
  std::vector<std::size_t> stack{0};
  while (!stack.empty()) {
    const std::size_t index = stack.back();
    stack.pop_back();
    if (auto r = visit(index, stack); !r) {
      return r;
    }
  }
  return {};
}

Result<void> Walker::add_parts(std::size_t count, std::size_t depth)
{
  if (depth > m_limits.max_mime_depth) {
    return make_error(ErrorKind::too_large, "MIME nesting deeper than "
                                              + std::to_string(m_limits.max_mime_depth)
                                              + " levels (max_mime_depth)");
  }
  m_parts += count;
  if (m_parts > m_limits.max_mime_parts) {
    return make_error(ErrorKind::too_large, "more than " + std::to_string(m_limits.max_mime_parts)
                                              + " MIME parts (max_mime_parts)");
  }
  return {};
}

Result<void> Walker::visit(std::size_t index, std::vector<std::size_t>& stack)
{
  // Copies, not references: m_nodes grows below.
  const Entity entity = m_nodes[index].entity;
  const std::size_t depth = m_nodes[index].depth;
  const std::size_t message = m_nodes[index].message;

  FieldValue type = parse_field_value(field_or_empty(entity.header, "content-type"));
  if (type.value.find('/') == std::string::npos) {
    type.value = m_nodes[index].in_digest ? "message/rfc822" : "text/plain"; // RFC 2045 §5.2
  }
  const Encoding encoding =
    parse_encoding(field_or_empty(entity.header, "content-transfer-encoding"));

  if (starts_with(type.value, "multipart/")) {
    const std::size_t allowance = m_limits.max_mime_parts - std::min(m_parts, m_limits.max_mime_parts);
    MultipartBody body = split_multipart(entity.body, type.param("boundary"), allowance);
    if (body.parts.empty()) {
      // No boundary parameter, or one that does not match the body.
      const std::string_view guess = guess_boundary(entity.body);
      if (!guess.empty() && guess != type.param("boundary")) {
        body = split_multipart(entity.body, guess, allowance);
      }
    }
    if (!body.parts.empty()) {
      if (auto r = add_parts(body.parts.size(), depth + 1); !r) {
        return r;
      }
      const bool digest = type.value == "multipart/digest";
      const std::size_t first = m_nodes.size();
      for (const std::string_view part : body.parts) {
        m_nodes.push_back(Node{split_entity(part), depth + 1, message, k_none, digest});
      }
      for (std::size_t i = m_nodes.size(); i > first; --i) {
        stack.push_back(i - 1); // reversed, so parts are visited in message order
      }
      return {};
    }
    // Not a single delimiter: treat the body as one leaf (sniffed below).
  }

  // A mail forwarded "as attachment" by clients that send it as a file (octet-stream or
  // text/plain named *.eml) is a message/rfc822 part all the same.
  const bool attached_mail =
    iends_with(filename_of(entity, type), ".eml")
    && looks_like_message(decode_transfer(entity.body, encoding, k_sniff_bytes));
  if (type.value == "message/rfc822" || type.value == "message/global" || attached_mail) {
    if (auto r = add_parts(1, depth + 1); !r) {
      return r;
    }
    std::string_view inner = entity.body;
    if (encoding != Encoding::identity) {
      m_owned.push_back(decode_transfer(inner, encoding));
      inner = m_owned.back();
    }
    const std::size_t child = m_nodes.size();
    m_nodes.push_back(Node{split_entity(inner), depth + 1, child, message, false});
    stack.push_back(child);
    return {};
  }

  if (type.value == "message/feedback-report") {
    // Only auth-failure is a DMARC failure report (RFC 6591 §3); abuse, fraud, virus, ...
    // are complaints of other kinds (RFC 5965 §7.3).
    const std::string type_name =
      arf_feedback_type(decode_transfer(entity.body, encoding, k_arf_bytes));
    if (type_name == "auth-failure") {
      m_feedback_messages.push_back(message);
    } else {
      m_other_feedback.push_back(message);
      if (m_other_feedback_type.empty()) {
        m_other_feedback_type = type_name.empty() ? std::string("(none)") : type_name;
      }
    }
    return {};
  }
  if (type.value == "message/delivery-status" || type.value == "message/global-delivery-status") {
    m_bounces.push_back(message);
    return {};
  }
  if (starts_with(type.value, "message/") || type.value == "text/rfc822-headers") {
    return {}; // delivery-status, disposition-notification, headers of a failure copy
  }
  classify_leaf(index, type, encoding);
  return {};
}

void Walker::classify_leaf(std::size_t index, const FieldValue& type, Encoding encoding)
{
  const Entity& entity = m_nodes[index].entity;
  Candidate candidate{index, type.value, filename_of(entity, type), encoding, std::nullopt};
  if (has_report_type(type.value) || has_report_name(candidate.filename)) {
    if (encoding == Encoding::identity && is_unlabelled_base64_archive(entity.body)) {
      candidate.encoding = Encoding::base64;
    }
    m_candidates.push_back(std::move(candidate));
    return;
  }
  // Anything else (text/plain, text/html, images, ...) only when its content is a
  // report: magic bytes, or a report pasted inline as XML or TLS-RPT JSON.
  const std::string prefix = decode_transfer(entity.body, encoding, k_sniff_bytes);
  if (type.value == "text/plain"
      && is_text_failure_report(decode_transfer(entity.body, encoding, k_text_report_bytes))) {
    m_text_forensic.push_back(m_nodes[index].message);
  }
  if (has_report_magic(prefix)) {
    m_candidates.push_back(std::move(candidate));
    return;
  }
  if (starts_with(skip_bom_and_space(prefix), "{")) {
    std::string content = decode_transfer(entity.body, encoding);
    if (text::icontains(content, "\"organization-name\"")) {
      candidate.decoded = std::move(content);
      m_candidates.push_back(std::move(candidate));
    }
  }
}

// A failure report without an auth-failure ARF part: a message with no ARF part of another
// type and no delivery status (a bounce is not a report, whatever its subject quotes) that is
// a multipart/report of report-type feedback-report (RFC 6591 §3), or whose subject says so
// and which carries the plain-text form (failure.hpp). The subject alone is not enough.
bool Walker::is_forensic_message(std::size_t index) const
{
  const auto holds = [index](const std::vector<std::size_t>& messages) {
    return std::find(messages.begin(), messages.end(), index) != messages.end();
  };
  if (holds(m_other_feedback) || holds(m_bounces)) {
    return false;
  }
  const std::string_view header = m_nodes[index].entity.header;
  const FieldValue type = parse_field_value(field_or_empty(header, "content-type"));
  if (type.value == "multipart/report"
      && text::iequals(type.param("report-type"), "feedback-report")) {
    return true;
  }
  return is_failure_subject(field_or_empty(header, "subject")) && holds(m_text_forensic);
}

Extracted Walker::finish()
{
  Extracted out;
  const std::string_view header = m_nodes[0].entity.header;
  out.message_id = strip_message_id(field_or_empty(header, "message-id"));
  out.subject = decode_encoded_words(field_or_empty(header, "subject"));
  out.from = decode_encoded_words(field_or_empty(header, "from"));
  out.date = field_or_empty(header, "date");

  // A message is a failure report when it holds an ARF part, or looks like one and has
  // no report attachment of its own. Nothing inside a failure report is returned: the
  // message/rfc822 copy it carries is the spoofed mail, its attachments are not reports.
  std::vector<bool> failure(m_nodes.size(), false);
  // A failure report returned inside a bounce is the bounce's copy, not a report to us.
  const auto in_bounce = [this](std::size_t message) {
    for (std::size_t m = m_nodes[message].parent_message; m != k_none;
         m = m_nodes[m].parent_message) {
      if (std::find(m_bounces.begin(), m_bounces.end(), m) != m_bounces.end()) {
        return true;
      }
    }
    return false;
  };
  for (const std::size_t message : m_feedback_messages) {
    failure[message] = !in_bounce(message);
  }
  for (std::size_t i = 0; i < m_nodes.size(); ++i) {
    if (m_nodes[i].message != i || failure[i] || !is_forensic_message(i) || in_bounce(i)) {
      continue;
    }
    const bool has_own = std::any_of(m_candidates.begin(), m_candidates.end(), [&](const auto& c) {
      return m_nodes[c.node].message == i;
    });
    failure[i] = !has_own;
  }
  out.is_failure_report = std::find(failure.begin(), failure.end(), true) != failure.end();
  if (!out.is_failure_report) {
    out.other_feedback_type = m_other_feedback_type;
  }

  for (Candidate& candidate : m_candidates) {
    bool inside_failure = false;
    for (std::size_t m = m_nodes[candidate.node].message; m != k_none && !inside_failure;
         m = m_nodes[m].parent_message) {
      inside_failure = failure[m];
    }
    if (inside_failure) {
      continue;
    }
    Attachment attachment;
    attachment.content_type = std::move(candidate.content_type);
    attachment.filename = std::move(candidate.filename);
    attachment.bytes = candidate.decoded
                         ? std::move(*candidate.decoded)
                         : decode_transfer(m_nodes[candidate.node].entity.body, candidate.encoding);
    out.attachments.push_back(std::move(attachment));
  }
  return out;
}

} // namespace

bool looks_like_message(std::string_view bytes)
{
  if (starts_with(bytes, "From ")) {
    const std::size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      return false;
    }
    bytes.remove_prefix(nl + 1);
  }
  // '<' and '{' are legal in a field name, but this is XML or JSON.
  if (bytes.empty() || bytes.front() == '<' || bytes.front() == '{' || bytes.front() == '[') {
    return false;
  }
  return is_field_line(bytes); // stops at the first character that is not ftext
}

Result<Extracted> extract(std::string_view message, const Limits& limits)
{
  if (message.empty()) {
    return make_error(ErrorKind::empty, "empty message");
  }
  if (message.size() > limits.max_message_bytes) {
    return make_error(ErrorKind::too_large, "message of " + std::to_string(message.size())
                                              + " bytes exceeds "
                                              + std::to_string(limits.max_message_bytes)
                                              + " bytes (max_message_bytes)");
  }
  if (!looks_like_message(message)) {
    return make_error(ErrorKind::not_a_report,
                      "not an RFC 5322 message: it does not start with a header field");
  }
  try {
    Walker walker(limits);
    if (auto r = walker.walk(message); !r) {
      return r.error();
    }
    return walker.finish();
  } catch (const std::bad_alloc&) {
    return make_error(ErrorKind::too_large, "out of memory while decoding the message");
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, std::string("MIME decoding failed: ") + e.what());
  }
}

} // namespace dmarc::mime
