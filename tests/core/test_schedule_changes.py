"""Issue 14, items 4 and 5: changing the schedule mid-round, and nudges after a change or a resume.

The rule: an open round finishes on the times it was announced with; a change of time, timezone
or days applies from the next practice day; no local date gets two prompts or none; of a round's
nudges found due together only the latest is posted, the rest are recorded as skipped.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.practice import Practice
from bot.scheduler import Scheduler
from bot.store.models import OutboxRow, Round, RoundStep
from tests.conftest import TeamBot
from tests.core.test_dialogue import GOOD


def posts(bot: TeamBot, kind: str) -> list[tuple[datetime, str]]:
    """(when queued, title) of the prompts ('prompt') or staged nudges ('nudge') in the outbox."""
    with bot.db.session() as s:
        rows = s.exec(select(OutboxRow).order_by(OutboxRow.id)).all()
    return [(r.created_at.astimezone(UTC), r.payload["title"]) for r in rows if f":{kind}" in r.dedupe_key]


def start_bot(db, library, start: datetime, tz: str, time: str = "09:00", days: str = "mon-sun") -> TeamBot:
    bot = TeamBot(db, ManualClock(start), library, tz=tz)
    bot.setup(time=time, tz=tz, days=days)
    return bot


def restart(bot: TeamBot) -> TeamBot:
    """A fresh process over the same database and clock."""
    return TeamBot(bot.db, bot.clock, bot.library)


def rounds_of(bot: TeamBot) -> list[Round]:
    with bot.db.session() as s:
        return list(s.exec(select(Round).order_by(Round.opened_at)))


def prompt_dates(bot: TeamBot, tz: str) -> list[date]:
    return [at.astimezone(ZoneInfo(tz)).date() for at, _ in posts(bot, "prompt")]


def test_item4_timezone_change_mid_round_chatham_to_honolulu(db, library):
    chatham, honolulu = ZoneInfo("Pacific/Chatham"), ZoneInfo("Pacific/Honolulu")
    bot = start_bot(db, library, datetime(2026, 11, 24, 8, 0, tzinfo=chatham), "Pacific/Chatham")
    bot.advance(minutes=70)  # Tuesday 09:10 in Chatham: the round is open
    first = rounds_of(bot)[0]
    assert "Set up" in bot.setup(tz="Pacific/Honolulu").plain()
    bot = restart(bot)
    bot.tick()
    assert len(posts(bot, "prompt")) == 1  # no second "Today's case" for the previous date
    assert [r.phase for r in rounds_of(bot)] == ["answering"]
    assert "saved" in bot.submit("ada", "answer", GOOD, {"round_id": str(first.id)}).plain().lower()
    bot.advance(days=3)
    again = rounds_of(bot)[0]
    assert (again.answer_deadline, again.vote_deadline) == (first.answer_deadline, first.vote_deadline)
    with db.session() as s:  # it revealed and closed on the times it was announced with
        steps = {r.key.split(":", 1)[1]: r for r in s.exec(select(RoundStep)) if r.key.startswith(f"{first.local_date}#{first.id}:")}
    assert steps["reveal"].ran_at == first.answer_deadline and steps["results"].ran_at == first.vote_deadline
    # on Honolulu's calendar: Monday (the Chatham round, 09:15), then every day at 09:00, none twice, none left out
    dates = prompt_dates(bot, "Pacific/Honolulu")
    assert dates == [date(2026, 11, 23) + timedelta(days=i) for i in range(4)]
    assert [at.astimezone(honolulu).strftime("%H:%M") for at, _ in posts(bot, "prompt")][1:] == ["09:00"] * 3
    assert all(r.phase == "closed" for r in rounds_of(bot)[:-1])


@pytest.mark.parametrize("tz,start,change_at,new_time,new_tz,new_days", [
    # time moved earlier / later while the round is open
    ("Europe/Berlin", "2026-11-23 08:00", 70, "06:00", "Europe/Berlin", "mon-sun"),
    ("Europe/Berlin", "2026-11-23 08:00", 70, "11:00", "Europe/Berlin", "mon-sun"),
    # ... and before today's prompt is out
    ("Europe/Berlin", "2026-11-23 08:00", 0, "06:00", "Europe/Berlin", "mon-sun"),
    ("Europe/Berlin", "2026-11-23 08:00", 0, "10:00", "Europe/Berlin", "mon-sun"),
    # timezone west and east, mid-round and before the prompt
    ("Pacific/Honolulu", "2026-11-23 08:00", 70, "09:00", "Pacific/Chatham", "mon-sun"),
    ("Asia/Tokyo", "2026-11-23 08:00", 70, "09:00", "America/New_York", "mon-sun"),
    ("America/New_York", "2026-11-23 08:00", 0, "09:00", "Asia/Tokyo", "mon-sun"),
    ("Asia/Tokyo", "2026-11-23 08:00", 0, "09:00", "America/Los_Angeles", "mon-sun"),
    # across a DST change (Berlin falls back on 25 Oct, New York on 1 Nov; Chatham springs on 27 Sep)
    ("Europe/Berlin", "2026-10-24 08:00", 70, "07:30", "America/New_York", "mon-sun"),
    ("Pacific/Chatham", "2026-09-26 08:00", 70, "09:00", "Pacific/Honolulu", "mon-sun"),
])
def test_item4_a_schedule_change_applies_from_the_next_practice_day(db, library, tz, start, change_at, new_time,
                                                                    new_tz, new_days):
    bot = start_bot(db, library, datetime.fromisoformat(start).replace(tzinfo=ZoneInfo(tz)), tz)
    bot.advance(minutes=change_at)
    before = {r.id: (r.answer_deadline, r.vote_deadline, r.step_times) for r in rounds_of(bot)}
    changed = bot.clock.now()
    bot.setup(time=new_time, tz=new_tz, days=new_days)
    bot = restart(bot)
    bot.advance(days=4)
    after = {r.id: (r.answer_deadline, r.vote_deadline, r.step_times) for r in rounds_of(bot)}
    assert all(after[i] == v for i, v in before.items())  # an announced round keeps its times
    # one prompt per date of the new calendar, none left out (except a date whose time had passed)
    dates = prompt_dates(bot, new_tz)
    assert len(set(dates)) == len(dates)
    assert all((b - a).days == 1 for a, b in zip(dates, dates[1:])), dates
    new_zone = ZoneInfo(new_tz)
    later = [at for at, _ in posts(bot, "prompt") if at > changed + timedelta(days=1)]
    assert later and all(at.astimezone(new_zone).strftime("%H:%M") == new_time for at in later)
    assert sum(r.phase == "answering" for r in rounds_of(bot)) <= 1


def test_item4_time_moved_to_a_past_hour_keeps_todays_prompt_at_the_announced_time(db, library):
    berlin = ZoneInfo("Europe/Berlin")
    bot = start_bot(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=berlin), "Europe/Berlin")
    reply = bot.setup(time="06:00").plain()
    assert "still goes out at Mon 23 Nov 09:00" in reply
    bot = restart(bot)
    bot.advance(days=2)
    assert [at.astimezone(berlin).strftime("%a %H:%M") for at, _ in posts(bot, "prompt")] == [
        "Mon 09:00", "Tue 06:00", "Wed 06:00"]


def test_item4_days_changed_mid_round(db, library):
    berlin = ZoneInfo("Europe/Berlin")
    bot = start_bot(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=berlin), "Europe/Berlin", days="mon-fri")
    bot.advance(minutes=70)
    bot.setup(days="tue,thu")
    bot.advance(days=4)
    assert [at.astimezone(berlin).strftime("%a") for at, _ in posts(bot, "prompt")] == ["Mon", "Tue", "Thu"]
    assert len(posts(bot, "nudge")) == 12  # Monday's round kept its four steps


def test_item4_a_fresh_scheduler_plans_no_second_prompt(db, library):
    chatham = ZoneInfo("Pacific/Chatham")
    bot = start_bot(db, library, datetime(2026, 11, 24, 8, 0, tzinfo=chatham), "Pacific/Chatham")
    bot.advance(minutes=70)
    bot.setup(tz="Pacific/Honolulu")
    sched = Scheduler(Practice(db, bot.clock, library))
    # the next step is the running round's own first nudge, at 09:30 Chatham time as announced
    assert sched.next_due(bot.team_id()) == datetime(2026, 11, 24, 9, 30, tzinfo=chatham)


def test_item5_moving_the_time_mid_round_does_not_burst_nudges(db, library):
    berlin = ZoneInfo("Europe/Berlin")
    bot = start_bot(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=berlin), "Europe/Berlin")
    bot.advance(minutes=70)  # 09:10
    bot.setup(time="06:00")
    bot.advance(hours=5)  # 14:10
    assert [(at.astimezone(berlin).strftime("%H:%M"), t) for at, t in posts(bot, "nudge")] == [
        ("09:30", "Step 1 of 4 — Scope"), ("10:30", "Step 2 of 4 — Segment"),
        ("12:00", "Step 3 of 4 — Solve"), ("13:30", "Step 4 of 4 — Score")]


def test_item5_resume_posts_only_the_latest_due_nudge_and_a_restart_posts_no_more(db, library):
    berlin = ZoneInfo("Europe/Berlin")
    bot = start_bot(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=berlin), "Europe/Berlin")
    bot.advance(minutes=65)  # 09:05: the prompt is out
    bot.cmd("admin", "pause", admin=True)
    bot.advance(hours=4, minutes=55)  # 14:00
    assert posts(bot, "nudge") == []
    bot.cmd("admin", "resume", admin=True)
    bot.tick()
    assert [t for _, t in posts(bot, "nudge")] == ["Step 4 of 4 — Score"]
    with db.session() as s:
        skipped = [r.key.rsplit(":", 1)[1] for r in s.exec(select(RoundStep).where(RoundStep.status == "skipped"))]
    assert skipped == ["scope", "segment", "solve"]
    again = restart(bot)
    again.tick()
    again.advance(hours=2)
    assert [t for _, t in posts(again, "nudge")] == ["Step 4 of 4 — Score"]


def test_item5_a_late_start_posts_only_the_latest_due_nudge(db, library):
    berlin = ZoneInfo("Europe/Berlin")
    bot = start_bot(db, library, datetime(2026, 11, 23, 8, 0, tzinfo=berlin), "Europe/Berlin")
    bot.advance(minutes=65)
    bot.clock.set(datetime(2026, 11, 23, 11, 0, tzinfo=berlin))  # the process was down 09:05..11:00
    bot.tick()
    assert [t for _, t in posts(bot, "nudge")] == ["Step 2 of 4 — Segment"]


def test_skip_after_a_zone_change_reads_dates_on_the_new_calendar(db, library):
    """Found by the simulated year (seed 1, 50 teams, day 47): after a zone change a running round's
    label (the date it was announced for) and its date on the team's new calendar differ. Skip reads
    the new calendar, as every schedule rule does: the day whose case is out can't be skipped, the
    label's date can — it is the new calendar's next day, whose own prompt then doesn't go out."""
    bot = start_bot(db, library, datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Pacific/Chatham")), "Pacific/Chatham")
    bot.advance(minutes=70)  # Tuesday 24 09:10 in Chatham: the round labelled 24 Nov is open
    first = rounds_of(bot)[0]
    bot.setup(tz="Pacific/Honolulu")  # now Monday 23 Nov in Honolulu: the round was announced today
    refused = bot.cmd("admin", "skip 2026-11-23", admin=True).plain()
    assert "already out" in refused
    assert "No practice on Tuesday 24 November" in bot.cmd("admin", "skip 2026-11-24", admin=True).plain()
    bot.advance(days=2, hours=1)
    assert prompt_dates(bot, "Pacific/Honolulu") == [date(2026, 11, 23), date(2026, 11, 25)]
    with db.session() as s:
        assert s.get(Round, first.id).phase == "closed"  # it ran its course on the times it was announced with
