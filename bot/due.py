"""Each team's next due time, kept in the database (`teams.next_due_at`), so the per-minute sweep
runs only the teams with work due — its cost follows the due work, not the number of teams.

The stored time is a hint with one rule that keeps it safe: it may be EARLIER than the truth
(the sweep then runs the team once for nothing and stores the right time), never later. NULL
means "unknown" (a new team, or every team just after the migration); the sweep runs those too.
The rule lives in two functions:

- `changed` is called, in the change's own transaction, by everything in the core that can make
  a step due earlier than the stored time — a settings change (setup, time, zone, days,
  pause/resume, skip/unskip, windows, grace, reviewers, families…), a restored team, a mock
  drill started or moved to its next stage, a member's `pairs on` (Monday's pairing, within its
  grace, now has work). It lowers the stored time to the change's own
  instant (due now) in the database, not in a process's memory: several processes share the
  database (the web pages, a second worker) and only the leader's scheduler runs steps, so the
  leader must learn of a change it did not make. It also sets `session.info["team_changed"]`,
  so the process that made the change reschedules the team's job once the change commits (a
  precise trigger; the database stays the truth).
- `store` is called in one place: after a team's due steps ran, in the same transaction
  (`Practice.run_team`). Only there is "the first step after now" the truth — elsewhere a step
  already due but not yet run (a nudge after a resume) would be missed. It writes only if the
  stored time is still the one the transaction read when it began: a change that committed
  meanwhile left its own instant there, which stays (the next sweep runs the team again). That
  compare-and-set takes no lock early, so it can't deadlock with a change that, like every use
  case, writes its member row first and the team row last.

Rounds opened, revealed and closed, and nudges recorded, all happen inside `run_due`, which
stores the new time in the same transaction. Time passing never makes a step earlier. What no
rule foresees (a hand-edited row, a restored backup, retention deleting a round) is caught by
the scheduler's hourly full pass, which runs every team.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import select

from bot.context import Ctx
from bot.store.models import Team


def changed(ctx: Ctx, team: Team) -> None:
    """Something that can make this team's next step due earlier happened in this transaction."""
    ctx.session.info["team_changed"] = team.id  # this process reschedules once the change commits
    ctx.session.execute(update(Team).where(Team.id == team.id).values(next_due_at=ctx.now())
                        .execution_options(synchronize_session=False))


def store(ctx: Ctx, team: Team, due: datetime | None, seen: datetime | None) -> None:
    """Keep the team's next due time, unless a change replaced `seen` (the time this transaction read)."""
    ctx.session.execute(update(Team).where(Team.id == team.id, Team.next_due_at.is_not_distinct_from(seen))
                        .values(next_due_at=due).execution_options(synchronize_session=False))


def due_team_ids(ctx: Ctx, now: datetime) -> list[int]:
    """Teams (not removed) whose next due time has come, or is unknown: the sweep's work."""
    q = select(Team.id).where(Team.removed_at.is_(None),
                              (Team.next_due_at.is_(None)) | (Team.next_due_at <= now))
    return list(ctx.session.exec(q.order_by(Team.id)))
