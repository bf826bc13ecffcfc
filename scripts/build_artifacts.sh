#!/usr/bin/env bash
# Builds what README "Deploy (AWS)" deploys, with the README's own commands,
# and checks each artefact before anyone deploys it:
#   1. `sam validate --lint` on infra/template.yaml;
#   2. one release build of every artefact: `make release` (the Makefile)
#      builds sendas-fn-{platform,directory,mailboxes,me,send} and
#      sendas-smtp-proxy in one cargo invocation for one target triple,
#      aarch64-unknown-linux-musl (static), into the workspace's one target/
#      directory (the same one scripts/test.sh uses); then `sam build`, whose
#      `make build-<LogicalId>` finds them built: each
#      .aws-sam/build/*/bootstrap must be a static aarch64 ELF executable, the
#      very file the release build made;
#   3. the SMTP proxy's image: that static build of sendas-smtp-proxy (the
#      ECS task of infra/proxy.yaml is ARM64 like the functions), then
#      `buildah bud` with infra/proxy/Containerfile (FROM scratch) on a
#      context of three files;
#   4. the image run: --help, its baked configuration parses, then a real start
#      against moto with IAM enforced, signing as the proxy's task role
#      (its policy from infra/proxy.yaml): SMTP greeting, EHLO,
#      STARTTLS, a wrong AUTH answered 535 and counted in DynamoDB, implicit
#      TLS, /healthz and /metrics, no warning logged (a missing CA bundle
#      would be one), a clean stop on SIGTERM. Loopback only. An image of
#      another architecture than the host's runs under qemu-user-static.
# Prints the time of each step. Run from anywhere, as root (it installs
# Debian packages, Python tools into .venv and rustup targets it lacks).
# Environment: CARGO_TARGET_DIR is honoured (cargo's own rules).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nbuild_artifacts: FAILED: %s\n' "$*" >&2; exit 1; }

# ---- timings ----------------------------------------------------------------------------------
timings=()
step_name=""
step_start=0
now_ms() { date +%s%3N; }
script_start=$(now_ms)
step() {
  step_done
  step_name=$1
  step_start=$(now_ms)
  log "$1"
}
step_done() {
  local suffix=${1:-}
  if [ -n "$step_name" ]; then
    local ms=$(($(now_ms) - step_start))
    timings+=("$(printf '%8.1f s  %s' "$(awk -v ms="$ms" 'BEGIN{print ms/1000}')" "$step_name$suffix")")
    step_name=""
  fi
}
print_timings() {
  step_done "${1:-}"
  echo
  echo "timings:"
  local t
  for t in "${timings[@]}"; do echo "$t"; done
  printf '%8.1f s  total\n' "$(awk -v ms="$(($(now_ms) - script_start))" 'BEGIN{print ms/1000}')"
}

# ---- cleanup: moto, the proxy's container, temp files -------------------------------------------
B=(buildah --storage-driver vfs)
moto_pid=""
run_pid=""
ctr=""
work=$(mktemp -d)
cleanup() {
  local status=$?
  set +e
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    for p in $(descendants "$run_pid"); do kill -KILL "$p" 2>/dev/null; done
    kill -TERM "$run_pid" 2>/dev/null
    wait "$run_pid" 2>/dev/null
  fi
  [ -n "$ctr" ] && "${B[@]}" rm "$ctr" >/dev/null 2>&1
  [ -n "$moto_pid" ] && { kill "$moto_pid" 2>/dev/null; wait "$moto_pid" 2>/dev/null; }
  rm -rf "$work"
  if [ "$status" = 0 ]; then print_timings; else print_timings "  (FAILED)"; fi
  exit "$status"
}
trap cleanup EXIT

# All processes below $1 (children first in the list's order of discovery).
descendants() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$c"
    descendants "$c"
  done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ELF facts of a file, one line: "<machine> <static|dynamic> <exec|dyn>" (e_machine 183 = aarch64, 62 = x86_64).
elf_info() {
  python3 - "$1" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
    print("not-a-64-bit-little-endian-elf"); sys.exit(0)
e_type, e_machine = struct.unpack_from("<HH", data, 16)
e_phoff, = struct.unpack_from("<Q", data, 32)
e_phentsize, e_phnum = struct.unpack_from("<HH", data, 54)
types = [struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0] for i in range(e_phnum)]
machine = {183: "aarch64", 62: "x86_64"}.get(e_machine, f"machine-{e_machine}")
linking = "dynamic" if 3 in types else "static"  # PT_INTERP: needs a dynamic loader
kind = {2: "exec", 3: "dyn"}.get(e_type, f"type-{e_type}")
print(machine, linking, kind)
PY
}

# ---- 0. tools -------------------------------------------------------------------------------------
step "tools: Debian packages, .venv (scripts/requirements-test.txt), rustup targets"
[ "$(id -u)" = 0 ] || fail "run as root (installs Debian packages; buildah's vfs storage)"
[ -f infra/proxy/Containerfile ] || fail "infra/proxy/Containerfile missing"

# One target triple for every artefact (the Makefile): the Lambda functions are arm64
# (infra/template.yaml), and so must the proxy's ECS task be (infra/proxy.yaml).
proxy_arch=$(sed -n 's/^ *CpuArchitecture: *\([A-Z0-9_]*\).*/\1/p' infra/proxy.yaml)
[ "$proxy_arch" = ARM64 ] || fail "infra/proxy.yaml: RuntimePlatform.CpuArchitecture is '$proxy_arch'; every artefact is built for aarch64 (Makefile)"
grep -q '^ *Architectures: \[arm64\]' infra/template.yaml || fail "infra/template.yaml: the functions are not arm64; every artefact is built for aarch64 (Makefile)"
triple=$(make -s -f Makefile release-dir | awk -F/ '{print $(NF-1)}')
[ "$triple" = aarch64-unknown-linux-musl ] || fail "the Makefile builds for $triple"
platform=linux/arm64 machine=aarch64 qemu=qemu-aarch64-static
# An image of another architecture runs under qemu's user-mode emulator, copied into the test container.
[ "$machine" = "$(uname -m)" ] && qemu=""

packages=(buildah file openssl curl jq)
[ -n "$qemu" ] && packages+=(qemu-user-static)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The same venv and marker as scripts/test.sh: whichever runs first installs both files' pins.
source scripts/venv.sh
ensure_venv
for tool in sam cargo-zigbuild python-zig; do
  [ -x ".venv/bin/$tool" ] || fail ".venv/bin/$tool missing: is it pinned in scripts/requirements-test.txt?"
done
# make (from sam) finds cargo, cargo finds cargo-zigbuild, which finds zig (python-zig) on PATH.
export PATH="$root/.venv/bin:$PATH"
# SAM CLI: no telemetry (and no network) from CI.
export SAM_CLI_TELEMETRY=0

installed=$(rustup target list --installed)
grep -qx "$triple" <<<"$installed" || rustup target add "$triple"
target_dir=$(cargo metadata --no-deps --format-version 1 | jq -r .target_directory)
echo "cargo target directory: $target_dir"

# ---- 1. sam validate ------------------------------------------------------------------------------
step "sam validate --lint (infra/template.yaml)"
sam validate --lint --template-file infra/template.yaml

# ---- 2. one release build, then sam build ----------------------------------------------------------
step "release build: make release (cargo zigbuild --release --target $triple: six functions and the proxy, one invocation)"
make -s -f Makefile release
release_dir=$(make -s -f Makefile release-dir)
static_aarch64() {
  local info
  info=$(elf_info "$1")
  case "$info" in
    "aarch64 static exec" | "aarch64 static dyn") ;;
    *) fail "$1 is not a static aarch64 ELF executable: $info ($(file -b "$1"))" ;;
  esac
}

step "sam build (BuildMethod makefile, in source: make build-<LogicalId> copies what the release build made)"
# The functions SAM builds: every function resource with BuildMethod makefile, and the Makefile's binary for it.
template_functions=$(.venv/bin/python - <<'PY'
import sys
sys.path.insert(0, "scripts")
import aws_iam  # its template loader knows !Ref, !Sub, !GetAtt

for name, r in aws_iam.load(aws_iam.TEMPLATE)["Resources"].items():
    if r["Type"] == "AWS::Serverless::Function":
        print(name, (r.get("Metadata") or {}).get("BuildMethod"))
PY
)
functions=$(make -s -f Makefile functions)
[ "$(awk '{print $1, "makefile"}' <<<"$functions" | sort)" = "$(sort <<<"$template_functions")" ] \
  || fail "infra/template.yaml's functions [$(xargs <<<"$template_functions")] are not the Makefile's [$(xargs <<<"$functions")], each with BuildMethod makefile"
expected="sendas-fn-directory sendas-fn-mailboxes sendas-fn-me sendas-fn-platform sendas-fn-recheck sendas-fn-send"
[ "$(awk '{print $2}' <<<"$functions" | sort | xargs)" = "$expected" ] \
  || fail "the Makefile builds [$(awk '{print $2}' <<<"$functions" | xargs)], expected [$expected]"
sam build
while read -r id bin; do
  artefact=".aws-sam/build/$id/bootstrap"
  [ -f "$artefact" ] || fail "$artefact missing"
  static_aarch64 "$artefact"
  # The artefact is the file the one release build made in the shared target directory.
  cmp -s "$artefact" "$release_dir/$bin" || fail "$artefact differs from $release_dir/$bin"
  printf '%-22s %-20s %s, %s MB\n' "$id" "$bin" "$(file -b "$artefact" | cut -d, -f1-2)" "$(($(stat -c %s "$artefact") / 1048576))"
done <<<"$functions"

# ---- 3. the proxy's image -------------------------------------------------------------------------
binary="$release_dir/sendas-smtp-proxy"
static_aarch64 "$binary"
echo "$binary: $(file -b "$binary")"

step "proxy image: buildah bud -f infra/proxy/Containerfile ($platform, context of three files)"
image=localhost/sendas-smtp-proxy:ci
context="$target_dir/proxy-image"
rm -rf "$context"
mkdir -p "$context"
cp "$binary" infra/proxy/proxy.toml /etc/ssl/certs/ca-certificates.crt "$context/"
"${B[@]}" rmi -f "$image" >/dev/null 2>&1 || true  # the previous build's image: storage stays bounded
"${B[@]}" bud --isolation chroot --platform "$platform" -q -f infra/proxy/Containerfile -t "$image" "$context" >/dev/null
config=$("${B[@]}" inspect --type image "$image")
[ "$(jq -r .OCIv1.architecture <<<"$config")" = "${platform#linux/}" ] || fail "image architecture: $(jq -r .OCIv1.architecture <<<"$config")"
[ "$(jq -r .OCIv1.config.User <<<"$config")" = 65532:65532 ] || fail "image user: $(jq -r .OCIv1.config.User <<<"$config")"
jq -e '.OCIv1.config.Env | index("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") != null' <<<"$config" >/dev/null \
  || fail "image: SSL_CERT_FILE not set"
echo "$image: $(jq -r '.OCIv1.architecture + ", user " + .OCIv1.config.User + ", entrypoint " + (.OCIv1.config.Entrypoint | join(" "))' <<<"$config"), $("${B[@]}" images --format '{{.Size}}' "$image")"

# ---- 4. the image run -----------------------------------------------------------------------------
step "proxy image run: the baked configuration"
ctr=$("${B[@]}" from --pull=never --platform "$platform" "$image")
run=(/usr/local/bin/sendas-smtp-proxy)
if [ -n "$qemu" ]; then
  # Only in this working container, never in the image.
  "${B[@]}" copy --chmod 0555 "$ctr" "/usr/bin/$qemu" "/.test/$qemu" >/dev/null
  run=("/.test/$qemu" "${run[@]}")
  echo "(the $machine binary runs under /usr/bin/$qemu)"
fi
help=$("${B[@]}" run --isolation chroot "$ctr" -- "${run[@]}" --help 2>&1) || fail "--help in the image: $help"
grep -q '^Usage: sendas-smtp-proxy \[CONFIG.toml\]' <<<"$help" || fail "--help in the image printed: $help"
echo "the image's binary answers --help"
# Without SENDAS_TABLE, the baked /etc/sendas/proxy.toml is read and parsed, then the start stops at the table.
set +e
out=$("${B[@]}" run --isolation chroot "$ctr" -- "${run[@]}" /etc/sendas/proxy.toml 2>&1)
set -e
grep -q 'no DynamoDB table (SENDAS_TABLE)' <<<"$out" || fail "the image's binary did not get past its configuration: $out"
echo "the image's binary runs and parses /etc/sendas/proxy.toml (stops at: no DynamoDB table, as it should)"

step "proxy image run: a real start against moto (IAM enforced), SMTP, TLS, AUTH, /healthz, SIGTERM"
.venv/bin/python scripts/moto_serialized.py --self-check >/dev/null
moto_port=$(free_port)
principals="$work/principals.json"
AWS_REGION=eu-central-1 .venv/bin/python scripts/moto_serialized.py 127.0.0.1 "$moto_port" --iam "$principals" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" && break
  kill -0 "$moto_pid" 2>/dev/null || { cat "$work/moto.log" >&2; fail "moto did not start"; }
  sleep 0.2
done
curl -fsS -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" || { cat "$work/moto.log" >&2; fail "moto did not answer"; }
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION=eu-central-1 AWS_EC2_METADATA_DISABLED=true
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE

# The table as infra/template.yaml declares it, created as the admin principal; the test naming's id.
id=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
table=$(jq -r .naming.table "$principals")
table=${table//\{id\}/$id}
prefix=$(jq -r .naming.secret_prefix "$principals")
prefix=${prefix//\{id\}/$id}
SENDAS_AWS_PRINCIPALS="$principals" .venv/bin/python - "$table" <<'PY'
import json, os, sys
import boto3
sys.path.insert(0, "scripts")
import aws_iam

table = sys.argv[1]
admin = json.load(open(os.environ["SENDAS_AWS_PRINCIPALS"]))["principals"]["admin"]
props = next(r["Properties"] for r in aws_iam.load(aws_iam.TEMPLATE)["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table")
ddb = boto3.client(
    "dynamodb",
    endpoint_url=os.environ["AWS_ENDPOINT_URL"],
    region_name=os.environ["AWS_REGION"],
    aws_access_key_id=admin["access_key_id"],
    aws_secret_access_key=admin["secret_access_key"],
)
ddb.create_table(
    TableName=table,
    BillingMode=props["BillingMode"],
    AttributeDefinitions=props["AttributeDefinitions"],
    KeySchema=props["KeySchema"],
    GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
)
ddb.get_waiter("table_exists").wait(TableName=table)
PY
echo "table $table created (admin)"

# The task role's keys (moto's IAM user proxy-task) in a credentials file readable only by the
# container's user: no key on a command line or in the environment.
jq -r '.principals["proxy-task"] | "[default]\naws_access_key_id = \(.access_key_id)\naws_secret_access_key = \(.secret_access_key)"' \
  "$principals" >"$work/credentials"

# The test configuration: loopback ports, a self-signed certificate for localhost, the table.
sub_port=$(free_port)
tls_port=$(free_port)
metrics_port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
cat >"$work/proxy-test.toml" <<EOF
hostname = "smtp.build-artifacts.test"
submission_addr = "127.0.0.1:$sub_port"
implicit_tls_addr = "127.0.0.1:$tls_port"
metrics_addr = "127.0.0.1:$metrics_port"
tls_cert = "/.test/cert.pem"
tls_key = "/.test/key.pem"
table = "$table"
secret_prefix = "$prefix"
[limits]
auth_failure_delay_ms = 50
EOF
"${B[@]}" copy --chown 65532:65532 --chmod 0400 "$ctr" \
  "$work/proxy-test.toml" "$work/cert.pem" "$work/key.pem" "$work/credentials" /.test/ >/dev/null

"${B[@]}" run --isolation chroot \
  -e AWS_ENDPOINT_URL="$AWS_ENDPOINT_URL" -e AWS_REGION="$AWS_REGION" -e AWS_EC2_METADATA_DISABLED=true \
  -e AWS_SHARED_CREDENTIALS_FILE=/.test/credentials -e RUST_LOG=info \
  "$ctr" -- "${run[@]}" /.test/proxy-test.toml >"$work/proxy.log" 2>&1 &
run_pid=$!
for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$sub_port") 2>/dev/null && break
  kill -0 "$run_pid" 2>/dev/null || { cat "$work/proxy.log" >&2; fail "the proxy's container exited before listening"; }
  sleep 0.1
done
proxy_pid=$(for p in $(descendants "$run_pid"); do
  tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q '/usr/local/bin/sendas-smtp-proxy /.test/proxy-test.toml' && echo "$p"
done | tail -1)
[ -n "$proxy_pid" ] || { cat "$work/proxy.log" >&2; fail "no proxy process below buildah run (pid $run_pid)"; }
[ "$(ps -o uid= -p "$proxy_pid" | tr -d ' ')" = 65532 ] || fail "the proxy runs as uid $(ps -o uid= -p "$proxy_pid"), not 65532"
# Loopback only: every socket the proxy listens on is on 127.0.0.1.
listening=$(ss -Hltnp | grep "pid=$proxy_pid," | awk '{print $4}' | sort | xargs)
[ "$listening" = "$(printf '127.0.0.1:%s\n' "$sub_port" "$tls_port" "$metrics_port" | sort | xargs)" ] \
  || fail "the proxy listens on [$listening], expected 127.0.0.1 ports $sub_port $tls_port $metrics_port"
echo "proxy (pid $proxy_pid, uid 65532) listening on $listening"

.venv/bin/python - "$sub_port" "$tls_port" "$metrics_port" "$work/cert.pem" <<'PY' || { cat "$work/proxy.log" >&2; fail "SMTP check"; }
import base64, smtplib, ssl, sys, urllib.request
sub, implicit, metrics, ca = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
tls = ssl.create_default_context(cafile=ca)  # verifies the proxy's certificate for "localhost"

s = smtplib.SMTP(timeout=30)
code, banner = s.connect("localhost", sub)
s._host = "localhost"  # the name STARTTLS checks the certificate against (connect() leaves it unset)
assert code == 220 and banner.startswith(b"smtp.build-artifacts.test"), (code, banner)
code, ehlo = s.ehlo("client.test")
assert code == 250 and s.has_extn("starttls"), (code, ehlo)
assert not s.has_extn("auth"), "AUTH offered before TLS"
code, _ = s.starttls(context=tls)
assert code == 220, code
code, ehlo = s.ehlo("client.test")
assert code == 250 and "PLAIN" in s.esmtp_features.get("auth", ""), (code, ehlo)
# An unknown login: the proxy looks it up in DynamoDB and counts the failure there.
code, reply = s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0nobody@build-artifacts.test\0wrong").decode())
assert code == 535, (code, reply)
s.quit()
print(f"submission: 220 greeting, STARTTLS (certificate verified), AUTH PLAIN with a wrong password -> {code}")

s = smtplib.SMTP_SSL("localhost", implicit, context=tls, timeout=30)
code, _ = s.ehlo("client.test")
assert code == 250 and "PLAIN" in s.esmtp_features.get("auth", ""), code
s.quit()
print("implicit TLS: greeting and EHLO over TLS")

health = urllib.request.urlopen(f"http://127.0.0.1:{metrics}/healthz", timeout=10).read()
assert health.strip() == b"ok", health
text = urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=10).read().decode()
assert text.strip(), "empty /metrics"
print(f"/healthz: ok; /metrics: {len(text.splitlines())} lines")
PY

# The proxy reached DynamoDB as its task role: the failure counters (AUTHFAIL#) are in the table.
SENDAS_AWS_PRINCIPALS="$principals" .venv/bin/python - "$table" <<'PY' || { cat "$work/proxy.log" >&2; fail "AUTH failure counters"; }
import json, os, sys
import boto3
admin = json.load(open(os.environ["SENDAS_AWS_PRINCIPALS"]))["principals"]["admin"]
ddb = boto3.client(
    "dynamodb",
    endpoint_url=os.environ["AWS_ENDPOINT_URL"],
    region_name=os.environ["AWS_REGION"],
    aws_access_key_id=admin["access_key_id"],
    aws_secret_access_key=admin["secret_access_key"],
)
keys = sorted(i["PK"]["S"] for i in ddb.scan(TableName=sys.argv[1])["Items"] if i["PK"]["S"].startswith("AUTHFAIL#"))
assert any(k.startswith("AUTHFAIL#login:nobody@build-artifacts.test") for k in keys), keys
print("DynamoDB (written by the proxy as proxy-task):", ", ".join(keys))
PY
# No warning at all: this also catches a missing CA bundle (the SDK loads the system roots at its
# first request, even to an http endpoint, and warns "no native root CA certificates found").
if grep -Eq '"level":"(WARN|ERROR)"' "$work/proxy.log"; then
  grep -E '"level":"(WARN|ERROR)"' "$work/proxy.log" >&2
  fail "the proxy logged warnings or errors"
fi

# SIGTERM, as ECS stops a task: the proxy drains (no session is open) and exits 0.
kill -TERM "$proxy_pid"
for _ in $(seq 1 100); do kill -0 "$run_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$run_pid" 2>/dev/null && { cat "$work/proxy.log" >&2; fail "the proxy did not stop within 10 s of SIGTERM"; }
set +e
wait "$run_pid"
status=$?
set -e
run_pid=""
[ "$status" = 0 ] || { cat "$work/proxy.log" >&2; fail "the proxy exited with $status after SIGTERM"; }
echo "SIGTERM: stopped, exit 0"
"${B[@]}" rm "$ctr" >/dev/null
ctr=""

step_done
log "artefacts built and checked: .aws-sam/build ($(wc -l <<<"$functions") functions, arm64), $image ($platform)"
