"""Leaderboards for this week, this month and all time: by streak and by average weighted score.

Score boards only rank members whose answers in the period gathered at least the team's
minimum number of votes, by calibrated score (raters' leniency taken out, see
`bot.calibration`); members who opted out never appear.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import func, select

from bot import calibration
from bot.content import DIMENSIONS, Rubric
from bot.context import Ctx, UserError
from bot.messages import plural
from bot.rubric import weighted
from bot.store.models import Answer, Member, PracticeDay, Round, Team, Vote
from bot.streaks import compute as compute_streak
from bot.teams import today

PERIODS = ("week", "month", "all")


@dataclass(frozen=True)
class Row:
    member_id: int
    name: str
    value: float
    detail: str


def period_start(period: str, on: date) -> date | None:
    if period == "week":
        return on - timedelta(days=on.weekday())
    if period == "month":
        return on.replace(day=1)
    if period == "all":
        return None
    raise UserError(f"Leaderboard period '{period}' is unknown — use week, month or all.")


def by_score(ctx: Ctx, team: Team, rubric: Rubric, period: str, limit: int = 10) -> list[Row]:
    start = period_start(period, today(ctx, team))
    rounds = select(Round.id).where(Round.team_id == team.id)
    if start is not None:
        rounds = rounds.where(Round.local_date >= start)
    cols = [func.avg(getattr(Vote, d)) for d in DIMENSIONS]
    # Aggregate this team's votes on answers of the period's rounds; names and opt-outs are
    # applied afterwards from the (small) member list, which keeps the plan to two index scans.
    q = (select(Answer.member_id, func.count(Vote.id), *cols)
         .join(Vote, Vote.answer_id == Answer.id)
         .where(Answer.team_id == team.id, Vote.team_id == team.id, Answer.round_id.in_(rounds))
         .group_by(Answer.member_id))
    members = {m.id: m for m in ctx.session.exec(select(Member).where(Member.team_id == team.id))}
    ranked = [(member_id, n, avgs) for member_id, n, *avgs in ctx.session.exec(q)
              if member_id in members and not members[member_id].leaderboard_opt_out and n >= max(1, team.min_votes)]
    # Calibrated by the same rule as round results (calibration.adjust), from the stored leniency.
    lean = {m.id: m.leniency for m in members.values() if m.leniency}
    offsets: dict[int, list[float]] = {}
    if lean:
        pairs = (select(Answer.member_id, Vote.voter_id, func.count(Vote.id)).join(Vote, Vote.answer_id == Answer.id)
                 .where(Answer.team_id == team.id, Vote.team_id == team.id, Answer.round_id.in_(rounds))
                 .group_by(Answer.member_id, Vote.voter_id))
        for member_id, voter_id, n in ctx.session.exec(pairs):
            offsets.setdefault(member_id, []).extend([lean.get(voter_id, 0.0)] * n)
    rows = []
    for member_id, n, avgs in ranked:
        raw = weighted(dict(zip(DIMENSIONS, (float(a) for a in avgs), strict=False)), rubric)
        score = calibration.adjust(raw, offsets.get(member_id, ()))
        rows.append(Row(member_id, members[member_id].display_name, round(score, 2), f"{plural(n, 'vote')}, calibrated"))
    rows.sort(key=lambda r: (-r.value, r.name.casefold()))
    return rows[:limit]


def by_streak(ctx: Ctx, team: Team, period: str, limit: int = 10) -> list[Row]:
    on = today(ctx, team)
    start = period_start(period, on)
    members = list(ctx.session.exec(select(Member).where(Member.team_id == team.id, Member.leaderboard_opt_out == False)))
    days: dict[int, set[date]] = {}
    for member_id, d in ctx.session.exec(
        select(PracticeDay.member_id, PracticeDay.local_date).where(PracticeDay.team_id == team.id)
    ):
        days.setdefault(member_id, set()).add(d)
    rows = []
    for m in members:
        mine = days.get(m.id, set())
        if not mine:
            continue
        info = compute_streak(team, mine, on)
        in_period = sum(1 for d in mine if start is None or d >= start)
        if in_period == 0:
            continue
        value = info.current if period != "all" else info.longest
        if value == 0:
            continue  # a broken streak is not a place on the board
        label = "current streak" if period != "all" else "longest streak"
        rows.append(Row(m.id, m.display_name, value, f"{label} · {plural(in_period, 'practice day')}"))
    rows.sort(key=lambda r: (-r.value, r.name.casefold()))
    return rows[:limit]
