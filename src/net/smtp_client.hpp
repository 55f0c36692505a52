// Sending one mail over SMTP with libcurl (libcurl lives in src/net only), for `notify`.
//
// Why TLS is required by default: the mail carries what is wrong with your mail setup, and a
// relay that silently drops STARTTLS (RFC 3207 §4) would let anyone on the path read or change
// it. `smtp://` therefore demands STARTTLS (libcurl CURLUSESSL_ALL: a server that does not
// offer it is refused before MAIL FROM), `smtps://` is TLS from the first byte (RFC 8314 §3.3),
// and only `require_tls = false` (the config's tls = "none", for a relay on localhost) sends in
// the clear. Certificates and host names are verified; `ca_file` adds a trust anchor. The
// password never appears in an error message.
#pragma once

#include "core/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace dmarc::net {

struct SmtpSettings
{
  std::string url;               // smtp://host[:port] or smtps://host[:port]
  bool require_tls = true;       // smtp://: STARTTLS or refuse
  std::string username;          // "" for no AUTH
  std::string password;
  std::string ca_file;
  int connect_timeout = 30;      // seconds
  int timeout = 60;              // seconds for the whole transaction
};

// Sends `message` (a complete RFC 5322 message, CRLF line ends) from `from` to every address
// of `to`. Ok once the server accepted the DATA (250 after the final "."). Error (network):
// no connection, no STARTTLS offered although required, TLS or login failure, a recipient
// or the message refused, a timeout — naming the step, never the password.
Result<void> send_mail(const SmtpSettings& settings, const std::string& from,
                       const std::vector<std::string>& to, std::string_view message);

} // namespace dmarc::net
