#!/usr/bin/env python3
"""Runs every test binary of the workspace, several at once (scripts/test.sh).

`cargo test` runs its test binaries one after another; most of ours spend
their time waiting on real servers and processes (Dovecot, Postfix, moto,
`sendas serve`), so running a few binaries side by side keeps both cores
busy. Each binary still runs its own tests with libtest, exactly as `cargo
test` would (the package directory as working directory, CARGO_* variables
set), so what a binary shares between its tests (the upstream servers of
sendas_testkit::upstreams, started once per binary, and the locks that
serialise their switches) stays as it is. cargo nextest was measured
against this: it runs every test in a process of its own, which would start
the upstream servers once per test instead of once per binary.

Binaries that hold fixed resources of the machine run alone (EXCLUSIVE:
the 10,000-connection load test, the fault tests under load); the others
run in a pool of --jobs, longest first (the times of the last run are kept
in target/test-results/times.json; scripts/test_times.json has them for a
fresh clone).

Writes target/test-results/junit.xml (one testsuite per binary), the log
of every binary under target/test-results/logs/, and prints per binary its
time and counts, the failures' output, and at the end
`cargo: N passed, M failed` plus a JSON line the caller reads. Exits 1 when
any test failed or a binary did not report, 0 otherwise.

Usage: run_tests.py [--jobs N] [--timeout SECONDS] -- CARGO_TEST_ARGS...
(the arguments cargo needs to find the binaries, e.g. --workspace --all-features)
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

# Binaries that must not share the machine with other tests (fixed resources: file descriptors,
# both cores for a bounded load). Named "<package>/<binary>".
EXCLUSIVE = {"sendas/load", "sendas-smtp-proxy/faults_under_load"}

RESULT = re.compile(r"^test result: (\w+)\. (\d+) passed; (\d+) failed; (\d+) ignored")
CASE = re.compile(r"^test (\S+) \.\.\. (ok|FAILED|ignored)")


def binaries(cargo_args):
    """The test executables cargo builds for these arguments (built already: nothing compiles)."""
    cmd = ["cargo", "test", "--no-run", "--message-format=json", *cargo_args]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    found = []
    for line in out.splitlines():
        try:
            m = json.loads(line)
        except json.JSONDecodeError:
            continue
        if m.get("reason") != "compiler-artifact" or not m["profile"]["test"] or not m.get("executable"):
            continue
        # "path+file:///…/dir#name@version", or "…/name#version" when the directory is the name.
        where, _, fragment = m["package_id"].rpartition("#")
        package = fragment.split("@")[0] if "@" in fragment else where.rstrip("/").rsplit("/", 1)[-1]
        name = m["target"]["name"]
        kind = m["target"]["kind"][0]
        label = f"{package}/{name}" if kind == "test" else f"{package}/{kind}:{name}"
        found.append({"label": label, "exe": m["executable"], "manifest": m["manifest_path"], "package": package})
    return found


def run_one(b, logs, timeout):
    manifest_dir = str(Path(b["manifest"]).parent)
    env = dict(os.environ)
    env.update(CARGO_MANIFEST_DIR=manifest_dir, CARGO_PKG_NAME=b["package"], CARGO="cargo")
    log = logs / (b["label"].replace("/", "__").replace(":", "_") + ".log")
    start = time.monotonic()
    with open(log, "w") as f:
        try:
            p = subprocess.run([b["exe"]], cwd=manifest_dir, env=env, stdout=f, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, timeout=timeout)
            code = p.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    seconds = time.monotonic() - start
    text = log.read_text(errors="replace")
    passed = failed = ignored = 0
    reported = False
    for line in text.splitlines():
        m = RESULT.match(line)
        if m:
            reported = True
            passed, failed, ignored = int(m[2]), int(m[3]), int(m[4])
    cases = [(m[1], m[2]) for m in map(CASE.match, text.splitlines()) if m]
    ok = code == 0 and reported and failed == 0
    return dict(b, seconds=seconds, code=code, passed=passed, failed=failed, ignored=ignored, ok=ok,
                cases=cases, log=str(log), text=text)


def junit(results, path):
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for r in results:
        failures = sum(1 for _, s in r["cases"] if s == "FAILED") or (0 if r["ok"] else 1)
        parts.append(f'<testsuite name={quoteattr(r["label"])} tests="{len(r["cases"])}" '
                     f'failures="{failures}" time="{r["seconds"]:.3f}">')
        for name, status in r["cases"]:
            parts.append(f"<testcase classname={quoteattr(r['label'])} name={quoteattr(name)}>")
            if status == "FAILED":
                parts.append(f'<failure message="failed">{escape(r["log"])}</failure>')
            elif status == "ignored":
                parts.append("<skipped/>")
            parts.append("</testcase>")
        if not r["ok"] and not any(s == "FAILED" for _, s in r["cases"]):
            parts.append(f"<testcase classname={quoteattr(r['label'])} name=\"(binary)\">"
                         f"<failure message=\"exit {r['code']}\">{escape(r['log'])}</failure></testcase>")
        parts.append("</testsuite>")
    parts.append("</testsuites>")
    path.write_text("\n".join(parts) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=1200.0, help="seconds one binary may run")
    ap.add_argument("cargo_args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cargo_args = [x for x in a.cargo_args if x != "--"]

    out = Path("target/test-results")
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    times_file = out / "times.json"
    times = {}
    # This machine's last run, else the times committed with the script (a fresh clone).
    for known in (Path(__file__).with_name("test_times.json"), times_file):
        try:
            times.update(json.loads(known.read_text()))
        except (OSError, ValueError):
            pass

    found = binaries(cargo_args)
    if not found:
        print("no test binary found", file=sys.stderr)
        return 1
    # Longest first, so the pool ends together (unknown ones: short, as most binaries are).
    pooled = sorted((b for b in found if b["label"] not in EXCLUSIVE), key=lambda b: -times.get(b["label"], 1.0))
    exclusive = [b for b in found if b["label"] in EXCLUSIVE]
    print(f"{len(found)} test binaries: {len(pooled)} in a pool of {a.jobs}, then {len(exclusive)} alone "
          f"({', '.join(b['label'] for b in exclusive)})", flush=True)

    results = []
    lock = threading.Lock()
    started = time.monotonic()

    def report(r):
        with lock:
            results.append(r)
            status = "ok  " if r["ok"] else "FAIL"
            print(f"{status} {r['seconds']:7.1f} s  {r['label']}: {r['passed']} passed, {r['failed']} failed"
                  f"{', ' + str(r['ignored']) + ' ignored' if r['ignored'] else ''}"
                  f"{'' if r['code'] == 0 else ' (exit ' + str(r['code']) + ')'}", flush=True)
            if not r["ok"]:
                print(f"---- output of {r['label']} ({r['log']}) ----")
                print(r["text"][-20000:])
                print(f"---- end of {r['label']} ----", flush=True)

    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        for f in as_completed([pool.submit(run_one, b, logs, a.timeout) for b in pooled]):
            report(f.result())
    for b in exclusive:
        report(run_one(b, logs, a.timeout))

    results.sort(key=lambda r: r["label"])
    junit(results, out / "junit.xml")
    times.update({r["label"]: round(r["seconds"], 1) for r in results})
    times_file.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    passed = sum(r["passed"] for r in results)
    failed = sum(r["failed"] for r in results)
    broken = [r["label"] for r in results if not r["ok"]]
    wall = time.monotonic() - started
    busy = sum(r["seconds"] for r in results)
    print(f"\ntest binaries: {len(results)} in {wall:.0f} s wall ({busy:.0f} s summed); junit: {out / 'junit.xml'}")
    if broken:
        print("failed binaries: " + ", ".join(broken))
    print(f"cargo: {passed} passed, {failed} failed")
    print("RUN_TESTS_SUMMARY " + json.dumps({"passed": passed, "failed": failed, "broken": broken}), flush=True)
    return 0 if not broken else 1


if __name__ == "__main__":
    sys.exit(main())
