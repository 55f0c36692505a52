// The enrich step, shared by `dmarcctl enrich`, `run` (after fetch) and `import --enrich`.
#pragma once

#include "cli/context.hpp"
#include "store/database.hpp"

namespace dmarc::cli {

enum class EnrichDns { configured, offline };

// Enriches the sources that need it (docs/enrichment.md), printing the summary line at
// verbose level (info with `loud`) and each problem as a warning. ok, partial when some
// lookups failed (timeouts, refusals; they are asked again next run) is still ok: DNS
// trouble never fails a run; error only when the database fails or dns_servers is invalid.
ExitCode enrich_step(Context& ctx, store::Database& db, EnrichDns dns, bool all = false, bool loud = false);

} // namespace dmarc::cli
