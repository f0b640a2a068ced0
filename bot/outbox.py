"""The outbox: unsolicited messages written in the same transaction as their cause,
then delivered by a dispatcher through a `ChatPort`.

A row is claimed (a lease) before it is sent and marked sent with the platform's
reference after; a crash in between repeats at most the rows in flight, and rows whose
lease ran out are picked up again. Thread replies wait until their parent has a
platform reference. Permanent platform errors fail the row at once; others are retried
with exponential backoff and jitter, or after the platform's Retry-After.
"""
from __future__ import annotations

import logging
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import select

from bot.context import Ctx
from bot.messages import Message
from bot.pacing import Bucket, Pacer
from bot.ports import ChatPort, Clock, Delivered, DeliveryError
from bot.store.db import Database
from bot.store.models import OutboxRow, Round, Team

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=300)
MAX_ATTEMPTS = 8
PARENT_WAIT = timedelta(seconds=2)


def enqueue(
    ctx: Ctx,
    team: Team,
    *,
    target: str,
    message: Message,
    dedupe_key: str,
    kind: str = "channel",
    thread_of: int | None = None,
    round_id: int | None = None,
) -> OutboxRow | None:
    """Queue a message once per `dedupe_key` (scoped by team); returns None if already queued."""
    key = f"{team.id}:{dedupe_key}"
    if ctx.session.exec(select(OutboxRow.id).where(OutboxRow.dedupe_key == key)).first() is not None:
        return None
    row = OutboxRow(
        team_id=team.id, platform=team.platform, workspace_id=team.workspace_id, kind=kind, target=target,
        thread_of=thread_of, round_id=round_id, dedupe_key=key, payload=message.to_json(),
        next_attempt_at=ctx.now(), created_at=ctx.now(),
    )
    ctx.session.add(row)
    ctx.session.flush()
    return row


def enqueue_latest(
    ctx: Ctx,
    team: Team,
    *,
    target: str,
    message: Message,
    dedupe_key: str,
    kind: str = "channel",
    not_before: datetime | None = None,
) -> OutboxRow:
    """Queue a message that a later change may still revise (a rating its author completes in a second
    step). While its row waits unclaimed, the new version replaces it and its send time; once it went
    out or is being sent, the new version is a row of its own — so the reader gets each version at most
    once, and never the old one after the new one."""
    base = f"{team.id}:{dedupe_key}"
    rows = list(ctx.session.exec(
        select(OutboxRow).where(or_(OutboxRow.dedupe_key == base, OutboxRow.dedupe_key.startswith(f"{base}:v")))
        .order_by(OutboxRow.id).with_for_update()))
    now = ctx.now()
    at = not_before or now
    last = rows[-1] if rows else None
    if last is not None and last.status == "pending" and (last.claimed_until is None or last.claimed_until < now):
        last.payload, last.next_attempt_at = message.to_json(), at
        return last
    row = enqueue(ctx, team, target=target, message=message, kind=kind,
                  dedupe_key=dedupe_key if not rows else f"{dedupe_key}:v{len(rows) + 1}")
    row.next_attempt_at = at
    return row


def backoff(attempts: int, retry_after: float | None, rng: random.Random) -> timedelta:
    """Retry-After when the platform gives one, else 2^n seconds (capped at 5 min) with full jitter."""
    if retry_after is not None:
        return timedelta(seconds=max(0.0, retry_after))
    cap = min(300.0, 2.0 ** attempts)
    return timedelta(seconds=cap / 2 + rng.random() * cap / 2)


class Dispatcher:
    """Drains the outbox for the platforms it has ports for.

    Rows are grouped by destination: one destination's rows go out in order, one at a
    time, while different destinations are served in parallel (`concurrency` threads),
    each send paced by the port's rate-limit buckets when a `Pacer` is given.
    """

    def __init__(self, db: Database, clock: Clock, ports: Mapping[str, ChatPort], worker: str | None = None,
                 rng: random.Random | None = None, pacer: Pacer | None = None, concurrency: int = 1,
                 lease: timedelta = LEASE):
        self.db = db
        self.clock = clock
        self.ports = dict(ports)
        self.worker = worker or uuid.uuid4().hex[:12]
        self.rng = rng or random.Random()
        self.pacer = pacer
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="outbox") if self.concurrency > 1 else None

    def claim(self, limit: int = 50) -> list[OutboxRow]:
        """Lease up to `limit` due rows to this worker (SKIP LOCKED on PostgreSQL)."""
        now = self.clock.now()
        with self.db.transaction() as s:
            rows = list(s.exec(
                select(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.platform.in_(list(self.ports)),
                       OutboxRow.next_attempt_at <= now,
                       or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now))
                .order_by(OutboxRow.id).limit(limit).with_for_update(skip_locked=True)
            ))
            for row in rows:
                row.claimed_until = now + self.lease
                row.claimed_by = self.worker
            return rows

    def drain(self, limit: int = 200) -> int:
        """Deliver what is due; returns how many rows were sent."""
        groups: dict[tuple[str, str, str], list[OutboxRow]] = {}
        for row in self.claim(limit):
            groups.setdefault((row.platform, row.workspace_id, row.target), []).append(row)
        if self._pool is None or len(groups) < 2:
            return sum(self._deliver_group(g) for g in groups.values())
        return sum(self._pool.map(self._deliver_group, groups.values()))

    def _deliver_group(self, rows: list[OutboxRow]) -> int:
        sent = 0
        for i, row in enumerate(rows):
            if self._deliver(row):
                sent += 1
                continue
            # keep a destination's order: the rest of its rows wait for a later drain
            for later in rows[i + 1:]:
                self._release(later, self.clock.now(), count_attempt=False)
            break
        return sent

    def _buckets(self, port: ChatPort, row: OutboxRow) -> list[Bucket]:
        buckets = getattr(port, "buckets", None)
        return list(buckets(row.kind, row.workspace_id, row.target)) if buckets and self.pacer else []

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def drain_all(self, max_rounds: int = 1000) -> int:
        total = 0
        for _ in range(max_rounds):
            n = self.drain()
            total += n
            if n == 0:
                break
        return total

    def _deliver(self, row: OutboxRow) -> int:
        port = self.ports[row.platform]
        thread_ref = None
        if row.thread_of is not None:
            with self.db.session() as s:
                parent = s.get(OutboxRow, row.thread_of)
            if parent is None or parent.status == "failed":
                thread_ref = None  # the parent never made it: post at top level rather than lose it
            elif parent.message_ref is None:
                self._release(row, self.clock.now() + PARENT_WAIT, count_attempt=False)
                return 0
            else:
                thread_ref = parent.message_ref
        message = Message.from_json(row.payload)
        buckets = self._buckets(port, row)
        if buckets:
            self.pacer.acquire(buckets)
        # an earlier attempt delivered the first posts of a multi-post message: the port resumes after them
        resume = {"resume": Delivered(row.parts_sent, row.first_part_ref)} if row.parts_sent and row.first_part_ref else {}
        try:
            if row.kind == "direct":
                ref = port.direct(row.workspace_id, row.target, message, **resume)
            else:
                ref = port.post(row.workspace_id, row.target, message, thread_ref=thread_ref, **resume)
        except DeliveryError as exc:
            if buckets and exc.retry_after:
                self.pacer.block(buckets, exc.retry_after)
            self._failed(row, exc)
            return 0
        except Exception as exc:  # a bug or a network fault in the port: retry, never lose the row
            log.warning("outbox row %s: delivery raised %s", row.id, type(exc).__name__)
            self._failed(row, DeliveryError(type(exc).__name__))
            return 0
        with self.db.transaction() as s:
            fresh = s.get(OutboxRow, row.id)
            fresh.status, fresh.message_ref, fresh.sent_at = "sent", ref, self.clock.now()
            fresh.claimed_until, fresh.attempts = None, fresh.attempts + 1
            if fresh.round_id is not None:
                rnd = s.get(Round, fresh.round_id)
                if rnd is not None and rnd.team_id == fresh.team_id and rnd.message_ref is None:
                    rnd.message_ref = ref
        return 1

    def _release(self, row: OutboxRow, at, *, count_attempt: bool, error: str = "") -> None:
        with self.db.transaction() as s:
            fresh = s.get(OutboxRow, row.id)
            fresh.claimed_until, fresh.claimed_by, fresh.next_attempt_at = None, None, at
            if count_attempt:
                fresh.attempts += 1
                fresh.error = error[:500]

    def _failed(self, row: OutboxRow, exc: DeliveryError) -> None:
        if exc.delivered is not None and exc.delivered.parts > row.parts_sent:
            with self.db.transaction() as s:
                fresh = s.get(OutboxRow, row.id)
                fresh.parts_sent, fresh.first_part_ref = exc.delivered.parts, exc.delivered.ref
        attempts = row.attempts + 1
        if exc.permanent or attempts >= MAX_ATTEMPTS:
            log.warning("outbox row %s failed for team %s: %s", row.id, row.team_id, exc.reason)
            with self.db.transaction() as s:
                fresh = s.get(OutboxRow, row.id)
                fresh.status, fresh.error, fresh.attempts, fresh.claimed_until = "failed", exc.reason[:500], attempts, None
            return
        delay = backoff(attempts, exc.retry_after, self.rng)
        log.info("outbox row %s: %s, retrying in %.1fs", row.id, exc.reason, delay.total_seconds())
        self._release(row, self.clock.now() + delay, count_attempt=True, error=exc.reason)


REMOVED = Message("(removed at a member's request)").to_json()
FORGOTTEN_FAILURE = "delivery failed; the details were removed at a member's request"


def about_answers(ids: Iterable[int]) -> Callable[[OutboxRow], bool]:
    """The rows that post these answers: the reveal's post, or the post at once with `reveal immediate`
    (`:answer:<id>`), and a later copy (`:shown:<id>`). Forget-me and retention take them out."""
    keys = tuple(k for i in ids for k in (f":answer:{i}", f":shown:{i}"))
    return lambda row: bool(keys) and row.dedupe_key.endswith(keys)


def forget(ctx: Ctx, team: Team, *, about: Callable[[OutboxRow], bool], names: Iterable[str],
           texts: Iterable[str]) -> tuple[int, int]:
    """Take a member out of the outbox: (rows deleted, rows scrubbed).

    Rows `about` them (DMs to them, posts of their answers, their milestone) are deleted while
    undelivered and emptied once delivered (the row stays: thread replies find their parent by
    it; a DM's target, their user id, is blanked too). In every other row, their name and the text of their answers are replaced, delivered
    or not. What a platform already shows is out of sensebot's reach: the ChatPort can't delete.
    """
    name_res = [re.compile(rf"(?<!\w){re.escape(n)}(?!\w)") for n in names if n.strip()]
    needles = sorted({t for t in texts if len(t.strip()) >= 3}, key=len, reverse=True)
    deleted = scrubbed = 0
    for row in list(ctx.session.exec(select(OutboxRow).where(OutboxRow.team_id == team.id))):
        if about(row):
            if row.status == "pending":
                ctx.session.delete(row)
                deleted += 1
            else:
                # a dead letter keeps a reason (admins read failed rows), but not the platform's text
                row.payload, row.error = REMOVED, FORGOTTEN_FAILURE if row.status == "failed" else ""
                if row.kind == "direct":  # a DM's target is the member's platform id: not kept either
                    row.target = ""
                scrubbed += 1
            continue
        payload = _scrub(row.payload, name_res, needles)
        if payload != row.payload:
            row.payload = payload
            scrubbed += 1
    return deleted, scrubbed


def _scrub(value: Any, names: list[re.Pattern[str]], needles: list[str]) -> Any:
    if isinstance(value, str):
        for text in needles:
            value = value.replace(text, "(removed)")
        for name in names:
            value = name.sub("a former member", value)
        return value
    if isinstance(value, list):
        return [_scrub(v, names, needles) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "png" else _scrub(v, names, needles) for k, v in value.items()}
    return value


def failed_rows(ctx: Ctx, team: Team, limit: int = 5) -> list[OutboxRow]:
    return list(ctx.session.exec(
        select(OutboxRow).where(OutboxRow.team_id == team.id, OutboxRow.status == "failed")
        .order_by(OutboxRow.id.desc()).limit(limit)
    ))


class DispatchLoop:
    """Drains the outbox every `interval` seconds on a background thread until stopped."""

    def __init__(self, dispatcher: Dispatcher, interval: float):
        self.dispatcher = dispatcher
        self.interval = interval
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="outbox", daemon=True)

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                sent = self.dispatcher.drain()
            except Exception:
                log.exception("outbox drain failed; retrying")
                sent = 0
            if not sent:
                self.stop_event.wait(self.interval)

    def start(self) -> DispatchLoop:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)
