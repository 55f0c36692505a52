#!/usr/bin/env bash
# The Debian package end to end, without installing it on this machine: scripts/package
# packages the built tree (CPack DEB), then
#   - the name is dmarcctl_<version>_<arch>.deb and lintian finds no error;
#   - Depends holds runtime libraries only (no -dev, compiler, CMake, Dovecot, clang, Catch2);
#   - the contents: binary, both man pages, bash + zsh completion, the systemd units in
#     /lib/systemd/system (not enabled: no maintainer script, no /etc/systemd symlink), the
#     example config, copyright and changelog, every file of data/;
#   - unpacked with dpkg -x into a clean directory: --version, the man pages render, bash
#     completion completes commands, and `init --non-interactive` writes a config that
#     `config check` accepts.
# (A debootstrap'ed Debian 12 root with apt-get install ./dmarcctl_*.deb is not part of the
# suite: too slow for a shared 2-core machine on every run.)
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
for tool in lintian dpkg-deb fakeroot dpkg-shlibdeps scdoc; do
  command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (scripts/install-deps)"; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmarcctl-deb-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

deb=$("$src/scripts/package" --from "$build" "$tmp/out" 2>"$tmp/package.log") || {
  cat "$tmp/package.log"; echo "FAIL: scripts/package failed"; exit 1; }
version=$(sed -n 's/^project(dmarcctl VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
arch=$(dpkg --print-architecture)
[ "$(basename "$deb")" = "dmarcctl_${version}_${arch}.deb" ] ||
  fail "package name $(basename "$deb"), expected dmarcctl_${version}_${arch}.deb"

# ---- dependencies ----
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libc6 libstdc++6 libsqlite3-0 libcurl4 libzip4 libpsl5 zlib1g; do
  grep -q "\b$lib\b" <<<"$depends" || fail "Depends lacks $lib"
done
if grep -Eq -- '-dev\b|\bg\+\+|\bgcc\b|\bcmake\b|dovecot|clang|catch2|build-essential' <<<"$depends"; then
  fail "Depends holds a build or test package: $depends"
fi
[ "$(dpkg-deb -f "$deb" Section)" = mail ] || fail "Section is not mail"

# ---- contents ----
contents=$(dpkg-deb --contents "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/bin/dmarcctl /usr/share/man/man1/dmarcctl.1.gz /usr/share/man/man5/dmarcctl.toml.5.gz \
         /usr/share/bash-completion/completions/dmarcctl /usr/share/zsh/vendor-completions/_dmarcctl \
         /lib/systemd/system/dmarcctl.service /lib/systemd/system/dmarcctl.timer \
         /usr/share/doc/dmarcctl/examples/dmarcctl.toml /usr/share/doc/dmarcctl/copyright \
         /usr/share/doc/dmarcctl/changelog.gz; do
  grep -qxF "$f" <<<"$contents" || fail "the package lacks $f"
done
if [ -d "$src/data" ]; then
  while read -r f; do
    grep -qxF "/usr/share/dmarcctl/${f#"$src/data/"}" <<<"$contents" ||
      fail "the package lacks data file /usr/share/dmarcctl/${f#"$src/data/"}"
  done < <(find "$src/data" -type f)
fi
grep -q '^/etc/systemd' <<<"$contents" && fail "the package enables a unit (a file in /etc/systemd)"
dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -Eq 'postinst|prerm' &&
  fail "the package has maintainer scripts (nothing should be enabled or started)"

# ---- lintian ----
lintian --fail-on error --tag-display-limit 0 "$deb" >"$tmp/lintian.txt" 2>&1
status=$?
cat "$tmp/lintian.txt"
[ $status -eq 0 ] || fail "lintian found errors (exit $status)"
grep -q '^E:' "$tmp/lintian.txt" && fail "lintian printed an error tag"

# ---- unpacked ----
root=$tmp/root
dpkg -x "$deb" "$root"
out=$("$root/usr/bin/dmarcctl" --version)
[ "$out" = "dmarcctl $version" ] || fail "--version printed '$out'"
grep -q "^ExecStart=/usr/bin/dmarcctl -c /etc/dmarcctl/dmarcctl.toml run$" \
  "$root/lib/systemd/system/dmarcctl.service" || fail "the service does not run /usr/bin/dmarcctl"
for page in man1/dmarcctl.1.gz man5/dmarcctl.toml.5.gz; do
  zcat "$root/usr/share/man/$page" | grep -q '^\.TH' || fail "$page is not a man page"
done
if command -v man >/dev/null; then
  MANWIDTH=80 man -l "$root/usr/share/man/man5/dmarcctl.toml.5.gz" 2>/dev/null | grep -q 'password_file' ||
    fail "man dmarcctl.toml does not render password_file"
fi
completions=$(PATH=$root/usr/bin:$PATH bash -c '
  source "$1"
  COMP_WORDS=(dmarcctl adv); COMP_CWORD=1; COMP_LINE="dmarcctl adv"; COMP_POINT=12; _dmarcctl; echo "${COMPREPLY[*]}"
  COMP_WORDS=(dmarcctl advise --exi); COMP_CWORD=2; COMP_LINE="dmarcctl advise --exi"; COMP_POINT=21; _dmarcctl; echo "${COMPREPLY[*]}"' _ \
  "$root/usr/share/bash-completion/completions/dmarcctl")
[ "$completions" = $'advise\n--exit-code' ] || fail "bash completion gave '$completions'"

etc=$tmp/etc/dmarcctl
mkdir -p "$etc"
printf 'secret\n' >"$etc/imap.pass"
chmod 600 "$etc/imap.pass"
"$root/usr/bin/dmarcctl" -c "$etc/dmarcctl.toml" init --non-interactive --domain example.com \
  --imap-url imaps://mail.example.com --username dmarc@example.com --password-file "$etc/imap.pass" \
  --database "$tmp/var/reports.sqlite" --no-connect >"$tmp/init.out" 2>&1 ||
  { cat "$tmp/init.out"; fail "init --non-interactive failed"; }
"$root/usr/bin/dmarcctl" -c "$etc/dmarcctl.toml" config check >/dev/null ||
  fail "config check rejects the file init wrote"
# The installed example config is valid too (its password file aside).
"$root/usr/bin/dmarcctl" -c "$root/usr/share/doc/dmarcctl/examples/dmarcctl.toml" config check 2>&1 |
  grep -v 'password' | grep -q 'problem' && fail "the example config has problems besides the password file"

if [ $failures -ne 0 ]; then
  echo "$failures problem(s)"
  exit 1
fi
echo "ok: $(basename "$deb"), $(wc -l <<<"$contents") paths"
