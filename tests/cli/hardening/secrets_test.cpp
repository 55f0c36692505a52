// Secrets: an IMAP password comes from password_file (refused when group or other may read
// it) or password_env, and never appears on the command line, in any output at any
// verbosity (-q, default, -v, -vv), in an error message, or in the database file. The
// database, its -wal and -shm files are created with mode 0600 whatever the umask.
// `fetch` (issue 4) is tested against a fake IMAP server that refuses every login (the
// password must reach it, and nothing else), and a user:password@ in the [gelf] url
// (issue 6) through `config check` and `forward`; both tests warn and pass while the command
// does not exist.
#include "hardening_support.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace dmarc::test;
using namespace dmarc::test::hardening;
namespace fs = std::filesystem;

namespace {

const std::string k_file_secret = "Fi1e-S3cret-pw-0b6f2c";   // in password_file
const std::string k_env_secret = "Env-S3cret-pw-9d41ae";     // in password_env

struct Setup
{
  TempDir dir;
  std::string config;
  std::string password_file;
  RunOptions env;

  explicit Setup(const std::string& imap_url = "imaps://mail.example.com:993")
  {
    password_file = dir / "dmarc.password";
    write_file(password_file, k_file_secret + "\n");
    chmod(password_file.c_str(), 0600);
    config = write_config(dir.path(),
                          "[[imap]]\nname = \"dmarc\"\nurl = \"" + imap_url + "\"\n"
                          "username = \"dmarc-reports@example.com\"\n"
                          "password_file = \"" + password_file + "\"\n"
                          "tls = \"" + (imap_url.rfind("imap://", 0) == 0 ? "none" : "required") + "\"\n"
                          "[[imap]]\nname = \"tls\"\nurl = \"" + imap_url + "\"\n"
                          "username = \"tls-reports@example.com\"\n"
                          "password_env = \"DMARCCTL_TEST_PASSWORD\"\n"
                          "tls = \"" + (imap_url.rfind("imap://", 0) == 0 ? "none" : "required") + "\"\n");
    env.env["DMARCCTL_TEST_PASSWORD"] = k_env_secret;
  }
};

void check_no_secret(const RunResult& r, const std::string& what)
{
  INFO(what << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  for (const std::string& secret : {k_file_secret, k_env_secret}) {
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.err.find(secret) == std::string::npos);
  }
}

void check_file_has_no_secret(const std::string& path)
{
  if (!fs::exists(path)) {
    return;
  }
  const std::string bytes = read_file(path);
  INFO(path);
  CHECK(bytes.find(k_file_secret) == std::string::npos);
  CHECK(bytes.find(k_env_secret) == std::string::npos);
}

// RFC 4648 base64 without line breaks.
std::string base64_plain(const std::string& bytes)
{
  std::string b = base64(bytes);
  b.erase(std::remove(b.begin(), b.end(), '\r'), b.end());
  b.erase(std::remove(b.begin(), b.end(), '\n'), b.end());
  return b;
}

// A fake IMAP server on 127.0.0.1 (no TLS) that offers AUTH=PLAIN and LOGIN, answers every
// login attempt with NO, and keeps what clients sent, so a test can see that the password
// really went over the wire while it never shows up in dmarcctl's output. Only what a login
// needs is spoken (RFC 9051 §6.1.1, §6.2.2, §6.2.3).
class RefusingImapServer
{
public:
  RefusingImapServer()
  {
    m_listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (bind(m_listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
        || listen(m_listener, 8) != 0
        || getsockname(m_listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("fake IMAP server: cannot listen");
    }
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~RefusingImapServer()
  {
    m_stop = true;
    m_thread.join();
    close(m_listener);
  }
  int port() const { return m_port; }
  std::string received()
  {
    const std::lock_guard<std::mutex> lock(m_mutex);
    return m_received;
  }

private:
  void serve()
  {
    while (!m_stop) {
      pollfd p{m_listener, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) {
        continue;
      }
      const int fd = accept(m_listener, nullptr, nullptr);
      if (fd >= 0) {
        session(fd);
        close(fd);
      }
    }
  }

  void send_text(int fd, const std::string& text) { (void)!write(fd, text.data(), text.size()); }

  // Reads one CRLF line (without it); false at the end of the connection or on stop.
  bool read_line(int fd, std::string& buffer, std::string& line)
  {
    for (;;) {
      const std::size_t crlf = buffer.find("\r\n");
      if (crlf != std::string::npos) {
        line = buffer.substr(0, crlf);
        buffer.erase(0, crlf + 2);
        return true;
      }
      pollfd p{fd, POLLIN, 0};
      if (m_stop || poll(&p, 1, 5000) <= 0) {
        return false;
      }
      char chunk[4096];
      const ssize_t n = read(fd, chunk, sizeof chunk);
      if (n <= 0) {
        return false;
      }
      buffer.append(chunk, static_cast<std::size_t>(n));
      const std::lock_guard<std::mutex> lock(m_mutex);
      m_received.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void session(int fd)
  {
    send_text(fd, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN] fake server ready\r\n");
    std::string buffer;
    std::string line;
    while (read_line(fd, buffer, line)) {
      const std::size_t space = line.find(' ');
      const std::string tag = line.substr(0, space);
      std::string command = space == std::string::npos ? "" : line.substr(space + 1);
      for (char& c : command) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (command.rfind("CAPABILITY", 0) == 0) {
        send_text(fd, "* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=LOGIN\r\n" + tag + " OK done\r\n");
      } else if (command.rfind("AUTHENTICATE", 0) == 0) {
        // Without an initial response the client waits for a continuation per SASL step.
        const bool initial = std::count(command.begin(), command.end(), ' ') >= 2;
        const int steps = initial ? 0 : command.find("LOGIN") != std::string::npos ? 2 : 1;
        std::string answer;
        for (int i = 0; i < steps; ++i) {
          send_text(fd, "+ \r\n");
          if (!read_line(fd, buffer, answer)) {
            return;
          }
        }
        send_text(fd, tag + " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
      } else if (command.rfind("LOGIN", 0) == 0) {
        send_text(fd, tag + " NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
      } else if (command.rfind("LOGOUT", 0) == 0) {
        send_text(fd, "* BYE\r\n" + tag + " OK bye\r\n");
        return;
      } else {
        send_text(fd, tag + " BAD not in this fake\r\n");
      }
    }
  }

  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::mutex m_mutex;
  std::string m_received;
  std::thread m_thread;
};

} // namespace

TEST_CASE("no command takes a password on the command line")
{
  const std::regex password_option(R"((^|\s)(-p\b|--[a-z-]*pass))");
  for (const char* name : {"import", "export", "summary", "db", "config", "fetch", "forward",
                           "run", "advise"}) {
    const RunResult help = dmarcctl({name, "--help"});
    INFO(name << " --help:\n" << help.out << help.err);
    REQUIRE(help.exit_code == 0);
    CHECK_FALSE(std::regex_search(help.out, password_option));
  }
  CHECK_FALSE(std::regex_search(dmarcctl({"--help"}).out, password_option));
  // A password given anyway is refused without being echoed (stderr goes to cron mail).
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--password", k_env_secret, "config", "check"},
        {"import", "--password=" + k_env_secret, "x.xml"},
        {"-p", k_env_secret, "summary"},
        {"--pass", k_env_secret}}) {
    const RunResult r = dmarcctl(args);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("passwords are not taken on the command line") != std::string::npos);
    check_no_secret(r, "a password on the command line");
  }
}

TEST_CASE("no password in any output at any verbosity, nor in the database")
{
  Setup s;
  const std::string db = s.dir / "secrets.sqlite";
  write_file(s.dir / "r.xml", report_xml("secrets.example.net", "secrets-1", 3));
  for (const std::string level : {"-q", "", "-v", "-vv"}) {
    std::vector<std::vector<std::string>> commands = {
      {"config", "check"},
      {"--db", db, "import", s.dir / "r.xml"},
      {"--db", db, "db", "check"},
      {"--db", db, "summary", "--as-of", "2023-11-20"},
      {"--db", db, "export", "--format", "jsonl"},
      {"--version"},
      {"--help"},
      {"no-such-command"},
      {"--db", s.dir / "absent/x.sqlite", "import", s.dir / "r.xml"},
    };
    for (auto args : commands) {
      args.insert(args.begin(), {"-c", s.config});
      if (!level.empty()) {
        args.insert(args.begin(), level);
      }
      std::string what;
      for (const auto& a : args) what += a + " ";
      check_no_secret(dmarcctl(args, s.env), what);
    }
  }
  const RunResult check = dmarcctl({"-c", s.config, "config", "check"}, s.env);
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("2 IMAP accounts") != std::string::npos);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    check_file_has_no_secret(db + suffix);
  }
  CHECK(scalar(db, "SELECT COUNT(*) FROM aggregate_reports") == 1);
}

TEST_CASE("a password_file readable by group or other is refused, without showing it")
{
  for (const mode_t mode : {0640, 0604, 0644, 0660, 0606}) {
    Setup s;
    chmod(s.password_file.c_str(), mode);
    const RunResult r = dmarcctl({"-c", s.config, "config", "check"}, s.env);
    INFO("mode " << std::oct << mode << "\n" << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(s.password_file + " is readable by group or others") != std::string::npos);
    // Named with the line of the password_file key, as config check names every mistake.
    CHECK(r.err.rfind(s.config + ":5:17: account dmarc: password_file " + s.password_file, 0) == 0);
    check_no_secret(r, "group/other readable password_file");
  }
  SECTION("and so are a missing file, a directory, an empty file and an unset variable")
  {
    Setup s;
    fs::remove(s.password_file);
    RunOptions no_env;
    no_env.unset_env = {"DMARCCTL_TEST_PASSWORD"};
    RunResult r = dmarcctl({"-c", s.config, "config", "check"}, no_env);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("cannot read password_file " + s.password_file) != std::string::npos);
    CHECK(r.err.find("DMARCCTL_TEST_PASSWORD is not set") != std::string::npos);
    fs::create_directory(s.password_file);
    r = dmarcctl({"-c", s.config, "config", "check"}, s.env);
    CHECK(r.err.find("is not a regular file") != std::string::npos);
    fs::remove(s.password_file);
    write_file(s.password_file, "");
    chmod(s.password_file.c_str(), 0600);
    r = dmarcctl({"-c", s.config, "config", "check"}, s.env);
    CHECK(r.err.find("is empty") != std::string::npos);
    CHECK(r.exit_code == 2);
  }
  SECTION("a password written into the file itself is refused, and not repeated")
  {
    TempDir dir;
    const std::string config = write_config(
      dir.path(), "[[imap]]\nurl = \"imaps://h:993\"\nusername = \"u\"\npassword = \"" +
                    k_file_secret + "\"\n");
    const RunResult r = dmarcctl({"-c", config, "config", "check"});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("a password in the configuration is not accepted") != std::string::npos);
    check_no_secret(r, "password key in the file");
  }
}

TEST_CASE("the database, -wal and -shm are created with mode 0600 whatever the umask")
{
  TempDir dir;
  fs::create_directories(dir / "in");
  for (int i = 0; i < 150; ++i) {
    write_file(dir / ("in/r" + std::to_string(i) + ".xml"),
               report_xml("mode.example.net", "mode-" + std::to_string(i), 200));
  }
  const std::string db = dir / "mode.sqlite";
  const mode_t old_umask = umask(0); // the child inherits it: nothing may rely on the umask
  Background import({"-q", "--db", db, "import", dir / "in"}, dir / "import.log");
  umask(old_umask);
  bool saw_wal = false;
  bool saw_shm = false;
  while (import.running()) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      struct stat st{};
      if (stat((db + suffix).c_str(), &st) == 0) {
        INFO(db + suffix);
        CHECK((st.st_mode & 0777) == 0600);
        saw_wal = saw_wal || std::string(suffix) == "-wal";
        saw_shm = saw_shm || std::string(suffix) == "-shm";
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK(import.wait() == 0);
  struct stat st{};
  REQUIRE(stat(db.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  // 150 reports of 200 records keep the connection (and so -wal and -shm) open for far longer
  // than the 2 ms poll: both were seen, so their modes above were checked.
  CHECK(saw_wal);
  CHECK(saw_shm);
}

TEST_CASE("fetch keeps the password out of its output and refuses a readable password_file",
          "[fetch]")
{
  // Nothing listens on port 1: the connection fails, and the error must not carry secrets.
  Setup s("imap://127.0.0.1:1");
  for (const std::string level : {"", "-v", "-vv"}) {
    std::vector<std::string> args{"-c", s.config, "--db", s.dir / "f.sqlite", "fetch"};
    if (!level.empty()) {
      args.insert(args.begin(), level);
    }
    const RunResult r = dmarcctl(args, s.env);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("127.0.0.1") != std::string::npos);
    check_no_secret(r, "fetch " + level);
  }
  chmod(s.password_file.c_str(), 0644);
  const RunResult r = dmarcctl({"-c", s.config, "--db", s.dir / "f.sqlite", "fetch"}, s.env);
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("readable by group or others") != std::string::npos);
  check_no_secret(r, "fetch with a readable password_file");
  for (const char* suffix : {"", "-wal", "-shm"}) {
    check_file_has_no_secret(s.dir / "f.sqlite" + suffix);
  }
}

TEST_CASE("fetch sends the password to the server and nowhere else, at any verbosity",
          "[fetch]")
{
  RefusingImapServer server;
  Setup s("imap://127.0.0.1:" + std::to_string(server.port()));
  const std::vector<std::string> forms = {
    k_file_secret, k_env_secret,
    // AUTH=PLAIN and AUTH=LOGIN carry it in base64 (RFC 4616, draft-murchison-sasl-login).
    base64_plain(std::string(1, '\0') + "dmarc-reports@example.com" + '\0' + k_file_secret),
    base64_plain(std::string(1, '\0') + "tls-reports@example.com" + '\0' + k_env_secret),
    base64_plain(k_file_secret), base64_plain(k_env_secret)};
  for (const std::string level : {"-q", "", "-v", "-vv"}) {
    std::vector<std::string> args{"-c", s.config, "--db", s.dir / "f.sqlite", "fetch"};
    if (!level.empty()) {
      args.insert(args.begin(), level);
    }
    const RunResult r = dmarcctl(args, s.env);
    INFO("fetch " << level << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.err.find("login") != std::string::npos);
    for (const std::string& form : forms) {
      CHECK(r.out.find(form) == std::string::npos);
      CHECK(r.err.find(form) == std::string::npos);
    }
  }
  // The login really happened: the server saw each password in one of its forms.
  const std::string wire = server.received();
  INFO("the server received:\n" << wire);
  const auto seen = [&](const std::string& secret, const std::string& user) {
    return wire.find(secret) != std::string::npos
           || wire.find(base64_plain(secret)) != std::string::npos
           || wire.find(base64_plain(std::string(1, '\0') + user + '\0' + secret))
                != std::string::npos;
  };
  CHECK(seen(k_file_secret, "dmarc-reports@example.com"));
  CHECK(seen(k_env_secret, "tls-reports@example.com"));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    check_file_has_no_secret(s.dir / "f.sqlite" + suffix);
  }
}

TEST_CASE("a password in the [gelf] url stays out of outputs and the database", "[gelf]")
{
  // Graylog's HTTP input behind a proxy with basic auth: http://user:password@host/gelf.
  const std::string secret = "Gelf-S3cret-pw-51c0de";
  TempDir dir;
  const std::string config =
    write_config(dir.path(), "[gelf]\nurl = \"http://graylog:" + secret + "@127.0.0.1:1/gelf\"\n");
  const RunResult check = dmarcctl({"-c", config, "config", "check"});
  INFO(check.out << check.err);
  CHECK(check.exit_code == 0);
  CHECK(check.out.find("GELF http://127.0.0.1:1/gelf") != std::string::npos);
  CHECK(check.out.find(secret) == std::string::npos);
  const std::string db = dir / "g.sqlite";
  write_file(dir / "r.xml", report_xml("gelf.example.net", "gelf-1", 2));
  REQUIRE(dmarcctl({"-c", config, "--db", db, "import", dir / "r.xml"}).exit_code == 0);
  for (const std::string level : {"", "-v", "-vv"}) {
    std::vector<std::string> args{"-c", config, "--db", db, "forward"};
    if (!level.empty()) {
      args.insert(args.begin(), level);
    }
    const RunResult r = dmarcctl(args);
    INFO("forward " << level << "\n" << r.out << r.err);
    CHECK(r.exit_code != 0); // nothing listens on port 1
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.err.find(secret) == std::string::npos);
    CHECK(r.err.find("127.0.0.1") != std::string::npos);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (fs::exists(db + suffix)) {
      INFO(db + suffix);
      CHECK(read_file(db + suffix).find(secret) == std::string::npos);
    }
  }
}
