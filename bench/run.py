#!/usr/bin/env python3
"""The sendas benchmark: the same SMTP load, in turn, against

- limit:  the load generator -> Postfix's smtp-sink directly (no AUTH);
- sendas: the load generator -> `sendas serve` (embedded store, warm
          caches, plaintext AUTH on loopback) -> the same smtp-sink as the
          sending mailbox's upstream (the proxy logs in there);
- peer:   the load generator -> Postfix as the equivalent relay (SASL,
          smtpd_sender_login_maps + reject_authenticated_sender_login_mismatch,
          relayhost = the same sink with SASL; its queue on local disk),

for 1 KiB, 10 KiB and 1 MiB messages at 1 and 50 concurrent sessions,
with kept connections; then the proxy's memory with 10,000 idle
authenticated STARTTLS sessions and its peak while relaying 20 concurrent
10 MiB messages. Prints a markdown table with the ratios sendas/limit and
sendas/peer and writes it to target/bench/results.md (raw: results.json).

Usage (as root, from the repository): python3 bench/run.py [--quick]
Needs: postfix, sasl2-bin, libsasl2-modules (installed when missing), and
release builds of `sendas` and `sendas-loadgen` (built here).
"""
import json
import os
import pathlib
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "target" / "bench"
QUICK = "--quick" in sys.argv
# Each cell runs ROUNDS times, the three targets interleaved, and reports the
# median: on a shared 2-core machine one run can be off by a fifth.
ROUNDS = 1 if QUICK else 3
TICK = os.sysconf("SC_CLK_TCK")
SIZES = [("1 KiB", 1024), ("10 KiB", 10240), ("1 MiB", 1 << 20)]


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port: int, seconds: float = 10) -> None:
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def cpu_seconds(pid: int, children: bool = False) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def postfix_cpu() -> float:
    """CPU of every Postfix process: the master with its reaped children, plus the live ones."""
    master = int(pathlib.Path("/var/spool/postfix/pid/master.pid").read_text().split()[0])
    total = cpu_seconds(master, children=True)
    for p in pathlib.Path("/proc").iterdir():
        if p.name.isdigit() and int(p.name) != master:
            try:
                if int(p.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    total += cpu_seconds(int(p.name))
            except (OSError, IndexError, ValueError):
                pass
    return total


def rss_kib(pid: int) -> tuple:
    status = pathlib.Path(f"/proc/{pid}/status").read_text().splitlines()
    get = lambda k: int(next(l for l in status if l.startswith(k)).split()[1])  # noqa: E731
    return get("VmRSS:"), get("VmHWM:")


def loadgen(*args: str, env=None) -> dict:
    out = subprocess.run([str(ROOT / "target/release/sendas-loadgen"), "--json", *args],
                         capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def api(base: str, token: str, method: str, path: str, body=None) -> dict:
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        text = r.read()
        return json.loads(text) if text else {}


def main() -> None:
    if os.geteuid() != 0:
        raise SystemExit("run as root (Postfix and smtp-sink need it)")
    need = [p for p in ["postfix", "sasl2-bin", "libsasl2-modules"]
            if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if need:
        subprocess.run("echo 'postfix postfix/main_mailer_type select Local only' | debconf-set-selections", shell=True, check=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *need], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "sendas", "-p", "sendas-bench"], cwd=ROOT, check=True)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    OUT.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp(prefix="sendas-bench-"))
    procs = []
    try:
        run(work, procs)
    finally:
        for p in procs:
            p.kill()
            p.wait()
        subprocess.run([str(ROOT / "bench/postfix_peer.sh"), "stop"])
        shutil.rmtree(work, ignore_errors=True)


def run(work: pathlib.Path, procs: list) -> None:
    sink_port, peer_port = free_port(), free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "nobody", "-m", "20000", f"127.0.0.1:{sink_port}", "4096"])
    procs.append(sink)
    wait_port(sink_port)
    (work / "limits.toml").write_text("max_connections = 20000\nmax_connections_per_ip = 20000\n"
                                     "max_message_size = 52428800\n")
    data = work / "data"
    serve = subprocess.Popen([str(ROOT / "target/release/sendas"), "serve", "--demo", "--data-dir", str(data),
                              "--api-addr", f"127.0.0.1:{free_port()}", "--smtp-addr", f"127.0.0.1:{free_port()}",
                              "--smtp-tls-addr", f"127.0.0.1:{free_port()}", "--smtp-limits", str(work / "limits.toml")],
                             stdout=subprocess.PIPE, text=True, env={**os.environ, "RUST_LOG": "warn"})
    procs.append(serve)
    for line in serve.stdout:
        if line.startswith("sendas API listening on"):
            break
    demo = json.loads((data / "demo.json").read_text())
    smtp_port = demo["smtp"]["port"]
    api_base = demo["api"]
    alice = next(u for u in demo["users"] if u["login"] == "alice")
    # The authenticated mailbox (own upstream) alice may send as: its upstream becomes the sink.
    tenant, admin = demo["tenant_id"], demo["tokens"]["admin"]
    boxes = api(api_base, admin, "GET", f"/v1/tenants/{tenant}/mailboxes")["items"]
    box = next(b for b in boxes if b.get("smtp") and b["address"] in alice["may_send_as"])
    api(api_base, admin, "PUT", f"/v1/tenants/{tenant}/mailboxes/{box['id']}", {
        "address": box["address"], "display_name": box["display_name"], "global": box.get("global", True),
        "company_id": box.get("company_id"), "sender": True, "reply": True,
        "smtp": {"host": "127.0.0.1", "port": sink_port, "tls": "none", "username": box["smtp"]["username"]}})
    sender = box["address"]
    subprocess.run([str(ROOT / "bench/postfix_peer.sh"), "start", str(peer_port), str(sink_port), "alice",
                    alice["password"], sender, str(work)], check=True)
    env = {**os.environ, "SENDAS_LOADGEN_PASSWORD": alice["password"]}
    targets = {
        "limit": ["--addr", f"127.0.0.1:{sink_port}"],
        "sendas": ["--addr", f"127.0.0.1:{smtp_port}", "--login", "alice"],
        "peer": ["--addr", f"127.0.0.1:{peer_port}", "--login", "alice"],
    }
    cpu = {"limit": lambda: cpu_seconds(sink.pid), "sendas": lambda: cpu_seconds(serve.pid), "peer": postfix_cpu}
    # Warm the caches (AUTH, permission snapshot, upstream connection) and Postfix's processes.
    for t in ["sendas", "peer"]:
        loadgen(*targets[t], "--from", sender, "--sessions", "5", "--messages", "5", "--size", "1024", env=env)
    results = []
    for label, size in SIZES:
        for sessions in (1, 50):
            per = (50 if size >= 1 << 20 else 500) if sessions == 1 else (2 if size >= 1 << 20 else 40)
            if QUICK:
                per = max(1, per // 5)
            rounds = {t: [] for t in targets}
            for _ in range(ROUNDS):
                for t in targets:
                    before = cpu[t]()
                    r = loadgen(*targets[t], "--from", sender, "--sessions", str(sessions), "--messages", str(per),
                                "--size", str(size), "--sources", "50" if sessions > 1 else "0", env=env)
                    if t == "peer":
                        wait_queue_empty()
                    r["cpu_s"] = cpu[t]() - before
                    rounds[t].append(r)
            for t, runs in rounds.items():
                r = median_run(runs)
                r.update(target=t, size=label, sessions=sessions)
                results.append(r)
                print(f"{t:7} {label:7} x{sessions:<3} {r['rate']:8.0f} msg/s  p50 {r['p50_ms']:7.2f} ms  "
                      f"p99 {r['p99_ms']:7.2f} ms  cpu {r['cpu_ms_per_msg']:.3f} ms/msg  rates {r['rates']}  "
                      f"other {r['other']}", flush=True)
    memory = measure_memory(serve.pid, smtp_port, data, sender, env)
    (OUT / "results.json").write_text(json.dumps({"runs": results, "memory": memory}, indent=1))
    table = render(results, memory)
    (OUT / "results.md").write_text(table)
    print(table)


def median_run(runs: list) -> dict:
    """The median of each figure over the rounds; CPU per message over all of them."""
    med = lambda k: sorted(r[k] for r in runs)[len(runs) // 2]  # noqa: E731
    other = {}
    for r in runs:
        for k, v in r["other"].items():
            other[k] = other.get(k, 0) + v
    accepted = sum(r["accepted"] for r in runs)
    return {"rate": med("rate"), "p50_ms": med("p50_ms"), "p90_ms": med("p90_ms"), "p99_ms": med("p99_ms"),
            "accepted": accepted, "other": other, "rates": [round(r["rate"]) for r in runs],
            "cpu_ms_per_msg": 1000 * sum(r["cpu_s"] for r in runs) / max(1, accepted)}


def wait_queue_empty(seconds: float = 120) -> None:
    """Postfix answered 250 when the message was queued; wait until it relayed everything."""
    end = time.time() + seconds
    while time.time() < end:
        out = subprocess.run(["postqueue", "-j"], capture_output=True, text=True).stdout.strip()
        if not out:
            return
        time.sleep(0.2)


def measure_memory(pid: int, smtp_port: int, data: pathlib.Path, sender: str, env: dict) -> dict:
    ca = data / "tls" / "cert.pem"
    idle_n = 1000 if QUICK else 10000
    rss_before, _ = rss_kib(pid)
    holder = subprocess.Popen([str(ROOT / "target/release/sendas-loadgen"), "--json", "--addr", f"127.0.0.1:{smtp_port}",
                               "--login", "alice", "--tls-ca", str(ca), "--idle", str(idle_n), "--sources", "100",
                               "--hold-secs", "30"], stdout=subprocess.PIPE, text=True, env=env)
    held = json.loads(holder.stdout.readline())
    time.sleep(1)
    rss_idle, _ = rss_kib(pid)
    holder.kill()
    holder.wait()
    time.sleep(2)
    rss_after_idle, _ = rss_kib(pid)
    pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak (VmHWM)
    base, _ = rss_kib(pid)
    big = loadgen("--addr", f"127.0.0.1:{smtp_port}", "--login", "alice", "--from", sender, "--sessions", "20",
                  "--messages", "1", "--size", str(10 << 20), "--sources", "20", env=env)
    _, peak = rss_kib(pid)
    return {"idle_sessions": held["held"], "idle_refused": held["refused"], "rss_before_kib": rss_before,
            "rss_idle_kib": rss_idle, "rss_after_idle_kib": rss_after_idle, "big_accepted": big["accepted"],
            "big_other": big["other"], "rss_base_before_big_kib": base, "peak_big_kib": peak}


def render(results: list, memory: dict) -> str:
    by = {(r["target"], r["size"], r["sessions"]): r for r in results}
    lines = ["| size | sessions | limit msg/s | sendas msg/s | peer msg/s | sendas/limit | sendas/peer | "
             "p50 limit / sendas / peer (ms) | p99 sendas (ms) | CPU ms/msg sendas / peer |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for label, _ in SIZES:
        for sessions in (1, 50):
            l, s, p = (by[(t, label, sessions)] for t in ("limit", "sendas", "peer"))
            lines.append(
                f"| {label} | {sessions} | {l['rate']:.0f} | {s['rate']:.0f} | {p['rate']:.0f} | "
                f"{s['rate'] / max(l['rate'], 1e-9):.2f} | {s['rate'] / max(p['rate'], 1e-9):.1f} | "
                f"{l['p50_ms']:.2f} / {s['p50_ms']:.2f} / {p['p50_ms']:.2f} | {s['p99_ms']:.2f} | "
                f"{s['cpu_ms_per_msg']:.3f} / {p['cpu_ms_per_msg']:.2f} |")
    m = memory
    mib = lambda k: k / 1024  # noqa: E731
    lines += ["", f"- {m['idle_sessions']} idle authenticated STARTTLS sessions: proxy RSS {mib(m['rss_idle_kib']):.1f} MiB "
              f"(before: {mib(m['rss_before_kib']):.1f} MiB; {(m['rss_idle_kib'] - m['rss_before_kib']) / max(1, m['idle_sessions']):.1f} KiB per session; "
              f"after they closed: {mib(m['rss_after_idle_kib']):.1f} MiB); refused: {m['idle_refused']}",
              f"- 20 concurrent 10 MiB messages: {m['big_accepted']} relayed, peak RSS {mib(m['peak_big_kib']):.1f} MiB "
              f"over a base of {mib(m['rss_base_before_big_kib']):.1f} MiB = "
              f"{(m['peak_big_kib'] - m['rss_base_before_big_kib']) / 1024 / 20 / 10:.2f}x the message size per message in flight; other: {m['big_other']}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
