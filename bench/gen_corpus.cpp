// dmarc_gen_corpus: writes a realistic, reproducible report corpus for the benchmarks.
//
// Why: the performance targets of DESIGN.md (>= 200,000 record rows/s, within 3x of a bare
// decompress + pugixml loop, memory bounded by the largest report) only mean something on
// input that looks like what a provider's report mailbox holds. Real mailboxes mix a few
// reporter styles (RFC 7489 §7.2.1.1 leaves the container and the MIME shape to the
// reporter): Google-like zip attachments without a namespace, Microsoft-like gzip with
// xsd/xsi declarations and envelope_to, RFC 9990 (urn:ietf:params:xml:ns:dmarc-2.0) plain
// XML, small MTAs with CRLF, tabs, the old dmarc.org namespace and many IPv6 sources, a
// prefixed-namespace zip, and one-line gzip. Most reports are small, a few hold thousands
// of records (up to --max-records); about one report in twenty is an RFC 8460 TLS report.
// Everything is derived from --seed, so a (seed, records) pair always gives the same bytes
// and bench/run can cache the corpus.
//
// Output under --out:
//   files/<style>/...      the reports as bare files (.zip, .xml.gz, .xml, .json.gz, .json)
//   maildir/{cur,new,tmp}  the same reports as .eml mails in a Maildir (plus Dovecot index
//                          files, which the importer must skip)
//   largest/               the report with the most records alone (for the memory figure)
//   manifest.tsv           what was written: counts, bytes, the largest report
#include "decompress/decompress.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace {

// ---- deterministic randomness -------------------------------------------------------------

// splitmix64: tiny, fast, and the same on every platform (std distributions are not).
class Rng
{
public:
  explicit Rng(uint64_t seed) : m_state(seed) {}
  uint64_t next()
  {
    uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [lo, hi].
  uint64_t range(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  bool chance(double p) { return unit() < p; }
  // Log-uniform integer in [lo, hi]: many small values, a long tail.
  uint64_t log_range(uint64_t lo, uint64_t hi)
  {
    const double l = std::log(static_cast<double>(lo));
    const double h = std::log(static_cast<double>(hi) + 1.0);
    const auto v = static_cast<uint64_t>(std::exp(l + unit() * (h - l)));
    return std::clamp<uint64_t>(v, lo, hi);
  }
  template <typename T, std::size_t N>
  const T& pick(const T (&items)[N])
  {
    return items[next() % N];
  }

private:
  uint64_t m_state;
};

// ---- reporter styles ----------------------------------------------------------------------

enum class Container { zip, gzip, plain };
enum class Namespace { none, xsd_xsi, rfc9990, dmarc_org, prefixed };
enum class MailShape { multipart_base64, whole_body_base64, multipart_qp };

struct Style
{
  const char* dir;          // files/<dir>/
  const char* org_name;
  const char* email;
  const char* mail_domain;  // of the report mail's From / Message-ID
  Container container;
  Namespace ns;
  const char* indent;       // "" writes the document on one line
  const char* newline;
  bool declaration;
  bool version;             // <version>1.0</version>
  bool envelope_to;         // Microsoft writes it
  bool envelope_from;
  bool scope;               // <scope>mfrom</scope> in SPF results
  double ipv6_share;
  double big_share;         // how often a report of this style is in the large class
  MailShape mail;
  const char* attachment_type;
  int weight;               // relative share of the reports
};

// The reporters a provider-size mailbox hears from, by share of reports.
constexpr Style k_styles[] = {
  {"google", "google.com", "noreply-dmarc-support@google.com", "google.com", Container::zip,
   Namespace::none, "  ", "\n", true, false, false, false, false, 0.10, 0.20,
   MailShape::multipart_base64, "application/zip", 30},
  {"outlook", "Outlook.com", "dmarcreport@microsoft.com", "microsoft.com", Container::gzip,
   Namespace::xsd_xsi, "  ", "\n", true, true, true, true, true, 0.10, 0.20,
   MailShape::multipart_base64, "application/gzip", 20},
  {"yahoo", "Yahoo", "dmarchelp@yahooinc.com", "yahoo.com", Container::gzip, Namespace::none,
   " ", "\n", true, false, false, false, false, 0.05, 0.12, MailShape::whole_body_base64,
   "application/gzip", 10},
  {"rfc9990", "Example Reporter", "reports@reporter.example", "reporter.example",
   Container::plain, Namespace::rfc9990, "  ", "\n", false, true, false, true, false, 0.15, 0.08,
   MailShape::multipart_qp, "application/xml", 10},
  {"smallmta", "mx.smallisp.example", "postmaster@smallisp.example", "smallisp.example",
   Container::plain, Namespace::dmarc_org, "\t", "\r\n", true, false, false, true, true, 0.40,
   0.02, MailShape::multipart_base64, "text/xml", 15},
  {"mimecast", "Mimecast", "dmarc-reports@mimecast.example", "mimecast.example", Container::zip,
   Namespace::prefixed, "    ", "\n", true, true, false, true, true, 0.05, 0.10,
   MailShape::multipart_base64, "application/x-zip-compressed", 5},
  {"mailru", "Mail.Ru", "dmarc_support@corp.mail.ru", "mail.ru", Container::gzip,
   Namespace::none, "", "", true, false, false, false, true, 0.05, 0.10,
   MailShape::multipart_base64, "application/octet-stream", 10},
};

// ---- vocabulary ---------------------------------------------------------------------------

constexpr const char* k_dkim_selectors[] = {"google", "s1", "s2", "selector1", "selector2",
                                            "mailcow", "k1", "default", "dkim", "mxroute1"};
constexpr const char* k_esp_domains[] = {"sendgrid.net", "amazonses.com", "mcsv.net",
                                         "mailgun.org", "gappssmtp.com", "mxroute.com",
                                         "outbound.protection.outlook.com", "zendesk.com"};
constexpr const char* k_spoof_domains[] = {"bad-sender.example", "spam.example.net",
                                           "phish.example.org", "localhost", ""};
constexpr const char* k_dkim_results[] = {"fail", "neutral", "temperror", "permerror", "none",
                                         "policy"};
constexpr const char* k_reasons[] = {"forwarded", "local_policy", "mailing_list",
                                     "sampled_out", "trusted_forwarder", "other"};

// The policy domains of the mailbox owner (an MSP with a few dozen customers).
std::vector<std::string> make_domains(Rng& rng)
{
  std::vector<std::string> domains;
  const char* suffixes[] = {".com", ".net", ".org", ".co.uk", ".de", ".com.au", ".example"};
  for (int i = 0; i < 40; ++i) {
    domains.push_back("customer" + std::to_string(i) + "-" + std::to_string(rng.range(10, 99))
                      + suffixes[rng.next() % std::size(suffixes)]);
  }
  return domains;
}

std::string ipv4(Rng& rng)
{
  return std::to_string(rng.range(1, 223)) + "." + std::to_string(rng.range(0, 255)) + "."
         + std::to_string(rng.range(0, 255)) + "." + std::to_string(rng.range(1, 254));
}

std::string ipv6(Rng& rng)
{
  char buffer[64];
  const char* prefixes[] = {"2a00:1450", "2607:f8b0", "2a01:111", "2001:db8", "2a02:c7f"};
  std::snprintf(buffer, sizeof buffer, "%s:%x:%x::%x", prefixes[rng.next() % 5],
                static_cast<unsigned>(rng.range(0, 0xffff)),
                static_cast<unsigned>(rng.range(0, 0xffff)),
                static_cast<unsigned>(rng.range(1, 0xffff)));
  return buffer;
}

// Messages behind one record: mostly a handful, a long tail, rarely beyond 2^31.
uint64_t message_count(Rng& rng)
{
  if (rng.chance(0.00002)) {
    return rng.range(uint64_t{1} << 31, uint64_t{1} << 33);
  }
  if (rng.chance(0.6)) {
    return rng.range(1, 3);
  }
  return rng.log_range(1, 50'000);
}

// A result word, once in a while in the upper case some reporters use.
std::string word(Rng& rng, const char* w)
{
  std::string s = w;
  if (rng.chance(0.01) && !s.empty()) {
    s[0] = static_cast<char>(s[0] - 'a' + 'A');
  }
  return s;
}

// ---- XML writer ---------------------------------------------------------------------------

class Xml
{
public:
  explicit Xml(const Style& style) : m_style(style)
  {
    m_prefix = style.ns == Namespace::prefixed ? "dmarc:" : "";
  }

  void open(const char* name, const char* attributes = "")
  {
    line_start();
    m_out += '<';
    m_out += m_prefix;
    m_out += name;
    m_out += attributes;
    m_out += '>';
    m_out += m_style.newline;
    ++m_depth;
  }
  void close(const char* name)
  {
    --m_depth;
    line_start();
    m_out += "</";
    m_out += m_prefix;
    m_out += name;
    m_out += '>';
    m_out += m_style.newline;
  }
  void leaf(const char* name, std::string_view value)
  {
    line_start();
    m_out += '<';
    m_out += m_prefix;
    m_out += name;
    m_out += '>';
    escape(value);
    m_out += "</";
    m_out += m_prefix;
    m_out += name;
    m_out += '>';
    m_out += m_style.newline;
  }
  void leaf(const char* name, uint64_t value) { leaf(name, std::to_string(value)); }
  void raw(std::string_view s) { m_out += s; }
  std::string take() { return std::move(m_out); }
  std::size_t size() const { return m_out.size(); }
  void reserve(std::size_t n) { m_out.reserve(n); }

private:
  void line_start()
  {
    for (int i = 0; i < m_depth; ++i) {
      m_out += m_style.indent;
    }
  }
  void escape(std::string_view value)
  {
    for (const char c : value) {
      switch (c) {
      case '<': m_out += "&lt;"; break;
      case '>': m_out += "&gt;"; break;
      case '&': m_out += "&amp;"; break;
      default: m_out += c; break;
      }
    }
  }

  const Style& m_style;
  std::string m_out;
  std::string m_prefix;
  int m_depth = 0;
};

struct Report
{
  const Style* style = nullptr;
  std::string domain;
  std::string report_id;
  int64_t begin = 0;
  int64_t end = 0;
  std::size_t records = 0;
  std::string xml;
};

// One DMARC record's elements, consistent with each other: the policy_evaluated verdicts
// follow from the auth results and alignment, the disposition from the policy.
// The sending IPs of one policy domain: its own servers and ESP pools, which every
// reporter sees again day after day (so the per-source rollups have repeats, as in real
// data); spoofers and unknown sources come from anywhere.
struct SourcePool
{
  std::vector<std::string> v4;
  std::vector<std::string> v6;
};

const std::string& pooled_ip(Rng& rng, const SourcePool& pool, bool v6)
{
  const std::vector<std::string>& ips = v6 ? pool.v6 : pool.v4;
  return ips[rng.next() % ips.size()];
}

void write_record(Xml& x, Rng& rng, const Style& style, const std::string& domain,
                  const std::string& p, const SourcePool& pool)
{
  const bool ipv6_source = rng.chance(style.ipv6_share);
  const std::string ip = rng.chance(0.75) ? pooled_ip(rng, pool, ipv6_source)
                                          : (ipv6_source ? ipv6(rng) : ipv4(rng));
  // Who sent it: the domain's own servers, an ESP signing for it, a forwarder, a spoofer.
  const double who = rng.unit();
  const bool own = who < 0.55;
  const bool esp = !own && who < 0.80;
  const bool forwarder = !own && !esp && who < 0.90;
  const std::string header_from =
    rng.chance(0.85) ? domain : std::string(rng.chance(0.5) ? "mail." : "news.") + domain;

  struct Dkim
  {
    std::string domain, selector, result;
  };
  std::vector<Dkim> dkims;
  const auto dkim_count = own || esp ? rng.range(1, 2) : rng.range(0, 1);
  for (uint64_t i = 0; i < dkim_count; ++i) {
    Dkim d;
    if (i == 0 && (own || forwarder || esp)) {
      d.domain = own || forwarder ? domain : (rng.chance(0.6) ? domain : rng.pick(k_esp_domains));
      d.result = rng.chance(own ? 0.97 : 0.85) ? "pass" : rng.pick(k_dkim_results);
    } else {
      d.domain = rng.chance(0.5) ? rng.pick(k_esp_domains) : rng.pick(k_spoof_domains);
      d.result = rng.chance(0.5) ? "pass" : "fail";
    }
    d.selector = rng.pick(k_dkim_selectors);
    dkims.push_back(std::move(d));
  }
  std::string spf_domain;
  std::string spf_result;
  if (own) {
    spf_domain = rng.chance(0.9) ? header_from : domain;
    spf_result = rng.chance(0.96) ? "pass" : "softfail";
  } else if (esp) {
    spf_domain = std::string("bounces.") + rng.pick(k_esp_domains);
    spf_result = rng.chance(0.9) ? "pass" : "fail";
  } else if (forwarder) {
    spf_domain = domain;
    spf_result = rng.chance(0.7) ? "fail" : "softfail";
  } else {
    spf_domain = rng.pick(k_spoof_domains);
    const char* results[] = {"fail", "softfail", "none", "neutral", "permerror", "temperror"};
    spf_result = rng.pick(results);
  }
  bool dkim_aligned = false;
  for (const Dkim& d : dkims) {
    const bool same_org = d.domain == domain || d.domain == header_from;
    dkim_aligned = dkim_aligned || (d.result == "pass" && same_org);
  }
  const bool spf_aligned =
    spf_result == "pass" && (spf_domain == header_from || spf_domain == domain);
  const bool pass = dkim_aligned || spf_aligned;
  std::string disposition = pass ? "none" : p;
  const bool overridden = !pass && p != "none" && rng.chance(forwarder ? 0.5 : 0.05);
  if (overridden) {
    disposition = "none";
  }

  x.open("record");
  x.open("row");
  x.leaf("source_ip", ip);
  x.leaf("count", message_count(rng));
  x.open("policy_evaluated");
  x.leaf("disposition", word(rng, disposition.c_str()));
  x.leaf("dkim", word(rng, dkim_aligned ? "pass" : "fail"));
  x.leaf("spf", word(rng, spf_aligned ? "pass" : "fail"));
  if (overridden) {
    x.open("reason");
    x.leaf("type", forwarder ? "forwarded" : rng.pick(k_reasons));
    if (rng.chance(0.5)) {
      x.leaf("comment", "arc=pass as.1.google.com=pass");
    }
    x.close("reason");
  }
  x.close("policy_evaluated");
  x.close("row");
  x.open("identifiers");
  if (style.envelope_to) {
    x.leaf("envelope_to", rng.chance(0.7) ? "hotmail.com" : "outlook.com");
  }
  if (style.envelope_from && !spf_domain.empty()) {
    x.leaf("envelope_from", spf_domain);
  }
  x.leaf("header_from", header_from);
  x.close("identifiers");
  x.open("auth_results");
  for (const Dkim& d : dkims) {
    x.open("dkim");
    x.leaf("domain", d.domain);
    if (!rng.chance(0.05)) {
      x.leaf("selector", d.selector);
    }
    x.leaf("result", word(rng, d.result.c_str()));
    if (d.result != "pass" && rng.chance(0.2)) {
      x.leaf("human_result", "signature verification failed");
    }
    x.close("dkim");
  }
  if (!own && rng.chance(0.1)) {
    x.open("spf"); // a HELO result beside the MAIL FROM one
    x.leaf("domain", "mail." + (spf_domain.empty() ? std::string("unknown.example") : spf_domain));
    x.leaf("scope", "helo");
    x.leaf("result", "pass");
    x.close("spf");
  }
  x.open("spf");
  x.leaf("domain", spf_domain);
  if (style.scope) {
    x.leaf("scope", "mfrom");
  }
  x.leaf("result", word(rng, spf_result.c_str()));
  x.close("spf");
  x.close("auth_results");
  x.close("record");
}

Report make_report(Rng& rng, const Style& style, const std::vector<std::string>& domains,
                   const std::vector<SourcePool>& pools, std::size_t records, int64_t day,
                   uint64_t serial)
{
  Report r;
  r.style = &style;
  const std::size_t domain_index = rng.next() % domains.size();
  r.domain = domains[domain_index];
  r.begin = day * 86400;
  r.end = r.begin + 86399;
  r.records = records;
  char id[64];
  std::snprintf(id, sizeof id, "%016" PRIx64 "%08" PRIx64, rng.next(), serial);
  r.report_id = id;
  const char* policies[] = {"none", "none", "quarantine", "reject"};
  const std::string p = rng.pick(policies);

  Xml x(style);
  x.reserve(700 * records + 1024);
  if (style.declaration) {
    x.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    x.raw(style.newline[0] != '\0' ? style.newline : "");
  }
  switch (style.ns) {
  case Namespace::none: x.open("feedback"); break;
  case Namespace::xsd_xsi:
    x.open("feedback", " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
                       " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"");
    break;
  case Namespace::rfc9990: x.open("feedback", " xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\""); break;
  case Namespace::dmarc_org: x.open("feedback", " xmlns=\"http://dmarc.org/dmarc-xml/0.1\""); break;
  case Namespace::prefixed:
    x.open("feedback", " xmlns:dmarc=\"urn:ietf:params:xml:ns:dmarc-2.0\"");
    break;
  }
  if (style.version) {
    x.leaf("version", style.ns == Namespace::rfc9990 ? "2.0" : "1.0");
  }
  x.open("report_metadata");
  x.leaf("org_name", style.org_name);
  x.leaf("email", style.email);
  if (style.ns == Namespace::rfc9990) {
    x.leaf("extra_contact_info", "https://reporter.example/dmarc");
  }
  x.leaf("report_id", r.report_id);
  x.open("date_range");
  x.leaf("begin", static_cast<uint64_t>(r.begin));
  x.leaf("end", static_cast<uint64_t>(r.end));
  x.close("date_range");
  if (style.ns == Namespace::rfc9990) {
    x.leaf("generator", "Example DMARC Aggregate Reporter v1.2");
  }
  x.close("report_metadata");
  x.open("policy_published");
  x.leaf("domain", r.domain);
  x.leaf("adkim", rng.chance(0.9) ? "r" : "s");
  x.leaf("aspf", rng.chance(0.9) ? "r" : "s");
  x.leaf("p", p);
  x.leaf("sp", p);
  if (style.ns == Namespace::rfc9990) {
    x.leaf("np", "reject");
    x.leaf("testing", "n");
    x.leaf("discovery_method", "treewalk");
  } else {
    x.leaf("pct", "100");
    if (style.envelope_to || rng.chance(0.3)) {
      x.leaf("fo", "0");
    }
  }
  x.close("policy_published");
  for (std::size_t i = 0; i < records; ++i) {
    write_record(x, rng, style, r.domain, p, pools[domain_index]);
  }
  x.close("feedback");
  r.xml = x.take();
  return r;
}

// An RFC 8460 report: one or two policies, a few failure details.
std::string make_tls_report(Rng& rng, const std::string& domain, int64_t day, uint64_t serial,
                            bool google)
{
  auto date = [](int64_t unix_day, const char* time) {
    const int64_t days = unix_day;
    // civil_from_days (Howard Hinnant), for "YYYY-MM-DD".
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02uT%s", static_cast<long long>(y + (m <= 2)),
                  m, d, time);
    return std::string(buffer);
  };
  std::string j = "{\"organization-name\":\"";
  j += google ? "Google Inc." : "Microsoft Corporation";
  j += "\",\"date-range\":{\"start-datetime\":\"" + date(day, "00:00:00Z")
       + "\",\"end-datetime\":\"" + date(day, "23:59:59Z") + "\"},";
  j += "\"contact-info\":\"";
  j += google ? "smtp-tls-reporting@google.com" : "tlsrpt-noreply@microsoft.com";
  char id[64];
  std::snprintf(id, sizeof id, "%" PRIu64 "-%016" PRIx64, serial, rng.next());
  j += "\",\"report-id\":\"" + std::string(id) + "\",\"policies\":[";
  const bool sts = rng.chance(0.6);
  j += "{\"policy\":{\"policy-type\":\"";
  j += sts ? "sts" : "no-policy-found";
  j += "\",";
  if (sts) {
    j += "\"policy-string\":[\"version: STSv1\",\"mode: testing\",\"mx: mail." + domain
         + "\",\"max_age: 604800\"],";
  }
  j += "\"policy-domain\":\"" + domain + "\"";
  if (sts) {
    j += ",\"mx-host\":[\"mail." + domain + "\"]";
  }
  const uint64_t failures = rng.chance(0.7) ? 0 : rng.range(1, 20);
  j += "},\"summary\":{\"total-successful-session-count\":" + std::to_string(rng.range(1, 50000))
       + ",\"total-failure-session-count\":" + std::to_string(failures) + "}";
  if (failures > 0) {
    j += ",\"failure-details\":[{\"result-type\":\"certificate-expired\",\"sending-mta-ip\":\""
         + ipv4(rng) + "\",\"receiving-mx-hostname\":\"mail." + domain
         + "\",\"receiving-ip\":\"" + ipv4(rng) + "\",\"failed-session-count\":"
         + std::to_string(failures) + "}]";
  }
  j += "}]}";
  return j;
}

// ---- mail writer --------------------------------------------------------------------------

std::string base64(std::string_view in)
{
  static const char* k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve(in.size() * 4 / 3 + in.size() / 54 + 8);
  std::size_t line = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, in.size() - i);
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (n > 1) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (n > 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += n > 1 ? k_alphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? k_alphabet[v & 63] : '=';
    if ((line += 4) == 76) {
      out += '\n';
      line = 0;
    }
  }
  if (line != 0) {
    out += '\n';
  }
  return out;
}

// Quoted-printable (RFC 2045 §6.7) with soft line breaks at 76 columns.
std::string quoted_printable(std::string_view in)
{
  std::string out;
  out.reserve(in.size() + in.size() / 16);
  std::size_t column = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '\n') {
      out += '\n';
      column = 0;
      continue;
    }
    char encoded[4] = {static_cast<char>(c), 0, 0, 0};
    std::size_t width = 1;
    if (c == '=' || c > 126 || (c < 32 && c != '\t') || (c == ' ' && i + 1 < in.size() && in[i + 1] == '\n')) {
      std::snprintf(encoded, sizeof encoded, "=%02X", c);
      width = 3;
    }
    if (column + width > 75) {
      out += "=\n";
      column = 0;
    }
    out.append(encoded, width);
    column += width;
  }
  return out;
}

std::string rfc5322_date(int64_t unix_seconds)
{
  static const char* k_days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static const char* k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int64_t days = unix_seconds / 86400;
  const int64_t secs = unix_seconds % 86400;
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%s, %u %s %lld %02lld:%02lld:%02lld +0000",
                k_days[days % 7], d, k_months[m - 1], static_cast<long long>(y + (m <= 2)),
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buffer;
}

struct MailParts
{
  std::string from;
  std::string subject;
  std::string message_id;
  std::string content_type;
  std::string filename;
  std::string payload;      // the attachment bytes (before transfer encoding)
  MailShape shape;
  int64_t date;
};

// A report mail as a provider's MX hands it to Dovecot: trace and authentication headers,
// then the report in the MIME shape the reporter uses.
std::string make_mail(Rng& rng, const MailParts& m)
{
  std::string mail;
  mail.reserve(m.payload.size() * 4 / 3 + 4096);
  const std::string date = rfc5322_date(m.date);
  mail += "Return-Path: <" + m.from + ">\n";
  mail += "Delivered-To: dmarc-reports@msp.example\n";
  mail += "Received: from mail-out.reporter.example (mail-out.reporter.example [" + ipv4(rng)
          + "])\n\tby mx.msp.example (Postfix) with ESMTPS id 4T" + std::to_string(rng.next() % 100000000)
          + "\n\tfor <dmarc-reports@msp.example>; " + date + "\n";
  mail += "Authentication-Results: mx.msp.example; dkim=pass header.d=reporter.example;\n"
          "\tspf=pass smtp.mailfrom=" + m.from + "; dmarc=pass\n";
  mail += "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=reporter.example; s=20230601;\n"
          "\th=to:from:subject:message-id:date:mime-version; bh=2kbhf54mtX06OiZR0UJXeBrUva5J8cL9m64HSgIK/ZE=;\n"
          "\tb=Cs/zp0dPa8Zb3WMk43VziKHVlqbSVZF4Gq8tBYkuxL33uEc3AqljrKSVZ5E0C446LBrUhzyyuS2eLhBCvQuO77yLh\n"
          "\t4TcG5jwQMoriYmo9wZ7JLIqwE2QBkkiSPCk1ct58Qb2VQydO2tg9bjWGHQoZy/O6BsC/VthxvX9N1MdpIFxyIWJgEm==\n";
  mail += "Date: " + date + "\n";
  mail += "Message-ID: <" + m.message_id + ">\n";
  mail += "Subject: " + m.subject + "\n";
  mail += "From: " + m.from + "\n";
  mail += "To: dmarc-reports@msp.example\n";
  mail += "MIME-Version: 1.0\n";
  if (m.shape == MailShape::whole_body_base64) {
    mail += "Content-Type: " + m.content_type + "; name=\"" + m.filename + "\"\n";
    mail += "Content-Disposition: attachment; filename=\"" + m.filename + "\"\n";
    mail += "Content-Transfer-Encoding: base64\n\n";
    mail += base64(m.payload);
    return mail;
  }
  char boundary[48];
  std::snprintf(boundary, sizeof boundary, "00000000000%016" PRIx64, rng.next());
  mail += "Content-Type: multipart/mixed; boundary=\"" + std::string(boundary) + "\"\n\n";
  mail += "--" + std::string(boundary) + "\n";
  mail += "Content-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: 7bit\n\n";
  mail += "This is an aggregate report from " + m.from + ".\n\n";
  mail += "--" + std::string(boundary) + "\n";
  mail += "Content-Type: " + m.content_type + "; name=\"" + m.filename + "\"\n";
  mail += "Content-Disposition: attachment; filename=\"" + m.filename + "\"\n";
  if (m.shape == MailShape::multipart_qp) {
    mail += "Content-Transfer-Encoding: quoted-printable\n\n";
    mail += quoted_printable(m.payload);
    mail += "\n";
  } else {
    mail += "Content-Transfer-Encoding: base64\n\n";
    mail += base64(m.payload);
  }
  mail += "--" + std::string(boundary) + "--\n";
  return mail;
}

// ---- output -------------------------------------------------------------------------------

void write_file(const fs::path& path, std::string_view bytes)
{
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "dmarc_gen_corpus: cannot write %s\n", path.c_str());
    std::exit(1);
  }
}

struct Options
{
  fs::path out;
  uint64_t records = 250'000;
  uint64_t seed = 1;
  uint64_t max_records = 5'000;
  double tls_share = 0.05;
};

void usage()
{
  std::fprintf(stderr,
               "usage: dmarc_gen_corpus --out DIR [--records N] [--seed S] [--max-records M]\n"
               "                        [--tls-share F]\n"
               "Writes DIR/files, DIR/maildir, DIR/largest and DIR/manifest.tsv: DMARC aggregate\n"
               "reports with N records in total (each report 1..M records) and about F TLS\n"
               "reports per DMARC report, in several reporter styles, derived from seed S.\n"
               "Example: dmarc_gen_corpus --out /tmp/corpus --records 250000 --seed 1\n");
}

} // namespace

int main(int argc, char** argv)
{
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--out") {
      o.out = value();
    } else if (a == "--records") {
      o.records = std::strtoull(value(), nullptr, 10);
    } else if (a == "--seed") {
      o.seed = std::strtoull(value(), nullptr, 10);
    } else if (a == "--max-records") {
      o.max_records = std::strtoull(value(), nullptr, 10);
    } else if (a == "--tls-share") {
      o.tls_share = std::strtod(value(), nullptr);
    } else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      usage();
      return 2;
    }
  }
  if (o.out.empty() || o.records == 0 || o.max_records == 0) {
    usage();
    return 2;
  }

  Rng rng(o.seed);
  const std::vector<std::string> domains = make_domains(rng);
  std::vector<SourcePool> pools(domains.size());
  for (SourcePool& pool : pools) {
    for (int i = 0; i < 3000; ++i) {
      pool.v4.push_back(ipv4(rng));
    }
    for (int i = 0; i < 600; ++i) {
      pool.v6.push_back(ipv6(rng));
    }
  }
  fs::create_directories(o.out / "files");
  for (const char* sub : {"cur", "new", "tmp"}) {
    fs::create_directories(o.out / "maildir" / sub);
  }
  fs::create_directories(o.out / "largest");
  write_file(o.out / "maildir" / "dovecot-uidlist", "3 V1700000000 N1 G0\n");
  write_file(o.out / "maildir" / "dovecot.index.log", std::string(64, '\0'));

  int total_weight = 0;
  for (const Style& s : k_styles) {
    total_weight += s.weight;
  }

  uint64_t written = 0;
  uint64_t reports = 0;
  uint64_t tls_reports = 0;
  uint64_t file_bytes = 0;
  uint64_t mail_bytes = 0;
  uint64_t document_bytes = 0;
  std::size_t largest_records = 0;
  std::size_t largest_document = 0;
  fs::path largest_file;
  bool made_max = false;
  const int64_t first_day = 19'700; // 2023-12-09
  std::vector<uint64_t> per_style(std::size(k_styles), 0);

  while (written < o.records) {
    // The reporter: weighted pick.
    int w = static_cast<int>(rng.next() % static_cast<uint64_t>(total_weight));
    std::size_t si = 0;
    while (w >= k_styles[si].weight) {
      w -= k_styles[si].weight;
      ++si;
    }
    const Style& style = k_styles[si];
    // Records: most reports are small; the large class goes up to max_records. The first
    // large report is exactly max_records, so the largest report is known.
    std::size_t n;
    const double cls = rng.unit();
    if (cls < style.big_share) {
      n = !made_max ? o.max_records : rng.log_range(std::min<uint64_t>(500, o.max_records), o.max_records);
      made_max = true;
    } else if (cls < style.big_share + 0.30) {
      n = rng.log_range(std::min<uint64_t>(10, o.max_records), std::min<uint64_t>(500, o.max_records));
    } else {
      n = rng.range(1, std::min<uint64_t>(10, o.max_records));
    }
    n = static_cast<std::size_t>(std::min<uint64_t>(n, o.records - written));
    const int64_t day = first_day + static_cast<int64_t>(reports % 60);
    ++reports;
    Report r = make_report(rng, style, domains, pools, n, day, reports);
    written += n;
    ++per_style[si];
    document_bytes += r.xml.size();

    // The bare file and the mail attachment.
    const std::string base = std::string(style.org_name[0] == 'O' ? "enterprise.protection.outlook.com"
                                                                  : style.mail_domain)
                             + "!" + r.domain + "!" + std::to_string(r.begin) + "!"
                             + std::to_string(r.end) + "!" + r.report_id.substr(16);
    std::string payload;
    std::string filename;
    switch (style.container) {
    case Container::zip:
      filename = base + ".zip";
      payload = dmarc::decompress::zip_archive({{base + ".xml", r.xml}});
      break;
    case Container::gzip:
      filename = base + ".xml.gz";
      payload = dmarc::decompress::gzip(r.xml);
      break;
    case Container::plain:
      filename = base + ".xml";
      payload = r.xml;
      break;
    }
    if (payload.empty()) {
      std::fprintf(stderr, "dmarc_gen_corpus: compression failed\n");
      return 1;
    }
    const fs::path dir = o.out / "files" / style.dir;
    fs::create_directories(dir);
    write_file(dir / filename, payload);
    file_bytes += payload.size();
    if (n > largest_records) {
      largest_records = n;
      largest_document = r.xml.size();
      largest_file = dir / filename;
    }

    MailParts m{style.email,
                "Report Domain: " + r.domain + " Submitter: " + style.org_name
                  + " Report-ID: <" + r.report_id + ">",
                r.report_id + "@" + style.mail_domain,
                style.attachment_type,
                filename,
                std::move(payload),
                style.mail,
                r.end + 3600};
    const std::string mail = make_mail(rng, m);
    char name[128];
    std::snprintf(name, sizeof name, "%lld.M%06lluP%llu.bench,S=%zu,W=%zu:2,S",
                  static_cast<long long>(m.date), static_cast<unsigned long long>(reports % 1000000),
                  static_cast<unsigned long long>(reports), mail.size(), mail.size());
    const bool fresh = rng.chance(0.2);
    write_file(o.out / "maildir" / (fresh ? "new" : "cur") / name, mail);
    mail_bytes += mail.size();

    // TLS reports ride along at their share of the reports.
    if (rng.chance(o.tls_share)) {
      ++tls_reports;
      const bool google = rng.chance(0.6);
      const std::string json = make_tls_report(rng, r.domain, day, reports, google);
      document_bytes += json.size();
      const std::string tls_name = std::string(google ? "google.com" : "microsoft.com") + "!"
                                   + r.domain + "!" + std::to_string(r.begin) + "!"
                                   + std::to_string(reports) + ".json";
      const bool gz = google || rng.chance(0.5);
      const std::string tls_payload = gz ? dmarc::decompress::gzip(json) : json;
      fs::create_directories(o.out / "files" / "tlsrpt");
      write_file(o.out / "files" / "tlsrpt" / (tls_name + (gz ? ".gz" : "")), tls_payload);
      file_bytes += tls_payload.size();
      MailParts t{google ? "noreply-smtp-tls-reporting@google.com" : "tlsrpt-noreply@microsoft.com",
                  "Report Domain: " + r.domain + " Submitter: "
                    + (google ? "google.com" : "microsoft.com") + " Report-ID: <"
                    + std::to_string(reports) + ">",
                  "tls." + std::to_string(reports) + (google ? "@google.com" : "@microsoft.com"),
                  gz ? "application/tlsrpt+gzip" : "application/tlsrpt+json",
                  tls_name + (gz ? ".gz" : ""),
                  tls_payload,
                  MailShape::multipart_base64,
                  r.end + 7200};
      const std::string tls_mail = make_mail(rng, t);
      std::snprintf(name, sizeof name, "%lld.T%06lluP%llu.bench,S=%zu:2,S",
                    static_cast<long long>(t.date), static_cast<unsigned long long>(reports % 1000000),
                    static_cast<unsigned long long>(reports), tls_mail.size());
      write_file(o.out / "maildir" / "cur" / name, tls_mail);
      mail_bytes += tls_mail.size();
    }
  }
  if (!largest_file.empty()) {
    fs::copy_file(largest_file, o.out / "largest" / largest_file.filename(),
                  fs::copy_options::overwrite_existing);
  }

  std::ofstream manifest(o.out / "manifest.tsv", std::ios::trunc);
  manifest << "seed\t" << o.seed << "\n"
           << "records\t" << written << "\n"
           << "dmarc_reports\t" << reports << "\n"
           << "tls_reports\t" << tls_reports << "\n"
           << "file_bytes\t" << file_bytes << "\n"
           << "mail_bytes\t" << mail_bytes << "\n"
           << "document_bytes\t" << document_bytes << "\n"
           << "largest_records\t" << largest_records << "\n"
           << "largest_document_bytes\t" << largest_document << "\n"
           << "largest_file\t" << largest_file.filename().string() << "\n";
  for (std::size_t i = 0; i < std::size(k_styles); ++i) {
    manifest << "style_" << k_styles[i].dir << "\t" << per_style[i] << "\n";
  }
  std::printf("%s: %llu records in %llu DMARC and %llu TLS reports, %.1f MB of documents,"
              " %.1f MB as files, %.1f MB as mails\n",
              o.out.c_str(), static_cast<unsigned long long>(written),
              static_cast<unsigned long long>(reports), static_cast<unsigned long long>(tls_reports),
              static_cast<double>(document_bytes) / 1e6, static_cast<double>(file_bytes) / 1e6,
              static_cast<double>(mail_bytes) / 1e6);
  return 0;
}
