#include "net/https_get.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

namespace dmarc::net {

namespace {

struct Body
{
  std::string text;
  bool truncated = false;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* body = static_cast<Body*>(user);
  const std::size_t bytes = size * count;
  const std::size_t room = k_https_get_max_body - std::min(body->text.size(), k_https_get_max_body);
  if (bytes > room) {
    body->truncated = true;
  }
  body->text.append(data, std::min(bytes, room));
  return bytes;
}

} // namespace

Result<HttpsGetResponse> https_get(const HttpsGetRequest& request)
{
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return make_error(ErrorKind::network, "cannot initialise libcurl");
  }
  const bool v6 = request.address.find(':') != std::string::npos;
  const std::string url = "https://" + request.host + ":" + std::to_string(request.port) + request.path;
  const std::string pin = request.host + ":" + std::to_string(request.port) + ":"
                          + (v6 ? "[" + request.address + "]" : request.address);
  curl_slist* resolve = curl_slist_append(nullptr, pin.c_str());
  char error[CURL_ERROR_SIZE] = {};
  Body body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(request.timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(request.timeout_seconds));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "dmarcctl/0.1");
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!request.ca_file.empty()) {
    // The private CA in addition to the system's trust store.
    curl_easy_setopt(curl, CURLOPT_CAINFO, request.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_CAPATH, "/etc/ssl/certs");
  }
  const CURLcode rc = curl_easy_perform(curl);
  HttpsGetResponse response;
  if (rc == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  }
  curl_slist_free_all(resolve);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    std::string why = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(rc));
    return make_error(ErrorKind::network, why);
  }
  response.body = std::move(body.text);
  response.truncated = body.truncated;
  return response;
}

} // namespace dmarc::net
