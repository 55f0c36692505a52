// Finding: one verdict of the policy advisor as plain data, so outputs that do not know the
// advisor (the GELF encoder, `_report_type` = `advice`) can carry it. The advisor
// (src/advise) fills it; nothing here depends on how a verdict was reached.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dmarc {

struct Finding
{
  std::string domain;            // the policy domain ("example.com")
  std::string check;             // what was judged: "dmarc", "spf", "dkim", "mta-sts", ...
  std::string verdict;           // "advance", "wait", "ok", "regression", ...
  std::string message;           // one line for people: what to do and why
  std::string record;            // the DNS TXT record to publish; "" when none
  int64_t as_of = 0;             // Unix seconds the evaluation refers to
  bool warning = false;          // needs attention (a regression, a missing selector)
  // The evidence: named numbers ("pass_share" 0.987, "reporters" 3, "days" 21). Names are
  // snake_case; NaN and infinities are left out by the encoders.
  std::vector<std::pair<std::string, double>> numbers;
};

} // namespace dmarc
