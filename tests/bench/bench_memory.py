"""Benchmark: resident memory of `sensebot run` with both adapters connected and idle.

Starts the real `python -m bot.cli run` (i.e. `sensebot run`: scheduler, outbox dispatcher, the
Slack adapter over HTTP and the Discord gateway client) as a subprocess on a temp SQLite file.
Slack is pointed at a FakeSlack (SLACK_API_URL; HTTP mode, as the fake has no Socket Mode
websocket), Discord at the fake REST API and gateway (DISCORD_API_URL, DISCORD_GATEWAY_URL). The
fakes run in this process, so they are not part of what is measured. Once Slack answers /healthz
and the Discord client has identified on the gateway (READY) and synced its commands, the process
is left idle and its VmRSS (from /proc/<pid>/status) sampled every 0.5 s. Target: <= 150 MB.

The Slack adapter does its work after each ack in a worker process (`SLACK_WORKERS`, default 1),
so the bot is now more than one process: each is reported, and the total as proportional set
size (Pss, /proc/<pid>/smaps_rollup: shared pages counted once across them) against the target.

    python tests/bench/bench_memory.py [--idle 10]
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.adapters.slack.harness import BOT_TOKEN, SIGNING_SECRET
from tests.bench._common import error_lines, median, table, write
from tests.fakes.discord_fakes import FakeDiscord
from tests.fakes.slack_api import FakeSlack

DISCORD_TOKEN = "MTA-bench-memory-token.abcdef.ghijklmnopqrstu"


def status(pid: int) -> dict[str, int]:
    """The kB fields (and Threads) of /proc/<pid>/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        parts = value.split()
        if (key.startswith(("Vm", "Rss")) and len(parts) == 2 and parts[1] == "kB") or key == "Threads":
            out[key] = int(parts[0])
    return out


def children(pid: int) -> list[int]:
    """The process's child processes (the Slack worker processes)."""
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def pss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--idle", type=float, default=10.0, help="seconds to sample once connected")
    ap.add_argument("--settle", type=float, default=5.0, help="seconds to wait after connecting before sampling")
    args = ap.parse_args()

    slack = FakeSlack().start()
    discord = FakeDiscord().start()
    api = discord.api
    port = free_port()
    tmp = tempfile.TemporaryDirectory()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SENSEBOT_", "DISCORD_"))}
    env.update(SENSEBOT_DATABASE_URL=f"sqlite:///{Path(tmp.name) / 'run.db'}", SENSEBOT_LOG_LEVEL="WARNING",
               PORT=str(port), PYTHONPATH=str(ROOT),
               SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack.url,
               DISCORD_TOKEN=DISCORD_TOKEN, DISCORD_API_URL=api.url, DISCORD_GATEWAY_URL=discord.gateway.url,
               DISCORD_GUILD_ID=str(api.guild_id), DISCORD_APPLICATION_ID=str(api.application_id),
               SLACK_WORKERS=os.environ.get("SLACK_WORKERS", "1"))
    log = open(Path(tmp.name) / "run.log", "w+")  # noqa: SIM115 - the server writes to it for the whole run
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    samples: list[int] = []
    connected_at = rc = None
    try:
        slack_up = discord_up = None
        synced = f"^/applications/{api.application_id}/guilds/{api.guild_id}/commands$"
        while slack_up is None or discord_up is None:
            if proc.poll() is not None:
                log.seek(0)
                raise SystemExit(f"sensebot run exited with {proc.returncode}:\n{log.read()}")
            if time.monotonic() - t0 > 60:
                raise SystemExit(f"not connected within 60 s (slack {slack_up}, discord {discord_up})")
            if slack_up is None and healthy(port):
                slack_up = time.monotonic() - t0
            if discord_up is None and discord.gateway.sessions and api.recorded(None, synced):
                discord_up = time.monotonic() - t0
            time.sleep(0.1)
        connected_at = status(proc.pid)
        print(f"connected: Slack /healthz after {slack_up:.1f}s, Discord READY after {discord_up:.1f}s; "
              f"settling {args.settle:.0f}s, then sampling {args.idle:.0f}s", file=sys.stderr)
        time.sleep(args.settle)
        end = time.monotonic() + args.idle
        while time.monotonic() < end:
            samples.append(status(proc.pid)["VmRSS"])
            time.sleep(0.5)
        final = status(proc.pid)
        workers = {kid: status(kid) for kid in children(proc.pid)}
        pss = {pid: pss_kb(pid) for pid in (proc.pid, *workers)}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
        discord.stop()
        slack.stop()

    mb = 1024
    rows = [["sensebot run (Slack HTTP + Discord gateway, idle)", connected_at["VmRSS"] / mb, min(samples) / mb,
             median(samples) / mb, max(samples) / mb, final["VmHWM"] / mb, final.get("RssAnon", 0) / mb,
             final.get("RssFile", 0) / mb, final["Threads"], ""]]
    rows += [[f"Slack worker process {kid}", "", "", "", w["VmRSS"] / mb, w["VmHWM"] / mb, w.get("RssAnon", 0) / mb,
              w.get("RssFile", 0) / mb, w["Threads"], ""] for kid, w in workers.items()]
    total = sum(pss.values()) / mb
    rows.append([f"all {len(pss)} processes (Pss)", "", "", "", total, "", "", "", "", 150])
    headers = ["process", "RSS at connect MB", "idle min MB", "idle median MB", "idle max MB", "peak (VmHWM) MB",
               "anon MB", "file MB", "threads", "target MB"]
    print(table(headers, rows))
    print(f"\nexit code on SIGTERM: {rc}")
    problems = error_lines(log)
    if problems:
        print(f"log: {len(problems)} error lines, first: {problems[0]}")
    path = write("memory", {"slack_healthz_seconds": slack_up, "discord_ready_seconds": discord_up,
                            "idle_seconds": args.idle, "samples_kb": samples, "status_at_connect": connected_at,
                            "status_final": final, "workers": workers, "pss_kb": pss, "total_pss_mb": total, "exit_code": rc, "log_error_lines": len(problems),
                            "rows": [dict(zip(headers, r, strict=False)) for r in rows]})
    print(f"\nwrote {path}")
    log.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
