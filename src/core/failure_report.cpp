#include "core/failure_report.hpp"

namespace dmarc {

const char* to_string(FailureSamples samples)
{
  switch (samples) {
  case FailureSamples::full: return "full";
  case FailureSamples::none: return "none";
  case FailureSamples::headers: break;
  }
  return "headers";
}

} // namespace dmarc
