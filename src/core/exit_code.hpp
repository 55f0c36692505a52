// Process exit codes (DESIGN.md "CLI and operation"). `advise --exit-code` adds 4.
#pragma once

namespace dmarc {

enum class ExitCode : int {
  ok = 0,
  error = 1,      // fatal: nothing or not everything could be done
  usage = 2,      // bad command line or configuration
  partial = 3,    // some inputs/messages were rejected or failed
  regression = 4, // advise --exit-code: a published policy is hurting authorized mail
  check_failed = 5, // check: a published record has an error
};

inline int to_int(ExitCode code) { return static_cast<int>(code); }

} // namespace dmarc
