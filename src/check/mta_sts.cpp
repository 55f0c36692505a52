#include "check/mta_sts.hpp"

#include "check/dmarc_record.hpp"
#include "core/text.hpp"

#include <algorithm>

namespace dmarc::check {

namespace {

bool starts_with_version(std::string_view text, std::string_view version)
{
  const TagList list = split_tags(text);
  return !list.tags.empty() && list.tags.front().first == "v" && list.tags.front().second == version;
}

} // namespace

bool is_sts_record(std::string_view text) { return starts_with_version(text, "STSv1"); }

StsRecord parse_sts_record(std::string_view text)
{
  StsRecord r;
  const TagList list = split_tags(text);
  for (const std::string& m : list.malformed) {
    add_error(r.problems, "mta-sts-invalid", "_mta-sts: '" + printable(m) + "' is not a "
                                                "tag=value pair.");
  }
  bool have_id = false;
  for (const auto& [tag, value] : list.tags) {
    if (tag == "id") {
      have_id = true;
      r.id = value;
      const bool ok = !value.empty() && value.size() <= 32
                      && std::all_of(value.begin(), value.end(), [](unsigned char c) {
                           return std::isalnum(c) != 0 && c < 0x80;
                         });
      if (!ok) {
        add_error(r.problems, "mta-sts-invalid", "_mta-sts: id=" + printable(value) + " must be "
                                                    "1 to 32 letters and digits (RFC 8461 §3.1).");
      }
    }
  }
  if (!have_id) {
    add_error(r.problems, "mta-sts-invalid", "_mta-sts: the record has no id=; senders never "
                                                "fetch the policy. Add id=<a new value>.");
  }
  return r;
}

StsPolicy parse_sts_policy(std::string_view body)
{
  StsPolicy p;
  auto invalid = [&](const std::string& why) { add_error(p.problems, "mta-sts-invalid", why); };
  int line_no = 0;
  bool seen_version = false, seen_mode = false, seen_age = false;
  while (!body.empty()) {
    const std::size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (text::trim(line).empty()) {
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      invalid("Policy line " + std::to_string(line_no) + " '" + printable(line)
              + "' is not 'key: value'.");
      continue;
    }
    const std::string key = text::to_lower(text::trim(line.substr(0, colon)));
    const std::string value(text::trim(line.substr(colon + 1)));
    if (key == "version") {
      seen_version = true;
      p.version = value;
      if (value != "STSv1") {
        invalid("The policy says version: " + printable(value) + "; it must be version: STSv1, "
                "or senders ignore the policy.");
      }
    } else if (key == "mode") {
      seen_mode = true;
      p.mode = value;
      if (value != "enforce" && value != "testing" && value != "none") {
        invalid("The policy's mode: " + printable(value) + " is not enforce, testing or none.");
      }
    } else if (key == "max_age") {
      seen_age = true;
      const bool digits = !value.empty() && value.size() <= 10
                          && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || std::stoll(value) > k_sts_max_age_limit) {
        invalid("The policy's max_age: " + printable(value) + " must be a number of seconds up to "
                + std::to_string(k_sts_max_age_limit) + ".");
      } else {
        p.max_age = std::stoll(value);
      }
    } else if (key == "mx") {
      p.mx.push_back(text::to_lower(value));
    }
  }
  if (!seen_version) {
    invalid("The policy has no 'version: STSv1' line.");
  }
  if (!seen_mode) {
    invalid("The policy has no 'mode:' line (enforce, testing or none).");
  }
  if (!seen_age) {
    invalid("The policy has no 'max_age:' line.");
  }
  if (p.mx.empty() && p.mode != "none") {
    invalid("The policy has no 'mx:' line: senders in mode " + (p.mode.empty() ? std::string("enforce") : p.mode)
            + " would accept no MX host.");
  }
  if (p.max_age && *p.max_age < 86400 && p.mode == "enforce") {
    add_warning(p.problems, "mta-sts-short-max-age",
                "max_age: " + std::to_string(*p.max_age) + " is under a day, so senders forget "
                "the policy quickly: use a week (604800) or more once it is stable.");
  }
  return p;
}

bool mx_pattern_matches(std::string_view pattern, std::string_view host)
{
  std::string h = text::to_lower(host);
  while (!h.empty() && h.back() == '.') {
    h.pop_back();
  }
  std::string pat = text::to_lower(pattern);
  while (!pat.empty() && pat.back() == '.') {
    pat.pop_back();
  }
  if (pat.rfind("*.", 0) == 0) {
    const std::string suffix = pat.substr(1); // ".example.com"
    if (h.size() <= suffix.size() || h.compare(h.size() - suffix.size(), suffix.size(), suffix) != 0) {
      return false;
    }
    const std::string label = h.substr(0, h.size() - suffix.size());
    return !label.empty() && label.find('.') == std::string::npos;
  }
  return h == pat;
}

bool is_tlsrpt_record(std::string_view text) { return starts_with_version(text, "TLSRPTv1"); }

TlsRptRecord parse_tlsrpt(std::string_view text)
{
  TlsRptRecord r;
  const TagList list = split_tags(text);
  bool have_rua = false;
  for (const auto& [tag, value] : list.tags) {
    if (tag != "rua") {
      continue;
    }
    have_rua = true;
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view uri = text::trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (uri.empty()) {
        continue;
      }
      const bool mailto = !mailto_domain(uri).empty();
      const bool https = uri.size() > 8 && text::iequals(uri.substr(0, 8), "https://");
      if (!mailto && !https) {
        add_error(r.problems, "tlsrpt-invalid", "_smtp._tls: rua=" + printable(uri) + " must be "
                                                   "a mailto: or https: URI (RFC 8460 §3).");
        continue;
      }
      r.rua.emplace_back(uri);
    }
  }
  if (!have_rua || r.rua.empty()) {
    add_error(r.problems, "tlsrpt-invalid", "_smtp._tls: the record has no valid rua=, so no "
                                              "TLS reports are sent: add rua=mailto:<your TLS "
                                              "report mailbox>.");
  }
  return r;
}

} // namespace dmarc::check
