// Failure (RUF) report parsing (src/mime/failure.cpp) on the fixtures of fixtures/failure/
// (one per shape of issue 15) and the shared corpus' failure reports, and the
// failure-report recognition of extract() (issue 14: abuse ARF, bounces).
#include "mime/extract.hpp"
#include "mime/failure.hpp"
#include "test_files.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace dmarc;
using namespace dmarc::mime;
using dmarc::mime::test::read_file;

namespace {

std::string failure_fixture(const std::string& name)
{
  return read_file(std::string(DMARC_FIXTURES_DIR) + "/failure/" + name);
}

FailureReport parse_ok(const std::string& raw)
{
  auto r = parse_failure_report(raw, Limits{});
  INFO((r ? std::string() : r.error().detail));
  REQUIRE(r);
  return *r;
}

Extracted extract_ok(const std::string& raw)
{
  auto r = extract(raw, Limits{});
  REQUIRE(r);
  return *r;
}

const std::string k_corpus = std::string(DMARC_CORPUS_DIR) + "/failure/";

} // namespace

TEST_CASE("ARF from a large mailbox provider: every field of the report part and the sample")
{
  const FailureReport f = parse_ok(failure_fixture("provider_arf.eml"));
  CHECK(f.format == "arf");
  CHECK(f.feedback_type == "auth-failure");
  CHECK(f.user_agent == "ExampleMail-ARF/2.1");
  CHECK(f.version == "1");
  CHECK(f.original_envelope_id == "4Qx7Lm2abc");
  CHECK(f.original_mail_from == "<bounce-77@mailer.example.com>");
  CHECK(f.original_rcpt_to
        == std::vector<std::string>{"<alice@inbox.example.net>", "<bob@inbox.example.net>"});
  CHECK(f.arrival_date == "Tue, 05 Mar 2024 14:22:10 -0800");
  CHECK(f.arrival == 1709677330);   // 2024-03-05T22:22:10Z
  CHECK(f.reporting_mta == "dns; mta7.inbox.example.net");
  CHECK(f.source_ip == "198.51.100.23");
  REQUIRE(f.authentication_results.size() == 1);
  CHECK(f.authentication_results[0]
        == "mta7.inbox.example.net; dmarc=fail (p=reject dis=none) header.from=example.com; "
           "spf=pass smtp.mailfrom=mailer.example.com; dkim=fail header.d=example.com "
           "header.s=sel2023");
  CHECK(f.reported_domain == std::vector<std::string>{"example.com"});
  CHECK(f.reported_uri == std::vector<std::string>{"https://shop.example.com/promo"});
  CHECK(f.delivery_result == "reject");
  CHECK(f.auth_failure == std::vector<std::string>{"dmarc"});
  CHECK(f.dkim_domain == "example.com");
  CHECK(f.dkim_identity == "@example.com");
  CHECK(f.dkim_selector == "sel2023");
  CHECK(f.spf_dns
        == std::vector<std::string>{"txt : mailer.example.com : \"v=spf1 ip4:198.51.100.0/24 -all\""});
  CHECK(f.identity_alignment == "none");
  CHECK(f.reporter == "dmarc_failure@inbox.example.net");
  CHECK(f.report_time == 1709677500);
  CHECK(f.has_sample);
  CHECK_FALSE(f.sample_headers_only);
  CHECK_FALSE(f.sample_truncated);
  CHECK(f.sample_from == "Example Shop <news@example.com>");
  CHECK(f.sample_to == "alice@inbox.example.net");
  CHECK(f.sample_subject == "Spring sale: 40% off");
  CHECK(f.sample_date == "Tue, 05 Mar 2024 14:22:05 -0800");
  CHECK(f.sample_message_id == "promo-20240305-7781@mailer.example.com");
  CHECK(f.sample.find("Our spring sale starts today.") != std::string::npos);
  CHECK(f.sample_headers.rfind("Received: from out.mailer.example.com", 0) == 0);
  CHECK(f.sample_headers.find("Our spring sale") == std::string::npos);
}

TEST_CASE("a headers-only sample (text/rfc822-headers)")
{
  const FailureReport f = parse_ok(failure_fixture("headers_only.eml"));
  CHECK(f.format == "arf");
  CHECK(f.has_sample);
  CHECK(f.sample_headers_only);
  CHECK(f.sample.empty());
  CHECK(f.sample_from == "\"The CEO\" <ceo@example.com>");
  CHECK(f.sample_to == "payroll@reporter.example.org");
  CHECK(f.sample_date == "Wed, 06 Mar 2024 07:58:20 +0000");
  CHECK(f.sample_subject == "Urgent wire transfer");
  CHECK(f.sample_message_id == "fake-ceo-1@203.0.113.9");
  CHECK(f.delivery_result == "spam");
  CHECK(f.source_ip == "203.0.113.9");
}

TEST_CASE("encoded words in the sample's headers are decoded")
{
  const FailureReport f = parse_ok(failure_fixture("encoded_subject.eml"));
  CHECK(f.sample_subject == "Rechnung f\xC3\xBCr M\xC3\xA4rz \xE2\x82\xAC 2024");
  CHECK(f.sample_from == "J\xC3\xBCrgen M\xC3\xBCller <juergen@example.com>");
  CHECK(f.sample_to == "Z\xC3\xB6" "e <zoe@reporter.example.org>");
}

TEST_CASE("several Auth-Failure values and the DKIM and SPF fields")
{
  const FailureReport f = parse_ok(failure_fixture("multi_auth_failure.eml"));
  CHECK(f.auth_failure == std::vector<std::string>{"dkim", "spf", "dmarc"});
  CHECK(f.dkim_identity == "newsletter@example.com");
  CHECK(f.dkim_selector == "broken2024");
  CHECK(f.spf_dns == std::vector<std::string>{"txt : example.com : \"v=spf1 -all\""});
  CHECK(f.source_ip == "2001:db8::25");
  CHECK(f.sample_from == "newsletter@example.com");
  CHECK(f.sample_to == "reader@reporter.example.org");
  CHECK(f.sample_subject == "March newsletter");
  CHECK(f.sample_message_id == "nl-2024-03@example.com");
}

TEST_CASE("a truncated sample keeps the headers it has and says it was cut")
{
  const FailureReport f = parse_ok(failure_fixture("truncated_sample.eml"));
  CHECK(f.has_sample);
  CHECK(f.sample_truncated);
  CHECK(f.sample_from == "billing@example.com");
  CHECK(f.sample_subject == "Your account is suspen");
  CHECK_FALSE(f.sample_message_id);
}

TEST_CASE("the plain-text forensic form: its key lines and the header copy")
{
  const FailureReport f = parse_ok(failure_fixture("text_forensic.eml"));
  CHECK(f.format == "text");
  CHECK(f.feedback_type == "auth-failure");
  CHECK(f.reported_domain == std::vector<std::string>{"example.com"});
  CHECK(f.source_ip == "198.51.100.99");
  CHECK(f.arrival_date == "Tue, 12 Mar 2024 21:16:08 +0100");
  CHECK(f.arrival == 1710274568);
  CHECK(f.auth_failure == std::vector<std::string>{"dmarc"});
  CHECK(f.identity_alignment == "dkim");
  CHECK(f.sample_headers_only);
  CHECK(f.sample_from == "\"Support\" <support@example.com>");
  CHECK(f.sample_subject == "Password reset");
  CHECK(f.sample_message_id == "text-8@198.51.100.99");
  CHECK(f.reporter == "no-reply@gate.example.net");
}

TEST_CASE("an abuse ARF is not a failure report, and says which type it is")
{
  const std::string raw = failure_fixture("abuse_arf.eml");
  const auto parsed = parse_failure_report(raw, Limits{});
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().kind == ErrorKind::not_a_report);
  CHECK(parsed.error().detail == "ARF feedback report of type 'abuse', not a DMARC failure report");
  // extract() agrees, though the subject says "DMARC Failure Report".
  const Extracted e = extract_ok(raw);
  CHECK_FALSE(e.is_failure_report);
  CHECK(e.other_feedback_type == "abuse");
  CHECK(e.attachments.empty());
}

TEST_CASE("a bounce whose subject quotes 'Failure Report' is not a failure report")
{
  const Extracted e = extract_ok(failure_fixture("bounce_failure_subject.eml"));
  CHECK_FALSE(e.is_failure_report);
  // Nor is a plain mail whose subject alone says so.
  const Extracted plain = extract_ok("Subject: Re: DMARC Failure Report for example.com\n"
                                     "Content-Type: text/plain\n\nWhy do I get these?\n");
  CHECK_FALSE(plain.is_failure_report);
  // An auth-failure ARF returned inside a bounce is the bounce's copy.
  const Extracted returned = extract_ok(
    "Subject: Undelivered Mail Returned to Sender\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=d\n\n"
    "--d\nContent-Type: message/delivery-status\n\nAction: failed\n"
    "--d\nContent-Type: message/rfc822\n\nSubject: DMARC Failure Report\n"
    "Content-Type: multipart/report; report-type=feedback-report; boundary=r\n\n"
    "--r\nContent-Type: message/feedback-report\n\nFeedback-Type: auth-failure\n"
    "--r--\n--d--\n");
  CHECK_FALSE(returned.is_failure_report);
}

TEST_CASE("every failure fixture is recognised by extract()")
{
  for (const char* name : {"provider_arf.eml", "headers_only.eml", "encoded_subject.eml",
                           "multi_auth_failure.eml", "truncated_sample.eml", "text_forensic.eml"}) {
    INFO(name);
    const Extracted e = extract_ok(failure_fixture(name));
    CHECK(e.is_failure_report);
    CHECK(e.other_feedback_type.empty());
  }
}

TEST_CASE("apply_sample_policy keeps headers, everything or nothing of the sample")
{
  const FailureReport parsed = parse_ok(failure_fixture("provider_arf.eml"));
  FailureReport f = parsed;
  apply_sample_policy(f, FailureSamples::full);
  CHECK(f.sample == parsed.sample);
  f = parsed;
  apply_sample_policy(f, FailureSamples::headers);
  CHECK(f.sample.empty());
  CHECK(f.sample_headers == parsed.sample_headers);
  CHECK(f.sample_subject == "Spring sale: 40% off");
  f = parsed;
  apply_sample_policy(f, FailureSamples::none);
  CHECK(f.sample.empty());
  CHECK(f.sample_headers.empty());
  CHECK_FALSE(f.sample_from);
  CHECK_FALSE(f.sample_to);
  CHECK_FALSE(f.sample_subject);
  CHECK_FALSE(f.sample_date);
  CHECK_FALSE(f.sample_message_id);
  CHECK(f.source_ip == "198.51.100.23");   // the report's own fields stay
}

TEST_CASE("parse_mail_date")
{
  CHECK(parse_mail_date("Mon, 01 Oct 2018 11:20:27 +0200") == 1538385627);
  CHECK(parse_mail_date("01 Oct 2018 11:20:27 +0200") == 1538385627);
  CHECK(parse_mail_date("Mon,  1 Oct 2018 09:20:27 GMT") == 1538385627);
  CHECK(parse_mail_date("Mon, 1 Oct 2018 05:20:27 EDT") == 1538385627);
  CHECK(parse_mail_date("Mon, 1 Oct 2018 11:20 +0200") == 1538385600);
  CHECK(parse_mail_date("Tue, 30 Apr 2019 02:09:00 +0000 (UTC)") == 1556590140);
  CHECK_FALSE(parse_mail_date("Fri, 30 Feb 2024 10:00:00 +0000"));
  CHECK_FALSE(parse_mail_date("yesterday"));
  CHECK_FALSE(parse_mail_date(""));
}

TEST_CASE("corpus: the five failure reports and their fields")
{
  if (!std::filesystem::exists(k_corpus)) {
    return;
  }
  SECTION("Domino relay ARF")
  {
    const FailureReport f = parse_ok(read_file(
      k_corpus + "DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml"));
    CHECK(f.format == "arf");
    CHECK(f.user_agent == "Lua/1.0");
    CHECK(f.version == "1.0");
    CHECK(f.original_mail_from == "sharepoint@domain.de");
    CHECK(f.original_rcpt_to == std::vector<std::string>{"peter.pan@domain.de"});
    CHECK(f.arrival == 1538385627);
    CHECK(f.source_ip == "10.10.10.10");
    CHECK(f.authentication_results
          == std::vector<std::string>{"dmarc=fail (p=none, dis=none) header.from=domain.de"});
    CHECK(f.delivery_result == "smg-policy-action");
    CHECK(f.auth_failure == std::vector<std::string>{"dmarc"});
    CHECK(f.reported_domain == std::vector<std::string>{"domain.de"});
    CHECK(f.reporter == "dmarc-report@domain.de");
    CHECK(f.sample_from
          == "\"Interaktive Wettbewerber-\xC3\x9C" "bersicht\" <sharepoint@domain.de>");
    CHECK(f.sample_to == "<peter.pan@domain.de>");
    CHECK(f.sample_subject == "Subject");
    CHECK(f.sample_date == "01 Oct 2018 11:20:27 +0200");
    CHECK(f.sample_message_id == "38.E7.30937.BD6E1BB5@ mailrelay.de");
  }
  SECTION("Netease: base64 ARF part in a multipart/mixed")
  {
    const FailureReport f =
      parse_ok(read_file(k_corpus + "[Netease DMARC Failure Report] Rent Reminder.eml"));
    CHECK(f.format == "arf");
    CHECK(f.user_agent == "NtesDmarcReporter/1.0");
    CHECK(f.version == "1");
    CHECK(f.original_mail_from == "<bounces+1137616-c1ad-xsj399=163.com@email.entrata.com>");
    CHECK(f.arrival == 1538124522);
    CHECK(f.source_ip == "167.89.69.24");
    CHECK(f.reported_domain == std::vector<std::string>{"cardinal.com"});
    CHECK(f.original_envelope_id == "N8CowEApcUPo6q1bnXlMAA--.44392S3");
    CHECK(f.dkim_domain == "entrata.com");
    CHECK(f.delivery_result == "delivered");
    CHECK(f.identity_alignment == "spf,dkim");
    CHECK(f.auth_failure.empty());
    CHECK(f.sample_from == "700 on Washington <info@cardinal.com>");
    CHECK(f.sample_subject == "Rent Reminder");
    CHECK(f.sample_message_id == "oguVx1AxQayV5Sv2nYK-rA@ismtpd0007p1las1.sendgrid.net");
    CHECK(f.reporter == "abuse@163.com");
  }
  SECTION("LinkedIn, LF and CRLF: the same fields")
  {
    for (const char* name : {"dmarc_ruf_report_linkedin.eml", "dmarc_ruf_report_linkedin.crlf.eml"}) {
      INFO(name);
      const FailureReport f = parse_ok(read_file(k_corpus + name));
      CHECK(f.original_mail_from == std::nullopt);   // "Original-Mail-From:" is empty
      CHECK(f.original_rcpt_to == std::vector<std::string>{"recipient@linkedin.com"});
      CHECK(f.arrival == 1556590140);
      CHECK(f.source_ip == "10.10.10.10");
      CHECK(f.delivery_result == "delivered");
      CHECK(f.reported_domain == std::vector<std::string>{"example.com"});
      CHECK(f.report_message_id == "01010101010101010101010101010101@ABAB01MS0016.someserver.loc");
      CHECK(f.sample_from == "Sender <sender@example.com>");
      CHECK(f.sample_to == "LinkedIn <recipient@linkedin.com>");
      CHECK(f.sample_subject == "Subject line, could be UTF8 encoded");
      CHECK(f.sample_date == "Tue, 30 Apr 2019 02:09:09 +0000");
      CHECK(f.sample_message_id == "01010101010101010101010101010101@ABAB01MS0016.someserver.loc");
      CHECK(f.reporter == "dmarc-noreply@linkedin.com");
    }
  }
  SECTION("exim plain text without ARF part")
  {
    const FailureReport f = parse_ok(read_file(k_corpus + "exim_plain_text_only_no_arf_part.eml"));
    CHECK(f.format == "text");
    CHECK(f.reported_domain == std::vector<std::string>{"example.com"});
    CHECK(f.source_ip == "203.0.113.68");
    CHECK(f.arrival == 1744060569);
    CHECK(f.identity_alignment == "none");
    CHECK(f.sample_from == "<user@example.com>");
    CHECK(f.sample_to == "<user@example.com>");
    CHECK(f.sample_subject == "Payment from your account.");
    CHECK(f.sample_date == "Mon, 7 Apr 2025 10:10:06 -0600");
    CHECK(f.sample_message_id == "134117F8-2145-AECE-9CCA-25FC98731341@example.com");
  }
}
