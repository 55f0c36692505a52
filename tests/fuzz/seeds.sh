#!/usr/bin/env bash
# Assembles the seed corpus of every libFuzzer target from fixtures/ (and this directory's
# own seeds/ and regressions/) into OUTDIR/<target>/, one flat directory per target.
# Usage: tests/fuzz/seeds.sh OUTDIR        (scripts/fuzz calls it; safe to rerun)
# Regression inputs (tests/fuzz/regressions/<target>/ and fixtures/bad/fuzz-*) are part of
# the seeds, so every fuzz run replays each earlier finding before it mutates anything.
set -euo pipefail
out=${1:?usage: seeds.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
fx=$root/fixtures

# add TARGET FILE...: copies the files that exist (globs that match nothing are skipped).
add() {
  local target=$1; shift
  mkdir -p "$out/$target"
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    # Names stay unique across source directories: dir_file.
    cp "$f" "$out/$target/$(basename "$(dirname "$f")")_$(basename "$f")"
  done
}

add mime_fuzz "$fx"/mail/*.eml
add mime_fuzz "$fx"/failure/*.eml
add decompress_fuzz "$fx"/bad/*.gz "$fx"/bad/*.zip "$fx"/bad/random.bin "$fx"/dmarc/archive-* \
  "$fx"/mail/payload/*
add formats_dmarc_xml_fuzz "$fx"/dmarc/*.xml "$fx"/bad/xml-* "$fx"/expected/*.xml \
  "$fx"/mail/payload/*.xml
add formats_tlsrpt_fuzz "$fx"/tlsrpt/*.json "$fx"/bad/json-* "$fx"/mail/payload/*.json
add config_fuzz "$here"/seeds/config/*.toml
add check_records_fuzz "$here"/seeds/check/*
# What GELF messages carry: report text of every kind (JSON, XML, field values).
add output_gelf_deflate_fuzz "$fx"/tlsrpt/*.json "$fx"/dmarc/*.xml "$fx"/bad/json-*
add pipeline_import_fuzz "$fx"/mail/*.eml "$fx"/dmarc/* "$fx"/tlsrpt/*.json "$fx"/bad/* \
  "$fx"/mail/payload/*

# Earlier findings: fixtures/bad/fuzz-* are whole inputs (they go through the pipeline and
# the stage they broke); tests/fuzz/regressions/<target>/* belong to one target.
add pipeline_import_fuzz "$fx"/bad/fuzz-*
for f in "$fx"/bad/fuzz-*; do
  [ -f "$f" ] || continue
  case $(basename "$f") in
    fuzz-mime-*) add mime_fuzz "$f" ;;
    fuzz-decompress-*) add decompress_fuzz "$f" ;;
    fuzz-xml-*) add formats_dmarc_xml_fuzz "$f" ;;
    fuzz-json-*) add formats_tlsrpt_fuzz "$f" ;;
  esac
done
for d in "$here"/regressions/*/; do
  [ -d "$d" ] || continue
  add "$(basename "$d")" "$d"*
done
# Drop the .md files the fixture directories document themselves with.
find "$out" -name '*.md' -delete
