// ⑤ store: the SQLite database that holds the report history.
//
// Why: one file, WAL mode (readers never block the nightly writer), foreign keys on,
// forward-only migrations from sql/ compiled into the binary and tracked with
// PRAGMA user_version. The file is created with mode 0600. A second writer waits up to
// the busy timeout, then fails with a clear "database is locked" error.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace dmarc::store {

class Connection;

enum class Access { read_write, read_only };

struct DatabaseOptions
{
  Access access = Access::read_write;
  int busy_timeout_ms = 10'000;
  // Make every commit durable against power loss (fsync per transaction), for fetch
  // runs that delete or move the source message after the commit.
  bool full_sync = false;
};

class Database
{
public:
  // Opens the database at `path`, creating it and applying pending migrations when
  // opened for writing. A read-only open of a missing file is an error.
  static Result<std::unique_ptr<Database>> open(const std::string& path,
                                                const DatabaseOptions& options = {});
  // An error naming `path` when no database file is there (":memory:" always is): what a
  // read-only open says, for commands that write but must not create one (forward).
  static Result<void> require_existing(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The applied migration count (PRAGMA user_version).
  Result<int64_t> schema_version();
  // The number of migrations this binary knows.
  static int64_t latest_schema_version();
  // Applies the pending migrations, all in one transaction (a crash leaves none applied).
  Result<void> migrate();

  const std::string& path() const;
  Connection& connection() { return *m_conn; }

private:
  explicit Database(std::unique_ptr<Connection> conn);
  std::unique_ptr<Connection> m_conn;
};

} // namespace dmarc::store
