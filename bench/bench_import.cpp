// dmarc_bench_import: the import benchmark of DESIGN.md's first performance target.
//
// Why one process: absolute times on a shared machine are noisy (other builds, page cache,
// glibc malloc trimming), so the figure that counts is the ratio of the real import to a
// bare loop of our own decompress + pugixml parse over the same bytes, both measured in the
// same process, interleaved, best of --repeat runs.
//
//   bare    : the report documents' bytes (file contents, or for mails the attachments,
//             extracted beforehand and untimed) held in memory; decompress::expand, then
//             pugixml load_buffer_inplace with the options of src/formats/dmarc_xml.cpp.
//             JSON (TLS-RPT) documents are expanded but not parsed (they are < 1% of bytes).
//             This is the floor any importer pays: inflate + XML tokenising.
//   import  : pipeline::run_import from the directory (LocalSource reads the files) into a
//             fresh SQLite database with the full schema and indexes (SqliteStore), as
//             `dmarcctl import DIR` does, database close (WAL checkpoint) included.
//   stages  : the import split into its parts, each timed alone: reading the inputs
//             (LocalSource), parse_input (mime + decompress + raw gzip + parse + alignment)
//             over the inputs in memory, storing the parsed messages, and parse_aggregate
//             over the decompressed documents against bare pugixml over the same documents.
//   dmarcctl: optionally (--dmarcctl) the real binary on the same input, for its wall
//             time and peak RSS (wait4 ru_maxrss), which in-process timing cannot isolate.
//
// pugixml is linked here directly for the baseline only: the baseline must not depend on
// src/formats (a change there must not silently change the floor it is compared with).
// Output: `key=value` lines on stdout for bench/run; progress on stderr.
#include "core/clock.hpp"
#include "core/limits.hpp"
#include "decompress/decompress.hpp"
#include "fetch/local_source.hpp"
#include "formats/dmarc_xml.hpp"
#include "mime/extract.hpp"
#include "pipeline/import.hpp"
#include "pipeline/ingest.hpp"
#include "store/database.hpp"
#include "store/sqlite_store.hpp"

#include <pugixml.hpp>

#include <sys/resource.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace dmarc;

namespace {

// The options src/formats/dmarc_xml.cpp parses with (k_parse_options there).
constexpr unsigned k_parse_options =
  pugi::parse_cdata | pugi::parse_escapes | pugi::parse_eol | pugi::parse_embed_pcdata;

double seconds_since(std::chrono::steady_clock::time_point start)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU time of this process (all threads; the import is single-threaded), in seconds.
double cpu_now()
{
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall and CPU seconds of one run.
struct Timing
{
  double wall = 0;
  double cpu = 0;
};

Timing time_it(const std::function<void()>& f)
{
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_now();
  f();
  return Timing{seconds_since(start), cpu_now() - cpu_start};
}

// Keeps the best (lowest CPU) of the runs given to it.
struct Best
{
  Timing best{1e300, 1e300};
  void add(Timing t)
  {
    best.wall = std::min(best.wall, t.wall);
    best.cpu = std::min(best.cpu, t.cpu);
  }
};

[[noreturn]] void die(const std::string& what)
{
  std::fprintf(stderr, "dmarc_bench_import: %s\n", what.c_str());
  std::exit(1);
}

void remove_database(const fs::path& db)
{
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(db.string() + suffix, ec);
  }
}

// Every input of `dir` as LocalSource hands it out.
std::vector<fetch::SourceItem> read_inputs(const std::string& dir, const Limits& limits)
{
  std::vector<fetch::SourceItem> items;
  fetch::LocalSource source({dir}, limits);
  for (;;) {
    fetch::SourceItem item;
    auto more = source.next(item);
    if (!more) {
      die("reading " + dir + ": " + more.error().to_string());
    }
    if (!*more) {
      return items;
    }
    items.push_back(std::move(item));
  }
}

// Reads every file below `dir` once through a small buffer, so the page cache holds them
// and this process stays small (a forked child's ru_maxrss starts from the parent's RSS).
void warm_page_cache(const std::string& dir)
{
  std::vector<char> buffer(1 << 16);
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) {
      continue;
    }
    if (std::FILE* f = std::fopen(it->path().c_str(), "rb")) {
      while (std::fread(buffer.data(), 1, buffer.size(), f) == buffer.size()) {
      }
      std::fclose(f);
    }
  }
}

// The report payloads of the inputs: the file bytes, or a mail's attachments.
std::vector<std::string> payloads_of(const std::vector<fetch::SourceItem>& items,
                                     const Limits& limits)
{
  std::vector<std::string> payloads;
  for (const fetch::SourceItem& item : items) {
    if (decompress::sniff(item.bytes) == decompress::Format::unknown
        && mime::looks_like_message(item.bytes)) {
      auto extracted = mime::extract(item.bytes, limits);
      if (!extracted) {
        continue;
      }
      for (mime::Attachment& a : extracted->attachments) {
        payloads.push_back(std::move(a.bytes));
      }
    } else if (!item.bytes.empty()) {
      payloads.push_back(item.bytes);
    }
  }
  return payloads;
}

struct BareFigures
{
  std::size_t documents = 0;
  std::size_t xml_documents = 0;
  std::size_t document_bytes = 0;
  std::size_t failures = 0;
};

// The bare loop: expand + pugixml parse of every payload.
BareFigures bare_loop(const std::vector<std::string>& payloads, const Limits& limits)
{
  BareFigures f;
  for (const std::string& payload : payloads) {
    auto documents = decompress::expand(payload, "", limits);
    if (!documents) {
      ++f.failures;
      continue;
    }
    for (decompress::Document& doc : *documents) {
      ++f.documents;
      f.document_bytes += doc.bytes.size();
      if (doc.format != decompress::Format::xml) {
        continue;
      }
      ++f.xml_documents;
      pugi::xml_document xml;
      if (!xml.load_buffer_inplace(doc.bytes.data(), doc.bytes.size(), k_parse_options)) {
        ++f.failures;
      }
    }
  }
  return f;
}

struct ImportFigures
{
  pipeline::ImportStats stats;
  Timing time;
};

// The real import of `dir` into a fresh database at `db_path`.
ImportFigures import_once(const std::string& dir, const fs::path& db_path, const Limits& limits)
{
  remove_database(db_path);
  const FixedClock clock(1'700'000'000);
  ImportFigures f;
  auto db = store::Database::open(db_path.string());
  if (!db) {
    die("opening " + db_path.string() + ": " + db.error().to_string());
  }
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = cpu_now();
  {
    store::SqliteStore sink(**db, clock);
    fetch::LocalSource source({dir}, limits);
    pipeline::ImportOptions options;
    options.limits = limits;
    auto stats = pipeline::run_import(source, sink, options);
    if (!stats) {
      die("import: " + stats.error().to_string());
    }
    f.stats = *stats;
  }
  db->reset(); // close: the WAL checkpoint belongs to the import
  f.time = Timing{seconds_since(start), cpu_now() - cpu_start};
  return f;
}

struct ChildFigures
{
  double seconds = 0;
  double cpu_seconds = 0;
  long max_rss_kb = 0;
  int status = 0;
};

// Runs `argv` as a child process; wall time and its peak RSS.
ChildFigures run_child(const std::vector<std::string>& args)
{
  std::vector<char*> argv;
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    die("fork failed");
  }
  if (pid == 0) {
    execv(argv[0], argv.data());
    std::_Exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) < 0) {
    die("wait4 failed");
  }
  ChildFigures f;
  f.seconds = seconds_since(start);
  f.max_rss_kb = usage.ru_maxrss;
  f.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                  + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  f.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return f;
}

struct Options
{
  std::string input;
  fs::path work = "/tmp/dmarc-bench";
  int repeat = 3;
  std::string dmarcctl;
  bool stages = true;
  bool child_only = false; // only the `dmarcctl import` child (wall, CPU, peak RSS)
  std::string only; // profile one part alone: parse_input, store, walk, pugixml, import
};

void usage()
{
  std::fprintf(stderr,
               "usage: dmarc_bench_import --input DIR [--work DIR] [--repeat N] [--no-stages]\n"
               "                          [--dmarcctl PATH [--child-only]]\n"
               "                          [--only parse_input|store|walk|pugixml|import]\n"
               "Times the import of DIR (files or a Maildir) against a bare decompress +\n"
               "pugixml loop over the same bytes, in one process; prints key=value lines.\n"
               "Example: dmarc_bench_import --input corpus/files --repeat 3\n");
}

} // namespace

int main(int argc, char** argv)
{
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--input") {
      o.input = value();
    } else if (a == "--work") {
      o.work = value();
    } else if (a == "--repeat") {
      o.repeat = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--dmarcctl") {
      o.dmarcctl = value();
    } else if (a == "--only") {
      o.only = value();
    } else if (a == "--child-only") {
      o.child_only = true;
    } else if (a == "--no-stages") {
      o.stages = false;
    } else {
      usage();
      return 2;
    }
  }
  if (o.input.empty()) {
    usage();
    return 2;
  }
  fs::create_directories(o.work);
  const Limits limits;
  const fs::path db_path = o.work / "bench-import.sqlite";

  // The real binary first, while this process is small: a forked child starts with the
  // parent's pages, and ru_maxrss would count them.
  ChildFigures child;
  if (!o.dmarcctl.empty()) {
    const fs::path child_db = o.work / "bench-dmarcctl.sqlite";
    remove_database(child_db);
    warm_page_cache(o.input); // as the in-process passes are warmed, without growing this process
    child = run_child({o.dmarcctl, "--db", child_db.string(), "-q", "import", o.input});
    remove_database(child_db);
  }

  if (o.child_only) {
    if (o.dmarcctl.empty()) {
      usage();
      return 2;
    }
    std::printf("dmarcctl_status=%d\n", child.status);
    std::printf("dmarcctl_seconds=%.4f\n", child.seconds);
    std::printf("dmarcctl_cpu_seconds=%.4f\n", child.cpu_seconds);
    std::printf("dmarcctl_max_rss_kb=%ld\n", child.max_rss_kb);
    return child.status == 0 ? 0 : 1;
  }

  // Inputs in memory (this also warms the page cache for the import passes).
  std::vector<fetch::SourceItem> items = read_inputs(o.input, limits);
  std::size_t input_bytes = 0;
  for (const fetch::SourceItem& item : items) {
    input_bytes += item.bytes.size();
  }
  const std::vector<std::string> payloads = payloads_of(items, limits);
  std::fprintf(stderr, "%s: %zu inputs, %zu payloads, %.1f MB\n", o.input.c_str(), items.size(),
               payloads.size(), static_cast<double>(input_bytes) / 1e6);

  if (!o.only.empty()) {
    // One part alone, --repeat times, for `perf record`.
    std::vector<ParsedMessage> parsed;
    Best best;
    for (int r = 0; r < o.repeat; ++r) {
      parsed.clear();
      if (o.only == "parse_input" || o.only == "store") {
        const Timing t = time_it([&] {
          for (const fetch::SourceItem& item : items) {
            parsed.push_back(pipeline::parse_input(item.bytes, item.meta, limits));
          }
        });
        if (o.only == "parse_input") {
          best.add(t);
          continue;
        }
        remove_database(db_path);
        const FixedClock clock(1'700'000'000);
        auto db = store::Database::open(db_path.string());
        if (!db) {
          die("opening " + db_path.string() + ": " + db.error().to_string());
        }
        best.add(time_it([&] {
          store::SqliteStore sink(**db, clock);
          for (const ParsedMessage& m : parsed) {
            if (auto outcome = sink.store(m); !outcome) {
              die("store: " + outcome.error().to_string());
            }
          }
          db->reset();
        }));
      } else if (o.only == "walk" || o.only == "pugixml") {
        std::string buffer;
        std::vector<std::string> xml;
        for (const std::string& payload : payloads) {
          if (auto expanded = decompress::expand(payload, "", limits)) {
            for (decompress::Document& d : *expanded) {
              if (d.format == decompress::Format::xml) {
                xml.push_back(std::move(d.bytes));
              }
            }
          }
        }
        if (o.only == "pugixml") {
          best.add(time_it([&] {
            for (const std::string& d : xml) {
              buffer.assign(d);
              pugi::xml_document doc;
              (void)doc.load_buffer_inplace(buffer.data(), buffer.size(), k_parse_options);
            }
          }));
          continue;
        }
        best.add(time_it([&] {
          for (const std::string& d : xml) {
            buffer.assign(d);
            if (auto report = formats::parse_aggregate(buffer, limits); !report) {
              die("parse_aggregate: " + report.error().to_string());
            }
          }
        }));
      } else if (o.only == "import") {
        best.add(import_once(o.input, db_path, limits).time);
      } else {
        usage();
        return 2;
      }
    }
    std::printf("only_%s_cpu_seconds=%.4f\n", o.only.c_str(), best.best.cpu);
    std::printf("only_%s_seconds=%.4f\n", o.only.c_str(), best.best.wall);
    remove_database(db_path);
    return 0;
  }

  // Interleaved: bare, import, bare, import, ...; the best of each counts (CPU time and
  // wall time separately: on a busy machine the wall time says more about the neighbours).
  Best bare_best;
  Best import_best;
  BareFigures bare;
  ImportFigures imported;
  for (int r = 0; r < o.repeat; ++r) {
    const Timing tb = time_it([&] { bare = bare_loop(payloads, limits); });
    imported = import_once(o.input, db_path, limits);
    bare_best.add(tb);
    import_best.add(imported.time);
    std::fprintf(stderr,
                 "  run %d: bare %.3f s (cpu %.3f), import %.3f s (cpu %.3f), %lld records,"
                 " ratio %.2f (cpu %.2f)\n",
                 r + 1, tb.wall, tb.cpu, imported.time.wall, imported.time.cpu,
                 static_cast<long long>(imported.stats.records), imported.time.wall / tb.wall,
                 imported.time.cpu / tb.cpu);
  }
  // A benchmark over inputs that do not import measures the wrong thing: fail loudly.
  if (bare.failures != 0 || imported.stats.rejected != 0) {
    die(std::to_string(bare.failures) + " payloads failed in the bare loop, "
        + std::to_string(imported.stats.rejected) + " inputs rejected by the import");
  }
  const Timing b = bare_best.best;
  const Timing i = import_best.best;
  const auto records = static_cast<double>(imported.stats.records);
  std::printf("inputs=%zu\n", items.size());
  std::printf("input_bytes=%zu\n", input_bytes);
  std::printf("documents=%zu\n", bare.documents);
  std::printf("xml_documents=%zu\n", bare.xml_documents);
  std::printf("document_bytes=%zu\n", bare.document_bytes);
  std::printf("records=%lld\n", static_cast<long long>(imported.stats.records));
  std::printf("reports=%lld\n",
              static_cast<long long>(imported.stats.dmarc_reports + imported.stats.tls_reports));
  std::printf("rejected=%lld\n", static_cast<long long>(imported.stats.rejected));
  std::printf("bare_seconds=%.4f\n", b.wall);
  std::printf("bare_cpu_seconds=%.4f\n", b.cpu);
  std::printf("import_seconds=%.4f\n", i.wall);
  std::printf("import_cpu_seconds=%.4f\n", i.cpu);
  std::printf("ratio=%.3f\n", i.wall / b.wall);
  std::printf("ratio_cpu=%.3f\n", i.cpu / b.cpu);
  std::printf("records_per_second=%.0f\n", records / i.wall);
  std::printf("records_per_cpu_second=%.0f\n", records / i.cpu);
  std::printf("input_mb_per_second=%.2f\n", static_cast<double>(input_bytes) / 1e6 / i.wall);
  std::printf("document_mb_per_second=%.2f\n",
              static_cast<double>(bare.document_bytes) / 1e6 / i.wall);
  std::printf("db_bytes=%llu\n", static_cast<unsigned long long>(fs::file_size(db_path)));

  if (o.stages) {
    // The import's parts, each alone (best CPU time of --repeat runs).
    Best read_best, ingest_best, store_best, pugixml_best, walk_best, expand_best;
    std::vector<decompress::Document> documents;
    for (const std::string& payload : payloads) {
      if (auto expanded = decompress::expand(payload, "", limits)) {
        for (decompress::Document& d : *expanded) {
          if (d.format == decompress::Format::xml) {
            documents.push_back(std::move(d));
          }
        }
      }
    }
    std::string buffer;
    for (int r = 0; r < o.repeat; ++r) {
      read_best.add(time_it([&] { (void)read_inputs(o.input, limits); }));
      expand_best.add(time_it([&] {
        for (const std::string& payload : payloads) {
          (void)decompress::expand(payload, "", limits);
        }
      }));
      std::vector<ParsedMessage> parsed;
      parsed.reserve(items.size());
      ingest_best.add(time_it([&] {
        for (const fetch::SourceItem& item : items) {
          parsed.push_back(pipeline::parse_input(item.bytes, item.meta, limits));
        }
      }));
      remove_database(db_path);
      {
        const FixedClock clock(1'700'000'000);
        auto db = store::Database::open(db_path.string());
        if (!db) {
          die("opening " + db_path.string() + ": " + db.error().to_string());
        }
        store_best.add(time_it([&] {
          store::SqliteStore sink(**db, clock);
          for (const ParsedMessage& m : parsed) {
            if (auto outcome = sink.store(m); !outcome) {
              die("store: " + outcome.error().to_string());
            }
          }
          db->reset();
        }));
      }
      parsed.clear();
      pugixml_best.add(time_it([&] {
        for (const decompress::Document& d : documents) {
          buffer.assign(d.bytes);
          pugi::xml_document xml;
          (void)xml.load_buffer_inplace(buffer.data(), buffer.size(), k_parse_options);
        }
      }));
      walk_best.add(time_it([&] {
        for (const decompress::Document& d : documents) {
          buffer.assign(d.bytes);
          auto report = formats::parse_aggregate(buffer, limits);
          if (!report) {
            die("parse_aggregate: " + report.error().to_string());
          }
        }
      }));
    }
    std::printf("stage_read_cpu_seconds=%.4f\n", read_best.best.cpu);
    std::printf("stage_expand_cpu_seconds=%.4f\n", expand_best.best.cpu);
    std::printf("stage_parse_input_cpu_seconds=%.4f\n", ingest_best.best.cpu);
    std::printf("stage_store_cpu_seconds=%.4f\n", store_best.best.cpu);
    std::printf("stage_store_seconds=%.4f\n", store_best.best.wall);
    std::printf("stage_pugixml_cpu_seconds=%.4f\n", pugixml_best.best.cpu);
    std::printf("stage_parse_aggregate_cpu_seconds=%.4f\n", walk_best.best.cpu);
    std::printf("parse_aggregate_ratio=%.3f\n", walk_best.best.cpu / pugixml_best.best.cpu);
  }
  remove_database(db_path);

  if (!o.dmarcctl.empty()) {
    std::printf("dmarcctl_status=%d\n", child.status);
    std::printf("dmarcctl_seconds=%.4f\n", child.seconds);
    std::printf("dmarcctl_cpu_seconds=%.4f\n", child.cpu_seconds);
    std::printf("dmarcctl_records_per_second=%.0f\n", records / child.seconds);
    std::printf("dmarcctl_records_per_cpu_second=%.0f\n", records / child.cpu_seconds);
    std::printf("dmarcctl_max_rss_kb=%ld\n", child.max_rss_kb);
  }
  return 0;
}
