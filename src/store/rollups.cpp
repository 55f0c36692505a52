#include "store/rollups.hpp"

#include "core/stats.hpp"
#include "core/text.hpp"
#include "store/embedded_sql.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace dmarc::store {

namespace {

int64_t clamp_count(uint64_t count)
{
  constexpr auto max = static_cast<uint64_t>(INT64_MAX);
  return static_cast<int64_t>(count > max ? max : count);
}

// total += n for counts, clamped at 2^63 - 1: counts near 2^63 in two records overflowed
// (UB) until pipeline_import_fuzz replayed fixtures/bad/fuzz-store-count-overflow.xml.
void add(int64_t& total, int64_t n)
{
  total = total > INT64_MAX - n ? INT64_MAX : total + n;
}

// `name` is `domain` or a name below it (case-insensitive; `domain` is lower case).
bool is_own(std::string_view name, std::string_view domain)
{
  if (name.size() == domain.size()) {
    return text::iequals(name, domain);
  }
  return name.size() > domain.size() && name[name.size() - domain.size() - 1] == '.'
         && text::iequals(name.substr(name.size() - domain.size()), domain);
}

bool mail_from_scope(const SpfResult& r)
{
  return !r.scope || r.scope->empty() || *r.scope == "mfrom";
}

bool forwarding_reason(const AggregateRecord& r)
{
  for (const PolicyOverrideReason& reason : r.reasons) {
    if (text::iequals(reason.type, "forwarded") || text::iequals(reason.type, "mailing_list")
        || text::iequals(reason.type, "trusted_forwarder")) {
      return true;
    }
  }
  return false;
}

struct SourceSums
{
  int64_t messages = 0;
  int64_t dmarc_pass = 0;
  int64_t dkim_aligned = 0;
  int64_t spf_aligned = 0;
  int64_t spf_pass = 0;
  int64_t spf_own = 0;
  int64_t spf_own_pass = 0;
  int64_t forwarded = 0;
  std::string signer;              // the smallest unaligned passing DKIM d=, lower case
};

struct SelectorSums
{
  int64_t messages = 0;
  int64_t pass = 0;
  int64_t aligned_pass = 0;
};

Result<Statement*> statement(Connection& c, std::string_view name)
{
  return c.cached(named_query(name));
}

} // namespace

Result<void> add_dmarc_rollups(Connection& c, const AggregateReport& report)
{
  const std::string domain = text::to_lower(report.policy.domain);
  const int64_t day = unix_day(report.begin);

  // One pass over the records: report totals, then per source (records sorted by IP so the
  // upserts walk the primary key in order), selectors and unaligned DKIM domains.
  int64_t messages = 0, dmarc_pass = 0, dkim_aligned = 0, spf_aligned = 0;
  int64_t quarantined = 0, rejected = 0, own_fail = 0, own_softfail = 0, own_neutral = 0;
  std::vector<std::pair<std::string_view, SourceSums>> sources;
  sources.reserve(report.records.size());
  std::map<std::pair<std::string, std::string>, SelectorSums> selectors;

  for (const AggregateRecord& r : report.records) {
    const int64_t n = clamp_count(r.count);
    bool spf_pass = false, spf_own = false, own_pass = false, own_hard = false;
    bool own_soft = false, own_neutral_seen = false;
    for (const SpfResult& s : r.spf_results) {
      if (!mail_from_scope(s)) {
        continue;
      }
      const bool pass = s.result == "pass";
      spf_pass = spf_pass || pass;
      if (is_own(s.domain, domain)) {
        spf_own = true;
        own_pass = own_pass || pass;
        own_hard = own_hard || s.result == "fail";
        own_soft = own_soft || s.result == "softfail";
        own_neutral_seen = own_neutral_seen || s.result == "neutral";
      }
    }
    add(messages, n);
    add(dmarc_pass, r.dmarc_aligned ? n : 0);
    add(dkim_aligned, r.dkim_aligned ? n : 0);
    add(spf_aligned, r.spf_aligned ? n : 0);
    add(quarantined, r.disposition == "quarantine" ? n : 0);
    add(rejected, r.disposition == "reject" ? n : 0);
    if (spf_own && !own_pass) {
      if (own_hard) {
        add(own_fail, n);
      } else if (own_soft) {
        add(own_softfail, n);
      } else if (own_neutral_seen) {
        add(own_neutral, n);
      }
    }

    SourceSums sums;
    sums.messages = n;
    sums.dmarc_pass = r.dmarc_aligned ? n : 0;
    sums.dkim_aligned = r.dkim_aligned ? n : 0;
    sums.spf_aligned = r.spf_aligned ? n : 0;
    sums.spf_pass = spf_pass ? n : 0;
    sums.spf_own = spf_own ? n : 0;
    sums.spf_own_pass = own_pass ? n : 0;
    sums.forwarded = forwarding_reason(r) ? n : 0;

    for (const DkimResult& d : r.dkim_results) {
      const bool pass = d.result == "pass";
      std::string signer = text::to_lower(d.domain);
      if (pass && !d.aligned && (sums.signer.empty() || signer < sums.signer)) {
        sums.signer = signer;
      }
      SelectorSums& s = selectors[{text::to_lower(d.selector.value_or("")), std::move(signer)}];
      add(s.messages, n);
      add(s.pass, pass ? n : 0);
      add(s.aligned_pass, pass && d.aligned ? n : 0);
    }
    // A record without a source IP and no messages (`<source_ip/>`, count 0) is stored
    // but is no source: it would be an empty "Top sources" row.
    if (r.source_ip.empty() && n == 0) {
      continue;
    }
    sources.emplace_back(r.source_ip, std::move(sums));
  }

  {
    auto s = statement(c, "rollup_reporter");
    if (!s) {
      return s.error();
    }
    Statement& st = **s;
    st.bind_static(1, domain).bind(2, day).bind_static(3, report.org_name);
    st.bind(4, static_cast<int64_t>(report.records.size())).bind(5, messages);
    st.bind(6, dmarc_pass).bind(7, dkim_aligned).bind(8, spf_aligned);
    st.bind(9, quarantined).bind(10, rejected).bind(11, own_fail).bind(12, own_softfail);
    st.bind(13, own_neutral).bind(14, report.begin).bind(15, report.end);
    if (auto r = st.run(); !r) {
      return r;
    }
  }
  {
    auto s = statement(c, "rollup_policy");
    if (!s) {
      return s.error();
    }
    const std::string p = text::to_lower(report.policy.p);
    const std::string testing = text::to_lower(report.policy.testing.value_or("n"));
    (*s)->bind_static(1, domain).bind(2, day).bind_static(3, p);
    (*s)->bind(4, report.policy.pct.value_or(100)).bind_static(5, testing);
    if (auto r = (*s)->run(); !r) {
      return r;
    }
  }

  std::sort(sources.begin(), sources.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  auto source_stmt = statement(c, "rollup_source");
  if (!source_stmt) {
    return source_stmt.error();
  }
  auto failing_stmt = statement(c, "rollup_failing");
  if (!failing_stmt) {
    return failing_stmt.error();
  }
  for (std::size_t i = 0; i < sources.size();) {
    SourceSums& sum = sources[i].second;
    std::size_t j = i + 1;
    for (; j < sources.size() && sources[j].first == sources[i].first; ++j) {
      const SourceSums& more = sources[j].second;
      add(sum.messages, more.messages);
      add(sum.dmarc_pass, more.dmarc_pass);
      add(sum.dkim_aligned, more.dkim_aligned);
      add(sum.spf_aligned, more.spf_aligned);
      add(sum.spf_pass, more.spf_pass);
      add(sum.spf_own, more.spf_own);
      add(sum.spf_own_pass, more.spf_own_pass);
      add(sum.forwarded, more.forwarded);
      if (!more.signer.empty() && (sum.signer.empty() || more.signer < sum.signer)) {
        sum.signer = more.signer;
      }
    }
    const std::string_view ip = sources[i].first;
    const bool failed = sum.dmarc_pass == 0 && sum.dkim_aligned == 0 && sum.spf_aligned == 0
                        && sum.spf_pass == 0 && sum.forwarded == 0 && sum.signer.empty();
    if (failed) {
      // Most spoofers: a narrow row (daily_failing); their other sums are zero.
      Statement& st = **failing_stmt;
      st.bind_static(1, domain).bind(2, day).bind_static(3, ip).bind(4, sum.messages);
      st.bind(5, sum.spf_own);
      if (auto r = st.run(); !r) {
        return r;
      }
      i = j;
      continue;
    }
    Statement& st = **source_stmt;
    st.bind_static(1, domain).bind(2, day).bind_static(3, ip).bind(4, sum.messages);
    st.bind(5, sum.dmarc_pass).bind(6, sum.dkim_aligned).bind(7, sum.spf_aligned);
    st.bind(8, sum.spf_pass).bind(9, sum.spf_own).bind(10, sum.spf_own_pass);
    st.bind(11, sum.forwarded).bind_static(12, sum.signer);
    if (auto r = st.run(); !r) {
      return r;
    }
    i = j;
  }

  if (!selectors.empty()) {
    auto s = statement(c, "rollup_selector");
    if (!s) {
      return s.error();
    }
    for (const auto& [key, sums] : selectors) {
      Statement& st = **s;
      st.bind_static(1, domain).bind(2, day).bind_static(3, key.first).bind_static(4, key.second);
      st.bind(5, sums.messages).bind(6, sums.pass).bind(7, sums.aligned_pass);
      if (auto r = st.run(); !r) {
        return r;
      }
    }
  }
  return {};
}

Result<void> add_tls_rollups(Connection& c, const TlsReport& report)
{
  const int64_t day = unix_day(report.begin);
  // (domain, policy type) → success, failure; (domain, type, result type) → sessions.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> policies;
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> failures;
  for (const TlsPolicy& p : report.policies) {
    // A report is about one policy domain (RFC 8460 §4.4); a no-policy-found policy that
    // names none (Postfix's tlsrpt-reporter) counts for the domain the report's other
    // policies name, not for a separate "no domain" one.
    const std::string domain =
      text::to_lower(p.policy_domain.empty() ? report.domain() : p.policy_domain);
    auto& sums = policies[{domain, p.policy_type}];
    add(sums.first, clamp_count(p.successful_sessions));
    add(sums.second, clamp_count(p.failed_sessions));
    for (const TlsFailureDetail& f : p.failures) {
      add(failures[{domain, p.policy_type, f.result_type}], clamp_count(f.failed_session_count));
    }
  }
  if (!policies.empty()) {
    auto s = statement(c, "rollup_tls");
    if (!s) {
      return s.error();
    }
    for (const auto& [key, sums] : policies) {
      Statement& st = **s;
      st.bind_static(1, key.first).bind(2, day).bind_static(3, key.second);
      st.bind_static(4, report.org_name).bind(5, sums.first).bind(6, sums.second);
      if (auto r = st.run(); !r) {
        return r;
      }
    }
  }
  if (!failures.empty()) {
    auto s = statement(c, "rollup_tls_failure");
    if (!s) {
      return s.error();
    }
    for (const auto& [key, sessions] : failures) {
      Statement& st = **s;
      st.bind_static(1, std::get<0>(key)).bind(2, day).bind_static(3, std::get<1>(key));
      st.bind_static(4, std::get<2>(key)).bind(5, sessions);
      if (auto r = st.run(); !r) {
        return r;
      }
    }
  }
  return {};
}

} // namespace dmarc::store
