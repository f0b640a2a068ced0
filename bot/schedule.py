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

from bot import rounds
from bot.context import Ctx
from bot.localtime import as_utc, local_date
from bot.store.models import Team
from bot.teams import is_practice_day, today, when, zone


@dataclass(frozen=True)
class Step:
    key: str
    name: str
    due: datetime
    day: date | None = None


def open_step(ctx: Ctx, team: Team, day: date) -> Step | None:
    """The opening of local date `day` under the current settings, or None if that date doesn't open:
    not a practice day, due before the team existed or before the last schedule change, or a round
    was already announced on that date or later (on the current calendar)."""
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
    last = rounds.last_opened(ctx, team)
    if last is not None and rounds.calendar_date(team, last) >= day:
        return None
    # After a timezone change an earlier round can carry this date as announced in the old zone;
    # its open step is recorded under the plain key, so this opening gets its own.
    taken = last is not None and any(r.local_date == day for r in _recent(ctx, team, day))
    return Step(f"{day}:open@{team.timezone}" if taken else f"{day}:open", "open", due, day)


def _recent(ctx: Ctx, team: Team, day: date) -> list:
    from sqlmodel import select

    from bot.store.models import Round
    return list(ctx.session.exec(select(Round).where(Round.team_id == team.id, Round.local_date == day)))


def next_opening(ctx: Ctx, team: Team, horizon_days: int = 8) -> Step | None:
    """The next opening due after now under the current settings."""
    now, start = ctx.now(), today(ctx, team)
    for i in range(-1, horizon_days):
        step = open_step(ctx, team, start + timedelta(days=i))
        if step is not None and step.due > now:
            return step
    return None


def projected_steps(team: Team, opening: Step) -> list[Step]:
    """The nudges and reminder a round opening at `opening` will have (for `status` and the scheduler)."""
    return [Step(f"{opening.day}:{name}", name, at, opening.day)
            for name, at in rounds.planned_steps(team, opening.due).items() if name != "open"]


def round_steps(team: Team, rnd) -> list[Step]:
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
