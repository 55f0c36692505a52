// The configuration file (TOML, toml++ lives in this module only).
//
// Why a module of its own: fetch (IMAP accounts), advise (thresholds, authorized senders),
// output (GELF) and the caps all read it, and `dmarcctl config check` must name the line of
// every mistake: unknown keys (with a "did you mean"), wrong types, bad values. A password
// is never part of the file: only password_file (refused when group/other can read it) or
// password_env.
#pragma once

#include "core/limits.hpp"
#include "core/result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmarc::config {

enum class AfterAction { move, seen, remove, leave };   // after = "move|seen|delete|leave"
enum class TlsMode { required, none };                  // tls = "none" only for loopback tests

struct ImapAccount
{
  std::string name;                  // unique, used in messages.account and logs
  std::string url;                   // imaps://host:993 or imap://host:143 (STARTTLS)
  std::string username;
  std::string password_file;         // one of password_file / password_env
  std::string password_env;
  int password_line = 0;             // where password_file / password_env is set (config check)
  int password_column = 0;
  std::string ca_file;               // optional extra trust anchor
  TlsMode tls = TlsMode::required;
  std::vector<std::string> mailboxes{"INBOX"};
  AfterAction after = AfterAction::move;
  std::string archive = "Archive";   // target of after = "move"
  std::string invalid = "Invalid";   // target for non-reports; "" leaves them
  int batch = 200;                   // messages per FETCH
  int connect_timeout = 30;          // seconds
  int timeout = 120;                 // seconds without progress before giving up
};

struct AdvisorSettings
{
  int window_days = 28;
  int min_days = 14;                       // days of reports before any advance
  int min_reporters = 2;                   // reporting organizations
  double quarantine_pass_share = 0.98;     // none → quarantine: authorized DMARC pass
  double source_min_pass_share = 0.95;     //   and no authorized source below this
  int quarantine_min_days = 14;            // full quarantine published this long before reject
  double reject_pass_share = 0.995;        // quarantine → reject: authorized DMARC pass
  int new_source_days = 14;                // a source first seen this recently must not fail
  double spf_pass_share = 0.995;           // ~all → -all: SPF pass of every authorized source
  int mta_sts_min_days = 14;
  int mta_sts_min_reporters = 2;
  double mta_sts_max_failure_share = 0.001;
  int mta_sts_clean_days = 7;              // no certificate/validation/fetch failures in these
};

struct DomainSettings
{
  std::string name;
  std::vector<std::string> authorized_ips;          // CIDR ranges, IPv4 and IPv6
  std::vector<std::string> authorized_ptr_domains;  // base domains of forward-confirmed PTR names
  std::vector<std::string> authorized_orgs;         // sender-map organisations ("MXroute"), confirmed names only
  std::vector<std::string> spf_includes;            // SPF include domains of the relays
  std::vector<std::string> dkim_selectors;          // selectors that must be seen passing
  std::vector<std::string> dkim_domains;            // DKIM d= domains that count as authorized
  std::vector<std::string> ignore_dkim_domains;     // DKIM d= domains known not to send for you
  std::string rua;                                  // rua= of the DNS record to suggest
};

// One [enrich] names entry: "mxroute.com" = ["MXroute", "Relay"].
struct SenderName
{
  std::string domain;
  std::string name;
  std::string type;
};

// [enrich]: who sends (docs/enrichment.md).
struct EnrichSettings
{
  bool rdns = true;                        // false: no DNS at all
  std::vector<std::string> dns_servers;    // IP, IP:port, [v6]:port; empty = /etc/resolv.conf
  int timeout_ms = 2000;                   // per query (per try)
  int retries = 2;
  int concurrency = 64;                    // queries in flight
  int cache_days = 7;                      // an answer is kept at most this long (and its TTL)
  std::string asn_db;                      // MaxMind-format ASN database (optional)
  std::string country_db;                  // MaxMind-format Country/City database (optional)
  std::vector<SenderName> names;           // extend / override the shipped sender map
};

struct GelfSettings
{
  std::string url;                   // udp://host:port, tcp://host:port, http(s)://host:port/gelf
  std::string compress = "zlib";     // udp only: zlib | gzip | none
  std::string host;                  // GELF "host" field; "" = the machine's hostname
  std::string ca_file;               // https only
  int timeout = 10;                  // seconds
};

struct Config
{
  std::string path;                  // where it was read from ("" for defaults)
  std::string database_path;         // [database] path; "" = not set
  std::string lock_file;             // [database] lock_file; "" = <database>.lock
  std::vector<ImapAccount> imap;
  AdvisorSettings advisor;
  std::vector<DomainSettings> domains;
  std::optional<GelfSettings> gelf;
  EnrichSettings enrich;             // [enrich]
  Limits limits;                     // [limits]
};

struct Issue
{
  int line = 0;                      // 1-based; 0 when not tied to a line
  int column = 0;
  std::string message;
};

// Parses `text` (named `path` in messages). Every problem found is in `issues`; the
// returned Config holds the valid parts (defaults elsewhere).
Config parse(const std::string& text, const std::string& path, std::vector<Issue>& issues);

// Reads and parses `path`. Error (kind config): unreadable, or the issues as
// "PATH:LINE:COL: message" lines.
Result<Config> load(const std::string& path);

// The default locations, in order: /etc/dmarcctl/dmarcctl.toml,
// $XDG_CONFIG_HOME or ~/.config/dmarcctl/dmarcctl.toml. "" when none exists.
std::string find_default();

// Reads the account's password from password_file (refused when group or other may read
// it, or it is not a regular file) or password_env. The error never contains the password.
Result<std::string> read_password(const ImapAccount& account);

// "move", "seen", "delete", "leave".
const char* to_string(AfterAction action);

} // namespace dmarc::config
