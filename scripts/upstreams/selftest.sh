#!/usr/bin/env bash
# Self-test of the upstream servers (scripts/upstreams) with real clients
# only: starts everything with start.py, runs the checks of selftest.py
# (PASS/FAIL line per check), stops everything. Needs root, the Debian
# packages listed in README.md and the Python packages of requirements.txt
# (in the project venv .venv, or in PYTHON's environment).
#
# Usage: scripts/upstreams/selftest.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
[ -x "$python" ] || { echo "no python at $python (set PYTHON or create .venv)" >&2; exit 2; }
start=$(date +%s%N)
status=0
"$python" "$here/selftest.py" || status=$?
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
printf 'selftest.sh: %s after %d.%03d s\n' "$([ $status -eq 0 ] && echo PASSED || echo FAILED)" $((ms / 1000)) $((ms % 1000))
exit $status
