"""Benchmark: acknowledgement latency of `sensebot slack --http` under a burst of slash commands.

Starts the real server (`python -m bot.cli slack --http --port P`, i.e. `sensebot slack --http`) as a
subprocess on a temp SQLite file, with its Web API calls (auth.test, users.info, response_url
replies) going to a FakeSlack in a third process (so neither the fake nor the client competes
with the other for a GIL while latencies are taken). Sends 2,000 signed slash commands (`/sensebot help`
and `/sensebot streak`, alternating, from 200 users) with 50 in flight at once, each on its own
connection as Slack sends them, and times each from connecting to the end of the HTTP answer (the
ack). A short warm-up (not counted) goes first. Also reports how many replies reached the
response_url and when. Target: p99 <= 100 ms, 0 errors (non-200 answers or failed requests).

    python tests/bench/bench_slack_http.py [--quick] [--requests 2000] [--concurrency 50]
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
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


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def serve_fake(conn, users: int) -> None:
    """The FakeSlack, in its own process; answers "replies" (response_url calls so far) and "calls"."""
    fake = FakeSlack(users={f"U{i:04d}": {"name": f"user{i}", "real_name": f"User {i}"} for i in range(users)})
    fake.start()
    conn.send(fake.root)
    while True:
        msg = conn.recv()
        if msg == "replies":
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="400 commands")
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    n = 400 if args.quick else args.requests

    fake = RemoteFake(args.users)
    port = free_port()
    tmp = tempfile.TemporaryDirectory()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SENSEBOT_", "DISCORD_"))}
    env.update(SENSEBOT_DATABASE_URL=f"sqlite:///{Path(tmp.name) / 'slack.db'}", SENSEBOT_LOG_LEVEL="WARNING",
               SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=fake.url,
               PYTHONPATH=str(ROOT))
    log = open(Path(tmp.name) / "server.log", "w+")  # noqa: SIM115 - the server writes to it for the whole run
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--http", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    rc = None
    try:
        t0 = time.monotonic()
        while request(port, "GET", "/healthz", timeout=2)[0] != 200:
            if proc.poll() is not None:
                log.seek(0)
                raise SystemExit(f"the server exited with {proc.returncode}:\n{log.read()}")
            if time.monotonic() - t0 > 60:
                raise SystemExit("the server did not come up within 60 s")
            time.sleep(0.1)
        started = time.monotonic() - t0
        print(f"server up after {started:.1f}s; warming up", file=sys.stderr)

        bodies = [command(fake, i, args.users) for i in range(n + args.warmup)]
        for body, headers in bodies[:args.warmup]:
            request(port, "POST", "/slack/events", body, headers)
        time.sleep(0.5)
        replies_before = fake.ask("replies")

        latencies: list[float] = [0.0] * n
        statuses: list[int] = [0] * n
        lock = threading.Lock()

        def one(i: int) -> None:
            body, headers = bodies[args.warmup + i]
            status, seconds = request(port, "POST", "/slack/events", body, headers)
            with lock:
                statuses[i], latencies[i] = status, seconds

        print(f"sending {n} slash commands, {args.concurrency} at a time", file=sys.stderr)
        server_cpu, client_cpu = cpu_seconds(proc.pid), resource.getrusage(resource.RUSAGE_SELF)
        t_start = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            list(pool.map(one, range(n)))
        wall = time.perf_counter() - t_start
        server_cpu = cpu_seconds(proc.pid) - server_cpu
        ru = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = ru.ru_utime + ru.ru_stime - client_cpu.ru_utime - client_cpu.ru_stime
        deadline = time.monotonic() + 120
        while fake.ask("replies") - replies_before < n and time.monotonic() < deadline:
            time.sleep(0.05)
        replies = fake.ask("replies") - replies_before
        replies_done = time.perf_counter() - t_start
        api_calls = fake.ask("calls")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        fake.stop()

    ms = [x * 1000 for x in latencies]
    errors = sum(1 for s in statuses if s != 200)
    rows = [[n, args.concurrency, percentile(ms, 50), percentile(ms, 90), percentile(ms, 99), max(ms), errors,
             f"{n / wall:.0f}/s", f"{replies}/{n} in {replies_done:.1f}s", 100]]
    headers = ["commands", "in flight", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "acks", "replies",
               "target p99 ms"]
    print(table(headers, rows))
    print(f"\nwhile acking: the server used {server_cpu:.1f} s of CPU in {wall:.1f} s ({100 * server_cpu / wall:.0f}% of a core), "
          f"the client {client_cpu:.1f} s; {os.cpu_count()} CPUs. Web API calls at the fake: {api_calls}")
    print(f"server exit code on SIGTERM: {rc}")
    problems = error_lines(log)
    if problems:
        print(f"server log: {len(problems)} error lines, first: {problems[0]}")
    path = write("slack_http", {"requests": n, "concurrency": args.concurrency, "users": args.users,
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
