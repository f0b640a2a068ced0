"""Defects the simulated year (tests/sim, issue 18) found beyond issue 14, each pinned by a test."""
from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlmodel import select

from bot import scheduler as scheduler_mod
from bot.clock import ManualClock
from bot.scheduler import Scheduler
from bot.store.models import OutboxRow
from tests.conftest import TeamBot


def _unreachable(db):
    """Every new connection fails as if the database host went away; pooled ones are dropped."""
    state = {"down": True}

    def connect(dialect, conn_rec, cargs, cparams):
        if state["down"]:
            raise dialect.loaded_dbapi.OperationalError("database unreachable")
    event.listen(db.engine, "do_connect", connect)
    db.engine.dispose()
    return state


def test_a_team_job_during_a_database_outage_does_not_raise(db, library, caplog):
    """A team's job that fires while the database is down logs and leaves the catch-up to the sweep;
    before, rescheduling (outside the job's try) raised OperationalError out of the job."""
    zone = ZoneInfo("Europe/Berlin")
    bot = TeamBot(db, ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=zone)), library)
    bot.setup()
    team_id = bot.team_id()
    sched = Scheduler(bot.practice)
    sched.aps.start(paused=True)
    scheduler_mod._runtime = sched
    sched.leader.is_leader = True
    try:
        bot.clock.set(datetime(2026, 11, 23, 9, 0, 5, tzinfo=zone))
        state = _unreachable(db)
        with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
            scheduler_mod.run_team(team_id)  # must not raise
        assert any("database" in r.getMessage() or "failed" in r.getMessage() for r in caplog.records)
        state["down"] = False
        scheduler_mod.run_team(team_id)  # the database is back: the day's prompt goes out, once
        bot.dispatcher.drain_all()
        assert [t for t in bot.port.titles() if t.startswith("Today's case")] != []
        assert sched.aps.get_job(f"team:{team_id}").next_run_time > datetime(2026, 11, 23, 8, 0, 5, tzinfo=UTC)
    finally:
        scheduler_mod._runtime = None
        sched.aps.shutdown(wait=False)


def test_forget_me_leaves_no_user_id_on_delivered_direct_messages(teambot):
    """After forget-me, no outbox row holds the member's platform user id: a DM to them that was
    already delivered is emptied *and* no longer addressed to them (before, its target kept the id)."""
    teambot.setup()
    from bot import outbox
    from bot.messages import Message
    from bot.store.models import Team
    teambot.practice.with_ctx(lambda ctx: outbox.enqueue(
        ctx, ctx.session.get(Team, teambot.team_id()), kind="direct", target="bob", dedupe_key="test:note-to-bob",
        message=Message("A private note for Bob")))
    teambot.dispatcher.drain_all()
    with teambot.db.session() as s:
        assert [r.status for r in s.exec(select(OutboxRow).where(OutboxRow.target == "bob"))] == ["sent"]
    reply = teambot.cmd("bob", "forget-me confirm")
    assert "Forgotten" in reply.plain()
    with teambot.db.session() as s:
        rows = list(s.exec(select(OutboxRow)))
    assert rows and not any(r.target == "bob" for r in rows)
    assert "A private note" not in str([r.payload for r in rows])


def test_forget_me_keeps_a_reason_on_a_dead_lettered_message(teambot):
    """A DM to the member that had failed for good is emptied by forget-me but stays a dead letter
    with a reason (admins read failed rows in `status`); before, its reason was blanked too."""
    from bot import outbox
    from bot.messages import Message
    from bot.ports import DeliveryError
    from bot.store.models import Team
    teambot.setup()
    teambot.practice.with_ctx(lambda ctx: outbox.enqueue(
        ctx, ctx.session.get(Team, teambot.team_id()), kind="direct", target="bob", dedupe_key="test:note-to-bob",
        message=Message("A private note for Bob")))

    def refuse(*_a, **_k):
        raise DeliveryError("HTTP 403 cannot_dm_user", permanent=True)
    teambot.port.direct = refuse
    teambot.dispatcher.drain_all()
    teambot.cmd("bob", "forget-me confirm")
    with teambot.db.session() as s:
        [row] = s.exec(select(OutboxRow).where(OutboxRow.kind == "direct"))
    assert row.status == "failed" and row.error.strip() and row.target != "bob"
    assert "Bob" not in str(row.payload) and "bob" not in row.error
