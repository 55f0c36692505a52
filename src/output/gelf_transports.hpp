// The GELF transports behind open_gelf_sink(), internal to src/output.
#pragma once

#include "output/gelf_sink.hpp"

#include <memory>
#include <string>

namespace dmarc::output::detail {

struct Endpoint
{
  std::string host;     // name or address, without IPv6 brackets
  std::string port;     // decimal
};

// UDP datagrams (connected socket), compressed as `compress`, chunked past 8,192 bytes.
std::unique_ptr<GelfSink> make_udp_sink(Endpoint endpoint, std::string name,
                                        GelfCompression compress, int timeout);

// TCP, NUL-framed, confirmed by TCP acknowledgements on flush().
std::unique_ptr<GelfSink> make_tcp_sink(Endpoint endpoint, std::string name, int timeout);

// HTTP(S) POST per message on a kept-alive connection.
std::unique_ptr<GelfSink> make_http_sink(const GelfSinkSettings& settings, std::string name);

// "host:port: what failed: strerror(errno)"-style text for a socket error.
std::string errno_text(int error);

} // namespace dmarc::output::detail
