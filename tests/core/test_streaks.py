"""Streaks on the team's local calendar: weekends, skip dates, timezone day boundaries, DST."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.store.models import Team
from bot.streaks import compute
from tests.conftest import TeamBot


def team(**kw) -> Team:
    return Team(platform="test", workspace_id="T", created_at=datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")), **kw)


def days(*isos: str) -> set[date]:
    return {date.fromisoformat(d) for d in isos}


def test_weekend_does_not_break_a_mon_fri_streak():
    # Thu 19, Fri 20, (weekend), Mon 23 Nov 2026
    info = compute(team(), days("2026-11-19", "2026-11-20", "2026-11-23"), date(2026, 11, 23))
    assert info.current == 3 and info.longest == 3


def test_a_missed_weekday_breaks_it_and_longest_is_kept():
    info = compute(team(), days("2026-11-16", "2026-11-17", "2026-11-18", "2026-11-20"), date(2026, 11, 20))
    assert info.current == 1 and info.longest == 3


def test_skip_dates_do_not_break_a_streak():
    t = team(skip_dates=["2026-12-24", "2026-12-25"])
    info = compute(t, days("2026-12-22", "2026-12-23", "2026-12-28"), date(2026, 12, 28))
    assert info.current == 3


def test_today_not_yet_practised_does_not_break_the_streak():
    info = compute(team(), days("2026-11-19", "2026-11-20"), date(2026, 11, 23))
    assert info.current == 2


def test_weekend_practice_counts_toward_the_streak():
    info = compute(team(), days("2026-11-20", "2026-11-21", "2026-11-23"), date(2026, 11, 23))
    assert info.current == 3


def test_custom_weekdays():
    t = team(weekdays="mon,wed,fri")
    info = compute(t, days("2026-11-16", "2026-11-18", "2026-11-20"), date(2026, 11, 20))
    assert info.current == 3


def test_practice_day_is_the_teams_local_date_across_a_timezone_boundary(db, library):
    # 23:30 UTC on Monday is already Tuesday in Tokyo: the drill counts for Tuesday there.
    clock = ManualClock(datetime(2026, 11, 23, 23, 30, tzinfo=ZoneInfo("UTC")))
    bot = TeamBot(db, clock, library, tz="Asia/Tokyo")
    bot.cmd("ada", "drill")
    for step in ("scope", "segment", "solve", "score"):
        bot.dm("ada", f"My {step} answer with enough words to count as a real step.")
    from sqlmodel import select

    from bot.store.models import PracticeDay
    with db.session() as s:
        assert s.exec(select(PracticeDay.local_date)).one() == date(2026, 11, 24)


def test_streak_through_a_dst_change_in_berlin(db, library):
    # Fri 23 Oct, Mon 26 Oct 2026 (clocks go back on Sun 25 Oct): drills at 09:00 local each day
    clock = ManualClock(datetime(2026, 10, 22, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    bot = TeamBot(db, clock, library, tz="Europe/Berlin")
    for d in (22, 23, 26):
        clock.set(datetime(2026, 10, d, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")))
        bot.cmd("ada", "drill")
        for step in ("scope", "segment", "solve", "score"):
            bot.dm("ada", f"My {step} answer with enough words to count as a real step.")
    assert "3-day streak" in bot.cmd("ada", "streak").plain()
    clock.advance(timedelta(days=2))  # Wednesday 28th, Tuesday missed
    assert "0-day streak" in bot.cmd("ada", "streak").plain()
    assert "Longest: 3 days" in bot.cmd("ada", "streak").plain()
