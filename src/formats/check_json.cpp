#include "formats/check_json.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

#include <ctime>

namespace dmarc::formats {

namespace {

using json = nlohmann::ordered_json;

json text_or_null(const std::string& value) { return value.empty() ? json(nullptr) : json(value); }

json problems_of(const check::Problems& problems)
{
  json out = json::array();
  for (const check::Problem& p : problems) {
    out.push_back({{"code", p.code}, {"severity", std::string(check::to_string(p.severity))},
                   {"message", p.message}});
  }
  return out;
}

json domain_of(const check::DomainCheck& d)
{
  json j = json::object();
  j["domain"] = d.domain;

  json dmarc = json::object();
  dmarc["record"] = text_or_null(d.dmarc.record);
  dmarc["found_at"] = text_or_null(d.dmarc.found_at);
  json tags = json::object();
  for (const auto& [k, v] : d.dmarc.tags) {
    if (!tags.contains(k)) {
      tags[k] = v;
    }
  }
  dmarc["tags"] = tags;
  dmarc["problems"] = problems_of(d.dmarc.problems);
  j["dmarc"] = dmarc;

  json spf = json::object();
  spf["record"] = text_or_null(d.spf.record);
  spf["lookups"] = d.spf.lookups;
  spf["void_lookups"] = d.spf.void_lookups;
  spf["all"] = text_or_null(d.spf.all);
  spf["problems"] = problems_of(d.spf.problems);
  j["spf"] = spf;

  json dkim = json::array();
  for (const check::DkimCheck& k : d.dkim) {
    json x = json::object();
    x["selector"] = k.selector;
    x["record"] = text_or_null(k.record);
    x["key_type"] = k.record.empty() ? json(nullptr) : json(k.key_type);
    x["key_bits"] = k.key_bits > 0 ? json(k.key_bits) : json(nullptr);
    x["testing"] = k.testing;
    x["revoked"] = k.revoked;
    x["problems"] = problems_of(k.problems);
    dkim.push_back(x);
  }
  j["dkim"] = dkim;

  json sts = json::object();
  sts["record"] = text_or_null(d.mta_sts.record);
  sts["id"] = text_or_null(d.mta_sts.id);
  if (d.mta_sts.policy) {
    const check::MtaStsPolicyView& p = *d.mta_sts.policy;
    sts["policy"] = {{"version", text_or_null(p.version)},
                     {"mode", text_or_null(p.mode)},
                     {"mx", p.mx},
                     {"max_age", p.max_age ? json(*p.max_age) : json(nullptr)}};
  } else {
    sts["policy"] = nullptr;
  }
  sts["problems"] = problems_of(d.mta_sts.problems);
  j["mta_sts"] = sts;

  json tls = json::object();
  tls["record"] = text_or_null(d.tlsrpt.record);
  tls["rua"] = d.tlsrpt.rua;
  tls["problems"] = problems_of(d.tlsrpt.problems);
  j["tlsrpt"] = tls;

  json mx = json::array();
  for (const check::MxHost& h : d.mx) {
    mx.push_back({{"host", h.host}, {"preference", h.preference}, {"ips", h.ips}, {"ptr", h.ptr},
                  {"fcrdns", h.fcrdns}});
  }
  j["mx"] = mx;
  j["mx_problems"] = problems_of(d.mx_problems);
  int errors = 0, warnings = 0;
  for (const check::Problem* p : d.all_problems()) {
    (p->severity == check::Severity::error ? errors : warnings) += 1;
  }
  j["errors"] = errors;
  j["warnings"] = warnings;
  return j;
}

// "2026-12-08T01:02:03Z".
std::string timestamp(int64_t unix_seconds)
{
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace

std::string check_to_json(const std::vector<check::DomainCheck>& domains, int64_t checked_at)
{
  json doc = json::object();
  doc["checked_at"] = timestamp(checked_at);
  json list = json::array();
  for (const check::DomainCheck& d : domains) {
    list.push_back(domain_of(d));
  }
  doc["domains"] = list;
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string domain_check_to_json(const check::DomainCheck& domain)
{
  return domain_of(domain).dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace dmarc::formats
