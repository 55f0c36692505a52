#!/usr/bin/env bash
# The README stays short: at most 15,000 characters, the reference lives in docs/ and the man
# pages; every docs/*.md file it links exists.
set -uo pipefail
src=$1
chars=$(wc -m <"$src/README.md")
status=0
if [ "$chars" -gt 15000 ]; then
  echo "FAIL: README.md has $chars characters (at most 15000): move reference material to docs/"
  status=1
fi
for link in $(grep -o '](docs/[^)#]*' "$src/README.md" | sed 's/^](//' | sort -u); do
  [ -e "$src/$link" ] || { echo "FAIL: README.md links $link, which does not exist"; status=1; }
done
echo "README.md: $chars characters"
exit $status
