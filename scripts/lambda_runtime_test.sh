#!/usr/bin/env bash
# A Lambda function through the real runtime path: `cargo lambda watch
# --only-lambda-apis` emulates the Lambda runtime API and a function URL
# (payload v2, the shape API Gateway HTTP APIs send); the test build's
# `target/debug/sendas-fn-platform` (built by `cargo test --no-run`, never
# built again here) polls that runtime API, over DynamoDB on the moto
# endpoint in AWS_ENDPOINT_URL, and curl calls it.
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
bin=target/debug/sendas-fn-platform
[ -x "$bin" ] || { echo "$bin is missing: build the tests first (cargo test --workspace --all-features --no-run)" >&2; exit 1; }
.venv/bin/cargo-lambda lambda watch --only-lambda-apis -A 127.0.0.1 -P "$port" >"$log" 2>&1 &
pid=$!
fn_pid=""
trap 'st=$?; kill $pid $fn_pid 2>/dev/null || true; wait $pid $fn_pid 2>/dev/null || true; [ "$st" = 0 ] || cat "$log" >&2; rm -f "$log"' EXIT
fail() { echo "lambda runtime test failed: $*" >&2; cat "$log" >&2; exit 1; }
# Listening (a request to it would wait for a function to take it).
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
# The variables cargo lambda says a function started apart from it must have.
AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 AWS_LAMBDA_FUNCTION_NAME=_ \
  AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt" \
  AWS_ACCESS_KEY_ID=$fn_key AWS_SECRET_ACCESS_KEY=$fn_secret "$bin" >>"$log" 2>&1 &
fn_pid=$!
url="http://127.0.0.1:$port/lambda-url/_"

created=$(curl -s -m 60 -w '\n%{http_code}' -H "Authorization: Bearer $op" -H 'Content-Type: application/json' \
  -d '{"name":"lambda.example","system_address":"system@lambda.example","domains":["lambda.example"]}' "$url/v1/tenants")
[ "$(tail -1 <<<"$created")" = 201 ] || fail "create tenant: $created"
tenant=$(head -1 <<<"$created" | jq -r .tenant.id)
listed=$(curl -s -m 60 -H "Authorization: Bearer $op" "$url/v1/tenants")
jq -e --arg t "$tenant" '[.items[].id] | index($t) != null' <<<"$listed" >/dev/null || fail "list: $listed"
status=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$url/v1/tenants")
[ "$status" = 401 ] || fail "no token gave $status"
# The upgrade step of address ownership on this table: a tenant created now claimed its system
# address already, so there is nothing to claim (idempotent).
claimed=$(AWS_ACCESS_KEY_ID=$(key admin access_key_id) AWS_SECRET_ACCESS_KEY=$(key admin secret_access_key) \
  target/debug/sendas claim-system-addresses --aws-table "$table")
[ "$claimed" = 0 ] || fail "claim-system-addresses on a current table claimed $claimed"
echo "lambda runtime (cargo lambda watch --only-lambda-apis, the test build's sendas-fn-platform): ok"
