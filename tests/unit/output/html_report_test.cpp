// The HTML report renderer on hand-made inputs: what a hostile text becomes, and the
// sections fed by later stages (`dmarcctl check` findings, failure reports) that show only
// when given. The page in a real browser is tested in tests/cli/report.
#include "output/html_report.hpp"

#include <catch2/catch.hpp>

using namespace dmarc;
using output::html_escape;

TEST_CASE("html_escape: markup, quotes, controls, bidirectional overrides, bad UTF-8")
{
  CHECK(html_escape("<a href=\"x\">'&'</a>")
        == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  CHECK(html_escape("abc\xE2\x80\xAE" "def") == "abc\\u202edef");           // RLO
  CHECK(html_escape("\xE2\x81\xA6x\xE2\x81\xA9") == "\\u2066x\\u2069");      // LRI .. PDI
  CHECK(html_escape("\xE2\x80\x8F\xD8\x9C") == "\\u200f\\u061c");           // RLM, ALM
  CHECK(html_escape("\x1b[31m\n") == "\\x1b[31m\\n");
  CHECK(html_escape("\xff") == "\\xff");
  // Right-to-left letters themselves stay (set in <bdi> by the renderer).
  CHECK(html_escape("\xD7\x93\xD7\x95\xD7\x90\xD7\xA8") == "\xD7\x93\xD7\x95\xD7\x90\xD7\xA8");
}

namespace {

output::HtmlReport one_domain()
{
  output::HtmlReport r;
  r.from_day = 19800;
  r.to_day = 19813;
  r.advice_window_days = 28;
  output::HtmlDomain d;
  d.stats.domain = "a.example";
  d.stats.from_day = r.from_day;
  d.stats.to_day = r.to_day;
  r.domains.push_back(std::move(d));
  return r;
}

} // namespace

TEST_CASE("html report: check findings and failure reports only when given, escaped")
{
  output::HtmlReport r = one_domain();
  std::string page = output::html_report(r);
  CHECK(page.find("<h3>Failure reports</h3>") == std::string::npos);
  CHECK(page.find("dmarcctl check") == std::string::npos);
  CHECK(page.find("<h2 id=\"d1-h\"><bdi>a.example</bdi></h2>") != std::string::npos);
  CHECK(page.find("No DMARC aggregate reports in this period.") != std::string::npos);
  CHECK(page.find("No SMTP TLS reports in this period.") != std::string::npos);
  CHECK(page.find("No advice for this domain.") != std::string::npos);

  r.domains[0].check_findings.push_back(
    {"error", "spf.too-many-lookups", "SPF needs 12 <DNS> lookups", "flatten include:x"});
  output::FailureReportSection f;
  f.total = 3;
  f.by_type = {{"auth-failure", 3}};
  f.newest.push_back({1711843200, "auth-failure", "mx.example", "192.0.2.1", "a.example",
                      "<script>x</script>", "dkim"});
  r.domains[0].failure_reports = f;
  page = output::html_report(r);
  CHECK(page.find("<h4>Published records (<code>dmarcctl check</code>)</h4>") != std::string::npos);
  CHECK(page.find("<td class=\"sev-error\">error</td><td><code>spf.too-many-lookups</code></td>"
                  "<td>SPF needs 12 &lt;DNS&gt; lookups</td><td>flatten include:x</td>")
        != std::string::npos);
  CHECK(page.find("<h3>Failure reports</h3><p class=\"note\">3 failure reports") != std::string::npos);
  CHECK(page.find("<td>2024-03-31 00:00:00</td><td><bdi>auth-failure</bdi></td><td><bdi>dkim</bdi>"
                  "</td><td><bdi>mx.example</bdi></td>")
        != std::string::npos);
  CHECK(page.find("<bdi>&lt;script&gt;x&lt;/script&gt;</bdi>") != std::string::npos);
  CHECK(page.find("<script>x") == std::string::npos);
}

TEST_CASE("html report: sources show their organisation once enrichment gives one")
{
  output::HtmlReport r = one_domain();
  output::HtmlDomain& d = r.domains[0];
  d.stats.reports = 1;
  d.stats.messages = 10;
  d.stats.source_count = 1;
  output::ReportSource s;
  s.stats.ip = "192.0.2.7";
  s.stats.messages = 10;
  s.stats.dmarc_pass = 10;
  s.stats.first_day = s.stats.last_day = 19813;
  s.cls = advise::SourceClass::authorized;
  d.sources.push_back(s);
  std::string page = output::html_report(r);
  CHECK(page.find("<th scope=\"col\">Organisation</th>") == std::string::npos);
  CHECK(page.find("<td><span class=\"ip\"><bdi>192.0.2.7</bdi></span></td><td title=\"\">"
                  "authorized</td>") != std::string::npos);
  d.sources[0].organisation = "Example Mail \"Inc\"";
  d.sources[0].stats.reverse_dns = "out.example.net";
  page = output::html_report(r);
  CHECK(page.find("<th scope=\"col\">Organisation</th>") != std::string::npos);
  CHECK(page.find("<td><bdi>out.example.net</bdi><br><span class=\"ip\"><bdi>192.0.2.7</bdi></span>"
                  "</td><td><bdi>Example Mail &quot;Inc&quot;</bdi></td>")
        != std::string::npos);
}
