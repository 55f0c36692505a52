#!/usr/bin/env bash
# dmarcctl init: the file (mode 0600, what config check accepts, exact keys), no overwrite
# without --force, the database directory, the DNS records (with the _report._dmarc
# authorisation only for a domain other than the mailbox's), missing options, the
# interactive questions with the password read into a 0600 file and never echoed, and the
# IMAP login check failing on a closed port.
# Usage: init_test.sh DMARCCTL
set -uo pipefail
bin=$1
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmarcctl-init-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
umask 022
mkdir -p "$tmp/etc"
printf 'hunter2-secret\n' >"$tmp/etc/imap.pass"
chmod 600 "$tmp/etc/imap.pass"
conf=$tmp/etc/dmarcctl/dmarcctl.toml
args=(init --non-interactive --domain example.com --domain Example.ORG. --imap-url imaps://mail.example.com
      --username dmarc@example.com --password-file "$tmp/etc/imap.pass"
      --database "$tmp/var/lib/dmarcctl/reports.sqlite" --no-connect)

# ---- a first run ----
"$bin" -c "$conf" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
status=$?
[ $status -eq 0 ] || { cat "$tmp/out" "$tmp/err"; fail "init exited $status"; }
[ "$(stat -c %a "$conf")" = 600 ] || fail "config mode $(stat -c %a "$conf"), expected 600"
[ "$(stat -c %a "$tmp/var/lib/dmarcctl")" = 700 ] || fail "database directory not created with mode 700"
"$bin" -c "$conf" config check >"$tmp/check" 2>&1 || { cat "$tmp/check"; fail "config check rejects init's file"; }
grep -qx "$conf: OK: database $tmp/var/lib/dmarcctl/reports.sqlite, 1 IMAP account, 2 domains, GELF off" "$tmp/check" ||
  fail "config check said: $(cat "$tmp/check")"
grep -qx 'url = "imaps://mail.example.com"' "$conf" || fail "no url line in the config"
grep -qx "password_file = \"$tmp/etc/imap.pass\"   # mode 0600, the password alone" "$conf" || fail "no password_file line"
grep -q 'hunter2' "$conf" "$tmp/out" "$tmp/err" && fail "the password appears in the config or the output"
for line in "wrote $conf (mode 0600)" \
            "created $tmp/var/lib/dmarcctl (mode 0700) for the database" \
            '  _dmarc.example.com.  TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"' \
            '  _smtp._tls.example.com.  TXT "v=TLSRPTv1; rua=mailto:dmarc@example.com"' \
            '  _dmarc.example.org.  TXT "v=DMARC1; p=none; rua=mailto:dmarc@example.com"' \
            '  example.org._report._dmarc.example.com.  TXT "v=DMARC1"' \
            '  systemctl enable --now dmarcctl.timer'; do
  grep -qxF -- "$line" "$tmp/out" || fail "init output lacks: $line"
done
grep -q 'example.com._report._dmarc' "$tmp/out" && fail "an authorisation record for the mailbox's own domain"

# ---- no overwrite without --force ----
echo '# mine' >>"$conf"
"$bin" -c "$conf" "${args[@]}" >"$tmp/out2" 2>"$tmp/err2"
status=$?
[ $status -eq 1 ] || fail "a second init exited $status, expected 1"
grep -qxF "dmarcctl: io: $conf exists; pass --force to replace it" "$tmp/err2" || fail "refusal said: $(cat "$tmp/err2")"
grep -qx '# mine' "$conf" || fail "the existing file was changed without --force"
"$bin" -c "$conf" "${args[@]}" --force >"$tmp/out3" 2>&1 || fail "init --force failed"
grep -qxF "replaced $conf (mode 0600)" "$tmp/out3" || fail "--force said: $(head -1 "$tmp/out3")"
grep -qx '# mine' "$conf" && fail "--force kept the old file"
[ "$(stat -c %a "$conf")" = 600 ] || fail "replaced config mode $(stat -c %a "$conf")"

# ---- missing options, bad values ----
"$bin" -c "$tmp/x.toml" init --non-interactive --domain example.com >"$tmp/out4" 2>&1
status=$?
[ $status -eq 2 ] || fail "missing options exited $status, expected 2"
grep -qxF "dmarcctl: usage: init --non-interactive needs --imap-url, --username, --password-file" "$tmp/out4" ||
  fail "missing options said: $(cat "$tmp/out4")"
[ -e "$tmp/x.toml" ] && fail "a file was written despite missing options"
"$bin" -c "$tmp/x.toml" "${args[@]/imaps:\/\/mail.example.com/https://mail.example.com}" >"$tmp/out5" 2>&1
[ $? -eq 2 ] && grep -qF -- "--imap-url must start with imaps:// or imap://, not 'https://mail.example.com'" "$tmp/out5" ||
  fail "a https:// url said: $(cat "$tmp/out5")"

# ---- interactive, answers on stdin, the password file written ----
conf2=$tmp/i/dmarcctl.toml
printf 'shop.example\n\n\n%s\nsecret-from-stdin\n' "$tmp/i/imap.pass" |
  "$bin" -c "$conf2" init --database "$tmp/i/db/reports.sqlite" --no-connect >"$tmp/out6" 2>"$tmp/err6"
status=$?
[ $status -eq 0 ] || { cat "$tmp/out6" "$tmp/err6"; fail "interactive init exited $status"; }
grep -qx 'url = "imaps://mail.shop.example"' "$conf2" || fail "the default IMAP url was not taken"
grep -qx 'username = "dmarc-reports@shop.example"' "$conf2" || fail "the default user was not taken"
[ "$(cat "$tmp/i/imap.pass" 2>/dev/null)" = secret-from-stdin ] || fail "the password file does not hold the password"
[ "$(stat -c %a "$tmp/i/imap.pass")" = 600 ] || fail "password file mode $(stat -c %a "$tmp/i/imap.pass")"
grep -q 'secret-from-stdin' "$tmp/out6" "$tmp/err6" "$conf2" && fail "the typed password was echoed or stored in the config"
grep -qF 'IMAP password (not shown' "$tmp/err6" || fail "no password question on stderr"

# ---- the login check: a closed port on loopback ----
port=$((20000 + RANDOM % 20000))
"$bin" -c "$tmp/c.toml" init --non-interactive --domain example.com --imap-url "imaps://127.0.0.1:$port" \
  --username dmarc@example.com --password-file "$tmp/etc/imap.pass" --database "$tmp/c/r.sqlite" \
  >"$tmp/out7" 2>"$tmp/err7"
status=$?
[ $status -eq 1 ] || fail "a refused IMAP connection exited $status, expected 1"
grep -qF "account reports (127.0.0.1:$port): connect failed" "$tmp/err7" || fail "the login check said: $(cat "$tmp/err7")"
grep -qF '_dmarc.example.com.  TXT' "$tmp/out7" || fail "no DNS records after a failed login check"

if [ $failures -ne 0 ]; then
  echo "$failures problem(s)"
  exit 1
fi
echo "ok"
