#!/usr/bin/env bash
# A Lambda function through the real runtime path: `cargo lambda watch`
# emulates the Lambda runtime API and a function URL (payload v2, the
# shape API Gateway HTTP APIs send), runs `sendas-fn-platform` over
# DynamoDB on the moto endpoint in AWS_ENDPOINT_URL, and curl calls it.
# The function runs as its deployed principal (fn-platform: its policies in
# infra/template.yaml, enforced by moto; keys in SENDAS_AWS_PRINCIPALS); the
# table is created and the operator bootstrapped as the admin.
# Run by scripts/test.sh (skip with SENDAS_SKIP_LAMBDA_E2E=1).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${AWS_ENDPOINT_URL:?run from scripts/test.sh (needs moto)}"
: "${SENDAS_AWS_PRINCIPALS:?run from scripts/test.sh (needs moto with IAM)}"
id=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
table=$(jq -r .naming.table "$SENDAS_AWS_PRINCIPALS"); table=${table//\{id\}/$id}
prefix=$(jq -r .naming.secret_prefix "$SENDAS_AWS_PRINCIPALS"); prefix=${prefix//\{id\}/$id}
export SENDAS_TABLE=$table SENDAS_SECRET_PREFIX=$prefix
key() { jq -r ".principals[\"$1\"].$2" "$SENDAS_AWS_PRINCIPALS"; }
op=$(AWS_ACCESS_KEY_ID=$(key admin access_key_id) AWS_SECRET_ACCESS_KEY=$(key admin secret_access_key) \
  target/debug/sendas bootstrap-operator --aws-table "$table" --create-table)
fn_key=$(key fn-platform access_key_id)
fn_secret=$(key fn-platform secret_access_key)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
AWS_ACCESS_KEY_ID=$fn_key AWS_SECRET_ACCESS_KEY=$fn_secret .venv/bin/cargo-lambda lambda watch -A 127.0.0.1 -P "$port" --bin sendas-fn-platform >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; pkill -f "target/debug/sendas-fn-platform" 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
url="http://127.0.0.1:$port/lambda-url/sendas-fn-platform"
fail() { echo "lambda runtime test failed: $*" >&2; cat "$log" >&2; exit 1; }
# The first request waits for cargo lambda to build the function (a few minutes on a clean target).
for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done

created=$(curl -s -m 900 -w '\n%{http_code}' -H "Authorization: Bearer $op" -H 'Content-Type: application/json' \
  -d '{"name":"lambda.example","system_address":"system@lambda.example","domains":["lambda.example"]}' "$url/v1/tenants")
[ "$(tail -1 <<<"$created")" = 201 ] || fail "create tenant: $created"
tenant=$(head -1 <<<"$created" | jq -r .tenant.id)
listed=$(curl -s -m 60 -H "Authorization: Bearer $op" "$url/v1/tenants")
jq -e --arg t "$tenant" '[.items[].id] | index($t) != null' <<<"$listed" >/dev/null || fail "list: $listed"
status=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$url/v1/tenants")
[ "$status" = 401 ] || fail "no token gave $status"
echo "lambda runtime (cargo lambda watch): ok"
