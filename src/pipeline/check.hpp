// ⑤c check, the runner: asks DNS (and HTTPS, for MTA-STS policies) what the pure checks of
// src/check need, for every domain at once, round after round, until they are complete.
//
// Why rounds: check_domain() notes the questions it cannot answer yet; one round queues all
// of them (of every domain) on the asynchronous resolver, so they are in flight together
// (bounded by [enrich] concurrency) and each waits at most timeout_ms × (retries + 1). The
// next round asks what the answers led to (an include's record, an MX host's address, its
// PTR, the PTR name's address). Policy fetches of a round run one after another (few domains
// publish MTA-STS, each is bounded by the HTTPS timeout).
#pragma once

#include "check/domain_check.hpp"
#include "core/result.hpp"
#include "net/dns_resolver.hpp"

#include <cstddef>
#include <vector>

namespace dmarc::pipeline {

struct CheckOptions
{
  net::DnsOptions dns;
  std::string ca_file;           // [check] ca_file: extra CA for MTA-STS policy hosts
  int https_timeout_seconds = 10;
  int https_port = 443;          // tests only
};

struct CheckRun
{
  std::vector<check::DomainCheck> domains;
  std::size_t queries = 0;       // DNS questions answered
  std::size_t failed = 0;        // of them: timeout, SERVFAIL, REFUSED, other errors
  std::size_t fetches = 0;
  int rounds = 0;

  // True when DNS answered nothing at all (every question failed).
  bool dns_unreachable() const { return queries > 0 && failed == queries; }
};

// Checks every domain of `inputs` through a resolver made from `options.dns`. Error
// (config): the resolver could not be created (a bad server address).
Result<CheckRun> run_checks(const std::vector<check::DomainInput>& inputs, const CheckOptions& options);

// The same over a given resolver (a fake in unit tests).
CheckRun run_checks(const std::vector<check::DomainInput>& inputs, net::DnsResolver& resolver,
                    const CheckOptions& options);

} // namespace dmarc::pipeline
