#!/bin/sh
# bench/corpus_check.sh GEN BENCH_IMPORT WORKDIR: the generated corpus imports completely.
# Generates a small corpus with every reporter style, imports its files and its Maildir
# through dmarc_bench_import (which fails on any rejected input or bare-parse failure) and
# checks that the records and reports imported are those the generator's manifest lists.
# Registered as the ctest `bench_corpus_imports` when the bench is built with the tests.
set -eu
gen=$1 bench=$2 work=$3
rm -rf "$work"
"$gen" --out "$work/corpus" --records 20000 --max-records 300 --seed 11 >/dev/null
value() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1"; }
records=$(value "$work/corpus/manifest.tsv" records)
reports=$(( $(value "$work/corpus/manifest.tsv" dmarc_reports) + $(value "$work/corpus/manifest.tsv" tls_reports) ))
for style in google outlook yahoo rfc9990 smallmta mimecast mailru; do
  [ "$(value "$work/corpus/manifest.tsv" "style_$style")" -gt 0 ] || { echo "no $style report" >&2; exit 1; }
done
for input in files maildir; do
  out=$("$bench" --input "$work/corpus/$input" --work "$work/db" --repeat 1 --no-stages)
  got_records=$(printf '%s\n' "$out" | sed -n 's/^records=//p')
  got_reports=$(printf '%s\n' "$out" | sed -n 's/^reports=//p')
  if [ "$got_records" != "$records" ] || [ "$got_reports" != "$reports" ]; then
    echo "$input: imported $got_records records in $got_reports reports, manifest says $records in $reports" >&2
    exit 1
  fi
  echo "$input: $got_records records in $got_reports reports, as generated"
done
rm -rf "$work"
