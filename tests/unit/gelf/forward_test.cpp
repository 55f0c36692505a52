// The forward run (src/pipeline/forward.cpp) on a real SQLite database with a fake sink
// whose failures are injected: each stored row reaches the receiver exactly once across
// runs, failures and reconnects; the cursor only moves over confirmed rows.
#include "fetch/local_source.hpp"
#include "output/gelf_sink.hpp"
#include "pipeline/forward.hpp"
#include "pipeline/import.hpp"
#include "store/database.hpp"
#include "store/sqlite.hpp"
#include "store/sqlite_store.hpp"
#include "support/gelf_check.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace dmarc;
using output::FakeGelfSink;
using dmarc::test::TempDir;

namespace {

// A DMARC report with `records` records; begin = `begin`.
// Record number `huge` (1-based) gets an envelope_to of `huge_size` bytes.
std::string generated_report(const std::string& report_id, int records, int64_t begin = 1700000000,
                             int huge = 0, std::size_t huge_size = 0)
{
  std::string xml = "<feedback><report_metadata><org_name>gen.example.net</org_name><email>"
                    "a@gen.example.net</email><report_id>" + report_id + "</report_id>"
                    "<date_range><begin>" + std::to_string(begin) + "</begin><end>"
                    + std::to_string(begin + 86399) + "</end></date_range></report_metadata>"
                    "<policy_published><domain>example.com</domain><p>none</p>"
                    "</policy_published>\n";
  for (int i = 1; i <= records; ++i) {
    xml += "<record><row><source_ip>192.0.2." + std::to_string(i % 250 + 1)
           + "</source_ip><count>" + std::to_string(i) + "</count><policy_evaluated>"
           "<disposition>none</disposition><dkim>pass</dkim><spf>fail</spf></policy_evaluated>"
           "</row><identifiers>" + (i == huge ? "<envelope_to>" + std::string(huge_size, 'e')
                                                + "</envelope_to>" : std::string())
           + "<header_from>example.com</header_from></identifiers>"
           "<auth_results><dkim><domain>example.com</domain><selector>s1</selector><result>pass"
           "</result></dkim><spf><domain>example.com</domain><result>fail</result></spf>"
           "</auth_results></record>\n";
  }
  return xml + "</feedback>\n";
}

struct Db
{
  TempDir dir;
  std::string path = dir / "f.sqlite";
  std::unique_ptr<store::Database> db;
  FixedClock clock{1800000000};
  int files = 0;

  Db()
  {
    auto opened = store::Database::open(path);
    REQUIRE(opened.ok());
    db = std::move(*opened);
  }

  void import(const std::vector<std::string>& paths)
  {
    store::SqliteStore sink(*db, clock);
    Limits limits;
    fetch::LocalSource source(paths, limits);
    pipeline::ImportOptions options;
    auto stats = pipeline::run_import(source, sink, options);
    REQUIRE(stats.ok());
    REQUIRE(stats->rejected == 0);
  }

  void import_report(const std::string& id, int records, int64_t begin = 1700000000,
                     int huge = 0, std::size_t huge_size = 0)
  {
    const std::string file = dir / ("r" + std::to_string(files++) + ".xml");
    dmarc::test::write_file(file, generated_report(id, records, begin, huge, huge_size));
    import({file});
  }

  long long rows(const std::string& table)
  {
    return dmarc::test::scalar(path, "SELECT count(*) FROM " + table);
  }
  long long cursor(const std::string& sink, const std::string& stream)
  {
    return dmarc::test::scalar(path, "SELECT last_id FROM forward_cursor WHERE sink = ?1 AND "
                                     "stream = ?2", {sink, stream});
  }
};

pipeline::ForwardOptions quick(std::size_t batch = 1000)
{
  pipeline::ForwardOptions options;
  options.host = "test-host";
  options.batch = batch;
  options.retry_delay_ms = 0;
  return options;
}

// _dmarcctl_row of every message, counted.
std::map<std::string, int> rows_of(const std::vector<std::string>& messages)
{
  std::map<std::string, int> out;
  for (const std::string& m : messages) {
    ++out[dmarc::test::gelf_text(dmarc::test::gelf_fields(m), "_dmarcctl_row")];
  }
  return out;
}

// Every stored row, as _dmarcctl_row values.
std::set<std::string> all_rows(Db& db)
{
  std::set<std::string> out;
  for (const char* table : {"aggregate_records", "tls_policies", "tls_failures"}) {
    for (const auto& row : dmarc::test::query(db.path, std::string("SELECT id FROM ") + table)) {
      out.insert(std::string(table) + ":" + *row[0]);
    }
  }
  return out;
}

} // namespace

TEST_CASE("every row goes out once, a rerun sends nothing, later imports only themselves")
{
  Db db;
  db.import({std::string(DMARC_FIXTURES_DIR) + "/expected/export-sample.xml",
             std::string(DMARC_FIXTURES_DIR) + "/tlsrpt/sts-all-fields.json",
             std::string(DMARC_FIXTURES_DIR) + "/tlsrpt/tlsa-mx-array.json"});
  db.import_report("big", 2500);
  const long long total =
    db.rows("aggregate_records") + db.rows("tls_policies") + db.rows("tls_failures");
  REQUIRE(total > 2500);

  FakeGelfSink sink;
  auto stats = pipeline::forward(*db.db, sink, db.clock, quick());
  REQUIRE(stats.ok());
  CHECK_FALSE(stats->failure);
  CHECK(stats->sent() == total);
  CHECK(stats->records.sent == db.rows("aggregate_records"));
  CHECK(stats->policies.sent == db.rows("tls_policies"));
  CHECK(stats->failures.sent == db.rows("tls_failures"));
  REQUIRE(static_cast<long long>(sink.received.size()) == total);
  for (const std::string& m : sink.received) {
    CHECK(dmarc::test::gelf_problems(m).empty());
  }
  const auto counted = rows_of(sink.received);
  CHECK(counted.size() == sink.received.size());
  std::set<std::string> keys;
  for (const auto& [key, n] : counted) {
    keys.insert(key);
  }
  CHECK(keys == all_rows(db));
  CHECK(sink.flushes >= 3); // every 1000 and at the ends
  CHECK(db.cursor("fake://gelf", "aggregate_records") == db.rows("aggregate_records"));
  CHECK(dmarc::test::scalar(db.path, "SELECT min(updated) FROM forward_cursor") == 1800000000);

  FakeGelfSink again;
  stats = pipeline::forward(*db.db, again, db.clock, quick());
  REQUIRE(stats.ok());
  CHECK(stats->sent() == 0);
  CHECK(again.received.empty());

  db.import_report("later", 3);
  FakeGelfSink third;
  stats = pipeline::forward(*db.db, third, db.clock, quick());
  REQUIRE(stats.ok());
  CHECK(stats->sent() == 3);
  REQUIRE(third.received.size() == 3);
  CHECK(dmarc::test::gelf_text(dmarc::test::gelf_fields(third.received[0]), "_report_id")
        == "later");

  // Another sink URL has its own cursor and gets everything.
  FakeGelfSink other(FakeGelfSink::Acknowledge::per_message, "udp://other:12201");
  stats = pipeline::forward(*db.db, other, db.clock, quick());
  REQUIRE(stats.ok());
  CHECK(stats->sent() == total + 3);
}

TEST_CASE("a failure after which the receiver comes back: the run reconnects, nothing twice")
{
  Db db;
  db.import_report("r", 2500);
  SECTION("per-message confirmations (UDP, HTTP)")
  {
    FakeGelfSink sink;
    sink.fail_send_at = 1700;
    auto stats = pipeline::forward(*db.db, sink, db.clock, quick());
    REQUIRE(stats.ok());
    CHECK_FALSE(stats->failure);
    CHECK(stats->reconnects == 1);
    CHECK(sink.resets == 1);
    CHECK(stats->sent() == 2500);
    const auto counted = rows_of(sink.received);
    CHECK(counted.size() == 2500);
    CHECK(sink.received.size() == 2500);
  }
  SECTION("confirmation on flush (TCP): the unconfirmed tail is sent again, nothing lost")
  {
    FakeGelfSink sink(FakeGelfSink::Acknowledge::on_flush);
    sink.fail_send_at = 1700; // 700 handed over since the flush at 1000, then a broken link
    auto stats = pipeline::forward(*db.db, sink, db.clock, quick());
    REQUIRE(stats.ok());
    CHECK_FALSE(stats->failure);
    CHECK(stats->sent() == 2500);
    const auto counted = rows_of(sink.received);
    CHECK(counted.size() == 2500);                  // no loss
    CHECK(sink.received.size() == 2500 + 700);      // the receiver read 700 of them already
    int twice = 0;
    for (const auto& [key, n] : counted) {
      CHECK(n <= 2);
      twice += n == 2 ? 1 : 0;
    }
    CHECK(twice == 700);
  }
}

TEST_CASE("a receiver that stays down: the run stops, the next one sends the rest once")
{
  Db db;
  db.import_report("r", 2500);
  FakeGelfSink down;
  down.fail_send_at = 1234;
  down.fail_sends = 1000;
  auto stats = pipeline::forward(*db.db, down, db.clock, quick());
  REQUIRE(stats.ok());
  REQUIRE(stats->failure);
  CHECK(stats->failure->detail == "fake://gelf: injected failure");
  CHECK(stats->sent() == 1234);
  CHECK(down.received.size() == 1234);
  CHECK(db.cursor("fake://gelf", "aggregate_records") == 1234);

  FakeGelfSink up;
  stats = pipeline::forward(*db.db, up, db.clock, quick());
  REQUIRE(stats.ok());
  CHECK_FALSE(stats->failure);
  CHECK(stats->sent() == 2500 - 1234);
  auto all = down.received;
  all.insert(all.end(), up.received.begin(), up.received.end());
  const auto counted = rows_of(all);
  CHECK(counted.size() == 2500);
  CHECK(all.size() == 2500);
}

TEST_CASE("a TCP-like sink that fails on flush loses nothing and never confirms early")
{
  Db db;
  db.import_report("r", 2500);
  FakeGelfSink down(FakeGelfSink::Acknowledge::on_flush);
  down.fail_flush_at = 1; // the second batch
  down.lose_on_failure = true;
  down.fail_send_at = 1000; // and the reconnect fails at once: give up
  down.fail_sends = 100000;
  auto stats = pipeline::forward(*db.db, down, db.clock, quick());
  REQUIRE(stats.ok());
  REQUIRE(stats->failure);
  CHECK(stats->sent() == 1000);
  CHECK(down.received.size() == 1000);
  CHECK(db.cursor("fake://gelf", "aggregate_records") == 1000);

  FakeGelfSink up(FakeGelfSink::Acknowledge::on_flush);
  stats = pipeline::forward(*db.db, up, db.clock, quick());
  REQUIRE(stats.ok());
  CHECK(up.received.size() == 1500);
  auto all = down.received;
  all.insert(all.end(), up.received.begin(), up.received.end());
  CHECK(rows_of(all).size() == 2500);
  CHECK(all.size() == 2500);
}

TEST_CASE("a row too large for the sink is reported and passed over, once")
{
  Db db;
  db.import_report("r", 10, 1700000000, 4, 5000);
  FakeGelfSink sink;
  sink.max_message_bytes = 2000;
  std::vector<std::string> rejected;
  auto options = quick();
  options.on_rejected = [&](const std::string& line) { rejected.push_back(line); };
  auto stats = pipeline::forward(*db.db, sink, db.clock, options);
  REQUIRE(stats.ok());
  CHECK_FALSE(stats->failure);
  CHECK(stats->sent() == 9);
  CHECK(stats->rejected() == 1);
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].rfind("aggregate_records 4 (report r from gen.example.net): message of ", 0)
        == 0);
  CHECK(db.cursor("fake://gelf", "aggregate_records") == 10);
  CHECK(stats->to_line()
        == "forwarded 9 messages to fake://gelf (9 DMARC records, 0 TLS policies, 0 TLS "
           "failure details), 1 too large for the sink passed over");

  FakeGelfSink again;
  stats = pipeline::forward(*db.db, again, db.clock, options);
  REQUIRE(stats.ok());
  CHECK(stats->sent() == 0);
  CHECK(rejected.size() == 1);
}

TEST_CASE("--since passes over older reports for good; a dry run moves nothing")
{
  Db db;
  db.import_report("old", 5, 1600000000);
  db.import_report("new", 7, 1700000000);
  db.import_report("old2", 3, 1600000000);

  auto options = quick();
  std::vector<std::string> shown;
  options.on_message = [&](std::string_view m) { shown.emplace_back(m); };
  auto dry = pipeline::forward_dry_run(*db.db, "fake://gelf", options);
  REQUIRE(dry.ok());
  CHECK(dry->sent() == 15);
  CHECK(shown.size() == 15);
  CHECK(dry->to_line().rfind("dry run: would forward 15 messages to fake://gelf", 0) == 0);
  CHECK(db.rows("forward_cursor") == 0);

  options.since = 1650000000;
  shown.clear();
  dry = pipeline::forward_dry_run(*db.db, "fake://gelf", options);
  REQUIRE(dry.ok());
  CHECK(dry->sent() == 7);
  CHECK(dry->records.skipped == 8);

  options.on_message = nullptr;
  FakeGelfSink sink;
  auto stats = pipeline::forward(*db.db, sink, db.clock, options);
  REQUIRE(stats.ok());
  CHECK(stats->sent() == 7);
  CHECK(stats->records.skipped == 8);
  CHECK(db.cursor("fake://gelf", "aggregate_records") == 15);
  for (const std::string& m : sink.received) {
    CHECK(dmarc::test::gelf_text(dmarc::test::gelf_fields(m), "_report_id") == "new");
  }

  // Without --since the next run does not go back for the old ones.
  FakeGelfSink next;
  stats = pipeline::forward(*db.db, next, db.clock, quick());
  REQUIRE(stats.ok());
  CHECK(stats->sent() == 0);
}

TEST_CASE("two forward runs on one database do not overlap")
{
  Db db;
  db.import_report("r", 3);
  FakeGelfSink sink;
  pipeline::ForwardOptions options = quick();
  std::optional<Result<pipeline::ForwardStats>> inner;
  options.on_progress = [&](const pipeline::ForwardStats&) {
    if (!inner) {
      FakeGelfSink second;
      inner = pipeline::forward(*db.db, second, db.clock, quick());
    }
  };
  auto stats = pipeline::forward(*db.db, sink, db.clock, options);
  REQUIRE(stats.ok());
  REQUIRE(inner);
  REQUIRE_FALSE(inner->ok());
  CHECK(inner->error().detail.find("another `dmarcctl forward` is running") != std::string::npos);
  CHECK(sink.received.size() == 3);
}

TEST_CASE("advisor findings go once a day per sink, after the rows")
{
  Db db;
  db.import_report("r", 2);
  auto options = quick();
  Finding f;
  f.domain = "example.com";
  f.check = "dmarc";
  f.verdict = "hold";
  f.message = "example.com: not yet";
  f.as_of = 19700 * 86400;
  f.numbers = {{"days", 12}};
  options.findings = {f, f};
  options.findings[1].check = "spf";
  options.findings_day = 19700;

  FakeGelfSink sink;
  auto stats = pipeline::forward(*db.db, sink, db.clock, options);
  REQUIRE(stats.ok());
  CHECK(stats->records.sent == 2);
  CHECK(stats->advice.sent == 2);
  REQUIRE(sink.received.size() == 4);
  const auto advice = dmarc::test::gelf_fields(sink.received[2]);
  CHECK(dmarc::test::gelf_text(advice, "_report_type") == "advice");
  CHECK(dmarc::test::gelf_text(advice, "_dmarcctl_row") == "advice:19700:example.com:dmarc");
  CHECK(dmarc::test::gelf_text(advice, "_days") == "12");
  CHECK(dmarc::test::gelf_problems(sink.received[3]).empty());
  CHECK(db.cursor("fake://gelf", "advice") == 19700);
  CHECK(stats->to_line().find("2 findings") != std::string::npos);

  FakeGelfSink same_day;
  stats = pipeline::forward(*db.db, same_day, db.clock, options);
  REQUIRE(stats.ok());
  CHECK(same_day.received.empty());

  options.findings_day = 19701;
  FakeGelfSink next_day;
  next_day.fail_send_at = 1; // the second finding fails: the day is not marked sent
  stats = pipeline::forward(*db.db, next_day, db.clock, options);
  REQUIRE(stats.ok());
  CHECK(stats->failure);
  CHECK(db.cursor("fake://gelf", "advice") == 19700);
  FakeGelfSink retry;
  stats = pipeline::forward(*db.db, retry, db.clock, options);
  REQUIRE(stats.ok());
  CHECK(retry.received.size() == 2);
  CHECK(db.cursor("fake://gelf", "advice") == 19701);
}

TEST_CASE("auth results come from the packed column exactly as the auth_results view has them")
{
  // forward reads aggregate_records.auth itself rather than through the view's JSON
  // functions (store/forward_queries.cpp); both must give the same values, escapes included.
  Db db;
  db.import_report("packed", 3);
  auto exec = [](Db& d, const std::string& sql) { REQUIRE(d.db->connection().exec(sql).ok()); };
  // Record 2: as SQLite's json_array() writes it (the 0005 migration): control characters
  // as \u00XX, quotes and backslashes escaped, non-ASCII as is.
  exec(db, "UPDATE aggregate_records SET auth = json_array("
                     "json_array('dkim', 'q\"b\\s' || char(1) || char(9) || '\u00e9\U0001F600.example', "
                     "'sel/1', NULL, 'pass', 'human \"x\"', 1),"
                     "json_array('spf', 'b.example', NULL, 'mfrom', 'fail', NULL, 0))"
                     " WHERE id = (SELECT min(id) + 1 FROM aggregate_records)");
  // Record 3: hand-written escapes, a surrogate pair among them.
  exec(db, "UPDATE aggregate_records SET auth = "
                     "'[ [\"dkim\", \"a\\u0062\\ud83d\\ude00\\/\\n.example\", \"s\", null, \"pass\", null, 0] ]'"
                     " WHERE id = (SELECT min(id) + 2 FROM aggregate_records)");
  const auto expected = dmarc::test::query(
    db.path, "SELECT group_concat(domain, ','), group_concat(result, ',') FROM"
             " (SELECT record, domain, result FROM auth_results WHERE kind = 'dkim'"
             " ORDER BY record, seq) GROUP BY record ORDER BY record");
  REQUIRE(expected.size() == 3);
  CHECK(*expected[1][0] == "q\"b\\s\x01\t\u00e9\U0001F600.example");
  CHECK(*expected[2][0] == "ab\U0001F600/\n.example");

  FakeGelfSink sink;
  auto stats = pipeline::forward(*db.db, sink, db.clock, quick());
  REQUIRE(stats.ok());
  REQUIRE(sink.received.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto fields = dmarc::test::gelf_fields(sink.received[i]);
    CHECK(dmarc::test::gelf_text(fields, "_dkim_domains") == *expected[i][0]);
    CHECK(dmarc::test::gelf_text(fields, "_dkim_results") == *expected[i][1]);
  }
  const auto second = dmarc::test::gelf_fields(sink.received[1]);
  CHECK(dmarc::test::gelf_text(second, "_dkim_selectors") == "sel/1");
  CHECK(dmarc::test::gelf_text(second, "_spf_domains") == "b.example");
  CHECK(dmarc::test::gelf_text(second, "_spf_scopes") == "mfrom");
  CHECK(dmarc::test::gelf_text(second, "_spf_results") == "fail");

  // A column not in the packed form (an eighth element): the page is read through the view.
  exec(db, "UPDATE aggregate_records SET auth = '[[\"dkim\",\"v.example\",\"s\",null,"
                     "\"pass\",null,1,\"extra\"]]' WHERE id = (SELECT min(id) FROM aggregate_records)");
  FakeGelfSink fresh(FakeGelfSink::Acknowledge::per_message, "fake://other");
  REQUIRE(pipeline::forward(*db.db, fresh, db.clock, quick()).ok());
  REQUIRE(fresh.received.size() == 3);
  CHECK(dmarc::test::gelf_text(dmarc::test::gelf_fields(fresh.received[0]), "_dkim_domains")
        == "v.example");
  CHECK(dmarc::test::gelf_text(dmarc::test::gelf_fields(fresh.received[1]), "_dkim_domains")
        == *expected[1][0]);
}
