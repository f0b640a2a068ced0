"""The hostile world around the core: a platform that fails, a process that dies, a database
that goes away, and a scheduler whose jobs we fire by hand.

Everything here wraps the real classes (`Dispatcher`, `Scheduler`) as thinly as possible, so
the simulation drives the code that runs in production, not a copy of it.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import event

from bot import scheduler as scheduler_mod
from bot.messages import Message
from bot.outbox import Dispatcher
from bot.ports import DeliveryError
from bot.practice import Practice
from bot.scheduler import FULL_PASS, Scheduler
from bot.store.db import Database
from bot.store.models import OutboxRow


class SimCrash(BaseException):
    """The process died. A BaseException, so the dispatcher's `except Exception` can't swallow it:
    raised after the platform took a message and before its acknowledgement was recorded."""


Delivery = Callable[[OutboxRow | None, str, str, Message, str | None, str], None]


class RecordingPort:
    """A fake platform that records every message it accepts and fails a seeded share of sends:
    429 with Retry-After, 5xx, timeouts (a non-DeliveryError exception) and permanent refusals.

    It outlives restarts (the platform does), so its refs are unique over the whole run."""

    platform = "sim"

    def __init__(self, rng: random.Random, fault_rate: float, crash_rate: float, on_delivery: Delivery):
        self.rng = rng
        self.fault_rate = fault_rate
        self.crash_rate = crash_rate
        self.on_delivery = on_delivery
        self.current_row: OutboxRow | None = None
        self.last_row: int | None = None
        self.sent = 0
        self.faults: dict[str, int] = {"429": 0, "5xx": 0, "timeout": 0, "permanent": 0, "crash_after_send": 0}

    def post(self, workspace_id: str, channel_id: str, message: Message, thread_ref: str | None = None) -> str:
        return self._send("channel", channel_id, message, thread_ref)

    def direct(self, workspace_id: str, user_id: str, message: Message) -> str:
        return self._send("direct", user_id, message, None)

    def _send(self, kind: str, target: str, message: Message, thread_ref: str | None) -> str:
        r = self.rng.random()
        if r < self.fault_rate:
            share = r / self.fault_rate
            if share < 0.4:
                self.faults["429"] += 1
                raise DeliveryError("ratelimited", retry_after=self.rng.choice((1.0, 5.0, 30.0)))
            if share < 0.7:
                self.faults["5xx"] += 1
                raise DeliveryError("server_error 503")
            if share < 0.9:
                self.faults["timeout"] += 1
                raise TimeoutError("read timed out")
            self.faults["permanent"] += 1
            raise DeliveryError("channel_not_found" if kind == "channel" else "cannot_dm_user", permanent=True)
        self.sent += 1
        ref = f"m{self.sent}"
        self.on_delivery(self.current_row, kind, target, message, thread_ref, ref)
        if self.crash_rate and self.rng.random() < self.crash_rate:
            self.faults["crash_after_send"] += 1
            raise SimCrash(f"crashed after sending outbox row {self.current_row.id if self.current_row else '?'}")
        return ref


class SimDispatcher(Dispatcher):
    """The real dispatcher; it only tells the port which row it is sending, for the ledger."""

    def _deliver(self, row: OutboxRow) -> int:
        port = self.ports.get(row.platform)
        if isinstance(port, RecordingPort):
            port.current_row = row
        try:
            return super()._deliver(row)
        finally:
            if isinstance(port, RecordingPort):
                port.current_row = None


class FakeAPS:
    """Stands in for APScheduler's BackgroundScheduler: the date jobs the real `Scheduler` asks
    for are handed to the simulation's event queue instead of a thread."""

    def __init__(self, on_job: Callable[[str, datetime], None]):
        self.jobs: dict[str, datetime] = {}
        self.on_job = on_job

    def add_job(self, func, trigger, run_date=None, args=(), id=None, replace_existing=False, **kw):  # noqa: A002
        if id == "sweep":
            return
        self.jobs[id] = run_date
        self.on_job(id, run_date)

    def get_job(self, job_id: str):
        return self.jobs.get(job_id)

    def remove_job(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)

    def start(self) -> None:
        pass

    def shutdown(self, wait: bool = False) -> None:
        pass


class SimScheduler(Scheduler):
    """The real `Scheduler` (its `sweep`, `run_team`, `reschedule`, leadership) with FakeAPS."""

    def __init__(self, practice: Practice, leader, name: str, on_job: Callable[[str, str, datetime], None],
                 full_pass: timedelta = FULL_PASS):
        super().__init__(practice, leader, full_pass)
        self.name = name
        self.aps = FakeAPS(lambda job_id, when: on_job(name, job_id, when))

    def activate(self) -> None:
        """Make this the process's scheduler, as `Scheduler.start` does, for `sweep`/`run_team`."""
        scheduler_mod._runtime = self


class Outage:
    """A database that goes away: while `down`, every new connection raises the driver's
    OperationalError (pooled connections are dropped when the outage starts)."""

    def __init__(self):
        self.down = False
        self.databases: list[Database] = []

    def attach(self, db: Database) -> None:
        self.databases.append(db)
        event.listen(db.engine, "do_connect", self._connect)

    def _connect(self, dialect, conn_rec, cargs, cparams):
        if self.down:
            raise dialect.loaded_dbapi.OperationalError("sim: the database is unreachable")
        return None

    def start(self, leaders=()) -> None:
        self.down = True
        for db in self.databases:
            db.engine.dispose()
        for leader in leaders:
            conn = getattr(leader, "_conn", None)
            if conn is not None:
                try:
                    conn.invalidate()
                except Exception:
                    pass

    def end(self) -> None:
        self.down = False
