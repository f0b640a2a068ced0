"""The scheduled day with a fake clock: DST, odd offsets, weekdays, catch-up, restarts, two processes."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from bot.clock import ManualClock
from bot.store.models import OutboxRow, RoundStep
from tests.conftest import TeamBot



def prompts_posted(bot: TeamBot) -> list[datetime]:
    """When each day's prompt went out (the outbox row's creation time, UTC)."""
    with bot.db.session() as s:
        return [r.created_at for r in s.exec(select(OutboxRow).where(OutboxRow.round_id.is_not(None)).order_by(OutboxRow.id))]


def bot_at(db, library, start: datetime, tz: str, time: str = "09:00", days: str = "mon-sun") -> TeamBot:
    bot = TeamBot(db, ManualClock(start), library, tz=tz)
    bot.setup(time=time, tz=tz, days=days)
    return bot


@pytest.mark.parametrize("tz,day,utc_before,utc_on,utc_after", [
    # Europe/Berlin springs forward on 29 March 2026 and falls back on 25 October 2026
    ("Europe/Berlin", "2026-03-29", "08:00", "07:00", "07:00"),
    ("Europe/Berlin", "2026-10-25", "07:00", "08:00", "08:00"),
    # America/New_York: 8 March and 1 November 2026
    ("America/New_York", "2026-03-08", "14:00", "13:00", "13:00"),
    ("America/New_York", "2026-11-01", "13:00", "14:00", "14:00"),
    # Asia/Kolkata has no DST, +05:30
    ("Asia/Kolkata", "2026-03-29", "03:30", "03:30", "03:30"),
    # Pacific/Chatham: +13:45 until 5 April 2026, then +12:45; back to +13:45 on 27 September
    ("Pacific/Chatham", "2026-04-05", "19:15", "20:15", "20:15"),
    ("Pacific/Chatham", "2026-09-27", "20:15", "19:15", "19:15"),
])
def test_prompt_goes_out_at_local_practice_time_across_dst(db, library, tz, day, utc_before, utc_on, utc_after):
    zone = ZoneInfo(tz)
    d = datetime.fromisoformat(day).date()
    bot = bot_at(db, library, datetime.combine(d - timedelta(days=1), datetime.min.time(), zone), tz)
    bot.advance(days=3)
    posted = prompts_posted(bot)
    assert [p.astimezone(UTC).strftime("%H:%M") for p in posted] == [utc_before, utc_on, utc_after]
    assert all(p.astimezone(zone).strftime("%H:%M") == "09:00" for p in posted)


def test_practice_time_in_the_skipped_hour_runs_once_an_hour_later(db, library):
    zone = ZoneInfo("Europe/Berlin")
    bot = bot_at(db, library, datetime(2026, 3, 28, 12, 0, tzinfo=zone), "Europe/Berlin", time="02:30")
    bot.advance(days=2)
    posted = [p.astimezone(zone) for p in prompts_posted(bot)]
    assert [p.strftime("%d %H:%M") for p in posted] == ["29 03:30", "30 02:30"]


def test_practice_time_in_the_repeated_hour_runs_once(db, library):
    zone = ZoneInfo("Europe/Berlin")
    bot = bot_at(db, library, datetime(2026, 10, 24, 12, 0, tzinfo=zone), "Europe/Berlin", time="02:30")
    bot.advance(days=2)
    posted = [p.astimezone(zone) for p in prompts_posted(bot)]
    assert [p.strftime("%d %H:%M %Z") for p in posted] == ["25 02:30 CEST", "26 02:30 CET"]


def test_weekdays_skip_dates_and_pause(db, library):
    zone = ZoneInfo("Europe/Berlin")
    bot = bot_at(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=zone), "Europe/Berlin", days="mon,wed,fri")
    bot.cmd("admin", "skip 2026-11-25", admin=True)
    bot.advance(days=7, hours=2)  # Mon 23 08:00 .. Mon 30 10:00
    days = [p.astimezone(zone).strftime("%a %d") for p in prompts_posted(bot)]
    assert days == ["Mon 23", "Fri 27", "Mon 30"]
    bot.cmd("admin", "pause", admin=True)
    bot.advance(days=3)
    assert len(prompts_posted(bot)) == 3
    bot.cmd("admin", "resume", admin=True)
    bot.advance(days=2)  # Thu 3 Dec 10:00 -> Sat 5 Dec: Fri 4 Dec only
    assert [p.astimezone(zone).strftime("%a %d") for p in prompts_posted(bot)][3:] == ["Fri 04"]


def test_late_start_within_grace_posts_late_once_beyond_grace_records_missed(db, library):
    zone = ZoneInfo("Europe/Berlin")
    bot = bot_at(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=zone), "Europe/Berlin")
    bot.clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=zone))  # the process was down at 09:00
    bot.tick()
    bot.tick()
    assert len(prompts_posted(bot)) == 1
    bot.clock.set(datetime(2026, 11, 24, 13, 0, tzinfo=zone))  # down all Tuesday morning: 4 h late
    ran = dict(bot.tick())
    assert ran["2026-11-24:open"] == "missed"
    assert len(prompts_posted(bot)) == 1  # no prompt posted in the middle of the day
    with db.session() as s:
        note = s.exec(select(RoundStep.note).where(RoundStep.key == "2026-11-24:open")).one()
    assert "240 min late" in note


def test_restart_mid_day_posts_nothing_twice(db, library):
    zone = ZoneInfo("Europe/Berlin")
    bot = bot_at(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=zone), "Europe/Berlin")
    bot.advance(hours=4)  # prompt + 2 nudges
    first = len(bot.port.sent)
    again = TeamBot(db, bot.clock, library)  # a new process over the same database
    again.tick()
    assert again.port.sent == []
    again.advance(hours=10)
    titles = again.port.titles() + bot.port.titles()
    assert sum(t.startswith("Today's case") for t in titles) == 1
    assert sum(t.startswith("Step") for t in titles) == 4 and first == 4  # prompt + 3 nudges by 12:00


def test_two_schedulers_at_once_produce_one_post_per_step(db, library):
    zone = ZoneInfo("Europe/Berlin")
    a = bot_at(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=zone), "Europe/Berlin")
    b = TeamBot(db, a.clock, library)
    a.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=zone))
    barrier = threading.Barrier(2)
    errors = []

    def run(bot):
        barrier.wait()
        try:
            bot.practice.run_due(bot.team_id())
        except Exception as exc:  # the loser's transaction fails on the unique step key
            errors.append(type(exc).__name__)

    threads = [threading.Thread(target=run, args=(x,)) for x in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a.practice.run_due(a.team_id())
    b.practice.run_due(b.team_id())
    with db.session() as s:
        assert s.exec(select(func.count(OutboxRow.id))).one() == 1
        assert s.exec(select(func.count(RoundStep.id))).one() == 1


def test_schedule_show_lists_next_steps_in_local_time_and_utc(db, library):
    from bot.scheduler import show
    zone = ZoneInfo("Asia/Kolkata")
    bot = bot_at(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=zone), "Asia/Kolkata", days="mon-fri")
    text = show(bot.practice)
    assert "Team 1 — test/T1 #practice Asia/Kolkata" in text
    assert "open             Mon 23 Nov 09:00 IST" in text and "2026-11-23 03:30 UTC" in text
    assert show(bot.practice, team="nope") == "No team 'nope'."


def test_scheduler_jobs_follow_settings_changes(db, library):
    from bot.scheduler import Scheduler
    zone = ZoneInfo("Europe/Berlin")
    bot = bot_at(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=zone), "Europe/Berlin")
    sched = Scheduler(bot.practice)
    sched.aps.start(paused=True)
    try:
        sched.rebuild()
        job = sched.aps.get_job(f"team:{bot.team_id()}")
        assert job.next_run_time == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 09:00 Berlin
        bot.practice.on_team_change.append(sched.reschedule)
        bot.cmd("admin", "setup #practice 10:30 Europe/Berlin mon-fri", admin=True)
        job = sched.aps.get_job(f"team:{bot.team_id()}")
        assert job.next_run_time == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
        assert job.func.__module__ == "bot.scheduler" and job.args == (bot.team_id(),)
    finally:
        sched.aps.shutdown(wait=False)


def test_weekly_digest_once_with_participation_and_weakest_dimension(db, library):
    from bot.content import DIMENSIONS
    from bot.store.models import Answer, Round
    from tests.core.test_dialogue import GOOD
    zone = ZoneInfo("Europe/Berlin")
    bot = bot_at(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=zone), "Europe/Berlin", days="mon-fri")
    bot.advance(hours=2)
    with db.session() as s:
        rnd = s.exec(select(Round)).one()
    bot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    bot.submit("bo", "answer", GOOD, {"round_id": str(rnd.id)})
    bot.advance(hours=8)
    with db.session() as s:
        ada_answer = s.exec(select(Answer.id).order_by(Answer.id)).first()
    bot.submit("bo", "vote", {**{d: "4" for d in DIMENSIONS}, "communication": "2"}, {"answer_id": str(ada_answer)})
    bot.advance(days=4, hours=10)  # to Friday 18:00, past the 16:00 digest
    bot.tick()
    digests = [m["message"] for m in bot.port.sent if "the digest" in m["message"].title]
    assert len(digests) == 1
    text = digests[0].plain()
    assert "answers from 2 people" in text and "Communication: 2.00" in text
