// The local step of `run`: the [[local]] sources of the configuration (Maildirs on this
// host) imported like `dmarcctl import`, with their after action.
#pragma once

#include "cli/context.hpp"

namespace dmarc::cli {

struct LocalReport
{
  ExitCode code = ExitCode::ok;
  bool attention = false;            // something was rejected or could not be read or moved
  std::string summary;               // "local maildir: 3 reports imported ..."
};

// Imports every [[local]] source into `db`; a message is moved only after its commit.
// `code` is partial when a report was rejected (a mail without any report that went to
// the invalid folder is handled), a path could not be read or a move failed; error when
// the database failed.
LocalReport import_local_sources(Context& ctx, store::Database& db, const config::Config& config);

} // namespace dmarc::cli
