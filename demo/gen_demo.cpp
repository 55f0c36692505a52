// The demo's report set: five weeks of DMARC aggregate and SMTP TLS reports for two example
// domains, as several real reporters would send them, so that `summary` and `advise` tell a
// story. Deterministic: a fixed seed drives the day-to-day variation (std::mt19937's raw
// output, the same on every platform), and the dates are fixed, so the demo prints the same
// every time when judged --as-of 2025-12-04.
//
//   example.com  a mailcow server and a newsletter relay, both clean; a friend's forwarder;
//                a spoofing run in week three  -> DMARC and MTA-STS ready to advance
//   example.net  the same server, but a relay whose DKIM key broke on most of its mail
//                  -> held by that relay (and MTA-STS held by an expired certificate)
//
// Usage: dmarc_demo_gen OUTPUT_DIR   (writes OUTPUT_DIR/*.xml and *.json, prints a count)
#include "support/report_gen.hpp"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace gen = dmarc::test::gen;
using gen::Record;

namespace {

constexpr uint32_t k_seed = 20261130;
constexpr int64_t k_first_day = 20391;   // 2025-10-30 (Unix day)
constexpr int k_days = 35;               // to 2025-12-03; scripts/demo judges --as-of 2025-12-04

// Per reporter: its name and the share of your mail it sees (in percent).
struct Reporter
{
  const char* name;
  int share;
};
const std::vector<Reporter> k_reporters = {
  {"google.com", 45}, {"Outlook.com", 30}, {"Yahoo", 15}, {"Mail.Ru", 10}};

class Noise
{
public:
  explicit Noise(uint32_t seed) : m_rng(seed) {}
  // `base` varied by up to +-`percent`%, never below 1.
  int64_t around(int64_t base, int percent)
  {
    const int64_t span = base * percent / 100;
    const int64_t v = base - span + static_cast<int64_t>(m_rng() % static_cast<uint32_t>(2 * span + 1));
    return v < 1 ? 1 : v;
  }
  uint32_t next() { return m_rng(); }

private:
  std::mt19937 m_rng;
};

// A weekday sends more than a weekend day.
int64_t weekly(int day, int64_t count)
{
  const int64_t weekday = (k_first_day + day + 4) % 7;   // 0 = Sunday
  return weekday == 0 || weekday == 6 ? count * 2 / 5 : count;
}

std::vector<Record> example_com(Noise& noise, int day, int rep)
{
  const std::string d = "example.com";
  const int share = k_reporters[static_cast<std::size_t>(rep)].share;
  std::vector<Record> out;
  out.push_back(gen::authorized("203.0.113.10", d, noise.around(weekly(day, 12 * share), 15), "mailcow"));
  out.push_back(gen::authorized("2001:db8:10::25", d, noise.around(weekly(day, 3 * share), 20), "mailcow"));
  // The newsletter relay: its own IP range, signing as example.com with selector "news".
  if (day % 7 == 2) {
    out.push_back(gen::authorized("198.51.100.25", d, noise.around(20 * share, 10), "news"));
  }
  // A friend forwards your mail from their server: DKIM survives, SPF does not.
  if (rep < 2) {
    out.push_back(gen::forwarder("192.0.2.50", d, noise.around(share / 3 + 2, 30), "mailcow"));
  }
  // A spoofing run in the third week: many addresses, a handful of messages each.
  if (day >= 14 && day < 21) {
    for (int i = 0; i < 6; ++i) {
      out.push_back(gen::spoofer("198.18." + std::to_string(noise.next() % 200 + 1) + "."
                                   + std::to_string(noise.next() % 250 + 1),
                                 d, noise.around(share, 50)));
    }
  }
  // Background noise: one or two unknown senders a day.
  out.push_back(gen::spoofer("192.0.2." + std::to_string(100 + noise.next() % 100), d,
                             noise.around(3, 60)));
  return out;
}

std::vector<Record> example_net(Noise& noise, int day, int rep)
{
  const std::string d = "example.net";
  const int share = k_reporters[static_cast<std::size_t>(rep)].share;
  std::vector<Record> out;
  out.push_back(gen::authorized("203.0.113.10", d, noise.around(weekly(day, 6 * share), 15), "mailcow"));
  // The shop's transactional relay: from day 10 its DKIM key no longer matches the DNS,
  // and it is not in SPF, so a fifth of its mail fails DMARC.
  const int64_t relay = noise.around(weekly(day, 2 * share), 15);
  if (day < 10) {
    out.push_back(gen::authorized("198.51.100.77", d, relay, "shop"));
  } else {
    for (Record& r : gen::partly("198.51.100.77", d, relay, relay * 4 / 5, "shop")) {
      out.push_back(std::move(r));
    }
  }
  out.push_back(gen::spoofer("203.0.113." + std::to_string(100 + noise.next() % 100), d,
                             noise.around(4, 50)));
  return out;
}

gen::Scenario scenario(const std::string& domain,
                       std::function<std::vector<Record>(int, int)> records)
{
  gen::Scenario s;
  s.domain = domain;
  s.first_day = k_first_day;
  s.days = k_days;
  s.reporters.clear();
  for (const Reporter& r : k_reporters) {
    s.reporters.emplace_back(r.name);
  }
  s.records = std::move(records);
  return s;
}

gen::TlsScenario tls(const std::string& domain, std::function<gen::TlsDay(int, int)> day)
{
  gen::TlsScenario t;
  t.domain = domain;
  t.first_day = k_first_day;
  t.days = k_days;
  t.day = std::move(day);
  return t;
}

} // namespace

int main(int argc, char** argv)
{
  if (argc != 2) {
    std::fputs("usage: dmarc_demo_gen OUTPUT_DIR\n", stderr);
    return 2;
  }
  const std::string dir = argv[1];
  Noise noise(k_seed);
  int files = 0;
  files += gen::write(scenario("example.com", [&](int day, int rep) { return example_com(noise, day, rep); }), dir);
  files += gen::write(scenario("example.net", [&](int day, int rep) { return example_net(noise, day, rep); }), dir);
  files += gen::write_tls(tls("example.com", [&](int, int) {
                            gen::TlsDay t;
                            t.mx = {"mail.example.com"};
                            t.success = noise.around(400, 20);
                            return t;
                          }),
                          dir);
  files += gen::write_tls(tls("example.net", [&](int day, int) {
                            gen::TlsDay t;
                            t.mx = {"mail.example.com"};
                            t.success = noise.around(150, 20);
                            if (day >= k_days - 4) {
                              t.failures.push_back({"certificate-expired", noise.around(12, 30)});
                            }
                            return t;
                          }),
                          dir);
  std::printf("%d report files in %s\n", files, dir.c_str());
  return 0;
}
