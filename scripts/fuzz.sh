#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 60 s each) with
# cargo fuzz (libFuzzer, no sanitizer: the code is safe Rust, and stable
# Rust has no -Zsanitizer), seeded from the test cases. Fails when a target
# finds a crash; the crashing input is in fuzz/artifacts/<target>/ and
# becomes a regression test (see fuzz/README.md).
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# SENDAS_FUZZ_DEV=1 builds the targets unoptimised (faster to build, slower
# to run: the test command's short runs use it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(smtp_session originator_headers address_parse sasl_decode)
security="${SENDAS_SECURITY_CASES:-$root/../shared/security}"

# cargo-fuzz 0.13.2: the prebuilt one of .venv (scripts/requirements-test.txt), else a source build.
[ -x "$root/.venv/bin/cargo-fuzz" ] && export PATH="$root/.venv/bin:$PATH"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
seeds="$root/target/fuzz-seeds"
rm -rf "$seeds"
python3 scripts/fuzz_seeds.py "$security" "$seeds"
profile=()
[ "${SENDAS_FUZZ_DEV:-0}" = 1 ] && profile=(--dev)
(cd fuzz && cargo fuzz build -s none "${profile[@]}")
summary="$root/target/fuzz-summary.txt"
: > "$summary"
status=0
for t in "${targets[@]}"; do
  corpus="$root/target/fuzz-corpus/$t"
  mkdir -p "$corpus" "fuzz/artifacts/$t"
  log="$root/target/fuzz-$t.log"
  if (cd fuzz && cargo fuzz run -s none "${profile[@]}" "$t" "$corpus" "$seeds/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1) > "$log" 2>&1; then
    result=ok
  else
    result=CRASH
    status=1
  fi
  runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
  echo "$t: $result, ${seconds}s, $runs runs, coverage $cov edges, corpus $(ls "$corpus" | wc -l) inputs" | tee -a "$summary"
  if [ "$result" = CRASH ]; then tail -40 "$log"; ls -l "fuzz/artifacts/$t"; fi
done
# The originator fuzzer's corpus through the differential check (Python's email package).
if [ -d "$root/target/fuzz-corpus/originator_headers" ] && [ "${SENDAS_FUZZ_DIFFERENTIAL:-1}" = 1 ]; then
  if SENDAS_DIFFERENTIAL_CORPUS="$root/target/fuzz-corpus/originator_headers" \
      cargo test -q --workspace --all-features --test differential -- --nocapture 2>&1 | tee "$root/target/fuzz-differential.log" | grep -E '^differential:'; then
    echo "differential over the fuzz corpus: $(grep -E '^differential:' "$root/target/fuzz-differential.log")" >> "$summary"
  else
    tail -40 "$root/target/fuzz-differential.log"
    status=1
  fi
fi
exit $status
