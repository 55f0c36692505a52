// The SQL of sql/, compiled into the binary (cmake/EmbedSql.cmake).
#pragma once

#include <string_view>
#include <vector>

namespace dmarc::store {

struct EmbeddedSql
{
  std::string_view name; // file name without extension: "0001_initial", "summary_domains"
  std::string_view text;
};

// sql/NNNN_*.sql in order.
const std::vector<EmbeddedSql>& embedded_migrations();
// sql/queries/*.sql by name.
const std::vector<EmbeddedSql>& embedded_queries();

// The text of the named query sql/queries/NAME.sql; aborts on an unknown name (a bug).
std::string_view named_query(std::string_view name);

} // namespace dmarc::store
