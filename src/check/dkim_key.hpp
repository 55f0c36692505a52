// The DKIM key record (RFC 6376 §3.6.1; ed25519 RFC 8463) at <selector>._domainkey.<domain>.
//
// Why the key size is read from the key: receivers refuse RSA keys under 1024 bits (RFC
// 8301 §3.2) and 1024 is weak; the size is the bit length of the RSA modulus inside the
// base64 DER SubjectPublicKeyInfo of p= (some publish a bare PKCS#1 RSAPublicKey: read too).
// An empty p= is a revoked key (§3.6.1); t=y marks a domain testing DKIM. Pure.
#pragma once

#include "check/problem.hpp"

#include <string>
#include <string_view>

namespace dmarc::check {

constexpr int k_dkim_min_bits = 1024;   // below: refused by receivers (RFC 8301)
constexpr int k_dkim_good_bits = 2048;  // below: weak

struct DkimKey
{
  std::string key_type = "rsa";  // k= ("rsa" by default, "ed25519")
  int key_bits = 0;              // 0 when unknown (revoked, unreadable)
  bool testing = false;          // t=y
  bool revoked = false;          // p= empty
  Problems problems;
};

// True when `text` looks like a DKIM key record (v=DKIM1 first, or a p= tag).
bool is_dkim_record(std::string_view text);

// Parses the record of `selector` and judges its key.
DkimKey parse_dkim_key(std::string_view text, std::string_view selector);

// Standard base64 (spaces ignored); empty on invalid input.
std::string base64_decode(std::string_view text, bool& ok);

// The RSA modulus size of a DER SubjectPublicKeyInfo or RSAPublicKey; 0 when unreadable.
int rsa_key_bits(std::string_view der);

} // namespace dmarc::check
