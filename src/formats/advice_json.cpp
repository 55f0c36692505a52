#include "formats/advice_json.hpp"

#include "core/text.hpp"

#include <nlohmann/json.hpp>

namespace dmarc::formats {

namespace {

using json = nlohmann::ordered_json;
using advise::Check;

std::string day(int64_t d) { return text::format_date(d * 86400); }

json text_or_null(const std::string& value) { return value.empty() ? json(nullptr) : json(value); }

json evidence_of(const Check& c)
{
  json e = json::object();
  for (const advise::Number& n : c.evidence) {
    if (n.integer) {
      e[n.name] = static_cast<int64_t>(n.value);
    } else {
      e[n.name] = n.value;
    }
  }
  return e;
}

// `pass_share` is always a number (issue #5: {"source", "messages": N, "pass_share": F,
// "why"}): a blocker without a share of its own is one where nothing passed — a TLS failure
// type (every session of it failed), a selector never seen, no mail at all (0 messages).
json blockers_of(const Check& c)
{
  json b = json::array();
  for (const advise::Blocker& x : c.blockers) {
    b.push_back({{"source", x.source}, {"messages", x.messages},
                 {"pass_share", x.pass_share.value_or(0.0)}, {"why", x.why}});
  }
  return b;
}

// The keys every check has, after its own leading keys.
void common(json& j, const Check& c)
{
  j["verdict"] = std::string(advise::to_string(c.verdict));
  j["explanation"] = c.explanation;
  j["missing"] = c.missing;
  j["evidence"] = evidence_of(c);
  j["blockers"] = blockers_of(c);
}

json dmarc_of(const Check& c)
{
  json j = json::object();
  j["current"] = text_or_null(c.current);
  j["current_pct"] = c.current_pct ? json(*c.current_pct) : json(nullptr);
  j["current_testing"] = c.current_testing;
  j["published_since"] = c.current.empty() ? json(nullptr) : json(day(c.published_since_day));
  j["verdict"] = std::string(advise::to_string(c.verdict));
  j["next_policy"] = text_or_null(c.next);
  j["dns_record"] = text_or_null(c.dns_record);
  j["published"] = text_or_null(c.published);
  j["dns_action"] = c.dns_record.empty() ? json(nullptr) : json(c.publish ? "publish" : "keep");
  j["explanation"] = c.explanation;
  j["missing"] = c.missing;
  j["evidence"] = evidence_of(c);
  j["blockers"] = blockers_of(c);
  return j;
}

json spf_of(const Check& c)
{
  json j = json::object();
  j["current"] = text_or_null(c.current);
  j["next"] = text_or_null(c.next);
  j["dns_record"] = text_or_null(c.dns_record);
  j["published"] = text_or_null(c.published);
  j["dns_action"] = c.dns_record.empty() ? json(nullptr) : json(c.publish ? "publish" : "keep");
  common(j, c);
  return j;
}

json dkim_of(const Check& c)
{
  json selectors = json::object();
  for (const advise::SelectorAdvice& s : c.selectors) {
    selectors[s.selector] = {
      {"configured", s.configured},
      {"seen", s.messages > 0},
      {"messages", s.messages},
      {"pass_share", s.messages > 0 ? json(static_cast<double>(s.pass) / static_cast<double>(s.messages)) : json(nullptr)},
      {"aligned_pass_share", s.messages > 0 ? json(static_cast<double>(s.aligned_pass) / static_cast<double>(s.messages)) : json(nullptr)},
      {"domains", s.dkim_domains},
    };
  }
  json j = json::object();
  j["selectors"] = std::move(selectors);
  common(j, c);
  return j;
}

json mta_sts_of(const Check& c)
{
  json j = json::object();
  j["current"] = text_or_null(c.current);
  j["next"] = text_or_null(c.next);
  j["dns_record"] = text_or_null(c.dns_record);
  j["dns_action"] = c.dns_record.empty() ? json(nullptr) : json(c.publish ? "publish" : "keep");
  j["policy"] = text_or_null(c.policy_file);
  common(j, c);
  return j;
}

json sources_of(const advise::DomainAdvice& d)
{
  auto totals = [](const advise::ClassTotals& t) {
    return json{{"sources", t.sources}, {"messages", t.messages}, {"dmarc_pass", t.dmarc_pass}};
  };
  json list = json::array();
  for (const advise::ClassifiedSource& s : d.sources) {
    if (list.size() >= 50) {
      break;
    }
    const SourceStats& st = s.stats;
    auto share = [&](int64_t part) {
      return st.messages > 0 ? json(static_cast<double>(part) / static_cast<double>(st.messages))
                             : json(nullptr);
    };
    list.push_back({
      {"source", st.ip},
      {"reverse_dns", text_or_null(st.reverse_dns)},
      {"class", std::string(advise::to_string(s.cls))},
      {"basis", s.basis()},
      {"messages", st.messages},
      {"dmarc_pass_share", share(st.dmarc_pass)},
      {"dkim_aligned_share", share(st.dkim_aligned)},
      {"spf_aligned_share", share(st.spf_aligned)},
      {"first_seen", day(st.first_day)},
      {"last_seen", day(st.last_day)},
    });
  }
  return {{"authorized", totals(d.authorized)}, {"forwarder", totals(d.forwarder)},
          {"unknown", totals(d.unknown)}, {"top", std::move(list)}};
}

} // namespace

std::string advice_to_json(const advise::Advice& advice)
{
  json domains = json::array();
  for (const advise::DomainAdvice& d : advice.domains) {
    json entry = json::object();
    entry["domain"] = d.domain;
    entry["configured"] = d.configured;
    entry["window"] = {{"from", day(d.from_day)}, {"to", day(d.to_day)},
                       {"days", d.to_day - d.from_day + 1}};
    entry["notes"] = d.notes;
    entry["sources"] = sources_of(d);
    entry["dmarc"] = dmarc_of(d.dmarc);
    entry["spf"] = spf_of(d.spf);
    entry["dkim"] = dkim_of(d.dkim);
    entry["mta_sts"] = mta_sts_of(d.mta_sts);
    domains.push_back(std::move(entry));
  }
  json doc = json::object();
  doc["as_of"] = day(advice.as_of_day);
  doc["window_days"] = advice.window_days;
  doc["regression"] = advice.regression();
  doc["domains"] = std::move(domains);
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

} // namespace dmarc::formats
