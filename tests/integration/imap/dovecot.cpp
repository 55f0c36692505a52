#include "dovecot.hpp"

#include "support/process.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <grp.h>
#include <map>
#include <netinet/in.h>
#include <pwd.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace dmarc::test {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_dovecot = "/usr/sbin/dovecot";
constexpr const char* k_doveadm = "/usr/bin/doveadm";
constexpr const char* k_openssl = "/usr/bin/openssl";

void require_tools()
{
  for (const char* tool : {k_dovecot, k_doveadm, k_openssl}) {
    if (access(tool, X_OK) != 0) {
      throw std::runtime_error(std::string(tool) + " is missing: the IMAP integration tests need "
                               "Dovecot (package dovecot-imapd) and openssl; run "
                               "scripts/install-deps");
    }
  }
  if (geteuid() != 0) {
    throw std::runtime_error("the IMAP integration tests start Dovecot and must run as root");
  }
  for (const char* user : {"dovecot", "dovenull"}) {
    if (getpwnam(user) == nullptr) {
      throw std::runtime_error(std::string("system user ") + user + " is missing: reinstall "
                               "dovecot-core");
    }
  }
}

void must_run(const std::vector<std::string>& argv, const std::string& input = {})
{
  RunOptions options;
  options.stdin_data = input;
  const RunResult r = run(argv, options);
  if (r.exit_code != 0) {
    std::string command;
    for (const auto& a : argv) {
      command += a + " ";
    }
    throw std::runtime_error("failed (" + std::to_string(r.exit_code) + "): " + command + "\n"
                             + r.err + r.out);
  }
}

// A directory every Dovecot process may enter (mkdtemp makes 0700).
std::string make_dir(const char* prefix)
{
  std::string templ = std::string("/tmp/") + prefix + "XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  chmod(templ.c_str(), 0755);
  return templ;
}

// A port nobody listens on right now (bound to 0, read back, released).
int free_port()
{
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
      || getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool accepts(int port)
{
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// The parent pid and state of a process, from /proc.
bool proc_stat(pid_t pid, pid_t& parent, char& state)
{
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) {
    return false;
  }
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 4 > text.size()) {
    return false;
  }
  std::istringstream rest(text.substr(close + 2));
  long long ppid = 0;
  rest >> state >> ppid;
  parent = static_cast<pid_t>(ppid);
  return true;
}

struct CertificateDir
{
  std::string dir;
  TestCertificates files;
  ~CertificateDir()
  {
    std::error_code ec;
    if (!dir.empty()) {
      fs::remove_all(dir, ec);
    }
  }
};

} // namespace

const TestCertificates& test_certificates()
{
  static CertificateDir certs = [] {
    require_tools();
    CertificateDir c;
    c.dir = make_dir("dmcerts");
    const std::string d = c.dir + "/";
    const std::vector<std::string> ec_key = {"-newkey", "ec", "-pkeyopt",
                                             "ec_paramgen_curve:prime256v1", "-nodes"};
    auto req = [&](std::vector<std::string> args) {
      std::vector<std::string> argv = {k_openssl, "req"};
      argv.insert(argv.end(), ec_key.begin(), ec_key.end());
      argv.insert(argv.end(), args.begin(), args.end());
      must_run(argv);
    };
    req({"-x509", "-days", "3", "-subj", "/CN=dmarcctl test CA", "-keyout", d + "ca.key", "-out",
         d + "ca.pem"});
    req({"-x509", "-days", "3", "-subj", "/CN=unrelated test CA", "-keyout", d + "other.key",
         "-out", d + "other.pem"});
    req({"-subj", "/CN=localhost", "-keyout", d + "key.pem", "-out", d + "server.csr"});
    write_file(d + "ext.cnf", "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    must_run({k_openssl, "x509", "-req", "-in", d + "server.csr", "-CA", d + "ca.pem", "-CAkey",
              d + "ca.key", "-CAcreateserial", "-days", "3", "-extfile", d + "ext.cnf", "-out",
              d + "cert.pem"});
    c.files = {d + "ca.pem", d + "other.pem", d + "cert.pem", d + "key.pem"};
    return c;
  }();
  return certs.files;
}

Dovecot::Dovecot(DovecotOptions options)
{
  require_tools();
  const TestCertificates& certs = test_certificates();
  const passwd* mail_user = getpwnam("vmail");
  if (mail_user == nullptr) {
    mail_user = getpwnam("mail"); // Debian's base-passwd always has it
  }
  if (mail_user == nullptr) {
    throw std::runtime_error("no vmail or mail user to run the mail processes as");
  }
  m_mail_uid = mail_user->pw_uid;
  m_mail_gid = mail_user->pw_gid;
  const std::string mail_name = mail_user->pw_name;

  m_dir = make_dir("dc"); // short: unix socket paths are limited to ~100 bytes
  for (const char* sub : {"/run", "/state", "/mail"}) {
    fs::create_directories(m_dir + sub);
  }
  if (chown((m_dir + "/mail").c_str(), m_mail_uid, m_mail_gid) != 0) {
    throw std::runtime_error("chown of the mail directory failed");
  }
  write_passwd();
  m_imap_port = free_port();
  m_imaps_port = free_port();
  while (m_imaps_port == m_imap_port) {
    m_imaps_port = free_port();
  }
  const std::string uid = std::to_string(m_mail_uid);
  const std::string gid = std::to_string(m_mail_gid);
  std::string conf =
    "base_dir = " + m_dir + "/run\n"
    "state_dir = " + m_dir + "/state\n"
    "log_path = " + m_dir + "/dovecot.log\n"
    "listen = 127.0.0.1\n"
    "protocols = imap\n"
    "ssl = yes\n"
    "ssl_cert = <" + certs.cert_file + "\n"
    "ssl_key = <" + certs.key_file + "\n"
    "ssl_dh = </usr/share/dovecot/dh.pem\n"
    "auth_failure_delay = 0\n"
    "auth_mechanisms = plain login\n"
    "disable_plaintext_auth = no\n"
    "mail_uid = " + mail_name + "\n"
    "mail_gid = " + mail_name + "\n"
    "first_valid_uid = " + uid + "\nlast_valid_uid = " + uid + "\n"
    "first_valid_gid = " + gid + "\nlast_valid_gid = " + gid + "\n"
    "default_internal_user = dovecot\n"
    "default_login_user = dovenull\n"
    "mail_location = maildir:" + m_dir + "/mail/%u\n"
    "namespace inbox {\n  inbox = yes\n  separator = " + std::string(1, options.separator) + "\n}\n"
    "passdb {\n  driver = passwd-file\n  args = " + m_dir + "/passwd\n}\n"
    "userdb {\n  driver = passwd-file\n  args = " + m_dir + "/passwd\n}\n"
    "service imap-login {\n"
    "  inet_listener imap {\n    address = 127.0.0.1\n    port = " + std::to_string(m_imap_port) + "\n  }\n"
    "  inet_listener imaps {\n    address = 127.0.0.1\n    port = " + std::to_string(m_imaps_port)
    + "\n    ssl = yes\n  }\n}\n"
    "service stats {\n  unix_listener stats-writer {\n    mode = 0666\n  }\n}\n"
    // No growing delay after repeated wrong passwords from 127.0.0.1 (anvil's auth
    // penalty: 2, 4, 8, 15 s), so the wrong-password tests stay fast.
    "service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}\n";
  if (!options.capability.empty()) {
    conf += "protocol imap {\n  imap_capability = " + options.capability + "\n}\n";
  }
  m_conf = m_dir + "/dovecot.conf";
  write_file(m_conf, conf);

  // In the foreground (-F) as our own child: its pid is known and it is reaped properly.
  m_process = std::make_unique<Background>(std::vector<std::string>{k_dovecot, "-F", "-c", m_conf},
                                           m_dir + "/dovecot.out");
  m_master = m_process->pid();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!(accepts(m_imap_port) && accepts(m_imaps_port))) {
    if (std::chrono::steady_clock::now() > deadline || !m_process->running()) {
      std::string why = log();
      try {
        why += read_file(m_dir + "/dovecot.out");
      } catch (const std::exception&) {
      }
      stop();
      throw std::runtime_error("Dovecot did not start listening on 127.0.0.1:"
                               + std::to_string(m_imap_port) + "/" + std::to_string(m_imaps_port)
                               + "; its log:\n" + why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Dovecot::~Dovecot()
{
  try {
    stop();
  } catch (...) {
  }
  std::error_code ec;
  fs::remove_all(m_dir, ec);
}

void Dovecot::stop()
{
  if (m_master <= 1) {
    return;
  }
  if (m_paused) {
    resume();
  }
  m_process->kill(SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (m_process->running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (m_process->running()) {
    for (pid_t p : processes()) {
      ::kill(p, SIGKILL);
    }
  }
  m_process->wait();
  m_master = 0;
}

std::string Dovecot::imaps_url() const
{
  return "imaps://127.0.0.1:" + std::to_string(m_imaps_port);
}

std::string Dovecot::imap_url() const
{
  return "imap://127.0.0.1:" + std::to_string(m_imap_port);
}

void Dovecot::write_passwd()
{
  std::string text;
  for (const auto& [user, password] : m_users) {
    text += user + ":{PLAIN}" + password + "::::::\n";
  }
  const std::string path = m_dir + "/passwd";
  write_file(path, text);
  const group* dovecot = getgrnam("dovecot");
  if (dovecot == nullptr || chown(path.c_str(), 0, dovecot->gr_gid) != 0
      || chmod(path.c_str(), 0640) != 0) {
    throw std::runtime_error("cannot give the passwd file to group dovecot");
  }
}

void Dovecot::add_user(const std::string& user, const std::string& password)
{
  if (password.find(':') != std::string::npos) {
    throw std::runtime_error("passwd-file passwords cannot contain ':'");
  }
  m_users.emplace_back(user, password);
  write_passwd();
}

std::string Dovecot::doveadm(const std::vector<std::string>& args, const std::string& input)
{
  if (m_paused) {
    throw std::runtime_error("doveadm while Dovecot is paused would hang");
  }
  std::vector<std::string> argv = {k_doveadm, "-c", m_conf};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions options;
  options.stdin_data = input;
  const RunResult r = run(argv, options);
  if (r.exit_code != 0) {
    throw std::runtime_error("doveadm " + (args.empty() ? std::string() : args[0]) + " failed: "
                             + r.err);
  }
  return r.out;
}

void Dovecot::create_mailbox(const std::string& user, const std::string& mailbox)
{
  doveadm({"mailbox", "create", "-u", user, mailbox});
}

void Dovecot::deliver(const std::string& user, const std::string& mailbox, const std::string& message)
{
  doveadm({"save", "-u", user, "-m", mailbox}, message);
}

void Dovecot::deliver_to_maildir(const std::string& user, const std::vector<std::string>& messages)
{
  const std::string home = m_dir + "/mail/" + user;
  for (const char* sub : {"", "/cur", "/new", "/tmp"}) {
    const std::string d = home + sub;
    fs::create_directories(d);
    if (chown(d.c_str(), m_mail_uid, m_mail_gid) != 0) {
      throw std::runtime_error("chown " + d + " failed");
    }
  }
  for (const std::string& message : messages) {
    const std::string name = std::to_string(1700000000 + m_delivered) + ".M" + std::to_string(m_delivered)
                             + "P" + std::to_string(getpid()) + ".dmarctest";
    ++m_delivered;
    const std::string tmp = home + "/tmp/" + name;
    write_file(tmp, message);
    if (chown(tmp.c_str(), m_mail_uid, m_mail_gid) != 0) {
      throw std::runtime_error("chown " + tmp + " failed");
    }
    fs::rename(tmp, home + "/new/" + name);
  }
}

long long Dovecot::status(const std::string& user, const std::string& mailbox, const std::string& field)
{
  const auto all = mailboxes(user);
  if (std::find(all.begin(), all.end(), mailbox) == all.end()) {
    return -1;
  }
  const std::string out = doveadm({"mailbox", "status", "-u", user, field, mailbox});
  const auto eq = out.find(field + "=");
  if (eq == std::string::npos) {
    throw std::runtime_error("doveadm mailbox status said: " + out);
  }
  return std::atoll(out.c_str() + eq + field.size() + 1);
}

std::vector<std::string> Dovecot::mailboxes(const std::string& user)
{
  return lines(doveadm({"mailbox", "list", "-u", user}));
}

std::string Dovecot::log() const
{
  try {
    return read_file(m_dir + "/dovecot.log");
  } catch (const std::exception&) {
    return {};
  }
}

std::vector<pid_t> Dovecot::processes() const
{
  std::map<pid_t, std::vector<pid_t>> children;
  if (DIR* proc = opendir("/proc")) {
    while (const dirent* entry = readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') {
        continue;
      }
      pid_t parent = 0;
      char state = 0;
      if (proc_stat(static_cast<pid_t>(pid), parent, state)) {
        children[parent].push_back(static_cast<pid_t>(pid));
      }
    }
    closedir(proc);
  }
  std::vector<pid_t> tree;
  if (m_master > 1) {
    tree.push_back(m_master);
  }
  for (std::size_t i = 0; i < tree.size(); ++i) {
    for (pid_t child : children[tree[i]]) {
      tree.push_back(child);
    }
  }
  return tree;
}

void Dovecot::pause()
{
  for (pid_t p : processes()) {
    ::kill(p, SIGSTOP);
  }
  m_paused = true;
}

int Dovecot::kill_sessions()
{
  int killed = 0;
  for (pid_t p : processes()) {
    std::ifstream comm("/proc/" + std::to_string(p) + "/comm");
    std::string name;
    if (std::getline(comm, name) && name == "imap") {
      ::kill(p, SIGKILL);
      ++killed;
    }
  }
  return killed;
}

void Dovecot::resume()
{
  for (pid_t p : processes()) {
    ::kill(p, SIGCONT);
  }
  m_paused = false;
}

Background::Background(const std::vector<std::string>& argv, const std::string& output_file)
{
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (auto& a : args) {
    c_args.push_back(a.data());
  }
  c_args.push_back(nullptr);
  m_pid = fork();
  if (m_pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (m_pid == 0) {
    const int fd = open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int null = open("/dev/null", O_RDONLY);
    if (fd < 0 || null < 0) {
      _exit(127);
    }
    dup2(null, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(c_args[0], c_args.data());
    _exit(127);
  }
}

Background::~Background()
{
  if (!m_done && m_pid > 0) {
    ::kill(m_pid, SIGKILL);
    wait();
  }
}

bool Background::running()
{
  if (m_done) {
    return false;
  }
  const pid_t r = waitpid(m_pid, &m_status, WNOHANG);
  if (r == m_pid) {
    m_done = true;
  }
  return !m_done;
}

void Background::kill(int signal)
{
  if (!m_done) {
    ::kill(m_pid, signal);
  }
}

int Background::wait()
{
  if (!m_done) {
    while (waitpid(m_pid, &m_status, 0) < 0 && errno == EINTR) {
    }
    m_done = true;
  }
  if (WIFEXITED(m_status)) {
    return WEXITSTATUS(m_status);
  }
  return WIFSIGNALED(m_status) ? -WTERMSIG(m_status) : -1;
}

} // namespace dmarc::test
