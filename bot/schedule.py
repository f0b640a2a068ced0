"""When a practice day opens: the calendar rule, and what a schedule change does.

The rule a team can rely on: a round, once announced, finishes on the times it was announced
with (its deadlines and step times are stored on it); a change of time, timezone or days applies
from the next practice day; and no local date of the team's calendar gets two prompts or none.

Two facts make that hold across a timezone change, in either direction. A date opens only if it
comes after the date (on the *current* calendar) on which the last round was announced — so
moving east cannot post a second prompt the same day. And steps that fell due before the change
are not run late — so moving west cannot re-open yesterday. When a change would skip a day whose
prompt was still to come (09:00 moved to 06:00 at 08:00), that day's prompt is held at the time
it was announced (`Team.held_open_at`) and the new time starts the day after.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import select

from bot import rounds
from bot.context import Ctx, UserError
from bot.localtime import as_utc, local_date, parse_date
from bot.store.models import Round, Team
from bot.teams import audit, is_practice_day, today, when, zone


@dataclass(frozen=True)
class Step:
    key: str
    name: str
    due: datetime
    day: date | None = None


class Announced:
    """What deciding which dates open reads from the database — the last round announced, and the
    local dates the team's rounds carry from `since` on — read once per plan (two queries), not
    once per date: the scheduler asks about nine dates for every team it runs."""

    def __init__(self, ctx: Ctx, team: Team, since: date):
        self.ctx, self.team, self.since = ctx, team, since
        self.last = rounds.last_opened(ctx, team)
        self._dates: set[date] | None = None

    def taken(self, day: date) -> bool:
        """A round carries local date `day` (after a timezone change, one announced in the old zone)."""
        if self.last is None:
            return False
        if day >= self.since:
            if self._dates is None:
                self._dates = set(self.ctx.session.exec(select(Round.local_date).where(
                    Round.team_id == self.team.id, Round.local_date >= self.since)))
            return day in self._dates
        return self.ctx.session.exec(
            select(Round.id).where(Round.team_id == self.team.id, Round.local_date == day)).first() is not None


def open_step(ctx: Ctx, team: Team, day: date, known: Announced | None = None) -> Step | None:
    """The opening of local date `day` under the current settings, or None if that date doesn't open:
    not a practice day, due before the team existed or before the last schedule change, or a round
    was already announced on that date or later (on the current calendar). `known` is the rounds
    as read for a plan of several dates (read here when not given)."""
    if not is_practice_day(team, day):
        return None
    if team.held_open_date == day and team.held_open_at is not None:
        due = as_utc(team.held_open_at)
    else:
        due = rounds.timeline(team, day)[0]
        if team.schedule_changed_at is not None and due < as_utc(team.schedule_changed_at):
            return None
    if due < as_utc(team.created_at):
        return None
    known = known or Announced(ctx, team, day)
    last = known.last
    if last is not None and rounds.calendar_date(team, last) >= day:
        return None
    # After a timezone change an earlier round can carry this date as announced in the old zone;
    # its open step is recorded under the plain key, so this opening gets its own.
    taken = known.taken(day)
    return Step(f"{day}:open@{team.timezone}" if taken else f"{day}:open", "open", due, day)


def next_opening(ctx: Ctx, team: Team, horizon_days: int = 8) -> Step | None:
    """The next opening due after now under the current settings."""
    now, start = ctx.now(), today(ctx, team)
    known = Announced(ctx, team, start - timedelta(days=1))
    for i in range(-1, horizon_days):
        step = open_step(ctx, team, start + timedelta(days=i), known)
        if step is not None and step.due > now:
            return step
    return None


def projected_steps(team: Team, opening: Step) -> list[Step]:
    """The nudges and reminder a round opening at `opening` will have (for `status` and the scheduler)."""
    return [Step(f"{opening.day}:{name}", name, at, opening.day)
            for name, at in rounds.planned_steps(team, opening.due).items() if name != "open"]


def round_steps(team: Team, rnd: Round) -> list[Step]:
    """A round's own nudges and reminder, at the instants it was announced with, in time order."""
    return sorted((Step(f"{rnd.local_date}#{rnd.id}:{name}", name, at, rnd.local_date)
                   for name, at in rounds.step_times(team, rnd).items() if name != "open"), key=lambda s: s.due)


def change(ctx: Ctx, team: Team, apply: Callable[[], str]) -> str:
    """Apply a change of time, timezone or practice days (`apply` returns its reply) so it takes
    effect from the next practice day; say so when today's prompt keeps its announced time."""
    def shape() -> tuple:
        return team.practice_time, team.timezone, team.weekdays, tuple(team.skip_dates or ())

    now, old_shape = ctx.now(), shape()
    before = next_opening(ctx, team)
    reply = apply()
    if shape() == old_shape:
        return reply
    team.schedule_changed_at, team.held_open_at, team.held_open_date = now, None, None
    after = next_opening(ctx, team)
    if before is None or team.paused:
        return reply
    day = local_date(before.due, zone(team))  # the still-to-come opening, on the new calendar
    if open_step(ctx, team, day) is None and (after is None or after.day > day):
        team.held_open_at, team.held_open_date = before.due, day
        if open_step(ctx, team, day) is not None:
            return (f"{reply} The case of {day:%A %d %B} still goes out at {when(before.due, team)}, as announced; "
                    "the new schedule starts the practice day after.")
        team.held_open_at, team.held_open_date = None, None
    return reply


def _date_arg(usage: str, args: tuple[str, ...]) -> date:
    if not args:
        raise UserError(usage)
    try:
        return parse_date(args[0])
    except ValueError as exc:
        raise UserError(str(exc)) from None


def skip(ctx: Ctx, team: Team, actor: str, args: tuple[str, ...]) -> str:
    """`skip YYYY-MM-DD`: no practice that day. Refused once that day's case is out: its members
    may already have answered, and a skip that leaves a round running would stop its nudges silently."""
    day = _date_arg("Usage: skip YYYY-MM-DD — e.g. skip 2026-12-24", args)
    if day < today(ctx, team):
        raise UserError(f"{day.isoformat()} is already past; pick today or a later date.")
    rnd = rounds.for_date(ctx, team, day)
    if rnd is not None:
        raise UserError(f"The case of {day:%A %d %B} is already out (answers close {when(rnd.answer_deadline, team)}), "
                        "so that day can't be skipped any more — pause stops the prompts after it.")
    team.skip_dates = sorted(set(team.skip_dates or []) | {day.isoformat()})
    audit(ctx, team, actor, "skip", day.isoformat())
    return f"No practice on {day:%A %d %B %Y}; streaks won't break that day. Undo with: unskip {day.isoformat()}"


def unskip(ctx: Ctx, team: Team, actor: str, args: tuple[str, ...]) -> str:
    """`unskip YYYY-MM-DD`: practice again on a day that was skipped."""
    day = _date_arg("Usage: unskip YYYY-MM-DD — e.g. unskip 2026-12-24", args)
    if day.isoformat() not in (team.skip_dates or []):
        raise UserError(f"{day:%A %d %B %Y} isn't a skipped day, so there's nothing to undo.")
    team.skip_dates = [d for d in team.skip_dates if d != day.isoformat()]
    audit(ctx, team, actor, "unskip", day.isoformat())
    nxt = next_opening(ctx, team) if not team.paused else None
    then = f" The next case goes out {when(nxt.due, team)}." if nxt else ""
    return f"Practice is back on for {day:%A %d %B %Y}.{then}"
