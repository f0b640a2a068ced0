"""APScheduler wiring. The database is the source of truth; the scheduler holds no state.

Each team's next due time is stored in the database (`teams.next_due_at`, see bot/due.py). The
leader's sweep, every minute, runs only the teams whose time has come or is unknown (a change
in any process clears it), so its cost follows the work due that minute, not the number of
teams. Once an hour — and on taking leadership — it runs every team: the safety net for what
no rule foresaw, and the time for housekeeping. A date job per team (`run_team`) fires at the
team's next due step for precision within the minute. Job functions are module-level and take ids.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from bot import day, due
from bot.context import Ctx
from bot.leader import Leader
from bot.practice import Practice
from bot.store.models import Team
from bot.teams import when

log = logging.getLogger(__name__)

_runtime: Scheduler | None = None
SWEEP_SECONDS = 60
FULL_PASS = timedelta(hours=1)


def run_team(team_id: int) -> None:
    """The job: run a team's due steps, store its next due time and point its job there."""
    sched = _runtime
    if sched is None or not sched.leader.is_leader:
        return
    try:
        ran, at = sched.practice.run_team(team_id)
    except Exception as exc:
        # rolled back: the stored time is still due, so the next sweep (a minute away) retries
        if _outage(exc):
            log.warning("team %s: the database went away mid-job (%s); the sweep will retry", team_id,
                        type(exc).__name__)
        else:
            log.exception("team %s: running due steps failed; the sweep will retry", team_id)
        return
    for key, status in ran:
        log.info("team %s: %s %s", team_id, key, status)
    sched.point_job(team_id, at)


def _outage(exc: Exception) -> bool:
    from sqlalchemy.exc import OperationalError
    return isinstance(exc, OperationalError)


def sweep() -> None:
    """Every minute: keep or take leadership, and (as leader) run the teams with work due; every
    hour and on taking leadership, every team and the housekeeping."""
    sched = _runtime
    if sched is None:
        return
    was = sched.leader.is_leader
    if not sched.leader.check():
        return
    now = sched.practice.clock.now()
    full = not was or sched.last_full_pass is None or now - sched.last_full_pass >= sched.full_pass
    try:
        team_ids = sched.team_ids() if full else sched.due_team_ids()
    except Exception as exc:
        log.warning("the sweep could not read the teams due (%s); the next sweep retries", type(exc).__name__)
        return
    for team_id in team_ids:
        run_team(team_id)
    if not full:
        return
    sched.last_full_pass = now
    try:
        sched.practice.housekeeping()
    except Exception:
        log.exception("retention and purge failed; the next full pass retries")


class Scheduler:
    def __init__(self, practice: Practice, leader: Leader | None = None, full_pass: timedelta = FULL_PASS):
        self.practice = practice
        self.full_pass = full_pass  # how often the sweep runs every team (the safety net)
        self.leader = leader or Leader(practice.db, practice.clock)
        self.aps = BackgroundScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self.last_full_pass: datetime | None = None  # this process's last pass over every team

    def team_ids(self) -> list[int]:
        return self.practice.with_ctx(day.team_ids_with_schedules)

    def due_team_ids(self) -> list[int]:
        """The teams whose stored next due time has come, or is unknown (one indexed query)."""
        return self.practice.with_ctx(lambda ctx: due.due_team_ids(ctx, ctx.now()))

    def next_due(self, team_id: int) -> datetime | None:
        """The team's next step after now (computed only: `run_team` stores the sweep's time)."""
        return self.practice.next_due(team_id)

    def reschedule(self, team_id: int) -> None:
        """Point the team's job at its next step (on every settings change in this process). The stored
        time keeps the change's "due now" mark, so the next sweep also runs the team: a step the
        change made due at once (a nudge after a resume) runs then."""
        self.point_job(team_id, self.next_due(team_id))

    def point_job(self, team_id: int, at: datetime | None) -> None:
        job_id = f"team:{team_id}"
        if at is None:
            if self.aps.get_job(job_id):
                self.aps.remove_job(job_id)
            return
        self.aps.add_job(run_team, "date", run_date=at, args=[team_id], id=job_id, replace_existing=True)

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
