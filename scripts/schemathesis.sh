#!/usr/bin/env bash
# API schema fuzzing: schemathesis against the served /v1/openapi.json of
# `sendas serve --demo`, as a tenant user, the tenant admin and the
# operator (in that order: the operator may delete what the others use).
# Fails on any 5xx and on any response that breaks the schema (status
# code, content type, headers or body not as documented).
#
# Usage: scripts/schemathesis.sh [MAX_EXAMPLES_PER_OPERATION] [path/to/sendas]
# Needs .venv/bin/schemathesis (scripts/requirements-test.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-10}
bin=${2:-target/debug/sendas}
st=${SCHEMATHESIS:-.venv/bin/schemathesis}
data=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
"$bin" serve --demo --data-dir "$data" --api-addr "127.0.0.1:$port" \
  --smtp-addr "127.0.0.1:$(free_port)" --smtp-tls-addr "127.0.0.1:$(free_port)" >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 100); do grep -q "listening on" "$data/serve.log" 2>/dev/null && break; sleep 0.1; done
API="http://127.0.0.1:$port"
user=$(jq -r '.users[] | select(.login=="alice") | .token' "$data/demo.json")
admin=$(jq -r .tokens.admin "$data/demo.json")
operator=$(jq -r .tokens.operator "$data/demo.json")
# Real identifiers, so that operations get past 404 and into their logic.
tenant=$(jq -r .tenant_id "$data/demo.json")
first_id() { curl -s -H "Authorization: Bearer $admin" "$API/v1/tenants/$tenant/$1" | jq -r "[.items[] | select($2)][0].id"; }
cat > "$data/schemathesis.toml" <<TOML
[parameters]
tenant_id = "$tenant"
user_id = "$(jq -r '.users[] | select(.login=="bob") | .id' "$data/demo.json")"
mailbox_id = "$(first_id mailboxes '.system == false')"
company_id = "$(first_id companies 'true')"
group_id = "$(first_id groups 'true')"
TOML
status=0
summary=target/schemathesis-summary.txt
mkdir -p target
: > "$summary"
for role in user admin operator; do
  token=${!role}
  log="target/schemathesis-$role.log"
  if "$st" --config-file "$data/schemathesis.toml" run "$API/v1/openapi.json" -H "Authorization: Bearer $token" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
      --max-examples "$examples" --phases examples,coverage,fuzzing --workers 2 --seed 1 \
      --suppress-health-check all --request-timeout 10 --no-color > "$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  cases=$(grep -Eo '[0-9]+ generated' "$log" | tail -1 || true)
  echo "$role: $result, ${cases:-? cases generated}, $(grep -Eo '[0-9]+ unique failures' "$log" | tail -1 || echo '0 failures')" | tee -a "$summary"
  if [ "$result" = FAILED ]; then tail -60 "$log"; fi
done
if grep -q '"level":"ERROR"\|panicked' "$data/serve.log"; then
  echo "the server logged errors or panicked:"; grep '"level":"ERROR"\|panicked' "$data/serve.log" | head -20
  status=1
fi
exit $status
