#include "support/report_gen.hpp"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace dmarc::test::gen {

namespace {

std::string escape(const std::string& s)
{
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

std::string json_string(const std::string& s)
{
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

std::string rfc3339(int64_t seconds)
{
  const int64_t days = seconds / 86400;
  const int64_t rest = seconds % 86400;
  // Civil date from days since the epoch (Howard Hinnant's algorithm).
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rest / 3600), static_cast<long long>(rest / 60 % 60),
                static_cast<long long>(rest % 60));
  return buf;
}

void write_file(const std::string& path, const std::string& bytes)
{
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
}

std::string safe_name(std::string s)
{
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') {
      c = '_';
    }
  }
  return s;
}

} // namespace

Record authorized(const std::string& ip, const std::string& domain, int64_t count,
                  const std::string& selector)
{
  Record r;
  r.ip = ip;
  r.count = count;
  r.dkim_results = {{domain, selector, "pass"}};
  r.spf_results = {{domain, "mfrom", "pass"}};
  return r;
}

Record broken(const std::string& ip, const std::string& domain, int64_t count,
              const std::string& selector)
{
  Record r;
  r.ip = ip;
  r.count = count;
  r.dkim = "fail";
  r.spf = "fail";
  r.dkim_results = {{domain, selector, "fail"}};
  r.spf_results = {{domain, "mfrom", "softfail"}};
  return r;
}

std::vector<Record> partly(const std::string& ip, const std::string& domain, int64_t count,
                           int64_t passing, const std::string& selector)
{
  std::vector<Record> out;
  if (passing > 0) {
    out.push_back(authorized(ip, domain, passing, selector));
  }
  if (count > passing) {
    out.push_back(broken(ip, domain, count - passing, selector));
  }
  return out;
}

Record spf_failing(const std::string& ip, const std::string& domain, int64_t count,
                   const std::string& selector)
{
  Record r = authorized(ip, domain, count, selector);
  r.spf = "fail";
  r.spf_results = {{domain, "mfrom", "softfail"}};
  return r;
}

Record forwarder(const std::string& ip, const std::string& domain, int64_t count,
                 const std::string& selector)
{
  Record r = spf_failing(ip, domain, count, selector);
  r.reason = "forwarded";
  return r;
}

Record spoofer(const std::string& ip, const std::string& domain, int64_t count)
{
  Record r;
  r.ip = ip;
  r.count = count;
  r.dkim = "fail";
  r.spf = "fail";
  r.spf_results = {{domain, "mfrom", "softfail"}};
  return r;
}

std::string xml(const Report& report)
{
  const Policy& p = report.policy;
  const bool bis = p.testing.has_value();
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += bis ? "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n  <version>2.0</version>\n"
           : "<feedback>\n  <version>1.0</version>\n";
  x += "  <report_metadata>\n    <org_name>" + escape(report.org_name) + "</org_name>\n"
       "    <email>noreply-dmarc@" + escape(safe_name(report.org_name)) + ".example</email>\n"
       "    <report_id>" + escape(report.report_id) + "</report_id>\n"
       "    <date_range><begin>" + std::to_string(report.begin) + "</begin><end>"
       + std::to_string(report.end) + "</end></date_range>\n  </report_metadata>\n";
  x += "  <policy_published>\n    <domain>" + escape(report.domain) + "</domain>\n"
       "    <adkim>r</adkim><aspf>r</aspf>\n    <p>" + p.p + "</p>\n";
  if (p.sp) {
    x += "    <sp>" + *p.sp + "</sp>\n";
  }
  if (p.pct) {
    x += "    <pct>" + std::to_string(*p.pct) + "</pct>\n";
  }
  if (p.testing) {
    x += "    <testing>" + *p.testing + "</testing>\n";
  }
  x += "  </policy_published>\n";
  const bool enforced = p.p != "none" && p.pct.value_or(100) >= 100 && p.testing.value_or("n") != "y";
  for (const Record& r : report.records) {
    const std::string from = r.header_from.empty() ? report.domain : r.header_from;
    const bool passes = r.dkim == "pass" || r.spf == "pass";
    const std::string disposition =
      !r.disposition.empty() ? r.disposition : (passes || !enforced ? "none" : p.p);
    x += "  <record>\n    <row>\n      <source_ip>" + r.ip + "</source_ip>\n      <count>"
         + std::to_string(r.count) + "</count>\n      <policy_evaluated>\n        <disposition>"
         + disposition + "</disposition>\n        <dkim>" + r.dkim + "</dkim>\n        <spf>" + r.spf
         + "</spf>\n";
    if (!r.reason.empty()) {
      x += "        <reason><type>" + r.reason + "</type></reason>\n";
    }
    x += "      </policy_evaluated>\n    </row>\n    <identifiers>\n      <header_from>" + from
         + "</header_from>\n      <envelope_from>"
         + (r.envelope_from.empty() ? from : r.envelope_from) + "</envelope_from>\n"
         "    </identifiers>\n    <auth_results>\n";
    for (const Dkim& d : r.dkim_results) {
      x += "      <dkim><domain>" + d.domain + "</domain><selector>" + d.selector
           + "</selector><result>" + d.result + "</result></dkim>\n";
    }
    for (const Spf& s : r.spf_results) {
      x += "      <spf><domain>" + s.domain + "</domain><scope>" + s.scope + "</scope><result>"
           + s.result + "</result></spf>\n";
    }
    x += "    </auth_results>\n  </record>\n";
  }
  x += "</feedback>\n";
  return x;
}

int write(const Scenario& scenario, const std::string& dir)
{
  std::filesystem::create_directories(dir);
  int written = 0;
  for (int day = 0; day < scenario.days; ++day) {
    for (int rep = 0; rep < static_cast<int>(scenario.reporters.size()); ++rep) {
      Report r;
      r.org_name = scenario.reporters[static_cast<std::size_t>(rep)];
      r.domain = scenario.domain;
      r.report_id = safe_name(scenario.domain) + "-" + std::to_string(scenario.first_day + day) + "-"
                    + std::to_string(rep);
      r.begin = (scenario.first_day + day) * 86400;
      r.end = r.begin + 86399;
      r.policy = scenario.policy(day);
      r.records = scenario.records(day, rep);
      if (r.records.empty()) {
        continue;
      }
      write_file(dir + "/" + r.report_id + ".xml", xml(r));
      ++written;
    }
  }
  return written;
}

std::string tls_json(const std::string& org_name, const std::string& report_id,
                     const std::string& domain, int64_t day, const TlsDay& content)
{
  int64_t failed = 0;
  for (const TlsFailure& f : content.failures) {
    failed += f.sessions;
  }
  std::string policy_string;
  if (content.policy_type == "sts") {
    policy_string = "\"version: STSv1\", \"mode: " + content.mode + "\"";
    for (const std::string& mx : content.mx) {
      policy_string += ", " + json_string("mx: " + mx);
    }
    policy_string += ", \"max_age: 86400\"";
  }
  std::string j = "{\n  \"organization-name\": " + json_string(org_name) + ",\n"
                  "  \"date-range\": {\"start-datetime\": \"" + rfc3339(day * 86400)
                  + "\", \"end-datetime\": \"" + rfc3339(day * 86400 + 86399) + "\"},\n"
                  "  \"contact-info\": \"smtp-tls-reporting@" + safe_name(org_name) + ".example\",\n"
                  "  \"report-id\": " + json_string(report_id) + ",\n"
                  "  \"policies\": [{\n    \"policy\": {\"policy-type\": \"" + content.policy_type
                  + "\", \"policy-string\": [" + policy_string + "], \"policy-domain\": "
                  + json_string(domain) + ", \"mx-host\": [";
  for (std::size_t i = 0; i < content.mx.size(); ++i) {
    j += (i > 0 ? ", " : "") + json_string(content.mx[i]);
  }
  j += "]},\n    \"summary\": {\"total-successful-session-count\": " + std::to_string(content.success)
       + ", \"total-failure-session-count\": " + std::to_string(failed) + "}";
  if (!content.failures.empty()) {
    j += ",\n    \"failure-details\": [";
    for (std::size_t i = 0; i < content.failures.size(); ++i) {
      j += std::string(i > 0 ? ", " : "") + "{\"result-type\": " + json_string(content.failures[i].result_type)
           + ", \"sending-mta-ip\": \"192.0.2.1\", \"receiving-mx-hostname\": "
           + json_string(content.mx.empty() ? std::string("mail.example.com") : content.mx.front())
           + ", \"failed-session-count\": " + std::to_string(content.failures[i].sessions) + "}";
    }
    j += "]";
  }
  j += "\n  }]\n}\n";
  return j;
}

int write_tls(const TlsScenario& scenario, const std::string& dir)
{
  std::filesystem::create_directories(dir);
  int written = 0;
  for (int day = 0; day < scenario.days; ++day) {
    for (int rep = 0; rep < static_cast<int>(scenario.reporters.size()); ++rep) {
      const std::string id = "tls-" + safe_name(scenario.domain) + "-"
                             + std::to_string(scenario.first_day + day) + "-" + std::to_string(rep);
      write_file(dir + "/" + id + ".json",
                 tls_json(scenario.reporters[static_cast<std::size_t>(rep)], id, scenario.domain,
                          scenario.first_day + day, scenario.day(day, rep)));
      ++written;
    }
  }
  return written;
}

} // namespace dmarc::test::gen
