#include "net/imap_client.hpp"

#include "net/imap_protocol.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <optional>
#include <poll.h>
#include <set>
#include <sys/socket.h>

namespace dmarc::net {

namespace {

ImapTrace g_trace = nullptr;

void trace(std::string_view line)
{
  if (g_trace != nullptr) {
    g_trace(line);
  }
}

void ensure_curl_global()
{
  static const bool initialised = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)initialised;
}

// Printable ASCII only, trimmed: curl's error buffer and server texts go into messages.
std::string printable(std::string_view text)
{
  std::string out;
  for (char c : text) {
    if (c >= 0x20 && c <= 0x7E) {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') {
    out.pop_back();
  }
  return out;
}

Error step_failed(const std::string& step, const std::string& detail)
{
  return make_error(ErrorKind::network, step + " failed: " + detail);
}

// A decimal number of at most 12 digits, or -1.
int64_t positive_number(std::string_view text)
{
  if (text.empty() || text.size() > 12) {
    return -1;
  }
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return -1;
    }
    n = n * 10 + (c - '0');
  }
  return n;
}

// Command words joined by spaces.
std::string words(std::initializer_list<std::string_view> parts)
{
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) {
      out.push_back(' ');
    }
    out.append(p);
  }
  return out;
}

// Splits UIDs into groups whose sequence set stays well under servers' line limits
// (Dovecot: 64 KiB per command line).
std::vector<std::vector<int64_t>> uid_groups(std::vector<int64_t> uids)
{
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  std::vector<std::vector<int64_t>> groups;
  std::size_t length = 0;
  for (int64_t uid : uids) {
    if (groups.empty() || length > 8000) {
      groups.emplace_back();
      length = 0;
    }
    groups.back().push_back(uid);
    length += std::to_string(uid).size() + 1;
  }
  return groups;
}

class CurlImapSession final : public ImapSession
{
public:
  CurlImapSession(CURL* curl, curl_socket_t socket, const ImapSettings& settings)
    : m_curl(curl), m_socket(socket), m_timeout_seconds(settings.timeout),
      m_reader(settings.max_message_bytes + (1u << 20))
  {
  }

  ~CurlImapSession() override
  {
    // curl would send its own LOGOUT on cleanup and wait for the answer; a server that
    // stopped answering would hold us for another timeout. The session is over either way.
    if (m_socket != CURL_SOCKET_BAD) {
      shutdown(m_socket, SHUT_RDWR);
    }
    curl_easy_cleanup(m_curl);
  }

  CurlImapSession(const CurlImapSession&) = delete;
  CurlImapSession& operator=(const CurlImapSession&) = delete;

  Result<void> init()
  {
    auto tag = send("CAPABILITY", "capability");
    if (!tag) {
      return tag.error();
    }
    auto done = complete(*tag, "capability", nullptr);
    if (!done) {
      return done.error();
    }
    if (done->status != "OK") {
      return step_failed("capability", done->status + " " + done->text.text);
    }
    return {};
  }

  bool has_capability(std::string_view capability) const override
  {
    return m_capabilities.count(std::string(capability)) != 0;
  }

  bool broken() const override { return m_broken.has_value(); }

  Result<bool> mailbox_exists(const std::string& name) override
  {
    const std::string step = "list " + imap::quote(name);
    auto encoded = server_name(name);
    if (!encoded) {
      return encoded.error();
    }
    bool exists = false;
    auto done = command(words({"LIST", "\"\"", imap::quote(*encoded)}), step,
                        [&](const std::string&, const imap::ResponseLine& line) -> Result<void> {
                          if (line.keyword != "LIST") {
                            return {};
                          }
                          auto entry = imap::parse_list(line.rest);
                          if (!entry) {
                            return entry.error();
                          }
                          const bool same = entry->name == *encoded
                                            || (is_inbox(entry->name) && is_inbox(*encoded));
                          const bool selectable =
                            std::find_if(entry->flags.begin(), entry->flags.end(),
                                         [](const std::string& f) {
                                           return f == "\\NOSELECT" || f == "\\NONEXISTENT";
                                         })
                            == entry->flags.end();
                          exists = exists || (same && selectable);
                          return {};
                        });
    if (!done) {
      return done.error();
    }
    return exists;
  }

  Result<std::vector<std::string>> list_mailboxes() override
  {
    std::vector<std::string> names;
    auto done = command(words({"LIST", "\"\"", "\"*\""}), "list mailboxes",
                        [&](const std::string&, const imap::ResponseLine& line) -> Result<void> {
                          if (line.keyword != "LIST") {
                            return {};
                          }
                          auto entry = imap::parse_list(line.rest);
                          if (!entry) {
                            return {};
                          }
                          for (const std::string& f : entry->flags) {
                            if (f == "\\NOSELECT" || f == "\\NONEXISTENT") {
                              return {};
                            }
                          }
                          auto name = imap::decode_mailbox(entry->name);
                          std::string text = name ? *name : entry->name;
                          if (entry->delimiter && *entry->delimiter != '/') {
                            std::replace(text.begin(), text.end(), *entry->delimiter, '/');
                          }
                          names.push_back(std::move(text));
                          return {};
                        });
    if (!done) {
      return done.error();
    }
    return names;
  }

  Result<void> create_mailbox(const std::string& name) override
  {
    const std::string step = "create " + imap::quote(name);
    auto encoded = server_name(name);
    if (!encoded) {
      return encoded.error();
    }
    auto tag = send(words({"CREATE", imap::quote(*encoded)}), step);
    if (!tag) {
      return tag.error();
    }
    auto done = complete(*tag, step, nullptr);
    if (!done) {
      return done.error();
    }
    if (done->status != "OK" && done->text.code != "ALREADYEXISTS") {
      return step_failed(step, done->status + " " + done->text.text);
    }
    return {};
  }

  Result<SelectedMailbox> select(const std::string& name, bool read_only) override
  {
    const std::string step = std::string(read_only ? "examine " : "select ") + imap::quote(name);
    auto encoded = server_name(name);
    if (!encoded) {
      return encoded.error();
    }
    SelectedMailbox mailbox;
    bool have_uidvalidity = false;
    auto tag = send(words({read_only ? "EXAMINE" : "SELECT", imap::quote(*encoded)}), step);
    if (!tag) {
      return tag.error();
    }
    auto done = complete(*tag, step, [&](const std::string&, const imap::ResponseLine& line) -> Result<void> {
      if (line.keyword == "EXISTS" && line.number) {
        mailbox.exists = *line.number;
      } else if (line.keyword == "OK") {
        const imap::StatusText status = imap::parse_status_text(line.rest);
        const int64_t number = positive_number(status.code_args);
        if (status.code == "UIDVALIDITY" && number > 0) {
          mailbox.uidvalidity = number;
          have_uidvalidity = true;
        } else if (status.code == "UIDNEXT" && number > 0) {
          mailbox.uidnext = number;
        }
      }
      return {};
    });
    if (!done) {
      return done.error();
    }
    if (done->status != "OK") {
      return step_failed(step, done->status + " " + done->text.text);
    }
    if (!have_uidvalidity) {
      return fail_connection(step, "the server sent no UIDVALIDITY");
    }
    mailbox.read_only = done->text.code == "READ-ONLY";
    return mailbox;
  }

  Result<std::vector<UidSize>> list_from(int64_t first_uid) override
  {
    const std::string step = "fetch (message list)";
    std::vector<UidSize> out;
    const std::string range = std::to_string(std::max<int64_t>(first_uid, 1)) + ":*";
    auto done = command(words({"UID FETCH", range, "(UID RFC822.SIZE)"}), step,
                        [&](const std::string&, const imap::ResponseLine& line) -> Result<void> {
                          if (line.keyword != "FETCH") {
                            return {};
                          }
                          auto data = imap::parse_fetch(line.rest);
                          if (!data) {
                            return data.error();
                          }
                          if (data->uid && *data->uid >= first_uid) {
                            out.push_back({*data->uid, data->size.value_or(0)});
                          }
                          return {};
                        });
    if (!done) {
      return done.error();
    }
    std::sort(out.begin(), out.end(), [](const UidSize& a, const UidSize& b) { return a.uid < b.uid; });
    out.erase(std::unique(out.begin(), out.end(),
                          [](const UidSize& a, const UidSize& b) { return a.uid == b.uid; }),
              out.end());
    return out;
  }

  Result<void> begin_fetch(const std::vector<int64_t>& uids) override
  {
    const std::string set = imap::uid_set(uids);
    if (set.empty()) {
      return make_error(ErrorKind::internal, "begin_fetch without UIDs");
    }
    auto tag = send(words({"UID FETCH", set, "(UID RFC822.SIZE BODY.PEEK[])"}), "fetch");
    if (!tag) {
      return tag.error();
    }
    m_fetch_tag = *tag;
    return {};
  }

  Result<bool> next_fetched(FetchedMessage& message) override
  {
    const std::string step = "fetch";
    if (m_broken) {
      return *m_broken;
    }
    if (m_fetch_tag.empty()) {
      return false;
    }
    std::string raw;
    for (;;) {
      if (auto r = read_response(raw, step); !r) {
        return r.error();
      }
      const imap::ResponseLine line = imap::classify(raw);
      if (line.kind == imap::ResponseLine::Kind::tagged) {
        if (line.tag != m_fetch_tag) {
          return fail_connection(step, "unexpected response to another command");
        }
        m_fetch_tag.clear();
        const imap::StatusText text = imap::parse_status_text(line.rest);
        trace("S: " + line.tag + " " + line.keyword + " " + text.text);
        if (line.keyword != "OK") {
          return step_failed(step, line.keyword + " " + text.text);
        }
        return false;
      }
      if (auto r = untagged(line, step); !r) {
        return r.error();
      }
      if (line.kind != imap::ResponseLine::Kind::untagged || line.keyword != "FETCH") {
        continue;
      }
      auto data = imap::parse_fetch(line.rest);
      if (!data) {
        return fail_connection(step, data.error().detail);
      }
      if (!data->uid || !data->has_body) {
        continue; // e.g. an unsolicited flag update
      }
      message.uid = *data->uid;
      message.body.assign(data->body);
      return true;
    }
  }

  Result<void> move(const std::vector<int64_t>& uids, const std::string& target) override
  {
    const std::string step = "move to " + imap::quote(target);
    auto encoded = server_name(target);
    if (!encoded) {
      return encoded.error();
    }
    const bool has_move = has_capability("MOVE");
    for (const auto& group : uid_groups(uids)) {
      const std::string set = imap::uid_set(group);
      if (has_move) {
        if (auto r = simple(words({"UID MOVE", set, imap::quote(*encoded)}), step); !r) {
          return r;
        }
        continue;
      }
      if (auto r = simple(words({"UID COPY", set, imap::quote(*encoded)}), step); !r) {
        return r;
      }
      if (auto r = expunge_group(group, step); !r) {
        return r;
      }
    }
    return {};
  }

  Result<void> add_flag(const std::vector<int64_t>& uids, std::string_view flag) override
  {
    const std::string step = "store " + std::string(flag);
    const std::string flags = "(" + std::string(flag) + ")";
    for (const auto& group : uid_groups(uids)) {
      if (auto r = simple(words({"UID STORE", imap::uid_set(group), "+FLAGS.SILENT", flags}), step); !r) {
        return r;
      }
    }
    return {};
  }

  Result<void> remove(const std::vector<int64_t>& uids) override
  {
    for (const auto& group : uid_groups(uids)) {
      if (auto r = expunge_group(group, "delete"); !r) {
        return r;
      }
    }
    return {};
  }

  Result<void> logout() override
  {
    if (m_broken || m_logged_out) {
      return {};
    }
    auto tag = send("LOGOUT", "logout");
    if (!tag) {
      return tag.error();
    }
    auto done = complete(*tag, "logout", nullptr);
    m_logged_out = true;
    if (!done) {
      return done.error();
    }
    return {};
  }

private:
  struct Completion
  {
    std::string status;             // OK, NO, BAD
    imap::StatusText text;
  };
  using Untagged = std::function<Result<void>(const std::string&, const imap::ResponseLine&)>;

  // INBOX is case-insensitive (RFC 3501 §5.1).
  static bool is_inbox(const std::string& name)
  {
    static constexpr std::string_view k_inbox = "INBOX";
    return name.size() == k_inbox.size()
           && std::equal(name.begin(), name.end(), k_inbox.begin(), [](char a, char b) {
                return (a >= 'a' && a <= 'z' ? static_cast<char>(a - 32) : a) == b;
              });
  }

  // The name as the server knows it: '/' replaced by its delimiter, modified UTF-7.
  Result<std::string> server_name(const std::string& name)
  {
    if (!m_delimiter_known) {
      auto done = command(words({"LIST", "\"\"", "\"\""}), "list (hierarchy delimiter)",
                          [&](const std::string&, const imap::ResponseLine& line) -> Result<void> {
                            if (line.keyword == "LIST") {
                              if (auto entry = imap::parse_list(line.rest)) {
                                m_delimiter = entry->delimiter.value_or('\0');
                              }
                            }
                            return {};
                          });
      if (!done) {
        return done.error();
      }
      m_delimiter_known = true;
    }
    std::string translated = name;
    if (m_delimiter != '\0' && m_delimiter != '/') {
      std::replace(translated.begin(), translated.end(), '/', m_delimiter);
    }
    auto encoded = imap::encode_mailbox(translated);
    if (!encoded) {
      return make_error(ErrorKind::config, "mailbox " + imap::quote(name) + ": "
                                             + encoded.error().detail);
    }
    return encoded;
  }

  Error fail_connection(const std::string& step, const std::string& detail)
  {
    std::string text = detail;
    if (!m_bye.empty()) {
      text += " (the server said: BYE " + m_bye + ")";
    }
    m_broken = step_failed(step, text);
    return *m_broken;
  }

  // Sends "TAG command"; returns the tag.
  Result<std::string> send(const std::string& command_text, const std::string& step)
  {
    if (m_broken) {
      return *m_broken;
    }
    if (m_logged_out) {
      return make_error(ErrorKind::internal, step + ": the session is closed");
    }
    if (!m_fetch_tag.empty()) {
      return make_error(ErrorKind::internal, step + ": a FETCH is still being read");
    }
    std::string tag = "d" + std::to_string(++m_tag);
    trace("C: " + tag + " " + command_text);
    std::string line = tag;
    line.push_back(' ');
    line += command_text;
    line += "\r\n";
    if (auto r = write_all(line, step); !r) {
      return r.error();
    }
    return tag;
  }

  Result<void> write_all(std::string_view data, const std::string& step)
  {
    while (!data.empty()) {
      std::size_t sent = 0;
      const CURLcode rc = curl_easy_send(m_curl, data.data(), data.size(), &sent);
      if (rc == CURLE_OK) {
        data.remove_prefix(sent);
        continue;
      }
      if (rc != CURLE_AGAIN) {
        return fail_connection(step, std::string("connection lost: ") + curl_easy_strerror(rc));
      }
      if (auto r = wait(POLLOUT, step); !r) {
        return r;
      }
    }
    return {};
  }

  Result<void> wait(short events, const std::string& step)
  {
    pollfd fd{m_socket, events, 0};
    for (;;) {
      const int n = poll(&fd, 1, m_timeout_seconds * 1000);
      if (n > 0) {
        return {};
      }
      if (n == 0) {
        return fail_connection(step, "timed out: no answer from the server for "
                                       + std::to_string(m_timeout_seconds) + " s");
      }
      if (errno != EINTR) {
        return fail_connection(step, "poll failed");
      }
    }
  }

  Result<void> read_response(std::string& raw, const std::string& step)
  {
    for (;;) {
      auto ready = m_reader.next(raw);
      if (!ready) {
        return fail_connection(step, ready.error().detail);
      }
      if (*ready) {
        return {};
      }
      char buffer[1 << 16];
      std::size_t received = 0;
      const CURLcode rc = curl_easy_recv(m_curl, buffer, sizeof buffer, &received);
      if (rc == CURLE_OK) {
        if (received == 0) {
          return fail_connection(step, "the server closed the connection");
        }
        m_reader.feed(std::string_view(buffer, received));
        continue;
      }
      if (rc != CURLE_AGAIN) {
        return fail_connection(step, std::string("connection lost: ") + curl_easy_strerror(rc));
      }
      if (auto r = wait(POLLIN, step); !r) {
        return r;
      }
    }
  }

  // What every untagged response may carry that the session itself tracks.
  Result<void> untagged(const imap::ResponseLine& line, const std::string& step)
  {
    if (line.kind == imap::ResponseLine::Kind::continuation) {
      return fail_connection(step, "unexpected continuation request");
    }
    if (line.keyword == "BYE") {
      m_bye = imap::parse_status_text(line.rest).text;
    } else if (line.keyword == "CAPABILITY") {
      m_capabilities.clear();
      for (std::string& c : imap::parse_capabilities(line.rest)) {
        m_capabilities.insert(std::move(c));
      }
    }
    return {};
  }

  // Reads responses up to the tagged completion of `tag`.
  Result<Completion> complete(const std::string& tag, const std::string& step, const Untagged& on_untagged)
  {
    std::string raw;
    for (;;) {
      if (auto r = read_response(raw, step); !r) {
        return r.error();
      }
      const imap::ResponseLine line = imap::classify(raw);
      if (line.kind == imap::ResponseLine::Kind::tagged) {
        if (line.tag != tag) {
          return fail_connection(step, "unexpected response to another command");
        }
        Completion c{line.keyword, imap::parse_status_text(line.rest)};
        trace("S: " + tag + " " + c.status + " " + c.text.text);
        if (c.text.code == "CAPABILITY") {
          m_capabilities.clear();
          for (std::string& cap : imap::parse_capabilities(c.text.code_args)) {
            m_capabilities.insert(std::move(cap));
          }
        }
        return c;
      }
      if (auto r = untagged(line, step); !r) {
        return r.error();
      }
      if (on_untagged) {
        if (auto r = on_untagged(raw, line); !r) {
          return fail_connection(step, r.error().detail);
        }
      }
    }
  }

  // A command whose NO/BAD answer is an error (the session stays usable).
  Result<Completion> command(const std::string& command_text, const std::string& step,
                             const Untagged& on_untagged)
  {
    auto tag = send(command_text, step);
    if (!tag) {
      return tag.error();
    }
    auto done = complete(*tag, step, on_untagged);
    if (!done) {
      return done.error();
    }
    if (done->status != "OK") {
      return step_failed(step, done->status + " " + done->text.text);
    }
    return done;
  }

  Result<void> simple(const std::string& command_text, const std::string& step)
  {
    auto done = command(command_text, step, nullptr);
    if (!done) {
      return done.error();
    }
    return {};
  }

  Result<void> expunge_group(const std::vector<int64_t>& group, const std::string& step)
  {
    const std::string set = imap::uid_set(group);
    if (auto r = simple(words({"UID STORE", set, "+FLAGS.SILENT (\\Deleted)"}), step); !r) {
      return r;
    }
    // Without UIDPLUS only a plain EXPUNGE exists; it also removes messages someone else
    // marked \Deleted in this (dedicated report) mailbox.
    return simple(has_capability("UIDPLUS") ? words({"UID EXPUNGE", set}) : std::string("EXPUNGE"), step);
  }

  CURL* m_curl;
  curl_socket_t m_socket;
  int m_timeout_seconds;
  imap::ResponseReader m_reader;
  std::set<std::string> m_capabilities;
  std::optional<Error> m_broken;
  std::string m_bye;
  std::string m_fetch_tag;
  int m_tag = 0;
  bool m_delimiter_known = false;
  char m_delimiter = '/';
  bool m_logged_out = false;
};

// The error of a failed connect/login, naming the step; never carries the password.
Error connect_error(CURLcode rc, const char* buffer, int connect_timeout, const imap::ImapUrl& url)
{
  const std::string detail = printable(buffer[0] != '\0' ? buffer : curl_easy_strerror(rc));
  const std::string endpoint = imap::endpoint_label(url);
  // OpenSSL's words for "the other side does not speak TLS": imaps:// on a plain port.
  if (url.implicit_tls
      && (detail.find("wrong version number") != std::string::npos
          || detail.find("packet length too long") != std::string::npos
          || detail.find("unknown protocol") != std::string::npos)) {
    return step_failed("TLS", "the server at " + endpoint + " does not speak TLS at once: "
                                "imaps:// on a plain IMAP port? Use imap://" + url.host
                                + ":143 (STARTTLS) or imaps://" + url.host + ":993 (" + detail
                                + ")");
  }
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
    return step_failed("connect", detail);
  case CURLE_OPERATION_TIMEDOUT:
    return make_error(ErrorKind::network, "connect/login timed out (connect_timeout "
                                            + std::to_string(connect_timeout) + " s): " + detail
                                            + (url.implicit_tls ? ""
                                                                : "; if " + endpoint
                                                                    + " expects TLS at once, use "
                                                                      "imaps://"));
  case CURLE_PEER_FAILED_VERIFICATION:
    return step_failed("TLS", "the server certificate is not trusted: " + detail
                                + "; if the server uses a private CA or a self-signed "
                                  "certificate, set ca_file in its [[imap]] block to that "
                                  "certificate (PEM)");
  case CURLE_SSL_CACERT_BADFILE:
    return step_failed("TLS", "cannot use ca_file: " + detail);
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
    return step_failed("TLS", detail);
  case CURLE_USE_SSL_FAILED:
    return step_failed("STARTTLS", "the server does not offer STARTTLS; not logging in without TLS");
  case CURLE_LOGIN_DENIED:
    return step_failed("login", "the server rejected the user name or password");
  case CURLE_GOT_NOTHING:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_WEIRD_SERVER_REPLY:
    return step_failed("connect", "the connection dropped before the login completed: " + detail);
  default:
    return step_failed("connect", detail);
  }
}

} // namespace

void set_imap_trace(ImapTrace trace_function)
{
  g_trace = trace_function;
}

Result<std::unique_ptr<ImapSession>> connect_imap(const ImapSettings& settings)
{
  auto url = imap::parse_url(settings.url);
  if (!url) {
    return url.error();
  }
  // The well-known ports tell the mistake at once, without waiting for a timeout:
  // 993 speaks TLS from the first byte (RFC 8314), 143 starts in plain text.
  if (!url->implicit_tls && url->port == 993) {
    return make_error(ErrorKind::config, "imap://" + imap::endpoint_label(*url)
                                           + ": port 993 expects TLS at once (IMAPS); use imaps://"
                                           + imap::endpoint_label(*url)
                                           + ", or imap://" + url->host + ":143 for STARTTLS");
  }
  if (url->implicit_tls && url->port == 143) {
    return make_error(ErrorKind::config, "imaps://" + imap::endpoint_label(*url)
                                           + ": port 143 starts in plain text (STARTTLS); use "
                                             "imap://" + imap::endpoint_label(*url)
                                           + ", or imaps://" + url->host + ":993");
  }
  if (!settings.require_tls && !imap::is_loopback(url->host)) {
    return make_error(ErrorKind::config, "tls = \"none\" is only allowed for a loopback server "
                                         "(127.0.0.1, ::1, localhost)");
  }
  ensure_curl_global();
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return make_error(ErrorKind::internal, "curl_easy_init failed");
  }
  const bool v6 = url->host.find(':') != std::string::npos;
  const std::string curl_url = std::string(url->implicit_tls ? "imaps://" : "imap://")
                               + (v6 ? "[" + url->host + "]" : url->host) + ":"
                               + std::to_string(url->port) + "/";
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, curl_url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  curl_easy_setopt(curl, CURLOPT_USERNAME, settings.username.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, settings.password.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 0L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   static_cast<long>(settings.require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!settings.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, settings.ca_file.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>(settings.timeout));
  // Bounds the whole connect + TLS + login; the session's own reads have their timeout.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT,
                   static_cast<long>(settings.connect_timeout + settings.timeout));

  const CURLcode rc = curl_easy_perform(curl);
  // curl keeps its own copy of the credentials; drop the pointer to ours.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (rc != CURLE_OK) {
    Error e = connect_error(rc, error_buffer, settings.connect_timeout, *url);
    e.detail = imap::redact(e.detail, settings.password);
    curl_easy_cleanup(curl);
    return e;
  }
  curl_socket_t socket = CURL_SOCKET_BAD;
  if (curl_easy_getinfo(curl, CURLINFO_ACTIVESOCKET, &socket) != CURLE_OK
      || socket == CURL_SOCKET_BAD) {
    curl_easy_cleanup(curl);
    return step_failed("connect", "no connection after login");
  }
  auto session = std::make_unique<CurlImapSession>(curl, socket, settings);
  if (auto r = session->init(); !r) {
    return r.error();
  }
  return std::unique_ptr<ImapSession>(std::move(session));
}

} // namespace dmarc::net
