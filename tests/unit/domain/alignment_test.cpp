#include "domain/alignment.hpp"

#include <catch2/catch.hpp>

using namespace dmarc;
using namespace dmarc::domain;

TEST_CASE("organizational_domain follows the Public Suffix List")
{
  CHECK(organizational_domain("mail.example.com") == "example.com");
  CHECK(organizational_domain("a.b.example.co.uk") == "example.co.uk");
  CHECK(organizational_domain("Mail.Example.COM.") == "example.com");
  CHECK(organizational_domain("bounce.mail.ab.id.au") == "ab.id.au");
  // A bare public suffix has no registrable part: itself.
  CHECK(organizational_domain("co.uk") == "co.uk");
}

TEST_CASE("relaxed alignment compares organizational domains, strict the names")
{
  CHECK(aligned("mail.example.com", "example.com", Mode::relaxed));
  CHECK_FALSE(aligned("mail.example.com", "example.com", Mode::strict));
  CHECK(aligned("EXAMPLE.com", "example.com", Mode::strict));
  CHECK_FALSE(aligned("example.net", "example.com", Mode::relaxed));
  // Two registrants under one public suffix are not aligned.
  CHECK_FALSE(aligned("a.co.uk", "b.co.uk", Mode::relaxed));
  CHECK_FALSE(aligned("", "example.com", Mode::relaxed));
}

TEST_CASE("compute_alignment prefers the reporter's policy_evaluated verdict")
{
  AggregateReport report;
  report.policy.adkim = "s";
  AggregateRecord with_verdict;
  with_verdict.header_from = "example.com";
  with_verdict.dkim = "fail";
  with_verdict.spf = "pass";
  with_verdict.dkim_results.push_back({"example.com", std::string("s1"), "pass", std::nullopt, false});
  report.records.push_back(with_verdict);

  AggregateRecord without_verdict;
  without_verdict.header_from = "example.com";
  without_verdict.dkim_results.push_back({"mail.example.com", std::string("s1"), "pass", std::nullopt, false});
  without_verdict.spf_results.push_back({"bounce.example.com", std::string("mfrom"), "pass", std::nullopt, false});
  report.records.push_back(without_verdict);

  compute_alignment(report);
  CHECK_FALSE(report.records[0].dkim_aligned);
  CHECK(report.records[0].spf_aligned);
  CHECK(report.records[0].dmarc_aligned);
  // adkim=s: mail.example.com is not aligned; aspf defaults to relaxed: bounce.example.com is.
  CHECK_FALSE(report.records[1].dkim_aligned);
  CHECK_FALSE(report.records[1].dkim_results[0].aligned);
  CHECK(report.records[1].spf_aligned);
  CHECK(report.records[1].spf_results[0].aligned);
  // The per-result flag is computed even where the reporter's verdict decides.
  CHECK(report.records[0].dkim_results[0].aligned);
  CHECK(report.records[1].dmarc_aligned);
}

TEST_CASE("SPF results of scope helo never align")
{
  // What import runs: compute_alignment, on records without the reporter's verdict.
  AggregateReport report;
  for (const OptString& scope : {OptString("helo"), OptString("mfrom"), OptString()}) {
    AggregateRecord record;
    record.header_from = "example.com";
    record.spf_results.push_back({"example.com", scope, "pass", std::nullopt, false});
    report.records.push_back(record);
  }
  compute_alignment(report);
  CHECK_FALSE(report.records[0].spf_results[0].aligned);
  CHECK_FALSE(report.records[0].spf_aligned);
  CHECK(report.records[1].spf_results[0].aligned);
  CHECK(report.records[1].spf_aligned);
  CHECK(report.records[2].spf_results[0].aligned);
  CHECK(report.records[2].dmarc_aligned);
}

TEST_CASE("alignment ignores case, surrounding white space and trailing dots")
{
  CHECK(aligned(" Mail.Example.CO.UK. ", "example.co.uk", Mode::relaxed));
  CHECK(aligned("EXAMPLE.com.", " example.com", Mode::strict));
  CHECK_FALSE(aligned("mail.example.co.uk", "example.co.uk", Mode::strict));
  // Different top-level labels never share an organizational domain.
  CHECK_FALSE(aligned("example.com", "example.co", Mode::relaxed));
  CHECK_FALSE(aligned("sendgrid.net", "mail.example.com", Mode::relaxed));
  CHECK_FALSE(aligned("...", "example.com", Mode::relaxed));

  AggregateReport report;
  AggregateRecord record;
  record.header_from = " News.Example.COM. ";
  record.dkim_results.push_back({"EXAMPLE.com", std::string("s1"), "pass", std::nullopt, false});
  record.dkim_results.push_back({"example.com", std::string("s2"), "fail", std::nullopt, false});
  record.dkim_results.push_back({"sendgrid.net", std::string("s3"), "pass", std::nullopt, false});
  record.spf_results.push_back({"bounce.example.com", std::string("helo"), "pass", std::nullopt, false});
  record.spf_results.push_back({"bounce.example.com", std::string(""), "pass", std::nullopt, false});
  report.records.push_back(record);
  compute_alignment(report);
  const AggregateRecord& r = report.records[0];
  CHECK(r.dkim_results[0].aligned);
  CHECK_FALSE(r.dkim_results[1].aligned); // a failing result is never aligned
  CHECK_FALSE(r.dkim_results[2].aligned);
  CHECK_FALSE(r.spf_results[0].aligned);  // helo
  CHECK(r.spf_results[1].aligned);        // an empty scope counts as mfrom
  CHECK(r.dkim_aligned);                  // no policy_evaluated verdict: from the results
  CHECK(r.spf_aligned);
  CHECK(r.dmarc_aligned);
}
