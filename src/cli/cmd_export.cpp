// dmarcctl export --format jsonl|csv: the stored reports, one JSON line per report or
// parsedmarc-style CSV rows per DMARC record.
#include "cli/context.hpp"
#include "core/log.hpp"
#include "formats/export_json.hpp"
#include "output/csv.hpp"
#include "store/queries.hpp"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace dmarc::cli {

namespace {

struct ExportArgs
{
  std::string format = "jsonl";
  std::string domain;
  std::string since;
  std::string output;
};

ExitCode run(Context& ctx, const ExportArgs& args)
{
  auto db = ctx.open_database(store::Access::read_only);
  if (!db) {
    return fail(db.error());
  }
  store::ReportFilter filter;
  if (std::string d = domain_key(args.domain); !d.empty()) {
    filter.domain = std::move(d);   // matched without regard to case, as summary does
  }
  if (!args.since.empty()) {
    auto since = parse_since(args.since, ctx.clock->now());
    if (!since) {
      return fail(make_error(ErrorKind::usage, "--since: expected Nd, Nw, Nh or YYYY-MM-DD, got '"
                                                 + args.since + "'"));
    }
    filter.since = *since;
  }
  std::FILE* out = stdout;
  if (!args.output.empty() && args.output != "-") {
    out = std::fopen(args.output.c_str(), "wb");
    if (out == nullptr) {
      return fail(make_error(ErrorKind::io, "cannot write " + args.output + ": "
                                              + std::strerror(errno)));
    }
  }
  auto write = [out](const std::string& text) -> Result<void> {
    if (std::fwrite(text.data(), 1, text.size(), out) != text.size()) {
      return make_error(ErrorKind::io, std::string("write failed: ") + std::strerror(errno));
    }
    return {};
  };

  Result<void> result;
  if (args.format == "csv") {
    result = write(output::aggregate_csv_header());
    if (result) {
      result = store::for_each_aggregate(**db, filter, [&](const store::StoredAggregate& s) {
        return write(output::aggregate_csv_rows(s.report));
      });
    }
  } else {
    result = store::for_each_aggregate(**db, filter, [&](const store::StoredAggregate& s) {
      return write(formats::to_jsonl(s.report) + "\n");
    });
    if (result) {
      result = store::for_each_tls(**db, filter, [&](const store::StoredTls& s) {
        return write(formats::to_jsonl(s.report) + "\n");
      });
    }
  }
  const bool closed = out == stdout ? std::fflush(out) == 0 : std::fclose(out) == 0;
  if (!result) {
    return fail(result.error());
  }
  if (!closed) {
    return fail(make_error(ErrorKind::io, std::string("write failed: ") + std::strerror(errno)));
  }
  return ExitCode::ok;
}

} // namespace

void register_export(CLI::App& app, Context& ctx, int& exit_code)
{
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd = app.add_subcommand("export", "Write the stored reports as JSON lines or CSV");
  cmd->add_option("-f,--format", args->format, "jsonl: one report per line (DMARC and TLS); "
                                                "csv: one row per DMARC record, parsedmarc columns")
    ->check(CLI::IsMember({"jsonl", "csv"}));
  cmd->add_option("-d,--domain", args->domain, "Only this policy domain");
  cmd->add_option("--since", args->since, "Only reports beginning after: 28d, 4w, YYYY-MM-DD");
  cmd->add_option("-o,--output", args->output, "Write to this file instead of stdout");
  cmd->footer("Example: dmarcctl export --format csv --domain example.com > example.csv");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
