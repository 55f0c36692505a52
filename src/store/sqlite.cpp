#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dmarc::store {

Statement::Statement(Statement&& other) noexcept : m_db(other.m_db), m_stmt(other.m_stmt)
{
  other.m_stmt = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept
{
  if (this != &other) {
    sqlite3_finalize(m_stmt);
    m_db = other.m_db;
    m_stmt = other.m_stmt;
    other.m_stmt = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(m_stmt); }

Statement& Statement::bind(int index, int64_t value)
{
  sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value)
{
  sqlite3_bind_text64(m_stmt, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& value)
{
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Statement& Statement::bind(int index, std::optional<int64_t> value)
{
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind_blob(int index, std::string_view value)
{
  sqlite3_bind_blob64(m_stmt, index, value.data(), value.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_static(int index, std::string_view value)
{
  sqlite3_bind_text64(m_stmt, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind_static(int index, const std::optional<std::string>& value)
{
  return value ? bind_static(index, std::string_view(*value)) : bind_null(index);
}

Statement& Statement::bind_null(int index)
{
  sqlite3_bind_null(m_stmt, index);
  return *this;
}

int Statement::index_of(const char* name) const
{
  return sqlite3_bind_parameter_index(m_stmt, name);
}

Result<bool> Statement::step()
{
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  std::string message = sqlite3_errmsg(m_db);
  sqlite3_reset(m_stmt);
  return make_error(ErrorKind::database, message);
}

Result<void> Statement::run()
{
  for (;;) {
    auto more = step();
    if (!more) {
      return more.error();
    }
    if (!*more) {
      sqlite3_reset(m_stmt);
      return {};
    }
  }
}

void Statement::reset()
{
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(m_stmt, col); }

std::string_view Statement::column_view(int col) const
{
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
  const int size = sqlite3_column_bytes(m_stmt, col);
  return text != nullptr ? std::string_view(text, static_cast<std::size_t>(size))
                         : std::string_view();
}

std::string Statement::column_text(int col) const
{
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
  const int size = sqlite3_column_bytes(m_stmt, col);
  return text != nullptr ? std::string(text, static_cast<std::size_t>(size)) : std::string();
}

std::optional<std::string> Statement::column_opt_text(int col) const
{
  if (column_is_null(col)) {
    return std::nullopt;
  }
  return column_text(col);
}

std::optional<int64_t> Statement::column_opt_int(int col) const
{
  if (column_is_null(col)) {
    return std::nullopt;
  }
  return column_int(col);
}

std::string_view Statement::column_blob(int col) const
{
  const void* data = sqlite3_column_blob(m_stmt, col);
  const int size = sqlite3_column_bytes(m_stmt, col);
  return data != nullptr ? std::string_view(static_cast<const char*>(data),
                                            static_cast<std::size_t>(size))
                         : std::string_view();
}

bool Statement::column_is_null(int col) const
{
  return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path, OpenMode mode)
{
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
  case OpenMode::read_write_create:
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (path != ":memory:" && access(path.c_str(), F_OK) != 0) {
      // Create the file ourselves so it is 0600 from the start: reports name people and
      // infrastructure. SQLite gives the -wal and -shm files the same mode.
      const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
      if (fd < 0 && errno != EEXIST) {
        return make_error(ErrorKind::database,
                          "cannot create database " + path + ": " + std::strerror(errno));
      }
      if (fd >= 0) {
        ::close(fd);
      }
    }
    break;
  case OpenMode::read_write:
    flags |= SQLITE_OPEN_READWRITE;
    break;
  case OpenMode::read_only:
    flags |= SQLITE_OPEN_READONLY;
    break;
  }
  // A connection is used by one thread at a time: no per-call mutex (SQLITE_OPEN_NOMUTEX),
  // and no global allocation statistics, which take a mutex on every malloc.
  static const bool configured = [] {
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  flags |= SQLITE_OPEN_NOMUTEX;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return make_error(ErrorKind::database, "cannot open database " + path + ": " + message);
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection()
{
  m_cache.clear();
  sqlite3_close(m_db);
}

Result<void> Connection::exec(std::string_view sql)
{
  std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string detail = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    return make_error(ErrorKind::database, detail + " (" + m_path + ")");
  }
  return {};
}

Result<Statement> Connection::prepare(std::string_view sql)
{
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr)
      != SQLITE_OK) {
    return make_error(ErrorKind::database, error_message());
  }
  return Statement(m_db, stmt);
}

Result<Statement*> Connection::cached(std::string_view sql)
{
  auto it = m_cache.find(std::string(sql));
  if (it == m_cache.end()) {
    auto stmt = prepare(sql);
    if (!stmt) {
      return stmt.error();
    }
    it = m_cache.emplace(std::string(sql), std::make_unique<Statement>(std::move(*stmt))).first;
  } else {
    it->second->reset();
  }
  return it->second.get();
}

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db); }

int Connection::changes() const { return sqlite3_changes(m_db); }

Result<int64_t> Connection::query_int(std::string_view sql)
{
  auto stmt = prepare(sql);
  if (!stmt) {
    return stmt.error();
  }
  auto row = stmt->step();
  if (!row) {
    return row.error();
  }
  return *row ? stmt->column_int(0) : 0;
}

std::string Connection::error_message() const
{
  return std::string(sqlite3_errmsg(m_db)) + " (" + m_path + ")";
}

} // namespace dmarc::store
