// What `check` shares with `advise --dns` and `run`: reading the published records.
#pragma once

#include "cli/context.hpp"
#include "pipeline/check.hpp"

#include <string>
#include <vector>

namespace dmarc::cli {

// The check options from the config: [enrich] resolvers and timeouts, [check] ca_file.
pipeline::CheckOptions check_options(const config::Config& config);

// What to check for `domains` (every [[domain]] when empty): each domain's selectors
// (dkim_selectors plus `extra_selectors`) and authorized_ips.
std::vector<check::DomainInput> check_inputs(const config::Config& config,
                                             const std::vector<std::string>& domains,
                                             const std::vector<std::string>& extra_selectors);

} // namespace dmarc::cli
