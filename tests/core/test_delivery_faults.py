"""Delivery under faults: 429s, 500s, resets and hangs; a dispatcher killed mid-fan-out; several dispatchers."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.clock import SystemClock
from bot.context import Ctx
from bot.events import Who
from bot.messages import Message
from bot.outbox import Dispatcher, enqueue
from bot.store.models import OutboxRow
from bot.teams import ensure_team
from tests.fakes.sink import Sink, SinkPort

ROOT = Path(__file__).parents[2]


def fill(db, library, n: int, channels: int = 50) -> None:
    with db.transaction() as s:
        ctx = Ctx(s, SystemClock(), library)
        team = ensure_team(ctx, Who("test", "T1", "u"))
        for i in range(n):
            enqueue(ctx, team, target=f"C{i % channels}", message=Message(f"msg-{i}"), dedupe_key=f"k{i}")


def pending(db) -> int:
    with db.session() as s:
        return s.exec(select(func.count(OutboxRow.id)).where(OutboxRow.status == "pending")).one()


@pytest.fixture
def sink():
    made = []

    def make(**kw) -> Sink:
        made.append(Sink(**kw).start())
        return made[-1]
    yield make
    for s in made:
        s.stop()


def test_twenty_percent_faults_every_message_delivered_exactly_once(db, library, sink):
    box = sink(fault_rate=0.2, seed=7, hang=0.6)
    fill(db, library, 300)
    d = Dispatcher(db, SystemClock(), {"test": SinkPort(box.url, timeout=0.3)}, rng=random.Random(3),
                   concurrency=8)
    deadline = time.monotonic() + 90
    while pending(db) and time.monotonic() < deadline:
        if not d.drain():
            time.sleep(0.05)
    d.close()
    counts = box.counts()
    assert len(counts) == 300 and max(counts.values()) == 1
    assert sum(v for k, v in box.faults.items() if k != "ok") > 30  # faults really happened


def _spawn(db_url: str, url: str, name: str, lease: float = 2.0) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.fakes.dispatch_worker", db_url, url, name, str(lease)],
                            cwd=ROOT, env=env)


def test_dispatcher_killed_mid_fan_out_then_restarted_loses_nothing(db, library, sink):
    box = sink(latency=0.01)
    fill(db, library, 400)
    worker = _spawn(db.url, box.url, "first")
    while len(box.received) < 100:
        time.sleep(0.01)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    before = len(box.received)
    assert before < 400
    restarted = _spawn(db.url, box.url, "second")
    assert restarted.wait(timeout=120) == 0
    counts = box.counts()
    assert len(counts) == 400  # every message delivered
    duplicates = sum(v - 1 for v in counts.values())
    assert duplicates <= 1  # at most the one message that was on the wire when the process died


@pytest.mark.postgres
def test_three_dispatcher_processes_over_one_postgres_outbox_deliver_each_row_once(db, library, sink):
    if db.is_sqlite:
        pytest.skip("the multi-process claim uses FOR UPDATE SKIP LOCKED: PostgreSQL only")
    box = sink(latency=0.002)
    fill(db, library, 600)
    workers = [_spawn(db.url, box.url, f"w{i}", lease=60) for i in range(3)]
    for w in workers:
        assert w.wait(timeout=120) == 0
    counts = box.counts()
    assert len(counts) == 600 and max(counts.values()) == 1
