// ASN, AS name and country of an IP from a MaxMind-format database (libmaxminddb lives in
// src/enrich/geo.cpp only).
//
// Layouts read, whichever the file has (so one reader serves asn_db and country_db):
//  - GeoLite2/GeoIP2 ASN (and DB-IP's lite ASN): autonomous_system_number,
//    autonomous_system_organization;
//  - GeoLite2/GeoIP2 Country and City (and DB-IP's lite Country/City): country.iso_code,
//    else registered_country.iso_code;
//  - IPinfo lite: country_code, asn ("AS15169"), as_name, as_domain.
// Fields the database lacks stay null. The databases and their licences are the admin's.
#pragma once

#include "core/result.hpp"
#include "core/source_info.hpp"

#include <memory>
#include <string>

namespace dmarc::enrich {

class GeoReader
{
public:
  // Opens `path`. Error (config): missing, unreadable or not a MaxMind DB, naming the path
  // and libmaxminddb's reason.
  static Result<std::unique_ptr<GeoReader>> open(const std::string& path);
  ~GeoReader();
  GeoReader(const GeoReader&) = delete;
  GeoReader& operator=(const GeoReader&) = delete;

  // Fills the fields of `into` that are still null (asn, as_name, as_domain, country) from
  // the entry for `ip`; nothing when there is none or the IP is not an address.
  void lookup(const std::string& ip, SourceInfo& into) const;

  // The database's type from its metadata ("GeoLite2-ASN", "ipinfo ...").
  std::string database_type() const;

private:
  GeoReader() = default;
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace dmarc::enrich
