// libFuzzer target for the whole import of one input: pipeline::parse_input (② mime →
// ③ decompress → ④ parse + alignment) and then ⑤ SqliteStore into a fresh in-memory
// database, exactly the path `dmarcctl import` takes for each message. Whatever the bytes,
//  - parse_input returns either a rejection or at least one report (or a failure report),
//    with one raw document per report;
//  - storing never fails (a constraint or SQL error on any input is a bug), and a second
//    store of the same message adds nothing and counts every report as a duplicate;
//  - the database stays consistent: every report has exactly record_count records and the
//    message_count its records add up to, and the integrity and foreign key checks pass.
// The database is emptied before each input, so every finding reproduces from its input.
// Caps are smaller than the defaults so one execution stays fast.
// Seeds: fixtures/mail, fixtures/dmarc, fixtures/tlsrpt, fixtures/bad (tests/fuzz/seeds.sh).
#include "core/clock.hpp"
#include "core/limits.hpp"
#include "pipeline/ingest.hpp"
#include "store/database.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {})
{
  std::fprintf(stderr, "pipeline_import_fuzz: %s %s\n", what, detail.c_str());
  __builtin_trap();
}

int64_t scalar(dmarc::store::Connection& c, const char* sql)
{
  auto value = c.query_int(sql);
  if (!value) {
    fail("query failed:", value.error().detail);
  }
  return *value;
}

// The in-memory database, migrated once (a migration per input would cost more than the
// import itself).
std::unique_ptr<dmarc::store::Database> open_database()
{
  auto db = dmarc::store::Database::open(":memory:");
  if (!db) {
    fail("cannot open :memory:", db.error().detail);
  }
  return std::move(*db);
}

// Deletes every row, so each input starts from the same empty database (INTEGER PRIMARY
// KEY ids restart at 1 in an empty table): a finding reproduces from its input alone.
void empty_database(dmarc::store::Connection& c)
{
  static std::string sql;
  if (sql.empty()) {
    auto tables = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table'"
                            " AND name NOT LIKE 'sqlite_%'");
    if (!tables) {
      fail("cannot list tables:", tables.error().detail);
    }
    sql = "PRAGMA foreign_keys = OFF; BEGIN;";
    for (auto row = tables->step(); row && *row; row = tables->step()) {
      sql += "DELETE FROM \"" + tables->column_text(0) + "\";";
    }
    sql += "COMMIT; PRAGMA foreign_keys = ON;";
  }
  if (auto r = c.exec(sql); !r) {
    fail("cannot empty the database:", r.error().detail);
  }
}

dmarc::Limits fuzz_limits()
{
  dmarc::Limits limits;
  limits.max_message_bytes = 4u << 20;
  limits.max_document_bytes = 8u << 20;
  limits.ratio_floor_bytes = 1u << 20;
  limits.max_zip_entries = 64;
  limits.max_mime_parts = 200;
  limits.max_records = 20'000;
  limits.max_xml_elements = 1'000'000;
  limits.max_json_bytes = 4u << 20;
  return limits;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
  using namespace dmarc;
  static const Limits limits = fuzz_limits();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  MessageMeta meta;
  meta.source = "fuzz.eml";
  const ParsedMessage parsed = pipeline::parse_input(bytes, meta, limits);
  const bool has_reports = !parsed.aggregates.empty() || !parsed.tls.empty();
  if (parsed.rejection.has_value() == (has_reports || parsed.failure_report)) {
    fail("a message must be either rejected or hold a report");
  }
  if (parsed.aggregates.size() != parsed.aggregate_raw.size()
      || parsed.tls.size() != parsed.tls_raw.size()) {
    fail("one raw document per report");
  }
  if (parsed.meta.size != static_cast<int64_t>(size)) {
    fail("meta.size is the input size");
  }

  static std::unique_ptr<store::Database> db = open_database();
  empty_database(db->connection());
  const FixedClock clock(1'700'000'000);
  store::SqliteStore store(*db, clock);
  auto first = store.store(parsed);
  if (!first) {
    fail("store failed:", first.error().to_string());
  }
  auto second = store.store(parsed);
  if (!second) {
    fail("second store failed:", second.error().to_string());
  }
  if (second->dmarc_new != 0 || second->tls_new != 0 || second->records_new != 0
      || second->dmarc_duplicate + second->tls_duplicate
           != first->dmarc_new + first->dmarc_duplicate + first->tls_new + first->tls_duplicate) {
    fail("a second store of the same message must add nothing");
  }

  store::Connection& c = db->connection();
  if (scalar(c, "SELECT COUNT(*) FROM messages") != 1) {
    fail("one message row per input");
  }
  if (scalar(c, "SELECT COUNT(*) FROM aggregate_reports r WHERE record_count !="
                " (SELECT COUNT(*) FROM aggregate_records WHERE report = r.id)")
      != 0) {
    fail("record_count does not match the stored records");
  }
  // Counts near 2^63 saturate; the sum is compared exactly where it cannot overflow.
  // (CASE evaluates lazily: SUM would fail with "integer overflow" on such counts).
  if (scalar(c, "SELECT COUNT(*) FROM aggregate_reports r WHERE CASE WHEN EXISTS"
                " (SELECT 1 FROM aggregate_records WHERE report = r.id AND count > 1099511627776)"
                " THEN message_count < 0 ELSE message_count <>"
                " (SELECT COALESCE(SUM(count), 0) FROM aggregate_records WHERE report = r.id) END")
      != 0) {
    fail("message_count does not match the stored records");
  }
  if (scalar(c, "SELECT COUNT(*) FROM aggregate_reports") != first->dmarc_new
      || scalar(c, "SELECT COUNT(*) FROM tls_reports") != first->tls_new) {
    fail("report rows do not match the outcome");
  }
  if (scalar(c, "SELECT COUNT(*) FROM pragma_foreign_key_check") != 0) {
    fail("foreign key violation");
  }
  return 0;
}
