// A throw-away Dovecot (Debian's dovecot-imapd) on 127.0.0.1 for the IMAP integration
// tests: its own directory, config, certificates, users and free ports; started by the
// constructor, stopped and removed by the destructor. See /work/shared/notes/
// dovecot-on-loopback.md for why each setting is there. When Dovecot is not installed or
// does not start, the constructor throws: the tests fail with that message, they never
// pass silently.
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace dmarc::test {

struct DovecotOptions
{
  char separator = '/';            // the namespace's hierarchy separator
  std::string capability;          // "" = Dovecot's own; else imap_capability = this
};

// The certificates of a test run, made once per process with the openssl CLI.
struct TestCertificates
{
  std::string ca_file;             // the CA that signed the server certificate
  std::string other_ca_file;       // an unrelated CA: "untrusted certificate"
  std::string cert_file;           // CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  std::string key_file;
};
const TestCertificates& test_certificates();

// A process started in the background (dmarcctl killed mid-fetch), stdout+stderr to a file.
class Background
{
public:
  Background(const std::vector<std::string>& argv, const std::string& output_file);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  pid_t pid() const { return m_pid; }
  bool running();
  void kill(int signal);
  // Waits for the end; the exit code, or -signal when killed.
  int wait();

private:
  pid_t m_pid = -1;
  bool m_done = false;
  int m_status = 0;
};

class Dovecot
{
public:
  explicit Dovecot(DovecotOptions options = {});
  ~Dovecot();
  Dovecot(const Dovecot&) = delete;
  Dovecot& operator=(const Dovecot&) = delete;

  const std::string& dir() const { return m_dir; }
  int imap_port() const { return m_imap_port; }
  int imaps_port() const { return m_imaps_port; }
  std::string imaps_url() const;   // imaps://127.0.0.1:PORT
  std::string imap_url() const;    // imap://127.0.0.1:PORT (STARTTLS)

  // Adds a user (passwords must not contain ':'); takes effect at once.
  void add_user(const std::string& user, const std::string& password);
  void create_mailbox(const std::string& user, const std::string& mailbox);
  // One message into a mailbox with `doveadm save` (about 30 ms each).
  void deliver(const std::string& user, const std::string& mailbox, const std::string& message);
  // Many messages into the user's INBOX by writing Maildir files (Dovecot picks them up).
  void deliver_to_maildir(const std::string& user, const std::vector<std::string>& messages);

  // "messages", "unseen", "uidvalidity" of a mailbox; -1 when it does not exist.
  long long status(const std::string& user, const std::string& mailbox, const std::string& field);
  std::vector<std::string> mailboxes(const std::string& user);
  // The whole log file.
  std::string log() const;

  // SIGSTOP / SIGCONT to every process of this instance (and no other).
  void pause();
  void resume();
  // SIGKILL to this instance's imap session processes: connections drop without a BYE.
  // Returns how many were killed.
  int kill_sessions();

private:
  std::string doveadm(const std::vector<std::string>& args, const std::string& input = {});
  std::vector<pid_t> processes() const;
  void write_passwd();
  void stop();

  std::string m_dir;
  std::string m_conf;
  int m_imap_port = 0;
  int m_imaps_port = 0;
  pid_t m_master = 0;
  std::unique_ptr<Background> m_process;   // dovecot -F, our child
  bool m_paused = false;
  std::vector<std::pair<std::string, std::string>> m_users;
  unsigned m_mail_uid = 0;
  unsigned m_mail_gid = 0;
  int m_delivered = 0;
};

} // namespace dmarc::test
