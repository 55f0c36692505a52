// FakeDnsResolver: answers from a table, for unit tests of code that asks DNS.
#include "net/dns_resolver.hpp"

namespace dmarc::net {

void FakeDnsResolver::add(const std::string& name, DnsType type, DnsAnswer answer)
{
  m_answers[{name, type}] = std::move(answer);
}

void FakeDnsResolver::query(std::string name, DnsType type, Callback done)
{
  asked.push_back(std::string(to_string(type)) + " " + name);
  m_queue.push_back({{std::move(name), type}, std::move(done)});
}

void FakeDnsResolver::run()
{
  for (std::size_t i = 0; i < m_queue.size(); ++i) {
    auto key = m_queue[i].first;
    Callback done = std::move(m_queue[i].second);
    const auto it = m_answers.find(key);
    const DnsAnswer answer = it != m_answers.end() ? it->second : missing;
    ++m_stats.queries;
    ++m_stats.attempts;
    if (answer.status == DnsStatus::timeout) {
      ++m_stats.timeouts;
    }
    if (done) {
      done(answer); // may append to m_queue: the loop reaches those too
    }
  }
  m_queue.clear();
}

} // namespace dmarc::net
