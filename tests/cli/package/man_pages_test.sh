#!/usr/bin/env bash
# The man pages against the program: every key `dmarcctl config keys` lists (the parser's own
# list) has an entry in dmarcctl.toml(5) under its section, every key documented there is
# known to the parser, and every command, subcommand and long option of `--help` appears in
# dmarcctl(1) under its command. A failure names what is missing and where.
# Usage: man_pages_test.sh DMARCCTL SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
toml_page=$src/docs/man/dmarcctl.toml.5.scd
cmd_page=$src/docs/man/dmarcctl.1.scd
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# ---- dmarcctl.toml(5) ----------------------------------------------------------------------
# Keys in the page: "## [section]" or "## [[section]]" opens a section; an entry is a line
# "*key* (_type_, ...)".
page_keys=$(awk '
  /^## \[/ { s = $2; gsub(/[][]/, "", s); next }
  /^# / { s = "" }
  /^\*[a-z0-9_]+\* \(/ && s != "" { k = $1; gsub(/\*/, "", k); print s "." k }' "$toml_page" | sort -u)
parser_keys=$("$bin" config keys | sort -u)
[ -n "$parser_keys" ] || fail "dmarcctl config keys printed nothing"
[ "$(echo "$parser_keys" | grep -c 'imap.url')" = 1 ] || fail "config keys lacks imap.url"
while read -r key; do
  [ -z "$key" ] && continue
  grep -qxF "$key" <<<"$page_keys" ||
    fail "config key '$key' is read by the parser but has no entry in docs/man/dmarcctl.toml.5.scd (add '*${key#*.}* (_type_, default _..._)' under '## [${key%%.*}]')"
done <<<"$parser_keys"
while read -r key; do
  [ -z "$key" ] && continue
  grep -qxF "$key" <<<"$parser_keys" ||
    fail "docs/man/dmarcctl.toml.5.scd documents '$key', which the parser does not know"
done <<<"$page_keys"
# Every entry has a type, a default (or "required"/"no default") and an example.
awk '/^\*[a-z0-9_]+\* \(/ { if (k != "" && !ex) print k; k = $1; ex = 0; next }
     /Example:/ { ex = 1 }
     END { if (k != "" && !ex) print k }' "$toml_page" | while read -r k; do
  echo "FAIL: $k in dmarcctl.toml.5.scd has no 'Example:' line"; done | tee /tmp/man_test_$$.ex
[ -s /tmp/man_test_$$.ex ] && failures=$((failures + 1))
rm -f /tmp/man_test_$$.ex

# ---- dmarcctl(1) ---------------------------------------------------------------------------
# The options and subcommands a --help text lists.
help_options() { awk '/^  +-/ { for (i = 1; i <= NF; i++) { w = $i; sub(/,$/, "", w);
                   if (w ~ /^--[a-z]/) print w } }'; }
help_commands() { awk '/^[A-Za-z]+:/ { s = $1; next } s == "Subcommands:" && /^  [a-z]/ { print $1 }'; }
# The text of the "## NAME" section of the page ("" when missing).
page_section() { awk -v h="## $1" '$0 == h { on = 1; next } /^##? / { on = 0 } on' "$cmd_page"; }
global_section=$(awk '/^# OPTIONS/ { on = 1; next } /^# / { on = 0 } on' "$cmd_page")

for opt in $("$bin" --help | help_options); do
  grep -qF -- "*$opt*" <<<"$global_section" ||
    fail "global option $opt of 'dmarcctl --help' is missing from OPTIONS in docs/man/dmarcctl.1.scd"
done
check_command() {   # $1: the command words, e.g. "db migrate"
  local words=$1 text subs
  # shellcheck disable=SC2086
  subs=$("$bin" $words --help | help_commands)
  if [ -n "$subs" ]; then
    for s in $subs; do check_command "$words $s"; done
    return
  fi
  text=$(page_section "$words")
  if [ -z "$text" ]; then
    fail "command '$words' has no '## $words' section in docs/man/dmarcctl.1.scd"
    return
  fi
  # shellcheck disable=SC2086
  for opt in $("$bin" $words --help | help_options); do
    case $opt in --help|--config|--db|--verbose|--quiet|--version) continue ;; esac
    grep -qF -- "*$opt*" <<<"$text" ||
      fail "option $opt of 'dmarcctl $words' is missing from '## $words' in docs/man/dmarcctl.1.scd"
  done
}
commands=$("$bin" --help | help_commands)
[ "$(echo "$commands" | grep -cx 'import')" = 1 ] || fail "'dmarcctl --help' lists no import command"
for c in $commands; do check_command "$c"; done
for heading in "# EXIT STATUS" "# FILES" "# EXAMPLES"; do
  grep -qx "$heading" "$cmd_page" || fail "dmarcctl.1.scd has no '$heading' section"
done

if [ $failures -ne 0 ]; then
  echo "$failures problem(s)"
  exit 1
fi
echo "man pages match: $(echo "$parser_keys" | wc -l) config keys, $(echo "$commands" | wc -w) commands"
