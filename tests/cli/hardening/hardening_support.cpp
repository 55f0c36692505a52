#include "hardening_support.hpp"

#include "support/process.hpp"

#include <zlib.h>

#include <cerrno>
#include <fcntl.h>
#include <signal.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace dmarc::test::hardening {

std::string report_xml(const std::string& org, const std::string& report_id, int records,
                       const std::string& extra)
{
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback>\n"
                    "<report_metadata><org_name>" + org + "</org_name><email>dmarc@" + org +
                    "</email><report_id>" + report_id + "</report_id><date_range><begin>"
                    "1700000000</begin><end>1700086399</end></date_range></report_metadata>\n"
                    "<policy_published><domain>example.com</domain><adkim>r</adkim><aspf>r</aspf>"
                    "<p>none</p><pct>100</pct></policy_published>\n";
  for (int i = 1; i <= records; ++i) {
    xml += "<record><row><source_ip>192.0.2." + std::to_string(i % 250 + 1) + "</source_ip><count>"
           + std::to_string(i) + "</count>" + (i == 1 ? extra : std::string()) +
           "<policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>fail</spf>"
           "</policy_evaluated></row><identifiers><header_from>example.com</header_from>"
           "</identifiers><auth_results><dkim><domain>example.com</domain><selector>s1</selector>"
           "<result>pass</result></dkim><spf><domain>example.com</domain><result>fail</result>"
           "</spf></auth_results></record>\n";
  }
  return xml + "</feedback>\n";
}

std::string tls_json(const std::string& report_id, int failures, const std::string& extra)
{
  std::string details;
  for (int i = 0; i < failures; ++i) {
    details += std::string(i == 0 ? "" : ",") +
               "{\"result-type\":\"certificate-expired\",\"sending-mta-ip\":\"192.0.2." +
               std::to_string(i % 250 + 1) +
               "\",\"receiving-mx-hostname\":\"mx.example.com\",\"failed-session-count\":1}";
  }
  return "{\"organization-name\":\"tls.example.net\",\"date-range\":{\"start-datetime\":"
         "\"2023-11-19T00:00:00Z\",\"end-datetime\":\"2023-11-19T23:59:59Z\"},\"contact-info\":"
         "\"tls@example.net\",\"report-id\":\"" + report_id + "\"," + extra +
         "\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-string\":[\"version: STSv1\","
         "\"mode: testing\"],\"policy-domain\":\"example.com\",\"mx-host\":[\"mx.example.com\"]},"
         "\"summary\":{\"total-successful-session-count\":10,\"total-failure-session-count\":" +
         std::to_string(failures) + "},\"failure-details\":[" + details + "]}]}\n";
}

std::string base64(const std::string& bytes)
{
  static const char* k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t line = 0;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t b0 = static_cast<unsigned char>(bytes[i]);
    const uint32_t b1 = i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) : 0;
    const uint32_t b2 = i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0;
    const uint32_t n = (b0 << 16) | (b1 << 8) | b2;
    out += k_alphabet[(n >> 18) & 63];
    out += k_alphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? k_alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? k_alphabet[n & 63] : '=';
    if ((line += 4) >= 76) {
      out += "\r\n";
      line = 0;
    }
  }
  return out + "\r\n";
}

std::string report_mail(const std::string& message_id, const std::string& content_type,
                        const std::string& filename, const std::string& attachment,
                        const std::string& encoding)
{
  return "From: noreply-dmarc@reporter.example.net\r\n"
         "To: dmarc-reports@example.com\r\n"
         "Subject: Report domain: example.com Submitter: reporter.example.net\r\n"
         "Date: Mon, 20 Nov 2023 08:00:00 +0000\r\n"
         "Message-ID: <" + message_id + ">\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"=_b1\"\r\n\r\n"
         "--=_b1\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
         "--=_b1\r\nContent-Type: " + content_type + "; name=\"" + filename + "\"\r\n"
         "Content-Disposition: attachment; filename=\"" + filename + "\"\r\n"
         "Content-Transfer-Encoding: " + encoding + "\r\n\r\n" + attachment +
         "\r\n--=_b1--\r\n";
}

namespace {

// Raw deflate of `bytes`; `flush` Z_FINISH ends the stream, Z_FULL_FLUSH leaves it open at
// a byte boundary (so the output can be repeated).
std::string raw_deflate(const std::string& bytes, int level, int flush)
{
  z_stream s{};
  if (deflateInit2(&s, level, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&s, bytes.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  s.avail_in = static_cast<uInt>(bytes.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&s, flush);
  if ((flush == Z_FINISH && rc != Z_STREAM_END) || (flush != Z_FINISH && rc != Z_OK)) {
    throw std::runtime_error("deflate");
  }
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

void put16(std::string& out, uint32_t v)
{
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}

void put32(std::string& out, uint32_t v)
{
  put16(out, v & 0xFFFF);
  put16(out, v >> 16);
}

uint32_t crc_of(const std::string& bytes)
{
  return static_cast<uint32_t>(
    crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

struct ZipItem
{
  std::string name;
  std::string data;        // as stored (compressed or not)
  uint16_t method;
  uint32_t crc;
  uint64_t size;           // uncompressed
};

std::string zip_of(const std::vector<ZipItem>& items)
{
  std::string out;
  std::string central;
  for (const ZipItem& item : items) {
    const auto offset = static_cast<uint32_t>(out.size());
    std::string header;
    put16(header, 20);                          // version needed
    put16(header, 0x0800);                      // flags: UTF-8 names
    put16(header, item.method);
    put16(header, 0);                           // time
    put16(header, 0x2821);                      // date 2000-01-01
    put32(header, item.crc);
    put32(header, static_cast<uint32_t>(item.data.size()));
    put32(header, static_cast<uint32_t>(item.size));
    put16(header, static_cast<uint32_t>(item.name.size()));
    put16(header, 0);                           // extra length
    out += std::string("PK\x03\x04", 4) + header + item.name + item.data;
    central += std::string("PK\x01\x02", 4);
    put16(central, 20);                         // version made by
    central += header;
    put16(central, 0);                          // comment length
    put16(central, 0);                          // disk
    put16(central, 0);                          // internal attributes
    put32(central, 0);                          // external attributes
    put32(central, offset);
    central += item.name;
  }
  const auto central_offset = static_cast<uint32_t>(out.size());
  out += central;
  out += std::string("PK\x05\x06", 4);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<uint32_t>(items.size()));
  put16(out, static_cast<uint32_t>(items.size()));
  put32(out, static_cast<uint32_t>(central.size()));
  put32(out, central_offset);
  put16(out, 0);
  return out;
}

// The raw deflate stream of `size` zero bytes: a full-flushed block of one MiB of zeros
// repeated, the remainder, and an empty final block.
std::string zero_deflate(uint64_t size)
{
  constexpr uint64_t k_chunk = uint64_t{1} << 20;
  const std::string block = raw_deflate(std::string(k_chunk, '\0'), 9, Z_FULL_FLUSH);
  std::string out;
  out.reserve(static_cast<std::size_t>(size / k_chunk * block.size() + 1024));
  for (uint64_t i = 0; i < size / k_chunk; ++i) {
    out += block;
  }
  const std::string tail = raw_deflate(std::string(size % k_chunk, '\0'), 9, Z_FINISH);
  return out + tail;
}

uint32_t zero_crc(uint64_t size)
{
  constexpr uint64_t k_chunk = uint64_t{1} << 20;
  const std::string zeros(k_chunk, '\0');
  const uLong chunk_crc = crc32(0, reinterpret_cast<const Bytef*>(zeros.data()), k_chunk);
  uLong crc = crc32(0, Z_NULL, 0);
  for (uint64_t i = 0; i < size / k_chunk; ++i) {
    crc = crc32_combine(crc, chunk_crc, static_cast<z_off_t>(k_chunk));
  }
  const uLong rest = crc32(0, reinterpret_cast<const Bytef*>(zeros.data()),
                           static_cast<uInt>(size % k_chunk));
  return static_cast<uint32_t>(crc32_combine(crc, rest, static_cast<z_off_t>(size % k_chunk)));
}

} // namespace

std::string gzip(const std::string& bytes, int level)
{
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
  out += raw_deflate(bytes, level, Z_FINISH);
  put32(out, crc_of(bytes));
  put32(out, static_cast<uint32_t>(bytes.size()));
  return out;
}

std::string zip(const std::vector<std::pair<std::string, std::string>>& files, ZipMethod method)
{
  std::vector<ZipItem> items;
  for (const auto& [name, bytes] : files) {
    const bool deflate = method == ZipMethod::deflated;
    items.push_back(ZipItem{name, deflate ? raw_deflate(bytes, 6, Z_FINISH) : bytes,
                            static_cast<uint16_t>(deflate ? 8 : 0), crc_of(bytes), bytes.size()});
  }
  return zip_of(items);
}

std::string gzip_zero_bomb(uint64_t size)
{
  std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10);
  out += zero_deflate(size);
  put32(out, zero_crc(size));
  put32(out, static_cast<uint32_t>(size & 0xFFFFFFFFu));
  return out;
}

std::string zip_zero_bomb(const std::string& name, uint64_t size)
{
  if (size >= (uint64_t{1} << 32)) {
    throw std::runtime_error("zip_zero_bomb: no ZIP64");
  }
  return zip_of({ZipItem{name, zero_deflate(size), 8, zero_crc(size), size}});
}

Background::Background(const std::vector<std::string>& args, const std::string& log_path)
{
#ifdef DMARC_BINARY
  std::vector<std::string> argv{DMARC_BINARY};
#else
  std::vector<std::string> argv{"dmarcctl"};
#endif
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_args;
  for (std::string& a : argv) {
    c_args.push_back(a.data());
  }
  c_args.push_back(nullptr);
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log < 0) {
    throw std::runtime_error("cannot create " + log_path);
  }
  m_pid = fork();
  if (m_pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (m_pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    execv(c_args[0], c_args.data());
    _exit(127);
  }
  ::close(log);
}

Background::~Background()
{
  if (!m_reaped) {
    kill_now();
  }
}

bool Background::running()
{
  if (m_reaped) {
    return false;
  }
  const pid_t r = waitpid(m_pid, &m_status, WNOHANG);
  if (r == m_pid) {
    m_reaped = true;
  }
  return !m_reaped;
}

bool Background::kill_now()
{
  if (!running()) {
    return false;
  }
  ::kill(m_pid, SIGKILL);
  wait();
  return WIFSIGNALED(m_status) && WTERMSIG(m_status) == SIGKILL;
}

int Background::wait()
{
  while (!m_reaped) {
    if (waitpid(m_pid, &m_status, 0) == m_pid) {
      m_reaped = true;
    } else if (errno != EINTR) {
      break;
    }
  }
  return WIFEXITED(m_status) ? WEXITSTATUS(m_status) : -1;
}

std::string write_config(const std::string& dir, const std::string& toml, const std::string& name)
{
  const std::string path = dir + "/" + name;
  write_file(path, toml);
  return path;
}

} // namespace dmarc::test::hardening
