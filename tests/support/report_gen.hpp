// Test support: a generator of DMARC aggregate reports (RFC 7489 App. C XML, RFC 9990
// namespace when t= is used) and SMTP TLS reports (RFC 8460 JSON) for scenarios: weeks of
// daily reports from several reporting organizations, with chosen sources, pass rates and
// published policies. End-to-end tests import what it writes and assert the advisor's
// verdicts; the import benchmark uses it for large corpora. Deterministic: no clock, no RNG.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dmarc::test::gen {

struct Dkim
{
  std::string domain;
  std::string selector;
  std::string result = "pass";
};

struct Spf
{
  std::string domain;
  std::string scope = "mfrom";
  std::string result = "pass";
};

// One <record>: `count` messages from `ip` with the same results.
struct Record
{
  std::string ip;
  int64_t count = 1;
  std::string dkim = "pass";          // policy_evaluated
  std::string spf = "pass";
  std::string disposition;            // "": none when passing, else what the policy says
  std::string header_from;            // "": the report's domain
  std::string envelope_from;          // "": header_from
  std::vector<Dkim> dkim_results;
  std::vector<Spf> spf_results;
  std::string reason;                 // policy_evaluated/reason/type, "" for none
};

// Your own server: DKIM d=domain (aligned) and SPF for domain pass.
Record authorized(const std::string& ip, const std::string& domain, int64_t count,
                  const std::string& selector = "mailcow");
// Your sender failing both (broken key, missing from SPF): DKIM fails, SPF softfails.
Record broken(const std::string& ip, const std::string& domain, int64_t count,
              const std::string& selector = "mailcow");
// `count` messages of which `passing` authorized() and the rest broken().
std::vector<Record> partly(const std::string& ip, const std::string& domain, int64_t count,
                           int64_t passing, const std::string& selector = "mailcow");
// Your sender that is missing from SPF but signs: DKIM aligned pass, SPF softfail (~all).
Record spf_failing(const std::string& ip, const std::string& domain, int64_t count,
                   const std::string& selector = "mailcow");
// A forwarder (e.g. a mailbox provider forwarding to another): aligned DKIM survives, SPF
// softfails for the domain, the reporter names the reason.
Record forwarder(const std::string& ip, const std::string& domain, int64_t count,
                 const std::string& selector = "mailcow");
// A spoofer: no DKIM, SPF softfails for the domain (~all).
Record spoofer(const std::string& ip, const std::string& domain, int64_t count);

struct Policy
{
  std::string p = "none";
  std::optional<int> pct;
  std::optional<std::string> testing;  // RFC 9990 t=: "y" | "n"
  std::optional<std::string> sp;
};

struct Report
{
  std::string org_name;
  std::string report_id;
  std::string domain;
  int64_t begin = 0;                   // Unix seconds
  int64_t end = 0;
  Policy policy;
  std::vector<Record> records;
};

// The report as XML.
std::string xml(const Report& report);

// Daily reports over `days` days from each of `reporters`.
struct Scenario
{
  std::string domain = "example.com";
  int64_t first_day = 0;               // Unix day of the first report
  int days = 21;
  std::vector<std::string> reporters = {"google.com", "Outlook.com"};
  std::function<Policy(int day)> policy = [](int) { return Policy{}; };
  std::function<std::vector<Record>(int day, int reporter)> records;
};

// Writes one report file per day and reporter into `dir` (created when missing), named
// so every file is distinct per domain. Returns the number of files written.
int write(const Scenario& scenario, const std::string& dir);

// ---- SMTP TLS reports ---------------------------------------------------------------------

struct TlsFailure
{
  std::string result_type;
  int64_t sessions = 1;
};

struct TlsDay
{
  std::string policy_type = "sts";
  std::string mode = "testing";        // sts only
  std::vector<std::string> mx = {"mail.example.com"};
  int64_t success = 100;
  std::vector<TlsFailure> failures;
};

struct TlsScenario
{
  std::string domain = "example.com";
  int64_t first_day = 0;
  int days = 21;
  std::vector<std::string> reporters = {"Google Inc.", "Microsoft Corporation"};
  std::function<TlsDay(int day, int reporter)> day = [](int, int) { return TlsDay{}; };
};

// One report as RFC 8460 JSON.
std::string tls_json(const std::string& org_name, const std::string& report_id,
                     const std::string& domain, int64_t day, const TlsDay& content);

// Writes one TLS report file per day and reporter; returns the number written.
int write_tls(const TlsScenario& scenario, const std::string& dir);

} // namespace dmarc::test::gen
