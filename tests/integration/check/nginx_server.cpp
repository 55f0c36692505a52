#include "nginx_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <thread>

namespace dmarc::test {

namespace {

void must(const RunResult& r, const std::string& what)
{
  if (r.exit_code != 0) {
    throw std::runtime_error(what + " failed: " + r.err);
  }
}

bool accepts(const std::string& address, int port)
{
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

} // namespace

NginxServer::NginxServer(const std::string& address, const std::vector<HttpsHost>& hosts)
{
  const std::string& d = m_dir.path();
  const std::string ec = "ec";
  must(run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.pem",
            "-days", "30", "-subj", "/CN=dmarcctl test CA"}),
       "openssl (CA)");
  std::string servers;
  int i = 0;
  for (const HttpsHost& h : hosts) {
    const std::string base = d + "/h" + std::to_string(i++);
    write_file(base + ".ext", "subjectAltName=DNS:" + h.name + "\n");
    must(run({"/usr/bin/openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes", "-keyout", base + ".key", "-out", base + ".csr", "-subj", "/CN=" + h.name}),
         "openssl (key)");
    must(run({"/usr/bin/openssl", "x509", "-req", "-in", base + ".csr", "-CA", d + "/ca.pem", "-CAkey",
              d + "/ca.key", "-CAcreateserial", "-out", base + ".pem", "-days", h.expired ? "-1" : "30",
              "-extfile", base + ".ext"}),
         "openssl (certificate)");
    const std::string root = base + ".www";
    for (const auto& [path, body] : h.files) {
      std::filesystem::create_directories(std::filesystem::path(root + path).parent_path());
      write_file(root + path, body);
    }
    std::filesystem::create_directories(root);
    servers += "  server {\n    listen " + address + ":443 ssl;\n    server_name " + h.name + ";\n"
               "    ssl_certificate " + base + ".pem;\n    ssl_certificate_key " + base + ".key;\n"
               "    root " + root + ";\n  }\n";
  }
  std::filesystem::create_directories(d + "/tmp");
  write_file(d + "/nginx.conf",
             "user root;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " + d + "/error.log;\n"
             "events { worker_connections 64; }\n"
             "http {\n  access_log off;\n  default_type text/plain;\n"
             "  client_body_temp_path " + d + "/tmp/body;\n  proxy_temp_path " + d + "/tmp/proxy;\n"
             "  fastcgi_temp_path " + d + "/tmp/fastcgi;\n  uwsgi_temp_path " + d + "/tmp/uwsgi;\n"
             "  scgi_temp_path " + d + "/tmp/scgi;\n" + servers + "}\n");
  must(run({"/usr/sbin/nginx", "-c", d + "/nginx.conf", "-p", d, "-e", d + "/error.log"}), "nginx");
  for (int tries = 0; tries < 100; ++tries) {
    if (std::filesystem::exists(d + "/nginx.pid") && accepts(address, 443)) {
      m_pid = std::stoi(read_file(d + "/nginx.pid"));
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string log;
  try {
    log = read_file(d + "/error.log");
  } catch (...) {
  }
  throw std::runtime_error("nginx did not start: " + log);
}

NginxServer::~NginxServer()
{
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    for (int tries = 0; tries < 100 && ::kill(m_pid, 0) == 0; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

} // namespace dmarc::test
