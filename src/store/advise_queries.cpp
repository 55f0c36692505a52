#include "store/advise_queries.hpp"

#include "core/text.hpp"
#include "store/embedded_sql.hpp"
#include "store/sqlite.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

namespace dmarc::store {

namespace {

// Hashes std::string and std::string_view alike, for lookups without a copy.
struct TextHash
{
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Binds the named parameters a stats query uses (those it does not use are skipped).
void bind_common(Statement& s, const std::string& domain, const StatsWindow& window)
{
  if (int i = s.index_of(":domain"); i > 0) {
    s.bind(i, domain);
  }
  if (int i = s.index_of(":from"); i > 0) {
    s.bind(i, window.from_day);
  }
  if (int i = s.index_of(":to"); i > 0) {
    s.bind(i, window.to_day);
  }
  if (int i = s.index_of(":until"); i > 0) {
    s.bind(i, (window.to_day + 1) * 86400);
  }
  if (int i = s.index_of(":limit"); i > 0) {
    s.bind(i, int64_t{window.source_limit});
  }
}

// Runs `query` for `domain`, calling `row(statement)` per result row.
template <typename Fn>
Result<void> each_row(Connection& c, std::string_view query, const std::string& domain,
                      const StatsWindow& window, Fn row)
{
  // Cached: the same few queries run once per domain.
  auto stmt = c.cached(named_query(query));
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  bind_common(s, domain, window);
  for (;;) {
    auto more = s.step();
    if (!more) {
      return more.error();
    }
    if (!*more) {
      s.reset();
      return {};
    }
    row(s);
  }
}

std::vector<std::string> split(const std::string& text, char separator)
{
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = text.find(separator, start);
    std::string piece = text.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
    if (!piece.empty()) {
      out.push_back(std::move(piece));
    }
    if (pos == std::string::npos) {
      return out;
    }
    start = pos + 1;
  }
}

// The value of the "mode:" line of an MTA-STS policy (RFC 8461 §3.2), lower case; "".
std::string sts_mode(const std::string& policy_string)
{
  for (const std::string& line : split(policy_string, '\n')) {
    const std::string_view l = text::trim(line);
    if (l.size() > 5 && text::iequals(l.substr(0, 5), "mode:")) {
      return text::to_lower(text::trim(l.substr(5)));
    }
  }
  return "";
}

Result<void> read_policy(Connection& c, DomainStats& d, const StatsWindow& window)
{
  PolicyStats& p = d.policy;
  if (auto r = each_row(c, "stats_policy_latest", d.domain, window, [&](Statement& s) {
        p.known = true;
        p.p = s.column_text(0);
        p.sp = s.column_opt_text(1);
        p.np = s.column_opt_text(2);
        p.adkim = s.column_opt_text(3);
        p.aspf = s.column_opt_text(4);
        p.fo = s.column_opt_text(5);
        p.pct = s.column_opt_int(6);
        p.testing = s.column_opt_text(7);
        if (p.testing) {
          *p.testing = text::to_lower(*p.testing);
        }
        p.newest_day = unix_day(s.column_int(8));
      });
      !r) {
    return r;
  }
  if (!p.known) {
    return {};
  }
  struct Stage
  {
    int64_t day = 0;
    std::string p;
    int64_t pct = 100;
    std::string testing;
  };
  std::vector<Stage> history;   // newest day first
  if (auto r = each_row(c, "stats_policy_history", d.domain, window, [&](Statement& s) {
        history.push_back({s.column_int(0), s.column_text(1), s.column_int(2), s.column_text(3)});
      });
      !r) {
    return r;
  }
  // The stage of the newest day. Reporters that predate RFC 9990 do not report t=, and
  // those that follow it no longer report pct=, so a partial stage (pct < 100, t=y) shows
  // in some reports of a day and not in others: what one report of the day shows of it is
  // published, whichever report happens to be the newest.
  for (const Stage& h : history) {
    if (h.day < p.newest_day) {
      break;
    }
    if (h.day == p.newest_day && h.p == p.p) {
      if (h.pct < p.pct.value_or(100)) {
        p.pct = h.pct;
      }
      if (h.testing == "y") {
        p.testing = "y";
      }
    }
  }
  // Walk back day by day while every report of the day shows the current stage (for a
  // partial stage, a report without pct= or t= may be one that cannot see them).
  const int64_t pct = p.pct.value_or(100);
  const std::string testing = p.testing.value_or("n");
  const bool partial = pct < 100 || testing == "y";
  p.since_day = p.newest_day + 1;
  for (std::size_t i = 0; i < history.size();) {
    const int64_t day = history[i].day;
    bool same = true;
    for (; i < history.size() && history[i].day == day; ++i) {
      const Stage& h = history[i];
      same = same && h.p == p.p
             && ((h.pct == pct && h.testing == testing)
                 || (partial && h.pct == 100 && h.testing == "n"));
    }
    if (day > p.newest_day) {
      continue;
    }
    if (!same) {
      break;
    }
    p.since_day = day;
  }
  return {};
}

Result<void> read_sources(Connection& c, DomainStats& d, const StatsWindow& window)
{
  // Fold the per day rows of each source (see sql/queries/stats_sources.sql for why here).
  // The IP is looked up without a copy; a string is made once per source. The buffers are
  // reused from domain to domain.
  thread_local std::unordered_map<std::string, std::size_t, TextHash, std::equal_to<>> index;
  thread_local std::vector<SourceStats> all;
  index.clear();
  all.clear();
  // The source `ip`, added on first sight, with `day` in its first..last range.
  const auto source_on = [&](std::string_view ip, int64_t day) -> SourceStats& {
    auto it = index.find(ip);
    if (it == index.end()) {
      it = index.emplace(std::string(ip), all.size()).first;
      SourceStats added;
      added.ip = it->first;
      added.first_day = day;
      added.last_day = day;
      all.push_back(std::move(added));
    }
    SourceStats& src = all[it->second];
    src.first_day = std::min(src.first_day, day);
    src.last_day = std::max(src.last_day, day);
    return src;
  };
  if (auto r = each_row(c, "stats_sources", d.domain, window, [&](Statement& s) {
        SourceStats& src = source_on(s.column_view(1), s.column_int(0));
        src.messages += s.column_int(2);
        src.dmarc_pass += s.column_int(3);
        src.dkim_aligned += s.column_int(4);
        src.spf_aligned += s.column_int(5);
        src.spf_pass += s.column_int(6);
        src.spf_own += s.column_int(7);
        src.spf_own_pass += s.column_int(8);
        src.forwarded += s.column_int(9);
        if (const std::string_view signer = s.column_view(10);
            !signer.empty()
            && std::find(src.dkim_domains.begin(), src.dkim_domains.end(), signer)
                 == src.dkim_domains.end()) {
          src.dkim_domains.emplace_back(signer);
        }
      });
      !r) {
    return r;
  }
  if (auto r = each_row(c, "stats_failing", d.domain, window, [&](Statement& s) {
        SourceStats& src = source_on(s.column_view(1), s.column_int(0));
        src.messages += s.column_int(2);
        src.spf_own += s.column_int(3);
      });
      !r) {
    return r;
  }
  d.source_count = static_cast<int64_t>(all.size());
  // Biggest first, sorting (messages, index) pairs rather than the structs. A top list
  // breaks ties by IP; the full list (advise) keeps the scan order for them.
  thread_local std::vector<std::pair<int64_t, uint32_t>> keyed;
  keyed.clear();
  for (std::size_t i = 0; i < all.size(); ++i) {
    keyed.emplace_back(-all[i].messages, static_cast<uint32_t>(i));
  }
  std::size_t keep = keyed.size();
  if (window.source_limit >= 0 && keyed.size() > static_cast<std::size_t>(window.source_limit)) {
    keep = static_cast<std::size_t>(window.source_limit);
    std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(keep),
                      keyed.end(), [](const auto& a, const auto& b) {
                        return a.first != b.first ? a.first < b.first
                                                  : all[a.second].ip < all[b.second].ip;
                      });
  } else {
    std::sort(keyed.begin(), keyed.end());
  }
  std::vector<uint32_t> order(keep);
  for (std::size_t i = 0; i < keep; ++i) {
    order[i] = keyed[i].second;
  }
  d.sources.reserve(keep);
  for (std::size_t i = 0; i < keep; ++i) {
    d.sources.push_back(std::move(all[order[i]]));
  }

  // Reverse DNS names, when the sources table has any.
  bool named = false;
  if (auto r = each_row(c, "stats_source_names", d.domain, window,
                        [&](Statement& s) { named = s.column_int(0) != 0; });
      !r) {
    return r;
  }
  if (named) {
    const std::size_t limit = window.name_limit < 0 ? d.sources.size()
                                                    : static_cast<std::size_t>(window.name_limit);
    for (std::size_t i = 0; i < d.sources.size() && i < limit; ++i) {
      SourceStats& src = d.sources[i];
      auto stmt = c.cached(named_query("stats_source_name"));
      if (!stmt) {
        return stmt.error();
      }
      (*stmt)->bind(1, src.ip);
      auto row = (*stmt)->step();
      if (!row) {
        return row.error();
      }
      if (*row) {
        src.reverse_dns = (*stmt)->column_opt_text(0).value_or("");
      }
      (*stmt)->reset();
    }
  }
  return {};
}

Result<void> read_tls(Connection& c, DomainStats& d, const StatsWindow& window)
{
  if (auto r = each_row(c, "stats_tls", d.domain, window, [&](Statement& s) {
        TlsPolicyStats t;
        t.policy_type = s.column_text(0);
        t.reports = s.column_int(1);
        t.reporters = s.column_int(2);
        t.days = s.column_int(3);
        t.success = s.column_int(4);
        t.failure = s.column_int(5);
        d.tls.push_back(std::move(t));
      });
      !r) {
    return r;
  }
  if (d.tls.empty()) {
    return {};
  }
  if (auto r = each_row(c, "stats_tls_failures", d.domain, window, [&](Statement& s) {
        const std::string type = s.column_text(0);
        for (TlsPolicyStats& t : d.tls) {
          if (t.policy_type == type) {
            t.failures.push_back({s.column_text(1), s.column_int(2), s.column_int(3)});
          }
        }
      });
      !r) {
    return r;
  }
  if (auto r = each_row(c, "stats_tls_failure_hosts", d.domain, window, [&](Statement& s) {
        const std::string type = s.column_text(0);
        for (TlsPolicyStats& t : d.tls) {
          if (t.policy_type == type) {
            t.failure_hosts.push_back({s.column_text(1), s.column_text(2), s.column_int(3)});
          }
        }
      });
      !r) {
    return r;
  }
  for (TlsPolicyStats& t : d.tls) {
    auto stmt = c.prepare(named_query("stats_tls_policy_latest"));
    if (!stmt) {
      return stmt.error();
    }
    bind_common(*stmt, d.domain, window);
    stmt->bind(stmt->index_of(":type"), t.policy_type);
    auto row = stmt->step();
    if (!row) {
      return row.error();
    }
    if (*row) {
      t.policy_string = stmt->column_opt_text(0).value_or("");
      t.mx_hosts = split(stmt->column_opt_text(1).value_or(""), ',');
      t.mode = t.policy_type == "sts" ? sts_mode(t.policy_string) : "";
    }
  }
  return {};
}

} // namespace

Result<std::vector<std::string>> stats_domains(Database& db, const StatsWindow& window,
                                               const OptString& domain)
{
  Connection& c = db.connection();
  auto stmt = c.prepare(named_query("stats_domains"));
  if (!stmt) {
    return stmt.error();
  }
  stmt->bind(stmt->index_of(":from"), window.from_day).bind(stmt->index_of(":to"), window.to_day);
  if (domain) {
    stmt->bind(stmt->index_of(":domain"), text::to_lower(*domain));
  } else {
    stmt->bind_null(stmt->index_of(":domain"));
  }
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      return out;
    }
    out.push_back(stmt->column_text(0));
  }
}

Result<DomainStats> domain_stats(Database& db, const std::string& domain,
                                 const StatsWindow& window)
{
  Connection& c = db.connection();
  DomainStats d;
  d.domain = text::to_lower(domain);
  d.from_day = window.from_day;
  d.to_day = window.to_day;
  if (auto r = each_row(c, "stats_totals", d.domain, window, [&](Statement& s) {
        d.days = s.column_int(0);
        d.reports = s.column_int(1);
        d.records = s.column_int(2);
        d.messages = s.column_int(3);
        d.dmarc_pass = s.column_int(4);
        d.dkim_aligned = s.column_int(5);
        d.spf_aligned = s.column_int(6);
        d.quarantined = s.column_int(7);
        d.rejected = s.column_int(8);
        d.spf_own_fail = s.column_int(9);
        d.spf_own_softfail = s.column_int(10);
        d.spf_own_neutral = s.column_int(11);
        d.first_begin = s.column_int(12);
        d.last_end = s.column_int(13);
      });
      !r) {
    return r.error();
  }
  if (auto r = each_row(c, "stats_reporters", d.domain, window, [&](Statement& s) {
        d.reporters.push_back({s.column_text(0), s.column_int(1), s.column_int(2), s.column_int(3)});
      });
      !r) {
    return r.error();
  }
  if (auto r = read_policy(c, d, window); !r) {
    return r.error();
  }
  if (d.reports > 0) {
    if (auto r = read_sources(c, d, window); !r) {
      return r.error();
    }
    if (auto r = each_row(c, "stats_selectors", d.domain, window, [&](Statement& s) {
          d.selectors.push_back({s.column_text(0), s.column_text(1), s.column_int(2),
                                 s.column_int(3), s.column_int(4)});
        });
        !r) {
      return r.error();
    }
  }
  if (window.tls) {
    if (auto r = read_tls(c, d, window); !r) {
      return r.error();
    }
  }
  return d;
}

} // namespace dmarc::store
