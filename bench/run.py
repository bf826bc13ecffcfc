#!/usr/bin/env python3
"""The sendas benchmark: the same SMTP load, in turn, against

- limit:  the load generator -> Postfix's smtp-sink directly (no AUTH);
- sendas: the load generator -> `sendas serve` (embedded store, warm
          caches, plaintext AUTH on loopback) -> the same smtp-sink as the
          sending mailbox's upstream (the proxy logs in there);
- sendas-lim: the same through a second `sendas serve` (own data
          directory) whose demo tenant has sending limits on the tenant,
          the user and the mailbox in every window, messages and
          recipients (18 limits, set before its first message and far
          too high to bite): the limiter's cost;
- peer:   the load generator -> Postfix as the equivalent relay (SASL,
          smtpd_sender_login_maps + reject_authenticated_sender_login_mismatch,
          relayhost = the same sink with SASL; its queue on local disk),

for 1 KiB, 10 KiB and 1 MiB messages at 1 and 50 concurrent sessions,
with kept connections; then the proxy's memory with 10,000 idle
authenticated STARTTLS sessions and its peak while relaying 20 concurrent
10 MiB messages. Prints a markdown table with the ratios sendas/limit and
sendas/peer (and sendas-lim/sendas, sendas-lim/limit) and writes it to
target/bench/results.md (raw: results.json). Before the load, a throwaway
third `sendas serve` checks that a tiny limit (1 message per minute per
user) answers the second message with 451 and that restoring the high
limits lets messages go again; after it, the limited process's tenant
view and its SQLite counters show that the limits were counted.

Last, the message budget: 30 concurrent 25 MiB messages of one user
against a proxy with a 200 MiB budget while a second tenant sends small
messages (measure_budget; `--budget-only` runs just this part).

`--before BIN` compares this build with another `sendas` binary (an older
commit's release build) instead: limit, sendas and sendas-before, interleaved
(the two swap places every round), 10 KiB x 50 sessions and 1 KiB x 1,
5 rounds each; the ratio to the limit and the CPU per message side by side
(compare_before; target/bench/before.md).

Usage (as root, from the repository): python3 bench/run.py [--quick] [--budget-only] [--before BIN]
Needs: postfix, sasl2-bin, libsasl2-modules (installed when missing), and
release builds of `sendas` and `sendas-loadgen` (built here).
"""
import json
import os
import pathlib
import resource
import shutil
import socket
import sqlite3
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
# The load generator's sessions are all alice's: the per-user cap of concurrent transactions
# (10 by default) is lifted, and the one tenant may hold the whole message budget (20 x 10 MiB,
# each byte counted twice, fit the default 512 MiB; half of it, the default share, would not).
SMTP_LIMITS = ("max_connections = 20000\nmax_connections_per_ip = 20000\nmax_message_size = 52428800\n"
               "max_transactions_per_user = 1000\ntenant_budget_percent = 100\n")
# Sending limits of the sendas-lim variant: every field of every scope set
# (3 scopes x 3 windows, messages and recipients), far above what a run sends.
FIELDS = [f"{k}_per_{w}" for k in ("messages", "recipients") for w in ("minute", "hour", "day")]
HIGH_LIMITS = {"tenant": dict.fromkeys(FIELDS, 100_000_000),
               "user_default": dict.fromkeys(FIELDS, 10_000_000),
               "mailbox_default": dict.fromkeys(FIELDS, 10_000_000)}


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
        if "--before" in sys.argv:
            compare_before(work, procs, pathlib.Path(sys.argv[sys.argv.index("--before") + 1]).resolve())
        elif "--budget-only" in sys.argv:
            sink_port = free_port()
            sink = subprocess.Popen(["smtp-sink", "-u", "nobody", "-m", "20000", f"127.0.0.1:{sink_port}", "4096"])
            procs.append(sink)
            wait_port(sink_port)
            print(render_budget(measure_budget(work, sink_port, procs)))
        else:
            run(work, procs)
    finally:
        for p in procs:
            p.kill()
            p.wait()
        subprocess.run([str(ROOT / "bench/postfix_peer.sh"), "stop"])
        shutil.rmtree(work, ignore_errors=True)


class Serve:
    """A `sendas serve --demo` with its own data directory; alice's authenticated mailbox relays to the sink."""

    def __init__(self, work: pathlib.Path, name: str, sink_port: int, procs: list, extra_limits: str = "",
                 limits: str = SMTP_LIMITS, binary: pathlib.Path = ROOT / "target/release/sendas"):
        (work / f"{name}.toml").write_text(limits + extra_limits)
        self.data = work / name
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--demo", "--data-dir", str(self.data),
             "--api-addr", f"127.0.0.1:{free_port()}", "--smtp-addr", f"127.0.0.1:{free_port()}",
             "--smtp-tls-addr", f"127.0.0.1:{free_port()}", "--smtp-limits", str(work / f"{name}.toml")],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "RUST_LOG": "warn"})
        procs.append(self.proc)
        for line in self.proc.stdout:
            if line.startswith("sendas API listening on"):
                break
        demo = json.loads((self.data / "demo.json").read_text())
        self.smtp_port = demo["smtp"]["port"]
        self.api_base = demo["api"]
        self.alice = next(u for u in demo["users"] if u["login"] == "alice")
        self.tenant, self.admin, self.operator = demo["tenant_id"], demo["tokens"]["admin"], demo["tokens"]["operator"]
        # The authenticated mailbox (own upstream) alice may send as: its upstream becomes the sink.
        boxes = api(self.api_base, self.admin, "GET", f"/v1/tenants/{self.tenant}/mailboxes")["items"]
        box = next(b for b in boxes if b.get("smtp") and b["address"] in self.alice["may_send_as"])
        api(self.api_base, self.admin, "PUT", f"/v1/tenants/{self.tenant}/mailboxes/{box['id']}", {
            "address": box["address"], "display_name": box["display_name"], "global": box.get("global", True),
            "company_id": box.get("company_id"), "sender": True, "reply": True,
            "smtp": {"host": "127.0.0.1", "port": sink_port, "tls": "none", "username": box["smtp"]["username"]}})
        # A new host forgets the stored password (it was given for the old one): give it again
        # (smtp-sink takes any).
        api(self.api_base, self.admin, "PUT", f"/v1/tenants/{self.tenant}/mailboxes/{box['id']}/password",
            {"password": "bench-sink-password"})
        self.sender = box["address"]
        self.env = {**os.environ, "SENDAS_LOADGEN_PASSWORD": self.alice["password"]}
        self.target = ["--addr", f"127.0.0.1:{self.smtp_port}", "--login", "alice"]

    def set_limits(self, limits: dict) -> dict:
        """PATCHes the tenant's sending limits as the operator; answers the tenant's limits as GET shows them."""
        api(self.api_base, self.operator, "PATCH", f"/v1/tenants/{self.tenant}", {"limits": limits})
        shown = api(self.api_base, self.operator, "GET", f"/v1/tenants/{self.tenant}")["limits"]
        for part, fields in limits.items():
            for k, v in fields.items():
                if shown[part][k] != v:
                    raise SystemExit(f"limits not stored: {part}.{k} = {shown[part][k]}, wanted {v}")
        return shown

    def send(self, messages: int) -> dict:
        return loadgen(*self.target, "--from", self.sender, "--sessions", "1", "--messages", str(messages),
                       "--size", "1024", env=self.env)

    def counters(self) -> list:
        """The shared sending counters in its SQLite file (read-only)."""
        db = sqlite3.connect(f"file:{self.data / 'sendas.db'}?mode=ro", uri=True)
        try:
            return [list(r) for r in db.execute(
                "SELECT scope, bucket, messages, recipients FROM send_counters ORDER BY scope, bucket")]
        finally:
            db.close()


def limits_bite(work: pathlib.Path, sink_port: int, procs: list) -> dict:
    """A throwaway proxy (snapshots kept 1 s): with the high limits but 1 message per minute per user, the
    second message of a session answers 451 4.7.0; with the high limits restored, messages go again."""
    s = Serve(work, "check", sink_port, procs, "snapshot_ttl_secs = 1\n")
    try:
        tiny = json.loads(json.dumps(HIGH_LIMITS))
        tiny["user_default"]["messages_per_minute"] = 1
        second = time.time() % 60
        if second > 50:  # both messages in one minute bucket
            time.sleep(61 - second)
        s.set_limits(tiny)
        limited = s.send(3)
        refused = sum(n for k, n in limited["other"].items() if k.startswith("data 451"))
        if limited["accepted"] != 1 or refused != 2:
            raise SystemExit(f"a limit of 1 message per minute did not bite: {limited}")
        s.set_limits(HIGH_LIMITS)
        time.sleep(1.5)  # the proxy's snapshot (with the tenant's limits) expires after 1 s
        restored = s.send(3)
        if restored["accepted"] != 3:
            raise SystemExit(f"the restored limits still refuse: {restored}")
        print(f"limits check: 1/min per user -> accepted {limited['accepted']}, other {limited['other']}; "
              f"restored -> accepted {restored['accepted']}", flush=True)
        return {"tiny_accepted": limited["accepted"], "tiny_other": limited["other"],
                "restored_accepted": restored["accepted"], "restored_other": restored["other"],
                "counters": s.counters()}
    finally:
        s.proc.kill()
        s.proc.wait()
        procs.remove(s.proc)


def run(work: pathlib.Path, procs: list) -> None:
    sink_port, peer_port = free_port(), free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "nobody", "-m", "20000", f"127.0.0.1:{sink_port}", "4096"])
    procs.append(sink)
    wait_port(sink_port)
    check = limits_bite(work, sink_port, procs)
    plain = Serve(work, "data", sink_port, procs)
    # Its own process and data directory, limits set before its first message: its first permission
    # snapshot (cached 30 s) already carries them.
    limited = Serve(work, "data-limits", sink_port, procs)
    limited.set_limits(HIGH_LIMITS)
    serve, data, sender, env = plain.proc, plain.data, plain.sender, plain.env
    smtp_port = plain.smtp_port
    subprocess.run([str(ROOT / "bench/postfix_peer.sh"), "start", str(peer_port), str(sink_port), "alice",
                    plain.alice["password"], sender, str(work)], check=True)
    targets = {
        "limit": ["--addr", f"127.0.0.1:{sink_port}"],
        "sendas": plain.target,
        "sendas-lim": limited.target,
        "peer": ["--addr", f"127.0.0.1:{peer_port}", "--login", "alice"],
    }
    envs = {"limit": env, "sendas": env, "sendas-lim": limited.env, "peer": env}
    cpu = {"limit": lambda: cpu_seconds(sink.pid), "sendas": lambda: cpu_seconds(serve.pid),
           "sendas-lim": lambda: cpu_seconds(limited.proc.pid), "peer": postfix_cpu}
    # Warm the caches (AUTH, permission snapshot, upstream connection, limit leases) and Postfix's processes.
    for t in ["sendas", "sendas-lim", "peer"]:
        loadgen(*targets[t], "--from", sender, "--sessions", "5", "--messages", "5", "--size", "1024", env=envs[t])
    results = []
    for label, size in SIZES:
        for sessions in (1, 50):
            per = (50 if size >= 1 << 20 else 500) if sessions == 1 else (2 if size >= 1 << 20 else 40)
            if QUICK:
                per = max(1, per // 5)
            rounds = {t: [] for t in targets}
            for i in range(ROUNDS):
                # sendas and sendas-lim swap places every other round: neither always runs first
                order = ["limit", "sendas", "sendas-lim", "peer"] if i % 2 == 0 else ["limit", "sendas-lim", "sendas", "peer"]
                for t in order:
                    before = cpu[t]()
                    r = loadgen(*targets[t], "--from", sender, "--sessions", str(sessions), "--messages", str(per),
                                "--size", str(size), "--sources", "50" if sessions > 1 else "0", env=envs[t])
                    if t == "peer":
                        wait_queue_empty()
                    r["cpu_s"] = cpu[t]() - before
                    rounds[t].append(r)
            for t, runs in rounds.items():
                r = median_run(runs)
                r.update(target=t, size=label, sessions=sessions)
                if t == "sendas-lim":  # the same round's ratio, then the median over the rounds
                    paired = [a["rate"] / max(b["rate"], 1e-9) for a, b in zip(runs, rounds["sendas"])]
                    r["round_ratios_vs_sendas"] = [round(x, 3) for x in paired]
                    r["median_ratio_vs_sendas"] = sorted(paired)[len(paired) // 2]
                results.append(r)
                print(f"{t:7} {label:7} x{sessions:<3} {r['rate']:8.0f} msg/s  p50 {r['p50_ms']:7.2f} ms  "
                      f"p99 {r['p99_ms']:7.2f} ms  cpu {r['cpu_ms_per_msg']:.3f} ms/msg  rates {r['rates']}  "
                      f"other {r['other']}", flush=True)
    # The limits were on all along: the tenant shows them, and the shared counters hold the blocks taken.
    shown = api(limited.api_base, limited.operator, "GET", f"/v1/tenants/{limited.tenant}")["limits"]
    counters = limited.counters()
    sent = sum(r["accepted"] for r in results if r["target"] == "sendas-lim")
    print(f"sendas-lim: tenant limits {json.dumps(shown)}; {len(counters)} counter rows, {sent} messages measured "
          f"(+ warm-up): {counters}", flush=True)
    if len(counters) < 9 or any(shown[p][f] != v for p, fields in HIGH_LIMITS.items() for f, v in fields.items()):
        raise SystemExit("the limited proxy did not count against its limits")
    limits = {"check": check, "tenant_limits": shown, "counters": counters, "measured_messages": sent}
    memory = measure_memory(serve.pid, smtp_port, data, sender, env)
    budget = measure_budget(work, sink_port, procs)
    (OUT / "results.json").write_text(json.dumps({"runs": results, "memory": memory, "limits": limits,
                                                  "budget": budget}, indent=1))
    table = render(results, memory) + render_budget(budget)
    (OUT / "results.md").write_text(table)
    print(table)


def compare_before(work: pathlib.Path, procs: list, before_binary: pathlib.Path) -> None:
    """This build against `before_binary`, side by side in one run."""
    sink_port = free_port()
    sink = subprocess.Popen(["smtp-sink", "-u", "nobody", "-m", "20000", f"127.0.0.1:{sink_port}", "4096"])
    procs.append(sink)
    wait_port(sink_port)
    now, old = Serve(work, "now", sink_port, procs), Serve(work, "before", sink_port, procs, binary=before_binary)
    targets = {"limit": ["--addr", f"127.0.0.1:{sink_port}"], "sendas": now.target, "sendas-before": old.target}
    envs = {"limit": now.env, "sendas": now.env, "sendas-before": old.env}
    cpu = {"limit": lambda: cpu_seconds(sink.pid), "sendas": lambda: cpu_seconds(now.proc.pid),
           "sendas-before": lambda: cpu_seconds(old.proc.pid)}
    for t in ["sendas", "sendas-before"]:
        loadgen(*targets[t], "--from", now.sender, "--sessions", "5", "--messages", "5", "--size", "1024", env=envs[t])
    lines = ["| size | sessions | limit msg/s | sendas msg/s | before msg/s | sendas/limit | before/limit | "
             "rounds sendas/limit; before/limit | CPU ms/msg sendas / before |", "|---|---|---|---|---|---|---|---|---|"]
    for label, size, sessions, per in [("10 KiB", 10240, 50, 40), ("1 KiB", 1024, 1, 500)]:
        rounds = {t: [] for t in targets}
        for i in range(1 if QUICK else 5):
            order = ["limit", "sendas", "sendas-before"] if i % 2 == 0 else ["limit", "sendas-before", "sendas"]
            for t in order:
                before = cpu[t]()
                r = loadgen(*targets[t], "--from", now.sender, "--sessions", str(sessions), "--messages", str(per),
                            "--size", str(size), "--sources", "50" if sessions > 1 else "0", env=envs[t])
                r["cpu_s"] = cpu[t]() - before
                rounds[t].append(r)
        ratio = {t: [a["rate"] / max(b["rate"], 1e-9) for a, b in zip(rounds[t], rounds["limit"])]
                 for t in ("sendas", "sendas-before")}
        med = {t: median_run(rounds[t]) for t in targets}
        mid = lambda xs: sorted(xs)[len(xs) // 2]  # noqa: E731
        for t, r in med.items():
            print(f"{t:13} {label:7} x{sessions:<3} {r['rate']:8.0f} msg/s  cpu {r['cpu_ms_per_msg']:.3f} ms/msg  "
                  f"rates {r['rates']}  other {r['other']}", flush=True)
        lines.append(
            f"| {label} | {sessions} | {med['limit']['rate']:.0f} | {med['sendas']['rate']:.0f} | "
            f"{med['sendas-before']['rate']:.0f} | {mid(ratio['sendas']):.2f} | {mid(ratio['sendas-before']):.2f} | "
            f"{' / '.join(f'{x:.2f}' for x in ratio['sendas'])}; {' / '.join(f'{x:.2f}' for x in ratio['sendas-before'])} | "
            f"{med['sendas']['cpu_ms_per_msg']:.3f} / {med['sendas-before']['cpu_ms_per_msg']:.3f} |")
    table = "\n".join(lines) + "\n"
    OUT.joinpath("before.md").write_text(table)
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


# The message budget (issue: one user cannot exhaust a replica): 200 MiB of message bytes in
# flight, the per-user cap (10 concurrent transactions) and the tenant share (50 %) at their defaults.
BUDGET = 200 << 20
BUDGET_LIMITS = ("max_connections = 20000\nmax_connections_per_ip = 20000\nmax_message_size = 52428800\n"
                 f"message_budget_bytes = {BUDGET}\n")


def second_tenant(serve: "Serve", sink_port: int) -> dict:
    """A second tenant (operator-assigned domain), its user with an app password, and a mailbox to the sink."""
    t = api(serve.api_base, serve.operator, "POST", "/v1/tenants", {
        "name": "other.example", "system_address": "system@other.example", "mailbox_quota": 3,
        "domains": ["other.example"]})
    tenant, admin, company = t["tenant"]["id"], t["admin_token"]["token"], t["company"]["id"]
    user = api(serve.api_base, admin, "POST", f"/v1/tenants/{tenant}/users",
               {"login": "olga", "name": "Olga Other", "companies": [company]})
    cred = api(serve.api_base, admin, "POST", f"/v1/tenants/{tenant}/users/{user['id']}/smtp-credentials",
               {"name": "bench"})
    box = api(serve.api_base, admin, "POST", f"/v1/tenants/{tenant}/mailboxes", {
        "address": "desk@other.example", "display_name": "Desk", "global": True, "sender": True, "reply": True,
        "smtp": {"host": "127.0.0.1", "port": sink_port, "tls": "none", "username": "desk@other.example"}})
    api(serve.api_base, admin, "PUT", f"/v1/tenants/{tenant}/mailboxes/{box['id']}/password",
        {"password": "bench-sink-password"})
    return {"login": cred["username"], "password": cred["password"], "from": "desk@other.example"}


def measure_budget(work: pathlib.Path, sink_port: int, procs: list) -> dict:
    """30 sessions of alice, each one 25 MiB message (SIZE declared, 4xx retried after 200 ms, as a
    client's queue does), against a proxy with a 200 MiB budget, while a second tenant sends small
    messages throughout. Fails unless every message is relayed, the large ones were refused
    (452/451) and retried, the small ones never, and the peak RSS stays within base + budget."""
    b = Serve(work, "data-budget", sink_port, procs, limits=BUDGET_LIMITS)
    other = second_tenant(b, sink_port)
    other_env = {**os.environ, "SENDAS_LOADGEN_PASSWORD": other["password"]}
    other_target = ["--addr", f"127.0.0.1:{b.smtp_port}", "--login", other["login"], "--from", other["from"]]
    loadgen(*other_target, "--sessions", "1", "--messages", "2", "--size", "2048", env=other_env)  # warm
    pid = b.proc.pid
    pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets the peak (VmHWM)
    base, _ = rss_kib(pid)
    big = subprocess.Popen([str(ROOT / "target/release/sendas-loadgen"), "--json", *b.target, "--from", b.sender,
                            "--sessions", "30", "--messages", "1", "--size", str(25 << 20), "--sources", "30",
                            "--declare-size", "--retry-temporary-ms", "200", "--deadline-secs", "600"],
                           stdout=subprocess.PIPE, text=True, env=b.env)
    small = {"accepted": 0, "other": {}, "retried": {}, "rounds": 0, "max_p99_ms": 0.0}
    while big.poll() is None:
        r = loadgen(*other_target, "--sessions", "2", "--messages", "5", "--size", "2048", "--sources", "2",
                    "--deadline-secs", "60", env=other_env)
        small["accepted"] += r["accepted"]
        small["rounds"] += 1
        small["max_p99_ms"] = max(small["max_p99_ms"], r["p99_ms"])
        for k, v in {**r["other"], **{f"retried {k}": v for k, v in r["retried"].items()}}.items():
            small["other"][k] = small["other"].get(k, 0) + v
    large = json.loads(big.stdout.read().strip().splitlines()[-1])
    _, peak = rss_kib(pid)
    result = {"budget_bytes": BUDGET, "rss_base_kib": base, "peak_kib": peak, "large": large, "small": small}
    print(f"budget: {json.dumps(result)}", flush=True)
    if large["accepted"] != 30 or large["other"]:
        raise SystemExit(f"budget: not every large message was relayed: {large}")
    if not large["retried"]:
        raise SystemExit(f"budget: no large message was ever refused: the budget did not bite: {large}")
    if small["other"] or small["accepted"] != small["rounds"] * 10:
        raise SystemExit(f"budget: the second tenant's small messages were not all relayed at once: {small}")
    if (peak - base) * 1024 > BUDGET:
        raise SystemExit(f"budget: peak RSS {peak} KiB over base {base} KiB + the budget")
    return result


def render_budget(b: dict) -> str:
    mib = lambda k: k / 1024  # noqa: E731
    large, small = b["large"], b["small"]
    return (f"- Message budget {b['budget_bytes'] >> 20} MiB: 30 concurrent 25 MiB messages of one user, "
            f"{large['accepted']} relayed after {sum(large['retried'].values())} temporary refusals "
            f"({large['retried']}) in {large['seconds']:.1f} s; peak RSS {mib(b['peak_kib']):.1f} MiB over a base of "
            f"{mib(b['rss_base_kib']):.1f} MiB (+{mib(b['peak_kib'] - b['rss_base_kib']):.1f} MiB, budget "
            f"{b['budget_bytes'] >> 20} MiB); meanwhile a second tenant relayed {small['accepted']} small messages "
            f"in {small['rounds']} rounds, none refused (worst p99 {small['max_p99_ms']:.1f} ms)\n")


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
    lines += ["", "Sendas, limits on (9 counters: user, mailbox, tenant x minute, hour, day; messages and recipients):",
              "", "| size | sessions | sendas msg/s | sendas, limits on msg/s | limits on/sendas (of medians; median of "
              "the rounds' ratios) | limits on/limit | p50 sendas / limits on (ms) | p99 sendas / limits on (ms) | "
              "CPU ms/msg sendas / limits on |", "|---|---|---|---|---|---|---|---|---|"]
    for label, _ in SIZES:
        for sessions in (1, 50):
            l, s, q = (by[(t, label, sessions)] for t in ("limit", "sendas", "sendas-lim"))
            lines.append(
                f"| {label} | {sessions} | {s['rate']:.0f} | {q['rate']:.0f} | "
                f"{q['rate'] / max(s['rate'], 1e-9):.2f}; {q['median_ratio_vs_sendas']:.2f} "
                f"({' / '.join(f'{x:.2f}' for x in q['round_ratios_vs_sendas'])}) | "
                f"{q['rate'] / max(l['rate'], 1e-9):.2f} | {s['p50_ms']:.2f} / {q['p50_ms']:.2f} | "
                f"{s['p99_ms']:.2f} / {q['p99_ms']:.2f} | {s['cpu_ms_per_msg']:.3f} / {q['cpu_ms_per_msg']:.3f} |")
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
