#!/usr/bin/env bash
# The issue's acceptance in a brand-new Debian 12 root: debootstrap (minbase, cached as a
# tarball after the first run), `apt-get install ./dmarcctl_*.deb` pulls runtime libraries
# only, then --version, `man dmarcctl` / `man dmarcctl.toml`, bash completion, the units in
# /lib/systemd/system, `dmarcctl init --non-interactive` and `config check`.
# Needs root and Debian's archive. Not part of ctest by default (ctest label `chroot`, only
# when DMARC_CHROOT_TEST=ON): the first run downloads and unpacks a Debian root.
# Usage: chroot_install_test.sh DEB [CACHE_DIR]   (default cache /var/cache/dmarcctl-test)
set -uo pipefail
deb=$(realpath "$1")
cache=${2:-/var/cache/dmarcctl-test}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (chroot)"; exit 1; }
command -v debootstrap >/dev/null || { echo "FAIL: debootstrap is not installed"; exit 1; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
tarball=$cache/bookworm-minbase.tar
mkdir -p "$cache"
if [ ! -s "$tarball" ]; then
  start=$SECONDS
  fresh=$(mktemp -d "$cache/root.XXXXXX")
  debootstrap --variant=minbase bookworm "$fresh" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; echo "FAIL: debootstrap failed"; rm -rf "$fresh"; exit 1; }
  tar -C "$fresh" -cf "$tarball" .
  rm -rf "$fresh"
  echo "debootstrap: $((SECONDS - start)) s (cached in $tarball)"
fi
root=$(mktemp -d /var/tmp/dmarcctl-chroot.XXXXXX)
cleanup() {
  umount "$root/proc" 2>/dev/null
  rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$tarball"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

in_root apt-get update -q >/dev/null || fail "apt-get update in the root"
in_root bash -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb") man-db bash-completion" \
  >"$root/tmp/apt.log" 2>&1 || { tail -20 "$root/tmp/apt.log"; fail "apt-get install of the package failed"; }
installed=$(in_root dpkg-query -W -f='${Package}\n')
for p in $installed; do
  case $p in
    *-base) ;;   # gcc-12-base: the runtime's docs, part of every Debian root
    *-dev|gcc*|g++*|cpp*|cmake*|clang*|dovecot*|catch2|build-essential)
      fail "installing dmarcctl pulled in $p" ;;
  esac
done
version=$(in_root dmarcctl --version)
[[ $version == "dmarcctl "* ]] || fail "dmarcctl --version printed '$version'"
in_root man -P cat dmarcctl 2>/dev/null | grep -q 'EXIT STATUS' || fail "man dmarcctl"
in_root man -P cat dmarcctl.toml 2>/dev/null | grep -q 'password_file' || fail "man dmarcctl.toml"
out=$(in_root bash -c 'source /usr/share/bash-completion/bash_completion; source /usr/share/bash-completion/completions/dmarcctl
  COMP_WORDS=(dmarcctl sum); COMP_CWORD=1; COMP_LINE="dmarcctl sum"; COMP_POINT=12; _dmarcctl; echo "${COMPREPLY[*]}"')
[ "$out" = summary ] || fail "bash completion of 'dmarcctl sum' gave '$out'"
for unit in dmarcctl.service dmarcctl.timer; do
  [ -f "$root/lib/systemd/system/$unit" ] || fail "$unit is not in /lib/systemd/system"
done
in_root bash -c 'install -d -m 700 /etc/dmarcctl && printf "secret\n" > /etc/dmarcctl/imap.pass && chmod 600 /etc/dmarcctl/imap.pass
  dmarcctl init --non-interactive --domain example.com --imap-url imaps://mail.example.com \
    --username dmarc@example.com --password-file /etc/dmarcctl/imap.pass --no-connect >/dev/null &&
  dmarcctl config check' || fail "init + config check in the root"
[ "$(stat -c %a "$root/etc/dmarcctl/dmarcctl.toml")" = 600 ] || fail "config mode in the root"
[ -d "$root/var/lib/dmarcctl" ] || fail "init did not create /var/lib/dmarcctl"

if [ $failures -ne 0 ]; then
  echo "$failures problem(s)"
  exit 1
fi
echo "ok: installed in a fresh Debian 12 root: $version"
