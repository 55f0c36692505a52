// dmarc_bench_summary_advise: `dmarcctl summary` and `dmarcctl advise` over a database of
// 10,000,000 aggregate record rows (DESIGN.md "Performance targets": under one second each),
// and `dmarcctl report --html` over the same (under two seconds).
//
// Why a database written through SQL: importing 10 million records from XML takes minutes
// and measures the import, not the reads. This tool writes the report tables directly
// (messages, aggregate_reports, aggregate_records with their packed auth results, override_reasons,
// tls_reports/policies/failures; raw_documents are left out, nothing reads them), fills the
// rollups with the backfill of sql/0003_rollups.sql — the same SQL a migration runs on an
// existing database, which is also timed — and then runs the real binary, best of 3.
//
// The data (deterministic, splitmix64): D domains (default 100), 6 reporting organizations,
// daily reports over `days` days (default 120) ending the day before --as-of; every report
// holds ~N / (D × 6 × days) records (139 for the defaults): 16 from the domain's 4
// authorized servers (3 IPv4, 1 IPv6; 99.8% pass), 10 from a pool of 40 forwarders (aligned
// DKIM, SPF softfail, reason "forwarded"), 80 from a pool of 400 recurring spoofers, and the
// rest from one-off random IPv4 spoofers. A third of the domains publish none, quarantine
// and reject each. TLS: one sts report a day from 2 organizations per domain.
//
// usage: dmarc_bench_summary_advise [--records N] [--domains D] [--days N] [--db PATH]
//                                   [--rebuild] [--repeat R]
// env:   DMARCCTL (the binary), BENCH_BUILD_DIR (where the database is cached)
// Prints markdown rows `| measure | figure | target | verdict |` (bench/README.md).
#include <sqlite3.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int64_t k_as_of_day = 19813;          // 2024-03-31
constexpr const char* k_as_of = "2024-03-31";
constexpr int k_generator_version = 2;          // bump when the data changes
const char* const k_reporters[] = {"google.com", "Outlook.com", "Yahoo", "Mail.Ru", "comcast.net",
                                   "GMX"};
constexpr int k_reporter_count = 6;

class Rng
{
public:
  explicit Rng(uint64_t seed) : m_state(seed) {}
  uint64_t next()
  {
    uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }

private:
  uint64_t m_state;
};

[[noreturn]] void die(const std::string& message)
{
  std::fprintf(stderr, "dmarc_bench_summary_advise: %s\n", message.c_str());
  std::exit(1);
}

void check(sqlite3* db, int rc, const char* what)
{
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    die(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

void exec(sqlite3* db, const std::string& sql)
{
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string m = message != nullptr ? message : "?";
    sqlite3_free(message);
    die("SQL failed: " + m);
  }
}

int64_t scalar(sqlite3* db, const char* sql)
{
  sqlite3_stmt* s = nullptr;
  check(db, sqlite3_prepare_v2(db, sql, -1, &s, nullptr), sql);
  int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
  sqlite3_finalize(s);
  return v;
}

// A prepared statement bound by position; step() runs it and resets it.
class Stmt
{
public:
  Stmt(sqlite3* db, const char* sql) : m_db(db)
  {
    check(db, sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &m_s, nullptr), sql);
  }
  ~Stmt() { sqlite3_finalize(m_s); }
  Stmt& i(int n, int64_t v)
  {
    sqlite3_bind_int64(m_s, n, v);
    return *this;
  }
  Stmt& t(int n, const std::string& v)
  {
    sqlite3_bind_text(m_s, n, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& null(int n)
  {
    sqlite3_bind_null(m_s, n);
    return *this;
  }
  void step()
  {
    check(m_db, sqlite3_step(m_s), "step");
    sqlite3_reset(m_s);
  }

private:
  sqlite3* m_db;
  sqlite3_stmt* m_s = nullptr;
};

struct Options
{
  int64_t records = 10'000'000;
  int domains = 100;
  int days = 120;
  std::string db;
  bool rebuild = false;
  int repeat = 3;
};

struct Rec
{
  std::string ip;
  int64_t count;
  bool dkim;                 // aligned DKIM pass
  bool spf;                  // aligned SPF pass
  bool forwarded;
  const char* selector;
};

// Writes the raw report rows. Returns the number of record rows.
int64_t generate(sqlite3* db, const Options& o)
{
  exec(db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;"
           "PRAGMA foreign_keys = OFF; BEGIN;");
  Stmt message(db, "INSERT INTO messages (id, source, checksum, size, first_seen, last_seen,"
                   " status, reports_new) VALUES (?1, 'bench', ?2, 0, ?3, ?3, 'imported', 1)");
  Stmt report(db, "INSERT INTO aggregate_reports (id, message, org_name, email, report_id,"
                  " domain, begin_ts, end_ts, version, xml_namespace, adkim, aspf, p, record_count,"
                  " message_count, dmarc_pass_count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                  " '1.0', '', 'r', 'r', ?9, ?10, ?11, ?12)");
  Stmt record(db, "INSERT INTO aggregate_records (id, report, source_ip, count, disposition,"
                  " dkim, spf, header_from, envelope_from, dkim_aligned, spf_aligned, dmarc_aligned,"
                  " auth) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12)");
  Stmt reason(db, "INSERT INTO override_reasons (record, seq, type) VALUES (?1, 0, 'forwarded')");
  Stmt tls(db, "INSERT INTO tls_reports (id, message, org_name, report_id, domain, begin_ts,"
               " end_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  Stmt policy(db, "INSERT INTO tls_policies (id, report, seq, policy_type, policy_string,"
                  " policy_domain, mx_hosts, success_count, failure_count)"
                  " VALUES (?1, ?2, 0, 'sts', ?3, ?4, ?5, ?6, ?7)");
  Stmt failure(db, "INSERT INTO tls_failures (policy, result_type, failed_session_count)"
                   " VALUES (?1, ?2, ?3)");

  const int64_t reports_total = static_cast<int64_t>(o.domains) * k_reporter_count * o.days;
  const int64_t per_report = std::max<int64_t>(1, (o.records + reports_total - 1) / reports_total);
  const int64_t n_auth = std::min<int64_t>(16, per_report);
  const int64_t n_fwd = std::min<int64_t>(10, per_report - n_auth);
  const int64_t n_pool = std::min<int64_t>(80, per_report - n_auth - n_fwd);
  const int64_t n_once = per_report - n_auth - n_fwd - n_pool;
  const char* const policies[] = {"none", "quarantine", "reject"};

  Rng rng(42);
  int64_t message_id = 0, report_id = 0, record_id = 0, tls_id = 0;
  const auto progress_every = std::max<int64_t>(1, reports_total / 20);
  for (int d = 0; d < o.domains; ++d) {
    char name[64];
    std::snprintf(name, sizeof name, "d%03d.example.com", d);
    const std::string domain = name;
    const std::string p = policies[d % 3];
    // The domain's sources.
    std::vector<std::string> authorized;
    for (int k = 1; k <= 3; ++k) {
      authorized.push_back("10." + std::to_string(d / 256) + "." + std::to_string(d % 256) + "."
                           + std::to_string(k));
    }
    authorized.push_back("2001:db8:" + std::to_string(d) + "::25");
    std::vector<std::string> forwarders, pool;
    for (int k = 0; k < 40; ++k) {
      forwarders.push_back("172.16." + std::to_string(d % 256) + "." + std::to_string(k));
    }
    for (int k = 0; k < 400; ++k) {
      pool.push_back("100." + std::to_string(64 + d % 64) + "." + std::to_string(k / 200 + 2 * (d / 64))
                     + "." + std::to_string(k % 200));
    }
    for (int day = 0; day < o.days; ++day) {
      const int64_t begin = (k_as_of_day - o.days + day) * 86400;
      for (int r = 0; r < k_reporter_count; ++r) {
        std::vector<Rec> recs;
        for (int64_t k = 0; k < n_auth; ++k) {
          const bool broken = rng.below(500) == 0;   // 0.2% fail
          recs.push_back({authorized[static_cast<std::size_t>(k % 4)], 20 + static_cast<int64_t>(rng.below(180)),
                          !broken, !broken, false, k % 2 == 0 ? "mailcow" : "x"});
        }
        for (int64_t k = 0; k < n_fwd; ++k) {
          recs.push_back({forwarders[rng.below(forwarders.size())], 1 + static_cast<int64_t>(rng.below(5)),
                          true, false, true, "mailcow"});
        }
        for (int64_t k = 0; k < n_pool; ++k) {
          recs.push_back({pool[rng.below(pool.size())], 1 + static_cast<int64_t>(rng.below(3)),
                          false, false, false, ""});
        }
        for (int64_t k = 0; k < n_once; ++k) {
          const uint64_t v = rng.next();
          recs.push_back({std::to_string(1 + v % 223) + "." + std::to_string(v >> 8 & 255) + "."
                            + std::to_string(v >> 16 & 255) + "." + std::to_string(v >> 24 & 255),
                          1, false, false, false, ""});
        }
        int64_t messages = 0, passing = 0;
        for (const Rec& x : recs) {
          messages += x.count;
          passing += x.dkim || x.spf ? x.count : 0;
        }
        ++message_id;
        ++report_id;
        message.i(1, message_id).t(2, std::to_string(message_id)).i(3, begin).step();
        report.i(1, report_id).i(2, message_id).t(3, k_reporters[r])
          .t(4, std::string("noreply@") + k_reporters[r]).t(5, domain + "-" + std::to_string(day) + "-" + std::to_string(r))
          .t(6, domain).i(7, begin).i(8, begin + 86399).t(9, p)
          .i(10, static_cast<int64_t>(recs.size())).i(11, messages).i(12, passing).step();
        for (const Rec& x : recs) {
          ++record_id;
          const bool pass = x.dkim || x.spf;
          // aggregate_records.auth as sql/0005_packed_auth_results.sql packs it:
          // [kind, domain, selector, scope, result, human_result, aligned] per result.
          std::string auth = "[";
          if (*x.selector != '\0') {
            auth += std::string("[\"dkim\",\"") + domain + "\",\"" + x.selector + "\",null,\""
                    + (x.dkim ? "pass" : "fail") + "\",null," + (x.dkim ? "1" : "0") + "],";
          }
          auth += std::string("[\"spf\",\"") + domain + "\",null,\"mfrom\",\""
                  + (x.spf ? "pass" : "softfail") + "\",null," + (x.spf ? "1" : "0") + "]]";
          record.i(1, record_id).i(2, report_id).t(3, x.ip).i(4, x.count)
            .t(5, pass ? "none" : p).t(6, x.dkim ? "pass" : "fail").t(7, x.spf ? "pass" : "fail")
            .t(8, domain).i(9, x.dkim).i(10, x.spf).i(11, pass).t(12, auth).step();
          if (x.forwarded) {
            reason.i(1, record_id).step();
          }
        }
        if (report_id % progress_every == 0) {
          std::fprintf(stderr, "\rgenerating: %" PRId64 " of %" PRId64 " reports", report_id, reports_total);
        }
      }
      // TLS-RPT: one sts report a day from two organizations.
      for (int r = 0; r < 2; ++r) {
        ++message_id;
        ++tls_id;
        message.i(1, message_id).t(2, "t" + std::to_string(message_id)).i(3, begin).step();
        tls.i(1, tls_id).i(2, message_id).t(3, r == 0 ? "Google Inc." : "Microsoft Corporation")
          .t(4, "tls-" + domain + "-" + std::to_string(day) + "-" + std::to_string(r)).t(5, domain)
          .i(6, begin).i(7, begin + 86399).step();
        const int64_t failed = rng.below(20) == 0 ? 2 : 0;
        policy.i(1, tls_id).i(2, tls_id)
          .t(3, "version: STSv1\nmode: testing\nmx: mail." + domain + "\nmax_age: 604800")
          .t(4, domain).t(5, "mail." + domain).i(6, 500 + static_cast<int64_t>(rng.below(1000)))
          .i(7, failed).step();
        if (failed > 0) {
          failure.i(1, tls_id).t(2, "certificate-expired").i(3, failed).step();
        }
      }
    }
  }
  std::fprintf(stderr, "\n");
  exec(db, "COMMIT;");
  return record_id;
}

std::string read_text(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    die("cannot read " + path);
  }
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Timing
{
  double wall = 0;
  double cpu = 0;
  int exit_code = -1;
};

// Runs argv with stdout to /dev/null; wall and CPU time of the child.
Timing run(const std::vector<std::string>& argv)
{
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    die("fork failed");
  }
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    std::vector<char*> args;
    for (const std::string& a : argv) {
      args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  struct rusage usage{};
  wait4(pid, &status, 0, &usage);
  Timing t;
  t.wall = seconds_since(start);
  t.cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
          + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  t.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return t;
}

Timing best_of(int repeat, const std::vector<std::string>& argv)
{
  Timing best;
  best.wall = 1e9;
  for (int i = 0; i < repeat; ++i) {
    const Timing t = run(argv);
    if (t.exit_code != 0) {
      return t;
    }
    if (t.wall < best.wall) {
      best = t;
    }
  }
  return best;
}

std::string thousands(int64_t n)
{
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) {
      out += ',';
    }
    out += digits[i];
  }
  return out;
}

} // namespace

int main(int argc, char** argv)
{
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        die("missing value for " + a);
      }
      return argv[++i];
    };
    if (a == "--records") {
      o.records = std::stoll(value());
    } else if (a == "--domains") {
      o.domains = std::stoi(value());
    } else if (a == "--days") {
      o.days = std::stoi(value());
    } else if (a == "--db") {
      o.db = value();
    } else if (a == "--rebuild") {
      o.rebuild = true;
    } else if (a == "--repeat") {
      o.repeat = std::stoi(value());
    } else {
      die("unknown option " + a + " (see the head of bench/summary_advise.cpp)");
    }
  }
  const char* dmarcctl_env = std::getenv("DMARCCTL");
  if (dmarcctl_env == nullptr || *dmarcctl_env == '\0') {
    die("set DMARCCTL to the dmarcctl binary");
  }
  const std::string dmarcctl = dmarcctl_env;
  const std::string migration = read_text(std::string(DMARC_SOURCE_DIR) + "/sql/0003_rollups.sql");
  const std::size_t marker = migration.find("-- ---- Backfill");
  if (marker == std::string::npos) {
    die("no backfill marker in sql/0003_rollups.sql");
  }
  if (o.db.empty()) {
    const char* build = std::getenv("BENCH_BUILD_DIR");
    const std::string dir = std::string(build != nullptr ? build : ".") + "/summary_advise";
    fs::create_directories(dir);
    const size_t key = std::hash<std::string>{}(migration + std::to_string(k_generator_version));
    char name[128];
    std::snprintf(name, sizeof name, "/r%" PRId64 "-d%d-days%d-%08zx.sqlite", o.records, o.domains,
                  o.days, key & 0xffffffffu);
    o.db = dir + name;
  }

  double generate_s = -1, backfill_s = -1;
  if (o.rebuild || !fs::exists(o.db)) {
    const std::string tmp = o.db + ".tmp";
    fs::remove(tmp);
    fs::remove(tmp + "-wal");
    fs::remove(tmp + "-shm");
    if (run({dmarcctl, "-q", "--db", tmp, "db", "migrate"}).exit_code != 0) {
      die("dmarcctl db migrate failed");
    }
    sqlite3* db = nullptr;
    if (sqlite3_open(tmp.c_str(), &db) != SQLITE_OK) {
      die("cannot open " + tmp);
    }
    auto start = std::chrono::steady_clock::now();
    const int64_t rows = generate(db, o);
    generate_s = seconds_since(start);
    std::fprintf(stderr, "%s record rows written in %.1f s; backfilling the rollups\n",
                 thousands(rows).c_str(), generate_s);
    start = std::chrono::steady_clock::now();
    exec(db, "BEGIN; DELETE FROM daily_reporters; DELETE FROM daily_policies;"
             "DELETE FROM daily_sources; DELETE FROM daily_failing; DELETE FROM daily_selectors;"
             "DELETE FROM daily_tls;"
             "DELETE FROM daily_tls_failures;" + migration.substr(marker) + "COMMIT;");
    backfill_s = seconds_since(start);
    exec(db, "PRAGMA journal_mode = WAL;");
    sqlite3_close(db);
    fs::rename(tmp, o.db);
  }

  sqlite3* db = nullptr;
  if (sqlite3_open_v2(o.db.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    die("cannot open " + o.db);
  }
  const int64_t records = scalar(db, "SELECT COUNT(*) FROM aggregate_records");
  const int64_t rollup = scalar(db, "SELECT (SELECT COUNT(*) FROM daily_sources)"
                                    " + (SELECT COUNT(*) FROM daily_failing)");
  const std::string range = " WHERE day BETWEEN " + std::to_string(k_as_of_day - 27) + " AND "
                            + std::to_string(k_as_of_day);
  const std::string window_sql = "SELECT (SELECT COUNT(*) FROM daily_sources" + range
                                 + ") + (SELECT COUNT(*) FROM daily_failing" + range + ")";
  const int64_t window_rows = scalar(db, window_sql.c_str());
  sqlite3_close(db);
  const double db_mb = static_cast<double>(fs::file_size(o.db)) / 1048576.0;

  struct Case
  {
    std::string measure;
    std::vector<std::string> args;
    bool target;
    double limit = 1.0;                // seconds, when `target`
  };
  const std::string html = (fs::temp_directory_path() / "dmarc_bench_report.html").string();
  const std::string shape = thousands(records) + " record rows, " + std::to_string(o.domains)
                            + " domains, 28-day window of " + thousands(window_rows)
                            + " rollup rows";
  const std::vector<Case> cases = {
    {"`summary` over " + shape + " (best of " + std::to_string(o.repeat) + ", wall; CPU)",
     {"summary", "--as-of", k_as_of}, true},
    {"`advise` over " + shape + " (best of " + std::to_string(o.repeat) + ", wall; CPU)",
     {"advise", "--as-of", k_as_of}, true},
    {"`summary --format json`, same database", {"summary", "--as-of", k_as_of, "--format", "json"}, false},
    {"`advise --format json`, same database", {"advise", "--as-of", k_as_of, "--format", "json"}, false},
    {"`advise --domain d042.example.com`", {"advise", "--as-of", k_as_of, "--domain", "d042.example.com"}, false},
    {"`summary --since " + std::to_string(o.days) + "d` (the whole history: "
       + thousands(rollup) + " rollup rows)",
     {"summary", "--as-of", k_as_of, "--since", std::to_string(o.days) + "d"}, false},
    {"`report --html` (90 days, every domain) over " + thousands(records) + " record rows",
     {"report", "--html", html, "--as-of", k_as_of}, true, 2.0},
    {"`report --html --since 28d` (the window of `summary`)",
     {"report", "--html", html, "--as-of", k_as_of, "--since", "28d"}, true, 2.0},
    {"`report --html --domain d042.example.com` (90 days)",
     {"report", "--html", html, "--as-of", k_as_of, "--domain", "d042.example.com"}, false},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv{dmarcctl, "-q", "--db", o.db};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const Timing t = best_of(o.repeat, argv);
    const std::string target = c.target ? "< " + std::to_string(static_cast<int>(c.limit)) + " s"
                                        : "–";
    if (t.exit_code != 0) {
      std::printf("| %s | failed (exit %d) | %s | MISSED |\n", c.measure.c_str(), t.exit_code,
                  target.c_str());
      continue;
    }
    std::string size;
    if (c.args[0] == "report" && fs::exists(html)) {
      size = " (" + thousands(static_cast<int64_t>(fs::file_size(html))) + " bytes)";
    }
    std::printf("| %s%s | %.3f s; %.3f s | %s | %s |\n", c.measure.c_str(), size.c_str(), t.wall,
                t.cpu, target.c_str(), c.target ? (t.wall < c.limit ? "ok" : "MISSED") : "–");
  }
  if (generate_s >= 0) {
    std::printf("| building that database: raw rows written through SQL; rollups by the backfill "
                "of sql/0003_rollups.sql (%.0f MiB) | %.1f s; %.1f s | – | – |\n",
                db_mb, generate_s, backfill_s);
  } else {
    std::printf("| database (cached, %.0f MiB): %s | – | – | – |\n", db_mb, o.db.c_str());
  }
  return 0;
}
