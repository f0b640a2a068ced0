"""The outbox: delivered once, retried on transient errors, failed on permanent ones, threads wait for parents."""
import random
from datetime import timedelta

from sqlmodel import select

from bot.context import Ctx
from bot.events import Who
from bot.messages import Message
from bot.outbox import LEASE, MAX_ATTEMPTS, Dispatcher, enqueue
from bot.ports import DeliveryError
from bot.store.models import OutboxRow
from bot.teams import ensure_team


class FlakyPort:
    platform = "test"

    def __init__(self, failures: list[DeliveryError | None]):
        self.failures = failures
        self.delivered: list[tuple[str, str | None]] = []

    def post(self, workspace_id, channel_id, message, thread_ref=None):
        failure = self.failures.pop(0) if self.failures else None
        if failure:
            raise failure
        self.delivered.append((message.title, thread_ref))
        return f"m{len(self.delivered)}"

    def direct(self, workspace_id, user_id, message):
        return self.post(workspace_id, user_id, message)


def queue(db, clock, library, *titles, thread=False):
    with db.transaction() as s:
        ctx = Ctx(s, clock, library)
        team = ensure_team(ctx, Who("test", "T1", "u"))
        parent = None
        for t in titles:
            row = enqueue(ctx, team, target="C1", message=Message(t), dedupe_key=t,
                          thread_of=parent.id if (thread and parent) else None)
            parent = parent or row


def test_same_dedupe_key_is_queued_once(db, clock, library):
    queue(db, clock, library, "a", "a", "b")
    with db.session() as s:
        assert len(s.exec(select(OutboxRow)).all()) == 2


def test_transient_error_is_retried_after_retry_after(db, clock, library):
    queue(db, clock, library, "hello")
    port = FlakyPort([DeliveryError("ratelimited", retry_after=30)])
    d = Dispatcher(db, clock, {"test": port}, rng=random.Random(0))
    assert d.drain() == 0 and port.delivered == []
    clock.advance(timedelta(seconds=29))
    assert d.drain() == 0
    clock.advance(timedelta(seconds=2))
    assert d.drain() == 1 and port.delivered == [("hello", None)]
    assert d.drain() == 0  # never twice


def test_permanent_error_fails_the_row_with_the_platform_reason(db, clock, library):
    queue(db, clock, library, "hello")
    d = Dispatcher(db, clock, {"test": FlakyPort([DeliveryError("channel_not_found", permanent=True)])})
    d.drain()
    with db.session() as s:
        row = s.exec(select(OutboxRow)).one()
    assert row.status == "failed" and row.error == "channel_not_found"


def test_gives_up_after_max_attempts(db, clock, library):
    queue(db, clock, library, "hello")
    d = Dispatcher(db, clock, {"test": FlakyPort([DeliveryError("boom")] * 50)}, rng=random.Random(0))
    for _ in range(MAX_ATTEMPTS + 2):
        d.drain()
        clock.advance(timedelta(minutes=10))
    with db.session() as s:
        row = s.exec(select(OutboxRow)).one()
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS


def test_thread_reply_waits_for_its_parent_then_goes_in_its_thread(db, clock, library):
    queue(db, clock, library, "parent", "child", thread=True)
    port = FlakyPort([DeliveryError("server error")])
    d = Dispatcher(db, clock, {"test": port}, rng=random.Random(0))
    d.drain()
    assert port.delivered == []  # parent failed transiently; the child waits
    clock.advance(timedelta(minutes=5))
    d.drain_all()
    clock.advance(timedelta(seconds=5))
    d.drain_all()
    assert port.delivered == [("parent", None), ("child", "m1")]


def test_a_lease_keeps_a_second_worker_off_claimed_rows_until_it_expires(db, clock, library):
    queue(db, clock, library, "hello")
    a = Dispatcher(db, clock, {"test": FlakyPort([])}, worker="a")
    b = Dispatcher(db, clock, {"test": FlakyPort([])}, worker="b")
    claimed = a.claim()  # a crashes after claiming
    assert len(claimed) == 1 and b.claim() == []
    clock.advance(LEASE + timedelta(seconds=1))
    assert [r.id for r in b.claim()] == [claimed[0].id]
