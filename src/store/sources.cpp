// The `sources` table: see sources.hpp and sql/0006_enrichment.sql.
#include "store/sources.hpp"

#include "store/sqlite.hpp"

#include <algorithm>
#include <unordered_set>

namespace dmarc::store {

namespace {

constexpr const char* k_due_dns =
  "SELECT DISTINCT r.source_ip FROM aggregate_records r LEFT JOIN sources s ON s.ip = r.source_ip"
  " WHERE s.ip IS NULL OR s.looked_up IS NULL OR s.expires IS NULL OR s.expires <= ?1";
constexpr const char* k_due_offline =
  "SELECT DISTINCT r.source_ip FROM aggregate_records r LEFT JOIN sources s ON s.ip = r.source_ip"
  " WHERE s.ip IS NULL";
constexpr const char* k_all = "SELECT DISTINCT source_ip FROM aggregate_records";
constexpr const char* k_select_source =
  "SELECT reverse_dns, base_domain, name, type, looked_up, rdns_status, fcrdns, expires,"
  " name_source, asn, as_name, as_domain, country, dns_error FROM sources WHERE ip = ?1";
constexpr const char* k_authenticated =
  "SELECT r.source_ip, j.value ->> 0, lower(j.value ->> 1), sum(r.count)"
  " FROM aggregate_records r, json_each(r.auth) j"
  " WHERE r.auth IS NOT NULL AND lower(j.value ->> 4) = 'pass' AND (j.value ->> 1) <> ''"
  " GROUP BY 1, 2, 3";
constexpr const char* k_upsert_source =
  "INSERT OR REPLACE INTO sources (ip, reverse_dns, base_domain, name, type, looked_up,"
  " rdns_status, fcrdns, expires, name_source, asn, as_name, as_domain, country, dns_error)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

std::optional<int64_t> opt_bool(const std::optional<bool>& b)
{
  return b ? std::optional<int64_t>(*b ? 1 : 0) : std::nullopt;
}

void read_row(const Statement& s, SourceRow& row)
{
  row.info.reverse_dns = s.column_opt_text(0);
  row.info.base_domain = s.column_opt_text(1);
  row.info.name = s.column_opt_text(2);
  row.info.type = s.column_opt_text(3);
  row.looked_up = s.column_opt_int(4);
  row.rdns_status = s.column_opt_text(5);
  if (auto f = s.column_opt_int(6)) {
    row.info.fcrdns = *f != 0;
  }
  row.expires = s.column_opt_int(7);
  row.info.name_source = s.column_opt_text(8);
  row.info.asn = s.column_opt_int(9);
  row.info.as_name = s.column_opt_text(10);
  row.info.as_domain = s.column_opt_text(11);
  row.info.country = s.column_opt_text(12);
  row.dns_error = s.column_opt_text(13);
}

} // namespace

Result<std::vector<std::string>> sources_to_enrich(Database& db, int64_t now, bool dns, EnrichScope scope)
{
  auto stmt = scope == EnrichScope::all ? db.connection().prepare(k_all)
              : dns                      ? db.connection().prepare(k_due_dns)
                                         : db.connection().prepare(k_due_offline);
  if (!stmt) {
    return stmt.error();
  }
  if (scope == EnrichScope::due && dns) {
    stmt->bind(1, now);
  }
  std::vector<std::string> ips;
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    ips.push_back(stmt->column_text(0));
  }
  return ips;
}

Result<std::unordered_map<std::string, SourceRow>> load_sources(Database& db, const std::vector<std::string>& ips)
{
  std::unordered_map<std::string, SourceRow> out;
  auto stmt = db.connection().prepare(k_select_source);
  if (!stmt) {
    return stmt.error();
  }
  for (const std::string& ip : ips) {
    stmt->reset();
    stmt->bind(1, ip);
    auto row = stmt->step();
    if (!row) {
      return row.error();
    }
    if (*row) {
      SourceRow r;
      r.ip = ip;
      read_row(*stmt, r);
      out.emplace(ip, std::move(r));
    }
  }
  return out;
}

Result<std::unordered_map<std::string, AuthenticatedDomains>>
authenticated_domains(Database& db, const std::vector<std::string>& ips)
{
  std::unordered_map<std::string, AuthenticatedDomains> out;
  if (ips.empty()) {
    return out;
  }
  const std::unordered_set<std::string> wanted(ips.begin(), ips.end());
  auto stmt = db.connection().prepare(k_authenticated);
  if (!stmt) {
    return stmt.error();
  }
  for (;;) {
    auto row = stmt->step();
    if (!row) {
      return row.error();
    }
    if (!*row) {
      break;
    }
    std::string ip = stmt->column_text(0);
    if (wanted.count(ip) == 0) {
      continue;
    }
    const std::string kind = stmt->column_text(1);
    auto& entry = out[ip];
    auto& list = kind == "dkim" ? entry.dkim : entry.spf;
    list.emplace_back(stmt->column_text(2), stmt->column_int(3));
  }
  for (auto& [ip, e] : out) {
    const auto by_count = [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    };
    std::sort(e.dkim.begin(), e.dkim.end(), by_count);
    std::sort(e.spf.begin(), e.spf.end(), by_count);
  }
  return out;
}

Result<void> save_sources(Database& db, const std::vector<SourceRow>& rows)
{
  Connection& c = db.connection();
  if (auto r = c.exec("BEGIN IMMEDIATE"); !r) {
    return r.error();
  }
  auto stmt = c.cached(k_upsert_source);
  if (!stmt) {
    (void)c.exec("ROLLBACK");
    return stmt.error();
  }
  for (const SourceRow& row : rows) {
    Statement& s = **stmt;
    s.reset();
    s.bind(1, row.ip);
    s.bind(2, row.info.reverse_dns);
    s.bind(3, row.info.base_domain);
    s.bind(4, row.info.name);
    s.bind(5, row.info.type);
    s.bind(6, row.looked_up);
    s.bind(7, row.rdns_status);
    s.bind(8, opt_bool(row.info.fcrdns));
    s.bind(9, row.expires);
    s.bind(10, row.info.name_source);
    s.bind(11, row.info.asn);
    s.bind(12, row.info.as_name);
    s.bind(13, row.info.as_domain);
    s.bind(14, row.info.country);
    s.bind(15, row.dns_error);
    if (auto r = s.run(); !r) {
      (void)c.exec("ROLLBACK");
      return r.error();
    }
  }
  if (auto r = c.exec("COMMIT"); !r) {
    (void)c.exec("ROLLBACK");
    return r.error();
  }
  return {};
}

const SourceInfo& SourceDirectory::get(const std::string& ip)
{
  static const SourceInfo k_empty;
  if (auto it = m_cache.find(ip); it != m_cache.end()) {
    return it->second;
  }
  if (m_failed) {
    return k_empty;
  }
  auto stmt = m_db.connection().cached(k_select_source);
  if (!stmt) {
    m_failed = true;
    return k_empty;
  }
  (*stmt)->bind(1, ip);
  SourceRow row;
  auto step = (*stmt)->step();
  if (!step) {
    m_failed = true;
    return k_empty;
  }
  if (*step) {
    read_row(**stmt, row);
  }
  (*stmt)->reset();
  return m_cache.emplace(ip, std::move(row.info)).first->second;
}

} // namespace dmarc::store
