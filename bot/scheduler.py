"""APScheduler wiring. The database is the source of truth; the scheduler holds no state.

On start it rebuilds one date job per team from the team's settings: the job fires at
the team's next due step and calls `run_team(team_id)`, which runs every due step and
schedules the next. A sweep every minute re-checks leadership and catches anything a
sleeping laptop or a clock jump skipped. Job functions are module-level and take ids.
"""
from __future__ import annotations

import logging
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler

from bot import day
from bot.context import Ctx
from bot.leader import Leader
from bot.practice import Practice
from bot.store.models import Team
from bot.teams import when

log = logging.getLogger(__name__)

_runtime: Scheduler | None = None
SWEEP_SECONDS = 60


def run_team(team_id: int) -> None:
    """The job: run a team's due steps, then schedule its next one."""
    sched = _runtime
    if sched is None or not sched.leader.is_leader:
        return
    try:
        for key, status in sched.practice.run_due(team_id):
            log.info("team %s: %s %s", team_id, key, status)
    except Exception:
        log.exception("team %s: running due steps failed; the sweep will retry", team_id)
    try:
        sched.reschedule(team_id)
    except Exception as exc:  # the database went away mid-job: the per-minute sweep reschedules every team
        log.warning("team %s: could not schedule its next step (%s); the sweep will", team_id, type(exc).__name__)


def sweep() -> None:
    """Every minute: keep or take leadership, and (as leader) run anything due for every team."""
    sched = _runtime
    if sched is None:
        return
    was = sched.leader.is_leader
    if not sched.leader.check():
        return
    if not was:
        sched.rebuild()
    for team_id in sched.team_ids():
        run_team(team_id)
    try:
        sched.practice.housekeeping()
    except Exception:
        log.exception("retention and purge failed; the next sweep retries")


class Scheduler:
    def __init__(self, practice: Practice, leader: Leader | None = None):
        self.practice = practice
        self.leader = leader or Leader(practice.db, practice.clock)
        self.aps = BackgroundScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    def team_ids(self) -> list[int]:
        return self.practice.with_ctx(day.team_ids_with_schedules)

    def next_due(self, team_id: int):
        def nxt(ctx: Ctx):
            team = ctx.session.get(Team, team_id)
            steps = day.upcoming(ctx, team) if team is not None and team.removed_at is None else []
            return steps[0].due if steps else None
        return self.practice.with_ctx(nxt)

    def reschedule(self, team_id: int) -> None:
        """Point the team's job at its next due step (called at start and on every settings change)."""
        due = self.next_due(team_id)
        job_id = f"team:{team_id}"
        if due is None:
            if self.aps.get_job(job_id):
                self.aps.remove_job(job_id)
            return
        self.aps.add_job(run_team, "date", run_date=due, args=[team_id], id=job_id, replace_existing=True)

    def rebuild(self) -> None:
        for team_id in self.team_ids():
            self.reschedule(team_id)

    def start(self) -> None:
        global _runtime
        _runtime = self
        self.practice.on_team_change.append(self.reschedule)
        self.aps.start()
        self.aps.add_job(sweep, "interval", seconds=SWEEP_SECONDS, id="sweep", replace_existing=True,
                         next_run_time=self.practice.clock.now())

    def shutdown(self) -> None:
        global _runtime
        self.aps.shutdown(wait=False)
        self.leader.release()
        if _runtime is self:
            _runtime = None


def show(practice: Practice, team: str | None = None) -> str:
    """`sensebot schedule show`: each team's next steps in its local time and in UTC."""
    def render(ctx: Ctx) -> str:
        from sqlmodel import select
        q = select(Team).where(Team.removed_at.is_(None)).order_by(Team.id)
        teams = [t for t in ctx.session.exec(q) if team is None or str(t.id) == team or t.workspace_id == team]
        if not teams:
            return "No teams yet." if team is None else f"No team '{team}'."
        out = []
        for t in teams:
            state = " (paused)" if t.paused else "" if t.channel_id else " (not set up)"
            out.append(f"Team {t.id} — {t.platform}/{t.workspace_id} #{t.channel_id or '-'} {t.timezone}{state}")
            for s in day.upcoming(ctx, t)[:10]:
                out.append(f"  {s.name:<16} {when(s.due, t):<24} {s.due:%Y-%m-%d %H:%M} UTC")
        return "\n".join(out)
    return practice.with_ctx(render)
