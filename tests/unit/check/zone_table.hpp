// A table of DNS answers standing in for the resolver: every question the checks ask is
// answered from `records` (name+type → records), NXDOMAIN when the name has nothing at all,
// NODATA when it has other types, and `failures` for names that time out. Answers are put
// in round by round, as the real runner does, so the rounds can be counted.
#pragma once

#include "check/lookups.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace test_zone {

using dmarc::check::Answer;
using dmarc::check::Lookups;
using dmarc::check::RrType;
using dmarc::check::Status;

struct Zone
{
  std::map<std::pair<std::string, RrType>, std::vector<std::string>> records;
  std::set<std::string> timeouts;
  std::set<std::pair<std::string, RrType>> asked;

  Zone& add(const std::string& name, RrType type, std::vector<std::string> r)
  {
    auto& v = records[{name, type}];
    v.insert(v.end(), r.begin(), r.end());
    return *this;
  }
  Zone& txt(const std::string& name, std::string r) { return add(name, RrType::txt, {std::move(r)}); }
  Zone& a(const std::string& name, std::string ip) { return add(name, RrType::a, {std::move(ip)}); }

  Answer answer(const std::string& name, RrType type) const
  {
    Answer a;
    if (timeouts.count(name) != 0) {
      a.status = Status::timeout;
      a.error = "timeout";
      return a;
    }
    const auto it = records.find({name, type});
    if (it != records.end()) {
      a.records = it->second;
      return a;
    }
    bool any = false;
    for (const auto& [key, value] : records) {
      any = any || key.first == name;
    }
    a.status = any ? Status::nodata : Status::nxdomain;
    return a;
  }

  // Answers what `lookups` needs, one round at a time; returns how many rounds it took.
  template <typename Run>
  int resolve(Lookups& lookups, Run run)
  {
    int rounds = 0;
    while (true) {
      run();
      const auto questions = lookups.take_questions();
      if (questions.empty()) {
        return rounds;
      }
      ++rounds;
      for (const auto& q : questions) {
        asked.insert({q.name, q.type});
        lookups.put(q, answer(q.name, q.type));
      }
    }
  }
};

} // namespace test_zone
