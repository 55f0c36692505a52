#include "store/database.hpp"

#include "store/embedded_sql.hpp"
#include "store/sqlite.hpp"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace dmarc::store {

std::string_view named_query(std::string_view name)
{
  for (const EmbeddedSql& query : embedded_queries()) {
    if (query.name == name) {
      return query.text;
    }
  }
  std::fprintf(stderr, "dmarcctl: internal error: no query sql/queries/%.*s.sql\n",
               static_cast<int>(name.size()), name.data());
  std::abort();
}

Database::Database(std::unique_ptr<Connection> conn) : m_conn(std::move(conn)) {}
Database::~Database() = default;

const std::string& Database::path() const { return m_conn->path(); }

int64_t Database::latest_schema_version()
{
  return static_cast<int64_t>(embedded_migrations().size());
}

Result<void> Database::require_existing(const std::string& path)
{
  if (path != ":memory:" && access(path.c_str(), F_OK) != 0) {
    return make_error(ErrorKind::database,
                      "no database at " + path + " (run `dmarcctl import` or `fetch` first)");
  }
  return {};
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path,
                                                 const DatabaseOptions& options)
{
  if (options.access == Access::read_only) {
    if (auto r = require_existing(path); !r) {
      return r.error();
    }
  }
  const OpenMode mode =
    options.access == Access::read_only ? OpenMode::read_only : OpenMode::read_write_create;
  auto conn = Connection::open(path, mode);
  if (!conn) {
    return conn.error();
  }
  std::unique_ptr<Database> db(new Database(std::move(*conn)));
  Connection& c = db->connection();
  std::string pragmas = "PRAGMA busy_timeout = " + std::to_string(options.busy_timeout_ms) + ";"
                        "PRAGMA foreign_keys = ON;"
                        "PRAGMA temp_store = MEMORY;";
  // Imports append, so a small page cache keeps memory bounded by the largest report;
  // readers (summary, advise, export) scan and get more.
  pragmas += options.access == Access::read_write ? "PRAGMA cache_size = -8192;"
                                                   : "PRAGMA cache_size = -65536;";
  if (options.access == Access::read_write) {
    // WAL keeps readers (summary, advise) off the writer's back; NORMAL sync in WAL mode
    // survives a killed process, FULL also a power loss.
    pragmas += "PRAGMA journal_mode = WAL;";
    // A checkpoint copies every page written since the last one into the database file;
    // an import rewrites the same index and rollup pages in transaction after transaction,
    // so checkpointing every 64 MiB of WAL (not SQLite's 4 MiB) copies each of them once
    // instead of many times: 10% less CPU for the bench corpus (2.33 s -> 2.05 s, bench/run).
    pragmas += "PRAGMA wal_autocheckpoint = 16384;";
    pragmas += options.full_sync ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;";
  }
  if (auto r = c.exec(pragmas); !r) {
    return r.error();
  }
  if (options.access == Access::read_write) {
    if (auto r = db->migrate(); !r) {
      return r.error();
    }
  } else {
    auto version = db->schema_version();
    if (!version) {
      return version.error();
    }
    if (*version > latest_schema_version()) {
      // Written by a newer dmarcctl: migrate cannot help (migrations only go forward).
      return make_error(ErrorKind::database,
                        path + " has schema version " + std::to_string(*version)
                          + ", newer than this dmarcctl knows ("
                          + std::to_string(latest_schema_version()) + "); upgrade dmarcctl");
    }
    if (*version != latest_schema_version()) {
      return make_error(ErrorKind::database,
                        path + " has schema version " + std::to_string(*version) + ", expected "
                          + std::to_string(latest_schema_version())
                          + " (run `dmarcctl db migrate`)");
    }
  }
  return db;
}

Result<int64_t> Database::schema_version()
{
  return m_conn->query_int("PRAGMA user_version");
}

Result<void> Database::migrate()
{
  auto version = schema_version();
  if (!version) {
    return version.error();
  }
  const auto& migrations = embedded_migrations();
  if (*version > static_cast<int64_t>(migrations.size())) {
    return make_error(ErrorKind::database,
                      path() + " has schema version " + std::to_string(*version)
                        + ", newer than this dmarcctl knows ("
                        + std::to_string(migrations.size()) + "); upgrade dmarcctl");
  }
  if (*version == static_cast<int64_t>(migrations.size())) {
    return {};
  }
  // All pending migrations in one transaction: a kill -9 mid-way leaves the database as it
  // was, never at a version in between (which `db check` and the readers refuse; found by
  // tests/cli/hardening/crash_test). The version is read again under the write lock, so two
  // runs that open a new database at once do not both migrate it.
  if (auto r = m_conn->exec("BEGIN IMMEDIATE"); !r) {
    return r.error();
  }
  version = schema_version();
  if (!version) {
    (void)m_conn->exec("ROLLBACK");
    return version.error();
  }
  for (auto i = static_cast<std::size_t>(*version); i < migrations.size(); ++i) {
    std::string sql(migrations[i].text);
    sql += "\nPRAGMA user_version = " + std::to_string(i + 1) + ";";
    if (auto r = m_conn->exec(sql); !r) {
      (void)m_conn->exec("ROLLBACK");
      return make_error(ErrorKind::database, "migration " + std::string(migrations[i].name)
                                               + " failed: " + r.error().detail);
    }
  }
  if (auto r = m_conn->exec("COMMIT"); !r) {
    (void)m_conn->exec("ROLLBACK");
    return r.error();
  }
  return {};
}

} // namespace dmarc::store
