// Test support for the hardening tests (tests/cli/hardening): inputs built at run time —
// reports, mails, gzip and zip archives, bombs — so no large or hostile file is committed.
// zlib is used here directly (tests are not a module; src/ keeps it to src/decompress).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dmarc::test::hardening {

// A DMARC aggregate report with `records` records (source 192.0.2.x, count i for record i).
// `org` and `report_id` name it; `extra` is inserted verbatim into the first record's <row>
// (after <count>), for nesting or junk.
std::string report_xml(const std::string& org, const std::string& report_id, int records,
                       const std::string& extra = "");

// A TLS-RPT JSON report with one policy and `failures` failure details.
std::string tls_json(const std::string& report_id, int failures, const std::string& extra = "");

// A mail carrying `attachment` (already encoded as `encoding`: "base64" or "8bit") as
// `content_type` named `filename`.
std::string report_mail(const std::string& message_id, const std::string& content_type,
                        const std::string& filename, const std::string& attachment,
                        const std::string& encoding = "base64");

// RFC 4648 base64 with 76-character lines.
std::string base64(const std::string& bytes);

// gzip (RFC 1952) of `bytes` at `level`.
std::string gzip(const std::string& bytes, int level = 6);

// A zip archive (APPNOTE 4.3) of `files` (name, bytes), stored (method 0) or deflated (8).
enum class ZipMethod { stored, deflated };
std::string zip(const std::vector<std::pair<std::string, std::string>>& files,
                ZipMethod method = ZipMethod::deflated);

// A gzip member that expands to `size` zero bytes (valid CRC and ISIZE), built from one
// compressed MiB repeated, so a 4 GiB bomb costs a few MB and well under a second to make.
std::string gzip_zero_bomb(uint64_t size);

// A zip with one deflated entry `name` that expands to `size` zero bytes (honest header:
// declared size and CRC are right; sizes above 4 GiB are not supported).
std::string zip_zero_bomb(const std::string& name, uint64_t size);

// Writes `toml` to DIR/NAME and returns the path.
std::string write_config(const std::string& dir, const std::string& toml,
                         const std::string& name = "dmarcctl.toml");

// A dmarcctl started in the background (stdout and stderr to `log_path`), to be killed.
class Background
{
public:
  Background(const std::vector<std::string>& args, const std::string& log_path);
  ~Background();                 // SIGKILLs and reaps it if still running
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  // True while the process runs (reaps it once it has ended).
  bool running();
  // Sends SIGKILL and waits; returns true when the kill ended it (false: it had exited).
  bool kill_now();
  // Waits for the end; the exit code, or -1 when it died of a signal.
  int wait();

private:
  int m_pid = -1;
  int m_status = 0;
  bool m_reaped = false;
};

// True when the tests (and so the binary under test) run under AddressSanitizer, whose
// shadow memory makes resident-memory figures meaningless.
constexpr bool k_asan =
#if defined(__SANITIZE_ADDRESS__)
  true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  true;
#else
  false;
#endif
#else
  false;
#endif

} // namespace dmarc::test::hardening
