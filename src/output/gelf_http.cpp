// GELF over HTTP(S): one `POST` of the JSON object per message to the configured URL
// (Graylog: /gelf, answering 202 Accepted), over one kept-alive connection (net::HttpClient).
//
// Why one message per request: Graylog's GELF HTTP input takes one message per request
// unless bulk receiving is enabled on the input, and a 2xx per message confirms exactly that
// message, which is what the cursor needs. Connection reuse keeps it fast. Any 2xx counts
// as accepted; 413 (Payload Too Large) means this message can never go; any other status,
// or no answer, is a failure of the receiver: the message is sent again on the next run.
#include "net/http_client.hpp"
#include "output/gelf_transports.hpp"

namespace dmarc::output::detail {

namespace {

class HttpSink final : public GelfSink
{
public:
  HttpSink(const GelfSinkSettings& settings, std::string name)
    : m_client(net::HttpSettings{settings.url, settings.ca_file, settings.timeout,
                                 settings.timeout}),
      m_name(std::move(name))
  {
  }

  Result<void> send(std::string_view message) override
  {
    auto response = m_client.post(message, "application/json");
    if (!response) {
      return make_error(ErrorKind::network, m_name + ": " + response.error().detail);
    }
    const long status = response->status;
    if (status >= 200 && status < 300) {
      ++m_delivered;
      return {};
    }
    std::string body = response->body.substr(0, 200);
    for (char& c : body) {
      if (static_cast<unsigned char>(c) < 0x20) {
        c = ' ';
      }
    }
    const std::string what = "answered HTTP " + std::to_string(status)
                             + (body.empty() ? std::string() : " (" + body + ")");
    if (status == 413) {
      return make_error(ErrorKind::too_large, m_name + ": " + what);
    }
    m_client.reset();
    return make_error(ErrorKind::network, m_name + ": " + what);
  }

  Result<void> flush() override
  {
    m_delivered = 0;
    return {};
  }

  std::size_t delivered() const override { return m_delivered; }

  void reset() override
  {
    m_client.reset();
    m_delivered = 0;
  }

  const std::string& name() const override { return m_name; }

private:
  net::HttpClient m_client;
  std::string m_name;
  std::size_t m_delivered = 0;
};

} // namespace

std::unique_ptr<GelfSink> make_http_sink(const GelfSinkSettings& settings, std::string name)
{
  return std::make_unique<HttpSink>(settings, std::move(name));
}

} // namespace dmarc::output::detail
