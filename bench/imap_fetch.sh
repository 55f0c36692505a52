#!/usr/bin/env bash
# IMAP fetch benchmark (issue #4): a throw-away Dovecot on 127.0.0.1 (the same setup as
# tests/integration/imap), N small DMARC report mails written straight into the user's
# Maildir (doveadm save would take ~30 ms per mail), then one timed `dmarcctl fetch` with
# after = "move" (AFTER=leave|seen|delete to compare): IMAPS, UID FETCH in batches, store, UID MOVE to the archive.
# Prints seconds and messages per second, and checks that every report was stored and
# every mail archived.
#
# Usage: [BATCH=200] [AFTER=move] bench/imap_fetch.sh [DMARCCTL] [N]
#        (as root; defaults: build/src/cli/dmarcctl, 10000 mails)
# Needs: dovecot-imapd, openssl (scripts/install-deps).
set -euo pipefail

cd "$(dirname "$0")/.."
bin=$(realpath "${1:-${DMARCCTL:-build/src/cli/dmarcctl}}")
n=${2:-10000}
batch=${BATCH:-200}
after=${AFTER:-move}
mail_fsync=${MAIL_FSYNC:-optimized}   # Dovecot's default; "never" takes the disk out

[ "$(id -u)" -eq 0 ] || { echo "imap_fetch.sh: run as root (it starts Dovecot)" >&2; exit 1; }
for tool in /usr/sbin/dovecot /usr/bin/doveadm /usr/bin/openssl "$bin"; do
  [ -x "$tool" ] || { echo "imap_fetch.sh: $tool is missing (scripts/install-deps, scripts/build)" >&2; exit 1; }
done
mail_user=vmail
id "$mail_user" >/dev/null 2>&1 || mail_user=mail

dir=$(mktemp -d /tmp/dcbXXXXXX)   # short: Dovecot's unix socket paths are limited
chmod 755 "$dir"
dovecot_pid=""
cleanup() {
  if [ -n "$dovecot_pid" ]; then
    kill "$dovecot_pid" 2>/dev/null || true
    wait "$dovecot_pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# A port nobody listens on (bash's /dev/tcp connect fails).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
}

# Certificates: a CA and a server certificate for 127.0.0.1.
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=bench CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req "${ec[@]}" -subj "/CN=localhost" -keyout "$dir/key.pem" -out "$dir/srv.csr" 2>/dev/null
echo "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$dir/ext.cnf"
openssl x509 -req -in "$dir/srv.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
  -days 2 -extfile "$dir/ext.cnf" -out "$dir/cert.pem" 2>/dev/null

password="bench-$RANDOM-$RANDOM"
echo "dmarc:{PLAIN}$password::::::" >"$dir/passwd"
chown root:dovecot "$dir/passwd"
chmod 0640 "$dir/passwd"
printf '%s\n' "$password" >"$dir/dmarc.pass"
chmod 0600 "$dir/dmarc.pass"
mkdir -p "$dir/run" "$dir/state" "$dir/mail/dmarc/cur" "$dir/mail/dmarc/new" "$dir/mail/dmarc/tmp"

imap_port=$(free_port)
imaps_port=$(free_port)
uid=$(id -u "$mail_user")
gid=$(id -g "$mail_user")
cat >"$dir/dovecot.conf" <<EOF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
ssl_dh = </usr/share/dovecot/dh.pem
auth_mechanisms = plain
mail_fsync = $mail_fsync
mail_uid = $mail_user
mail_gid = $mail_user
first_valid_uid = $uid
last_valid_uid = $uid
first_valid_gid = $gid
last_valid_gid = $gid
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:$dir/mail/%u
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = $dir/passwd
}
userdb {
  driver = passwd-file
  args = $dir/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
EOF

echo "imap_fetch: writing $n report mails into the Maildir" >&2
t0=$(date +%s.%N)
export LC_ALL=C
for ((i = 1; i <= n; i++)); do
  printf -v mail 'From: dmarc-noreply@bench.example.net\r\nTo: dmarc-reports@example.com\r\nSubject: Report domain: example.com Submitter: bench.example.net Report-ID: bench-%d\r\nMessage-ID: <bench-%d@bench.example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nDMARC report\r\n--b\r\nContent-Type: text/xml\r\nContent-Disposition: attachment; filename="report.xml"\r\n\r\n<?xml version="1.0"?>\n<feedback><report_metadata><org_name>bench.example.net</org_name><email>r@bench.example.net</email><report_id>bench-%d</report_id><date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata><policy_published><domain>example.com</domain><p>none</p></policy_published><record><row><source_ip>192.0.2.%d</source_ip><count>%d</count><policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from></identifiers><auth_results><spf><domain>example.com</domain><result>pass</result></spf></auth_results></record></feedback>\r\n--b--\r\n' \
    "$i" "$i" "$i" $((i % 250 + 1)) "$i"
  # ",S=size" as Dovecot's own delivery names files, so sizes need no stat.
  printf '%s' "$mail" >"$dir/mail/dmarc/new/$((1700000000 + i)).M${i}.bench,S=${#mail}"
done
chown -R "$mail_user:$mail_user" "$dir/mail"
t1=$(date +%s.%N)
echo "imap_fetch: wrote $n mails in $(echo "$t1 - $t0" | bc -l | xargs printf '%.1f') s" >&2

/usr/sbin/dovecot -F -c "$dir/dovecot.conf" >"$dir/dovecot.out" 2>&1 &
dovecot_pid=$!
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$imaps_port") 2>/dev/null && break
  sleep 0.05
done
# Let Dovecot index the new mails first, as a live mailbox already is.
doveadm -c "$dir/dovecot.conf" mailbox status -u dmarc messages INBOX >&2

cat >"$dir/dmarcctl.toml" <<EOF
[database]
path = "$dir/reports.sqlite"

[[imap]]
name = "bench"
url = "imaps://127.0.0.1:$imaps_port"
username = "dmarc"
password_file = "$dir/dmarc.pass"
ca_file = "$dir/ca.pem"
mailboxes = ["INBOX"]
after = "$after"
archive = "Archive/DMARC"
batch = $batch
EOF

echo "imap_fetch: dmarcctl fetch ($bin, batch $batch, after $after, Dovecot mail_fsync $mail_fsync)" >&2
start=$(date +%s.%N)
# -vv traces every IMAP command and Dovecot's answer, which carries its own timing.
/usr/bin/time -o "$dir/time" -f "imap_fetch: dmarcctl used %U s user, %S s system, %M KiB peak memory" \
  "$bin" -c "$dir/dmarcctl.toml" -vv fetch 2>"$dir/trace" || { tail -20 "$dir/trace" >&2; exit 1; }
end=$(date +%s.%N)

stored=$(sqlite3 "$dir/reports.sqlite" "SELECT count(*) FROM aggregate_reports")
count() { doveadm -c "$dir/dovecot.conf" mailbox status -u dmarc messages "$1" 2>/dev/null | sed 's/.*=//'; }
archived=$(count Archive/DMARC || true)
left=$(count INBOX)
seconds=$(echo "$end - $start" | bc -l)
grep '^fetched ' "$dir/trace"
cat "$dir/time"
# "dN OK Move completed (1.449 + 0.000 + 1.448 secs)": the first number is Dovecot's time.
server_time() {
  grep "OK $1 completed" "$dir/trace" | sed -n 's/.*completed (\([0-9.]*\) .*/\1/p' | paste -sd+ | sed 's/^$/0/' | bc -l
}
printf 'imap_fetch: Dovecot itself spent %.2f s answering UID FETCH and %.2f s in UID MOVE/STORE/EXPUNGE\n' \
  "$(server_time Fetch)" "$(echo "$(server_time Move) + $(server_time Store) + $(server_time Expunge)" | bc -l)"
printf 'imap_fetch: %d messages fetched, stored and %s in %.2f s: %.0f messages/s\n' \
  "$n" "$([ "$after" = move ] && echo moved || echo "handled ($after)")" "$seconds" \
  "$(echo "$n / $seconds" | bc -l)"
echo "imap_fetch: $stored reports in the database, ${archived:-0} mails in Archive/DMARC, $left left in INBOX"
expected_left=0
[ "$after" = leave ] || [ "$after" = seen ] && expected_left=$n
if [ "$stored" -ne "$n" ] || [ "$left" -ne "$expected_left" ]; then
  echo "imap_fetch: FAILED: expected $n reports stored and $expected_left mails left in INBOX" >&2
  exit 1
fi
# The row for bench/run's table (its piece protocol: lines starting with '|').
cpu=$(sed -n 's/.*used \([0-9.]*\) s user, \([0-9.]*\) s system, \([0-9]*\) KiB.*/\1 + \2/p' "$dir/time" | bc -l)
rss=$(sed -n 's/.* \([0-9]*\) KiB peak memory/\1/p' "$dir/time")
verdict=ok
[ "$(echo "$seconds < 60" | bc -l)" = 1 ] || verdict=MISSED
printf '| IMAP fetch of %d mails from a local Dovecot (IMAPS, batch %d, after = %s): wall time | %.1f s (%.0f mails/s; dmarcctl %.1f s CPU, %.1f MiB peak RSS) | well under a minute | %s |\n' \
  "$n" "$batch" "$after" "$seconds" "$(echo "$n / $seconds" | bc -l)" "$cpu" "$(echo "$rss / 1024" | bc -l)" "$verdict"
