#include "domain/alignment.hpp"

#include "core/text.hpp"

#include <libpsl.h>

#include <mutex>
#include <unordered_map>

namespace dmarc::domain {

namespace {

const psl_ctx_t* psl()
{
  // psl_latest() prefers the newest of the built-in list and Debian's publicsuffix data.
  static const psl_ctx_t* ctx = [] {
    const psl_ctx_t* latest = psl_latest(nullptr);
    return latest != nullptr ? latest : psl_builtin();
  }();
  return ctx;
}

std::string normalise(std::string_view name)
{
  name = text::trim(name);
  while (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return text::to_lower(name);
}

} // namespace

Mode mode_from(const OptString& value)
{
  return value && text::iequals(text::trim(*value), "s") ? Mode::strict : Mode::relaxed;
}

std::string organizational_domain(std::string_view name)
{
  // Reports repeat the same handful of domains; memoise the PSL lookups.
  static std::mutex mutex;
  static std::unordered_map<std::string, std::string> cache;
  std::string key = normalise(name);
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) {
    return it->second;
  }
  std::string org = key;
  if (!key.empty() && psl() != nullptr) {
    if (const char* registrable = psl_registrable_domain(psl(), key.c_str())) {
      org = registrable;
    }
  }
  if (cache.size() > 100'000) {
    cache.clear();
  }
  cache.emplace(std::move(key), org);
  return org;
}

bool aligned(std::string_view authenticated, std::string_view from, Mode mode)
{
  const std::string a = normalise(authenticated);
  const std::string f = normalise(from);
  if (a.empty() || f.empty()) {
    return false;
  }
  if (a == f) {
    return true;
  }
  return mode == Mode::relaxed && organizational_domain(a) == organizational_domain(f);
}

bool dkim_result_aligned(const DkimResult& result, std::string_view header_from, Mode mode)
{
  return result.result == "pass" && aligned(result.domain, header_from, mode);
}

bool spf_result_aligned(const SpfResult& result, std::string_view header_from, Mode mode)
{
  const bool mfrom = !result.scope || result.scope->empty() || *result.scope == "mfrom";
  return mfrom && result.result == "pass" && aligned(result.domain, header_from, mode);
}

void compute_alignment(AggregateReport& report)
{
  const Mode dkim_mode = mode_from(report.policy.adkim);
  const Mode spf_mode = mode_from(report.policy.aspf);
  for (AggregateRecord& record : report.records) {
    bool any_dkim = false;
    for (DkimResult& r : record.dkim_results) {
      r.aligned = dkim_result_aligned(r, record.header_from, dkim_mode);
      any_dkim = any_dkim || r.aligned;
    }
    bool any_spf = false;
    for (SpfResult& r : record.spf_results) {
      r.aligned = spf_result_aligned(r, record.header_from, spf_mode);
      any_spf = any_spf || r.aligned;
    }
    const bool dkim_verdict = record.dkim == "pass" || record.dkim == "fail";
    const bool spf_verdict = record.spf == "pass" || record.spf == "fail";
    record.dkim_aligned = dkim_verdict ? record.dkim == "pass" : any_dkim;
    record.spf_aligned = spf_verdict ? record.spf == "pass" : any_spf;
    record.dmarc_aligned = record.dkim_aligned || record.spf_aligned;
  }
}

} // namespace dmarc::domain
