#include "check/lookups.hpp"

#include <algorithm>

namespace dmarc::check {

std::string_view to_string(RrType type)
{
  switch (type) {
  case RrType::a: return "A";
  case RrType::aaaa: return "AAAA";
  case RrType::ptr: return "PTR";
  case RrType::txt: return "TXT";
  case RrType::mx: return "MX";
  }
  return "?";
}

std::string_view to_string(Status status)
{
  switch (status) {
  case Status::ok: return "ok";
  case Status::nxdomain: return "nxdomain";
  case Status::nodata: return "nodata";
  case Status::servfail: return "servfail";
  case Status::refused: return "refused";
  case Status::timeout: return "timeout";
  case Status::error: return "error";
  }
  return "?";
}

std::string normalize_name(std::string_view name)
{
  std::string out(name);
  while (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c);
  });
  return out;
}

const Answer* Lookups::dns(std::string_view name, RrType type)
{
  Question q{normalize_name(name), type};
  if (const auto it = m_answers.find(q); it != m_answers.end()) {
    return &it->second;
  }
  m_questions.insert(std::move(q));
  return nullptr;
}

const Fetch* Lookups::https(const FetchRequest& request)
{
  if (const auto it = m_fetched.find(request); it != m_fetched.end()) {
    return &it->second;
  }
  m_fetches.insert(request);
  return nullptr;
}

void Lookups::put(Question question, Answer answer)
{
  question.name = normalize_name(question.name);
  m_answers[std::move(question)] = std::move(answer);
}

void Lookups::put(FetchRequest request, Fetch fetch)
{
  m_fetched[std::move(request)] = std::move(fetch);
}

std::set<Question> Lookups::take_questions()
{
  std::set<Question> out;
  out.swap(m_questions);
  return out;
}

std::set<FetchRequest> Lookups::take_fetches()
{
  std::set<FetchRequest> out;
  out.swap(m_fetches);
  return out;
}

std::size_t Lookups::failed() const
{
  return static_cast<std::size_t>(std::count_if(m_answers.begin(), m_answers.end(),
                                                [](const auto& kv) { return kv.second.failed(); }));
}

} // namespace dmarc::check
