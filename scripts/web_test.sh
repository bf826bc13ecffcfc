#!/usr/bin/env bash
# The web app's tests: static checks, type check, "web/dist is what the
# sources build to", the embedding tests of crates/sendas/src/web.rs, and
# the browser test (headless Chromium + playwright-core + axe-core) against
# a real `sendas serve --demo` on free loopback ports, with swaks sending
# through the proxy. Screenshots go to target/web-screenshots/.
#
# Usage: scripts/web_test.sh [path/to/sendas]   (default: target/debug/sendas,
# built with `cargo build -p sendas` when missing or older than web/dist).
# SENDAS_WEB_SKIP_CARGO_TEST=1 skips `cargo test -p sendas --lib web::`
# (for scripts/test.sh, whose workspace test run has them already).
# Needs Node.js >= 20 (playwright-core), Python 3 (free ports), curl.
# Installs what it needs on a fresh Debian machine: chromium,
# chromium-driver, swaks (+ libnet-ssleay-perl, libauthen-sasl-perl),
# nodejs/npm when there is no node; `npm ci` in web/.
# Ends with "web tests: N passed, N failed"; exits non-zero on failure.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bin=${1:-target/debug/sendas}
started=$(date +%s)
passed=0
failed=0
failures=()
ok() { passed=$((passed + 1)); echo "ok    $1"; }
bad() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL  $1"; }
run() { # run NAME CMD...: one counted check
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}
summary() {
  local took=$(($(date +%s) - started))
  if [ "$failed" -gt 0 ]; then printf 'failed: %s\n' "${failures[@]}"; fi
  echo "web tests: $passed passed, $failed failed (${took}s)"
  [ "$failed" -eq 0 ]
}

# --- what the tests need -----------------------------------------------------
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v swaks >/dev/null 2>&1 || need_apt+=(swaks)
perl -MNet::SSLeay -e1 2>/dev/null || need_apt+=(libnet-ssleay-perl)
perl -MAuthen::SASL -e1 2>/dev/null || need_apt+=(libauthen-sasl-perl)
node_major() { node -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
[ "$(node_major)" -ge 20 ] || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  sudo_=""
  [ "$(id -u)" -eq 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${need_apt[@]}" >/dev/null ||
    { bad "installing ${need_apt[*]}"; summary; exit 1; }
fi
if [ "$(node_major)" -lt 20 ]; then
  bad "Node.js >= 20 is needed (playwright-core); this machine has $(node --version 2>/dev/null || echo none)"
  summary
  exit 1
fi
(cd web && npm ci --no-audit --no-fund --loglevel=error) || { bad "npm ci in web/"; summary; exit 1; }

# --- the sources ------------------------------------------------------------
run "static checks (no HTML sinks, no third-party URLs, German = English keys)" node web/tests/static_checks.mjs
run "type check (tsc --noEmit)" bash -c 'cd web && npx tsc --noEmit -p .'
run "web/dist is current (source hash + rebuild and compare)" node web/tools/build.mjs --check

# --- the binary that embeds web/dist -------------------------------------------
if [ ! -x "$bin" ] || [ -n "$(find web/dist -newer "$bin" -print -quit)" ]; then
  echo "building sendas (web/dist is newer than $bin)"
  nice cargo build -q -p sendas || { bad "cargo build -p sendas"; summary; exit 1; }
fi
# (scripts/test.sh runs these with the whole workspace and sets SENDAS_WEB_SKIP_CARGO_TEST=1)
if [ -z "${SENDAS_WEB_SKIP_CARGO_TEST:-}" ]; then
  run "embedding: cargo test -p sendas --lib web::" nice cargo test -q -p sendas --lib web::
fi

# --- a real `sendas serve --demo` -----------------------------------------------
data=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
smtp_port=$(free_port)
tls_port=$(free_port)
"$bin" serve --demo --data-dir "$data" --api-addr "127.0.0.1:$port" \
  --smtp-addr "127.0.0.1:$smtp_port" --smtp-tls-addr "127.0.0.1:$tls_port" >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 150); do grep -q "listening on" "$data/serve.log" 2>/dev/null && break; sleep 0.1; done
if ! grep -q "listening on" "$data/serve.log"; then
  cat "$data/serve.log" >&2
  bad "sendas serve --demo started"
  summary
  exit 1
fi
run "serve --demo prints the web app's admin and user sign-in links" \
  grep -Eq "^  admin: +http://127\.0\.0\.1:$port/#token=sendas_[^&]+&tenant=" "$data/serve.log"
run "… and alice's" grep -Eq "^  alice: +http://127\.0\.0\.1:$port/#token=sendas_" "$data/serve.log"
csp=$(curl -s -D - -o /dev/null "http://127.0.0.1:$port/" | tr -d '\r' | grep -i '^content-security-policy:')
run "the CSP header is on /" grep -q "frame-ancestors 'none'" <<<"$csp"

# --- the browser ----------------------------------------------------------------
shots="$repo/target/web-screenshots"
rm -rf "$shots"
mkdir -p "$shots"
SENDAS_WEB_BASE="http://127.0.0.1:$port" SENDAS_DATA_DIR="$data" SENDAS_SHOTS="$shots" CHROMIUM=/usr/bin/chromium \
  timeout 300 node web/tests/browser.test.mjs 2>&1 | tee "$data/browser.log"
browser_status=${PIPESTATUS[0]}
line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed' "$data/browser.log" | tail -1)
if [ -n "$line" ]; then
  read -r bp bf < <(sed -E 's/^browser: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/' <<<"$line")
  passed=$((passed + bp))
  failed=$((failed + bf))
  while IFS= read -r l; do failures+=("browser: ${l#FAIL  }"); done < <(grep -E '^FAIL  ' "$data/browser.log" | cut -c1-160)
fi
if [ "$browser_status" -ne 0 ] && [ "${bf:-0}" -eq 0 ]; then
  bad "the browser test ended abnormally (status $browser_status)"
  tail -20 "$data/serve.log" >&2
fi
summary
