#include "net/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

namespace dmarc::net {

namespace {

constexpr std::size_t k_max_body = 4096;

void global_init()
{
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t collect_body(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * count;
  if (body->size() < k_max_body) {
    body->append(data, std::min(bytes, k_max_body - body->size()));
  }
  return bytes;
}

} // namespace

struct HttpClient::State
{
  HttpSettings settings;
  CURL* curl = nullptr;
  curl_slist* headers = nullptr;
  std::string content_type;
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  long connections = 0;

  ~State() { close(); }

  void close()
  {
    if (curl != nullptr) {
      curl_easy_cleanup(curl);
      curl = nullptr;
    }
    if (headers != nullptr) {
      curl_slist_free_all(headers);
      headers = nullptr;
    }
    content_type.clear();
  }

  Result<void> open()
  {
    if (curl != nullptr) {
      return {};
    }
    global_init();
    curl = curl_easy_init();
    if (curl == nullptr) {
      return make_error(ErrorKind::network, "cannot initialise libcurl");
    }
    curl_easy_setopt(curl, CURLOPT_URL, settings.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connect_timeout));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings.timeout));
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "dmarcctl/0.1");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!settings.ca_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_CAINFO, settings.ca_file.c_str());
    }
    return {};
  }

  void set_content_type(std::string_view type)
  {
    if (headers != nullptr && content_type == type) {
      return;
    }
    if (headers != nullptr) {
      curl_slist_free_all(headers);
      headers = nullptr;
    }
    content_type = std::string(type);
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
};

HttpClient::HttpClient(HttpSettings settings) : m_state(std::make_unique<State>())
{
  m_state->settings = std::move(settings);
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::post(std::string_view body, std::string_view content_type)
{
  State& s = *m_state;
  if (auto opened = s.open(); !opened) {
    return opened.error();
  }
  s.set_content_type(content_type);
  s.body.clear();
  s.error[0] = '\0';
  curl_easy_setopt(s.curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(s.curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  const CURLcode rc = curl_easy_perform(s.curl);
  long connects = 0;
  if (curl_easy_getinfo(s.curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) {
    s.connections += connects;
  }
  if (rc != CURLE_OK) {
    std::string detail = curl_easy_strerror(rc);
    if (s.error[0] != '\0') {
      detail += ": ";
      detail += s.error;
    }
    // A broken connection must not be reused for the next request.
    s.close();
    return make_error(ErrorKind::network, detail);
  }
  HttpResponse response;
  curl_easy_getinfo(s.curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(s.body);
  s.body.clear();
  return response;
}

void HttpClient::reset() { m_state->close(); }

long HttpClient::connections() const { return m_state->connections; }

std::string redact_url(std::string_view url)
{
  std::string_view rest = url;
  std::string out;
  if (const std::size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    out = std::string(rest.substr(0, scheme + 3));
    rest.remove_prefix(scheme + 3);
  }
  const std::size_t cut = rest.find_first_of("?#");
  if (cut != std::string_view::npos) {
    rest = rest.substr(0, cut);
  }
  // userinfo ends at the last '@' of the authority (before the first '/').
  const std::size_t path = rest.find('/');
  const std::string_view authority = rest.substr(0, path);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    rest.remove_prefix(at + 1);
  }
  out += rest;
  return out;
}

} // namespace dmarc::net
