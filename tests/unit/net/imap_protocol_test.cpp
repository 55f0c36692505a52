// The pure IMAP pieces: modified UTF-7 (RFC 3501 §5.1.3), quoting, UID sets, the response
// reader (literals!), and the parsers of FETCH, LIST and status responses.
#include "net/imap_protocol.hpp"

#include <catch2/catch.hpp>

using namespace dmarc::net::imap;

namespace {

std::string encode(const std::string& s)
{
  auto r = encode_mailbox(s);
  REQUIRE(r.ok());
  return *r;
}

std::string decode(const std::string& s)
{
  auto r = decode_mailbox(s);
  REQUIRE(r.ok());
  return *r;
}

// Every response the reader hands out for `stream`, fed `chunk` bytes at a time.
std::vector<std::string> responses(const std::string& stream, std::size_t chunk, std::size_t max = 1 << 20)
{
  ResponseReader reader(max);
  std::vector<std::string> out;
  std::string r;
  for (std::size_t i = 0; i < stream.size(); i += chunk) {
    reader.feed(std::string_view(stream).substr(i, chunk));
    for (;;) {
      auto ready = reader.next(r);
      REQUIRE(ready.ok());
      if (!*ready) {
        break;
      }
      out.push_back(r);
    }
  }
  CHECK(reader.buffered() == 0);
  return out;
}

} // namespace

TEST_CASE("mailbox names are encoded in modified UTF-7 and back")
{
  CHECK(encode("INBOX") == "INBOX");
  CHECK(encode("Berichte/Prüfung") == "Berichte/Pr&APw-fung");
  CHECK(encode("Report Box") == "Report Box");
  CHECK(encode("a&b") == "a&-b");
  CHECK(encode("&") == "&-");
  // RFC 3501 §5.1.3's own example.
  CHECK(encode("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  CHECK(decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-") == "~peter/mail/台北/日本語");
  CHECK(decode("Berichte/Pr&APw-fung") == "Berichte/Pr\xc3\xbc" "fung");
  CHECK(decode("a&-b") == "a&b");
  // Outside the BMP: a surrogate pair.
  const std::string emoji = "Reports \xF0\x9F\x93\x8A";
  CHECK(encode(emoji) == "Reports &2D3cyg-");
  CHECK(decode(encode(emoji)) == emoji);
  for (const std::string name : {"Ärger", "€uro & co", "日本語/ü/x", "Ünïcödé.Ñame"}) {
    CHECK(decode(encode(name)) == name);
  }
}

TEST_CASE("bad mailbox names are refused, in both directions")
{
  CHECK_FALSE(encode_mailbox("bad \xff utf-8").ok());
  CHECK_FALSE(encode_mailbox("\xc3").ok());                 // truncated sequence
  CHECK_FALSE(encode_mailbox("\xc0\xaf").ok());             // overlong '/'
  CHECK_FALSE(encode_mailbox(std::string("a\nb")).ok());
  CHECK_FALSE(decode_mailbox("&APw").ok());                 // no closing '-'
  CHECK_FALSE(decode_mailbox("&A*w-").ok());                // not in the alphabet
  CHECK_FALSE(decode_mailbox("&2D3-").ok());                // a lone high surrogate
  CHECK_FALSE(decode_mailbox("a\x01").ok());
}

TEST_CASE("quoted strings escape quotes and backslashes")
{
  CHECK(quote("INBOX") == "\"INBOX\"");
  CHECK(quote("Report Box") == "\"Report Box\"");
  CHECK(quote("a \"b\" \\c") == "\"a \\\"b\\\" \\\\c\"");
  CHECK(quote("") == "\"\"");
}

TEST_CASE("UID sets are sorted, de-duplicated and compact")
{
  CHECK(uid_set({}) == "");
  CHECK(uid_set({7}) == "7");
  CHECK(uid_set({5, 1, 2, 3, 7, 9, 10, 11, 12, 12}) == "1:3,5,7,9:12");
  CHECK(uid_set({4294967295, 1}) == "1,4294967295");
}

TEST_CASE("the reader hands out whole responses, literals included, however the bytes arrive")
{
  // A body holding CRLF, a line that looks like a tagged OK and a fake literal marker.
  const std::string body = "Subject: x\r\n\r\nd2 OK not really\r\n{5}\r\nend";
  const std::string stream = "* 1 EXISTS\r\n"
                             "* 1 FETCH (UID 7 RFC822.SIZE " + std::to_string(body.size())
                             + " BODY[] {" + std::to_string(body.size()) + "}\r\n" + body + ")\r\n"
                             "* 2 FETCH (UID 8 BODY[] {0}\r\n)\r\n"
                             "d2 OK Fetch completed.\r\n";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, stream.size()}) {
    const auto got = responses(stream, chunk);
    REQUIRE(got.size() == 4);
    CHECK(got[0] == "* 1 EXISTS");
    CHECK(got[3] == "d2 OK Fetch completed.");
    const ResponseLine line = classify(got[1]);
    REQUIRE(line.keyword == "FETCH");
    CHECK(line.number == 1);
    auto data = parse_fetch(line.rest);
    REQUIRE(data.ok());
    CHECK(data->uid == 7);
    CHECK(data->size == static_cast<int64_t>(body.size()));
    CHECK(data->has_body);
    CHECK(data->body == body);
    auto empty = parse_fetch(classify(got[2]).rest);
    REQUIRE(empty.ok());
    CHECK(empty->has_body);
    CHECK(empty->body.empty());
  }
  // LITERAL+ ({n+}) and a bare LF line end are accepted as well.
  const auto plus = responses("* LIST () \"/\" {3+}\r\nabc\n* OK x\r\n", 2);
  REQUIRE(plus.size() == 2);
  auto list = parse_list(classify(plus[0]).rest);
  REQUIRE(list.ok());
  CHECK(list->name == "abc");
}

TEST_CASE("the reader refuses responses above its limit instead of growing without end")
{
  ResponseReader reader(100);
  std::string r;
  reader.feed("* 1 FETCH (BODY[] {1000}\r\n");
  CHECK_FALSE(reader.next(r).ok());

  ResponseReader long_line(100);
  long_line.feed(std::string(200, 'x'));
  CHECK_FALSE(long_line.next(r).ok());
}

TEST_CASE("FETCH responses: any item order, flags, quoted and NIL bodies")
{
  auto a = parse_fetch("(FLAGS (\\Seen \\Recent) UID 42 RFC822.SIZE 1234)");
  REQUIRE(a.ok());
  CHECK(a->uid == 42);
  CHECK(a->size == 1234);
  CHECK_FALSE(a->has_body);

  auto b = parse_fetch("(RFC822.SIZE 3 BODY[] \"abc\" UID 9)");
  REQUIRE(b.ok());
  CHECK(b->body == "abc");
  CHECK(b->uid == 9);

  auto c = parse_fetch("(UID 9 BODY[] NIL)");
  REQUIRE(c.ok());
  CHECK_FALSE(c->has_body);

  auto d = parse_fetch("(UID 9 BODY[HEADER.FIELDS (DATE FROM)] {2}\r\nab MODSEQ (12))");
  REQUIRE(d.ok());
  CHECK(d->uid == 9);
  CHECK_FALSE(d->has_body);

  CHECK_FALSE(parse_fetch("UID 9").ok());
  CHECK_FALSE(parse_fetch("(UID nine)").ok());
  CHECK_FALSE(parse_fetch("(UID 9 BODY[] {20}\r\nshort)").ok());
}

TEST_CASE("LIST responses: flags, delimiter, quoted / atom / NIL")
{
  auto a = parse_list("(\\HasNoChildren) \"/\" \"Archive/DMARC\"");
  REQUIRE(a.ok());
  CHECK(a->flags == std::vector<std::string>{"\\HASNOCHILDREN"});
  CHECK(a->delimiter == '/');
  CHECK(a->name == "Archive/DMARC");

  auto b = parse_list("(\\Noselect) \".\" INBOX.Pr&APw-fung");
  REQUIRE(b.ok());
  CHECK(b->delimiter == '.');
  CHECK(b->name == "INBOX.Pr&APw-fung");

  auto c = parse_list("() NIL \"\"");
  REQUIRE(c.ok());
  CHECK_FALSE(c->delimiter.has_value());
  CHECK(c->name.empty());

  auto d = parse_list("() \"\\\\\" \"a\\\\b\"");
  REQUIRE(d.ok());
  CHECK(d->delimiter == '\\');
  CHECK(d->name == "a\\b");

  CHECK_FALSE(parse_list("\"/\" INBOX").ok());
}

TEST_CASE("status responses: tags, numbers, response codes and safe text")
{
  const ResponseLine ok = classify("* OK [UIDVALIDITY 3857529045] UIDs valid");
  CHECK(ok.kind == ResponseLine::Kind::untagged);
  CHECK(ok.keyword == "OK");
  const StatusText s = parse_status_text(ok.rest);
  CHECK(s.code == "UIDVALIDITY");
  CHECK(s.code_args == "3857529045");
  CHECK(s.text == "UIDs valid");

  const ResponseLine no = classify("d3 no [TRYCREATE] Mailbox doesn't exist: Archive");
  CHECK(no.kind == ResponseLine::Kind::tagged);
  CHECK(no.tag == "d3");
  CHECK(no.keyword == "NO");
  CHECK(parse_status_text(no.rest).code == "TRYCREATE");
  CHECK(parse_status_text(no.rest).text == "Mailbox doesn't exist: Archive");

  const ResponseLine exists = classify("* 23 EXISTS");
  CHECK(exists.number == 23);
  CHECK(exists.keyword == "EXISTS");

  CHECK(classify("+ go ahead").kind == ResponseLine::Kind::continuation);
  CHECK(parse_status_text("[ALERT] \x1b[31mred\x07 text").text == "[31mred text");
  CHECK(parse_status_text(std::string(1000, 'a')).text.size() == 300);
  CHECK(parse_capabilities("IMAP4rev1 move  UIDPLUS") ==
        std::vector<std::string>{"IMAP4REV1", "MOVE", "UIDPLUS"});
}

TEST_CASE("server URLs: scheme, host, port; nothing else")
{
  auto a = parse_url("imaps://mail.example.com");
  REQUIRE(a.ok());
  CHECK(a->implicit_tls);
  CHECK(a->host == "mail.example.com");
  CHECK(a->port == 993);
  CHECK(endpoint_label(*a) == "mail.example.com:993");

  auto b = parse_url("imap://127.0.0.1:10143/");
  REQUIRE(b.ok());
  CHECK_FALSE(b->implicit_tls);
  CHECK(b->port == 10143);

  auto c = parse_url("imaps://[::1]:10993");
  REQUIRE(c.ok());
  CHECK(c->host == "::1");
  CHECK(endpoint_label(*c) == "[::1]:10993");

  CHECK_FALSE(parse_url("pop3://mail.example.com").ok());
  CHECK_FALSE(parse_url("imaps://user:secret@mail.example.com").ok());
  CHECK_FALSE(parse_url("imaps://mail.example.com/INBOX").ok());
  CHECK_FALSE(parse_url("imaps://mail.example.com:0").ok());
  CHECK_FALSE(parse_url("imaps://mail.example.com:99999").ok());
  CHECK_FALSE(parse_url("imaps://mail.example.com:").ok());
  CHECK_FALSE(parse_url("imaps://").ok());
}

TEST_CASE("loopback hosts and redaction")
{
  CHECK(is_loopback("127.0.0.1"));
  CHECK(is_loopback("127.1.2.3"));
  CHECK(is_loopback("::1"));
  CHECK(is_loopback("LocalHost"));
  CHECK_FALSE(is_loopback("127.0.0.1.example.com"));
  CHECK_FALSE(is_loopback("mail.example.com"));
  CHECK_FALSE(is_loopback("10.0.0.1"));
  CHECK(redact("user pw pw!", "pw") == "user *** ***!");
  CHECK(redact("nothing", "") == "nothing");
}
