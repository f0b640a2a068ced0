"""The simulated world: the real core, scheduler and outbox on one database, a hand-wound clock,
an event queue of what people and faults do, and the invariants checked after every step.

One step is one event taken off the queue: a member's or admin's input, a scheduler job or
sweep, an outbox drain, or a fault. After it the outbox is drained (as the dispatch loop would)
and the invariants touched by the step are checked; the first violation stops the run with
the seed, the step, the invariant and the last events, so `--until-step` replays it exactly.
"""
from __future__ import annotations

import heapq
import logging
import os
import shutil
import tempfile
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import func
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot import content
from bot import scheduler as scheduler_mod
from bot.clock import ManualClock
from bot.events import Action, Command, DirectMessage, FormSubmitted, ThreadReply, Who
from bot.leader import Leader
from bot.localtime import local_date, parse_timezone
from bot.messages import Message, Reply
from bot.practice import Practice
from bot.store.db import Database
from bot.store.models import Answer, Member, OutboxRow, Round, Team
from tests.sim import invariants as inv
from tests.sim.faults import Outage, RecordingPort, SimCrash, SimDispatcher, SimScheduler
from tests.sim.model import (
    ADDITION_TEXT,
    BEHAVIOURS,
    CHAT,
    DRILL_TEXT,
    FAULTS,
    SECTION_TEXT,
    SHORT_ANSWER,
    MemberModel,
    TeamModel,
    make_team,
    stream,
    token,
)

START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)  # a Monday; the year crosses every DST change
STEPS4 = ("scope", "segment", "solve", "score")
_LIBRARY = None


def library():
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = content.load()
    return _LIBRARY


@dataclass
class Config:
    seed: int = 1
    teams: int = 30
    days: int = 120
    faults: float = 0.05
    until_step: int | None = None
    db_url: str | None = None
    behaviours: frozenset[str] = frozenset(BEHAVIOURS)
    fault_kinds: frozenset[str] = frozenset(FAULTS)
    only_teams: tuple[int, ...] | None = None   # shrinking: keep these team indexes
    sweep_minutes: int = 10  # production sweeps every minute; the jobs are the precise trigger
    # Production runs every team once an hour as a safety net for a stored next due time that is
    # later than the truth. The model stretches it, so a change that forgets to clear the stored
    # time (bot/due.py) shows up as a late or missing prompt instead of being mended within the hour.
    full_pass_hours: int = 24
    quiet: bool = False


@dataclass
class Violation:
    seed: int
    step: int
    at: datetime
    invariant: str
    detail: str
    team: int | None
    last_events: list[str]

    def report(self) -> str:
        lines = [f"VIOLATION of {self.invariant} — seed {self.seed}, step {self.step}, {self.at:%F %T} UTC"
                 + (f", team {self.team}" if self.team is not None else ""), f"  {self.detail}", "  last events:"]
        lines += [f"    {e}" for e in self.last_events]
        return "\n".join(lines)


@dataclass
class Result:
    config: Config
    steps: int = 0
    stats: Counter = field(default_factory=Counter)
    faults: Counter = field(default_factory=Counter)
    violation: Violation | None = None
    db_bytes: int = 0
    seconds: float = 0.0
    sched_seconds: float = 0.0
    team_days: int = 0


class _Errors(logging.Handler):
    """Collects ERROR records of the core (a `log.exception` is something that raised)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class World:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.b = cfg.behaviours
        self.f = cfg.fault_kinds if cfg.faults > 0 else frozenset()
        self.clock = ManualClock(START)
        self.end = START + timedelta(days=cfg.days)
        self.tmpdir = None
        if cfg.db_url:
            self.url = cfg.db_url
        else:
            self.tmpdir = tempfile.mkdtemp(prefix="sensebot-sim-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
            self.url = f"sqlite:///{os.path.join(self.tmpdir, 'sim.db')}"
        idxs = cfg.only_teams if cfg.only_teams is not None else range(cfg.teams)
        self.teams: dict[int, TeamModel] = {i: make_team(cfg.seed, i) for i in idxs}
        self._members = {(t.idx, m.user_id): m for t in self.teams.values() for m in t.members}
        self._by_workspace = {t.workspace: t for t in self.teams.values()}
        self._by_team_id: dict[int, TeamModel] = {}  # filled as teams are set up
        self.rng = stream(cfg.seed, "world")
        self.frng = stream(cfg.seed, "faults")
        self.outage = Outage()
        # A crash is the process's fault, not the team's: beyond 30 teams the share of sends that
        # crash shrinks, so a run of hundreds of teams crashes about as often a day as one of 30
        # (each crash restarts the process, and the new leader runs every team).
        crash = cfg.faults * 0.02 * min(1.0, 30 / max(len(self.teams), 1)) if "crash_after_send" in self.f else 0.0
        self.port = RecordingPort(stream(cfg.seed, "platform"), cfg.faults if "delivery" in self.f else 0.0,
                                  crash, self._delivered)
        self.queue: list[tuple[datetime, int, str, object]] = []
        self.seq = 0
        self.step = 0
        self.gen = 0
        self.recent: deque[str] = deque(maxlen=25)
        self.stats: Counter = Counter()
        self.deliveries: Counter = Counter()
        self.inflight: set[int] = set()
        self.tokens: dict[str, dict] = {}
        self.expected: dict[int, dict] = {}
        self.by_member: dict[tuple[int, str], list[int]] = {}
        self.windows: list[tuple[datetime, datetime]] = []   # fault windows: sleep, outage
        self.asleep_until: datetime | None = None
        self.standby: SimScheduler | None = None
        self.drain_at: datetime | None = None
        self.violation: Violation | None = None
        self.sched_seconds = 0.0
        self.errors = _Errors()
        self.event_id = 0
        self._team_of_step: int | None = None
        self.ran_teams: set[int] = set()  # the teams the scheduler ran in this step
        self.outbox_dirty = True  # a row was queued (or something may be due) since the last drain

    # ------------------------------------------------------------------ plumbing

    def member(self, team_idx: int, user_id: str) -> MemberModel:
        return self._members[(team_idx, user_id)]

    def push(self, at: datetime, kind: str, payload: object = None) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (at, self.seq, kind, payload))

    def fail(self, invariant: str, details: list[str], team: int | None = None) -> None:
        if details and self.violation is None:
            self.violation = Violation(self.cfg.seed, self.step, self.clock.now(), invariant, details[0], team,
                                       list(self.recent))

    def check(self, invariant: str, details: list[str], team: int | None = None) -> None:
        self.stats["checks"] += 1
        self.fail(invariant, details, team)

    def stable(self, tm: TeamModel, since: datetime, lo: datetime, hi: datetime) -> bool:
        """No setting change of this team since `since`, and no injected fault window touching [lo, hi]."""
        if any(c >= since for c in tm.changes):
            return False
        return not any(a <= hi and b >= lo for a, b in self.windows)

    def build(self) -> None:
        """Start (or restart) the process: a fresh engine, core, dispatcher and scheduler."""
        self.gen += 1
        self.db = Database(self.url)
        self.outage.attach(self.db)
        self.practice = Practice(self.db, self.clock, library())
        self.dispatcher = SimDispatcher(self.db, self.clock, {"sim": self.port}, worker=f"w{self.gen}",
                                        rng=stream(self.cfg.seed, "dispatch", self.gen))
        self.sched = SimScheduler(self.practice, Leader(self.db, self.clock, holder=f"A{self.gen}"), f"A{self.gen}",
                                  self._job, timedelta(hours=self.cfg.full_pass_hours))
        self.practice.on_team_change.append(self._on_team_change)
        self.outbox_dirty = True
        _watch_runs(self.practice, self.ran_teams)
        self.push(self.clock.now(), "sweep", (self.sched.name, False))
        self.push(self.clock.now() + timedelta(seconds=100), "sweep", (self.sched.name, True))

    def _on_team_change(self, team_id: int) -> None:
        self.sched.activate()
        self.sched.reschedule(team_id)

    def _job(self, sched_name: str, job_id: str, when: datetime) -> None:
        latency = timedelta(0)
        if "job_latency" in self.f:
            r = self.frng.random()
            latency = timedelta(seconds=r * 90 if r < 0.97 else 90 + r * 600)
        self.push(max(when, self.clock.now()) + latency, "job", (sched_name, job_id, when))

    def schedulers(self) -> dict[str, SimScheduler]:
        out = {self.sched.name: self.sched}
        if getattr(self, "standby", None) is not None:
            out[self.standby.name] = self.standby
        return out

    def restart(self, why: str) -> None:
        self.stats["restarts"] += 1
        self.recent.append(f"    restart ({why})")
        old = self.sched
        conn = getattr(old.leader, "_conn", None)
        if conn is not None:  # the process died: its connection (and an advisory lock) goes with it
            try:
                conn.close()
            except Exception:
                pass
        self.outage.databases.remove(self.db)
        self.db.dispose()
        self.build()

    # ------------------------------------------------------------------ the run

    def run(self) -> Result:
        import time
        t0 = time.perf_counter()
        logging.getLogger("bot").addHandler(self.errors)
        logging.getLogger("bot").setLevel(logging.ERROR)
        logging.getLogger("bot").propagate = False
        sa_event.listen(OutboxRow, "after_insert", self._queued)
        try:
            db = Database(self.url)
            if not db.is_sqlite:
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
                    conn.exec_driver_sql("CREATE SCHEMA public")
            db.upgrade()
            db.dispose()
            self.build()
            # the web pages: another process on the same database, with no scheduler of its own,
            # where admins change settings too — only the database tells the leader
            self.web_db = Database(self.url)
            self.outage.attach(self.web_db)
            self.web_practice = Practice(self.web_db, self.clock, library())
            if "second_scheduler" in self.f:
                self.standby_db = Database(self.url)
                self.outage.attach(self.standby_db)
                self.standby_practice = Practice(self.standby_db, self.clock, library())
                _watch_runs(self.standby_practice, self.ran_teams)
            for tm in self.teams.values():
                self.push(START + timedelta(minutes=5 + tm.idx % 50), "setup", tm.idx)
            self.push(START, "day", START.date())
            self._plan_faults()
            self._loop()
            if self.violation is None:
                self._finish()
        finally:
            logging.getLogger("bot").removeHandler(self.errors)
            sa_event.remove(OutboxRow, "after_insert", self._queued)
        res = Result(self.cfg, self.step, self.stats, Counter(self.port.faults), self.violation)
        res.faults.update({k: v for k, v in self.stats.items() if k.startswith("fault_")})
        res.db_bytes = self._db_size()
        res.seconds = time.perf_counter() - t0
        res.sched_seconds = self.sched_seconds
        res.team_days = len(self.teams) * self.cfg.days
        for sched in self.schedulers().values():  # the process ends: its leadership (a PostgreSQL advisory
            try:                                   # lock held on its own connection) goes with it
                sched.leader.release()
            except Exception:
                pass
        self.db.dispose()
        for other in ("standby_db", "web_db"):
            if getattr(self, other, None) is not None:
                getattr(self, other).dispose()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        return res

    def _db_size(self) -> int:
        if self.tmpdir:
            return sum(os.path.getsize(os.path.join(self.tmpdir, f)) for f in os.listdir(self.tmpdir))
        try:
            with self.db.engine.connect() as c:
                return int(c.exec_driver_sql("SELECT pg_database_size(current_database())").scalar())
        except Exception:
            return 0

    def _plan_faults(self) -> None:
        """Restarts, sleeps and outages at seeded moments over the whole run (their own stream)."""
        if not self.f:
            return
        per_day = self.cfg.faults * 10
        t = START + timedelta(hours=6)
        while True:
            t += timedelta(hours=self.frng.expovariate(per_day / 24))
            if t >= self.end:
                break
            kind = self.frng.choices(("restart", "db_outage", "clock_jump", "standby_start"), (5, 3, 2, 2))[0]
            if kind == "standby_start" and "second_scheduler" in self.f:
                self.push(t, kind, self.frng.randint(6, 36))
                continue
            if kind in self.f:
                self.push(t, kind, self.frng.randint(2, 8))

    def _loop(self) -> None:
        import time
        while self.queue and self.violation is None:
            at, _, kind, payload = heapq.heappop(self.queue)
            if at > self.end + timedelta(days=2):
                break
            if kind == "job":
                sched = self.schedulers().get(payload[0])
                if sched is None or sched.aps.jobs.get(payload[1]) != payload[2]:
                    continue  # replaced by a later reschedule, or the process that set it died
            if kind == "drain" and self.drain_at is not None and at > self.drain_at:
                continue
            if self.asleep_until is not None and at < self.asleep_until and kind in ("action", "setup"):
                self.stats["inputs_lost_asleep"] += 1
                continue
            self.clock.set(max(at, self.clock.now()))
            self.step += 1
            self.recent.append(f"#{self.step} {self.clock.now():%F %T} {kind} {_short(payload)}")
            self._team_of_step = None
            self.errors.records.clear()
            self.ran_teams.clear()
            t0 = time.perf_counter()
            try:
                getattr(self, f"_on_{kind}")(payload)
            except SimCrash as crash:
                self._crashed(crash)
            if kind in ("job", "sweep"):
                self.sched_seconds += time.perf_counter() - t0
            self._after_step()
            if self.cfg.until_step and self.step >= self.cfg.until_step:
                break

    def _crashed(self, crash: SimCrash) -> None:
        self.outbox_dirty = True
        row = self.port.last_row
        if row is not None:
            self.inflight.add(row)
        self.restart(str(crash))

    def _after_step(self) -> None:
        self._drain()
        if not self.outage.down:
            real = [r for r in self.errors.records if not _outage_record(r)]
            if real:
                r = real[0]
                self.fail("nothing_raises", [f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else
                                             f"{r.name}: {r.getMessage()}"], self._team_of_step)

    def _queued(self, *_args) -> None:
        self.outbox_dirty = True

    def _drain(self) -> None:
        """Deliver what is due, as the dispatch loop would after every step. A step that queued
        nothing, with no delivery or retry due, has nothing to drain: that is skipped."""
        if self.outage.down:
            return
        if not self.outbox_dirty and (self.drain_at is None or self.drain_at > self.clock.now()):
            return
        self.outbox_dirty = False
        try:
            self.dispatcher.drain_all()
            with self.db.session() as s:
                nxt, lease = s.exec(select(func.min(OutboxRow.next_attempt_at), func.min(OutboxRow.claimed_until))
                                    .where(OutboxRow.status == "pending")).one()
        except SimCrash as crash:
            self._crashed(crash)
            return
        except OperationalError:
            self.outbox_dirty = True
            return
        cands = [_aware(x) for x in (nxt, lease) if x is not None]
        if cands:
            when = max(min(cands), self.clock.now() + timedelta(seconds=1))
            if self.drain_at is None or when < self.drain_at or self.drain_at <= self.clock.now():
                self.drain_at = when
                self.push(when, "drain")

    def _delivered(self, row: OutboxRow | None, kind: str, target: str, message: Message, thread_ref, ref) -> None:
        """The platform took a message: keep the ledger and check what it shows."""
        self.port.last_row = row.id if row is not None else None
        if row is None:
            return
        self.stats["delivered"] += 1
        self.deliveries[row.id] += 1
        tm = self._by_workspace.get(row.workspace_id)
        self.check("outbox_delivered_once", inv.delivered_once(self, row.id))
        if tm is None:
            return
        text = _flatten(message)
        tokens = inv.TOKEN.findall(text)
        public = kind == "channel"
        self.check("no_early_reveal", inv.no_early_reveal(self, tm, tokens, public), tm.idx)
        if public:
            self.check("hidden_member_not_public", inv.hidden_member_not_public(tm, message.title, text), tm.idx)
        self.check("forgotten_not_in_outbox", inv.forgotten_not_in_outbox_text(tm, target, text, tokens), tm.idx)
        if row.round_id is not None:
            self.stats["prompts_delivered"] += 1
            if "drill_peek" in self.b:
                self.check("drill_not_upcoming_case", inv.drill_not_upcoming_case(self, tm, row.round_id), tm.idx)

    # ------------------------------------------------------------------ scheduler and outbox events

    def _on_job(self, payload) -> None:
        sched_name, job_id, _ = payload
        sched = self.schedulers()[sched_name]
        team_id = int(job_id.split(":")[1])
        self._team_of_step = self._idx_of(team_id)
        sched.activate()
        try:
            scheduler_mod.run_team(team_id)
        except SimCrash:
            raise
        except Exception as exc:
            self.fail("nothing_raises", [f"the job of team {team_id} raised {exc!r}"], self._team_of_step)
        self._check_steps(team_id)

    def _on_sweep(self, payload: tuple[str, bool]) -> None:
        name, recurring = payload
        sched = self.schedulers().get(name)
        if sched is None:
            return  # the process that scheduled it has died
        sched.activate()
        try:
            scheduler_mod.sweep()
        except SimCrash:
            raise
        except Exception as exc:
            self.fail("nothing_raises", [f"the sweep raised {exc!r}"])
        if sched.leader.is_leader:
            self.stats["sweeps_as_leader"] += 1
        if not self.outage.down:
            try:
                ran = inv.steps_of_this_run(self, self.ran_teams)  # the teams the sweep ran: the others ran nothing
            except OperationalError:
                ran = {}
            for team_id, steps in ran.items():
                tm = self._by_team_id.get(team_id)
                if tm is not None:
                    self._check_steps(team_id, tm, steps)
        self._reap_purged()
        if recurring:  # the regular beat; the extra sweeps after a fault don't start beats of their own
            self.push(self.clock.now() + timedelta(minutes=self.cfg.sweep_minutes), "sweep", (name, True))

    def _on_drain(self, _payload) -> None:
        self.drain_at = None
        self.outbox_dirty = True

    def _check_steps(self, team_id: int, tm: TeamModel | None = None, steps: list | None = None) -> None:
        if self.outage.down:
            return
        tm = tm or self._by_team_id.get(team_id)
        if tm is None:
            return
        try:
            steps = inv.steps_of_this_run(self, [team_id]).get(team_id, []) if steps is None else steps
        except OperationalError:
            return
        if steps:
            self.check("no_nudge_burst", inv.no_nudge_burst(steps), tm.idx)
            self.check("steps_on_time", inv.steps_on_time(self, tm, steps), tm.idx)
            self.check("open_within_grace", inv.open_within_grace(steps, tm.grace), tm.idx)
            self.check("prompt_not_retroactive", inv.prompt_not_retroactive(steps, tm), tm.idx)
            self.check("skipped_day_not_open", inv.skipped_day_not_open(self, team_id), tm.idx)

    def _idx_of(self, team_id: int) -> int | None:
        tm = self._by_team_id.get(team_id)
        return tm.idx if tm is not None else None

    def _reap_purged(self) -> None:
        """Teams the housekeeping deleted (removed past the grace period) are gone for good."""
        removed = [t for t in self.teams.values() if t.removed and not t.purged and t.team_id is not None]
        if not removed or self.outage.down:
            return
        with self.db.session() as s:
            alive = set(s.exec(select(Team.id).where(Team.id.in_([t.team_id for t in removed]))))
        for t in removed:
            if t.team_id not in alive:
                t.purged = True
                self.stats["teams_purged"] += 1

    # ------------------------------------------------------------------ faults

    def _on_restart(self, _n) -> None:
        self.stats["fault_restart"] += 1
        self.restart("restart")

    def _on_clock_jump(self, hours) -> None:
        """A laptop asleep for hours: nothing runs, inputs meanwhile are lost, then everything due fires."""
        self.stats["fault_clock_jump"] += 1
        wake = self.clock.now() + timedelta(hours=6)
        self.windows.append((self.clock.now(), wake + timedelta(minutes=5)))
        self.asleep_until = wake
        self.clock.set(wake)
        for name in self.schedulers():
            self.push(wake, "sweep", (name, False))

    def _on_standby_start(self, hours) -> None:
        """A second scheduler process starts (a deploy overlap) and competes for leadership for a
        few hours; then it is stopped and gives the lease up."""
        if getattr(self, "standby", None) is not None:
            return
        self.stats["fault_second_scheduler"] += 1
        self.standby = SimScheduler(self.standby_practice, Leader(self.standby_db, self.clock, holder=f"B{self.step}"),
                                    f"B{self.step}", self._job, timedelta(hours=self.cfg.full_pass_hours))
        self.push(self.clock.now() + timedelta(minutes=1), "sweep", (self.standby.name, True))
        self.push(self.clock.now() + timedelta(hours=hours), "standby_stop")

    def _on_standby_stop(self, _payload) -> None:
        if self.standby is not None:
            try:
                self.standby.leader.release()
            except Exception:
                pass
            self.standby = None
            # production sweeps every minute, so the remaining process takes the free lease within
            # one; the model's beat is `sweep_minutes`, so it runs that minute's sweep here
            self.push(self.clock.now() + timedelta(minutes=1), "sweep", (self.sched.name, False))

    def _on_db_outage(self, minutes) -> None:
        self.stats["fault_db_outage"] += 1
        end = self.clock.now() + timedelta(minutes=minutes)
        self.windows.append((self.clock.now(), end + timedelta(minutes=5)))
        self.outage.start([s.leader for s in self.schedulers().values()])
        self.push(end, "outage_end")

    def _on_outage_end(self, _payload) -> None:
        self.outage.end()
        self.outbox_dirty = True
        for name in self.schedulers():
            self.push(self.clock.now() + timedelta(seconds=30), "sweep", (name, False))

    # ------------------------------------------------------------------ the calendar

    def _on_day(self, day: date) -> None:
        now = self.clock.now()
        if now < self.end:
            for tm in self.teams.values():
                if tm.set_up and not tm.removed:
                    self._plan_day(tm, day)
            self.push(now + timedelta(days=1), "day", day + timedelta(days=1))
        if self.outage.down:
            return
        for tm in self.teams.values():
            if tm.set_up and not tm.purged:
                self.check("one_prompt_per_practice_day", inv.one_prompt_per_practice_day(self, tm), tm.idx)
        recent = [aid for aid, e in self.expected.items() if e["created"] > now - timedelta(days=3)]
        self.check("answers_kept", inv.answers_kept(self, recent))

    def _plan_day(self, tm: TeamModel, day: date) -> None:
        """Seed the day's inputs of one team: answers around its prompt, votes, drills, admin changes."""
        rng = stream(self.cfg.seed, "day", tm.idx, day)
        with self.db.session() as s:
            team = s.get(Team, tm.team_id)
        if team is None:
            return
        from bot import rounds
        from bot.teams import is_practice_day
        tz = parse_timezone(team.timezone)
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        ldays = {local_date(start, tz), local_date(start + timedelta(hours=23, minutes=59), tz)}
        opens = []
        for d in sorted(ldays):
            o, a, v = rounds.timeline(team, d)
            if start <= o < start + timedelta(days=1) and is_practice_day(team, d) and not team.paused:
                opens.append((o, a, v))
        act = self._plan_action
        for o, a, v in opens:
            for mm in tm.members:
                if mm.forgotten or mm.lurker:
                    continue
                if rng.random() < mm.habits["answer"]:
                    at = o + timedelta(seconds=rng.uniform(120, max(180, (a - o).total_seconds() - 120)))
                    act(at, tm, mm, "answer", mm.channel)
                    if "edit" in self.b and rng.random() < mm.habits["edit"]:
                        act(at + timedelta(minutes=rng.uniform(1, 60)), tm, mm, "edit")
                    if "thread" in self.b and mm.channel == "thread" and rng.random() < 0.3:
                        act(at + timedelta(minutes=rng.uniform(1, 60)), tm, mm, "add", "thread")
                    if "dm_after_form" in self.b and mm.channel == "form" and rng.random() < 0.25:
                        act(at + timedelta(minutes=rng.uniform(1, 60)), tm, mm, "add", "dm")
                if "chat_dm" in self.b and rng.random() < mm.habits["chat"]:
                    act(o + timedelta(minutes=rng.uniform(1, 300)), tm, mm, "chat", rng.choice(CHAT))
                if "vote" in self.b and rng.random() < mm.habits["vote"]:
                    act(a + timedelta(seconds=rng.uniform(60, max(120, (v - a).total_seconds() - 60))), tm, mm, "vote")
                if "vote_own" in self.b and rng.random() < 0.02:
                    act(a + timedelta(minutes=rng.uniform(5, 60)), tm, mm, "vote", "own")
                if "late_submit" in self.b and rng.random() < mm.habits["late"]:
                    act(v + timedelta(seconds=rng.uniform(2, 80)), tm, mm, "vote", "late")
                    act(a + timedelta(seconds=rng.uniform(2, 80)), tm, mm, "answer", "form")
            if "expired_drill_dm" in self.b:
                for mm in tm.members:
                    if mm.stale_drill and not mm.forgotten and rng.random() < 0.5:
                        act(o + timedelta(minutes=rng.uniform(10, 200)), tm, mm, "answer", "dm")
            if "hostile_ids" in self.b and rng.random() < 0.05:
                act(o + timedelta(minutes=rng.uniform(1, 300)), tm, rng.choice(tm.members), "hostile")
            if o <= start + timedelta(hours=12):
                quiet_at = a + timedelta(minutes=tm.grace + 45)
            else:
                quiet_at = o - timedelta(hours=3)
            self._plan_admin(tm, rng, o, a, quiet_at)
        for mm in tm.members:
            if mm.forgotten:
                continue
            for what in ("streak", "export", "leaderboard", "results", "today", "reminders", "quiet_hours", "pairs",
                         "hidden_member", "drill", "forget_me_lurker", "forget_me_answered"):
                if what not in self.b:
                    continue
                p = {"streak": 0.25, "export": 0.01, "leaderboard": 0.05, "results": 0.05, "today": 0.08,
                     "reminders": 0.01, "quiet_hours": 0.01, "pairs": 0.01, "hidden_member": 0.01,
                     "drill": mm.habits["drill"], "forget_me_lurker": 0.01 if mm.lurker else 0,
                     "forget_me_answered": 0.004 if not mm.lurker else 0}[what]
                if rng.random() < p:
                    act(start + timedelta(seconds=rng.uniform(0, 86399)), tm, mm, what)

    def _plan_action(self, at: datetime, tm: TeamModel, mm: MemberModel | None, what: str, arg: object = None) -> None:
        self.push(at, "action", (tm.idx, mm.user_id if mm else None, what, arg))

    def _plan_admin(self, tm: TeamModel, rng, opens: datetime, answers_close: datetime, quiet_at: datetime) -> None:
        b, act = self.b, self._plan_action
        mid = opens + timedelta(minutes=rng.uniform(20, max(25, (answers_close - opens).total_seconds() / 60 - 20)))
        for what, p, at in (
            ("admin_settings", 0.02, quiet_at), ("skip_future", 0.02, quiet_at), ("pause_days", 0.01, quiet_at),
            ("remove_readd", 0.004, quiet_at), ("retention", 0.005, quiet_at), ("tz_change", 0.01, quiet_at),
            ("time_change", 0.01, quiet_at), ("days_change", 0.005, quiet_at),
            ("tz_change_mid_round", 0.08, mid), ("time_change_mid_round", 0.08, mid),
            ("pause_resume_mid_round", 0.05, mid), ("skip_today_after_prompt", 0.03, mid),
            ("grace_zero", 0.02, quiet_at), ("huge_retention", 0.02, quiet_at),
        ):
            if what in b and rng.random() < p:
                act(at + timedelta(seconds=rng.uniform(0, 600)), tm, None, what, rng.random())

    # ------------------------------------------------------------------ inputs

    def who(self, tm: TeamModel, user: str, admin: bool = False) -> Who:
        name = self.member(tm.idx, user).name if not admin else f"Admin{tm.idx}"
        return Who("sim", tm.workspace, user, name, is_admin=admin, channel_id=f"c{tm.idx}")

    def handle(self, tm: TeamModel, event, expect_reply: bool = True, practice: Practice | None = None) -> Reply | None:
        """One input through the real core; nothing may raise, and every input gets a reply."""
        self.stats["inputs"] += 1
        tm.events += 1
        try:
            reply = (practice or self.practice).handle(event)
        except SimCrash:
            raise
        except Exception as exc:
            self.fail("nothing_raises", [f"{type(event).__name__} {_short(event)} raised {exc!r}"], tm.idx)
            return None
        if expect_reply:
            self.check("every_input_gets_a_reply", inv.every_input_gets_a_reply(reply), tm.idx)
        if reply.messages and "couldn't reach its database" in reply.messages[0].title + reply.messages[0].text:
            self.stats["inputs_refused_db_down"] += 1
            return None
        return reply

    def admin(self, tm: TeamModel, text: str) -> Reply | None:
        """An admin's command — a third of them through the web pages' process (`other_process`)."""
        name, *args = text.split()
        web = "other_process" in self.b and stream(self.cfg.seed, "web", self.step, text).random() < 1 / 3
        if web:
            self.stats["admin_changes_elsewhere"] += 1
        reply = self.handle(tm, Command(self.who(tm, tm.admin, admin=True), name, tuple(args)),
                            practice=self.web_practice if web else None)
        ok = reply is not None and reply.messages and reply.messages[0].title in (
            "Set up", "Paused", "Resumed", "Skipping a day", "Setting changed")
        if ok:
            tm.changes.append(self.clock.now())
            self.stats["admin_changes"] += 1
        return reply if ok else None

    def _on_setup(self, idx: int) -> None:
        tm = self.teams[idx]
        self._team_of_step = idx
        if self.admin(tm, f"setup #c{idx} {tm.time} {tm.tz} {tm.days}") is None:
            self.push(self.clock.now() + timedelta(minutes=30), "setup", idx)
            return
        with self.db.session() as s:
            tm.team_id = s.exec(select(Team.id).where(Team.platform == "sim", Team.workspace_id == tm.workspace)).one()
        self._by_team_id[tm.team_id] = tm
        tm.set_up = True
        self._plan_day(tm, self.clock.now().date())

    def _on_action(self, payload) -> None:
        idx, user, what, arg = payload
        tm = self.teams[idx]
        self._team_of_step = idx
        if tm.removed or tm.purged:
            return
        mm = self.member(idx, user) if user else None
        if mm is not None and mm.forgotten:
            return
        try:
            getattr(self, f"_do_{what}")(tm, mm, arg)
        except OperationalError:
            if not self.outage.down:
                raise
            self.stats["inputs_refused_db_down"] += 1  # the model's own read of the database, during an outage
            return
        if mm is not None and not self.outage.down:
            self.check("answers_kept", inv.answers_kept(self, self.by_member.get((idx, mm.user_id), [])[-3:]), idx)

    def _round(self, tm: TeamModel, phase: str) -> Round | None:
        try:
            with self.db.session() as s:
                return s.exec(select(Round).where(Round.team_id == tm.team_id, Round.phase == phase)
                              .order_by(Round.local_date.desc())).first()
        except OperationalError:
            return None

    def _saved(self, tm: TeamModel, mm: MemberModel, reply, tokens: set[str], form: bool) -> None:
        """The member was told their answer is saved: remember what must now be in it."""
        with self.db.session() as s:
            row = s.exec(select(Answer, Round).join(Member, Member.id == Answer.member_id)
                         .join(Round, Round.id == Answer.round_id)
                         .where(Answer.team_id == tm.team_id, Member.user_id == mm.user_id,
                                Answer.updated_at == self.clock.now())).first()
        if row is None:
            self.fail("answers_kept", [f"{mm.user_id} was told 'saved' but no answer of theirs changed"], tm.idx)
            return
        answer, rnd = row
        exp = self.expected.get(answer.id)
        if exp is None:
            exp = self.expected[answer.id] = {"team": tm.idx, "user": mm.user_id, "tokens": set(), "adds": set(),
                                              "created": answer.created_at, "round": rnd.id}
            self.by_member.setdefault((tm.idx, mm.user_id), []).append(answer.id)
            self.stats["answers"] += 1
        if form:
            exp["tokens"] = set(tokens) | exp["adds"]
        else:
            exp["adds"] |= tokens
            exp["tokens"] |= tokens
        for t in tokens:
            self.tokens[t] = {"team": tm.idx, "user": mm.user_id, "deadline": rnd.answer_deadline,
                              "immediate": tm.reveal == "immediate"}
        mm.practised.add(rnd.local_date)
        mm.answered = True
        self.check("no_answer_after_deadline", inv.no_answer_after_deadline(self, reply, _aware(rnd.answer_deadline)),
                   tm.idx)

    def _do_answer(self, tm: TeamModel, mm: MemberModel, how: str) -> None:
        rnd = self._round(tm, "answering")
        if how == "dm" and self._drill_live(mm):
            how = "form"
        if how == "thread" and (rnd is None or rnd.message_ref is None):
            how = "form"
        if how == "form":
            self._form(tm, mm, rnd, full=True)
            return
        t = token(tm, mm)
        text = " ".join(SECTION_TEXT[s].format(t=t) for s in STEPS4)
        if how == "thread":
            self.event_id += 1
            ev = ThreadReply(self.who(tm, mm.user_id), rnd.message_ref, text, f"ev{self.event_id}")
            reply = self.handle(tm, ev, expect_reply=self._answers_open(rnd))
            if reply is not None and "duplicate_events" in self.b and self.rng.random() < 0.1:
                self.stats["duplicate_events"] += 1
                self.handle(tm, ev, expect_reply=False)  # the platform retried the same event
        else:
            reply = self.handle(tm, DirectMessage(self.who(tm, mm.user_id), text))
            if reply is not None and rnd is not None and not self._drill_live(mm):
                self.check("dm_answer_is_saved", inv.dm_answer_is_saved(reply, self.outage.down), tm.idx)
        if reply is not None and reply.messages and reply.messages[0].title in inv.SAVED:
            self._saved(tm, mm, reply, {t}, form=False)

    def _form(self, tm: TeamModel, mm: MemberModel, rnd: Round | None, full: bool) -> None:
        """Open the answer form (prefilled when editing), change some sections, submit it."""
        rid = str(rnd.id) if rnd is not None else ""
        if rnd is None:  # nothing open: the member presses an old Answer button
            rnd = self._round(tm, "voting")
            rid = str(rnd.id) if rnd is not None else ""
        reply = self.handle(tm, Action(self.who(tm, mm.user_id), "answer", rid))
        if reply is None or reply.form is None:
            if rnd is None:
                return
            values, meta = {}, {"round_id": rid}   # the form was open since before the deadline
        else:
            values = {f.id: f.initial for f in reply.form.fields}
            meta = dict(reply.form.meta)
        t = token(tm, mm)
        if full or not any(values.values()):
            for s in STEPS4:
                if self.rng.random() < 0.85 or s == "scope":
                    values[s] = SECTION_TEXT[s].format(t=t)
        else:
            s = self.rng.choice(STEPS4)
            values[s] = SECTION_TEXT[s].format(t=t)
        reply = self.handle(tm, FormSubmitted(self.who(tm, mm.user_id), "answer", values, meta))
        if reply is not None and reply.messages and reply.messages[0].title in inv.SAVED:
            tokens = set(inv.TOKEN.findall(" ".join(values.values())))
            self._saved(tm, mm, reply, tokens, form=True)

    def _do_edit(self, tm: TeamModel, mm: MemberModel, _arg) -> None:
        rnd = self._round(tm, "answering")
        if rnd is not None:
            self._form(tm, mm, rnd, full=False)

    def _answers_open(self, rnd: Round) -> bool:
        """The clock's deadline, not the round's phase, decides (issue 14 item 6): a thread reply
        after it gets no reply of its own — if it reads as an answer, a DM note goes through the
        outbox that it was not saved."""
        return self.clock.now() <= _aware(rnd.answer_deadline)

    def _do_add(self, tm: TeamModel, mm: MemberModel, how: str) -> None:
        """Text added after the answer: a thread reply, or a DM after the form."""
        rnd = self._round(tm, "answering")
        if rnd is None or (how == "dm" and self._drill_live(mm)):
            return
        t = token(tm, mm)
        text = ADDITION_TEXT.format(t=t)
        if how == "thread":
            if rnd.message_ref is None:
                return
            self.event_id += 1
            reply = self.handle(tm, ThreadReply(self.who(tm, mm.user_id), rnd.message_ref, text, f"ev{self.event_id}"),
                                expect_reply=self._answers_open(rnd))
        else:
            reply = self.handle(tm, DirectMessage(self.who(tm, mm.user_id), text))
        if reply is not None and reply.messages and reply.messages[0].title in inv.SAVED:
            self._saved(tm, mm, reply, {t}, form=False)

    def _do_chat(self, tm: TeamModel, mm: MemberModel, text: str) -> None:
        if self._drill_live(mm):
            return
        rnd = self._round(tm, "answering")
        if rnd is not None and rnd.message_ref and self.rng.random() < 0.4:
            self.event_id += 1
            reply = self.handle(tm, ThreadReply(self.who(tm, mm.user_id), rnd.message_ref, text, f"ev{self.event_id}"),
                                expect_reply=False)
        else:
            reply = self.handle(tm, DirectMessage(self.who(tm, mm.user_id), text))
        if reply is not None:
            self.stats["chat"] += 1
            self.check("chat_is_not_an_answer", inv.chat_is_not_an_answer(reply, text), tm.idx)
        if self.rng.random() < 0.3 and not self.outage.down:
            self._short_answer(tm, mm)

    def _short_answer(self, tm: TeamModel, mm: MemberModel) -> None:
        """A short remark meant as an answer: it waits for "Save this as your answer?"; the member
        presses Save, and from then on it must be in their answer (issue 14 item 2)."""
        rnd = self._round(tm, "answering")
        if rnd is None or not self._answers_open(rnd):
            return
        t = token(tm, mm)
        reply = self.handle(tm, DirectMessage(self.who(tm, mm.user_id), SHORT_ANSWER.format(t=t)))
        if reply is None:
            return
        self.check("chat_is_not_an_answer", inv.chat_is_not_an_answer(reply, SHORT_ANSWER), tm.idx)
        save = next((b for m in reply.messages for b in m.buttons if b.action == "pending_save"), None)
        if save is None:
            return
        reply = self.handle(tm, Action(self.who(tm, mm.user_id), "pending_save", save.value))
        if reply is not None and reply.messages and reply.messages[0].title in inv.SAVED:
            self.stats["saved_after_asking"] += 1
            self._saved(tm, mm, reply, {t}, form=False)

    def _do_vote(self, tm: TeamModel, mm: MemberModel, how) -> None:
        rnd = self._round(tm, "voting")
        if how == "late":  # seconds after the deadline: the round the member was voting on
            with self.db.session() as s:
                rnd = s.exec(select(Round).where(Round.team_id == tm.team_id, Round.vote_deadline < self.clock.now())
                             .order_by(Round.vote_deadline.desc())).first()
        if rnd is None:
            return
        with self.db.session() as s:
            me = s.exec(select(Member.id).where(Member.team_id == tm.team_id, Member.user_id == mm.user_id)).first()
            answers = list(s.exec(select(Answer.id, Answer.member_id).where(Answer.round_id == rnd.id).order_by(Answer.id)))
        pool = [a for a, m in answers if (m == me) == (how == "own")]
        if not pool:
            return
        for aid in self.rng.sample(pool, min(len(pool), self.rng.randint(1, 3))):
            scores = [str(self.rng.randint(1, 5)) for _ in range(5)]
            reply = self.handle(tm, Command(self.who(tm, mm.user_id), "vote", (str(aid), *scores, "clear framing")))
            if reply is None:
                continue
            if reply.messages and reply.messages[0].title.startswith("Vote "):
                self.stats["votes"] += 1
            self.check("no_vote_after_deadline", inv.no_vote_after_deadline(self, reply, _aware(rnd.vote_deadline)), tm.idx)

    def _drill_live(self, mm: MemberModel) -> bool:
        return mm.drill_active_until is not None and self.clock.now() < mm.drill_active_until

    def _do_drill(self, tm: TeamModel, mm: MemberModel, _arg) -> None:
        reply = self.handle(tm, Command(self.who(tm, mm.user_id), "drill", (self.rng.choice(("improve", "design", "prioritize")),)))
        if reply is None or not reply.messages or "drill" not in (reply.messages[0].title + reply.messages[0].text).lower():
            return
        with self.db.session() as s:
            from bot.store.models import Drill
            d = s.exec(select(Drill).join(Member, Member.id == Drill.member_id).where(
                Drill.team_id == tm.team_id, Member.user_id == mm.user_id, Drill.status == "active")).first()
        if d is None:
            return
        self.stats["drills"] += 1
        mm.drill_active_until = _aware(d.expires_at)
        mm.stale_drill = False
        if self.rng.random() < mm.habits["finish_drill"] or "drill_expire" not in self.b:
            for i in range(4):
                self._plan_action(self.clock.now() + timedelta(minutes=2 + 2 * i), tm, mm, "drill_step")
        else:
            mm.stale_drill = True   # left to expire, never stopped
            self.stats["drills_left_to_expire"] += 1

    def _do_drill_step(self, tm: TeamModel, mm: MemberModel, _arg) -> None:
        if not self._drill_live(mm):
            return
        reply = self.handle(tm, DirectMessage(self.who(tm, mm.user_id), DRILL_TEXT.format(t=token(tm, mm))))
        if reply is not None and reply.messages and "finish" in (reply.messages[0].title + reply.messages[0].text).lower():
            mm.drill_active_until = None
            mm.practised.add(local_date(self.clock.now(), parse_timezone(self._tz(tm))))

    def _tz(self, tm: TeamModel) -> str:
        with self.db.session() as s:
            return s.get(Team, tm.team_id).timezone

    def _simple(self, tm: TeamModel, mm: MemberModel, text: str) -> Reply | None:
        name, *args = text.split()
        return self.handle(tm, Command(self.who(tm, mm.user_id), name, tuple(args)))

    def _do_streak(self, tm, mm, _arg) -> None:
        reply = self._simple(tm, mm, "streak")
        if reply is not None:
            self.check("streak_matches", inv.streak_matches(self, tm, mm, reply), tm.idx)

    def _do_export(self, tm, mm, _arg) -> None:
        self._simple(tm, mm, "export")

    def _do_leaderboard(self, tm, mm, _arg) -> None:
        reply = self._simple(tm, mm, self.rng.choice(("leaderboard", "leaderboard month", "leaderboard all streak")))
        if reply is not None and not reply.private:
            for msg in reply.messages:
                self.check("hidden_member_not_public", inv.hidden_member_not_public(tm, msg.title, _flatten(msg)), tm.idx)

    def _do_results(self, tm, mm, _arg) -> None:
        self._simple(tm, mm, "results")

    def _do_today(self, tm, mm, _arg) -> None:
        self._simple(tm, mm, "today")

    def _do_reminders(self, tm, mm, _arg) -> None:
        self._simple(tm, mm, self.rng.choice(("reminders off", "reminders on")))

    def _do_quiet_hours(self, tm, mm, _arg) -> None:
        self._simple(tm, mm, self.rng.choice(("reminders quiet 22:00 07:00", "reminders quiet 12:00 14:00")))

    def _do_pairs(self, tm, mm, _arg) -> None:
        reply = self._simple(tm, mm, self.rng.choice(("pairs on", "pairs off", "pairs")))
        if reply is not None and reply.messages and reply.messages[0].title == "Mock pairs on":
            tm.wakes.append(self.clock.now())  # Monday's pairing may now have work (within its grace)

    def _do_hidden_member(self, tm, mm, _arg) -> None:
        show = mm.hidden and self.rng.random() < 0.3
        reply = self._simple(tm, mm, "leaderboard show" if show else "leaderboard hide")
        if reply is not None:
            mm.hidden = not show

    def _do_forget_me_lurker(self, tm, mm, _arg) -> None:
        """Forget-me by a member who never answered (DMs to them and posts naming them may be in the outbox)."""
        self._forget(tm, mm)

    def _do_forget_me_answered(self, tm, mm, _arg) -> None:
        self._forget(tm, mm)

    def _forget(self, tm: TeamModel, mm: MemberModel) -> None:
        reply = self._simple(tm, mm, "forget-me confirm")
        if reply is None or not reply.messages or reply.messages[0].title != "Forgotten":
            return
        mm.forgotten = True
        self.stats["forget_me"] += 1
        self.check("forgotten_leaves_nothing", inv.forgotten_leaves_nothing(self, tm, mm), tm.idx)

    def _do_hostile(self, tm, mm, _arg) -> None:
        who = self.who(tm, mm.user_id)
        self.handle(tm, Command(who, "rate", ("99999999999999999999",)))
        self.handle(tm, Action(who, "answer", "9" * 30))
        self.handle(tm, DirectMessage(who, "answer with a NUL \x00 byte and enough words to count as an answer here"))

    # ------------------------------------------------------------------ admins

    def _do_admin_settings(self, tm, _mm, r) -> None:
        rng = stream(self.cfg.seed, "admin", tm.idx, self.step)
        choice = rng.choice(("reveal", "grace", "windows", "min-votes", "reviewers"))
        if choice == "reveal":
            value = rng.choice(("deadline", "immediate"))
            if self.admin(tm, f"set reveal {value}"):
                tm.reveal = value
        elif choice == "grace":
            g = rng.choice((15, 30, 60, 120, 240))
            if self.admin(tm, f"set grace {g}"):
                tm.grace = g
        elif choice == "windows":
            a = rng.choice((240, 360, 480, 600))
            v = rng.choice((a + 180, 1380, 1380))
            self.admin(tm, f"set vote-window {max(v, a + 60)}")
            self.admin(tm, f"set answer-window {a}")
        elif choice == "min-votes":
            self.admin(tm, f"set min-votes {rng.randint(1, 3)}")
        else:
            self.admin(tm, f"set reviewers {rng.randint(0, 3)}")

    def _do_grace_zero(self, tm, _mm, _r) -> None:
        if self.admin(tm, "set grace 0"):
            tm.grace = 0

    def _do_huge_retention(self, tm, _mm, _r) -> None:
        if self.admin(tm, "set retention-days 1000000"):
            tm.retention = 1000000

    def _do_retention(self, tm, _mm, r) -> None:
        days = (30, 60, 90, 0)[int(r * 4)]
        if self.admin(tm, f"set retention-days {days}"):
            tm.retention = days or None

    def _do_skip_future(self, tm, _mm, r) -> None:
        with self.db.session() as s:
            team = s.get(Team, tm.team_id)
        day = local_date(self.clock.now(), parse_timezone(team.timezone)) + timedelta(days=2 + int(r * 10))
        self.admin(tm, f"skip {day.isoformat()}")

    def _do_skip_today_after_prompt(self, tm, _mm, _r) -> None:
        with self.db.session() as s:
            team = s.get(Team, tm.team_id)
        self.admin(tm, f"skip {local_date(self.clock.now(), parse_timezone(team.timezone)).isoformat()}")
        self._check_skip(tm)

    def _check_skip(self, tm: TeamModel) -> None:
        if not self.outage.down:
            self.check("skipped_day_not_open", inv.skipped_day_not_open(self, tm.team_id), tm.idx)

    def _do_pause_days(self, tm, _mm, r) -> None:
        if self.admin(tm, "pause"):
            tm.paused = True
            self.push(self.clock.now() + timedelta(days=1 + int(r * 4)), "action", (tm.idx, None, "resume", None))

    def _do_pause_resume_mid_round(self, tm, _mm, r) -> None:
        if self.admin(tm, "pause"):
            tm.paused = True
            self.push(self.clock.now() + timedelta(minutes=60 + r * 240), "action", (tm.idx, None, "resume", None))

    def _do_resume(self, tm, _mm, _r) -> None:
        if self.admin(tm, "resume"):
            tm.paused = False
        else:
            self.push(self.clock.now() + timedelta(minutes=30), "action", (tm.idx, None, "resume", None))

    def _setup_change(self, tm: TeamModel, r: float, what: str, mid_round: bool = False) -> None:
        """A new zone, time or set of days, whenever the admin likes: an open round finishes on the
        times it was announced with and the new setting applies from the next practice day
        (issue 14 item 4), so no choice is avoided. Mid-round, a new time is an earlier one, so the
        day's steps would fall due at once."""
        rng = stream(self.cfg.seed, "setup", tm.idx, self.step)
        from tests.sim.model import DAYS, TIMES, ZONES
        tz, at, days = tm.tz, tm.time, tm.days
        if what == "tz":
            tz = rng.choice([z for z in ZONES if z != tm.tz])
        elif what == "time" and mid_round:
            now_local = self.clock.now().astimezone(parse_timezone(tm.tz))
            at = (now_local - timedelta(minutes=rng.choice((40, 70, 100, 150)))).strftime("%H:%M")
        elif what == "time":
            at = rng.choice([t for t in TIMES if t != tm.time])
        else:
            days = rng.choice([d for d in DAYS if d != tm.days])
        if self.admin(tm, f"setup #c{tm.idx} {at} {tz} {days}"):
            tm.tz, tm.time, tm.days = tz, at, days
            tm.schedule_changes.append(self.clock.now())

    def _do_tz_change(self, tm, _mm, r) -> None:
        self._setup_change(tm, r, "tz")

    def _do_time_change(self, tm, _mm, r) -> None:
        self._setup_change(tm, r, "time")

    def _do_days_change(self, tm, _mm, r) -> None:
        self._setup_change(tm, r, "days")

    def _do_tz_change_mid_round(self, tm, _mm, r) -> None:
        self._setup_change(tm, r, "tz", mid_round=True)

    def _do_time_change_mid_round(self, tm, _mm, r) -> None:
        self._setup_change(tm, r, "time", mid_round=True)

    def _do_remove_readd(self, tm, _mm, r) -> None:
        """The bot is removed; usually re-added within days, sometimes never (then purged after 30)."""
        try:
            self.practice.team_removed("sim", tm.workspace)
        except OperationalError:
            return
        tm.removed = True
        tm.changes.append(self.clock.now())
        self.stats["removals"] += 1
        if r < 0.85:
            # days later, at any hour: a restore mid-round posts only the latest due nudge (item 5)
            self.push(self.clock.now() + timedelta(days=1 + int(r * 6), hours=(r * 997) % 24), "restore", tm.idx)

    def _on_restore(self, idx: int) -> None:
        tm = self.teams[idx]
        self._team_of_step = idx
        if tm.purged:
            return
        try:
            self.practice.team_restored("sim", tm.workspace)
        except OperationalError:
            self.push(self.clock.now() + timedelta(minutes=30), "restore", idx)
            return
        tm.removed = False
        tm.changes.append(self.clock.now())

    # ------------------------------------------------------------------ the end

    def _finish(self) -> None:
        """Close every round, drain the outbox (winding the clock past every backoff), check all."""
        self.outage.end()
        self.asleep_until = None
        for _ in range(400):
            self.clock.advance(timedelta(minutes=10))
            self.outbox_dirty = True
            self._drain()
            if self.violation is not None:
                return
            with self.db.session() as s:
                if s.exec(select(func.count(OutboxRow.id)).where(OutboxRow.status == "pending")).one() == 0:
                    break
        self.step += 1
        self.recent.append(f"#{self.step} {self.clock.now():%F %T} final checks")
        self.check("outbox_drained", inv.outbox_drained(self))
        self.stats["resent_after_crash"] = sum(1 for r in self.inflight if self.deliveries[r] > 1)
        self.check("answers_kept", inv.answers_kept(self, sorted(self.expected)))
        for tm in self.teams.values():
            for mm in tm.members:
                if mm.forgotten:
                    self.check("forgotten_leaves_nothing", inv.forgotten_leaves_nothing(self, tm, mm), tm.idx)


def _watch_runs(practice: Practice, ran: set[int]) -> None:
    """Note which teams the real scheduler runs (its sweep runs only the teams due), so the step
    checks read just those teams' steps."""
    real = practice.run_team

    def run_team(team_id: int):
        ran.add(team_id)
        return real(team_id)
    practice.run_team = run_team


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _flatten(m: Message) -> str:
    return "\n".join([m.title, m.text, m.footer, *(f"{s.title}\n{s.text}" for s in m.sections)])


def _short(payload) -> str:
    text = repr(payload)
    return text if len(text) < 160 else text[:157] + "..."


def _outage_record(record: logging.LogRecord) -> bool:
    exc = record.exc_info[1] if record.exc_info else None
    return isinstance(exc, OperationalError)
