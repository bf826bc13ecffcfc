#!/usr/bin/env bash
# The one test command of sendas (README "Test"): format and lint checks,
# then every test of the workspace, with the AWS-backed tests running
# against moto's server mode on 127.0.0.1. Installs what it needs on a
# fresh machine (a Python virtual environment in .venv). If moto cannot
# start, this fails: AWS tests are never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n==> %s\n' "$*"; }

# Every step's wall time, printed as a table at the end (also when a step fails).
timings=()
step_name=""
step_start=0
script_start=$(date +%s)
step() {
  step_done
  step_name=$1
  step_start=$(date +%s)
  log "$1"
}
# Free disk after each step, so a run that fills the disk shows where.
disk_free() { df -Ph . 2>/dev/null | awk 'NR == 2 { print $4 }'; }
step_done() {
  if [ -n "$step_name" ]; then
    timings+=("$(printf '%6d s  %6s free  %s%s' "$(($(date +%s) - step_start))" "$(disk_free)" "$step_name" "${1:-}")")
    step_name=""
  fi
}
print_timings() {
  step_done "${1:-}"
  echo
  echo "step times:"
  local t
  for t in "${timings[@]}"; do echo "$t"; done
  printf '%6d s  %6s free  total\n' "$(($(date +%s) - script_start))" "$(disk_free)"
}
trap 'status=$?; [ "$status" = 0 ] || print_timings "  (FAILED)"' EXIT
echo "disk: $(disk_free) free at the start"

step "system tools (Debian packages)"
# curl, jq (README walk-through); swaks with TLS and AUTH support, msmtp (real clients);
# Dovecot submission and Postfix with Cyrus SASL (real upstreams: scripts/upstreams);
# Knot DNS (the authoritative server of sendas_testkit::dns: each test starts its own knotd on
# a free loopback port with its own socket, so a system knot service, if apt starts one, is never used);
# iproute2 (`ip`, for tests that run in a network namespace with only loopback: sendas_testkit::netns).
packages=(curl jq swaks libnet-ssleay-perl libauthen-sasl-perl msmtp
  dovecot-core dovecot-submissiond postfix sasl2-bin libsasl2-modules knot iproute2)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  # Postfix asks what kind of mail system this is (the tests run their own instances).
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

step "python tools (.venv)"
source scripts/venv.sh
ensure_venv

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "build tests"
cargo test --workspace --all-features --no-run

step "start moto (AWS-compatible server, requests serialized, IAM enforced: see scripts/moto_serialized.py) on 127.0.0.1"
# Its faster item responses must equal moto's own serializer's (scripts/moto_serialized.py).
.venv/bin/python scripts/moto_serialized.py --self-check
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_log=$(mktemp)
moto_dir=$(mktemp -d)
# The IAM principals of the deployed code (policies read from infra/template.yaml and infra/proxy.yaml)
# and an admin for test setup; their keys go to this file, which the tests read.
principals="$moto_dir/principals.json"
AWS_REGION=eu-central-1 .venv/bin/python scripts/moto_serialized.py 127.0.0.1 "$port" --iam "$principals" >"$moto_log" 2>&1 &
moto_pid=$!
cleanup() {
  local status=$?
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  rm -rf "$moto_log" "$moto_dir"
  [ "$status" = 0 ] || print_timings "  (FAILED)"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/"; then break; fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then cat "$moto_log"; echo "moto failed to start" >&2; exit 1; fi
  sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" || { cat "$moto_log"; echo "moto did not answer" >&2; exit 1; }

export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=eu-central-1
export SENDAS_AWS_PRINCIPALS="$principals"
# No default credentials: every AWS client in a test signs as a principal it names
# (sendas_testkit::aws), so nothing runs as the admin by accident.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
# Never ask an instance metadata endpoint for credentials (it is not on loopback).
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

# The load test holds 10,000 idle connections (plus the client ends).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 12000 ] || { echo "open files limit $(ulimit -n) < 12000: the load test needs more" >&2; exit 1; }

step "cargo test (memory, embedded and AWS backends; load and faults)"
# Test binaries side by side (scripts/run_tests.py: the heavy ones alone, JUnit in target/test-results/).
set +e
.venv/bin/python scripts/run_tests.py --jobs "${SENDAS_TEST_JOBS:-3}" -- --workspace --all-features --tests | tee target/test-results.log
status=${PIPESTATUS[0]}
set -e
summary=$(grep '^RUN_TESTS_SUMMARY ' target/test-results.log | tail -1 | cut -d' ' -f2-)
[ -n "$summary" ] || summary='{}'
passed=$(jq -r '.passed // 0' <<<"$summary")
failed=$(jq -r '.failed // 0' <<<"$summary")
if [ "$status" -ne 0 ]; then echo "cargo: $passed passed, $failed failed"; exit "$status"; fi
if [ "$passed" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi

step "README walk-through (sendas serve --demo + curl + swaks)"
bash scripts/readme_walkthrough.sh target/debug/sendas
passed=$((passed + 1))

step "web app: dist/ current, then headless Chromium against sendas serve --demo (scripts/web_test.sh)"
SENDAS_WEB_SKIP_CARGO_TEST=1 bash scripts/web_test.sh target/debug/sendas
passed=$((passed + 1))

step "deployment templates: cfn-lint, and the SAM template against the router's routes"
.venv/bin/cfn-lint infra/template.yaml infra/proxy.yaml infra/web.yaml
passed=$((passed + 1))
openapi=$(mktemp)
target/debug/sendas openapi >"$openapi"
.venv/bin/python infra/routes.py check "$openapi"
rm -f "$openapi"
passed=$((passed + 1))

if [ "${SENDAS_SKIP_LAMBDA_E2E:-}" != 1 ]; then
  step "a Lambda function through cargo lambda's runtime emulation, on moto"
  bash scripts/lambda_runtime_test.sh
  passed=$((passed + 1))
fi

if [ "${SENDAS_PRUNE_TEST_BINARIES:-}" = 1 ]; then
  step "delete the test executables that ran (SENDAS_PRUNE_TEST_BINARIES, set by .ci/run: CI's disk is small)"
  # target/debug/sendas, used below, is a hard link and stays; the one test run again below
  # (fuzz.sh: differential) is linked again from the libraries, which stay.
  find target/debug/deps -maxdepth 1 -type f -perm -u+x ! -name '*.so' -delete
fi

if [ "${SENDAS_SKIP_ARTIFACTS:-}" != 1 ]; then
  step "deploy artefacts: sam validate --lint, sam build (arm64), the proxy's FROM-scratch image started against moto (scripts/build_artifacts.sh)"
  bash scripts/build_artifacts.sh
  passed=$((passed + 1))
fi

step "API schema fuzzing: schemathesis as user, admin and operator (bounded)"
bash scripts/schemathesis.sh "${SENDAS_SCHEMATHESIS_EXAMPLES:-10}" target/debug/sendas
passed=$((passed + 1))

if [ "${SENDAS_SKIP_FUZZ:-}" != 1 ]; then
  step "coverage-guided fuzzing: cargo fuzz, ${SENDAS_FUZZ_SECONDS:-10} s per target (bounded), then the differential check over its corpus"
  SENDAS_FUZZ_DEV=1 bash scripts/fuzz.sh "${SENDAS_FUZZ_SECONDS:-10}"
  passed=$((passed + 1))
fi

echo
echo "total: $passed passed, $failed failed"
print_timings
log "all tests passed ($root)"
