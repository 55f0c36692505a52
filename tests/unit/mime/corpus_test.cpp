// mime::extract on the real report mails of the shared corpus (../shared/corpus, not in
// the repository). Skipped with a warning where the corpus is absent.
#include "mime/extract.hpp"

#include "test_files.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace dmarc;
using namespace dmarc::mime;
namespace fs = std::filesystem;

namespace {

const fs::path k_corpus = DMARC_CORPUS_DIR;

bool corpus_present()
{
  // A test input like the fixtures: its absence fails the case instead of skipping it.
  INFO("corpus directory " << k_corpus.string() << " (DMARC_CORPUS_DIR) is absent");
  REQUIRE(fs::is_directory(k_corpus));
  return true;
}

Extracted extract_file(const fs::path& path)
{
  INFO(path.string());
  auto result = extract(mime::test::read_file(path.string()), Limits{});
  INFO((result ? std::string() : result.error().to_string()));
  REQUIRE(result.ok());
  return std::move(result).value();
}

std::vector<fs::path> eml_files(const fs::path& dir)
{
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".eml") {
      out.push_back(entry.path());
    }
  }
  return out;
}

const std::string k_gzip_magic = "\x1f\x8b";
const std::string k_zip_magic("PK\x03\x04", 4);

} // namespace

TEST_CASE("corpus: every aggregate .eml yields exactly its one report attachment")
{
  if (!corpus_present()) {
    return;
  }
  struct Expected
  {
    std::string file;
    std::string type;
    std::string filename;
    std::string magic;
    std::string message_id;
    std::size_t size; // as Python's email package decodes it
  };
  const std::vector<Expected> expected = {
    {"Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml",
     "application/zip", "google.com!borschow.com!1549929600!1550015999.zip", k_zip_magic,
     "949348866075514174@google.com", 661},
    {"mimecast-weird-gzip.eml", "application/gzip",
     "mimecast.org!ab.id.au!1693353600!1693439999!"
     "157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e.xml.gz",
     k_gzip_magic, "4973f467-4c66-4341-a50a-cf1a87033376@au-1.mimecastreport.com", 678},
    {"twilight.eml", "application/zip", "google.com!twlnet.com!1549756800!1549843199.zip",
     k_zip_magic, "1627703331531660819@google.com", 683},
  };
  const auto files = eml_files(k_corpus / "aggregate");
  CHECK(files.size() == expected.size()); // a new sample needs a row here
  for (const Expected& x : expected) {
    INFO(x.file);
    const Extracted e = extract_file(k_corpus / "aggregate" / x.file);
    REQUIRE(e.attachments.size() == 1);
    CHECK(e.attachments[0].content_type == x.type);
    CHECK(e.attachments[0].filename == x.filename);
    CHECK(e.attachments[0].bytes.substr(0, x.magic.size()) == x.magic);
    CHECK(e.attachments[0].bytes.size() == x.size);
    CHECK(e.message_id == x.message_id);
    CHECK_FALSE(e.is_failure_report);
  }
}

TEST_CASE("corpus: the mimecast gzip decodes to its full size")
{
  if (!corpus_present()) {
    return;
  }
  const Extracted e = extract_file(k_corpus / "aggregate" / "mimecast-weird-gzip.eml");
  REQUIRE(e.attachments.size() == 1);
  // The subject is folded after "Report-ID:" in the mail.
  CHECK(e.subject
        == "Report domain: ab.id.au Submitter: mimecast.org Report-ID: "
           "157a5fe30ec76f4bc0d8bccfc96c118a167a1280fee7c7465af5115e73082e5e");
  CHECK(e.from == "no-reply@au-1.mimecastreport.com");
  CHECK(e.date == "Thu, 31 Aug 2023 20:06:12 +1000");
  // The gzip ends in its ISIZE trailer followed by the CRLF the sender appended.
  const std::string& gz = e.attachments[0].bytes;
  CHECK(gz.substr(gz.size() - 2) == "\r\n");
}

TEST_CASE("corpus: the Google TLS-RPT mail yields its application/tlsrpt+gzip")
{
  if (!corpus_present()) {
    return;
  }
  const Extracted e = extract_file(k_corpus / "smtp_tls" / "google.com_smtp_tls_report.eml");
  REQUIRE(e.attachments.size() == 1);
  CHECK(e.attachments[0].content_type == "application/tlsrpt+gzip");
  CHECK(e.attachments[0].filename == "google.com!cardinalhealth.ca!1725321600!1725407999!001.json.gz");
  CHECK(e.attachments[0].bytes.substr(0, 2) == k_gzip_magic);
  CHECK(e.attachments[0].bytes.size() == 252); // as Python's email package decodes it
  CHECK(e.message_id == "66d83c20.050a0220.a0566.1e8dtls@google.com");
  CHECK_FALSE(e.is_failure_report);
}

TEST_CASE("corpus: every failure report is flagged and returns no candidate")
{
  if (!corpus_present()) {
    return;
  }
  const auto files = eml_files(k_corpus / "failure");
  CHECK(files.size() == 5);
  for (const fs::path& file : files) {
    const Extracted e = extract_file(file);
    INFO(file.filename().string());
    CHECK(e.is_failure_report);
    CHECK(e.attachments.empty());
    CHECK_FALSE(e.message_id.empty());
  }
  const Extracted exim = extract_file(k_corpus / "failure" / "exim_plain_text_only_no_arf_part.eml");
  CHECK(exim.subject == "DMARC Forensic Report for example.com from IP 203.0.113.68");
  CHECK(exim.message_id == "E1u1tpB-00AA5u-ED@node04.mailgate.example.net");
}

TEST_CASE("corpus: bare report files are not messages")
{
  if (!corpus_present()) {
    return;
  }
  for (const char* name : {"aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz",
                           "aggregate/estadocuenta1.infonacot.gob.mx!example.com!1536853302!1536939702!2940.xml.zip",
                           "aggregate/veeam.com!example.com!1530133200!1530219600.xml",
                           "smtp_tls/rfc8460.json"}) {
    INFO(name);
    const std::string bytes = mime::test::read_file((k_corpus / name).string());
    CHECK_FALSE(looks_like_message(bytes));
    auto result = extract(bytes, Limits{});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().kind == ErrorKind::not_a_report);
  }
}
