// The DMARC policy record (RFC 9990 §4.7, the tags of RFC 7489 §6.3 it keeps or retires).
//
// Why every tag is validated here: a receiver that meets an invalid value ignores the tag or
// the whole record (RFC 9990 §4.7: "v" first, unknown tags ignored), and the domain owner
// never learns it. Tags: v, p, sp, np, t, psd, rua, ruf, adkim, aspf, fo; pct, ri and rf are
// legacy (RFC 7489; retired by RFC 9990, t= replaces pct). Pure.
#pragma once

#include "check/problem.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dmarc::check {

struct DmarcRecord
{
  std::vector<std::pair<std::string, std::string>> tags;   // in record order, names lower case
  std::vector<std::string> rua;        // the URIs of rua= (without a "!size" suffix)
  std::vector<std::string> ruf;
  Problems problems;

  // The value of `tag`, or nullopt.
  std::optional<std::string> tag(std::string_view name) const;
};

// True when `text` starts with "v=DMARC1" (what selects a TXT record as DMARC, RFC 9990 §4.7).
bool is_dmarc_record(std::string_view text);

// Parses and validates one record (`text` is a DMARC record, see is_dmarc_record).
DmarcRecord parse_dmarc(std::string_view text);

// The domain part of a "mailto:" URI ("mailto:a@Example.com!10m" → "example.com"); "" when
// the URI is not a mailto: with a domain.
std::string mailto_domain(std::string_view uri);

} // namespace dmarc::check
