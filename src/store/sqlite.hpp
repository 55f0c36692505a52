// A thin RAII layer over the SQLite C API, internal to the store module. Every statement
// is prepared once and bound with parameters: no SQL text is ever built from data.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace dmarc::store {

class Statement
{
public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : m_db(db), m_stmt(stmt) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, std::string_view value);           // TEXT, copied
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::optional<std::string>& value); // NULL when absent
  Statement& bind(int index, std::optional<int64_t> value);
  Statement& bind_blob(int index, std::string_view value);
  // Like bind(), without copying: `value` must stay alive until the statement is reset.
  Statement& bind_static(int index, std::string_view value);
  Statement& bind_static(int index, const std::string& value)
  {
    return bind_static(index, std::string_view(value));
  }
  Statement& bind_static(int index, const char* value)
  {
    return bind_static(index, std::string_view(value));
  }
  Statement& bind_static(int index, const std::optional<std::string>& value);
  Statement& bind_null(int index);
  // Binds by name (":name").
  int index_of(const char* name) const;

  // Steps once: true when a row is available, false when done.
  Result<bool> step();
  // Steps to completion, expecting no rows.
  Result<void> run();
  // Resets and clears bindings for reuse.
  void reset();

  int64_t column_int(int col) const;
  std::string column_text(int col) const;
  // The text without a copy: valid until the next step() or reset().
  std::string_view column_view(int col) const;
  std::optional<std::string> column_opt_text(int col) const;
  std::optional<int64_t> column_opt_int(int col) const;
  std::string_view column_blob(int col) const;
  bool column_is_null(int col) const;

private:
  sqlite3* m_db = nullptr;
  sqlite3_stmt* m_stmt = nullptr;
};

enum class OpenMode { read_write_create, read_write, read_only };

class Connection
{
public:
  // Opens (and with read_write_create creates, mode 0600) the database at `path`.
  static Result<std::unique_ptr<Connection>> open(const std::string& path, OpenMode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Executes one or more statements without parameters (schema, pragmas).
  Result<void> exec(std::string_view sql);
  // A fresh prepared statement.
  Result<Statement> prepare(std::string_view sql);
  // A cached prepared statement (reset, bindings cleared), keyed by its text.
  Result<Statement*> cached(std::string_view sql);
  int64_t last_insert_rowid() const;
  int changes() const;
  // The value of a single-integer query such as "PRAGMA user_version".
  Result<int64_t> query_int(std::string_view sql);
  const std::string& path() const { return m_path; }
  // The last error message of the connection, naming the file.
  std::string error_message() const;

private:
  Connection(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
  sqlite3* m_db;
  std::string m_path;
  std::unordered_map<std::string, std::unique_ptr<Statement>> m_cache;
};

} // namespace dmarc::store
