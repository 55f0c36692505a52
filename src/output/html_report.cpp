#include "output/html_report.hpp"

#include "output/advice_text.hpp"

#include "core/text.hpp"
#include "output/text_layout.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

namespace dmarc::output {

namespace {

using advise::Check;
using advise::SourceClass;
using advise::Verdict;

// Charts: one slot per day, 10 units wide, 1000 units high; the SVG stretches to its box
// (preserveAspectRatio none) and the axis labels are HTML beside it, so text never scales.
constexpr int k_slot = 10;
constexpr int k_height = 1000;
// A reporter without a report in this many days before the end of the window is "silent".
constexpr int64_t k_silent_days = 3;
// Rows of the source tables, selector charts (the rest is in `summary` / `export`).
constexpr std::size_t k_selector_charts = 2;
constexpr std::size_t k_selector_rows = 25;

const char* const k_css = R"CSS(
:root{color-scheme:light dark;--bg:#fff;--fg:#1a1a1a;--muted:#5f6368;--line:#d0d4d9;--card:#f6f7f9;
--pass:#1b5e20;--fauth:#e53935;--ffwd:#f9a825;--funk:#9aa5b1;--share:#0d47a1;--ok:#1b5e20;
--warn:#8a5a00;--bad:#b71c1c;--none:rgba(120,130,140,.10);--quar:rgba(249,168,37,.18);--rej:rgba(229,57,53,.14)}
@media (prefers-color-scheme:dark){:root{--bg:#121416;--fg:#e8eaed;--muted:#a0a6ad;--line:#3c4043;--card:#1d2023;
--pass:#66bb6a;--fauth:#ff6f6b;--ffwd:#ffd54f;--funk:#6d7680;--share:#90caf9;--ok:#81c784;--warn:#ffcc66;--bad:#ff8a80;
--none:rgba(160,170,180,.10);--quar:rgba(255,213,79,.14);--rej:rgba(255,111,107,.14)}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1200px;padding:1rem;background:var(--bg);color:var(--fg);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.35rem;margin:0 0 .3rem;overflow-wrap:anywhere}
h3{font-size:1.1rem;margin:1.6rem 0 .4rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
h4{font-size:1rem;margin:0 0 .3rem}
.meta,.note,figcaption,.legend,.xaxis{color:var(--muted)}
section.domain{border-top:3px solid var(--line);margin-top:2rem;padding-top:1rem}
.wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.9rem;margin:.3rem 0 .8rem}
th,td{padding:.25rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th button{font:inherit;font-weight:bold;color:inherit;background:none;border:0;padding:0;cursor:pointer}
th[aria-sort=ascending] button::after{content:" \25B2"}th[aria-sort=descending] button::after{content:" \25BC"}
.ip{color:var(--muted);font-size:.85em;font-family:ui-monospace,monospace}
dl.totals{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr));gap:.5rem;margin:.6rem 0}
dl.totals div{background:var(--card);border-radius:6px;padding:.4rem .6rem}
dl.totals dt{font-size:.8rem;color:var(--muted)}dl.totals dd{margin:0;font-size:1.15rem;font-weight:600}
.verdict{background:var(--card);border-left:5px solid var(--line);border-radius:4px;padding:.6rem .8rem;margin:.5rem 0}
.v-advance,.v-done{border-left-color:var(--ok)}.v-hold,.v-wait{border-left-color:var(--warn)}.v-regression{border-left-color:var(--bad)}
.badge{display:inline-block;font-size:.75rem;letter-spacing:.05em;text-transform:uppercase;border:1px solid currentColor;
border-radius:3px;padding:0 .35rem;margin:0 .3rem;vertical-align:middle}
.v-advance .badge,.v-done .badge{color:var(--ok)}.v-hold .badge,.v-wait .badge{color:var(--warn)}.v-regression .badge{color:var(--bad)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--bg);border:1px solid var(--line);padding:.4rem;margin:.3rem 0}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem}
figure.chart{margin:.5rem 0 1rem}
.plot{position:relative;height:13rem;margin:.8rem 3rem 0 3.5rem;border-left:1px solid var(--line);border-bottom:1px solid var(--line)}
.plot svg{display:block;width:100%;height:100%}
.ax{position:absolute;font-size:.75rem;color:var(--muted);white-space:nowrap}
.ymax{right:100%;top:-.5em;padding-right:.3rem}.y0{right:100%;bottom:-.5em;padding-right:.3rem}
.rmax{left:100%;top:-.5em;padding-left:.3rem}.r0{left:100%;bottom:-.5em;padding-left:.3rem}
.xaxis{display:flex;justify-content:space-between;margin:0 3rem 0 3.5rem;font-size:.75rem}
.legend{list-style:none;padding:0;margin:.3rem 0;font-size:.85rem;display:flex;flex-wrap:wrap;gap:.2rem 1rem}
.sw{display:inline-block;width:.9em;height:.9em;vertical-align:-.1em;margin-right:.3em;border:1px solid var(--muted)}
.s-pass{fill:var(--pass);background:var(--pass)}.s-fauth{fill:var(--fauth);background:var(--fauth)}
.s-ffwd{fill:url(#stripes);background:repeating-linear-gradient(135deg,var(--ffwd) 0 3px,var(--bg) 3px 5px)}
.s-funk{fill:var(--funk);background:var(--funk)}.s-zero{fill:var(--muted)}
.sw.l-share{background:none;border:0;border-top:3px dashed var(--share);height:0;width:1.4em}
.sw.b-none{background:var(--none)}.sw.b-quarantine{background:var(--quar)}.sw.b-reject{background:var(--rej)}
.b-none{fill:var(--none)}.b-quarantine{fill:var(--quar)}.b-reject{fill:var(--rej)}
.grid{stroke:var(--line);stroke-width:1;vector-effect:non-scaling-stroke;fill:none}
.share{stroke:var(--share);stroke-width:2.5;stroke-dasharray:6 3;stroke-linecap:round;stroke-linejoin:round;fill:none;vector-effect:non-scaling-stroke}
.mark rect{width:8px}.mark:hover rect{opacity:.75}
details{margin:.3rem 0 1rem}summary{cursor:pointer;color:var(--muted)}
.sev-error{color:var(--bad);font-weight:600}.sev-warning{color:var(--warn);font-weight:600}
nav table{width:100%}
footer{margin-top:3rem;color:var(--muted);font-size:.8rem}
@media (max-width:600px){body{padding:.6rem;font-size:14px}.plot{margin:.8rem 2.4rem 0 2.6rem;height:10rem}
.xaxis{margin:0 2.4rem 0 2.6rem}dl.totals{grid-template-columns:repeat(2,1fr)}}
@media print{@page{size:A4;margin:12mm}body{max-width:none;font-size:10pt;background:#fff;color:#000}
section.domain{break-before:page}figure,table,.verdict{break-inside:avoid}th button{pointer-events:none}
details>summary{display:none}details>*{display:block}}
)CSS";

// Sorting for tables with class "sortable": a button per column header; numbers sort by
// their data-value. Without JavaScript the tables are complete, in their default order.
const char* const k_script = R"JS(
(function(){function key(c){var v=c.getAttribute('data-value');return v===null?c.textContent.toLowerCase():parseFloat(v)}
document.querySelectorAll('table.sortable').forEach(function(t){var hs=t.tHead.rows[0].cells;
Array.prototype.forEach.call(hs,function(th,i){var b=document.createElement('button');b.type='button';
b.textContent=th.textContent;th.textContent='';th.appendChild(b);b.addEventListener('click',function(){
var asc=th.getAttribute('aria-sort')!=='ascending';Array.prototype.forEach.call(hs,function(h){h.removeAttribute('aria-sort')});
th.setAttribute('aria-sort',asc?'ascending':'descending');var body=t.tBodies[0];
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,c){var x=key(a.cells[i]),y=key(c.cells[i]);
return (x<y?-1:x>y?1:0)*(asc?1:-1)});rows.forEach(function(r){body.appendChild(r)})})})})})();
)JS";

std::string date(int64_t day) { return text::format_date(day * 86400); }

std::string num(int64_t n) { return thousands(n); }

std::optional<double> share_of(int64_t part, int64_t whole)
{
  if (whole <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(part) / static_cast<double>(whole);
}

std::string pct(int64_t part, int64_t whole)
{
  const auto s = share_of(part, whole);
  return s ? percent(*s) : "–";
}

// A number cell: the figure as shown, the exact value for sorting.
std::string num_cell(int64_t n)
{
  return "<td class=\"n\" data-value=\"" + std::to_string(n) + "\">" + num(n) + "</td>";
}

std::string share_cell(int64_t part, int64_t whole)
{
  const auto s = share_of(part, whole);
  char value[32];
  std::snprintf(value, sizeof value, "%.4f", s.value_or(-1));
  return "<td class=\"n\" data-value=\"" + std::string(value) + "\">" + pct(part, whole) + "</td>";
}

// Text from a report or the configuration, isolated so right-to-left text cannot reorder
// what surrounds it.
std::string name(std::string_view s) { return "<bdi>" + html_escape(s) + "</bdi>"; }

// A domain's heading: TLS reports whose policies name no domain are listed under "".
std::string domain_label(const std::string& domain)
{
  return domain.empty() ? std::string("(no policy domain)") : name(domain);
}

const char* class_word(SourceClass c)
{
  switch (c) {
  case SourceClass::authorized: return "authorized";
  case SourceClass::forwarder: return "forwarder";
  case SourceClass::unknown: return "unknown";
  }
  return "unknown";
}

// ---- charts ---------------------------------------------------------------------------------

struct Stack
{
  std::string name;
  std::string cls;                       // s-pass, s-fauth, ...
  std::vector<int64_t> values;           // per slot
};

struct Band
{
  int first = 0;                         // slots, inclusive
  int last = 0;
  std::string cls;                       // b-none, b-quarantine, b-reject
  std::string label;                     // "p=quarantine pct=50"
};

struct Chart
{
  std::string id;
  std::string title;                     // the caption and the SVG's <title>
  std::string desc;                      // the SVG's <desc>: what it shows, in numbers
  int64_t first_day = 0;
  int slots = 0;
  std::vector<Stack> stacks;             // bottom to top
  std::vector<bool> present;             // slots with reports get a mark even when 0
  std::vector<std::string> tips;         // per slot tooltip (the day's numbers)
  std::vector<std::optional<double>> line;  // per slot share 0..1, right axis
  std::string line_name;
  std::vector<Band> bands;
};

// 1, 2, 5 × 10^k at or above `v`.
int64_t nice_max(int64_t v)
{
  if (v <= 1) {
    return 1;
  }
  int64_t base = 1;
  while (base <= v / 10) {
    base *= 10;
  }
  for (int64_t m : {1, 2, 5, 10}) {
    if (base * m >= v) {
      return base * m;
    }
  }
  return base * 10;
}

// An axis label: 950, 20k, 5M, 10G (the exact numbers are in tooltips and tables).
std::string compact(int64_t n)
{
  const char* const units[] = {"", "k", "M", "G", "T", "P", "E"};
  int unit = 0;
  while (n >= 1000 && n % 1000 == 0) {
    n /= 1000;
    ++unit;
  }
  return n >= 10000 ? num(n) + units[unit] : std::to_string(n) + units[unit];
}

void render_chart(const Chart& c, std::string& out)
{
  int64_t top = 0;
  for (int i = 0; i < c.slots; ++i) {
    int64_t sum = 0;
    for (const Stack& s : c.stacks) {
      sum += s.values[static_cast<std::size_t>(i)];
    }
    top = std::max(top, sum);
  }
  const int64_t ymax = nice_max(top);
  const int width = std::max(c.slots, 1) * k_slot;
  out += "<figure class=\"chart\" id=\"" + c.id + "\"><figcaption>" + html_escape(c.title)
         + "</figcaption><div class=\"plot\"><span class=\"ax ymax\">" + compact(ymax)
         + "</span><span class=\"ax y0\">0</span>";
  if (!c.line.empty()) {
    out += "<span class=\"ax rmax\">100%</span><span class=\"ax r0\">0%</span>";
  }
  out += "<svg viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(k_height)
         + "\" preserveAspectRatio=\"none\" role=\"img\" aria-labelledby=\"" + c.id + "-t " + c.id
         + "-d\"><title id=\"" + c.id + "-t\">" + html_escape(c.title) + "</title><desc id=\""
         + c.id + "-d\">" + html_escape(c.desc) + "</desc>";
  for (const Band& b : c.bands) {
    out += "<rect class=\"" + b.cls + "\" x=\"" + std::to_string(b.first * k_slot)
           + "\" y=\"0\" width=\"" + std::to_string((b.last - b.first + 1) * k_slot)
           + "\" height=\"" + std::to_string(k_height) + "\"><title>" + html_escape(b.label)
           + "</title></rect>";
  }
  out += "<path class=\"grid\" d=\"M0 " + std::to_string(k_height / 2) + "H"
         + std::to_string(width) + "\"/>";
  for (int i = 0; i < c.slots; ++i) {
    const auto slot = static_cast<std::size_t>(i);
    if (!c.present[slot]) {
      continue;
    }
    out += "<g class=\"mark\"><title>" + html_escape(c.tips[slot]) + "</title>";
    int64_t base = 0;   // in chart units, from the bottom
    bool drawn = false;
    const std::string x = std::to_string(i * k_slot + 1);
    for (const Stack& s : c.stacks) {
      const int64_t v = s.values[slot];
      if (v <= 0) {
        continue;
      }
      // At least 4 units, so a day with a few failures among thousands still shows.
      const int64_t h = std::max<int64_t>(
        4, static_cast<int64_t>(std::llround(static_cast<double>(v) * k_height
                                             / static_cast<double>(ymax))));
      out += "<rect class=\"" + s.cls + "\" x=\"" + x + "\" y=\""
             + std::to_string(std::max<int64_t>(k_height - base - h, 0)) + "\" height=\""
             + std::to_string(h) + "\"/>";
      base += h;
      drawn = true;
    }
    if (!drawn) {   // reports that counted no mail: a stub on the axis
      out += "<rect class=\"s-zero\" x=\"" + x + "\" y=\"" + std::to_string(k_height - 4)
             + "\" height=\"4\"/>";
    }
    out += "</g>";
  }
  if (!c.line.empty()) {
    std::string d;
    bool open = false;
    for (int i = 0; i < c.slots; ++i) {
      const auto& v = c.line[static_cast<std::size_t>(i)];
      if (!v) {
        open = false;
        continue;
      }
      const std::string y = std::to_string(std::llround((1.0 - *v) * (k_height - 10)) + 5);
      // A day on its own is a short dash across its bar.
      const bool alone = i + 1 >= c.slots || !c.line[static_cast<std::size_t>(i) + 1];
      if (!open && alone) {
        d += "M" + std::to_string(i * k_slot + 1) + " " + y + "h" + std::to_string(k_slot - 2);
      } else {
        d += (open ? "L" : "M") + std::to_string(i * k_slot + k_slot / 2) + " " + y;
      }
      open = true;
    }
    out += "<path class=\"share\" d=\"" + d + "\"><title>" + html_escape(c.line_name)
           + "</title></path>";
  }
  out += "</svg></div><div class=\"xaxis\"><span>" + date(c.first_day) + "</span><span>"
         + date(c.first_day + std::max(c.slots, 1) - 1) + "</span></div><ul class=\"legend\">";
  for (const Stack& s : c.stacks) {
    out += "<li><span class=\"sw " + s.cls + "\"></span>" + html_escape(s.name) + "</li>";
  }
  if (!c.line.empty()) {
    out += "<li><span class=\"sw l-share\"></span>" + html_escape(c.line_name)
           + " (dashed line, right axis)</li>";
  }
  std::vector<std::string> shown;
  for (const Band& b : c.bands) {
    const std::string stage = b.cls;
    if (std::find(shown.begin(), shown.end(), stage) == shown.end()) {
      shown.push_back(stage);
      out += "<li><span class=\"sw " + b.cls + "\"></span>shaded: published p="
             + stage.substr(2) + "</li>";
    }
  }
  out += "</ul></figure>";
}

// ---- sections ---------------------------------------------------------------------------

std::string simple_step(const Check& c, const std::string& prefix)
{
  if (c.current.empty() || (c.current == "unknown" && c.verdict == Verdict::wait)) {
    return "";
  }
  return c.next.empty() ? prefix + c.current : prefix + c.current + " → " + prefix + c.next;
}

// Lines of text escaped one by one, the line breaks kept (for <pre>).
std::string escape_lines(std::string_view s)
{
  std::string out;
  while (!s.empty()) {
    const std::size_t nl = s.find('\n');
    out += html_escape(s.substr(0, nl));
    if (nl == std::string_view::npos) {
      break;
    }
    out += '\n';
    s.remove_prefix(nl + 1);
  }
  return out;
}

std::string dkim_step(const Check& c)
{
  std::string out;
  int shown = 0;
  for (const advise::SelectorAdvice& s : c.selectors) {
    if ((s.messages == 0 && !s.configured) || (!s.configured && shown >= 3)) {
      continue;
    }
    ++shown;
    out += (out.empty() ? "" : ", ") + (s.selector.empty() ? std::string("(none)") : s.selector);
    if (s.messages == 0) {
      out += " never seen";
    } else if (s.aligned_pass == 0 && s.pass > 0) {
      out += " " + pct(s.pass, s.messages) + " unaligned";
    } else {
      out += " " + pct(s.aligned_pass, s.messages);
    }
  }
  return out;
}

void verdict_block(const char* what, const Check& c, const std::string& step,
                   const std::string& dns_name, const char* unit, std::string& out)
{
  const std::string v(advise::to_string(c.verdict));
  out += "<div class=\"verdict v-" + v + "\"><h4>" + what + "<span class=\"badge\">" + v
         + "</span>" + html_escape(step) + "</h4><p>" + html_escape(c.explanation) + "</p>";
  if (!c.dns_record.empty()) {
    out += "<p>" + std::string(c.publish ? "Publish" : "Keep") + ": <code>" + name(dns_name)
           + " TXT</code></p><pre>\"" + html_escape(c.dns_record) + "\"</pre>";
  }
  if (!c.policy_file.empty()) {
    out += "<p>Policy file:</p><pre>" + escape_lines(c.policy_file) + "</pre>";
  }
  if (!c.blockers.empty()) {
    out += "<p>Blockers:</p><ul>";
    for (const advise::Blocker& b : c.blockers) {
      out += "<li>" + name(b.source);
      if (b.messages > 0 || b.pass_share) {
        out += " (" + num(b.messages) + " " + unit;
        if (b.pass_share) {
          out += ", " + percent(*b.pass_share) + " pass";
        }
        out += ")";
      }
      out += ": " + html_escape(b.why) + "</li>";
    }
    out += "</ul>";
  }
  out += "</div>";
}

void advice_section(const HtmlDomain& d, int window_days, int64_t to_day, std::string& out)
{
  out += "<h3>Advice</h3>";
  if (!d.advice) {
    out += "<p class=\"note\">No advice for this domain.</p>";
  } else {
    const advise::DomainAdvice& a = *d.advice;
    out += "<p class=\"meta\">The advisor's verdicts as of " + date(to_day) + ", from the reports of "
           + date(a.from_day) + " to " + date(a.to_day) + " (the last "
           + std::to_string(window_days) + " days; <code>dmarcctl advise</code>).</p>";
    for (const std::string& note : a.notes) {
      out += "<p class=\"note\">Note: " + html_escape(note) + "</p>";
    }
    verdict_block("DMARC", a.dmarc, dmarc_step(a.dmarc, " → "), "_dmarc." + a.domain, "messages", out);
    verdict_block("SPF", a.spf, simple_step(a.spf, ""), a.domain, "messages", out);
    verdict_block("DKIM", a.dkim, dkim_step(a.dkim), "", "messages", out);
    verdict_block("MTA-STS", a.mta_sts, simple_step(a.mta_sts, "mode "), "_mta-sts." + a.domain,
                  "sessions", out);
  }
  if (!d.check_findings.empty()) {
    out += "<h4>Published records (<code>dmarcctl check</code>)</h4><div class=\"wrap\"><table>"
           "<thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Code</th>"
           "<th scope=\"col\">Finding</th><th scope=\"col\">What to do</th></tr></thead><tbody>";
    for (const CheckFinding& f : d.check_findings) {
      out += "<tr><td class=\"sev-" + html_escape(f.severity) + "\">" + html_escape(f.severity)
             + "</td><td><code>" + html_escape(f.code) + "</code></td><td>"
             + html_escape(f.message) + "</td><td>" + html_escape(f.action) + "</td></tr>";
    }
    out += "</tbody></table></div>";
  }
}

void totals(const HtmlDomain& h, std::string& out)
{
  const DomainStats& d = h.stats;
  const auto item = [&](const char* key, const char* label, const std::string& shown,
                        const std::string& value) {
    out += "<div data-key=\"" + std::string(key) + "\"><dt>" + label + "</dt><dd data-value=\""
           + value + "\">" + shown + "</dd></div>";
  };
  const auto count = [&](const char* key, const char* label, int64_t n) {
    item(key, label, num(n), std::to_string(n));
  };
  out += "<dl class=\"totals\">";
  count("messages", "Messages", d.messages);
  count("dmarc_pass", "DMARC pass", d.dmarc_pass);
  item("dmarc_pass_share", "DMARC pass share", pct(d.dmarc_pass, d.messages), "");
  item("dkim_aligned_share", "DKIM aligned", pct(d.dkim_aligned, d.messages), "");
  item("spf_aligned_share", "SPF aligned", pct(d.spf_aligned, d.messages), "");
  count("reports", "DMARC reports", d.reports);
  count("quarantined", "Quarantined", d.quarantined);
  count("rejected", "Rejected", d.rejected);
  count("days", "Days with reports", d.days);
  count("source_count", "Sources", d.source_count);
  if (d.policy.known) {
    std::string p = "p=" + d.policy.p;
    if (d.policy.pct && *d.policy.pct < 100) {
      p += " pct=" + std::to_string(*d.policy.pct);
    }
    if (d.policy.testing == "y") {
      p += " t=y";
    }
    item("policy", "Published policy", html_escape(p) + " <small>since " + date(d.policy.since_day)
                                         + "</small>", "");
  }
  int64_t tls_ok = 0;
  int64_t tls_fail = 0;
  for (const TlsPolicyStats& t : d.tls) {
    tls_ok += t.success;
    tls_fail += t.failure;
  }
  if (!d.tls.empty()) {
    count("tls_success", "TLS sessions OK", tls_ok);
    count("tls_failure", "TLS sessions failed", tls_fail);
  }
  out += "</dl>";
}

// The published stage per day: the strictest p the day's reports show, with the smallest
// pct and t=y when a report of that p shows them (as the store reads the newest day).
std::vector<Band> stage_bands(const std::vector<DayStage>& stages, int64_t first_day, int slots)
{
  const auto rank = [](const std::string& p) { return p == "reject" ? 2 : p == "quarantine" ? 1 : 0; };
  std::map<int64_t, DayStage> per_day;
  for (const DayStage& s : stages) {
    auto [it, added] = per_day.emplace(s.day, s);
    DayStage& d = it->second;
    if (added) {
      continue;
    }
    if (rank(s.p) > rank(d.p)) {
      d = s;
    } else if (s.p == d.p) {
      d.pct = std::min(d.pct, s.pct);
      d.testing = d.testing == "y" || s.testing == "y" ? "y" : "n";
    }
  }
  std::vector<Band> bands;
  for (const auto& [day, s] : per_day) {
    const int slot = static_cast<int>(day - first_day);
    if (slot < 0 || slot >= slots) {
      continue;
    }
    std::string label = "p=" + s.p;
    if (s.pct < 100) {
      label += " pct=" + std::to_string(s.pct);
    }
    if (s.testing == "y") {
      label += " t=y";
    }
    if (!bands.empty() && bands.back().label == label) {
      bands.back().last = slot;   // the same stage, also over days without reports
      continue;
    }
    if (!bands.empty()) {
      bands.back().last = slot - 1;
    }
    bands.push_back({slot, slot, "b-" + (rank(s.p) == 0 ? std::string("none") : s.p), label});
  }
  for (Band& b : bands) {
    b.label = "published " + b.label + ": " + date(first_day + b.first) + " to "
              + date(first_day + b.last);
  }
  return bands;
}

void outcome_section(const HtmlDomain& h, int index, int64_t first_day, int slots, std::string& out)
{
  const DomainStats& d = h.stats;
  out += "<h3>Daily messages by outcome</h3>";
  if (d.reports == 0) {
    out += "<p class=\"note\">No DMARC aggregate reports in this period.</p>";
    return;
  }
  Chart c;
  c.id = "c" + std::to_string(index) + "-out";
  c.title = "Messages per day by DMARC outcome";
  c.first_day = first_day;
  c.slots = slots;
  c.stacks = {{"DMARC pass", "s-pass", {}},
              {"fail, authorized sources", "s-fauth", {}},
              {"fail, forwarders (striped)", "s-ffwd", {}},
              {"fail, unknown sources", "s-funk", {}}};
  for (Stack& s : c.stacks) {
    s.values.assign(static_cast<std::size_t>(slots), 0);
  }
  c.present.assign(static_cast<std::size_t>(slots), false);
  c.tips.assign(static_cast<std::size_t>(slots), "");
  c.line.assign(static_cast<std::size_t>(slots), std::nullopt);
  c.line_name = "DMARC pass share of authorized mail";
  for (const DayTotals& t : h.daily.days) {
    const int64_t slot = t.day - first_day;
    if (slot >= 0 && slot < slots) {
      c.present[static_cast<std::size_t>(slot)] = true;
      c.tips[static_cast<std::size_t>(slot)] = date(t.day) + ": " + num(t.messages) + " messages";
    }
  }
  for (const DayOutcome& o : h.outcomes) {
    const int64_t slot = o.day - first_day;
    if (slot < 0 || slot >= slots) {
      continue;
    }
    const auto i = static_cast<std::size_t>(slot);
    c.stacks[0].values[i] = o.pass;
    c.stacks[1].values[i] = o.fail_authorized;
    c.stacks[2].values[i] = o.fail_forwarder;
    c.stacks[3].values[i] = o.fail_unknown;
    c.present[i] = true;
    c.line[i] = share_of(o.authorized_pass, o.authorized);
    const int64_t all = o.pass + o.fail_authorized + o.fail_forwarder + o.fail_unknown;
    c.tips[i] = date(o.day) + ": " + num(all) + " messages; DMARC pass " + num(o.pass)
                + "; fail: authorized " + num(o.fail_authorized) + ", forwarders "
                + num(o.fail_forwarder) + ", unknown " + num(o.fail_unknown)
                + "; authorized mail passing " + pct(o.authorized_pass, o.authorized);
  }
  c.bands = stage_bands(h.daily.stages, first_day, slots);
  c.desc = "Stacked bars per day from " + date(first_day) + " to " + date(first_day + slots - 1)
           + ": " + num(d.messages) + " messages in all, " + num(d.dmarc_pass)
           + " passing DMARC (" + pct(d.dmarc_pass, d.messages)
           + "). Bottom to top: DMARC pass, fail from authorized sources, fail from forwarders, "
             "fail from unknown sources. A dashed line shows the DMARC pass share of authorized "
             "mail; shading shows the published policy. Each day's numbers are in its tooltip.";
  render_chart(c, out);
  if (!c.bands.empty()) {
    out += "<p class=\"note\">Published policy: ";
    for (std::size_t i = 0; i < c.bands.size(); ++i) {
      out += (i > 0 ? "; " : "") + html_escape(c.bands[i].label.substr(10));
    }
    out += ".</p>";
  }
  out += "<p class=\"note\">Sources over the period: " + num(h.authorized.sources)
         + " authorized (" + num(h.authorized.messages) + " messages, "
         + pct(h.authorized.dmarc_pass, h.authorized.messages) + " passing), "
         + num(h.forwarder.sources) + " forwarders (" + num(h.forwarder.messages)
         + " messages), " + num(h.unknown.sources) + " unknown (" + num(h.unknown.messages)
         + " messages, presumed spoofing).</p>";
}

void source_table(const std::vector<ReportSource>& sources, bool failed_column, std::string& out)
{
  bool orgs = false;
  for (const ReportSource& s : sources) {
    orgs = orgs || !s.organisation.empty();
  }
  out += "<div class=\"wrap\"><table class=\"sortable\"><thead><tr><th scope=\"col\">Source</th>";
  if (orgs) {
    out += "<th scope=\"col\">Organisation</th>";
  }
  out += "<th scope=\"col\">Class</th><th scope=\"col\" class=\"n\">Messages</th>";
  if (failed_column) {
    out += "<th scope=\"col\" class=\"n\">Failed</th>";
  }
  out += "<th scope=\"col\" class=\"n\">DMARC pass</th><th scope=\"col\" class=\"n\">DKIM aligned</th>"
         "<th scope=\"col\" class=\"n\">SPF aligned</th><th scope=\"col\">First seen</th>"
         "<th scope=\"col\">Last seen</th></tr></thead><tbody>";
  for (const ReportSource& r : sources) {
    const SourceStats& s = r.stats;
    out += "<tr><td>";
    if (!s.reverse_dns.empty()) {
      out += name(s.reverse_dns) + "<br><span class=\"ip\">" + name(s.ip) + "</span>";
    } else {
      out += "<span class=\"ip\">" + name(s.ip) + "</span>";
    }
    out += "</td>";
    if (orgs) {
      out += "<td>" + name(r.organisation) + "</td>";
    }
    out += "<td title=\"" + html_escape(r.basis) + "\">" + class_word(r.cls) + "</td>"
           + num_cell(s.messages);
    if (failed_column) {
      out += num_cell(s.messages - s.dmarc_pass);
    }
    out += share_cell(s.dmarc_pass, s.messages) + share_cell(s.dkim_aligned, s.messages)
           + share_cell(s.spf_aligned, s.messages) + "<td>" + date(s.first_day) + "</td><td>"
           + date(s.last_day) + "</td></tr>";
  }
  out += "</tbody></table></div>";
}

void sources_section(const HtmlDomain& h, std::string& out)
{
  out += "<h3>Sources</h3>";
  if (h.stats.reports == 0) {
    out += "<p class=\"note\">No DMARC aggregate reports in this period.</p>";
    return;
  }
  out += "<h4>Failing sources</h4>";
  if (h.failing.empty()) {
    out += "<p class=\"note\">Every source passed DMARC on all of its mail.</p>";
  } else {
    out += "<p class=\"note\">Sources with mail failing DMARC: authorized first, then forwarders, "
           "then unknown sources; most failed mail first. "
           + num(h.failing_sources) + " failing sources, " + num(h.failing_messages)
           + " failed messages in all";
    if (static_cast<int64_t>(h.failing.size()) < h.failing_sources) {
      out += "; the first " + num(static_cast<int64_t>(h.failing.size())) + " are shown";
    }
    out += ".</p>";
    source_table(h.failing, true, out);
  }
  out += "<h4>All sources</h4><p class=\"note\">By messages";
  if (static_cast<int64_t>(h.sources.size()) < h.stats.source_count) {
    out += "; the biggest " + num(static_cast<int64_t>(h.sources.size())) + " of "
           + num(h.stats.source_count);
  }
  out += ". Class per the advisor's rules over this period (hover for why).</p>";
  source_table(h.sources, false, out);
}

void reporters_section(const HtmlDomain& h, int64_t to_day, std::string& out)
{
  out += "<h3>Reporters</h3>";
  if (h.stats.reporters.empty()) {
    out += "<p class=\"note\">No DMARC aggregate reports in this period.</p>";
    return;
  }
  std::map<std::string, const ReporterSpan*> spans;
  for (const ReporterSpan& s : h.daily.reporters) {
    spans.emplace(s.org_name, &s);
  }
  out += "<div class=\"wrap\"><table class=\"sortable\"><thead><tr><th scope=\"col\">"
         "Organisation</th><th scope=\"col\" class=\"n\">Reports</th><th scope=\"col\" class=\"n\">"
         "Messages</th><th scope=\"col\" class=\"n\">Days</th><th scope=\"col\">First report</th>"
         "<th scope=\"col\">Last report</th><th scope=\"col\">Status</th></tr></thead><tbody>";
  for (const ReporterStats& r : h.stats.reporters) {
    out += "<tr><td>" + name(r.org_name) + "</td>" + num_cell(r.reports) + num_cell(r.messages)
           + num_cell(r.days);
    auto it = spans.find(r.org_name);
    if (it != spans.end()) {
      const ReporterSpan& s = *it->second;
      const bool silent = to_day - s.last_day > k_silent_days;
      out += "<td>" + date(s.first_day) + "</td><td>" + date(s.last_day) + "</td><td>"
             + (silent ? "<strong>silent</strong>: no report for " + num(to_day - s.last_day) + " days"
                       : std::string("reporting"))
             + "</td>";
    } else {
      out += "<td></td><td></td><td></td>";
    }
    out += "</tr>";
  }
  out += "</tbody></table></div><p class=\"note\">Silent: no report in the last "
         + std::to_string(k_silent_days) + " days before " + date(to_day) + ".</p>";
}

void selectors_section(const HtmlDomain& h, int index, int64_t first_day, int slots,
                       std::string& out)
{
  const DomainStats& d = h.stats;
  out += "<h3>DKIM selectors</h3>";
  if (d.selectors.empty()) {
    out += "<p class=\"note\">No DKIM results in this period.</p>";
    return;
  }
  out += "<div class=\"wrap\"><table class=\"sortable\"><thead><tr><th scope=\"col\">Selector</th>"
         "<th scope=\"col\">d= domain</th><th scope=\"col\" class=\"n\">Messages</th>"
         "<th scope=\"col\" class=\"n\">Pass</th><th scope=\"col\" class=\"n\">Aligned pass</th>"
         "</tr></thead><tbody>";
  for (std::size_t i = 0; i < d.selectors.size() && i < k_selector_rows; ++i) {
    const SelectorStats& s = d.selectors[i];
    out += "<tr><td>" + (s.selector.empty() ? std::string("(none)") : name(s.selector))
           + "</td><td>" + name(s.dkim_domain) + "</td>" + num_cell(s.messages)
           + share_cell(s.pass, s.messages) + share_cell(s.aligned_pass, s.messages) + "</tr>";
  }
  out += "</tbody></table></div>";
  if (d.selectors.size() > k_selector_rows) {
    out += "<p class=\"note\">The biggest " + std::to_string(k_selector_rows) + " of "
           + num(static_cast<int64_t>(d.selectors.size())) + " selectors.</p>";
  }
  for (std::size_t n = 0; n < d.selectors.size() && n < k_selector_charts; ++n) {
    const SelectorStats& s = d.selectors[n];
    Chart c;
    c.id = "c" + std::to_string(index) + "-sel" + std::to_string(n);
    const std::string label = (s.selector.empty() ? std::string("(none)") : s.selector) + " (d="
                              + s.dkim_domain + ")";
    c.title = "DKIM selector " + label + " per day";
    c.first_day = first_day;
    c.slots = slots;
    c.stacks = {{"aligned pass", "s-pass", {}},
                {"pass, not aligned (striped)", "s-ffwd", {}},
                {"fail", "s-fauth", {}}};
    for (Stack& st : c.stacks) {
      st.values.assign(static_cast<std::size_t>(slots), 0);
    }
    c.present.assign(static_cast<std::size_t>(slots), false);
    c.tips.assign(static_cast<std::size_t>(slots), "");
    for (const SelectorDay& day : h.daily.selectors) {
      const int64_t slot = day.day - first_day;
      if (day.selector != s.selector || day.dkim_domain != s.dkim_domain || slot < 0
          || slot >= slots) {
        continue;
      }
      const auto i = static_cast<std::size_t>(slot);
      c.stacks[0].values[i] = day.aligned_pass;
      c.stacks[1].values[i] = day.pass - day.aligned_pass;
      c.stacks[2].values[i] = day.messages - day.pass;
      c.present[i] = true;
      c.tips[i] = date(day.day) + ": " + num(day.messages) + " messages, "
                  + pct(day.pass, day.messages) + " pass, " + pct(day.aligned_pass, day.messages)
                  + " aligned";
    }
    c.desc = "Messages with a DKIM result for selector " + label + " per day: "
             + num(s.messages) + " in all, " + pct(s.pass, s.messages) + " passing, "
             + pct(s.aligned_pass, s.messages) + " passing aligned. Each day's numbers are in "
             "its tooltip.";
    render_chart(c, out);
  }
}

void tls_section(const HtmlDomain& h, int index, int64_t first_day, int slots, std::string& out)
{
  const DomainStats& d = h.stats;
  out += "<h3>TLS-RPT</h3>";
  if (d.tls.empty()) {
    out += "<p class=\"note\">No SMTP TLS reports in this period.</p>";
    return;
  }
  out += "<div class=\"wrap\"><table><thead><tr><th scope=\"col\">Policy</th><th scope=\"col\">Mode"
         "</th><th scope=\"col\" class=\"n\">Reports</th><th scope=\"col\" class=\"n\">Reporters</th>"
         "<th scope=\"col\" class=\"n\">Days</th><th scope=\"col\" class=\"n\">Successful</th>"
         "<th scope=\"col\" class=\"n\">Failed</th><th scope=\"col\" class=\"n\">Failure share</th>"
         "</tr></thead><tbody>";
  for (const TlsPolicyStats& t : d.tls) {
    out += "<tr><td>" + name(t.policy_type) + "</td><td>" + name(t.mode) + "</td>"
           + num_cell(t.reports) + num_cell(t.reporters) + num_cell(t.days) + num_cell(t.success)
           + num_cell(t.failure) + share_cell(t.failure, t.success + t.failure) + "</tr>";
  }
  out += "</tbody></table></div>";
  int n = 0;
  for (const TlsPolicyStats& t : d.tls) {
    Chart c;
    c.id = "c" + std::to_string(index) + "-tls" + std::to_string(n++);
    c.title = "TLS sessions per day, policy " + t.policy_type;
    c.first_day = first_day;
    c.slots = slots;
    c.stacks = {{"successful sessions", "s-pass", {}}, {"failed sessions", "s-fauth", {}}};
    for (Stack& st : c.stacks) {
      st.values.assign(static_cast<std::size_t>(slots), 0);
    }
    c.present.assign(static_cast<std::size_t>(slots), false);
    c.tips.assign(static_cast<std::size_t>(slots), "");
    for (const TlsDay& day : h.daily.tls) {
      const int64_t slot = day.day - first_day;
      if (day.policy_type != t.policy_type || slot < 0 || slot >= slots) {
        continue;
      }
      const auto i = static_cast<std::size_t>(slot);
      c.stacks[0].values[i] = day.success;
      c.stacks[1].values[i] = day.failure;
      c.present[i] = true;
      c.tips[i] = date(day.day) + ": " + num(day.success) + " successful, " + num(day.failure)
                  + " failed sessions (" + pct(day.failure, day.success + day.failure) + ")";
    }
    c.desc = "TLS sessions per day with policy " + t.policy_type + ", failed ones stacked on the "
             "successful ones (a day with failures always shows a red cap): " + num(t.success)
             + " successful, " + num(t.failure) + " failed in all. Each day's numbers are in its "
             "tooltip.";
    render_chart(c, out);
    std::map<std::string, int64_t> types;
    for (const TlsFailureDay& f : t.failures) {
      types[f.result_type] += f.sessions;
    }
    if (!types.empty()) {
      out += "<div class=\"wrap\"><table><caption>Failure types, policy " + html_escape(t.policy_type)
             + "</caption><thead><tr><th scope=\"col\">Result type</th><th scope=\"col\" class=\"n\">"
               "Sessions</th></tr></thead><tbody>";
      for (const auto& [type, sessions] : types) {
        out += "<tr><td>" + name(type) + "</td>" + num_cell(sessions) + "</tr>";
      }
      out += "</tbody></table></div>";
    }
    if (!t.failure_hosts.empty()) {
      out += "<div class=\"wrap\"><table class=\"sortable\"><caption>Failures by receiving MX, "
             "policy " + html_escape(t.policy_type) + "</caption><thead><tr><th scope=\"col\">"
             "Result type</th><th scope=\"col\">Receiving MX</th><th scope=\"col\" class=\"n\">"
             "Sessions</th></tr></thead><tbody>";
      for (const TlsFailureHost& f : t.failure_hosts) {
        out += "<tr><td>" + name(f.result_type) + "</td><td>" + name(f.mx_host) + "</td>"
               + num_cell(f.sessions) + "</tr>";
      }
      out += "</tbody></table></div>";
    }
  }
}

void failure_reports_section(const FailureReportSection& f, std::string& out)
{
  out += "<h3>Failure reports</h3><p class=\"note\">" + num(f.total)
         + " failure reports in this period (headers only).</p>";
  if (!f.by_type.empty()) {
    out += "<div class=\"wrap\"><table><thead><tr><th scope=\"col\">Type</th><th scope=\"col\" "
           "class=\"n\">Reports</th></tr></thead><tbody>";
    for (const auto& [type, count] : f.by_type) {
      out += "<tr><td>" + name(type) + "</td>" + num_cell(count) + "</tr>";
    }
    out += "</tbody></table></div>";
  }
  if (!f.newest.empty()) {
    out += "<div class=\"wrap\"><table><caption>Newest</caption><thead><tr><th scope=\"col\">"
           "Arrived</th><th scope=\"col\">Type</th><th scope=\"col\">Failure</th><th scope=\"col\">"
           "Reporter</th><th scope=\"col\">Source</th><th scope=\"col\">From</th><th scope=\"col\">"
           "Subject</th></tr></thead><tbody>";
    for (const FailureReportEntry& e : f.newest) {
      out += "<tr><td>" + html_escape(text::format_utc(e.arrival)) + "</td><td>"
             + name(e.feedback_type) + "</td><td>" + name(e.auth_failure) + "</td><td>"
             + name(e.reporter) + "</td><td><span class=\"ip\">" + name(e.source_ip)
             + "</span></td><td>" + name(e.header_from) + "</td><td>" + name(e.subject)
             + "</td></tr>";
    }
    out += "</tbody></table></div>";
  }
}

} // namespace

std::string html_escape(std::string_view raw)
{
  const std::string safe = text::printable(raw);   // C0/C1 controls, bytes that are no UTF-8
  std::string out;
  out.reserve(safe.size() + 16);
  for (std::size_t i = 0; i < safe.size(); ++i) {
    const char c = safe[i];
    const auto u = [&](std::size_t k) {
      return i + k < safe.size() ? static_cast<unsigned char>(safe[i + k]) : 0U;
    };
    // Bidirectional formatting characters: U+061C, U+200E/F, U+202A..E, U+2066..9.
    unsigned code = 0;
    if (u(0) == 0xD8 && u(1) == 0x9C) {
      code = 0x061C;
    } else if (u(0) == 0xE2 && u(1) == 0x80 && (u(2) == 0x8E || u(2) == 0x8F
                                                || (u(2) >= 0xAA && u(2) <= 0xAE))) {
      code = 0x2000 + (u(2) - 0x80);
    } else if (u(0) == 0xE2 && u(1) == 0x81 && u(2) >= 0xA6 && u(2) <= 0xA9) {
      code = 0x2040 + (u(2) - 0x80);
    }
    if (code != 0) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\u%04x", code);
      out += buf;
      i += code == 0x061C ? 1 : 2;
      continue;
    }
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

std::string html_report(const HtmlReport& report)
{
  // One x axis for every chart: the window, from the first day any domain has data (a
  // --since far back does not squeeze the bars into a corner).
  int64_t first_day = report.to_day;
  for (const HtmlDomain& h : report.domains) {
    for (const DayTotals& t : h.daily.days) {
      first_day = std::min(first_day, t.day);
    }
    for (const TlsDay& t : h.daily.tls) {
      first_day = std::min(first_day, t.day);
    }
  }
  first_day = std::max(first_day, report.from_day);
  const int slots = static_cast<int>(std::max<int64_t>(report.to_day - first_day + 1, 1));

  const std::string period = date(report.from_day) + " to " + date(report.to_day);
  std::string out;
  out.reserve(64 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
         "base-uri 'none'; form-action 'none'\"><meta name=\"generator\" content=\"dmarcctl\">"
         "<title>DMARC report " + period + "</title><style>";
  out += k_css;
  out += "</style></head><body><svg width=\"0\" height=\"0\" aria-hidden=\"true\" "
         "style=\"position:absolute\"><defs><pattern id=\"stripes\" width=\"6\" height=\"40\" "
         "patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"40\" style=\"fill:var(--ffwd)\"/>"
         "<rect width=\"2\" height=\"40\" style=\"fill:var(--bg)\"/></pattern></defs></svg>"
         "<header><h1>DMARC and TLS report</h1><p class=\"meta\">Reports from " + period
         + " (UTC days a report's period begins), " + std::to_string(report.domains.size())
         + (report.domains.size() == 1 ? " domain" : " domains") + ". Made by dmarcctl.</p>";
  if (report.domains.empty()) {
    out += "<p>No reports in this period.</p>";
  } else {
    out += "<nav aria-label=\"Domains\"><div class=\"wrap\"><table class=\"sortable\"><thead><tr>"
           "<th scope=\"col\">Domain</th><th scope=\"col\" class=\"n\">Messages</th>"
           "<th scope=\"col\" class=\"n\">DMARC pass</th><th scope=\"col\">Policy</th>"
           "<th scope=\"col\">DMARC advice</th><th scope=\"col\" class=\"n\">TLS failed</th>"
           "</tr></thead><tbody>";
    int index = 0;
    for (const HtmlDomain& h : report.domains) {
      const DomainStats& d = h.stats;
      int64_t ok = 0;
      int64_t failed = 0;
      for (const TlsPolicyStats& t : d.tls) {
        ok += t.success;
        failed += t.failure;
      }
      out += "<tr><td><a href=\"#d" + std::to_string(++index) + "\">" + domain_label(d.domain)
             + "</a></td>" + num_cell(d.messages) + share_cell(d.dmarc_pass, d.messages) + "<td>"
             + (d.policy.known ? "p=" + html_escape(d.policy.p) : std::string("–")) + "</td><td>"
             + (h.advice ? std::string(advise::to_string(h.advice->dmarc.verdict)) : "–")
             + "</td>" + (d.tls.empty() ? "<td class=\"n\">–</td>" : share_cell(failed, ok + failed))
             + "</tr>";
    }
    out += "</tbody></table></div></nav>";
  }
  out += "</header><main>";
  int index = 0;
  for (const HtmlDomain& h : report.domains) {
    const std::string id = "d" + std::to_string(++index);
    const DomainStats& d = h.stats;
    out += "<section class=\"domain\" id=\"" + id + "\" aria-labelledby=\"" + id
           + "-h\" data-domain=\"" + html_escape(d.domain) + "\"><h2 id=\"" + id + "-h\">"
           + domain_label(d.domain) + "</h2><p class=\"meta\">" + period;
    if (d.reports > 0) {
      out += "; DMARC reports cover " + html_escape(text::format_utc(d.first_begin)) + " to "
             + html_escape(text::format_utc(d.last_end)) + " UTC";
    }
    out += ".</p>";
    totals(h, out);
    advice_section(h, report.advice_window_days, report.to_day, out);
    outcome_section(h, index, first_day, slots, out);
    sources_section(h, out);
    reporters_section(h, report.to_day, out);
    selectors_section(h, index, first_day, slots, out);
    tls_section(h, index, first_day, slots, out);
    if (h.failure_reports) {
      failure_reports_section(*h.failure_reports, out);
    }
    out += "</section>";
  }
  out += "</main><footer>Generated by dmarcctl from the reports in its database. The numbers "
         "are those of <code>dmarcctl summary --format json</code> and <code>dmarcctl advise "
         "--format json</code> for the same period.</footer><script>";
  out += k_script;
  out += "</script></body></html>\n";
  return out;
}

} // namespace dmarc::output
