// ④ parse (internal): repair of malformed aggregate XML; see xml_repair.hpp for the why.
//
// How: a small tag scanner (XML 1.0 §2.5 comments, §2.6 PIs, §2.7 CDATA, §3.1 tags) walks the
// cut-out <feedback> element and keeps a stack of open elements. A '<' is escaped when
//   - it starts nothing that scans as a tag (`bad<xml.net</x>`, `<a@b.net>`, `a < b`),
//   - it starts `</` without a well-formed end tag after it, or
//   - it starts a well-formed start tag that is still open when an enclosing element closes
//     (`<email><postmaster></email>`), has no child elements and is not a DMARC container
//     name (so it was text).
// An unclosed start tag WITH children, or an unclosed <record>, <row>, ... is a structural
// break the repair must not paper over: escaping it could merge or drop records, so the
// outcome is `unrepairable`; so is a well-formed end tag that closes no open element.
#include "formats/xml_repair.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

namespace dmarc::formats {

namespace {

constexpr std::string_view k_bom = "\xEF\xBB\xBF";
constexpr std::string_view k_local_name = "feedback";

// XML white space (XML 1.0 §2.3 S).
bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// XML 1.0 NameStartChar, approximated for bytes: ASCII letters, '_', ':' and any non-ASCII byte.
bool is_name_start(char c)
{
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || u >= 0x80;
}

// XML 1.0 NameChar, approximated for bytes.
bool is_name_char(char c)
{
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// The end of the name starting at `pos` (== pos when there is none).
std::size_t scan_name(std::string_view s, std::size_t pos)
{
  if (pos >= s.size() || !is_name_start(s[pos])) {
    return pos;
  }
  ++pos;
  while (pos < s.size() && is_name_char(s[pos])) {
    ++pos;
  }
  return pos;
}

// The first position at or after `pos` that is not white space.
std::size_t skip_space(std::string_view s, std::size_t pos)
{
  while (pos < s.size() && is_space(s[pos])) {
    ++pos;
  }
  return pos;
}

// `name` without its namespace prefix.
std::string_view local_part(std::string_view name)
{
  const std::size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

struct Tag
{
  std::string_view name;
  std::size_t end = 0;       // one past the closing '>'
  bool self_closing = false;
};

// A start tag `<name (S attr S? = S? "value")* S? (/)?>` at `lt`, or nullopt.
std::optional<Tag> scan_start_tag(std::string_view s, std::size_t lt)
{
  const std::size_t name_end = scan_name(s, lt + 1);
  if (name_end == lt + 1) {
    return std::nullopt;
  }
  Tag tag{s.substr(lt + 1, name_end - lt - 1), 0, false};
  std::size_t pos = name_end;
  for (;;) {
    const std::size_t after_space = skip_space(s, pos);
    const bool spaced = after_space != pos;
    pos = after_space;
    if (pos >= s.size()) {
      return std::nullopt;
    }
    if (s[pos] == '>') {
      tag.end = pos + 1;
      return tag;
    }
    if (s[pos] == '/' && pos + 1 < s.size() && s[pos + 1] == '>') {
      tag.end = pos + 2;
      tag.self_closing = true;
      return tag;
    }
    const std::size_t attr_end = scan_name(s, pos);
    if (!spaced || attr_end == pos) {
      return std::nullopt;
    }
    pos = skip_space(s, attr_end);
    if (pos >= s.size() || s[pos] != '=') {
      return std::nullopt;
    }
    pos = skip_space(s, pos + 1);
    if (pos >= s.size() || (s[pos] != '"' && s[pos] != '\'')) {
      return std::nullopt;
    }
    const std::size_t close = s.find(s[pos], pos + 1);
    if (close == std::string_view::npos
        || s.substr(pos + 1, close - pos - 1).find('<') != std::string_view::npos) {
      return std::nullopt;
    }
    pos = close + 1;
  }
}

// An end tag `</name S?>` at `lt`, or nullopt.
std::optional<Tag> scan_end_tag(std::string_view s, std::size_t lt)
{
  const std::size_t name_end = scan_name(s, lt + 2);
  if (name_end == lt + 2) {
    return std::nullopt;
  }
  const std::size_t pos = skip_space(s, name_end);
  if (pos >= s.size() || s[pos] != '>') {
    return std::nullopt;
  }
  return Tag{s.substr(lt + 2, name_end - lt - 2), pos + 1, false};
}

// Position of the first `<feedback` / `<prefix:feedback` start tag, or npos.
std::size_t find_feedback_start(std::string_view s)
{
  for (std::size_t lt = s.find('<'); lt != std::string_view::npos; lt = s.find('<', lt + 1)) {
    const std::size_t name_end = scan_name(s, lt + 1);
    if (name_end == lt + 1 || local_part(s.substr(lt + 1, name_end - lt - 1)) != k_local_name) {
      continue;
    }
    if (name_end == s.size() || is_space(s[name_end]) || s[name_end] == '>'
        || s[name_end] == '/') {
      return lt;
    }
  }
  return std::string_view::npos;
}

// One past the '>' of the last `</feedback>` / `</prefix:feedback >` that starts at or after
// `from`, or npos.
std::size_t find_feedback_end(std::string_view s, std::size_t from)
{
  std::size_t pos = s.size();
  while (pos > from) {
    const std::size_t hit = s.rfind(k_local_name, pos - 1);
    if (hit == std::string_view::npos || hit < from) {
      return std::string_view::npos;
    }
    pos = hit;
    // Walk back over an optional "prefix:" to the "</".
    std::size_t start = hit;
    if (start > 0 && s[start - 1] == ':') {
      --start;
      while (start > 0 && is_name_char(s[start - 1])) {
        --start;
      }
    }
    if (start < from + 2 || s[start - 1] != '/' || s[start - 2] != '<') {
      continue;
    }
    const std::size_t gt = skip_space(s, hit + k_local_name.size());
    if (gt < s.size() && s[gt] == '>') {
      return gt + 1;
    }
  }
  return std::string_view::npos;
}

// Length of a leading BOM plus `<?xml ...?>` declaration (0 when there is none).
std::size_t prolog_length(std::string_view s)
{
  std::size_t pos = s.substr(0, k_bom.size()) == k_bom ? k_bom.size() : 0;
  if (s.substr(pos, 5) != "<?xml") {
    return pos;
  }
  const std::size_t end = s.find("?>", pos);
  return end == std::string_view::npos ? pos : end + 2;
}

// Elements that hold other elements in RFC 7489 Appendix C / RFC 9990 Appendix A. An unclosed
// one is a structural break, never text, even when it happens to have no children yet.
bool is_container(std::string_view name)
{
  static constexpr std::string_view k_containers[] = {
    "feedback", "report_metadata", "date_range", "policy_published", "record", "row",
    "policy_evaluated", "reason", "identifiers", "auth_results", "dkim", "spf",
  };
  const std::string_view local = local_part(name);
  for (const std::string_view container : k_containers) {
    if (local == container) {
      return true;
    }
  }
  return false;
}

struct OpenElement
{
  std::string_view name;
  std::size_t lt = 0;
  bool has_children = false;
};

// Offsets (in `body`) of the '<' to escape, sorted; nullopt when the body is unrepairable.
std::optional<std::vector<std::size_t>> find_stray_angles(std::string_view body)
{
  std::vector<OpenElement> open;
  std::vector<std::size_t> escapes;
  // Skips markup from `lt` to the end of `terminator`; a missing terminator makes it text.
  const auto skip_to = [&](std::size_t lt, std::size_t skip, std::string_view terminator) {
    const std::size_t end = body.find(terminator, lt + skip);
    if (end == std::string_view::npos) {
      escapes.push_back(lt);
      return lt + 1;
    }
    return end + terminator.size();
  };

  std::size_t pos = 0;
  for (std::size_t lt = body.find('<'); lt != std::string_view::npos; lt = body.find('<', pos)) {
    const std::string_view rest = body.substr(lt);
    if (rest.substr(0, 4) == "<!--") {
      pos = skip_to(lt, 4, "-->");
    } else if (rest.substr(0, 9) == "<![CDATA[") {
      pos = skip_to(lt, 9, "]]>");
    } else if (rest.substr(0, 2) == "<?") {
      pos = skip_to(lt, 2, "?>");
    } else if (rest.substr(0, 2) == "<!") {
      pos = skip_to(lt, 2, ">");
    } else if (rest.substr(0, 2) == "</") {
      const auto tag = scan_end_tag(body, lt);
      auto match = open.rend();
      if (tag) {
        match = std::find_if(open.rbegin(), open.rend(),
                             [&](const OpenElement& e) { return e.name == tag->name; });
      }
      if (!tag) {
        escapes.push_back(lt); // `a</b` is text
        pos = lt + 1;
        continue;
      }
      if (match == open.rend()) {
        // A well-formed end tag that closes nothing: its start tag was lost or was text,
        // so the elements in between would change parent. Refuse rather than guess.
        return std::nullopt;
      }
      // Elements opened after the match were never closed: text that looked like a tag.
      const auto keep = static_cast<std::size_t>(open.rend() - match) - 1;
      for (std::size_t i = keep + 1; i < open.size(); ++i) {
        if (open[i].has_children || is_container(open[i].name)) {
          return std::nullopt;
        }
        escapes.push_back(open[i].lt);
      }
      open.resize(keep);
      pos = tag->end;
    } else {
      const auto tag = scan_start_tag(body, lt);
      if (!tag) {
        escapes.push_back(lt);
        pos = lt + 1;
        continue;
      }
      if (!open.empty()) {
        open.back().has_children = true;
      }
      if (!tag->self_closing) {
        open.push_back(OpenElement{tag->name, lt, false});
      }
      pos = tag->end;
    }
  }
  if (!open.empty()) {
    return std::nullopt;
  }
  std::sort(escapes.begin(), escapes.end());
  return escapes;
}

} // namespace

XmlRepair repair_aggregate_xml(std::string_view xml)
{
  XmlRepair repair;
  const std::size_t start = find_feedback_start(xml);
  if (start == std::string_view::npos) {
    repair.outcome = RepairOutcome::no_feedback;
    return repair;
  }
  const std::size_t end = find_feedback_end(xml, start);
  if (end == std::string_view::npos) {
    repair.outcome = RepairOutcome::truncated;
    return repair;
  }
  const std::string_view body = xml.substr(start, end - start);
  const auto escapes = find_stray_angles(body);
  if (!escapes) {
    repair.outcome = RepairOutcome::unrepairable;
    return repair;
  }
  const std::size_t prolog = std::min(prolog_length(xml), start);
  repair.xml.reserve(prolog + body.size() + escapes->size() * 3 + 1);
  repair.xml.append(xml.substr(0, prolog));
  std::size_t copied = 0;
  for (const std::size_t lt : *escapes) {
    repair.xml.append(body.substr(copied, lt - copied));
    repair.xml.append("&lt;");
    copied = lt + 1;
  }
  repair.xml.append(body.substr(copied));
  repair.escaped = escapes->size();
  repair.outcome = RepairOutcome::repaired;
  return repair;
}

} // namespace dmarc::formats
