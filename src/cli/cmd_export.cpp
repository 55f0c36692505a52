// dmarcctl export --format jsonl|csv [--type dmarc|tls|failure]: the stored reports, one JSON
// line per report (DMARC, TLS, failure) or parsedmarc-style CSV rows: per DMARC record, per
// TLS policy and failure detail, or per failure report.
#include "cli/context.hpp"
#include "core/log.hpp"
#include "formats/export_json.hpp"
#include "formats/failure_json.hpp"
#include "output/csv.hpp"
#include "store/failure_queries.hpp"
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
  std::string type = "dmarc";
  bool type_given = false;
  std::string domain;
  std::string since;
  std::string output;
};

ExitCode run(Context& ctx, const ExportArgs& args)
{
  if (args.type_given && args.format != "csv") {
    return fail(make_error(ErrorKind::usage, "--type applies to --format csv only (jsonl has "
                                             "every type, each line naming its \"type\")"));
  }
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
  if (args.format == "csv" && args.type == "tls") {
    result = write(output::tls_csv_header());
    if (result) {
      result = store::for_each_tls(**db, filter, [&](const store::StoredTls& s) {
        return write(output::tls_csv_rows(s.report));
      });
    }
  } else if (args.format == "csv" && args.type == "failure") {
    result = write(output::failure_csv_header());
    if (result) {
      result = store::for_each_failure(**db, filter, [&](const store::StoredFailure& s) {
        return write(output::failure_csv_row(s.report, s.time));
      });
    }
  } else if (args.format == "csv") {
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
    if (result) {
      result = store::for_each_failure(**db, filter, [&](const store::StoredFailure& s) {
        return write(formats::failure_to_jsonl(s.report, s.id, s.time, s.domain) + "\n");
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
  cmd->add_option("-f,--format", args->format, "jsonl: one report per line (DMARC, TLS and "
                                                "failure); csv: parsedmarc columns, see --type")
    ->check(CLI::IsMember({"jsonl", "csv"}));
  cmd->add_option_function<std::string>(
       "-t,--type",
       [args](const std::string& t) {
         args->type = t;
         args->type_given = true;
       },
       "With csv: dmarc (default, one row per record), tls (one row per policy and per "
       "failure detail) or failure (one row per failure report)")
    ->check(CLI::IsMember({"dmarc", "tls", "failure"}));
  cmd->add_option("-d,--domain", args->domain, "Only this policy domain");
  cmd->add_option("--since", args->since, "Only reports beginning after: 28d, 4w, YYYY-MM-DD "
                                          "(failure reports: arrived after)");
  cmd->add_option("-o,--output", args->output, "Write to this file instead of stdout");
  cmd->footer("CSV times are UTC in ISO 8601 with their zone (2024-03-01T00:00:00Z).\n"
              "Example: dmarcctl export --format csv --domain example.com > example.csv\n"
              "         dmarcctl export --format csv --type failure -o failures.csv");
  cmd->callback([&ctx, &exit_code, args] { exit_code = to_int(run(ctx, *args)); });
}

} // namespace dmarc::cli
