#!/usr/bin/env bash
# `dmarcctl check` of N domains (default 100) against a real NSD on 127.0.0.1 (DESIGN.md:
# "check of 100 domains in under 5 s"). Each domain publishes DMARC, an SPF record with two
# includes, a DKIM key, MTA-STS-free TLS-RPT and two MX hosts with PTRs, so one check asks
# about 20 questions over 4 rounds. Prints the wall time and the number of DNS questions.
# Usage: bench/check_100.sh [DMARCCTL] [N]        (needs the nsd package)
set -euo pipefail
bin=${1:-build/src/cli/dmarcctl}
n=${2:-100}
dir=$(mktemp -d)
trap 'if [ -f "$dir/nsd.pid" ]; then kill "$(cat "$dir/nsd.pid")" 2>/dev/null || true; sleep 0.3; fi; if [ -n "${KEEP:-}" ]; then cp "$dir/nsd.log" "$KEEP.nsd.log" 2>/dev/null || true; fi; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$dir/zones"
soa() { printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns.%s. h.%s. 1 3600 600 86400 300\n@ NS ns.%s.\nns A 127.0.0.1\n' "$1" "$1" "$1" "$1"; }
conf="server:
  ip-address: 127.0.0.1@$port
  port: $port
  username: \"\"
  zonesdir: \"$dir/zones\"
  database: \"\"
  pidfile: \"$dir/nsd.pid\"
  logfile: \"$dir/nsd.log\"
  xfrdfile: \"$dir/xfrd.state\"
  zonelistfile: \"$dir/zone.list\"
  server-count: 1
remote-control:
  control-enable: no
"
key=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDsK+PS0ix070/rd/mza+WI+O04A84hSkeIRKjalzjlTgYR41T0n6rASnqZfjj6r/TjVEz2k5bTxcARva27Kut5OW080NNuLlU6wOHli2G1k73kjiMToiC/0Be2GFgVKaRLf5aXnYP8LYc19TwJtLnjfuFjipJ2FxPMt9efZ2OakwIDAQAB   # a real 1024-bit RSA key (one TXT string)
domains=()
ptr="$(soa in-addr.arpa)"$'\n'
for i in $(seq 1 "$n"); do
  d="d$i.bench.test"
  domains+=("$d")
  {
    soa "$d"
    echo "@ TXT \"v=spf1 mx include:_spf1.$d include:_spf2.$d ~all\""
    echo "_spf1 TXT \"v=spf1 ip4:10.$((i % 250)).1.0/24 -all\""
    echo "_spf2 TXT \"v=spf1 ip4:10.$((i % 250)).2.0/24 -all\""
    echo "_dmarc TXT \"v=DMARC1; p=quarantine; rua=mailto:dmarc@$d\""
    echo "mail._domainkey TXT \"v=DKIM1; k=rsa; p=${key%% *}\""
    echo "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tls@$d\""
    echo "@ MX 10 mx1"
    echo "@ MX 20 mx2"
    echo "mx1 A 127.1.$((i / 250)).$((i % 250))"
    echo "mx2 A 127.2.$((i / 250)).$((i % 250))"
  } > "$dir/zones/$d.zone"
  ptr+="$((i % 250)).$((i / 250)).1.127 PTR mx1.$d."$'\n'"$((i % 250)).$((i / 250)).2.127 PTR mx2.$d."$'\n'
  conf+="zone:
  name: \"$d\"
  zonefile: \"$d.zone\"
"
done
printf '%s' "$ptr" > "$dir/zones/in-addr.arpa.zone"
conf+="zone:
  name: \"in-addr.arpa\"
  zonefile: \"in-addr.arpa.zone\"
"
printf '%s' "$conf" > "$dir/nsd.conf"
nsd -c "$dir/nsd.conf"
for _ in $(seq 1 100); do
  [ -f "$dir/nsd.pid" ] && break
  sleep 0.05
done
sleep 0.3
printf '[enrich]\ndns_servers = ["127.0.0.1:%s"]\n' "$port" > "$dir/c.toml"
start=$(date +%s.%N)
set +e
"$bin" -c "$dir/c.toml" -v check --format json --selector mail "${domains[@]}" > "$dir/out.json" 2> "$dir/err.txt"
rc=$?
if [ -n "${KEEP:-}" ]; then cp "$dir/out.json" "$KEEP"; fi
set -e
end=$(date +%s.%N)
checked=$(grep -c '"domain": "d' "$dir/out.json" || true)
errors=$(grep -c '"severity": "error"' "$dir/out.json" || true)
echo "check of $n domains: $(python3 -c "print(f'{$end - $start:.2f}')") s wall, exit $rc, $checked domains in the output, $errors error findings"
cat "$dir/err.txt"
