"""Streaks: consecutive practice days on the team's local calendar.

A practice day is answering the day's round or finishing a drill. Days that are not
practice days for the team (weekends by default, skip dates) neither break a streak
nor are needed for it; practising on one still counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.context import Ctx
from bot.store.models import Member, PracticeDay, Team
from bot.teams import is_practice_day, today

MILESTONES = (3, 7, 14, 30, 100)


@dataclass(frozen=True)
class StreakInfo:
    current: int
    longest: int
    days: int


def practice_dates(ctx: Ctx, team: Team, member: Member) -> set[date]:
    return set(ctx.session.exec(
        select(PracticeDay.local_date).where(PracticeDay.team_id == team.id, PracticeDay.member_id == member.id)
    ))


def compute(team: Team, dates: set[date], on: date) -> StreakInfo:
    """Current and longest streak as of local date `on`.

    Today not practised yet does not break the current streak: the day is not over.
    """
    if not dates:
        return StreakInfo(0, 0, 0)
    current = 0
    day = on
    if day not in dates:
        day -= timedelta(days=1)
    floor = min(dates)
    while day >= floor:
        if day in dates:
            current += 1
        elif is_practice_day(team, day):
            break
        day -= timedelta(days=1)
    longest = run = 0
    day, last = floor, max(dates)
    while day <= last:
        if day in dates:
            run += 1
            longest = max(longest, run)
        elif is_practice_day(team, day):
            run = 0
        day += timedelta(days=1)
    return StreakInfo(current, max(longest, current), len(dates))


def streak(ctx: Ctx, team: Team, member: Member) -> StreakInfo:
    return compute(team, practice_dates(ctx, team, member), today(ctx, team))


def record(ctx: Ctx, team: Team, member: Member, day: date, source: str) -> int | None:
    """Mark `day` practised; returns the milestone reached by it, if any (once per day)."""
    exists = ctx.session.exec(
        select(PracticeDay.id).where(PracticeDay.member_id == member.id, PracticeDay.local_date == day)
    ).first()
    if exists is not None:
        return None
    try:
        with ctx.session.begin_nested():
            ctx.session.add(PracticeDay(team_id=team.id, member_id=member.id, local_date=day, source=source))
    except IntegrityError:  # the same member in two tabs at once
        return None
    info = compute(team, practice_dates(ctx, team, member), day)
    return info.current if info.current in MILESTONES else None
