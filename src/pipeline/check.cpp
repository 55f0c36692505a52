#include "pipeline/check.hpp"

#include "core/log.hpp"
#include "net/https_get.hpp"

namespace dmarc::pipeline {

namespace {

// More rounds than any chain needs (10 SPF lookups deep, MX → address → PTR → address).
constexpr int k_max_rounds = 40;

net::DnsType dns_type(check::RrType type)
{
  switch (type) {
  case check::RrType::a: return net::DnsType::a;
  case check::RrType::aaaa: return net::DnsType::aaaa;
  case check::RrType::ptr: return net::DnsType::ptr;
  case check::RrType::txt: return net::DnsType::txt;
  case check::RrType::mx: return net::DnsType::mx;
  }
  return net::DnsType::txt;
}

check::Status status_of(net::DnsStatus status)
{
  switch (status) {
  case net::DnsStatus::ok: return check::Status::ok;
  case net::DnsStatus::nxdomain: return check::Status::nxdomain;
  case net::DnsStatus::nodata: return check::Status::nodata;
  case net::DnsStatus::servfail: return check::Status::servfail;
  case net::DnsStatus::refused: return check::Status::refused;
  case net::DnsStatus::timeout: return check::Status::timeout;
  case net::DnsStatus::error: return check::Status::error;
  }
  return check::Status::error;
}

check::Fetch fetch_policy(const check::FetchRequest& request, const CheckOptions& options)
{
  net::HttpsGetRequest get;
  get.host = request.host;
  get.address = request.address;
  get.port = options.https_port;
  get.path = "/.well-known/mta-sts.txt";
  get.ca_file = options.ca_file;
  get.timeout_seconds = options.https_timeout_seconds;
  auto response = net::https_get(get);
  check::Fetch f;
  if (!response) {
    f.error = response.error().detail;
    return f;
  }
  f.ok = true;
  f.status = response->status;
  f.body = std::move(response->body);
  return f;
}

} // namespace

CheckRun run_checks(const std::vector<check::DomainInput>& inputs, net::DnsResolver& resolver,
                    const CheckOptions& options)
{
  CheckRun run;
  check::Lookups lookups;
  while (true) {
    run.domains.clear();
    for (const check::DomainInput& in : inputs) {
      run.domains.push_back(check::check_domain(lookups, in));
    }
    auto questions = lookups.take_questions();
    auto fetches = lookups.take_fetches();
    if (questions.empty() && fetches.empty()) {
      break;
    }
    if (++run.rounds > k_max_rounds) {
      // Never loop forever: whatever is still open is answered as an error.
      for (const check::Question& q : questions) {
        lookups.put(q, check::Answer{check::Status::error, {}, "too many rounds of lookups"});
      }
      for (const check::FetchRequest& f : fetches) {
        lookups.put(f, check::Fetch{false, 0, "", "too many rounds of lookups"});
      }
      continue;
    }
    log::debug("check: round " + std::to_string(run.rounds) + ": " + std::to_string(questions.size())
               + " DNS questions, " + std::to_string(fetches.size()) + " policy fetches");
    for (const check::Question& q : questions) {
      resolver.query(q.name, dns_type(q.type), [&lookups, &run, q](const net::DnsAnswer& a) {
        check::Answer answer;
        answer.status = status_of(a.status);
        answer.records = a.records;
        answer.error = a.error;
        ++run.queries;
        if (answer.failed()) {
          ++run.failed;
        }
        lookups.put(q, std::move(answer));
      });
    }
    resolver.run();
    for (const check::FetchRequest& f : fetches) {
      ++run.fetches;
      lookups.put(f, fetch_policy(f, options));
    }
  }
  return run;
}

Result<CheckRun> run_checks(const std::vector<check::DomainInput>& inputs, const CheckOptions& options)
{
  auto resolver = net::DnsResolver::create(options.dns);
  if (!resolver) {
    return resolver.error();
  }
  return run_checks(inputs, **resolver, options);
}

} // namespace dmarc::pipeline
