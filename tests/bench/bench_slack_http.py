"""Benchmark: acknowledgement latency of `sensebot slack --http` under a burst of slash commands,
against a bare Bolt app on the same server, and how soon a pressed button's modal opens.

Starts the real server (`python -m bot.cli slack --http --port P`, i.e. `sensebot slack --http`) as a
subprocess on a temp SQLite file, with its Web API calls (auth.test, users.info, response_url
replies) going to a FakeSlack in a third process (so neither the fake nor the client competes
with the other for a GIL while latencies are taken). Sends 2,000 signed slash commands (`/sensebot help`
and `/sensebot streak`, alternating, from 200 users) with 50 in flight at once, each on its own
connection as Slack sends them, and times each from connecting to the end of the HTTP answer (the
ack). A short warm-up (not counted) goes first. Also reports how many replies reached the
response_url and when. Target: 0 errors (non-200 answers or failed requests).

Absolute times move with the machine, so the same commands also go to a bare Bolt app that only
acks (`bare_bolt.py`: the same waitress server and settings), served beside sensebot, and
sensebot's ack p99 is reported as a ratio to it (target <= 1.5x). The two are sent to in
alternating rounds (S B, B S, S B, B S), each after a warm-up burst: the first concurrent burst a
client process sends stalls once for 100-200 ms whatever it is sent to, and sending to one
server after the other put that stall on whichever went first.

The fake runs at a low CPU priority: it stands in for Slack, whose work is done on Slack's
machines, so here it may only take the CPU that the server and the client leave.

Then the fake's Web API answers after a realistic round trip (150 ms) and 50 button presses at a
time ("Answer", from members the bot has not seen yet, so each also costs a users.info) measure the
delay from each press being sent to its views.open reaching the fake — the trigger id expires 3 s
after the press; target p99 <= 1 s — and to the form (or the core's answer) filling the modal.

    python tests/bench/bench_slack_http.py [--quick] [--requests 2000] [--concurrency 50] [--presses 300]
    SLACK_WORKERS=0 python tests/bench/bench_slack_http.py   # the work in the acking process, for comparison
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET, fixture, sign
from tests.bench._common import error_lines, percentile, table, write
from tests.fakes.slack_api import FakeSlack

TICK = os.sysconf("SC_CLK_TCK")
FAKE_NICENESS = 15
ROUNDS = 4


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def serve_fake(conn, users: int) -> None:
    """The FakeSlack, in its own process; answers "replies" (response_url calls so far), "calls",
    "views" (trigger id -> arrival of its views.open; view id -> arrival of its views.update) and
    ("delay", seconds) (every API call answers after that long from then on)."""
    os.nice(FAKE_NICENESS)
    fake = FakeSlack(users={f"U{i:04d}": {"name": f"user{i}", "real_name": f"User {i}"} for i in range(users)})
    fake.start()
    conn.send(fake.root)
    while True:
        msg = conn.recv()
        if isinstance(msg, tuple) and msg[0] == "delay":
            fake.delay = msg[1]
            conn.send(True)
        elif msg == "views":
            opens = {str(c.params.get("trigger_id")): (c.at, str((c.response or {}).get("view", {}).get("id")))
                     for c in fake.calls("views.open")}
            updates = {str(c.params.get("view_id")): c.at for c in fake.calls("views.update")}
            conn.send((opens, updates))
        elif msg == "replies":
            conn.send(len(fake.calls("response_url")))
        elif msg == "calls":
            counts: dict[str, int] = {}
            for c in fake.calls():
                counts[c.method] = counts.get(c.method, 0) + 1
            conn.send(counts)
        else:
            break
    fake.stop()


class RemoteFake:
    def __init__(self, users: int):
        self.conn, child = multiprocessing.Pipe()
        self.proc = multiprocessing.get_context("spawn").Process(target=serve_fake, args=(child, users), daemon=True)
        self.proc.start()
        self.root = self.conn.recv()
        self.url = self.root + "api/"

    def response_url(self, name: str) -> str:
        return f"{self.root}response/{name}"

    def ask(self, what: str):
        self.conn.send(what)
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send("stop")
        self.proc.join(10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None,
            timeout: float = 10.0) -> tuple[int, float]:
    """(status, seconds) for one request on a fresh connection; status 0 if it failed."""
    t = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        resp.read()
        return resp.status, time.perf_counter() - t
    except OSError:
        return 0, time.perf_counter() - t
    finally:
        conn.close()


def command(fake: RemoteFake, i: int, users: int) -> tuple[bytes, dict]:
    text = "help" if i % 2 == 0 else "streak"
    user = f"U{i % users:04d}"
    body = urlencode(fixture("slash_command", text=text, user_id=user, user_name=user.lower(),
                             response_url=fake.response_url(f"r{i}"), trigger_id=f"{i}.738474920.bench")).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    return body, headers


def press(fake: RemoteFake, i: int) -> tuple[bytes, dict, str]:
    """An "Answer" button press by a member not seen before (so it costs a users.info too)."""
    user = f"UP{i:05d}"
    trigger = f"{i}.738474920.press"
    body = fixture("block_actions", user={"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
                   trigger_id=trigger, response_url=fake.response_url(f"p{i}"))
    body["actions"] = [{**body["actions"][0], "action_id": "answer", "value": ""}]
    raw = urlencode({"payload": json.dumps(body)}).encode()
    return raw, {"Content-Type": "application/x-www-form-urlencoded", **sign(raw)}, trigger


def burst(port: int, bodies: list[tuple[bytes, dict]], concurrency: int) -> tuple[list[float], list[int], float]:
    """Send every body, `concurrency` at a time; (ack seconds, statuses, wall seconds)."""
    latencies: list[float] = [0.0] * len(bodies)
    statuses: list[int] = [0] * len(bodies)

    def one(i: int) -> None:
        statuses[i], latencies[i] = request(port, "POST", "/slack/events", *bodies[i])

    t = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(len(bodies))))
    return latencies, statuses, time.perf_counter() - t


def wait_healthy(port: int, proc: subprocess.Popen, log) -> float:
    t0 = time.monotonic()
    while request(port, "GET", "/healthz", timeout=2)[0] != 200:
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit(f"the server exited with {proc.returncode}:\n{log.read()}")
        if time.monotonic() - t0 > 60:
            raise SystemExit("the server did not come up within 60 s")
        time.sleep(0.1)
    return time.monotonic() - t0


def start_bare_bolt(tmp: Path, api_url: str) -> tuple[int, subprocess.Popen, object]:
    """The bare Bolt app in its own process, served beside sensebot; (port, process, log)."""
    port = free_port()
    log = open(tmp / "bare.log", "w+")  # noqa: SIM115 - the server writes to it for the whole run
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "bench" / "bare_bolt.py"), str(port), api_url], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    wait_healthy(port, proc, log)
    return port, proc, log


def stop(proc: subprocess.Popen, timeout: float = 20) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def alternating(targets: dict[str, int], bodies: list[tuple[bytes, dict]], concurrency: int,
                ) -> dict[str, tuple[list[float], list[int], float]]:
    """Send `bodies` to every target in ROUNDS rounds, alternating which goes first; per target
    (ack seconds, statuses, wall seconds of its bursts)."""
    out: dict[str, tuple[list[float], list[int], float]] = {name: ([], [], 0.0) for name in targets}
    size = -(-len(bodies) // ROUNDS)
    for r in range(ROUNDS):
        chunk = bodies[r * size:(r + 1) * size]
        for name in (list(targets) if r % 2 == 0 else list(reversed(targets))):
            lat, st, wall = burst(targets[name], chunk, concurrency)
            prev = out[name]
            out[name] = (prev[0] + lat, prev[1] + st, prev[2] + wall)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="400 commands")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--presses", type=int, default=300)
    ap.add_argument("--round-trip", type=float, default=0.150, help="seconds the fake API takes to answer")
    args = ap.parse_args()
    n = 400 if args.quick else args.requests
    presses = 100 if args.quick else args.presses

    fake = RemoteFake(args.users)
    port = free_port()
    tmp = tempfile.TemporaryDirectory()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SENSEBOT_", "DISCORD_"))}
    env.update(SENSEBOT_DATABASE_URL=f"sqlite:///{Path(tmp.name) / 'slack.db'}", SENSEBOT_LOG_LEVEL="WARNING",
               SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url,
               PYTHONPATH=str(ROOT), SLACK_WORKERS=os.environ.get("SLACK_WORKERS", "1"))
    log = open(Path(tmp.name) / "server.log", "w+")  # noqa: SIM115 - the server writes to it for the whole run
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--http", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    rc = None
    bare_proc = bare_log = None
    try:
        started = wait_healthy(port, proc, log)
        bare_port, bare_proc, bare_log = start_bare_bolt(Path(tmp.name), fake.url)
        print(f"server up after {started:.1f}s; warming up both", file=sys.stderr)

        bodies = [command(fake, i, args.users) for i in range(n + args.warmup)]
        for p in (port, bare_port):
            burst(p, bodies[:args.warmup], args.concurrency)
        deadline = time.monotonic() + 60  # the warm-up's replies, so they aren't counted as the burst's
        while fake.ask("replies") < args.warmup and time.monotonic() < deadline:
            time.sleep(0.05)
        replies_before = fake.ask("replies")

        print(f"sending {n} slash commands, {args.concurrency} at a time, to sensebot and to a bare Bolt app "
              f"in {ROUNDS} alternating rounds", file=sys.stderr)
        server_cpu, client_cpu = cpu_seconds(proc.pid), resource.getrusage(resource.RUSAGE_SELF)
        t_start = time.perf_counter()
        sent = alternating({"sensebot": port, "bare": bare_port}, bodies[args.warmup:], args.concurrency)
        rounds_wall = time.perf_counter() - t_start
        latencies, statuses, wall = sent["sensebot"]
        bare, bare_statuses, _ = sent["bare"]
        if any(s != 200 for s in bare_statuses):
            print(f"bare Bolt app: {sum(s != 200 for s in bare_statuses)} non-200 answers", file=sys.stderr)
        server_cpu = cpu_seconds(proc.pid) - server_cpu
        ru = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = ru.ru_utime + ru.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime
        deadline = time.monotonic() + 120
        while fake.ask("replies") - replies_before < n and time.monotonic() < deadline:
            time.sleep(0.05)
        replies = fake.ask("replies") - replies_before
        replies_done = time.perf_counter() - t_start

        print(f"pressing Answer {presses} times, {args.concurrency} at a time, API round trip "
              f"{args.round_trip * 1000:.0f} ms", file=sys.stderr)
        fake.ask(("delay", args.round_trip))
        pressed = [press(fake, i) for i in range(presses)]
        sent_at: dict[str, float] = {}
        press_acks: list[float] = []

        def one_press(i: int) -> int:
            raw, headers, trigger = pressed[i]
            sent_at[trigger] = time.time()
            status, seconds = request(port, "POST", "/slack/events", raw, headers)
            press_acks.append(seconds * 1000)
            return status

        with ThreadPoolExecutor(args.concurrency) as pool:
            press_statuses = list(pool.map(one_press, range(presses)))
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            opens, updates = fake.ask("views")
            if all(t in opens and opens[t][1] in updates for t in sent_at):
                break
            time.sleep(0.2)
        fake.ask(("delay", 0.0))
        open_ms = [(opens[t][0] - sent_at[t]) * 1000 for t in sent_at if t in opens]
        shown_ms = [(updates[opens[t][1]] - sent_at[t]) * 1000 for t in sent_at if t in opens and opens[t][1] in updates]
        api_calls = fake.ask("calls")
    finally:
        rc = stop(proc)
        if bare_proc is not None:
            stop(bare_proc, 10)
            bare_log.close()
        fake.stop()

    ms = [x * 1000 for x in latencies]
    bare_ms = [x * 1000 for x in bare]
    errors = sum(1 for s in statuses if s != 200)
    ratio = percentile(ms, 99) / percentile(bare_ms, 99)
    rows = [[f"sensebot: {n} commands", args.concurrency, percentile(ms, 50), percentile(ms, 90), percentile(ms, 99),
             max(ms), errors, f"{n / wall:.0f}/s", f"{replies}/{n} in {replies_done:.1f}s", f"{ratio:.2f}x (<= 1.5x)"],
            [f"bare Bolt: {len(bare)} commands", args.concurrency, percentile(bare_ms, 50), percentile(bare_ms, 90),
             percentile(bare_ms, 99), max(bare_ms), "", "", "", "1.00x"],
            [f"press -> ack: {len(press_acks)}/{presses}", args.concurrency, percentile(press_acks, 50),
             percentile(press_acks, 90), percentile(press_acks, 99), max(press_acks), "", "", "", ""],
            [f"press -> views.open: {len(open_ms)}/{presses}", args.concurrency, percentile(open_ms, 50),
             percentile(open_ms, 90), percentile(open_ms, 99), max(open_ms or [float("nan")]),
             sum(1 for s in press_statuses if s != 200), "", "", "p99 <= 1000 ms"],
            [f"press -> modal filled: {len(shown_ms)}/{presses}", args.concurrency, percentile(shown_ms, 50),
             percentile(shown_ms, 90), percentile(shown_ms, 99), max(shown_ms or [float("nan")]), "", "", "", ""]]
    headers = ["what", "in flight", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "acks", "replies",
               "ack p99 / bare, target"]
    print(table(headers, rows))
    print(f"\nAPI round trip at the fake for the presses: {args.round_trip * 1000:.0f} ms; a trigger id expires 3 s "
          f"after the press: {sum(1 for x in open_ms if x > 3000)} of {len(open_ms)} opened later than that")
    print(f"\nwhile acking (both servers' rounds, {rounds_wall:.1f} s): sensebot's acking process used {server_cpu:.1f} s "
          f"of CPU ({100 * server_cpu / rounds_wall:.0f}% of a core; its worker's work is not counted), "
          f"the client {client_cpu:.1f} s; {os.cpu_count()} CPUs. Web API calls at the fake: {api_calls}")
    print(f"server exit code on SIGTERM: {rc}")
    problems = error_lines(log)
    if problems:
        print(f"server log: {len(problems)} error lines, first: {problems[0]}")
    path = write("slack_http", {"requests": n, "slack_workers": int(env["SLACK_WORKERS"]),
                                "concurrency": args.concurrency, "users": args.users,
                                "ack_p99_ms": percentile(ms, 99), "bare_bolt_ack_p99_ms": percentile(bare_ms, 99),
                                "ack_p99_ratio_to_bare_bolt": ratio, "presses": presses,
                                "api_round_trip_ms": args.round_trip * 1000,
                                "press_to_views_open_p99_ms": percentile(open_ms, 99),
                                "press_ack_p99_ms": percentile(press_acks, 99),
                                "press_to_modal_filled_p99_ms": percentile(shown_ms, 99),
                                "presses_past_3s": sum(1 for x in open_ms if x > 3000),
                                "warmup": args.warmup, "server_start_seconds": round(started, 2),
                                "wall_seconds": wall, "server_cpu_seconds": server_cpu,
                                "client_cpu_seconds": client_cpu, "fake_api_calls": api_calls, "statuses": {str(s): statuses.count(s) for s in set(statuses)},
                                "replies": replies, "replies_seconds": replies_done, "server_exit_code": rc,
                                "server_error_lines": len(problems),
                                "rows": [dict(zip(headers, r, strict=False)) for r in rows]})
    print(f"\nwrote {path}")
    log.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
