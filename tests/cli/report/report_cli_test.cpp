// End-to-end tests of `dmarcctl report --html` in a real browser: Debian's headless
// Chromium (scripts/install-deps) opens the page from disk, dumps its DOM and takes
// screenshots at 1280 and 375 px. Every host name Chromium resolves maps to a recorder on
// 127.0.0.1 (Google's own background hosts to nowhere), so a request the page makes shows
// up there; console messages show on Chromium's stderr. The numbers in the page are
// compared with `summary --format json` for the same window.
#include "support/process.hpp"
#include "support/report_gen.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <zlib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

using namespace dmarc::test;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int64_t k_first_day = 19800;   // 2024-03-18
const std::string k_last = "2024-03-31"; // k_first_day + 13
const std::string k_chromium = "/usr/bin/chromium";
// A domain and a reporter name a hostile report may carry: markup, quotes, a right-to-left
// override (U+202E) and Hebrew.
const std::string k_evil_domain = "<script>alert(1)</script>\"'.example";
const std::string k_evil_org = "Evil <b>Corp</b> \"q\" 'x' \xE2\x80\xAE" "gpj.exe \xD7\x93\xD7\x95\xD7\x90\xD7\xA8";

// Accepts connections on 127.0.0.1 and records the first line of what each one sent
// (an HTTP request line, or "TLS ..." for a ClientHello).
class RequestRecorder
{
public:
  RequestRecorder()
  {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    m_port = ntohs(addr.sin_port);
    REQUIRE(::listen(m_fd, 16) == 0);
    m_thread = std::thread([this] { serve(); });
  }
  ~RequestRecorder()
  {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }
  int port() const { return m_port; }
  std::vector<std::string> requests()
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_requests;
  }

private:
  void serve()
  {
    while (!m_stop) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) {
        continue;
      }
      const int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        continue;
      }
      std::string got;
      pollfd q{c, POLLIN, 0};
      char buf[4096];
      if (::poll(&q, 1, 2000) > 0) {
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n > 0) {
          got.assign(buf, static_cast<std::size_t>(n));
        }
      }
      std::string line = !got.empty() && got[0] == '\x16' ? "TLS ClientHello"
                                                          : got.substr(0, got.find('\r'));
      {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_requests.push_back(line);
      }
      const char* reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      (void)::send(c, reply, std::strlen(reply), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
  std::mutex m_mutex;
  std::vector<std::string> m_requests;
};

struct Browser
{
  RunResult run;
  std::vector<std::string> requests;   // what reached the recorder
  std::vector<std::string> console;    // console messages Chromium logged
};

// Opens `html` in headless Chromium with `mode` (--dump-dom, or --screenshot=... with
// --window-size=...), a fresh profile, and every host name mapped to a recorder.
Browser open_in_chromium(const TempDir& dir, const std::string& html,
                         const std::vector<std::string>& mode)
{
  REQUIRE(fs::exists(k_chromium));   // scripts/install-deps installs Debian's chromium
  RequestRecorder recorder;
  static int profile = 0;
  std::vector<std::string> argv = {
    "/usr/bin/timeout", "90", k_chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--enable-logging=stderr", "--v=0",
    "--user-data-dir=" + dir / ("profile" + std::to_string(++profile)),
    "--host-resolver-rules=MAP *.google.com ~NOTFOUND, MAP *.googleapis.com ~NOTFOUND, "
    "MAP *.gvt1.com ~NOTFOUND, MAP * 127.0.0.1:" + std::to_string(recorder.port())};
  argv.insert(argv.end(), mode.begin(), mode.end());
  argv.push_back("file://" + html);
  Browser b;
  b.run = run(argv);
  // A request still under way when the page was done has had time to connect.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  b.requests = recorder.requests();
  for (const std::string& line : lines(b.run.err)) {
    if (line.find(":CONSOLE") != std::string::npos) {
      b.console.push_back(line);
    }
  }
  return b;
}

// The PNG's width, and the number of distinct byte values in its pixel data (a blank
// page has one or two).
std::pair<uint32_t, std::size_t> png_facts(const std::string& png)
{
  REQUIRE(png.size() > 33);
  REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  const auto be32 = [&](std::size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(png[at])) << 24)
           | (static_cast<uint32_t>(static_cast<unsigned char>(png[at + 1])) << 16)
           | (static_cast<uint32_t>(static_cast<unsigned char>(png[at + 2])) << 8)
           | static_cast<uint32_t>(static_cast<unsigned char>(png[at + 3]));
  };
  const uint32_t width = be32(16);
  std::string idat;
  for (std::size_t at = 8; at + 8 <= png.size();) {
    const uint32_t len = be32(at);
    if (png.compare(at + 4, 4, "IDAT") == 0) {
      idat += png.substr(at + 8, len);
    }
    at += 12 + len;
  }
  z_stream z{};
  REQUIRE(inflateInit(&z) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(idat.data());
  z.avail_in = static_cast<uInt>(idat.size());
  std::set<unsigned char> seen;
  std::vector<unsigned char> out(1 << 16);
  for (;;) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int r = inflate(&z, Z_NO_FLUSH);
    for (std::size_t i = 0; i < out.size() - z.avail_out; ++i) {
      seen.insert(out[i]);
    }
    if (r != Z_OK) {
      break;
    }
  }
  inflateEnd(&z);
  return {width, seen.size()};
}

// The text of the element that starts at `from` up to the matching "</section>".
std::string section_of(const std::string& dom, const std::string& escaped_domain)
{
  const std::size_t at = dom.find("data-domain=\"" + escaped_domain + "\"");
  if (at == std::string::npos) {
    return "";
  }
  return dom.substr(at, dom.find("</section>", at) - at);
}

std::size_t count(const std::string& text, const std::string& what)
{
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// The chart `id`'s SVG (up to its </svg>).
std::string chart_of(const std::string& dom, const std::string& id)
{
  const std::size_t at = dom.find("<figure class=\"chart\" id=\"" + id + "\"");
  if (at == std::string::npos) {
    return "";
  }
  return dom.substr(at, dom.find("</svg>", at) - at);
}

std::string dd_value(const std::string& section, const std::string& key)
{
  const std::regex re("data-key=\"" + key + "\"><dt>[^<]*</dt><dd data-value=\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(section, m, re) ? m[1].str() : "<missing>";
}

// example.com: 14 days from 2 reporters (your server, a forwarder, 12 new spoofers a day,
// p=none for a week then quarantine pct=50) with TLS failures; a domain with one day of
// reports; a domain with TLS reports only; a hostile domain and reporter name.
std::string make_db(const TempDir& dir)
{
  const std::string reports = dir / "reports";
  gen::Scenario s;
  s.first_day = k_first_day;
  s.days = 14;
  s.policy = [](int day) {
    gen::Policy p;
    if (day >= 7) {
      p.p = "quarantine";
      p.pct = 50;
    }
    return p;
  };
  s.records = [](int day, int) {
    // Your server fails 5 of its 100 messages on 2024-03-21 (still authorized, inferred).
    std::vector<gen::Record> r = gen::partly("203.0.113.10", "example.com", 100,
                                             day == 3 ? 95 : 100);
    r.push_back(gen::forwarder("192.0.2.50", "example.com", 10));
    for (int i = 0; i < 12; ++i) {
      r.push_back(gen::spoofer("198.51.100." + std::to_string(day * 12 + i), "example.com", 1));
    }
    return r;
  };
  gen::write(s, reports);
  gen::TlsScenario t;
  t.first_day = k_first_day;
  t.days = 14;
  t.day = [](int day, int) {
    gen::TlsDay d;
    if (day % 2 == 0) {
      d.failures = {{"certificate-expired", 2}};
    }
    return d;
  };
  gen::write_tls(t, reports);

  gen::Scenario one;
  one.domain = "one-day.example";
  one.first_day = k_first_day + 5;
  one.days = 1;
  one.reporters = {"google.com"};
  one.records = [](int, int) {
    return std::vector<gen::Record>{gen::authorized("203.0.113.20", "one-day.example", 7)};
  };
  gen::write(one, reports);

  gen::TlsScenario tls_only;
  tls_only.domain = "tls-only.example";
  tls_only.first_day = k_first_day + 10;
  tls_only.days = 3;
  gen::write_tls(tls_only, reports);

  gen::Scenario evil;
  evil.domain = k_evil_domain;
  evil.first_day = k_first_day + 12;
  evil.days = 2;
  evil.reporters = {k_evil_org};
  evil.records = [](int, int) {
    return std::vector<gen::Record>{gen::spoofer("192.0.2.66", k_evil_domain, 3)};
  };
  gen::write(evil, reports);

  const std::string db = dir / "r.sqlite";
  REQUIRE(dmarcctl({"-q", "--db", db, "import", reports}).exit_code == 0);
  // What the reverse DNS stage would store: a hostile name too.
  sqlite3* handle = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &handle) == SQLITE_OK);
  CHECK(sqlite3_exec(handle,
                     "INSERT INTO sources (ip, reverse_dns) VALUES ('203.0.113.10', "
                     "'mail.example.com'), ('192.0.2.66', '<img src=x onerror=alert(2)>.evil')",
                     nullptr, nullptr, nullptr)
        == SQLITE_OK);
  sqlite3_close(handle);
  return db;
}

// The HTML escaping of the renderer, for finding names in the DOM Chromium serializes
// (which writes &quot; in attributes, and " ' as they are in text).
std::string attr_escaped(const std::string& s)
{
  std::string out;
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

} // namespace

TEST_CASE("report --html in Chromium: each domain's section, a mark per day, summary's totals, "
          "no request, no console message")
{
  TempDir dir;
  const std::string db = make_db(dir);
  const std::string html = dir / "report.html";
  const RunResult r = dmarcctl({"--db", db, "report", "--html", html, "--since", "14d", "--as-of",
                                k_last});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string page = read_file(html);
  const json summary = json::parse(
    dmarcctl({"--db", db, "summary", "--since", "14d", "--as-of", k_last, "--format", "json"}).out);
  REQUIRE(summary.at("domains").size() == 4);

  const Browser b = open_in_chromium(dir, html, {"--dump-dom"});
  REQUIRE(b.run.exit_code == 0);
  const std::string& dom = b.run.out;
  CHECK(b.requests.empty());
  for (const std::string& req : b.requests) {
    FAIL_CHECK("request: " << req);
  }
  CHECK(b.console.empty());
  for (const std::string& line : b.console) {
    FAIL_CHECK("console: " << line);
  }

  // One h1, one h2 per domain; every chart an SVG with a title and a description.
  CHECK(count(dom, "<h1") == 1);
  CHECK(count(dom, "<h2") == 4);
  const std::size_t svgs = count(dom, "role=\"img\"");
  CHECK(svgs >= 6);
  CHECK(count(dom, "<title id=") == svgs);
  CHECK(count(dom, "<desc id=") == svgs);
  // The sorting script ran: every sortable column header has its button.
  CHECK(count(dom, "<th scope=\"col\"") > 0);
  CHECK(count(dom, "<button type=\"button\">") > 10);

  int index = 0;
  for (const json& d : summary.at("domains")) {
    ++index;
    const std::string name = d.at("domain");
    INFO("domain " << name);
    const std::string section = section_of(dom, attr_escaped(name));
    REQUIRE(!section.empty());
    CHECK(dd_value(section, "messages") == std::to_string(d.at("messages").get<int64_t>()));
    CHECK(dd_value(section, "dmarc_pass") == std::to_string(d.at("dmarc_pass").get<int64_t>()));
    CHECK(dd_value(section, "reports") == std::to_string(d.at("reports").get<int64_t>()));
    CHECK(dd_value(section, "days") == std::to_string(d.at("days").get<int64_t>()));
    CHECK(dd_value(section, "source_count")
          == std::to_string(d.at("source_count").get<int64_t>()));
    // The daily chart: one mark per day with DMARC reports.
    const std::string id = "c" + std::to_string(index);
    if (d.at("reports").get<int64_t>() > 0) {
      CHECK(count(chart_of(dom, id + "-out"), "<g class=\"mark\"") == d.at("days").get<std::size_t>());
    } else {
      CHECK(chart_of(dom, id + "-out").empty());
      CHECK(section.find("No DMARC aggregate reports in this period.") != std::string::npos);
    }
    // TLS: a chart of successful and failed sessions per policy type, a mark per day.
    int n = 0;
    for (const json& t : d.at("tls")) {
      CHECK(count(chart_of(dom, id + "-tls" + std::to_string(n++)), "<g class=\"mark\"")
            == t.at("days").get<std::size_t>());
      CHECK(section.find("data-value=\"" + std::to_string(t.at("failure").get<int64_t>()) + "\"")
            != std::string::npos);
    }
    // Reporters with their numbers.
    for (const json& rep : d.at("reporters")) {
      CHECK(section.find("<td class=\"n\" data-value=\""
                         + std::to_string(rep.at("messages").get<int64_t>()) + "\">")
            != std::string::npos);
    }
  }

  const std::string example = section_of(dom, "example.com");
  // The day your server failed 5 messages per report (2024-03-21): 10 authorized failures.
  CHECK(example.find("2024-03-21: 244 messages; DMARC pass 210; fail: authorized 10, forwarders 0, "
                     "unknown 24; authorized mail passing 95.0%")
        != std::string::npos);
  // The policy stages shaded behind, and said in words.
  CHECK(example.find("p=none: 2024-03-18 to 2024-03-24; p=quarantine pct=50: 2024-03-25 to "
                     "2024-03-31")
        != std::string::npos);
  CHECK(example.find("class=\"b-quarantine\"") != std::string::npos);
  CHECK(example.find("mail.example.com") != std::string::npos);
  CHECK(example.find("DMARC<span class=\"badge\">") != std::string::npos);

  // The hostile names are text, not markup: the only script is the page's own, no element
  // came from a report, and the right-to-left override is shown as an escape.
  CHECK(count(dom, "<script") == 1);
  CHECK(dom.find("<b>Corp") == std::string::npos);
  CHECK(dom.find("<img") == std::string::npos);
  CHECK(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;\"'.example") != std::string::npos);
  CHECK(dom.find("<bdi>Evil &lt;b&gt;Corp&lt;/b&gt; \"q\" 'x' \\u202egpj.exe \xD7\x93") != std::string::npos);
  CHECK(dom.find("&lt;img src=x onerror=alert(2)&gt;.evil") != std::string::npos);
  CHECK(page.find("\xE2\x80\xAE") == std::string::npos);

  // Screenshots at a screen's and a phone's width: written, that wide, not blank.
  for (int width : {1280, 375}) {
    const std::string png = dir / ("shot" + std::to_string(width) + ".png");
    const Browser s = open_in_chromium(dir, html, {"--window-size=" + std::to_string(width) + ",2000",
                                                   "--screenshot=" + png});
    REQUIRE(s.run.exit_code == 0);
    CHECK(s.requests.empty());
    CHECK(s.console.empty());
    const auto [w, values] = png_facts(read_file(png));
    CHECK(w == static_cast<uint32_t>(width));
    CHECK(values > 40);
    CHECK(fs::file_size(png) > 20000);
  }
}

TEST_CASE("the browser checks catch a page that asks for an outside image")
{
  TempDir dir;
  const std::string db = make_db(dir);
  const std::string html = dir / "report.html";
  REQUIRE(dmarcctl({"--db", db, "report", "--html", html, "--as-of", k_last}).exit_code == 0);
  const std::string page = read_file(html);
  const std::size_t body = page.find("<body>");
  REQUIRE(body != std::string::npos);
  std::string injected = page;
  injected.insert(body + 6, "<img src=\"http://cdn.example.net/logo.png\" alt=\"\">");

  // With the page's Content-Security-Policy the browser refuses it, and says so.
  write_file(dir / "csp.html", injected);
  const Browser refused = open_in_chromium(dir, dir / "csp.html", {"--dump-dom"});
  CHECK(refused.requests.empty());
  REQUIRE(refused.console.size() == 1);
  INFO(refused.console[0]);
  CHECK(refused.console[0].find("Loading the image 'http://cdn.example.net/logo.png' violates the "
                                "following Content Security Policy directive")
        != std::string::npos);

  // Without it, the request reaches the recorder.
  const std::size_t csp = injected.find("<meta http-equiv=\"Content-Security-Policy\"");
  REQUIRE(csp != std::string::npos);
  injected.erase(csp, injected.find('>', csp) + 1 - csp);
  write_file(dir / "open.html", injected);
  const Browser open = open_in_chromium(dir, dir / "open.html", {"--dump-dom"});
  REQUIRE(open.requests.size() == 1);
  CHECK(open.requests[0] == "GET /logo.png HTTP/1.1");
}

TEST_CASE("report --html with no reports in the period, and its usage errors")
{
  TempDir dir;
  const std::string db = make_db(dir);
  const std::string html = dir / "empty.html";
  const RunResult r = dmarcctl({"--db", db, "report", "--html", html, "--as-of", "2020-01-31",
                                "--since", "30d"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string page = read_file(html);
  CHECK(page.find("<h1>DMARC and TLS report</h1><p class=\"meta\">Reports from 2020-01-02 to "
                  "2020-01-31") != std::string::npos);
  CHECK(page.find("<p>No reports in this period.</p>") != std::string::npos);
  CHECK(page.find("<section") == std::string::npos);
  const Browser b = open_in_chromium(dir, html, {"--dump-dom"});
  CHECK(b.run.exit_code == 0);
  CHECK(b.console.empty());
  CHECK(b.run.out.find("No reports in this period.") != std::string::npos);

  // --domain: that domain only, even without reports (the advisor says what is missing).
  const RunResult one = dmarcctl({"--db", db, "report", "--html", html, "--as-of", k_last,
                                  "--domain", "Nothing.Example."});
  REQUIRE(one.exit_code == 0);
  const std::string only = read_file(html);
  CHECK(count(only, "<section") == 1);
  CHECK(only.find("data-domain=\"nothing.example\"") != std::string::npos);
  CHECK(only.find("<span class=\"badge\">wait</span>") != std::string::npos);

  CHECK(dmarcctl({"--db", db, "report", "--as-of", k_last}).exit_code == 2);
  const RunResult bad = dmarcctl({"--db", db, "report", "--html", html, "--as-of", "2024-02-30"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "dmarcctl: usage: --as-of: expected YYYY-MM-DD, got '2024-02-30'\n");
  const RunResult nowhere = dmarcctl({"--db", db, "report", "--html", dir / "no/such/dir/r.html",
                                      "--as-of", k_last});
  CHECK(nowhere.exit_code == 1);
  CHECK(nowhere.err.find("cannot write " + dir / "no/such/dir/r.html" + ": No such file or directory")
        != std::string::npos);
  const RunResult help = dmarcctl({"report", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("Example: dmarcctl report --html") != std::string::npos);
}

TEST_CASE("run rewrites [report] html through a temporary file and a rename")
{
  TempDir dir;
  const std::string db = make_db(dir);
  const std::string html = dir / "www/index.html";
  fs::create_directories(dir / "www");
  write_file(html, "old");
  struct stat before{};
  REQUIRE(::stat(html.c_str(), &before) == 0);
  write_file(dir / "c.toml", "[database]\npath = \"" + db + "\"\n[report]\nhtml = \"" + html
                               + "\"\ndays = 30\n[[domain]]\nname = \"configured.example\"\n");
  const RunResult r = dmarcctl({"-c", dir / "c.toml", "run", "--offline"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string page = read_file(html);
  CHECK(page.rfind("<!DOCTYPE html>", 0) == 0);
  // The configured domain is always judged, whatever today is.
  CHECK(page.find("data-domain=\"configured.example\"") != std::string::npos);
  struct stat after{};
  REQUIRE(::stat(html.c_str(), &after) == 0);
  CHECK(after.st_ino != before.st_ino);   // replaced by a rename, not written in place
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir / "www")) {
    left.push_back(e.path().filename().string());
  }
  CHECK(left == std::vector<std::string>{"index.html"});

  write_file(dir / "bad.toml", "[report]\nhtml = 3\ndays = 0\n");
  const RunResult bad = dmarcctl({"-c", dir / "bad.toml", "config", "check"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("[report].html must be a string") != std::string::npos);
  CHECK(bad.err.find("[report].days must be between 1 and 3660") != std::string::npos);
}

TEST_CASE("ten domains of 90 days make a report under 1 MB")
{
  TempDir dir;
  const std::string reports = dir / "reports";
  for (int n = 0; n < 10; ++n) {
    const std::string domain = "domain" + std::to_string(n) + ".example";
    gen::Scenario s;
    s.domain = domain;
    s.first_day = k_first_day - 76;
    s.days = 90;
    s.reporters = {"google.com", "Outlook.com"};
    s.records = [domain](int day, int rep) {
      std::vector<gen::Record> r = {gen::authorized("203.0.113.10", domain, 500),
                                    gen::authorized("203.0.113.11", domain, 80, "relay1"),
                                    gen::spf_failing("203.0.113.12", domain, 20, "s2"),
                                    gen::forwarder("192.0.2.50", domain, 10),
                                    gen::forwarder("192.0.2.51", domain, 4, "relay1")};
      for (int i = 0; i < 12; ++i) {
        r.push_back(gen::spoofer("10." + std::to_string(rep) + "." + std::to_string(day) + "."
                                   + std::to_string(i), domain, 1 + i % 3));
      }
      return r;
    };
    gen::write(s, reports);
    gen::TlsScenario t;
    t.domain = domain;
    t.first_day = s.first_day;
    t.days = 90;
    t.reporters = {"Google Inc."};
    t.day = [](int day, int) {
      gen::TlsDay d;
      d.failures = {{"certificate-expired", day % 5}, {"sts-webpki-invalid", 1}};
      return d;
    };
    gen::write_tls(t, reports);
  }
  const std::string db = dir / "big.sqlite";
  REQUIRE(dmarcctl({"-q", "--db", db, "import", reports}).exit_code == 0);
  const std::string html = dir / "r.html";
  REQUIRE(dmarcctl({"--db", db, "report", "--html", html, "--since", "90d", "--as-of", k_last})
            .exit_code == 0);
  const std::string page = read_file(html);
  if (const char* keep = std::getenv("DMARC_KEEP_REPORT")) {
    write_file(keep, page);   // to look at it
  }
  INFO("size " << page.size());
  CHECK(page.size() < 1000000);
  CHECK(count(page, "<section") == 10);
  CHECK(count(page, "<g class=\"mark\"") == 10 * 90 * 4);   // outcome, 2 selectors, TLS
}

TEST_CASE("report --html lists the stored failure reports of a domain, headers only")
{
  TempDir dir;
  const std::string db = dir / "f.sqlite";
  const std::string failures = std::string(DMARC_FIXTURES_DIR) + "/failure";
  // 6 auth-failure reports about example.com (the abuse ARF and the bounce are rejected).
  const RunResult imported = dmarcctl({"--db", db, "import", failures});
  INFO(imported.err);
  REQUIRE(imported.exit_code == 3);
  REQUIRE(imported.err.find("6 failure reports, 2 rejected") != std::string::npos);
  const std::string html = dir / "f.html";
  const RunResult r = dmarcctl({"--db", db, "report", "--html", html, "--domain", "example.com",
                                "--since", "2024-01-01", "--as-of", "2024-12-31"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string page = read_file(html);
  CHECK(page.find("6 failure reports in this period (headers only).") != std::string::npos);
  CHECK(page.find("Password reset") != std::string::npos);
  CHECK(page.find("198.51.100.99") != std::string::npos);
  // The same count as summary's JSON for the same window.
  const RunResult s = dmarcctl({"--db", db, "summary", "--format", "json", "--domain",
                                "example.com", "--since", "2024-01-01", "--as-of", "2024-12-31"});
  REQUIRE(s.exit_code == 0);
  CHECK(json::parse(s.out)["domains"][0]["failure_reports"]["reports"] == 6);
}
