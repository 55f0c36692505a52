// A throw-away nginx (Debian's nginx-light) serving HTTPS on a loopback address for tests,
// with certificates from a test CA made by the openssl command line: one server block per
// host, each with its own certificate (valid, or expired) and document root. Started by the
// constructor (returns once it accepts connections), stopped by the destructor. See
// /work/shared/notes/dns-and-https-on-loopback.md. Throws std::runtime_error with nginx's
// error log when it does not start.
#pragma once

#include "support/process.hpp"

#include <map>
#include <string>
#include <vector>

namespace dmarc::test {

struct HttpsHost
{
  std::string name;                              // "mta-sts.example.test"
  bool expired = false;                          // certificate valid until yesterday
  std::map<std::string, std::string> files;      // path under the root → contents
};

class NginxServer
{
public:
  // Listens on `address`:443.
  NginxServer(const std::string& address, const std::vector<HttpsHost>& hosts);
  ~NginxServer();
  NginxServer(const NginxServer&) = delete;
  NginxServer& operator=(const NginxServer&) = delete;

  // The test CA's certificate (PEM file), for ca_file.
  std::string ca_file() const { return m_dir / "ca.pem"; }

private:
  TempDir m_dir;
  int m_pid = -1;
};

} // namespace dmarc::test
