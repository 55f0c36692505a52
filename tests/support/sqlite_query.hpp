// Test support: read a database with plain SQL, independent of the store module, so tests
// check what is really in the file.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dmarc::test {

using Row = std::vector<std::optional<std::string>>;

// All rows of `sql` (with optional text parameters ?1, ?2...) as text; NULL is nullopt.
std::vector<Row> query(const std::string& db_path, const std::string& sql,
                       const std::vector<std::string>& params = {});

// The single value of `sql` as an integer (0 when NULL).
long long scalar(const std::string& db_path, const std::string& sql,
                 const std::vector<std::string>& params = {});

} // namespace dmarc::test
