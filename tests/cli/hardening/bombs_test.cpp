// Decompression bombs through `dmarcctl import` with the default caps: a 1 GiB zip bomb and
// a 4 GiB gzip bomb (both generated here, a few MB each) are rejected as too-large naming
// the cap, within bounded memory, and the run goes on. Memory is the child's peak RSS
// (wait4); time is printed for the record, never asserted (shared machines are noisy).
// Under AddressSanitizer the child runs without its quarantine and the bound is 300 MB: it
// allows for ASan's own ~100 MB and still catches a bomb expanded to max_document_bytes.
#include "hardening_support.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace dmarc::test;
using namespace dmarc::test::hardening;

namespace {

constexpr uint64_t k_gib = uint64_t{1} << 30;
constexpr long long k_max_rss_kb = k_asan ? 300 * 1024 : 100 * 1024;

struct Timed
{
  RunResult result;
  double seconds;
};

Timed timed_import(const std::string& db, const std::vector<std::string>& inputs)
{
  std::vector<std::string> args{"--db", db, "import"};
  args.insert(args.end(), inputs.begin(), inputs.end());
  RunOptions options;
  if (k_asan) {
    // ASan's quarantine of freed memory counts as resident; without it what is measured is
    // the program's own memory plus the shadow (leak detection stays on).
    const char* asan = std::getenv("ASAN_OPTIONS");
    options.env["ASAN_OPTIONS"] = std::string(asan != nullptr ? asan : "")
                                  + ":quarantine_size_mb=0:thread_local_quarantine_size_kb=0";
  }
  const auto start = std::chrono::steady_clock::now();
  RunResult r = dmarcctl(args, options);
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  return {std::move(r), took.count()};
}

// Imports `bomb` and a good report; the bomb is rejected with `reason` naming `cap`.
void check_bomb(const std::string& what, const std::string& file_name, const std::string& bytes,
                const std::string& reason, const std::string& cap)
{
  TempDir dir;
  const std::string bomb = dir / file_name;
  write_file(bomb, bytes);
  write_file(dir / "zz-good.xml", report_xml("good.example.net", "good-1", 3));
  const std::string db = dir / "bomb.sqlite";
  const Timed t = timed_import(db, {bomb, dir / "zz-good.xml"});
  std::printf("hardening: %s (%zu bytes on disk): %.2f s, peak RSS %lld KiB%s\n", what.c_str(),
              bytes.size(), t.seconds, static_cast<long long>(t.result.max_rss_kb),
              k_asan ? " (ASan build)" : "");
  INFO(what << "\nstderr:\n" << t.result.err);
  CHECK(t.result.exit_code == 3);
  const auto err = lines(t.result.err);
  REQUIRE(err.size() == 2);
  CHECK(err[0].rfind(bomb + ": " + reason + ": ", 0) == 0);
  CHECK(err[0].find(cap) != std::string::npos);
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports WHERE report_id = 'good-1'") == 1);
  CHECK(scalar(db, "SELECT COUNT(*) FROM messages WHERE reason = ?1", {reason}) == 1);
  CHECK(t.result.max_rss_kb < k_max_rss_kb);
}

} // namespace

TEST_CASE("a 4 GiB gzip bomb is too-large (max_ratio) in bounded memory")
{
  const std::string bomb = gzip_zero_bomb(4 * k_gib);
  REQUIRE(bomb.size() < 8u << 20);
  check_bomb("4 GiB gzip bomb", "bomb.xml.gz", bomb, "too-large", "(max_ratio)");
}

TEST_CASE("a 1 GiB zip bomb is too-large (max_document_bytes) in bounded memory")
{
  check_bomb("1 GiB zip bomb", "bomb.zip", zip_zero_bomb("report.xml", k_gib), "too-large",
             "(max_document_bytes)");
}

TEST_CASE("a 4 GiB gzip bomb inside a zip entry is too-large in bounded memory")
{
  const std::string inner = gzip_zero_bomb(4 * k_gib);
  check_bomb("4 GiB gzip bomb in a zip", "nested.zip",
             zip({{"report.xml.gz", inner}}, ZipMethod::stored), "too-large", "(max_ratio)");
}

TEST_CASE("a 4 GiB gzip bomb attached to a mail is too-large in bounded memory")
{
  const std::string mail =
    report_mail("bomb@example.net", "application/gzip", "report.xml.gz", base64(gzip_zero_bomb(4 * k_gib)));
  check_bomb("4 GiB gzip bomb in a mail", "bomb.eml", mail, "too-large", "(max_ratio)");
}

TEST_CASE("a zip bomb declaring a small size is a corrupt archive as soon as it lies")
{
  // The central directory says 1000 bytes; the entry inflates to 1 GiB.
  std::string bomb = zip_zero_bomb("report.xml", k_gib);
  // Patch the declared uncompressed size (local header offset 22, central header 24).
  const auto set32 = [&](std::size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) bomb[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  };
  set32(22, 1000);
  const std::size_t central = bomb.rfind(std::string("PK\x01\x02", 4));
  REQUIRE(central != std::string::npos);
  set32(central + 24, 1000);
  check_bomb("1 GiB zip bomb with a lying size", "lying.zip", bomb, "corrupt-archive",
             "more data than the declared 1000 bytes");
}
