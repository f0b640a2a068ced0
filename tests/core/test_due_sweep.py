"""Issue 18, last part: a sweep whose cost follows the due work, not the number of teams.

Each team's next due time lives in `teams.next_due_at`; the leader's per-minute sweep runs only
the teams whose time has come (or is unknown), with a full pass every hour as the safety net.
These tests drive the real `sweep()` as the leader with a hand-wound clock; "another process"
is a second `Practice` on the same database with no scheduler listening to it.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, update
from sqlmodel import select

from bot import scheduler as scheduler_mod
from bot.clock import ManualClock
from bot.practice import Practice
from bot.scheduler import Scheduler
from bot.store.models import Team
from tests.conftest import TeamBot

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def leader(db, library):
    """A team set up at 09:00 Berlin on Monday 23 November 2026, 08:00, and the leader's scheduler
    (APScheduler paused: only `sweep()` and the date jobs we fire by hand run anything)."""
    bot = TeamBot(db, ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN)), library)
    bot.setup()
    sched = Scheduler(bot.practice)
    sched.aps.start(paused=True)
    scheduler_mod._runtime = sched
    bot.practice.on_team_change.append(sched.reschedule)
    yield bot, sched
    sched.shutdown()  # gives leadership up (on PostgreSQL, the advisory lock's connection)


def sweep_at(bot: TeamBot, at: datetime) -> None:
    bot.clock.set(at)
    scheduler_mod.sweep()
    bot.dispatcher.drain_all()


def next_due_at(bot: TeamBot, workspace: str | None = None) -> datetime | None:
    with bot.db.session() as s:
        team = s.exec(select(Team).where(Team.workspace_id == (workspace or bot.workspace))).one()
        return team.next_due_at.astimezone(UTC) if team.next_due_at is not None else None


def prompts(bot: TeamBot) -> list[str]:
    return [t for t in bot.port.titles("channel") if t.startswith("Today's case")]


def test_settings_changed_in_another_process_still_prompt_on_time_from_the_leader_sweep(leader, library):
    bot, _ = leader
    sweep_at(bot, datetime(2026, 11, 23, 8, 1, tzinfo=BERLIN))
    assert next_due_at(bot) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 Berlin
    # the web pages (another process, no scheduler) move today's prompt to 08:30
    web = TeamBot(bot.db, bot.clock, library)
    bot.clock.set(datetime(2026, 11, 23, 8, 10, tzinfo=BERLIN))
    web.cmd("admin", "setup #practice 08:30 Europe/Berlin mon-fri", admin=True)
    assert next_due_at(bot) == datetime(2026, 11, 23, 7, 10, tzinfo=UTC)  # lowered to the change's instant: due now
    sweep_at(bot, datetime(2026, 11, 23, 8, 11, tzinfo=BERLIN))
    assert next_due_at(bot) == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    sweep_at(bot, datetime(2026, 11, 23, 8, 30, 40, tzinfo=BERLIN))
    assert len(prompts(bot)) == 1  # at 08:30, not at 09:00 and not an hour later


def test_a_change_committed_while_the_leader_runs_the_team_is_not_overwritten(leader, library, monkeypatch):
    """The leader read the team's settings, another process changed them and committed, then the
    leader stored the next due time it computed from the old ones: that must not hide the change."""
    from bot import day
    bot, _ = leader
    sweep_at(bot, datetime(2026, 11, 23, 8, 1, tzinfo=BERLIN))
    web = TeamBot(bot.db, bot.clock, library)
    real, fired = day.run_due, []

    def run_due_with_a_change_meanwhile(ctx, team):
        if not fired:
            fired.append(web.cmd("admin", "setup #practice 08:30 Europe/Berlin mon-fri", admin=True))
        return real(ctx, team)
    monkeypatch.setattr(day, "run_due", run_due_with_a_change_meanwhile)
    bot.clock.set(datetime(2026, 11, 23, 8, 10, tzinfo=BERLIN))
    _, computed = bot.practice.run_team(bot.team_id())
    assert fired and computed == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # from the settings it had read
    assert next_due_at(bot) == datetime(2026, 11, 23, 7, 10, tzinfo=UTC)  # the change's mark stays: due now
    monkeypatch.setattr(day, "run_due", real)
    sweep_at(bot, datetime(2026, 11, 23, 8, 11, tzinfo=BERLIN))
    assert next_due_at(bot) == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def test_resume_in_another_process_runs_the_due_nudge_at_the_next_sweep(leader, library):
    bot, _ = leader
    sweep_at(bot, datetime(2026, 11, 23, 9, 0, 30, tzinfo=BERLIN))
    assert len(prompts(bot)) == 1
    web = TeamBot(bot.db, bot.clock, library)
    web.cmd("admin", "pause", admin=True)
    sweep_at(bot, datetime(2026, 11, 23, 9, 1, 30, tzinfo=BERLIN))  # paused: no nudges planned
    assert next_due_at(bot) > datetime(2026, 11, 23, 9, 35, tzinfo=BERLIN)
    bot.clock.set(datetime(2026, 11, 23, 9, 40, tzinfo=BERLIN))
    web.cmd("admin", "resume", admin=True)
    sweep_at(bot, datetime(2026, 11, 23, 9, 41, tzinfo=BERLIN))
    assert [t for t in bot.port.titles("channel") if t.startswith("Step")] == ["Step 1 of 4 — Scope"]


def test_a_resume_in_the_leaders_own_process_runs_the_due_nudge_at_the_next_sweep(leader):
    """Found by the simulation: the process that made the change rescheduled the team and stored its
    next step after now, so a nudge the resume made due at once waited for that step (the reveal)."""
    bot, _ = leader
    sweep_at(bot, datetime(2026, 11, 23, 9, 0, 30, tzinfo=BERLIN))
    bot.cmd("admin", "pause", admin=True)
    sweep_at(bot, datetime(2026, 11, 23, 9, 1, 30, tzinfo=BERLIN))
    bot.clock.set(datetime(2026, 11, 23, 9, 40, tzinfo=BERLIN))
    bot.cmd("admin", "resume", admin=True)  # this process's listener reschedules the team's job
    sweep_at(bot, datetime(2026, 11, 23, 9, 41, tzinfo=BERLIN))
    assert [t for t in bot.port.titles("channel") if t.startswith("Step")] == ["Step 1 of 4 — Scope"]


def test_a_review_reminder_runs_on_time_after_reviewers_are_set_to_zero(leader):
    """Found by the simulation: the plan listed the review reminder only while `reviewers` > 0, but
    the reviewers already assigned are reminded either way — so it ran hours late, at the next step."""
    from bot.store.models import Round, RoundStep
    from tests.core.test_dialogue import GOOD
    bot, _ = leader
    sweep_at(bot, datetime(2026, 11, 23, 9, 0, 30, tzinfo=BERLIN))
    with bot.db.session() as s:
        rnd = s.exec(select(Round)).one()
    for user in ("ada", "bo", "cy"):
        bot.submit(user, "answer", GOOD, {"round_id": str(rnd.id)})
    sweep_at(bot, datetime(2026, 11, 23, 17, 0, 30, tzinfo=BERLIN))  # answers close: voting, reviewers assigned
    bot.cmd("admin", "set reviewers 0", admin=True)
    for minute in range(0, 30, 10):  # nothing else is due before the reminder at 19:00
        sweep_at(bot, datetime(2026, 11, 23, 18, 50, tzinfo=BERLIN) + timedelta(minutes=minute))
    with bot.db.session() as s:
        step = s.exec(select(RoundStep).where(RoundStep.key.endswith(":review-reminder"))).one()
    assert step.ran_at.astimezone(UTC) - step.due_at.astimezone(UTC) <= timedelta(minutes=1)


def test_pairs_on_after_mondays_pairing_time_pairs_at_the_next_sweep(leader):
    """Found by the simulation (500 teams): an opt-in gives Monday's pairing work within its grace,
    but the team's stored time was its next nudge, so the pairing waited for it (91 minutes)."""
    from bot.store.models import RoundStep
    bot, _ = leader
    sweep_at(bot, datetime(2026, 11, 23, 9, 0, 30, tzinfo=BERLIN))
    sweep_at(bot, datetime(2026, 11, 23, 9, 30, 30, tzinfo=BERLIN))  # the first nudge; the next is at 10:30
    bot.clock.set(datetime(2026, 11, 23, 9, 35, tzinfo=BERLIN))
    bot.cmd("ada", "pairs on")
    sweep_at(bot, datetime(2026, 11, 23, 9, 36, tzinfo=BERLIN))
    with bot.db.session() as s:
        step = s.exec(select(RoundStep).where(RoundStep.key == "pairs:2026-W48")).first()
    assert step is not None and step.ran_at.astimezone(UTC) == datetime(2026, 11, 23, 8, 36, tzinfo=UTC)


def test_a_started_mock_drill_nudges_on_time_although_the_stored_next_due_was_hours_away(leader, library):
    bot, _ = leader
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=BERLIN)
    sweep_at(bot, saturday)
    assert next_due_at(bot) - saturday > timedelta(hours=40)  # Monday's prompt
    other = TeamBot(bot.db, bot.clock, library)  # the member's DM reaches another process
    bot.clock.set(saturday + timedelta(minutes=1))
    other.cmd("ada", "drill mock")
    assert next_due_at(bot) == (saturday + timedelta(minutes=1)).astimezone(UTC)
    sweep_at(bot, saturday + timedelta(minutes=2))
    assert next_due_at(bot) == (saturday + timedelta(minutes=4)).astimezone(UTC)  # Context: 3 minutes
    sweep_at(bot, saturday + timedelta(minutes=4, seconds=30))
    assert [m["message"].title for m in bot.port.sent if m["kind"] == "direct"] == ["⏱ Context has had its 3 minutes"]


def test_a_sweep_runs_only_the_due_teams_and_the_hourly_pass_runs_all(db, library, monkeypatch):
    clock = ManualClock(datetime(2026, 11, 23, 8, 30, tzinfo=BERLIN))
    bots = [TeamBot(db, clock, library, workspace=f"T{i}") for i in range(5)]
    for i, b in enumerate(bots):
        b.setup(time=f"{9 + i:02d}:00")
    sched = Scheduler(bots[0].practice)
    sched.aps.start(paused=True)
    scheduler_mod._runtime = sched
    ran: list[int] = []
    real = scheduler_mod.run_team
    monkeypatch.setattr(scheduler_mod, "run_team", lambda team_id: (ran.append(team_id), real(team_id)))
    try:
        scheduler_mod.sweep()  # taking leadership: a full pass
        assert len(ran) == 5
        for minute in range(31, 40):  # 08:31 … 08:39: nothing is due
            ran.clear()
            clock.set(datetime(2026, 11, 23, 8, minute, tzinfo=BERLIN))
            scheduler_mod.sweep()
            assert ran == []
        ran.clear()
        clock.set(datetime(2026, 11, 23, 9, 0, 20, tzinfo=BERLIN))  # only T0 opens at 09:00
        scheduler_mod.sweep()
        assert ran == [bots[0].team_id()]
        ran.clear()
        clock.set(datetime(2026, 11, 23, 9, 1, 20, tzinfo=BERLIN))
        scheduler_mod.sweep()
        assert ran == []
        ran.clear()
        clock.set(datetime(2026, 11, 23, 9, 30, 5, tzinfo=BERLIN))  # an hour after the last full pass
        scheduler_mod.sweep()
        assert sorted(ran) == sorted(b.team_id() for b in bots)
    finally:
        sched.shutdown()


def test_a_null_next_due_at_is_recomputed_by_the_next_sweep(leader):
    bot, _ = leader
    sweep_at(bot, datetime(2026, 11, 23, 8, 1, tzinfo=BERLIN))
    with bot.db.transaction() as s:
        s.execute(update(Team).values(next_due_at=None))
    sweep_at(bot, datetime(2026, 11, 23, 8, 2, tzinfo=BERLIN))
    assert next_due_at(bot) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_a_stored_next_due_at_later_than_the_truth_is_mended_by_the_hourly_pass(leader):
    """What no rule foresaw (a hand-edited row): the hourly full pass recomputes every team."""
    bot, _ = leader
    sweep_at(bot, datetime(2026, 11, 23, 7, 0, tzinfo=BERLIN))
    with bot.db.transaction() as s:
        s.execute(update(Team).values(next_due_at=datetime(2026, 12, 1, tzinfo=UTC)))
    sweep_at(bot, datetime(2026, 11, 23, 8, 0, 30, tzinfo=BERLIN))
    assert next_due_at(bot) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    sweep_at(bot, datetime(2026, 11, 23, 9, 0, 30, tzinfo=BERLIN))
    assert len(prompts(bot)) == 1


def test_next_due_at_across_the_spring_dst_change_is_the_right_instant(db, library):
    """Friday 27 March 2026 in Berlin, before the clocks go forward on Sunday: Monday's 09:00 is 07:00 UTC."""
    bot = TeamBot(db, ManualClock(datetime(2026, 3, 23, 8, 0, tzinfo=BERLIN)), library)
    bot.setup()
    bot.clock.set(datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN))  # Saturday, after Friday's round closed
    bot.tick()
    assert next_due_at(bot) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_next_due_at_across_the_autumn_dst_change_in_new_york(db, library):
    """Sunday 1 November 2026, 01:30 happens twice in New York: a team practising daily at 01:30 is
    due at the first of them (05:30 UTC), and the next day at 06:30 UTC."""
    ny = ZoneInfo("America/New_York")
    bot = TeamBot(db, ManualClock(datetime(2026, 10, 30, 12, 0, tzinfo=ny)), library, tz="America/New_York")
    bot.setup(time="01:30", tz="America/New_York", days="mon-sun")
    bot.clock.set(datetime(2026, 11, 1, 0, 45, tzinfo=ny))  # Saturday's round has closed
    bot.tick()
    assert next_due_at(bot) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    bot.clock.set(datetime(2026, 11, 1, 5, 30, 10, tzinfo=UTC))
    bot.tick()
    with db.session() as s:
        team = s.exec(select(Team)).one()
    steps_after = next_due_at(bot)
    assert steps_after == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # the first nudge, 30 minutes after 05:30 UTC
    assert team.timezone == "America/New_York"


def _count_queries(db):
    seen = {"n": 0}

    def count(*_a):
        seen["n"] += 1
    event.listen(db.engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", count)


def test_running_a_team_asks_the_database_a_handful_of_times_not_once_per_step(leader):
    """The scheduler's job for one team (its due steps, then its next due time) reads the team's
    recorded steps of the look-back window in one query and the last opened round once, not once
    per step key and per date: a quiet minute costs a handful of queries."""
    bot, sched = leader
    bot.advance(days=2, hours=2)  # Wednesday 10:00: Monday's and Tuesday's rounds ran, today's is open
    sched.leader.is_leader = True
    seen, stop = _count_queries(bot.db)
    try:
        scheduler_mod.run_team(bot.team_id())
    finally:
        stop()
    assert seen["n"] <= 15, seen["n"]


def test_migration_0008_adds_next_due_at_keeps_teams_and_downgrades(db):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    from bot.store.db import MIGRATIONS
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection_engine"] = db.engine
    command.downgrade(cfg, "0007_families")
    with db.engine.connect() as conn:
        assert "next_due_at" not in {c["name"] for c in inspect(conn).get_columns("teams")}
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (platform, workspace_id, name, channel_id, practice_time, timezone, weekdays,"
                          " skip_dates, paused, reveal, pass_bar, packs, families, nudge_minutes, reminder_minutes,"
                          " answer_minutes, vote_minutes, grace_minutes, digest_weekday, digest_time, min_votes, reviewers,"
                          " created_at) VALUES ('slack', 'T1', 'Old', 'C1', '09:00', 'UTC', 'mon', '[]', false, 'deadline',"
                          " 4.3, '[]', '[]', '[]', 360, 480, 1380, 120, 4, '16:00', 2, 2, '2026-01-01 00:00:00')"))
    command.upgrade(cfg, "head")
    with db.engine.connect() as conn:
        assert "ix_teams_next_due_at" in {i["name"] for i in inspect(conn).get_indexes("teams")}
        assert "ix_round_steps_team_id_due_at" in {i["name"] for i in inspect(conn).get_indexes("round_steps")}
    with db.session() as s:
        team = s.exec(select(Team)).one()
        assert team.name == "Old" and team.next_due_at is None  # unknown: the first sweep computes it
    from bot import due
    practice = Practice(db, ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC)), None)
    assert practice.with_ctx(lambda ctx: due.due_team_ids(ctx, ctx.now())) == [team.id]
