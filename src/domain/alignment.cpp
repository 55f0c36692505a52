#include "domain/alignment.hpp"

#include "core/text.hpp"

#include <libpsl.h>

#include <mutex>
#include <string>
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

// `name` trimmed, without trailing dots, in ASCII lower case, written into `out` (a buffer
// the caller reuses, so the hot path does not allocate).
void normalise_into(std::string_view name, std::string& out)
{
  name = text::trim(name);
  while (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  out.assign(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
}

std::string normalise(std::string_view name)
{
  std::string out;
  normalise_into(name, out);
  return out;
}

// Reports repeat the same handful of domains, so PSL lookups are memoised. The cache maps
// a normalised name to its organizational domain; it is emptied when it grows past
// k_cache_max entries (a hostile corpus of distinct names cannot grow it without bound).
constexpr std::size_t k_cache_max = 100'000;

std::mutex& cache_mutex()
{
  static std::mutex mutex;
  return mutex;
}

std::unordered_map<std::string, std::string>& cache()
{
  static std::unordered_map<std::string, std::string> map;
  return map;
}

// The organizational domain of the normalised `key`, from the cache or the PSL. The caller
// holds cache_mutex(); the reference stays valid until the cache is next emptied, which only
// happens at the start of trim_cache().
const std::string& org_locked(const std::string& key)
{
  auto& map = cache();
  if (auto it = map.find(key); it != map.end()) {
    return it->second;
  }
  std::string org = key;
  if (!key.empty() && psl() != nullptr) {
    if (const char* registrable = psl_registrable_domain(psl(), key.c_str())) {
      org = registrable;
    }
  }
  return map.emplace(key, std::move(org)).first->second;
}

// Empties the cache when it is full; called with the lock held, before any lookup whose
// results are compared.
void trim_cache()
{
  if (cache().size() > k_cache_max) {
    cache().clear();
  }
}

// The last label of a normalised name ("com" of "mail.example.com").
std::string_view last_label(std::string_view name)
{
  const std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

// aligned() on normalised names.
bool aligned_normalised(const std::string& a, const std::string& f, Mode mode)
{
  if (a.empty() || f.empty()) {
    return false;
  }
  if (a == f) {
    return true;
  }
  // An organizational domain is a suffix of the name, so names under different top-level
  // labels never share one: no PSL lookup needed (the common case of an ESP's d=).
  if (mode != Mode::relaxed || last_label(a) != last_label(f)) {
    return false;
  }
  std::lock_guard lock(cache_mutex());
  trim_cache();
  const std::string& org_a = org_locked(a);
  const std::string& org_f = org_locked(f); // node-based map: org_a stays valid
  return org_a == org_f;
}

} // namespace

Mode mode_from(const OptString& value)
{
  return value && text::iequals(text::trim(*value), "s") ? Mode::strict : Mode::relaxed;
}

std::string organizational_domain(std::string_view name)
{
  const std::string key = normalise(name);
  std::lock_guard lock(cache_mutex());
  trim_cache();
  return org_locked(key);
}

bool aligned(std::string_view authenticated, std::string_view from, Mode mode)
{
  thread_local std::string a;
  thread_local std::string f;
  normalise_into(authenticated, a);
  normalise_into(from, f);
  return aligned_normalised(a, f, mode);
}

void compute_alignment(AggregateReport& report)
{
  const Mode dkim_mode = mode_from(report.policy.adkim);
  const Mode spf_mode = mode_from(report.policy.aspf);
  // A DKIM result aligns when it passes with an aligned d=; an SPF result when it passes
  // with scope mfrom (or none) and an aligned domain. header_from is normalised once per
  // record and the buffers are reused across records.
  std::string from;
  std::string name;
  for (AggregateRecord& record : report.records) {
    normalise_into(record.header_from, from);
    bool any_dkim = false;
    for (DkimResult& r : record.dkim_results) {
      r.aligned = false;
      if (r.result == "pass") {
        normalise_into(r.domain, name);
        r.aligned = aligned_normalised(name, from, dkim_mode);
      }
      any_dkim = any_dkim || r.aligned;
    }
    bool any_spf = false;
    for (SpfResult& r : record.spf_results) {
      const bool mfrom = !r.scope || r.scope->empty() || *r.scope == "mfrom";
      r.aligned = false;
      if (mfrom && r.result == "pass") {
        normalise_into(r.domain, name);
        r.aligned = aligned_normalised(name, from, spf_mode);
      }
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
