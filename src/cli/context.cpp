#include "cli/context.hpp"

#include "core/log.hpp"
#include "core/stats.hpp"
#include "core/text.hpp"
#include "store/queries.hpp"

namespace dmarc::cli {

Result<const config::Config*> Context::config()
{
  if (!m_config && !m_config_error) {
    const std::string path = config_path.empty() ? config::find_default() : config_path;
    if (path.empty()) {
      m_config = config::Config{};
    } else {
      auto loaded = config::load(path);
      if (loaded) {
        m_config = std::move(*loaded);
      } else {
        m_config_error = loaded.error();
      }
    }
  }
  if (m_config_error) {
    return *m_config_error;
  }
  return &*m_config;
}

const Limits& Context::limits()
{
  auto c = config();
  return c ? (*c)->limits : m_default_limits;
}

std::string Context::database_path()
{
  if (!db_path.empty()) {
    return db_path;
  }
  if (auto c = config(); c && !(*c)->database_path.empty()) {
    return (*c)->database_path;
  }
  return "dmarcctl.sqlite";
}

Result<std::unique_ptr<store::Database>> Context::open_database(store::Access access)
{
  if (auto c = config(); !c) {
    return c.error();
  }
  store::DatabaseOptions options;
  options.access = access;
  return store::Database::open(database_path(), options);
}

ExitCode fail(const Error& error)
{
  log::error(error.to_string());
  switch (error.kind) {
  case ErrorKind::usage:
  case ErrorKind::config:
    return ExitCode::usage;
  default:
    return ExitCode::error;
  }
}

std::optional<int64_t> parse_since(const std::string& text, int64_t now)
{
  if (auto date = text::parse_date(text)) {
    return *date;
  }
  if (text.size() < 2) {
    return std::nullopt;
  }
  const char unit = text.back();
  const auto n = text::parse_u64(std::string_view(text).substr(0, text.size() - 1));
  if (!n || *n > 100'000) {
    return std::nullopt;
  }
  int64_t seconds = 0;
  switch (unit) {
  case 'h': seconds = 3600; break;
  case 'd': seconds = 86400; break;
  case 'w': seconds = 7 * 86400; break;
  default: return std::nullopt;
  }
  return now - static_cast<int64_t>(*n) * seconds;
}

std::string domain_key(std::string_view name)
{
  name = text::trim(name);
  while (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return text::to_lower(name);
}

Result<std::string> empty_period_hint(store::Database& db, int64_t from_day, int64_t to_day,
                                      bool with_since)
{
  auto extent = store::stored_extent(db);
  if (!extent) {
    return extent.error();
  }
  if (extent->reports == 0) {
    return std::string("The database holds no reports yet (run `dmarcctl import` or `fetch`).");
  }
  const std::string first = text::format_date(extent->first_begin);
  const std::string last = text::format_date(extent->last_end);
  std::string hint = "The database holds " + text::plural(extent->reports, "report", "reports")
                     + " from " + first + " to " + last + " (UTC); see them with ";
  if (with_since && unix_day(extent->last_end) < from_day) {
    hint += "--since " + first + " or --as-of " + last + ".";
  } else {
    hint += "--as-of " + last + ".";
  }
  (void)to_day;
  return hint;
}

Result<void> require_known_domain(store::Database& db, const std::string& domain,
                                  const config::Config* config)
{
  if (config != nullptr) {
    for (const config::DomainSettings& d : config->domains) {
      if (domain_key(d.name) == domain) {
        return {};
      }
    }
  }
  auto known = store::known_domains(db);
  if (!known) {
    return known.error();
  }
  std::string list;
  for (const std::string& name : *known) {
    if (name == domain) {
      return {};
    }
    list += (list.empty() ? "" : ", ") + name;
  }
  return make_error(ErrorKind::usage, "--domain " + domain + ": no reports for this domain; "
                                        + (list.empty() ? std::string("the database holds none yet")
                                                        : "known domains: " + list));
}

} // namespace dmarc::cli
