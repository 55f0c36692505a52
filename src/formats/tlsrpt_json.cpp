// ④ parse: SMTP TLS report JSON into a TlsReport. The why is in tlsrpt_json.hpp.
//
// How: the RFC 8460 §4.4 fields are read by name; RFC 8460 §4.3 makes organization-name,
// date-range, report-id, policies, each policy's policy-type / policy-domain, its summary
// counts and each failure detail's result-type / failed-session-count required. The caps are
// checked before nlohmann_json sees the bytes (size, then nesting with a scan that skips
// strings), so a hostile document never builds a deep tree. nlohmann rejects ill-formed UTF-8,
// so such a document is sanitised to U+FFFD first (only when is_valid_utf8 says it must be).
// nlohmann's exceptions are caught here and become `invalid-report` with its byte position.
// Words (policy-type, result-type) are lower-cased; values are trimmed except policy-string
// lines, which are the policy text as published.
#include "formats/tlsrpt_json.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>

namespace dmarc::formats {

namespace {

using nlohmann::json;

// How many bytes of a bad value an error detail quotes.
constexpr std::size_t k_quote_max = 64;

// Whether string_list trims its strings (policy-string lines are kept exactly as published).
enum class Spaces { trim, keep };

// `raw` quoted for an error detail, cut to k_quote_max bytes and made valid UTF-8.
std::string quote(std::string_view raw)
{
  const bool cut = raw.size() > k_quote_max;
  std::string out = "'" + text::sanitize_utf8(raw.substr(0, k_quote_max));
  out += cut ? "...'" : "'";
  return out;
}

// True when brackets nest deeper than `max_depth` outside of strings (RFC 8259 §7 strings).
bool nests_deeper_than(std::string_view s, std::size_t max_depth)
{
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return true;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// "JSON parse error at offset N (line L, column C): what" from nlohmann's parse_error.
std::string describe(const json::parse_error& e)
{
  std::string_view what = e.what();
  if (const std::size_t bracket = what.find("] "); bracket != std::string_view::npos) {
    what.remove_prefix(bracket + 2);
  }
  constexpr std::string_view k_prefix = "parse error at ";
  if (what.substr(0, k_prefix.size()) == k_prefix) {
    what.remove_prefix(k_prefix.size());
  }
  std::string detail = "JSON parse error at offset " + std::to_string(e.byte);
  const std::size_t colon = what.find(": ");
  if (what.substr(0, 5) == "line " && colon != std::string_view::npos) {
    detail += " (" + std::string(what.substr(0, colon)) + ")";
    what.remove_prefix(colon + 2);
  }
  return detail + ": " + text::sanitize_utf8(what);
}

// Reads the members of a parsed report; each function returns false once m_error is set.
// `where` names the object being read ("", "date-range", "policies[0].summary", ...).
class TlsReader
{
public:
  // Fills `report` from the top-level object.
  bool read_report(const json& root, TlsReport& report);

  // The error after read_report returned false.
  Error take_error() { return std::move(*m_error); }

private:
  // Records an invalid-report error (the first one wins) and returns false.
  bool fail(std::string detail);
  // `"key"` or `"key" in where`, for error details.
  static std::string name(std::string_view key, std::string_view where);
  // The member `key` of `object`; nullptr when absent or null.
  static const json* find(const json& object, const char* key);

  // The policy's policy-domain: required and not empty, except for no-policy-found.
  bool policy_domain(const json& desc, const std::string& where, TlsPolicy& policy);
  // Missing is an error; a non-string is an error.
  bool required_string(const json& object, const char* key, std::string_view where,
                       std::string& out);
  // Missing stays nullopt (as does ""); a non-string is an error.
  bool optional_string(const json& object, const char* key, std::string_view where,
                       OptString& out);
  // A string or an array of strings (mx-host may be either); missing stays empty.
  bool string_list(const json& object, const char* key, std::string_view where, Spaces spaces,
                   std::vector<std::string>& out);
  // A required non-negative integer.
  bool count(const json& object, const char* key, std::string_view where, uint64_t& out);
  // A required object member.
  bool required_object(const json& object, const char* key, std::string_view where,
                       const json*& out);
  // A required RFC 3339 date-time member, as Unix seconds.
  bool date_time(const json& object, const char* key, std::string_view where, int64_t& out);

  bool read_policy(const json& item, const std::string& where, TlsPolicy& policy);
  bool read_failure(const json& item, const std::string& where, TlsFailureDetail& failure);

  std::optional<Error> m_error;
  std::vector<std::string>* m_where_notes = nullptr; // the report's notes while reading a policy
};

bool TlsReader::fail(std::string detail)
{
  if (!m_error) {
    m_error = make_error(ErrorKind::invalid_report, std::move(detail));
  }
  return false;
}

std::string TlsReader::name(std::string_view key, std::string_view where)
{
  std::string out = "\"" + std::string(key) + "\"";
  if (!where.empty()) {
    out += " in ";
    out += where;
  }
  return out;
}

const json* TlsReader::find(const json& object, const char* key)
{
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return nullptr;
  }
  return &*it;
}

bool TlsReader::required_string(const json& object, const char* key, std::string_view where,
                                std::string& out)
{
  const json* value = find(object, key);
  if (!value) {
    return fail("missing " + name(key, where));
  }
  if (!value->is_string()) {
    return fail(name(key, where) + " must be a string");
  }
  out = std::string(text::trim(value->get_ref<const std::string&>()));
  return true;
}

bool TlsReader::optional_string(const json& object, const char* key, std::string_view where,
                                OptString& out)
{
  const json* value = find(object, key);
  if (!value) {
    out.reset();
    return true;
  }
  if (!value->is_string()) {
    return fail(name(key, where) + " must be a string");
  }
  const std::string_view trimmed = text::trim(value->get_ref<const std::string&>());
  out = trimmed.empty() ? OptString() : OptString(std::string(trimmed));
  return true;
}

bool TlsReader::string_list(const json& object, const char* key, std::string_view where,
                            Spaces spaces, std::vector<std::string>& out)
{
  const auto take = [&](const std::string& s) {
    out.emplace_back(spaces == Spaces::trim ? text::trim(s) : std::string_view(s));
  };
  const json* value = find(object, key);
  if (!value) {
    return true;
  }
  if (value->is_string()) {
    take(value->get_ref<const std::string&>());
    return true;
  }
  if (!value->is_array()) {
    return fail(name(key, where) + " must be a string or an array of strings");
  }
  out.reserve(value->size());
  for (const json& item : *value) {
    if (!item.is_string()) {
      return fail(name(key, where) + " must be a string or an array of strings");
    }
    take(item.get_ref<const std::string&>());
  }
  return true;
}

bool TlsReader::count(const json& object, const char* key, std::string_view where, uint64_t& out)
{
  const json* value = find(object, key);
  if (!value) {
    return fail("missing " + name(key, where));
  }
  if (!value->is_number_unsigned()) {
    return fail(name(key, where) + " must be a non-negative integer");
  }
  out = value->get<uint64_t>();
  return true;
}

bool TlsReader::required_object(const json& object, const char* key, std::string_view where,
                       const json*& out)
{
  out = find(object, key);
  if (!out) {
    return fail("missing " + name(key, where));
  }
  if (!out->is_object()) {
    return fail(name(key, where) + " must be an object");
  }
  return true;
}

bool TlsReader::date_time(const json& object, const char* key, std::string_view where,
                          int64_t& out)
{
  std::string value;
  if (!required_string(object, key, where, value)) {
    return false;
  }
  const std::optional<int64_t> seconds = text::parse_rfc3339(value);
  if (!seconds) {
    return fail("invalid " + name(key, where) + ": " + quote(value));
  }
  out = *seconds;
  return true;
}

bool TlsReader::read_report(const json& root, TlsReport& report)
{
  if (!root.is_object()) {
    return fail("JSON top level is not an object");
  }
  const json* range = nullptr;
  if (!required_string(root, "organization-name", "", report.org_name)
      || !required_object(root, "date-range", "", range)
      || !date_time(*range, "start-datetime", "date-range", report.begin)
      || !date_time(*range, "end-datetime", "date-range", report.end)
      || !optional_string(root, "contact-info", "", report.contact_info)
      || !required_string(root, "report-id", "", report.report_id)) {
    return false;
  }
  if (report.report_id.empty()) {
    return fail("empty \"report-id\"");
  }
  const json* policies = find(root, "policies");
  if (!policies) {
    return fail("missing \"policies\"");
  }
  if (!policies->is_array()) {
    return fail("\"policies\" must be an array");
  }
  // A policy that is invalid on its own (an unknown policy-type, no usable counts) is left
  // out with its reason and the others are kept: one reporter's experiment must not lose
  // the sessions of the policies beside it. With none left, the report is invalid.
  report.policies.reserve(policies->size());
  std::optional<Error> first_error;
  for (std::size_t i = 0; i < policies->size(); ++i) {
    const std::string where = "policies[" + std::to_string(i) + "]";
    m_where_notes = &report.notes;
    if (!read_policy((*policies)[i], where, report.policies.emplace_back())) {
      report.policies.pop_back();
      Error error = take_error();
      m_error.reset();
      report.skipped_policies.push_back(error.detail);
      if (!first_error) {
        first_error = std::move(error);
      }
    }
  }
  m_where_notes = nullptr;
  if (report.policies.empty() && first_error) {
    m_error = std::move(first_error);
    return false;
  }
  return true;
}

bool TlsReader::read_policy(const json& item, const std::string& where, TlsPolicy& policy)
{
  if (!item.is_object()) {
    return fail(where + " must be an object");
  }
  const json* desc = nullptr;
  const json* summary = nullptr;
  const std::string policy_where = where + ".policy";
  const std::string summary_where = where + ".summary";
  if (!required_object(item, "policy", where, desc)
      || !required_string(*desc, "policy-type", policy_where, policy.policy_type)
      || !string_list(*desc, "policy-string", policy_where, Spaces::keep, policy.policy_string)
      || !policy_domain(*desc, policy_where, policy)
      || !string_list(*desc, "mx-host", policy_where, Spaces::trim, policy.mx_hosts)) {
    return false;
  }
  policy.policy_type = text::to_lower(policy.policy_type);
  const std::string_view type = text::trim(policy.policy_type);
  if (type != "sts" && type != "tlsa" && type != "no-policy-found") {
    return fail(where + ": unknown \"policy-type\" " + quote(policy.policy_type));
  }
  if (!required_object(item, "summary", where, summary)
      || !count(*summary, "total-successful-session-count", summary_where,
                policy.successful_sessions)) {
    return false;
  }
  const json* failures = find(item, "failure-details");
  // Some reporters leave total-failure-session-count out when nothing failed: with no
  // failure-details that is 0 (said with -v); with failures listed the count is unknown.
  if (!find(*summary, "total-failure-session-count")
      && (!failures || (failures->is_array() && failures->empty()))) {
    policy.failed_sessions = 0;
    if (m_where_notes != nullptr) {
      m_where_notes->push_back(summary_where
                               + ": missing \"total-failure-session-count\" read as 0 (no "
                                 "failure-details)");
    }
  } else if (!count(*summary, "total-failure-session-count", summary_where,
                    policy.failed_sessions)) {
    return false;
  }
  if (!failures) {
    return true;
  }
  if (!failures->is_array()) {
    return fail(name("failure-details", where) + " must be an array");
  }
  policy.failures.reserve(failures->size());
  for (std::size_t i = 0; i < failures->size(); ++i) {
    const std::string failure_where = where + ".failure-details[" + std::to_string(i) + "]";
    if (!read_failure((*failures)[i], failure_where, policy.failures.emplace_back())) {
      return false;
    }
  }
  return true;
}

// RFC 8460 §4.4 requires policy-domain, but Postfix's tlsrpt-reporter leaves it out of a
// no-policy-found policy (it has no policy to name a domain for). Such a policy is kept with
// an empty domain rather than losing the report's session counts; any other policy type
// still needs one. Call after policy-type is read.
bool TlsReader::policy_domain(const json& desc, const std::string& where, TlsPolicy& policy)
{
  const bool optional = text::iequals(text::trim(policy.policy_type), "no-policy-found");
  if (optional && !find(desc, "policy-domain")) {
    policy.policy_domain.clear();
    return true;
  }
  if (!required_string(desc, "policy-domain", where, policy.policy_domain)) {
    return false;
  }
  if (policy.policy_domain.empty() && !optional) {
    return fail("empty " + name("policy-domain", where));
  }
  return true;
}

bool TlsReader::read_failure(const json& item, const std::string& where,
                             TlsFailureDetail& failure)
{
  if (!item.is_object()) {
    return fail(where + " must be an object");
  }
  if (!required_string(item, "result-type", where, failure.result_type)
      || !optional_string(item, "sending-mta-ip", where, failure.sending_mta_ip)
      || !optional_string(item, "receiving-mx-hostname", where, failure.receiving_mx_hostname)
      || !optional_string(item, "receiving-mx-helo", where, failure.receiving_mx_helo)
      || !optional_string(item, "receiving-ip", where, failure.receiving_ip)
      || !count(item, "failed-session-count", where, failure.failed_session_count)
      || !optional_string(item, "additional-information", where,
                          failure.additional_information)
      || !optional_string(item, "failure-reason-code", where, failure.failure_reason_code)) {
    return false;
  }
  failure.result_type = text::to_lower(failure.result_type);
  return true;
}

} // namespace

Result<TlsReport> parse_tlsrpt(std::string_view document, const Limits& limits)
{
  if (document.empty()) {
    return make_error(ErrorKind::empty, "empty document");
  }
  if (document.size() > limits.max_json_bytes) {
    return make_error(ErrorKind::too_large,
                      "JSON document of " + std::to_string(document.size())
                        + " bytes is larger than " + std::to_string(limits.max_json_bytes)
                        + " bytes (max_json_bytes)");
  }
  if (nests_deeper_than(document, limits.max_json_depth)) {
    return make_error(ErrorKind::too_large, "JSON nested deeper than "
                                              + std::to_string(limits.max_json_depth)
                                              + " levels (max_json_depth)");
  }
  std::string sanitized;
  if (!text::is_valid_utf8(document)) {
    sanitized = text::sanitize_utf8(document);
    document = sanitized;
  }
  try {
    const json root = json::parse(document.begin(), document.end());
    TlsReport report;
    TlsReader reader;
    if (!reader.read_report(root, report)) {
      return reader.take_error();
    }
    return report;
  } catch (const json::parse_error& e) {
    return make_error(ErrorKind::invalid_report, describe(e));
  } catch (const json::exception& e) {
    return make_error(ErrorKind::invalid_report, "JSON error: " + text::sanitize_utf8(e.what()));
  }
}

} // namespace dmarc::formats
