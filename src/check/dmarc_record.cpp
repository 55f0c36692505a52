#include "check/dmarc_record.hpp"

#include "core/text.hpp"

#include <algorithm>
#include <set>

namespace dmarc::check {

namespace {

bool one_of(std::string_view value, std::initializer_list<std::string_view> allowed)
{
  return std::any_of(allowed.begin(), allowed.end(),
                     [&](std::string_view a) { return text::iequals(value, a); });
}

bool unsigned_number(std::string_view v, long long max)
{
  if (v.empty() || v.size() > 10) {
    return false;
  }
  long long n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') {
      return false;
    }
    n = n * 10 + (c - '0');
  }
  return n <= max;
}

std::vector<std::string> split_uris(std::string_view value)
{
  std::vector<std::string> out;
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view item = text::trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    if (!item.empty()) {
      out.emplace_back(item);
    }
  }
  return out;
}

// A DMARC URI (RFC 9990 §4.7 "DMARC-URI"): mailto: with an address, or another scheme.
bool valid_uri(std::string_view uri)
{
  const std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  if (text::iequals(uri.substr(0, colon), "mailto")) {
    return !mailto_domain(uri).empty();
  }
  return uri.find(' ') == std::string_view::npos;
}

} // namespace

std::optional<std::string> DmarcRecord::tag(std::string_view name) const
{
  for (const auto& [k, v] : tags) {
    if (k == name) {
      return v;
    }
  }
  return std::nullopt;
}

bool is_dmarc_record(std::string_view text)
{
  text = text::trim(text);
  const std::size_t semi = text.find(';');
  std::string_view first = text::trim(text.substr(0, semi));
  const std::size_t eq = first.find('=');
  if (eq == std::string_view::npos) {
    return false;
  }
  return text::trim(first.substr(0, eq)) == "v" && text::trim(first.substr(eq + 1)) == "DMARC1";
}

std::string mailto_domain(std::string_view uri)
{
  if (uri.size() < 7 || !text::iequals(uri.substr(0, 7), "mailto:")) {
    return "";
  }
  std::string_view addr = uri.substr(7);
  addr = addr.substr(0, addr.find('!'));
  addr = addr.substr(0, addr.find('?'));
  const std::size_t at = addr.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= addr.size()) {
    return "";
  }
  return text::to_lower(addr.substr(at + 1));
}

DmarcRecord parse_dmarc(std::string_view text)
{
  DmarcRecord r;
  const TagList list = split_tags(text);
  r.tags = list.tags;
  Problems& p = r.problems;
  for (const std::string& m : list.malformed) {
    add_error(p, "dmarc-invalid", "'" + printable(m) + "' is not a tag=value pair: fix the "
                                  "_dmarc record's syntax (tags are separated by ';').");
  }
  if (r.tags.empty() || r.tags.front().first != "v" || r.tags.front().second != "DMARC1") {
    add_error(p, "dmarc-invalid", "The record must start with v=DMARC1.");
  }
  std::set<std::string> seen;
  for (const auto& tag_value : r.tags) {
    // Named references, not a structured binding: clang 14 (the fuzz build) cannot capture
    // a structured binding in the lambda below.
    const std::string& tag = tag_value.first;
    const std::string& value = tag_value.second;
    if (!seen.insert(tag).second) {
      add_error(p, "dmarc-invalid", "The tag " + tag + "= appears twice: keep one.");
      continue;
    }
    auto bad = [&](std::string_view expected) {
      add_error(p, "dmarc-invalid", tag + "=" + printable(value) + " is not valid: expected "
                                      + std::string(expected) + ".");
    };
    if (tag == "v") {
      continue;
    }
    if (tag == "p" || tag == "sp" || tag == "np") {
      if (!one_of(value, {"none", "quarantine", "reject"})) {
        bad("none, quarantine or reject");
      }
    } else if (tag == "t") {
      if (!one_of(value, {"y", "n"})) {
        bad("y or n");
      }
    } else if (tag == "psd") {
      if (!one_of(value, {"y", "n", "u"})) {
        bad("y, n or u");
      }
    } else if (tag == "adkim" || tag == "aspf") {
      if (!one_of(value, {"r", "s"})) {
        bad("r (relaxed) or s (strict)");
      }
    } else if (tag == "fo") {
      std::string_view rest = value;
      bool ok = !rest.empty();
      while (ok && !rest.empty()) {
        const std::size_t colon = rest.find(':');
        ok = one_of(text::trim(rest.substr(0, colon)), {"0", "1", "d", "s"});
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      }
      if (!ok) {
        bad("a ':'-separated list of 0, 1, d and s");
      }
    } else if (tag == "rua" || tag == "ruf") {
      std::vector<std::string>& uris = tag == "rua" ? r.rua : r.ruf;
      for (std::string& uri : split_uris(value)) {
        if (!valid_uri(uri)) {
          add_error(p, "dmarc-invalid", tag + "=" + printable(uri) + " is not a valid URI: use "
                                          "mailto:address@domain.");
          continue;
        }
        const std::size_t bang = uri.find('!');
        uris.push_back(bang == std::string::npos ? uri : uri.substr(0, bang));
      }
    } else if (tag == "pct") {
      if (!unsigned_number(value, 100)) {
        bad("a whole number from 0 to 100");
      } else {
        add_warning(p, "dmarc-legacy-tag", "pct= is retired by RFC 9990 and receivers may ignore "
                                           "it: use t=y for a policy in testing, or drop pct=.");
      }
    } else if (tag == "ri" || tag == "rf") {
      if (tag == "ri" && !unsigned_number(value, 4294967295LL)) {
        bad("a number of seconds");
      } else if (tag == "rf" && !one_of(value, {"afrf"})) {
        bad("afrf");
      } else {
        add_warning(p, "dmarc-legacy-tag", tag + "= is retired by RFC 9990 and ignored by "
                                                 "receivers: it can be dropped.");
      }
    } else {
      add_warning(p, "dmarc-unknown-tag", "The tag " + printable(tag) + "= is not a DMARC tag and "
                                          "receivers ignore it: check its spelling.");
    }
  }
  if (!r.tag("p")) {
    add_warning(p, "dmarc-no-policy", "The record has no p= tag: receivers treat the domain as "
                                      "p=none. Add p=none (or stricter) explicitly.");
  }
  if (r.rua.empty()) {
    add_warning(p, "dmarc-no-rua", "The record has no rua= address, so no aggregate reports are "
                                   "sent: add rua=mailto:<your report mailbox>.");
  }
  return r;
}

} // namespace dmarc::check
