// DMARC (RFC 9990), DKIM key (RFC 6376, RFC 8301), MTA-STS (RFC 8461) and TLS-RPT (RFC 8460)
// records: every tag, table-driven, with the exact problem codes.
#include "check/dkim_key.hpp"
#include "check/dmarc_record.hpp"
#include "check/mta_sts.hpp"
#include "test_keys.hpp"

#include "core/record_text.hpp"

#include <catch2/catch.hpp>

using namespace dmarc::check;

namespace {

std::vector<std::string> codes(const Problems& p)
{
  std::vector<std::string> out;
  for (const Problem& x : p) {
    out.push_back(x.code + (x.severity == Severity::error ? "" : "(w)"));
  }
  return out;
}

} // namespace

TEST_CASE("DMARC records: every RFC 9990 tag and the legacy ones")
{
  struct Case
  {
    const char* record;
    std::vector<std::string> codes;
  };
  const std::vector<Case> cases = {
    {"v=DMARC1; p=none; rua=mailto:d@example.com", {}},
    {"v=DMARC1; p=reject; sp=quarantine; np=reject; t=n; psd=n; adkim=s; aspf=r; fo=0:1:d:s; "
     "rua=mailto:a@example.com,mailto:b@example.com!10m; ruf=mailto:f@example.com", {}},
    {"v=DMARC1;p=quarantine;rua=mailto:d@example.com;", {}},
    {"v=DMARC1; rua=mailto:d@example.com", {"dmarc-no-policy(w)"}},
    {"v=DMARC1; p=none", {"dmarc-no-rua(w)"}},
    {"v=DMARC1; p=block; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; sp=all; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; np=maybe; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; t=yes; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; psd=x; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; adkim=strict; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; aspf=x; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; fo=2; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; rua=d@example.com", {"dmarc-invalid", "dmarc-no-rua(w)"}},
    {"v=DMARC1; p=none; rua=mailto:nobody", {"dmarc-invalid", "dmarc-no-rua(w)"}},
    {"v=DMARC1; p=none; ruf=mailto:; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; pct=50; rua=mailto:d@example.com", {"dmarc-legacy-tag(w)"}},
    {"v=DMARC1; p=none; pct=101; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; ri=86400; rf=afrf; rua=mailto:d@example.com",
     {"dmarc-legacy-tag(w)", "dmarc-legacy-tag(w)"}},
    {"v=DMARC1; p=none; rf=iodef; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; p=reject; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"v=DMARC1; p=none; foo=bar; rua=mailto:d@example.com", {"dmarc-unknown-tag(w)"}},
    {"v=DMARC1; p=none; junk; rua=mailto:d@example.com", {"dmarc-invalid"}},
    {"p=none; v=DMARC1; rua=mailto:d@example.com", {"dmarc-invalid"}},
  };
  for (const Case& c : cases) {
    INFO(c.record);
    CHECK(codes(parse_dmarc(c.record).problems) == c.codes);
  }
  const DmarcRecord r = parse_dmarc("v=DMARC1; p=none; rua=mailto:a@Example.com!10m,mailto:b@x.example");
  CHECK(r.rua == std::vector<std::string>{"mailto:a@Example.com", "mailto:b@x.example"});
  CHECK(*r.tag("p") == "none");
  CHECK(mailto_domain("mailto:a@Example.COM!10m") == "example.com");
  CHECK(is_dmarc_record("v=DMARC1; p=none"));
  CHECK(is_dmarc_record(" v = DMARC1"));
  CHECK_FALSE(is_dmarc_record("v=spf1 -all"));
  CHECK_FALSE(is_dmarc_record("v=DMARC2; p=none"));
}

TEST_CASE("DMARC record rewriting changes only the step")
{
  CHECK(dmarc::record_text::with_tag("v=DMARC1; p=none; sp=none; rua=mailto:d@example.com; fo=1", "p", "quarantine")
        == "v=DMARC1; p=quarantine; sp=none; rua=mailto:d@example.com; fo=1");
  CHECK(dmarc::record_text::with_tag("v=DMARC1;p=none;rua=mailto:d@example.com", "p", "reject")
        == "v=DMARC1;p=reject;rua=mailto:d@example.com");
  CHECK(dmarc::record_text::with_tag("v=DMARC1; rua=mailto:d@example.com", "p", "quarantine")
        == "v=DMARC1; p=quarantine; rua=mailto:d@example.com");
  CHECK(dmarc::record_text::without_tag("v=DMARC1; p=quarantine; pct=25; rua=mailto:d@example.com", "pct")
        == "v=DMARC1; p=quarantine; rua=mailto:d@example.com");
  CHECK(dmarc::record_text::without_tag("v=DMARC1; p=quarantine; t=y", "t") == "v=DMARC1; p=quarantine");
}

TEST_CASE("DKIM keys: type, size, testing, revoked")
{
  using namespace test_keys;
  struct Case
  {
    std::string record;
    std::string type;
    int bits;
    std::vector<std::string> codes;
  };
  const std::vector<Case> cases = {
    {std::string("v=DKIM1; k=rsa; p=") + k_rsa2048, "rsa", 2048, {}},
    {std::string("v=DKIM1; p=") + k_rsa1024, "rsa", 1024, {"dkim-key-weak(w)"}},
    {std::string("v=DKIM1; p=") + k_rsa768, "rsa", 768, {"dkim-key-weak"}},
    {std::string("p=") + k_rsa1024_pkcs1, "rsa", 1024, {"dkim-key-weak(w)"}},
    {std::string("v=DKIM1; k=ed25519; p=") + k_ed25519, "ed25519", 256, {}},
    {std::string("v=DKIM1; t=y; p=") + k_rsa2048, "rsa", 2048, {"dkim-testing(w)"}},
    {std::string("v=DKIM1; t=s:y; p=") + k_rsa2048, "rsa", 2048, {"dkim-testing(w)"}},
    {"v=DKIM1; p=", "rsa", 0, {"dkim-key-revoked"}},
    {"v=DKIM1; k=rsa", "rsa", 0, {"dkim-invalid"}},
    {"v=DKIM1; p=!!!notbase64", "rsa", 0, {"dkim-invalid"}},
    {"v=DKIM1; p=QUJD", "rsa", 0, {"dkim-invalid"}},
    {std::string("v=DKIM1; k=dsa; p=") + k_rsa2048, "dsa", 0, {"dkim-invalid"}},
    {std::string("k=rsa; v=DKIM1; p=") + k_rsa2048, "rsa", 2048, {"dkim-invalid"}},
  };
  for (const Case& c : cases) {
    INFO(c.record);
    const DkimKey k = parse_dkim_key(c.record, "s1");
    CHECK(k.key_type == c.type);
    CHECK(k.key_bits == c.bits);
    CHECK(codes(k.problems) == c.codes);
  }
  // A key split into several TXT strings arrives concatenated; spaces inside p= are allowed.
  const std::string spaced = std::string("v=DKIM1; p=") + std::string(k_rsa2048).substr(0, 100)
                             + " " + std::string(k_rsa2048).substr(100);
  CHECK(parse_dkim_key(spaced, "s1").key_bits == 2048);
}

TEST_CASE("MTA-STS record and policy")
{
  CHECK(parse_sts_record("v=STSv1; id=20240101T000000").problems.empty());
  CHECK(codes(parse_sts_record("v=STSv1;").problems) == std::vector<std::string>{"mta-sts-invalid"});
  CHECK(codes(parse_sts_record("v=STSv1; id=a-b").problems) == std::vector<std::string>{"mta-sts-invalid"});
  CHECK(codes(parse_sts_record("v=STSv1; id=123456789012345678901234567890123").problems)
        == std::vector<std::string>{"mta-sts-invalid"});
  CHECK(is_sts_record("v=STSv1; id=1"));
  CHECK_FALSE(is_sts_record("v=STSv2; id=1"));

  const StsPolicy ok = parse_sts_policy("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
                                        "mx: *.backup.example.com\r\nmax_age: 604800\r\n");
  CHECK(ok.problems.empty());
  CHECK(ok.mode == "enforce");
  CHECK(ok.mx == std::vector<std::string>{"mail.example.com", "*.backup.example.com"});
  CHECK(*ok.max_age == 604800);

  struct Case
  {
    const char* body;
    std::vector<std::string> codes;
  };
  const std::vector<Case> cases = {
    {"version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n", {}},
    {"version: STSv1\nmode: none\nmax_age: 86400\n", {}},
    {"version: STSv2\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n", {"mta-sts-invalid"}},
    {"mode: testing\nmx: mx.example.com\nmax_age: 86400\n", {"mta-sts-invalid"}},
    {"version: STSv1\nmode: strict\nmx: mx.example.com\nmax_age: 86400\n", {"mta-sts-invalid"}},
    {"version: STSv1\nmode: enforce\nmax_age: 86400\n", {"mta-sts-invalid"}},
    {"version: STSv1\nmode: enforce\nmx: mx.example.com\n", {"mta-sts-invalid"}},
    {"version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 99999999999\n", {"mta-sts-invalid"}},
    {"version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 3600\n", {"mta-sts-short-max-age(w)"}},
    {"<html>404 Not Found</html>", {"mta-sts-invalid", "mta-sts-invalid", "mta-sts-invalid",
                                    "mta-sts-invalid", "mta-sts-invalid"}},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    CHECK(codes(parse_sts_policy(c.body).problems) == c.codes);
  }

  CHECK(mx_pattern_matches("mail.example.com", "MAIL.example.com."));
  CHECK(mx_pattern_matches("*.example.com", "mx1.example.com"));
  CHECK_FALSE(mx_pattern_matches("*.example.com", "a.mx1.example.com"));
  CHECK_FALSE(mx_pattern_matches("*.example.com", "example.com"));
  CHECK_FALSE(mx_pattern_matches("mail.example.com", "mail.example.net"));
}

TEST_CASE("TLS-RPT record")
{
  const TlsRptRecord r = parse_tlsrpt("v=TLSRPTv1; rua=mailto:tls@example.com,https://r.example.com/tls");
  CHECK(r.problems.empty());
  CHECK(r.rua == std::vector<std::string>{"mailto:tls@example.com", "https://r.example.com/tls"});
  CHECK(codes(parse_tlsrpt("v=TLSRPTv1;").problems) == std::vector<std::string>{"tlsrpt-invalid"});
  CHECK(codes(parse_tlsrpt("v=TLSRPTv1; rua=ftp://x").problems)
        == std::vector<std::string>{"tlsrpt-invalid", "tlsrpt-invalid"});
  CHECK(is_tlsrpt_record("v=TLSRPTv1; rua=mailto:a@b.c"));
  CHECK_FALSE(is_tlsrpt_record("v=STSv1; id=1"));
}

TEST_CASE("printable escapes control and non-ASCII bytes")
{
  CHECK(printable("v=spf1 \xC3\xA9") == "v=spf1 \\xC3\\xA9");
  CHECK(has_non_ascii("caf\xC3\xA9"));
  CHECK_FALSE(has_non_ascii("v=spf1 -all"));
}
