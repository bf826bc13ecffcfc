#!/usr/bin/env bash
# Profiles the proxy (`sendas serve`, release build) with perf while the
# load generator sends SIZE-byte messages from SESSIONS sessions to it,
# relayed to Postfix's smtp-sink. Prints perf's flat top list (self time).
# Usage: bench/profile.sh [SIZE] [SESSIONS] [MESSAGES_PER_SESSION]   (as root; needs linux-perf;
# SENDAS_BIN=path profiles another build of sendas)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-10240} sessions=${2:-50} per=${3:-200}
work=$(mktemp -d)
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
sink=$(port)
smtp-sink -u nobody -m 2000 "127.0.0.1:$sink" 4096 & sink_pid=$!
# All sessions are alice's: the per-user cap of concurrent transactions (10 by default) is lifted.
printf 'max_transactions_per_user = 1000\n' > "$work/limits.toml"
"${SENDAS_BIN:-target/release/sendas}" serve --demo --data-dir "$work/data" --api-addr "127.0.0.1:$(port)" \
  --smtp-addr "127.0.0.1:$(port)" --smtp-tls-addr "127.0.0.1:$(port)" --smtp-limits "$work/limits.toml" \
  > "$work/serve.log" 2>&1 & serve_pid=$!
trap 'kill $sink_pid $serve_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
demo=$work/data/demo.json
api=$(jq -r .api "$demo") admin=$(jq -r .tokens.admin "$demo") tenant=$(jq -r .tenant_id "$demo")
smtp=$(jq -r .smtp.port "$demo")
pw=$(jq -r '.users[] | select(.login=="alice") | .password' "$demo")
box=$(curl -s -H "Authorization: Bearer $admin" "$api/v1/tenants/$tenant/mailboxes" | jq -c '[.items[] | select(.smtp != null)][0]')
body=$(jq -c --argjson port "$sink" '{address, display_name, global, company_id, sender, reply, smtp: {host: "127.0.0.1", port: $port, tls: "none", username: .smtp.username}}' <<<"$box")
curl -s -X PUT -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
  "$api/v1/tenants/$tenant/mailboxes/$(jq -r .id <<<"$box")" -d "$body" > /dev/null
# A new host forgets the stored password (given for the old one): give it again (smtp-sink takes any).
curl -s -X PUT -H "Authorization: Bearer $admin" -H "Content-Type: application/json" \
  "$api/v1/tenants/$tenant/mailboxes/$(jq -r .id <<<"$box")/password" -d '{"password": "sink"}' > /dev/null
from=$(jq -r .address <<<"$box")
export SENDAS_LOADGEN_PASSWORD=$pw
target/release/sendas-loadgen --addr "127.0.0.1:$smtp" --login alice --from "$from" --sessions 5 --messages 5 --size 1024 > /dev/null
cpu() { awk '{print $14 + $15}' "/proc/$serve_pid/stat"; }
before=$(cpu)
perf record -F 999 -g -o "$work/perf.data" -p "$serve_pid" -- sleep 30 > /dev/null 2>&1 & perf_pid=$!
sleep 0.5
target/release/sendas-loadgen --addr "127.0.0.1:$smtp" --login alice --from "$from" --sessions "$sessions" \
  --messages "$per" --size "$size" --sources 50
after=$(cpu)
echo "proxy CPU: $(( (after - before) * 10 )) ms for $((sessions * per)) messages (perf sampling included)"
kill -INT $perf_pid; wait $perf_pid 2>/dev/null || true
perf report -i "$work/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -40
