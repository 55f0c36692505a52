#include "store/report_queries.hpp"

#include "store/embedded_sql.hpp"
#include "store/sqlite.hpp"

namespace dmarc::store {

namespace {

// Runs the named query for `domain` over the window's days, calling `row` per result row.
template <typename Fn>
Result<void> each_row(Connection& c, std::string_view query, const std::string& domain,
                      const StatsWindow& window, Fn row)
{
  auto stmt = c.cached(named_query(query));
  if (!stmt) {
    return stmt.error();
  }
  Statement& s = **stmt;
  s.bind(s.index_of(":domain"), domain)
    .bind(s.index_of(":from"), window.from_day)
    .bind(s.index_of(":to"), window.to_day);
  for (;;) {
    auto more = s.step();
    if (!more) {
      s.reset();
      return more.error();
    }
    if (!*more) {
      s.reset();
      return {};
    }
    row(s);
  }
}

} // namespace

Result<DailyStats> daily_stats(Database& db, const std::string& domain, const StatsWindow& window)
{
  Connection& c = db.connection();
  DailyStats d;
  if (auto r = each_row(c, "report_days", domain, window, [&](Statement& s) {
        d.days.push_back({s.column_int(0), s.column_int(1), s.column_int(2), s.column_int(3)});
      });
      !r) {
    return r.error();
  }
  if (auto r = each_row(c, "report_stages", domain, window, [&](Statement& s) {
        d.stages.push_back(
          {s.column_int(0), s.column_text(1), s.column_int(2), s.column_text(3), s.column_int(4)});
      });
      !r) {
    return r.error();
  }
  if (auto r = each_row(c, "report_reporter_days", domain, window, [&](Statement& s) {
        d.reporters.push_back({s.column_text(0), s.column_int(1), s.column_int(2)});
      });
      !r) {
    return r.error();
  }
  if (auto r = each_row(c, "report_selector_days", domain, window, [&](Statement& s) {
        d.selectors.push_back({s.column_text(0), s.column_text(1), s.column_int(2),
                               s.column_int(3), s.column_int(4), s.column_int(5)});
      });
      !r) {
    return r.error();
  }
  if (window.tls) {
    if (auto r = each_row(c, "report_tls_days", domain, window, [&](Statement& s) {
          d.tls.push_back({s.column_text(0), s.column_int(1), s.column_int(2), s.column_int(3),
                           s.column_int(4)});
        });
        !r) {
      return r.error();
    }
  }
  return d;
}

Result<void> each_source_day(
  Database& db, const std::string& domain, const StatsWindow& window,
  const std::function<void(int64_t day, std::string_view ip, int64_t messages, int64_t dmarc_pass)>&
    fn)
{
  return each_row(db.connection(), "report_source_days", domain, window, [&](Statement& s) {
    fn(s.column_int(0), s.column_view(1), s.column_int(2), s.column_int(3));
  });
}

Result<std::string> reverse_dns(Database& db, const std::string& ip)
{
  auto stmt = db.connection().cached(named_query("stats_source_name"));
  if (!stmt) {
    return stmt.error();
  }
  (*stmt)->bind(1, ip);
  auto row = (*stmt)->step();
  if (!row) {
    (*stmt)->reset();
    return row.error();
  }
  std::string name = *row ? (*stmt)->column_opt_text(0).value_or("") : "";
  (*stmt)->reset();
  return name;
}

} // namespace dmarc::store
