// One HTTPS GET with the host's address given by the caller (libcurl lives in src/net only).
// Used by `check` to fetch an MTA-STS policy (RFC 8461 §3.3).
//
// Why the address is pinned: the policy host is resolved through the same resolvers as every
// other lookup of `check` (so a test zone on loopback can point it at 127.0.0.1), and
// CURLOPT_RESOLVE makes libcurl connect there while the TLS name check and the Host header
// stay the real name. The certificate is always verified (RFC 8461 §3.3 requires a valid
// one); `ca_file` adds a trust anchor next to the system's. Redirects are not followed
// (§3.3: "MUST NOT follow HTTP redirects"); the body is capped at 64 KiB.
#pragma once

#include "core/result.hpp"

#include <string>

namespace dmarc::net {

struct HttpsGetRequest
{
  std::string host;              // the name in the URL and the certificate
  std::string address;           // IPv4 or IPv6 address to connect to
  int port = 443;
  std::string path = "/";
  std::string ca_file;           // extra trust anchor (PEM); "" for the system's only
  int timeout_seconds = 10;      // the whole request, connect included
};

struct HttpsGetResponse
{
  long status = 0;
  std::string body;              // at most k_https_get_max_body bytes
  bool truncated = false;
};

constexpr std::size_t k_https_get_max_body = 64 * 1024;

// Fetches https://host:port/path from `address`. Error (network): no HTTP answer (refused,
// timeout, TLS or certificate failure), curl's reason in the detail.
Result<HttpsGetResponse> https_get(const HttpsGetRequest& request);

} // namespace dmarc::net
