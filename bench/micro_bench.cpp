// dmarc_bench_micro: Google Benchmark micro-benchmarks of the import's hot functions.
//
// Why: bench/run says whether the import meets its target; these say which function to look
// at when it does not, with figures stable enough to compare a change against (run with
// --benchmark_repetitions=5 --benchmark_min_time=0.5 on a quiet machine). Each benchmark
// reports records (or bytes) per second so it reads against the 200,000 records/s target.
//
//   parse_aggregate vs pugixml_load: the DMARC XML walk's cost over pugixml's own parse of
//                     the same document (the per-record part of the import ratio);
//   expand_gzip, gzip_level1: inflating a report, deflating a plain one for raw storage;
//   checksum:         the content checksum of every input;
//   organizational_domain, compute_alignment: PSL lookups (memoised) and alignment per record;
//   mime_extract:     a report mail's attachment out of its base64;
//   store:            SqliteStore::store of one report into a file database (WAL, full
//                     schema and indexes), per record.
// There is no IP parsing in the import (source_ip is stored as the reporter wrote it).
#include "core/checksum.hpp"
#include "core/clock.hpp"
#include "core/limits.hpp"
#include "core/message.hpp"
#include "decompress/decompress.hpp"
#include "domain/alignment.hpp"
#include "formats/dmarc_xml.hpp"
#include "mime/extract.hpp"
#include "store/database.hpp"
#include "store/sqlite_store.hpp"

#include <benchmark/benchmark.h>
#include <pugixml.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace {

using namespace dmarc;

// An aggregate report of `records` records in Google's layout (2-space indent, no
// namespace), with varying sources, two DKIM and one SPF result per record.
std::string report_xml(int records, const std::string& report_id = "bench-1")
{
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<feedback>\n"
                  "  <report_metadata>\n    <org_name>google.com</org_name>\n"
                  "    <email>noreply-dmarc-support@google.com</email>\n"
                  "    <report_id>" + report_id + "</report_id>\n"
                  "    <date_range>\n      <begin>1700000000</begin>\n"
                  "      <end>1700086399</end>\n    </date_range>\n  </report_metadata>\n"
                  "  <policy_published>\n    <domain>example.co.uk</domain>\n"
                  "    <adkim>r</adkim>\n    <aspf>r</aspf>\n    <p>none</p>\n"
                  "    <sp>none</sp>\n    <pct>100</pct>\n  </policy_published>\n";
  for (int i = 0; i < records; ++i) {
    char ip[32];
    std::snprintf(ip, sizeof ip, "203.0.%d.%d", (i / 250) % 256, i % 250 + 1);
    x += "  <record>\n    <row>\n      <source_ip>";
    x += ip;
    x += "</source_ip>\n      <count>" + std::to_string(1 + i % 7) + "</count>\n"
         "      <policy_evaluated>\n        <disposition>none</disposition>\n"
         "        <dkim>pass</dkim>\n        <spf>fail</spf>\n      </policy_evaluated>\n"
         "    </row>\n    <identifiers>\n      <header_from>mail.example.co.uk</header_from>\n"
         "    </identifiers>\n    <auth_results>\n      <dkim>\n"
         "        <domain>example.co.uk</domain>\n        <selector>s1</selector>\n"
         "        <result>pass</result>\n      </dkim>\n      <dkim>\n"
         "        <domain>sendgrid.net</domain>\n        <selector>smtpapi</selector>\n"
         "        <result>pass</result>\n      </dkim>\n      <spf>\n"
         "        <domain>bounces.sendgrid.net</domain>\n        <result>pass</result>\n"
         "      </spf>\n    </auth_results>\n  </record>\n";
  }
  x += "</feedback>\n";
  return x;
}

void parse_aggregate(benchmark::State& state)
{
  const std::string xml = report_xml(static_cast<int>(state.range(0)));
  const Limits limits;
  std::string buffer;
  for (auto _ : state) {
    buffer.assign(xml);
    auto report = formats::parse_aggregate(buffer, limits);
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(xml.size()));
}
BENCHMARK(parse_aggregate)->Arg(1)->Arg(100)->Arg(5000);

void pugixml_load(benchmark::State& state)
{
  const std::string xml = report_xml(static_cast<int>(state.range(0)));
  std::string buffer;
  for (auto _ : state) {
    buffer.assign(xml);
    pugi::xml_document doc;
    auto result = doc.load_buffer_inplace(buffer.data(), buffer.size(),
                                          pugi::parse_cdata | pugi::parse_escapes
                                            | pugi::parse_eol | pugi::parse_embed_pcdata);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(xml.size()));
}
BENCHMARK(pugixml_load)->Arg(1)->Arg(100)->Arg(5000);

void expand_gzip(benchmark::State& state)
{
  const std::string gz = decompress::gzip(report_xml(static_cast<int>(state.range(0))));
  const Limits limits;
  for (auto _ : state) {
    auto documents = decompress::expand(gz, "report.xml.gz", limits);
    benchmark::DoNotOptimize(documents);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(expand_gzip)->Arg(100)->Arg(5000);

void gzip_level1(benchmark::State& state)
{
  const std::string xml = report_xml(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(decompress::gzip(xml));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(xml.size()));
}
BENCHMARK(gzip_level1)->Arg(100)->Arg(5000);

void checksum(benchmark::State& state)
{
  const std::string bytes = report_xml(1000);
  for (auto _ : state) {
    benchmark::DoNotOptimize(dmarc::checksum(bytes));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}
BENCHMARK(checksum);

void organizational_domain(benchmark::State& state)
{
  const char* names[] = {"mail.example.co.uk", "bounces.sendgrid.net", "example.com",
                         "a.b.c.example.com.au"};
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(domain::organizational_domain(names[i++ % 4]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(organizational_domain);

void compute_alignment(benchmark::State& state)
{
  std::string xml = report_xml(static_cast<int>(state.range(0)));
  auto report = formats::parse_aggregate(xml, Limits{});
  if (!report) {
    state.SkipWithError("parse failed");
    return;
  }
  for (auto _ : state) {
    domain::compute_alignment(*report);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(compute_alignment)->Arg(1000);

void mime_extract(benchmark::State& state)
{
  const std::string zip = decompress::zip_archive(
    {{"google.com!example.co.uk!1700000000!1700086399.xml", report_xml(static_cast<int>(state.range(0)))}});
  static const char* k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (std::size_t i = 0; i < zip.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, zip.size() - i);
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(zip[i])) << 16;
    if (n > 1) v |= static_cast<uint32_t>(static_cast<unsigned char>(zip[i + 1])) << 8;
    if (n > 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(zip[i + 2]));
    b64 += k_alphabet[(v >> 18) & 63];
    b64 += k_alphabet[(v >> 12) & 63];
    b64 += n > 1 ? k_alphabet[(v >> 6) & 63] : '=';
    b64 += n > 2 ? k_alphabet[v & 63] : '=';
    if (b64.size() % 77 == 76) b64 += '\n';
  }
  const std::string mail =
    "From: noreply-dmarc-support@google.com\nTo: dmarc@example.co.uk\n"
    "Subject: Report domain: example.co.uk Submitter: google.com\nMessage-ID: <1@google.com>\n"
    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\n"
    "Content-Type: text/plain\n\nThis is an aggregate report.\n--b\n"
    "Content-Type: application/zip; name=\"report.zip\"\nContent-Transfer-Encoding: base64\n\n"
    + b64 + "\n--b--\n";
  const Limits limits;
  for (auto _ : state) {
    auto extracted = mime::extract(mail, limits);
    benchmark::DoNotOptimize(extracted);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(mail.size()));
}
BENCHMARK(mime_extract)->Arg(100)->Arg(5000);

void store(benchmark::State& state)
{
  const auto records = static_cast<int>(state.range(0));
  const std::filesystem::path dir = std::filesystem::temp_directory_path()
                                    / ("dmarc-micro-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "store.sqlite").string();
  std::filesystem::remove(path);
  auto db = store::Database::open(path);
  if (!db) {
    state.SkipWithError(db.error().detail.c_str());
    return;
  }
  const FixedClock clock(1'700'000'000);
  store::SqliteStore sink(**db, clock);
  std::string xml = report_xml(records);
  auto report = formats::parse_aggregate(xml, Limits{});
  if (!report) {
    state.SkipWithError("parse failed");
    return;
  }
  domain::compute_alignment(*report);
  ParsedMessage message;
  message.meta.source = "bench.xml";
  message.aggregates.push_back(std::move(*report));
  message.aggregate_raw.push_back(
    RawDocument{"gzip", std::make_shared<const std::string>(decompress::gzip(report_xml(records)))});
  int64_t serial = 0;
  for (auto _ : state) {
    ++serial;
    message.aggregates[0].report_id = "bench-" + std::to_string(serial);
    message.meta.checksum = std::to_string(serial);
    message.meta.size = serial;
    auto outcome = sink.store(message);
    if (!outcome) {
      state.SkipWithError(outcome.error().detail.c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * records);
  db->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(store)->Arg(1)->Arg(100)->Arg(5000);

} // namespace

BENCHMARK_MAIN();
