// ② mime: failure (RUF) report fields out of a report mail (see failure.hpp for the why).
//
// The walk is the one of extract.cpp in small: an explicit stack over the parts, bounded by
// max_mime_parts / max_mime_depth, entities as views into the message. It notes, per
// enclosed message, its ARF parts, its sample (message/rfc822 child or text/rfc822-headers
// part) and its text parts; the report is the first auth-failure ARF part with the sample of
// the same message, else the first plain-text form.
#include "mime/failure.hpp"

#include "core/text.hpp"
#include "mime/entity.hpp"
#include "mime/transfer.hpp"

#include <array>
#include <deque>
#include <cstdio>
#include <exception>
#include <functional>
#include <new>

namespace dmarc::mime {

namespace {

constexpr std::size_t k_none = static_cast<std::size_t>(-1);

// Decoded bytes of a text part looked at for the plain-text form.
constexpr std::size_t k_text_bytes = 256u << 10;

std::string field_or_empty(std::string_view header, std::string_view name)
{
  return header_field(header, name).value_or(std::string());
}

// Calls fn(name, value) for each "Name: value" field of a header-like block, values
// unfolded and trimmed. Lines that are no field and no continuation are skipped.
void for_each_field(std::string_view block,
                    const std::function<void(std::string_view, std::string)>& fn)
{
  std::string name;
  std::string value;
  bool open = false;
  const auto flush = [&] {
    if (open) {
      fn(name, std::string(text::trim(value)));
    }
    open = false;
  };
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t end = block.find('\n', pos);
    if (end == std::string_view::npos) {
      end = block.size();
    }
    std::string_view line = block.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (open) {
        value += ' ';
        value += text::trim(line);
      }
      continue;
    }
    flush();
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || !is_field_line(line)) {
      continue;
    }
    name = std::string(text::trim(line.substr(0, colon)));
    value = std::string(line.substr(colon + 1));
    open = true;
  }
  flush();
}

// Header text for storage: encoded words decoded, valid UTF-8.
std::string decoded(std::string_view value)
{
  std::string out = value.find("=?") != std::string_view::npos ? decode_encoded_words(value)
                                                                : std::string(value);
  return text::sanitize_utf8(text::trim(out));
}

OptString opt_decoded(std::string_view header, std::string_view name)
{
  auto value = header_field(header, name);
  if (!value) {
    return std::nullopt;
  }
  return decoded(*value);
}

// "<id@host> (comment)" → "id@host".
std::string strip_angle(std::string_view value)
{
  const std::size_t open = value.find('<');
  const std::size_t close = open == std::string_view::npos ? open : value.find('>', open);
  if (close != std::string_view::npos) {
    return std::string(text::trim(value.substr(open + 1, close - open - 1)));
  }
  return std::string(text::trim(value));
}

// The addr-spec of a From value, lower case: "Name <a@b>" → "a@b".
std::string address_of(std::string_view value)
{
  return text::to_lower(strip_angle(value));
}

OptString non_empty(std::string value)
{
  if (value.empty()) {
    return std::nullopt;
  }
  return value;
}

struct Node
{
  Entity entity;
  std::size_t depth = 0;
  std::size_t message = 0;             // the message this part belongs to (itself for one)
  bool in_digest = false;
};

struct Found
{
  std::size_t node = 0;
  std::size_t message = 0;             // the message the part belongs to
  std::string type;                    // content type, lower case
  Encoding encoding = Encoding::identity;
  std::string_view raw;                // message/rfc822: the whole enclosed message
};

// Keys of the plain-text form ("  Sender IP Address: 203.0.113.68").
constexpr std::array<std::string_view, 6> k_text_keys = {
  "sender domain", "sender ip address", "received date", "spf alignment", "dkim alignment",
  "dmarc results"};

// The line that starts the header copy of the plain-text form.
bool is_copy_marker(std::string_view line)
{
  return line.rfind("------", 0) == 0 && text::icontains(line, "header");
}

// Calls fn(key lower case, value) for the "Key: value" lines of a plain-text report before
// its header copy; returns the text after the marker line ("" when there is none).
std::string_view for_each_text_line(std::string_view body,
                                    const std::function<void(std::string, std::string)>& fn)
{
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) {
      end = body.size();
    }
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (is_copy_marker(line)) {
      // The copy starts after the marker and the empty line that may follow it.
      std::string_view rest = body.substr(std::min(pos, body.size()));
      while (!rest.empty() && (rest.front() == '\n' || rest.front() == '\r')) {
        rest.remove_prefix(1);
      }
      return rest;
    }
    const std::string_view trimmed = text::trim(line);
    const std::size_t colon = trimmed.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      continue;
    }
    fn(text::to_lower(text::trim(trimmed.substr(0, colon))),
       std::string(text::trim(trimmed.substr(colon + 1))));
  }
  return {};
}

std::string lower_trimmed(std::string_view s) { return text::to_lower(text::trim(s)); }

// "dkim, spf" → {"dkim", "spf"}; lower case, empty items dropped.
void append_list(std::vector<std::string>& out, std::string_view value)
{
  std::size_t pos = 0;
  while (pos <= value.size()) {
    std::size_t comma = value.find(',', pos);
    if (comma == std::string_view::npos) {
      comma = value.size();
    }
    std::string item = lower_trimmed(value.substr(pos, comma - pos));
    if (!item.empty()) {
      out.push_back(std::move(item));
    }
    pos = comma + 1;
  }
}

class Reader
{
public:
  explicit Reader(const Limits& limits) : m_limits(limits) {}

  Result<void> walk(std::string_view message);
  Result<FailureReport> report() const;

private:
  Result<void> add_parts(std::size_t count, std::size_t depth);
  void read_sample(FailureReport& out, std::size_t message, bool prefer_headers_part) const;

  const Limits& m_limits;
  std::vector<Node> m_nodes;
  std::vector<Found> m_found;          // feedback-report, rfc822 children, headers, text parts
  std::deque<std::string> m_owned;     // transfer-decoded message/rfc822 bodies
  std::size_t m_parts = 0;
};

Result<void> Reader::add_parts(std::size_t count, std::size_t depth)
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

Result<void> Reader::walk(std::string_view message)
{
  m_nodes.push_back(Node{split_entity(message, MboxLine::skip), 0, 0, false});
  std::vector<std::size_t> stack{0};
  while (!stack.empty()) {
    const std::size_t index = stack.back();
    stack.pop_back();
    const Entity entity = m_nodes[index].entity; // a copy: m_nodes grows below
    const std::size_t depth = m_nodes[index].depth;
    const std::size_t message_index = m_nodes[index].message;
    FieldValue type = parse_field_value(field_or_empty(entity.header, "content-type"));
    if (type.value.find('/') == std::string::npos) {
      type.value = m_nodes[index].in_digest ? "message/rfc822" : "text/plain"; // RFC 2045 §5.2
    }
    const Encoding encoding =
      parse_encoding(field_or_empty(entity.header, "content-transfer-encoding"));
    if (type.value.rfind("multipart/", 0) == 0) {
      const std::size_t allowance =
        m_limits.max_mime_parts - std::min(m_parts, m_limits.max_mime_parts);
      MultipartBody body = split_multipart(entity.body, type.param("boundary"), allowance);
      if (body.parts.empty()) {
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
          m_nodes.push_back(Node{split_entity(part), depth + 1, message_index, digest});
        }
        for (std::size_t i = m_nodes.size(); i > first; --i) {
          stack.push_back(i - 1); // reversed, so parts are visited in message order
        }
        continue;
      }
    }
    if (type.value == "message/rfc822" || type.value == "message/global") {
      if (auto r = add_parts(1, depth + 1); !r) {
        return r;
      }
      std::string_view inner = entity.body;
      if (encoding != Encoding::identity) {
        m_owned.push_back(decode_transfer(inner, encoding));
        inner = m_owned.back();
      }
      const std::size_t child = m_nodes.size();
      m_nodes.push_back(Node{split_entity(inner), depth + 1, child, false});
      m_found.push_back(Found{child, message_index, "message/rfc822", Encoding::identity, inner});
      stack.push_back(child);
      continue;
    }
    if (type.value == "message/feedback-report" || type.value == "text/rfc822-headers"
        || type.value == "text/plain") {
      m_found.push_back(Found{index, message_index, type.value, encoding, {}});
    }
  }
  return {};
}

// The sample of `message`: its message/rfc822 child, else its text/rfc822-headers part
// (with prefer_headers_part the other way round).
void Reader::read_sample(FailureReport& out, std::size_t message, bool prefer_headers_part) const
{
  const Found* full = nullptr;
  const Found* headers = nullptr;
  for (const Found& f : m_found) {
    if (f.message != message) {
      continue;
    }
    if (f.type == "message/rfc822" && full == nullptr) {
      full = &f;
    } else if (f.type == "text/rfc822-headers" && headers == nullptr) {
      headers = &f;
    }
  }
  const Found* use = prefer_headers_part ? (headers != nullptr ? headers : full)
                                         : (full != nullptr ? full : headers);
  if (use == nullptr) {
    return;
  }
  std::string_view header_section;
  if (use == full) {
    out.sample = std::string(full->raw);
    header_section = m_nodes[full->node].entity.header;
    // No empty line after the header section: the sample was cut inside it.
    const std::string_view raw = full->raw;
    out.sample_truncated = raw.find("\n\n") == std::string_view::npos
                           && raw.find("\n\r\n") == std::string_view::npos;
  } else {
    out.sample_headers_only = true;
    out.sample = decode_transfer(m_nodes[headers->node].entity.body, headers->encoding);
    header_section = split_entity(out.sample).header;
  }
  out.has_sample = true;
  out.sample_headers = std::string(header_section);
  if (out.sample_headers_only) {
    out.sample.clear(); // header_section pointed into it: read the copy below
  }
  header_section = out.sample_headers;
  out.sample_from = opt_decoded(header_section, "from");
  out.sample_to = opt_decoded(header_section, "to");
  out.sample_subject = opt_decoded(header_section, "subject");
  out.sample_date = opt_decoded(header_section, "date");
  if (auto id = header_field(header_section, "message-id")) {
    out.sample_message_id = non_empty(text::sanitize_utf8(strip_angle(*id)));
  }
}

Result<FailureReport> Reader::report() const
{
  FailureReport out;
  const std::string_view top = m_nodes[0].entity.header;
  out.reporter = text::sanitize_utf8(address_of(field_or_empty(top, "from")));
  out.report_date = opt_decoded(top, "date");
  if (out.report_date) {
    out.report_time = parse_mail_date(*out.report_date);
  }

  // The ARF form: the first auth-failure feedback-report part.
  std::string other_type;
  for (const Found& f : m_found) {
    if (f.type != "message/feedback-report") {
      continue;
    }
    const std::string part = decode_transfer(m_nodes[f.node].entity.body, f.encoding);
    const std::string type = arf_feedback_type(part);
    if (type != "auth-failure") {
      if (other_type.empty()) {
        other_type = type.empty() ? std::string("(none)") : type;
      }
      continue;
    }
    out.format = "arf";
    out.feedback_type = type;
    for_each_field(part, [&out](std::string_view name, std::string value) {
      const std::string n = text::to_lower(name);
      value = text::sanitize_utf8(value);
      auto set = [&](OptString& field) {
        if (!field) {
          field = non_empty(value);
        }
      };
      if (n == "user-agent") set(out.user_agent);
      else if (n == "version") set(out.version);
      else if (n == "original-envelope-id") set(out.original_envelope_id);
      else if (n == "original-mail-from") set(out.original_mail_from);
      else if (n == "original-rcpt-to" && !value.empty()) out.original_rcpt_to.push_back(value);
      else if (n == "arrival-date" || n == "received-date") set(out.arrival_date);
      else if (n == "reporting-mta") set(out.reporting_mta);
      else if (n == "source-ip") set(out.source_ip);
      else if (n == "authentication-results" && !value.empty())
        out.authentication_results.push_back(value);
      else if (n == "reported-domain" && !value.empty())
        out.reported_domain.push_back(lower_trimmed(value));
      else if (n == "reported-uri" && !value.empty()) out.reported_uri.push_back(value);
      else if (n == "delivery-result") set(out.delivery_result);
      else if (n == "auth-failure") append_list(out.auth_failure, value);
      else if (n == "dkim-domain") set(out.dkim_domain);
      else if (n == "dkim-identity") set(out.dkim_identity);
      else if (n == "dkim-selector") set(out.dkim_selector);
      else if (n == "spf-dns" && !value.empty()) out.spf_dns.push_back(value);
      else if (n == "identity-alignment") set(out.identity_alignment);
      else if (n == "message-id" && !value.empty() && !out.report_message_id)
        out.report_message_id = strip_angle(value);
    });
    if (out.source_ip && out.source_ip->size() > 2 && out.source_ip->front() == '['
        && out.source_ip->back() == ']') {
      out.source_ip = out.source_ip->substr(1, out.source_ip->size() - 2);
    }
    read_sample(out, f.message, false);
    if (out.arrival_date) {
      out.arrival = parse_mail_date(*out.arrival_date);
    }
    return out;
  }
  if (!other_type.empty()) {
    return make_error(ErrorKind::not_a_report, "ARF feedback report of type '" + other_type
                                                 + "', not a DMARC failure report");
  }

  // The plain-text form: the first text/plain part with its key lines.
  for (const Found& f : m_found) {
    if (f.type != "text/plain") {
      continue;
    }
    const std::string body =
      decode_transfer(m_nodes[f.node].entity.body, f.encoding, k_text_bytes);
    if (!is_text_failure_report(body)) {
      continue;
    }
    out.format = "text";
    out.feedback_type = "auth-failure";
    bool spf_aligned = false;
    bool dkim_aligned = false;
    const std::string_view copy = for_each_text_line(body, [&](std::string key, std::string value) {
      value = text::sanitize_utf8(value);
      if (key == "sender domain" && !value.empty()) {
        out.reported_domain.push_back(lower_trimmed(value));
      } else if (key == "sender ip address" && !out.source_ip) {
        out.source_ip = non_empty(value);
      } else if (key == "received date" && !out.arrival_date) {
        out.arrival_date = non_empty(value);
      } else if (key == "spf alignment") {
        spf_aligned = text::iequals(value, "yes") || text::iequals(value, "pass");
      } else if (key == "dkim alignment") {
        dkim_aligned = text::iequals(value, "yes") || text::iequals(value, "pass");
      }
    });
    // What the text says: DMARC failed; which identifiers were aligned (RFC 6591 §3.2).
    out.auth_failure.push_back("dmarc");
    out.identity_alignment = dkim_aligned && spf_aligned ? "dkim,spf"
                             : dkim_aligned              ? "dkim"
                             : spf_aligned               ? "spf"
                                                         : "none";
    // The sample: a text/rfc822-headers part beside it, else the copy in the text.
    read_sample(out, f.message, true);
    if (!out.has_sample && !copy.empty()) {
      const std::string_view header_section = split_entity(copy).header;
      out.has_sample = true;
      out.sample_headers_only = true;
      out.sample_headers = std::string(header_section);
      out.sample_from = opt_decoded(header_section, "from");
      out.sample_to = opt_decoded(header_section, "to");
      out.sample_subject = opt_decoded(header_section, "subject");
      out.sample_date = opt_decoded(header_section, "date");
      if (auto id = header_field(header_section, "message-id")) {
        out.sample_message_id = non_empty(text::sanitize_utf8(strip_angle(*id)));
      }
    }
    if (out.arrival_date) {
      out.arrival = parse_mail_date(*out.arrival_date);
    }
    return out;
  }
  return make_error(ErrorKind::not_a_report, "no DMARC failure report in the message");
}

constexpr std::array<std::string_view, 12> k_months = {"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};

} // namespace

std::string arf_feedback_type(std::string_view report_part)
{
  std::string type;
  for_each_field(report_part, [&type](std::string_view name, std::string value) {
    if (type.empty() && text::iequals(name, "feedback-type")) {
      type = lower_trimmed(value);
    }
  });
  return type;
}

bool is_text_failure_report(std::string_view body)
{
  std::array<bool, k_text_keys.size()> seen{};
  for_each_text_line(body, [&seen](std::string key, std::string) {
    for (std::size_t i = 0; i < k_text_keys.size(); ++i) {
      if (key == k_text_keys[i]) {
        seen[i] = true;
      }
    }
  });
  int n = 0;
  for (const bool s : seen) {
    n += s ? 1 : 0;
  }
  return n >= 2;
}

std::optional<int64_t> parse_mail_date(std::string_view s)
{
  // Tokens: [day-name ","] day month year hh:mm[:ss] zone
  std::vector<std::string> tokens;
  std::string current;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
      if (!current.empty()) {
        tokens.push_back(std::move(current));
        current.clear();
      }
      if (c == '(') {
        break;
      }
      continue;
    }
    if (c == '(') {
      break; // a comment ("(CEST)") ends what is read
    }
    current += c;
  }
  if (!current.empty()) {
    tokens.push_back(std::move(current));
  }
  std::size_t i = 0;
  if (i < tokens.size() && !tokens[i].empty() && !(tokens[i][0] >= '0' && tokens[i][0] <= '9')) {
    ++i; // the day name
  }
  if (tokens.size() < i + 4) {
    return std::nullopt;
  }
  const auto day = text::parse_u64(tokens[i]);
  const std::string month_name = text::to_lower(std::string_view(tokens[i + 1]).substr(0, 3));
  auto year = text::parse_u64(tokens[i + 2]);
  int month = 0;
  for (std::size_t m = 0; m < k_months.size(); ++m) {
    if (month_name == k_months[m]) {
      month = static_cast<int>(m) + 1;
    }
  }
  if (!day || !year || month == 0 || *day < 1 || *day > 31) {
    return std::nullopt;
  }
  if (tokens[i + 2].size() == 2) {
    *year += *year < 50 ? 2000 : 1900; // RFC 5322 §4.3
  } else if (tokens[i + 2].size() == 3) {
    *year += 1900;
  }
  if (*year < 1970 || *year > 9999) {
    return std::nullopt;
  }
  // hh:mm[:ss]
  const std::string& clock = tokens[i + 3];
  int parts[3] = {0, 0, 0};
  int count = 0;
  std::size_t pos = 0;
  while (pos <= clock.size() && count < 3) {
    std::size_t colon = clock.find(':', pos);
    if (colon == std::string::npos) {
      colon = clock.size();
    }
    const auto v = text::parse_u64(std::string_view(clock).substr(pos, colon - pos));
    if (!v || *v > 60) {
      return std::nullopt;
    }
    parts[count++] = static_cast<int>(*v);
    pos = colon + 1;
  }
  if (count < 2 || parts[0] > 23 || parts[1] > 59) {
    return std::nullopt;
  }
  char date[48];
  std::snprintf(date, sizeof date, "%04d-%02d-%02d", static_cast<int>(*year), month,
                static_cast<int>(*day));
  const auto midnight = text::parse_date(date);
  if (!midnight) {
    return std::nullopt;
  }
  int64_t offset = 0;
  if (tokens.size() > i + 4) {
    const std::string zone = text::to_lower(tokens[i + 4]);
    if ((zone[0] == '+' || zone[0] == '-') && zone.size() == 5) {
      const auto hhmm = text::parse_u64(std::string_view(zone).substr(1));
      if (!hhmm) {
        return std::nullopt;
      }
      offset = static_cast<int64_t>((*hhmm / 100) * 3600 + (*hhmm % 100) * 60);
      if (zone[0] == '-') {
        offset = -offset;
      }
    } else {
      // Obsolete zones (RFC 5322 §4.3); unknown ones count as UTC.
      static constexpr std::array<std::pair<std::string_view, int>, 8> k_zones = {{
        {"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
        {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}}};
      for (const auto& [name, hours] : k_zones) {
        if (zone == name) {
          offset = int64_t{hours} * 3600;
        }
      }
    }
  }
  return *midnight + parts[0] * 3600 + parts[1] * 60 + parts[2] - offset;
}

Result<FailureReport> parse_failure_report(std::string_view message, const Limits& limits)
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
  try {
    Reader reader(limits);
    if (auto r = reader.walk(message); !r) {
      return r.error();
    }
    return reader.report();
  } catch (const std::bad_alloc&) {
    return make_error(ErrorKind::too_large, "out of memory while reading the failure report");
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, std::string("failure report: ") + e.what());
  }
}

void apply_sample_policy(FailureReport& report, FailureSamples samples)
{
  report.samples = samples;
  if (samples == FailureSamples::full) {
    return;
  }
  report.sample.clear();
  report.sample.shrink_to_fit();
  if (samples == FailureSamples::none) {
    report.sample_headers.clear();
    report.sample_from.reset();
    report.sample_to.reset();
    report.sample_subject.reset();
    report.sample_date.reset();
    report.sample_message_id.reset();
  }
}

} // namespace dmarc::mime
