// An HTTP(S) client for one endpoint, kept alive across requests (libcurl lives in src/net
// only). Used by the GELF HTTP sink: Graylog's GELF HTTP input takes one message per
// `POST /gelf` and answers 202 Accepted.
//
// Why one reused curl easy handle: the connection (TCP and TLS) is set up once and every
// later POST goes over it (HTTP/1.1 keep-alive, RFC 9112 §9.3), which is what makes one
// request per message fast. Certificates and host names are always verified; `ca_file`
// adds a trust anchor. "Expect: 100-continue" is switched off (curl sends it for bodies over
// 1 KiB and would wait for an answer some servers never give). User and password in the URL
// (https://user:pass@host/gelf) go to curl as basic auth and never into an error message.
#pragma once

#include "core/result.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace dmarc::net {

struct HttpSettings
{
  std::string url;               // http(s)://[user:pass@]host[:port]/path
  std::string ca_file;           // extra trust anchor (PEM); "" for the system's
  int connect_timeout = 10;      // seconds
  int timeout = 10;              // seconds for a whole request
};

struct HttpResponse
{
  long status = 0;               // 202, 400, ...
  std::string body;              // at most the first 4 KiB, for error messages
};

class HttpClient
{
public:
  explicit HttpClient(HttpSettings settings);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `body` to the URL with `content_type`, reusing the open connection. Error
  // (network): no answer (refused, timeout, TLS failure, reset), naming the step but not
  // the credentials. Any answer, whatever its status, is a response.
  Result<HttpResponse> post(std::string_view body, std::string_view content_type);

  // Closes the connection; the next request opens a new one.
  void reset();

  // How many connections were opened so far (keep-alive shows as 1).
  long connections() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// `url` without "user:password@", "?query" and "#fragment": safe to print and to store.
std::string redact_url(std::string_view url);

} // namespace dmarc::net
