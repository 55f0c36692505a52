// ⑤c check: everything a domain publishes for mail authentication, judged — DMARC, SPF,
// DKIM keys, MTA-STS (record and policy), TLS-RPT and the MX hosts' reverse DNS.
//
// Why restartable: check_domain() is a pure function of the answers in `Lookups`. Called
// with an incomplete table it notes the questions it met (and goes on as far as it can
// without their answers), and returns a result with `complete` false; the runner
// (src/pipeline/check.cpp) asks them all at once, for every domain, and calls it again.
// Each round of a chain (an SPF include of an include, an MX host's PTR's address) is one
// round trip for all domains together.
#pragma once

#include "check/lookups.hpp"
#include "check/problem.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dmarc::check {

struct DomainInput
{
  std::string domain;
  std::vector<std::string> selectors;       // DKIM selectors to look up
  std::vector<std::string> authorized_ips;  // ranges the SPF record must pass
};

struct DmarcCheck
{
  std::string record;            // the record that applies ("" when none)
  std::string found_at;          // the name it was found at (_dmarc.<org domain> on fallback)
  std::vector<std::pair<std::string, std::string>> tags;
  Problems problems;
};

struct SpfCheck
{
  std::string record;
  int lookups = 0;
  int void_lookups = 0;
  std::string all;               // "-all", "~all", "?all", "+all", "" (none reached)
  std::string result;            // the walk's result ("softfail", "permerror", ...)
  std::vector<std::string> authorized_ips_missed;
  Problems problems;
};

struct DkimCheck
{
  std::string selector;
  std::string record;
  std::string key_type;
  int key_bits = 0;
  bool testing = false;
  bool revoked = false;
  Problems problems;
};

struct MtaStsPolicyView
{
  std::string version;
  std::string mode;
  std::vector<std::string> mx;
  std::optional<int64_t> max_age;
};

struct MtaStsCheck
{
  std::string record;
  std::string id;
  std::optional<MtaStsPolicyView> policy;   // when fetched and parsed
  Problems problems;
};

struct TlsRptCheck
{
  std::string record;
  std::vector<std::string> rua;
  Problems problems;
};

struct MxHost
{
  std::string host;
  int preference = 0;
  std::vector<std::string> ips;
  std::vector<std::string> ptr;  // reverse names of its addresses
  bool fcrdns = false;           // every address has a PTR whose name resolves back to it
};

struct DomainCheck
{
  std::string domain;
  bool complete = true;
  DmarcCheck dmarc;
  SpfCheck spf;
  std::vector<DkimCheck> dkim;
  MtaStsCheck mta_sts;
  TlsRptCheck tlsrpt;
  std::vector<MxHost> mx;
  Problems mx_problems;

  // Every problem of every part.
  std::vector<const Problem*> all_problems() const;
  // True when some problem is an error (`check` exits 5).
  bool has_error() const;
};

// Records longer than this may not reach receivers that ask over UDP only.
constexpr std::size_t k_long_record = 2048;

DomainCheck check_domain(Lookups& lookups, const DomainInput& input);

} // namespace dmarc::check
