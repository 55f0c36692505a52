#include "net/smtp_client.hpp"

#include "net/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace dmarc::net {

namespace {

struct Upload
{
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user)
{
  auto* up = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

} // namespace

Result<void> send_mail(const SmtpSettings& settings, const std::string& from,
                       const std::vector<std::string>& to, std::string_view message)
{
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string where = redact_url(settings.url);
  const bool implicit_tls = settings.url.rfind("smtps://", 0) == 0;
  if (!implicit_tls && settings.url.rfind("smtp://", 0) != 0) {
    return make_error(ErrorKind::config, where + ": the SMTP URL must start with smtp:// or smtps://");
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    return make_error(ErrorKind::network, "cannot initialise libcurl");
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_slist* recipients = nullptr;
  for (const std::string& address : to) {
    recipients = curl_slist_append(recipients, ("<" + address + ">").c_str());
  }
  const std::string mail_from = "<" + from + ">";
  Upload upload{message, 0};
  curl_easy_setopt(curl, CURLOPT_URL, settings.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, static_cast<long>(settings.timeout));
  curl_easy_setopt(curl, CURLOPT_USE_SSL,
                   implicit_tls || settings.require_tls ? static_cast<long>(CURLUSESSL_ALL)
                                                        : static_cast<long>(CURLUSESSL_NONE));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, settings.ca_file.c_str());
  }
  if (!settings.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, settings.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, settings.password.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OK) {
    return {};
  }
  std::string detail;
  if (rc == CURLE_USE_SSL_FAILED) {
    detail = "the server does not offer STARTTLS, which is required (set tls = \"none\" only "
             "for a relay on this machine)";
  } else {
    detail = curl_easy_strerror(rc);
    if (error[0] != '\0') {
      detail += ": ";
      detail += error;
    }
  }
  return make_error(ErrorKind::network, where + ": " + detail);
}

} // namespace dmarc::net
