"""Benchmark: the simulated year at scale (issue 18), and what the production sweep costs.

Part 1 runs the simulation (tests/sim) — real core, scheduler and outbox on SQLite, every
behaviour of the CI run, faults at the given rate — and reports simulated team-days per second,
the scheduler's share (its jobs and sweeps) per team per simulated day, and the database size
at the end.

Part 2 isolates the leader's sweep, which production runs every minute. The sweep runs only the
teams whose stored next due time (`teams.next_due_at`) has come, and every team once an hour.
N teams are set up on a fresh SQLite database, spread over the simulation's time zones, times
and days, except a `--peak` share that all open at 09:00 Europe/Berlin (a real team mix has
such a peak). Created three days earlier, they are caught up by the first sweep (taking
leadership: a full pass), then swept once a minute for an hour, as production does: 07:30 →
08:30 UTC on a Wednesday. It reports a typical minute (the median sweep), the busiest minute
(08:00, when the peak opens), the hourly full pass (08:30), how many teams each ran, and the
CPU a day of it costs (1,440 minutes at the typical cost, plus 24 full passes) — for 50 → 500
→ 5,000 teams.

    PYTHONPATH=$PWD python tests/bench/bench_sim.py [--teams 500] [--days 365] [--scale 50,500,5000]
                                                   [--peak 0.2] [--seed 1] [--faults 0.05] [--skip-sim]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._common import median, table, write  # noqa: E402
from tests.sim.model import BEHAVIOURS, DAYS, TIMES, ZONES  # noqa: E402
from tests.sim.sim_year import summary  # noqa: E402
from tests.sim.world import Config, World, library  # noqa: E402


def simulate(teams: int, days: int, seed: int, faults: float) -> dict:
    res = World(Config(seed=seed, teams=teams, days=days, faults=faults, behaviours=frozenset(BEHAVIOURS))).run()
    print(summary(res), flush=True)
    td = res.team_days
    return {"teams": teams, "days": days, "team_days": td, "seconds": round(res.seconds, 1), "steps": res.steps,
            "team_days_per_s": round(td / res.seconds, 2),
            "scheduler_ms_per_team_day": round(1000 * res.sched_seconds / td, 2),
            "db_mb": round(res.db_bytes / 1e6, 2), "violations": 0 if res.violation is None else 1,
            "checks": res.stats["checks"], "inputs": res.stats["inputs"], "delivered": res.stats["delivered"],
            "sweeps_as_leader": res.stats["sweeps_as_leader"]}


def _teams(n: int, peak: float, created: datetime):
    """N teams with the simulation's spread of zones, times and days; a `peak` share at 09:00 Berlin."""
    from bot.localtime import format_weekdays, parse_weekdays
    from bot.store.models import Team
    every = round(1 / peak) if peak > 0 else 0
    for i in range(n):
        if every and i % every == 0:
            zone, at, days = "Europe/Berlin", "09:00", "mon-fri"
        else:
            zone, at, days = ZONES[i % len(ZONES)], TIMES[i % len(TIMES)], DAYS[i % len(DAYS)]
        yield Team(platform="sim", workspace_id=f"W{i}", channel_id=f"c{i}", timezone=zone, practice_time=at,
                   weekdays=format_weekdays(parse_weekdays(days)), created_at=created)


def sweep_cost(n: int, peak: float) -> dict:
    """An hour of the leader's per-minute sweeps over `n` set-up teams (see the module's docstring)."""
    from bot import scheduler as scheduler_mod
    from bot.clock import ManualClock
    from bot.practice import Practice
    from bot.scheduler import Scheduler
    from bot.store.db import Database
    start = datetime(2027, 3, 3, 7, 30, 30, tzinfo=UTC)  # a Wednesday; 09:00 Berlin is 08:00 UTC
    tmp = tempfile.mkdtemp(prefix="sensebot-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    db = Database(f"sqlite:///{tmp}/sweep.db")
    db.upgrade()
    with db.transaction() as s:
        s.add_all(list(_teams(n, peak, start - timedelta(days=3))))
    clock = ManualClock(start)
    practice = Practice(db, clock, library())
    sched = Scheduler(practice)
    ran: list[int] = []
    real = practice.run_team

    def counted(team_id: int):
        ran.append(team_id)
        return real(team_id)
    practice.run_team = counted
    scheduler_mod._runtime = sched
    minutes: list[tuple[datetime, float, int]] = []
    try:
        for minute in range(62):  # 07:30:30 (taking leadership) … 08:31:30
            clock.set(start + timedelta(minutes=minute))
            ran.clear()
            t0 = time.perf_counter()
            scheduler_mod.sweep()
            minutes.append((clock.now(), time.perf_counter() - t0, len(ran)))
    finally:
        scheduler_mod._runtime = None
        sched.aps.shutdown(wait=False) if sched.aps.running else None
        db.dispose()
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)
    warm = minutes[0]
    full = next(m for m in minutes[1:] if m[0] - start >= timedelta(hours=1))
    busy = next(m for m in minutes if m[0].hour == 8 and m[0].minute == 0)
    typical = [m for m in minutes[1:] if m is not full and m is not busy]
    typ_s, typ_teams = median([m[1] for m in typical]), median([m[2] for m in typical])
    hour = [m for m in minutes[1:] if m is not full]  # the hour's per-minute sweeps, the peak included
    per_day = 24 * (sum(m[1] for m in hour) + full[1])  # an upper bound: every hour as busy as this one
    return {"teams": n, "warmup_s": round(warm[1], 2), "warmup_teams": warm[2],
            "typical_s": round(typ_s, 3), "typical_teams": typ_teams, "typical_max_s": round(max(m[1] for m in typical), 3),
            "mean_minute_s": round(sum(m[1] for m in hour) / len(hour), 3),
            "mean_minute_teams": round(sum(m[2] for m in hour) / len(hour), 1),
            "busiest_s": round(busy[1], 2), "busiest_teams": busy[2], "full_pass_s": round(full[1], 2),
            "full_pass_teams": full[2], "full_pass_ms_per_team": round(1000 * full[1] / max(full[2], 1), 2),
            "cpu_s_per_day": round(per_day, 1), "share_of_a_day": round(per_day / 86400, 4),
            "busiest_share_of_its_minute": round(busy[1] / 60, 3)}


def main() -> None:
    import logging
    logging.getLogger("bot").setLevel(logging.ERROR)  # the warm-up sweep records the past days as missed
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--teams", type=int, default=500)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faults", type=float, default=0.05)
    p.add_argument("--scale", default="50,500,5000", help="team counts for part 2 (empty: skip it)")
    p.add_argument("--peak", type=float, default=0.2, help="share of part 2's teams opening at 09:00 Berlin")
    p.add_argument("--skip-sim", action="store_true")
    p.add_argument("--out", default="bench_sim", help="name of the JSON file under tests/bench/results")
    a = p.parse_args()
    out: dict = {"args": vars(a)}
    if not a.skip_sim:
        sim = simulate(a.teams, a.days, a.seed, a.faults)
        year = 500 * 365
        sim["projected_500x365_hours"] = round(year / sim["team_days_per_s"] / 3600, 1)
        sim["projected_500x365_db_mb"] = round(sim["db_mb"] / sim["team_days"] * year)
        out["simulation"] = sim
        print()
        print(table(["teams", "days", "team-days", "seconds", "team-days/s", "scheduler ms/team-day", "DB MB",
                     "violations", "500×365 would take (h)", "500×365 DB (MB)"],
                    [[sim["teams"], sim["days"], sim["team_days"], sim["seconds"], sim["team_days_per_s"],
                      sim["scheduler_ms_per_team_day"], sim["db_mb"], sim["violations"],
                      sim["projected_500x365_hours"], sim["projected_500x365_db_mb"]]]))
    rows = []
    for n in (int(x) for x in a.scale.split(",") if x):
        r = sweep_cost(n, a.peak)
        rows.append(r)
        print(f"  {n} teams: typical minute {r['typical_s']} s, busiest {r['busiest_s']} s, full pass {r['full_pass_s']} s",
              flush=True)
    if rows:
        out["sweep"] = rows
        print()
        print(table(["teams", "take-over pass s", "typical minute s (teams)", "mean minute s (teams)",
                     "busiest minute s (teams)", "hourly full pass s", "full pass ms/team", "CPU s/day (≤)",
                     "share of a day"],
                    [[r["teams"], r["warmup_s"], f"{r['typical_s']} ({r['typical_teams']:g})",
                      f"{r['mean_minute_s']} ({r['mean_minute_teams']})", f"{r['busiest_s']} ({r['busiest_teams']})",
                      r["full_pass_s"], r["full_pass_ms_per_team"], r["cpu_s_per_day"], f"{100 * r['share_of_a_day']:.2f}%"]
                     for r in rows]))
    if len(rows) > 1:
        growth = rows[-1]["full_pass_ms_per_team"] / rows[0]["full_pass_ms_per_team"]
        print(f"\nfull pass cost per team {rows[0]['teams']} → {rows[-1]['teams']} teams: ×{growth:.2f} "
              "(1.0 = linear); the minute's sweep runs only the teams due")
        out["full_pass_per_team_growth"] = round(growth, 2)
    print(f"wrote {write(a.out, out)}")


if __name__ == "__main__":
    main()
