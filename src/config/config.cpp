#include "config/config.hpp"

#include "advise/ip.hpp"
#include "core/text.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dmarc::config {

namespace {

// While known_keys() runs: every (section, key) a TableReader is asked for, so the list of
// keys comes from the readers themselves and a key added to a reader is listed with no
// other change. nullptr otherwise.
thread_local std::set<std::string>* t_key_recorder = nullptr;

// "[[imap]] #2" → "imap", "[database]" → "database", "the top level" → "".
std::string section_of(const std::string& where)
{
  if (where.empty() || where[0] != '[') {
    return "";
  }
  const std::size_t close = where.find(']');
  std::string name = where.substr(0, close);
  name.erase(0, name.find_first_not_of('['));
  return name;
}

// Reads one table: each known key has a reader; everything else is an "unknown key" issue.
class TableReader
{
public:
  TableReader(const toml::table& table, std::string where, std::vector<Issue>& issues)
    : m_table(table), m_where(std::move(where)), m_issues(issues)
  {
  }

  void issue(const toml::node& node, const std::string& message)
  {
    const auto& begin = node.source().begin;
    m_issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column), message});
  }

  void string(const char* key, std::string& out)
  {
    m_known.insert(key);
    if (const toml::node* node = m_table.get(key)) {
      if (auto v = node->value<std::string>()) {
        out = *v;
      } else {
        issue(*node, m_where + "." + key + " must be a string");
      }
    }
  }

  void choice(const char* key, std::string& out, std::initializer_list<const char*> allowed)
  {
    std::string value = out;
    string(key, value);
    for (const char* a : allowed) {
      if (value == a) {
        out = value;
        return;
      }
    }
    std::string list;
    for (const char* a : allowed) {
      list += std::string(list.empty() ? "" : ", ") + "\"" + a + "\"";
    }
    issue(*m_table.get(key), m_where + "." + key + " must be one of " + list + ", not \"" + value
                               + "\"");
  }

  void integer(const char* key, int& out, int64_t min, int64_t max)
  {
    m_known.insert(key);
    if (const toml::node* node = m_table.get(key)) {
      // Only an integer node is converted: value<int64_t>() on a float out of range is UB.
      const auto v = node->is_integer() ? node->value<int64_t>() : std::nullopt;
      if (!v) {
        issue(*node, m_where + "." + key + " must be an integer");
      } else if (*v < min || *v > max) {
        issue(*node, m_where + "." + key + " must be between " + std::to_string(min) + " and "
                       + std::to_string(max));
      } else {
        out = static_cast<int>(*v);
      }
    }
  }

  void size(const char* key, std::size_t& out)
  {
    m_known.insert(key);
    if (const toml::node* node = m_table.get(key)) {
      const auto v = node->is_integer() ? node->value<int64_t>() : std::nullopt;
      if (!v || *v <= 0) {
        issue(*node, m_where + "." + key + " must be a positive integer");
      } else {
        out = static_cast<std::size_t>(*v);
      }
    }
  }

  void share(const char* key, double& out)
  {
    m_known.insert(key);
    if (const toml::node* node = m_table.get(key)) {
      auto v = node->value<double>();
      if (!v || !(node->is_floating_point() || node->is_integer())) {
        issue(*node, m_where + "." + key + " must be a number");
      } else if (*v < 0.0 || *v > 1.0) {
        issue(*node, m_where + "." + key + " must be a share between 0 and 1 (e.g. 0.98)");
      } else {
        out = *v;
      }
    }
  }

  void boolean(const char* key, bool& out)
  {
    m_known.insert(key);
    if (const toml::node* node = m_table.get(key)) {
      if (auto v = node->value<bool>(); v && node->is_boolean()) {
        out = *v;
      } else {
        issue(*node, m_where + "." + key + " must be true or false");
      }
    }
  }

  // A table of "base domain" = ["Name", "Type"] pairs ([enrich] names).
  void sender_names(const char* key, std::vector<SenderName>& out)
  {
    m_known.insert(key);
    const toml::node* node = m_table.get(key);
    if (node == nullptr) {
      return;
    }
    const toml::table* table = node->as_table();
    if (table == nullptr) {
      issue(*node, m_where + "." + key + " must be a table of \"domain\" = [\"Name\", \"Type\"]");
      return;
    }
    for (const auto& [domain, value] : *table) {
      const toml::array* pair = value.as_array();
      if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_string()) {
        issue(value, m_where + "." + key + "." + std::string(domain.str())
                       + " must be [\"Name\", \"Type\"], e.g. [\"MXroute\", \"Relay\"]");
        continue;
      }
      out.push_back({std::string(domain.str()), *(*pair)[0].value<std::string>(),
                     *(*pair)[1].value<std::string>()});
    }
  }

  void strings(const char* key, std::vector<std::string>& out)
  {
    m_known.insert(key);
    const toml::node* node = m_table.get(key);
    if (node == nullptr) {
      return;
    }
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      issue(*node, m_where + "." + key + " must be an array of strings");
      return;
    }
    out.clear();
    for (const toml::node& item : *array) {
      if (auto v = item.value<std::string>()) {
        out.push_back(*v);
      } else {
        issue(item, m_where + "." + key + " must hold only strings");
      }
    }
  }

  // Reports keys no reader asked for, with the closest known one.
  void finish()
  {
    if (t_key_recorder != nullptr) {
      const std::string prefix = section_of(m_where);
      for (const std::string& k : m_known) {
        t_key_recorder->insert(prefix.empty() ? k : prefix + "." + k);
      }
      for (const std::string& s : m_sections) {
        t_key_recorder->insert("[" + s + "]");
      }
    }
    for (auto&& [key, node] : m_table) {
      const std::string name(key.str());
      if (m_known.count(name) != 0 || m_sections.count(name) != 0) {
        continue;
      }
      std::string message = "unknown key '" + name + "' in " + m_where;
      std::string best;
      std::size_t best_distance = 3;
      for (const std::string& k : m_known) {
        // A near miss, or one name inside the other ("batchsize" for "batch").
        const bool contains = name.find(k) != std::string::npos || k.find(name) != std::string::npos;
        const std::size_t d = contains ? 1 : text::edit_distance(name, k);
        if (d < best_distance) {
          best_distance = d;
          best = k;
        }
      }
      if (!best.empty()) {
        message += " (did you mean '" + best + "'?)";
      }
      const auto& begin = key.source().begin;
      m_issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column), message});
    }
  }

  // Keys that are sub-tables, read elsewhere.
  void section(const char* key) { m_sections.insert(key); }

private:
  const toml::table& m_table;
  std::string m_where;
  std::vector<Issue>& m_issues;
  std::set<std::string> m_known;
  std::set<std::string> m_sections;
};

// "203.0.113.10", "198.51.100.0/24", "2001:db8:10::/48": read by the advisor's own parser
// (src/advise/ip.hpp), so an entry the config accepts is one the advisor matches: no
// "198.51.100.0/+24" or "/ 24" passing here and being ignored there.
bool is_ip_range(std::string_view range)
{
  return advise::parse_range(range).has_value();
}

// "127.0.0.1", "127.0.0.1:5353", "[::1]:5353", "::1": what [enrich] dns_servers accepts
// (net::parse_dns_server reads it the same way).
bool is_dns_server(const std::string& spec)
{
  std::string address = spec;
  std::string port;
  if (!spec.empty() && spec.front() == '[') {
    const auto close = spec.find(']');
    if (close == std::string::npos) {
      return false;
    }
    address = spec.substr(1, close - 1);
    if (close + 1 < spec.size()) {
      if (spec[close + 1] != ':') {
        return false;
      }
      port = spec.substr(close + 2);
      if (port.empty()) {
        return false;
      }
    }
  } else if (std::count(spec.begin(), spec.end(), ':') == 1) {
    address = spec.substr(0, spec.find(':'));
    port = spec.substr(spec.find(':') + 1);
    if (port.empty()) {
      return false;
    }
  }
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), buf) != 1 && inet_pton(AF_INET6, address.c_str(), buf) != 1) {
    return false;
  }
  if (port.empty()) {
    return true;
  }
  const auto number = text::parse_u64(port);
  return number && port.size() <= 5 && *number >= 1 && *number <= 65535;
}

void read_imap(const toml::table& t, int index, Config& config, std::vector<Issue>& issues)
{
  ImapAccount a;
  const std::string where = "[[imap]] #" + std::to_string(index + 1);
  TableReader r(t, where, issues);
  r.string("name", a.name);
  r.string("url", a.url);
  r.string("username", a.username);
  r.string("password_file", a.password_file);
  r.string("password_env", a.password_env);
  for (const char* key : {"password_file", "password_env"}) {
    if (const toml::node* node = t.get(key)) {
      a.password_line = static_cast<int>(node->source().begin.line);
      a.password_column = static_cast<int>(node->source().begin.column);
    }
  }
  r.string("ca_file", a.ca_file);
  std::string tls = "required";
  r.choice("tls", tls, {"required", "none"});
  a.tls = tls == "none" ? TlsMode::none : TlsMode::required;
  r.strings("mailboxes", a.mailboxes);
  std::string after = "move";
  r.choice("after", after, {"move", "seen", "delete", "leave"});
  a.after = after == "seen"     ? AfterAction::seen
            : after == "delete" ? AfterAction::remove
            : after == "leave"  ? AfterAction::leave
                                : AfterAction::move;
  r.string("archive", a.archive);
  r.string("invalid", a.invalid);
  r.integer("batch", a.batch, 1, 10000);
  r.integer("connect_timeout", a.connect_timeout, 1, 3600);
  r.integer("timeout", a.timeout, 1, 86400);
  r.finish();

  auto problem = [&](const std::string& message) {
    const auto& begin = t.source().begin;
    issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column), where + ": " + message});
  };
  if (t.contains("password")) {
    // Not a known key, so finish() reported it; say why on top.
    problem("a password in the configuration is not accepted: use password_file or password_env");
  }
  if (a.name.empty()) {
    a.name = a.username.empty() ? "imap" + std::to_string(index + 1) : a.username;
  }
  for (const ImapAccount& other : config.imap) {
    if (other.name == a.name) {
      problem("name \"" + a.name + "\" is used by another [[imap]] block");
    }
  }
  if (a.url.empty()) {
    problem("url is required (imaps://host:993 or imap://host:143)");
  } else if (a.url.rfind("imaps://", 0) != 0 && a.url.rfind("imap://", 0) != 0) {
    problem("url must start with imaps:// or imap://, not \"" + a.url + "\"");
  }
  if (a.username.empty()) {
    problem("username is required");
  }
  if (a.password_file.empty() == a.password_env.empty()) {
    problem("set exactly one of password_file or password_env");
  }
  if (a.mailboxes.empty()) {
    problem("mailboxes must name at least one mailbox");
  }
  if (a.after == AfterAction::move && a.archive.empty()) {
    problem("after = \"move\" needs an archive mailbox");
  }
  // Mail moved into a mailbox that is read gets a new UID there and is read again by every
  // run, forever (INBOX is case-insensitive in IMAP, other names are not).
  const auto same_mailbox = [](const std::string& x, const std::string& y) {
    return x == y || (text::to_lower(x) == "inbox" && text::to_lower(y) == "inbox");
  };
  for (const std::string& mailbox : a.mailboxes) {
    if (a.after == AfterAction::move && same_mailbox(mailbox, a.archive)) {
      problem("archive \"" + a.archive + "\" is also one of the mailboxes read: moved mail "
              "would be read again by every run");
    }
    if (!a.invalid.empty() && same_mailbox(mailbox, a.invalid)) {
      problem("invalid \"" + a.invalid + "\" is also one of the mailboxes read: rejected mail "
              "would be read again by every run");
    }
  }
  config.imap.push_back(std::move(a));
}

void read_local(const toml::table& t, int index, Config& config, std::vector<Issue>& issues)
{
  LocalSource l;
  const std::string where = "[[local]] #" + std::to_string(index + 1);
  TableReader r(t, where, issues);
  r.string("name", l.name);
  r.strings("paths", l.paths);
  std::string after = "leave";
  r.choice("after", after, {"move", "leave"});
  l.after = after == "move" ? AfterAction::move : AfterAction::leave;
  r.string("archive", l.archive);
  r.string("invalid", l.invalid);
  r.finish();
  const auto problem = [&](const std::string& message) {
    const auto& begin = t.source().begin;
    issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column),
                      where + ": " + message});
  };
  if (l.name.empty()) {
    l.name = "local" + std::to_string(index + 1);
  }
  if (l.paths.empty()) {
    problem("paths must name at least one Maildir, directory or file");
  }
  // A Maildir++ folder is ".Name" beside cur/ and new/: one path component, no dots
  // that would make it a subfolder of another.
  const auto bad_folder = [](const std::string& f) {
    return f.find('/') != std::string::npos || f == "." || f == ".." || f.rfind('.', 0) == 0;
  };
  if (l.after == AfterAction::move && (l.archive.empty() || bad_folder(l.archive))) {
    problem("archive must be a folder name such as \"Archive\" (stored as <Maildir>/.Archive)");
  }
  if (!l.invalid.empty() && bad_folder(l.invalid)) {
    problem("invalid must be a folder name such as \"Invalid\" (stored as <Maildir>/.Invalid)");
  }
  config.local.push_back(std::move(l));
}

void read_domain(const toml::table& t, int index, Config& config, std::vector<Issue>& issues)
{
  DomainSettings d;
  const std::string where = "[[domain]] #" + std::to_string(index + 1);
  TableReader r(t, where, issues);
  r.string("name", d.name);
  r.strings("authorized_ips", d.authorized_ips);
  r.strings("authorized_ptr_domains", d.authorized_ptr_domains);
  r.strings("authorized_orgs", d.authorized_orgs);
  r.strings("spf_includes", d.spf_includes);
  r.strings("dkim_selectors", d.dkim_selectors);
  r.strings("dkim_domains", d.dkim_domains);
  r.strings("ignore_dkim_domains", d.ignore_dkim_domains);
  r.string("rua", d.rua);
  r.finish();
  // Each authorized_ips entry on its own line: a range the advisor cannot read would
  // silently leave a server of yours unauthorized.
  if (const toml::array* ips = t.get_as<toml::array>("authorized_ips")) {
    for (const toml::node& item : *ips) {
      if (auto v = item.value<std::string>(); v && !is_ip_range(text::trim(*v))) {
        r.issue(item, where + ".authorized_ips: '" + *v
                        + "' is not an IP address or CIDR range (e.g. 203.0.113.0/24, "
                          "2001:db8::/48)");
      }
    }
  }
  const auto& begin = t.source().begin;
  if (d.name.empty()) {
    issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column),
                      where + ": name is required"});
  }
  for (const DomainSettings& other : config.domains) {
    if (!d.name.empty() && text::iequals(text::trim(other.name), text::trim(d.name))) {
      issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column),
                        where + ": name \"" + d.name + "\" is used by another [[domain]] block"});
    }
  }
  config.domains.push_back(std::move(d));
}

template <typename Fn>
void each_table(const toml::table& root, const char* key, std::vector<Issue>& issues, Fn fn)
{
  const toml::node* node = root.get(key);
  if (node == nullptr) {
    return;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    const auto& begin = node->source().begin;
    issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column),
                      std::string(key) + " must be written as [[" + key + "]] blocks"});
    return;
  }
  int index = 0;
  for (const toml::node& item : *array) {
    fn(*item.as_table(), index++);
  }
}

const toml::table* section(const toml::table& root, const char* key, std::vector<Issue>& issues)
{
  const toml::node* node = root.get(key);
  if (node == nullptr) {
    return nullptr;
  }
  if (!node->is_table()) {
    const auto& begin = node->source().begin;
    issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column),
                      std::string(key) + " must be a [" + key + "] table"});
    return nullptr;
  }
  return node->as_table();
}

// The same check as notify::valid_address (config does not link notify): a bare address
// that may go into a mail header as it is.
bool plain_address(const std::string& address)
{
  const std::size_t at = address.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= address.size()
      || address.find('@', at + 1) != std::string::npos || address.size() > 254) {
    return false;
  }
  return std::all_of(address.begin(), address.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && std::string_view("\"<>(),;:\\[]").find(c) == std::string_view::npos;
  });
}

void read_notify(const toml::table& t, Config& config, std::vector<Issue>& issues)
{
  NotifySettings n;
  TableReader r(t, "[notify]", issues);
  r.strings("mail_to", n.mail_to);
  r.string("mail_from", n.mail_from);
  r.string("smtp_url", n.smtp_url);
  std::string tls = "starttls";
  r.choice("tls", tls, {"starttls", "none"});
  n.tls = tls == "none" ? TlsMode::none : TlsMode::required;
  r.string("username", n.username);
  r.string("password_file", n.password_file);
  r.string("password_env", n.password_env);
  r.string("ca_file", n.ca_file);
  r.string("webhook_url", n.webhook_url);
  r.choice("digest", n.digest, {"weekly", "none"});
  r.integer("min_messages", n.min_messages, 1, 1'000'000'000);
  r.integer("silent_days", n.silent_days, 1, 365);
  double share = -1;
  r.share("source_min_pass_share", share);
  if (share >= 0) {
    n.source_min_pass_share = share;
  }
  r.integer("timeout", n.timeout, 1, 3600);
  r.finish();

  auto problem = [&](const std::string& message) {
    const auto& begin = t.source().begin;
    issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column),
                      "[notify]: " + message});
  };
  if (t.contains("password")) {
    problem("a password in the configuration is not accepted: use password_file or password_env");
  }
  if (!n.mail_to.empty()) {
    if (n.mail_from.empty()) {
      problem("mail_to needs mail_from (the sender address)");
    }
    if (n.smtp_url.rfind("smtp://", 0) != 0 && n.smtp_url.rfind("smtps://", 0) != 0) {
      problem("smtp_url must start with smtp:// or smtps://, not \"" + n.smtp_url + "\"");
    }
  }
  for (const std::string& address : n.mail_to) {
    if (!plain_address(address)) {
      problem("mail_to: \"" + text::printable(address) + "\" is not a plain address (local@domain)");
    }
  }
  if (!n.mail_from.empty() && !plain_address(n.mail_from)) {
    problem("mail_from: \"" + text::printable(n.mail_from) + "\" is not a plain address (local@domain)");
  }
  if (!n.username.empty() && n.password_file.empty() == n.password_env.empty()) {
    problem("username needs exactly one of password_file or password_env");
  }
  if (n.username.empty() && !(n.password_file.empty() && n.password_env.empty())) {
    problem("password_file / password_env need a username");
  }
  if (!n.webhook_url.empty() && n.webhook_url.rfind("http://", 0) != 0
      && n.webhook_url.rfind("https://", 0) != 0) {
    problem("webhook_url must start with http:// or https://");
  }
  config.notify = std::move(n);
}

} // namespace

Config parse(const std::string& text, const std::string& path, std::vector<Issue>& issues)
{
  Config config;
  config.path = path;
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column),
                      std::string(e.description())});
    return config;
  }

  TableReader top(root, "the top level", issues);
  for (const char* s : {"database", "imap", "local", "advisor", "domain", "gelf", "report", "notify", "metrics", "limits", "failure", "enrich", "check"}) {
    top.section(s);
  }
  top.finish();

  if (const toml::table* db = section(root, "database", issues)) {
    TableReader r(*db, "[database]", issues);
    r.string("path", config.database_path);
    r.string("lock_file", config.lock_file);
    r.finish();
  }
  each_table(root, "imap", issues,
             [&](const toml::table& t, int i) { read_imap(t, i, config, issues); });
  each_table(root, "local", issues,
             [&](const toml::table& t, int i) { read_local(t, i, config, issues); });
  if (const toml::table* adv = section(root, "advisor", issues)) {
    AdvisorSettings& a = config.advisor;
    TableReader r(*adv, "[advisor]", issues);
    r.integer("window_days", a.window_days, 1, 3660);
    r.integer("min_days", a.min_days, 1, 3660);
    r.integer("min_reporters", a.min_reporters, 1, 1000);
    r.share("quarantine_pass_share", a.quarantine_pass_share);
    r.share("source_min_pass_share", a.source_min_pass_share);
    r.integer("quarantine_min_days", a.quarantine_min_days, 0, 3660);
    r.share("reject_pass_share", a.reject_pass_share);
    r.integer("new_source_days", a.new_source_days, 0, 3660);
    r.share("spf_pass_share", a.spf_pass_share);
    r.integer("mta_sts_min_days", a.mta_sts_min_days, 1, 3660);
    r.integer("mta_sts_min_reporters", a.mta_sts_min_reporters, 1, 1000);
    r.share("mta_sts_max_failure_share", a.mta_sts_max_failure_share);
    r.integer("mta_sts_clean_days", a.mta_sts_clean_days, 0, 3660);
    r.finish();
  }
  each_table(root, "domain", issues,
             [&](const toml::table& t, int i) { read_domain(t, i, config, issues); });
  if (const toml::table* g = section(root, "gelf", issues)) {
    GelfSettings gelf;
    TableReader r(*g, "[gelf]", issues);
    r.string("url", gelf.url);
    r.choice("compress", gelf.compress, {"zlib", "gzip", "none"});
    r.string("host", gelf.host);
    r.string("ca_file", gelf.ca_file);
    r.integer("timeout", gelf.timeout, 1, 3600);
    r.finish();
    const bool known_scheme = gelf.url.rfind("udp://", 0) == 0 || gelf.url.rfind("tcp://", 0) == 0
                              || gelf.url.rfind("http://", 0) == 0
                              || gelf.url.rfind("https://", 0) == 0;
    if (!known_scheme) {
      const auto& begin = g->source().begin;
      issues.push_back({static_cast<int>(begin.line), static_cast<int>(begin.column),
                        "[gelf] url must start with udp://, tcp://, http:// or https://"});
    }
    config.gelf = std::move(gelf);
  }
  if (const toml::table* e = section(root, "enrich", issues)) {
    EnrichSettings& en = config.enrich;
    TableReader r(*e, "[enrich]", issues);
    r.boolean("rdns", en.rdns);
    r.strings("dns_servers", en.dns_servers);
    r.integer("timeout_ms", en.timeout_ms, 10, 60000);
    r.integer("retries", en.retries, 0, 10);
    r.integer("concurrency", en.concurrency, 1, 4096);
    r.integer("cache_days", en.cache_days, 0, 3660);
    r.string("asn_db", en.asn_db);
    r.string("country_db", en.country_db);
    r.sender_names("names", en.names);
    r.finish();
    if (const toml::array* servers = e->get_as<toml::array>("dns_servers")) {
      for (const toml::node& item : *servers) {
        if (auto v = item.value<std::string>(); v && !is_dns_server(*v)) {
          r.issue(item, "[enrich].dns_servers: '" + *v
                          + "' is not IP, IP:port or [IPv6]:port (e.g. \"127.0.0.1:5353\")");
        }
      }
    }
  }
  if (const toml::table* rep = section(root, "report", issues)) {
    TableReader r(*rep, "[report]", issues);
    r.string("html", config.report.html);
    r.integer("days", config.report.days, 1, 3660);
    r.finish();
  }
  if (const toml::table* n = section(root, "notify", issues)) {
    read_notify(*n, config, issues);
  }
  if (const toml::table* m = section(root, "metrics", issues)) {
    TableReader r(*m, "[metrics]", issues);
    r.string("textfile", config.metrics.textfile);
    r.finish();
  }
  if (const toml::table* l = section(root, "limits", issues)) {
    Limits& c = config.limits;
    TableReader r(*l, "[limits]", issues);
    r.size("max_message_bytes", c.max_message_bytes);
    r.size("max_mime_parts", c.max_mime_parts);
    r.size("max_mime_depth", c.max_mime_depth);
    r.size("max_document_bytes", c.max_document_bytes);
    r.size("max_zip_entries", c.max_zip_entries);
    r.size("max_ratio", c.max_ratio);
    r.size("ratio_floor_bytes", c.ratio_floor_bytes);
    r.size("max_xml_depth", c.max_xml_depth);
    r.size("max_xml_elements", c.max_xml_elements);
    r.size("max_json_bytes", c.max_json_bytes);
    r.size("max_json_depth", c.max_json_depth);
    r.size("max_records", c.max_records);
    r.finish();
  }
  if (const toml::table* f = section(root, "failure", issues)) {
    TableReader r(*f, "[failure]", issues);
    std::string samples = to_string(config.limits.failure_samples);
    r.choice("samples", samples, {"headers", "full", "none"});
    config.limits.failure_samples = samples == "full"   ? FailureSamples::full
                                    : samples == "none" ? FailureSamples::none
                                                        : FailureSamples::headers;
    r.finish();
  }
  if (const toml::table* chk = section(root, "check", issues)) {
    TableReader r(*chk, "[check]", issues);
    r.string("ca_file", config.check.ca_file);
    r.integer("https_timeout", config.check.https_timeout, 1, 300);
    r.finish();
  }
  // In the order of the file, as an editor walks them.
  std::stable_sort(issues.begin(), issues.end(), [](const Issue& a, const Issue& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  return config;
}

Result<Config> load(const std::string& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::config, "cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::vector<Issue> issues;
  Config config = parse(text.str(), path, issues);
  if (!issues.empty()) {
    std::string message;
    for (const Issue& issue : issues) {
      if (!message.empty()) {
        message += "\n";
      }
      message += path;
      if (issue.line > 0) {
        message += ":" + std::to_string(issue.line) + ":" + std::to_string(issue.column);
      }
      message += ": " + issue.message;
    }
    return make_error(ErrorKind::config, message);
  }
  return config;
}

std::string find_default()
{
  std::vector<std::string> candidates{"/etc/dmarcctl/dmarcctl.toml"};
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    candidates.push_back(std::string(xdg) + "/dmarcctl/dmarcctl.toml");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    candidates.push_back(std::string(home) + "/.config/dmarcctl/dmarcctl.toml");
  }
  for (const std::string& c : candidates) {
    if (access(c.c_str(), F_OK) == 0) {
      return c;
    }
  }
  return {};
}

Result<std::string> read_password(const ImapAccount& account)
{
  return read_secret("account " + account.name, account.password_file, account.password_env);
}

Result<std::string> read_secret(const std::string& who, const std::string& password_file,
                                const std::string& password_env)
{
  if (!password_env.empty()) {
    const char* value = std::getenv(password_env.c_str());
    if (value == nullptr || *value == '\0') {
      return make_error(ErrorKind::config, who + ": environment variable " + password_env
                                             + " is not set");
    }
    return std::string(value);
  }
  struct stat st{};
  if (stat(password_file.c_str(), &st) != 0) {
    return make_error(ErrorKind::config, who + ": cannot read password_file "
                                           + password_file + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return make_error(ErrorKind::config,
                      who + ": password_file " + password_file + " is not a regular file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return make_error(ErrorKind::config,
                      who + ": password_file " + password_file
                        + " is readable by group or others; run chmod 600 on it");
  }
  std::ifstream in(password_file, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::config, who + ": cannot read password_file "
                                           + password_file + ": " + std::strerror(errno));
  }
  std::string password;
  std::getline(in, password);
  if (!password.empty() && password.back() == '\r') {
    password.pop_back();
  }
  if (password.empty()) {
    return make_error(ErrorKind::config,
                      who + ": password_file " + password_file + " is empty");
  }
  return password;
}

std::vector<std::string> known_keys()
{
  std::set<std::string> keys;
  t_key_recorder = &keys;
  std::vector<Issue> ignored;
  // The top level names the sections; then each section once as a table and once as an
  // array of tables ([[imap]]), so its reader runs whichever way it is read.
  parse("", "", ignored);
  std::vector<std::string> sections;
  for (const std::string& k : keys) {
    if (k.size() > 2 && k.front() == '[') {
      sections.push_back(k.substr(1, k.size() - 2));
    }
  }
  std::string as_tables;
  std::string as_arrays;
  for (const std::string& s : sections) {
    as_tables += "[" + s + "]\n";
    as_arrays += "[[" + s + "]]\n";
  }
  parse(as_tables, "", ignored);
  parse(as_arrays, "", ignored);
  t_key_recorder = nullptr;
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    if (k.front() != '[') {
      out.push_back(k);
    }
  }
  return out;
}

const char* to_string(AfterAction action)
{
  switch (action) {
  case AfterAction::move: return "move";
  case AfterAction::seen: return "seen";
  case AfterAction::remove: return "delete";
  case AfterAction::leave: return "leave";
  }
  return "move";
}

} // namespace dmarc::config
