#include "check/dkim_key.hpp"

#include "core/text.hpp"

namespace dmarc::check {

namespace {

// One DER TLV at `pos`: its tag, the start and length of its content. False when malformed.
bool read_tlv(std::string_view der, std::size_t& pos, unsigned char& tag, std::size_t& start,
              std::size_t& length)
{
  if (pos + 2 > der.size()) {
    return false;
  }
  tag = static_cast<unsigned char>(der[pos]);
  std::size_t p = pos + 1;
  const auto first = static_cast<unsigned char>(der[p++]);
  if (first < 0x80) {
    length = first;
  } else {
    const int n = first & 0x7f;
    if (n == 0 || n > 4 || p + n > der.size()) {
      return false;
    }
    length = 0;
    for (int i = 0; i < n; ++i) {
      length = (length << 8) | static_cast<unsigned char>(der[p++]);
    }
  }
  if (p + length > der.size()) {
    return false;
  }
  start = p;
  pos = p + length;
  return true;
}

int integer_bits(std::string_view der, std::size_t start, std::size_t length)
{
  while (length > 0 && der[start] == 0) {
    ++start;
    --length;
  }
  if (length == 0) {
    return 0;
  }
  int bits = static_cast<int>(length - 1) * 8;
  for (auto top = static_cast<unsigned char>(der[start]); top != 0; top >>= 1) {
    ++bits;
  }
  return bits;
}

// RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
int rsa_public_key_bits(std::string_view der)
{
  std::size_t pos = 0, start = 0, length = 0;
  unsigned char tag = 0;
  if (!read_tlv(der, pos, tag, start, length) || tag != 0x30) {
    return 0;
  }
  std::size_t inner = start;
  if (!read_tlv(der, inner, tag, start, length) || tag != 0x02) {
    return 0;
  }
  return integer_bits(der, start, length);
}

} // namespace

std::string base64_decode(std::string_view text, bool& ok)
{
  ok = true;
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  int padding = 0;
  for (const char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else if (c == '=') { ++padding; continue; }
    else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (v < 0 || padding > 0) {
      ok = false;
      return "";
    }
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (padding > 2) {
    ok = false;
    return "";
  }
  return out;
}

int rsa_key_bits(std::string_view der)
{
  std::size_t pos = 0, start = 0, length = 0;
  unsigned char tag = 0;
  if (!read_tlv(der, pos, tag, start, length) || tag != 0x30) {
    return 0;
  }
  std::size_t inner = start;
  std::size_t s2 = 0, l2 = 0;
  if (!read_tlv(der, inner, tag, s2, l2)) {
    return 0;
  }
  if (tag == 0x02) {
    return rsa_public_key_bits(der); // a bare RSAPublicKey
  }
  if (tag != 0x30) {
    return 0;
  }
  // SubjectPublicKeyInfo: AlgorithmIdentifier, then BIT STRING (first byte: unused bits).
  if (!read_tlv(der, inner, tag, s2, l2) || tag != 0x03 || l2 < 2) {
    return 0;
  }
  return rsa_public_key_bits(der.substr(s2 + 1, l2 - 1));
}

bool is_dkim_record(std::string_view text)
{
  const TagList list = split_tags(text);
  if (list.tags.empty()) {
    return false;
  }
  if (list.tags.front().first == "v") {
    return list.tags.front().second == "DKIM1";
  }
  for (const auto& [k, v] : list.tags) {
    if (k == "p") {
      return true;
    }
  }
  return false;
}

DkimKey parse_dkim_key(std::string_view text, std::string_view selector)
{
  DkimKey k;
  const std::string sel(selector);
  const TagList list = split_tags(text);
  bool have_p = false;
  std::string p;
  for (std::size_t i = 0; i < list.tags.size(); ++i) {
    const auto& [tag, value] = list.tags[i];
    if (tag == "v" && (i != 0 || value != "DKIM1")) {
      add_error(k.problems, "dkim-invalid", "Selector " + sel + ": v=" + printable(value)
                                               + " must be v=DKIM1 and come first.");
    } else if (tag == "k") {
      k.key_type = text::to_lower(value);
    } else if (tag == "p") {
      have_p = true;
      p = value;
    } else if (tag == "t") {
      std::string_view rest = value;
      while (!rest.empty()) {
        const std::size_t colon = rest.find(':');
        if (text::iequals(text::trim(rest.substr(0, colon)), "y")) {
          k.testing = true;
        }
        rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
      }
    }
  }
  if (!list.malformed.empty()) {
    add_error(k.problems, "dkim-invalid", "Selector " + sel + ": '" + printable(list.malformed.front())
                                             + "' is not a tag=value pair.");
  }
  if (!have_p) {
    add_error(k.problems, "dkim-invalid", "Selector " + sel + ": the record has no p= (public "
                                             "key) tag: publish the key your signer gives you.");
    return k;
  }
  if (p.empty()) {
    k.revoked = true;
    add_error(k.problems, "dkim-key-revoked", "Selector " + sel + ": the key is revoked (empty "
                                                 "p=), so every signature with it fails: publish "
                                                 "the current key or stop listing the selector.");
    return k;
  }
  bool ok = true;
  const std::string der = base64_decode(p, ok);
  if (!ok || der.empty()) {
    add_error(k.problems, "dkim-invalid", "Selector " + sel + ": p= is not valid base64 (a "
                                             "broken or truncated key): publish it again.");
    return k;
  }
  if (k.key_type == "ed25519") {
    k.key_bits = static_cast<int>(der.size()) * 8;
    if (der.size() != 32) {
      add_error(k.problems, "dkim-invalid", "Selector " + sel + ": an ed25519 key is 32 bytes, "
                                               "this one " + std::to_string(der.size()) + ".");
    }
  } else if (k.key_type == "rsa") {
    k.key_bits = rsa_key_bits(der);
    if (k.key_bits == 0) {
      add_error(k.problems, "dkim-invalid", "Selector " + sel + ": p= is not an RSA public key "
                                               "(a broken or truncated key): publish it again.");
    } else if (k.key_bits < k_dkim_min_bits) {
      add_error(k.problems, "dkim-key-weak", "Selector " + sel + ": the RSA key has only "
                                                + std::to_string(k.key_bits) + " bits; receivers "
                                                "refuse keys under 1024 bits (RFC 8301): publish "
                                                "a 2048-bit key.");
    } else if (k.key_bits < k_dkim_good_bits) {
      add_warning(k.problems, "dkim-key-weak", "Selector " + sel + ": the RSA key has "
                                                  + std::to_string(k.key_bits) + " bits, which is "
                                                  "weak: rotate to a 2048-bit key.");
    }
  } else {
    add_error(k.problems, "dkim-invalid", "Selector " + sel + ": k=" + printable(k.key_type)
                                             + " is not a key type receivers know (rsa, ed25519).");
  }
  if (k.testing) {
    add_warning(k.problems, "dkim-testing", "Selector " + sel + ": t=y marks DKIM as testing, "
                                               "so receivers may treat its signatures as unsigned: "
                                               "remove t=y once signing works.");
  }
  return k;
}

} // namespace dmarc::check
