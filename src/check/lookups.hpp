// ⑤c check: the table of answers every record check reads, and the list of questions it
// still needs answered.
//
// Why a table and not a resolver call: every check (DMARC, SPF with its include chains,
// DKIM, MTA-STS, TLS-RPT, MX) is written as a pure function of the answers known so far.
// A check that meets a question with no answer yet notes it (`need`) and goes on as far as
// it can without it; the runner asks every noted question of every domain at once through
// the asynchronous resolver, puts the answers in, and runs the checks again, until nothing
// is missing. So 100 domains' lookups are in flight together (a round per level of an SPF
// include chain), and a unit test is a table of DNS answers.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace dmarc::check {

enum class RrType { a, aaaa, ptr, txt, mx };

// "A", "AAAA", "PTR", "TXT", "MX".
std::string_view to_string(RrType type);

enum class Status { ok, nxdomain, nodata, servfail, refused, timeout, error };

// "ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "error".
std::string_view to_string(Status status);

// One DNS answer as the resolver gives it: A/AAAA textual addresses, PTR names without the
// trailing dot, TXT strings of one record concatenated, MX "<preference> <host>".
struct Answer
{
  Status status = Status::ok;
  std::vector<std::string> records;
  std::string error;

  // No answer at all: SERVFAIL, REFUSED, timeout, another error (RFC 7208 temperror).
  bool failed() const { return status != Status::ok && status != Status::nxdomain && status != Status::nodata; }
  // NXDOMAIN, or no records of the type (RFC 7208 §4.6.4 "void lookup").
  bool empty() const { return !failed() && records.empty(); }
};

struct Question
{
  std::string name;              // lower case, no trailing dot
  RrType type = RrType::txt;
  auto operator<=>(const Question&) const = default;
};

// The outcome of an HTTPS GET of an MTA-STS policy.
struct Fetch
{
  bool ok = false;               // an HTTP answer arrived (whatever its status)
  long status = 0;               // 200, 404, ...
  std::string body;              // at most 64 KiB (RFC 8461 §3.3)
  std::string error;             // when !ok: what failed (TLS, connect, timeout, no address)
};

// A policy fetch: https://HOST/.well-known/mta-sts.txt with HOST's address pinned.
struct FetchRequest
{
  std::string host;              // mta-sts.<domain>
  std::string address;           // the address DNS gave for host ("" when none)
  auto operator<=>(const FetchRequest&) const = default;
};

class Lookups
{
public:
  // The answer to `name`/`type`, or null after noting that it is needed. `name` is
  // normalised (lower case, trailing dot dropped).
  const Answer* dns(std::string_view name, RrType type);
  // The fetched policy, or null after noting that it is needed.
  const Fetch* https(const FetchRequest& request);

  void put(Question question, Answer answer);
  void put(FetchRequest request, Fetch fetch);

  // The questions noted since the last take (each once), and forgets them.
  std::set<Question> take_questions();
  std::set<FetchRequest> take_fetches();
  bool has_needs() const { return !m_questions.empty() || !m_fetches.empty(); }

  // How many answers are stored; how many were timeouts or errors.
  std::size_t answered() const { return m_answers.size(); }
  std::size_t failed() const;

private:
  std::map<Question, Answer> m_answers;
  std::map<FetchRequest, Fetch> m_fetched;
  std::set<Question> m_questions;
  std::set<FetchRequest> m_fetches;
};

// "Example.COM." → "example.com".
std::string normalize_name(std::string_view name);

} // namespace dmarc::check
