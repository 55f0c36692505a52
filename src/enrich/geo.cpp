// GeoReader: see geo.hpp.
#include "enrich/geo.hpp"

#include <maxminddb.h>

#include <cstring>

namespace dmarc::enrich {

struct GeoReader::State
{
  MMDB_s mmdb{};
  bool open = false;
  ~State()
  {
    if (open) {
      MMDB_close(&mmdb);
    }
  }
};

namespace {

// The value at `path` as text (UTF-8 strings only), or nullopt.
OptString text_at(MMDB_entry_s& entry, const char* const* path)
{
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS || !data.has_data
      || data.type != MMDB_DATA_TYPE_UTF8_STRING || data.data_size == 0) {
    return std::nullopt;
  }
  return std::string(data.utf8_string, data.data_size);
}

// The value at `path` as an unsigned number (uint16/32/64), or nullopt.
std::optional<int64_t> number_at(MMDB_entry_s& entry, const char* const* path)
{
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&entry, &data, path) != MMDB_SUCCESS || !data.has_data) {
    return std::nullopt;
  }
  switch (data.type) {
    case MMDB_DATA_TYPE_UINT16: return data.uint16;
    case MMDB_DATA_TYPE_UINT32: return data.uint32;
    case MMDB_DATA_TYPE_INT32: return data.int32;
    case MMDB_DATA_TYPE_UINT64: return static_cast<int64_t>(data.uint64);
    default: return std::nullopt;
  }
}

// "AS15169" / "15169" → 15169.
std::optional<int64_t> parse_asn(const std::string& text)
{
  std::size_t i = (text.size() > 2 && (text[0] == 'A' || text[0] == 'a') && (text[1] == 'S' || text[1] == 's')) ? 2 : 0;
  if (i >= text.size() || text.size() - i > 10) {
    return std::nullopt;
  }
  int64_t n = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return std::nullopt;
    }
    n = n * 10 + (text[i] - '0');
  }
  return n;
}

} // namespace

Result<std::unique_ptr<GeoReader>> GeoReader::open(const std::string& path)
{
  std::unique_ptr<GeoReader> reader(new GeoReader);
  reader->m_state = std::make_unique<State>();
  const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &reader->m_state->mmdb);
  if (status != MMDB_SUCCESS) {
    std::string why = MMDB_strerror(status);
    if (status == MMDB_IO_ERROR || status == MMDB_FILE_OPEN_ERROR) {
      why += std::string(" (") + std::strerror(errno) + ")";
    }
    return make_error(ErrorKind::config, path + ": not a usable MaxMind database: " + why);
  }
  reader->m_state->open = true;
  return reader;
}

GeoReader::~GeoReader() = default;

std::string GeoReader::database_type() const
{
  const char* t = m_state->mmdb.metadata.database_type;
  return t != nullptr ? t : "";
}

void GeoReader::lookup(const std::string& ip, SourceInfo& into) const
{
  int gai_error = 0;
  int mmdb_error = 0;
  MMDB_lookup_result_s result = MMDB_lookup_string(&m_state->mmdb, ip.c_str(), &gai_error, &mmdb_error);
  if (gai_error != 0 || mmdb_error != MMDB_SUCCESS || !result.found_entry) {
    return;
  }
  MMDB_entry_s& e = result.entry;
  static const char* const k_asn[] = {"autonomous_system_number", nullptr};
  static const char* const k_asn_org[] = {"autonomous_system_organization", nullptr};
  static const char* const k_country[] = {"country", "iso_code", nullptr};
  static const char* const k_registered[] = {"registered_country", "iso_code", nullptr};
  static const char* const k_ipinfo_country[] = {"country_code", nullptr};
  static const char* const k_ipinfo_asn[] = {"asn", nullptr};
  static const char* const k_ipinfo_as_name[] = {"as_name", nullptr};
  static const char* const k_ipinfo_as_domain[] = {"as_domain", nullptr};
  if (!into.asn) {
    into.asn = number_at(e, k_asn);
  }
  if (!into.asn) {
    if (auto text = text_at(e, k_ipinfo_asn)) {
      into.asn = parse_asn(*text);
    } else {
      into.asn = number_at(e, k_ipinfo_asn);
    }
  }
  if (!into.as_name) {
    into.as_name = text_at(e, k_asn_org);
  }
  if (!into.as_name) {
    into.as_name = text_at(e, k_ipinfo_as_name);
  }
  if (!into.as_domain) {
    into.as_domain = text_at(e, k_ipinfo_as_domain);
  }
  if (!into.country) {
    into.country = text_at(e, k_country);
  }
  if (!into.country) {
    into.country = text_at(e, k_registered);
  }
  if (!into.country) {
    into.country = text_at(e, k_ipinfo_country);
  }
}

} // namespace dmarc::enrich
