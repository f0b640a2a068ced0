"""Benchmark: the simulated year at scale (issue 18), and what the per-minute sweep costs.

Part 1 runs the simulation (tests/sim) — real core, scheduler and outbox on SQLite, every
behaviour of the CI run, faults at the given rate — and reports simulated team-days per second,
the scheduler's share (its jobs and sweeps) per team per simulated day, and the database size
at the end.

Part 2 isolates the scheduler's sweep, which production runs every minute over every team:
N teams set up on a fresh SQLite database (spread over the simulation's time zones and times),
one warm-up sweep (it opens the day's rounds), then timed steady-state sweeps a minute apart.
It reports seconds per sweep, milliseconds per team per sweep, and the projected cost per
simulated day (1,440 sweeps), for 50 → 500 → 5,000 teams: if the per-team cost stays flat, the
sweep grows linearly.

    PYTHONPATH=$PWD python tests/bench/bench_sim.py [--teams 500] [--days 365] [--scale 50,500,5000]
                                                   [--sweeps 3] [--seed 1] [--faults 0.05]
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

from tests.bench._common import table, write  # noqa: E402
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
            "checks": res.stats["checks"], "inputs": res.stats["inputs"], "delivered": res.stats["delivered"]}


def sweep_cost(n: int, sweeps: int) -> dict:
    """Seconds per steady-state sweep over `n` set-up teams (the scheduler as leader)."""
    from bot import scheduler as scheduler_mod
    from bot.clock import ManualClock
    from bot.practice import Practice
    from bot.scheduler import Scheduler
    from bot.store.db import Database
    from bot.store.models import Team
    start = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # a Wednesday: most teams have a round somewhere in its day
    tmp = tempfile.mkdtemp(prefix="sensebot-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    db = Database(f"sqlite:///{tmp}/sweep.db")
    db.upgrade()
    with db.transaction() as s:
        for i in range(n):
            s.add(Team(platform="sim", workspace_id=f"W{i}", channel_id=f"c{i}", timezone=ZONES[i % len(ZONES)],
                       practice_time=TIMES[i % len(TIMES)], weekdays=DAYS[i % len(DAYS)].replace("-", ","),
                       created_at=start - timedelta(minutes=1)))
    # normalise weekday ranges the way setup stores them
    from bot.localtime import format_weekdays, parse_weekdays
    with db.transaction() as s:
        for t in s.exec(__import__("sqlmodel").select(Team)):
            t.weekdays = format_weekdays(parse_weekdays(DAYS[int(t.workspace_id[1:]) % len(DAYS)]))
    clock = ManualClock(start)
    practice = Practice(db, clock, library())
    sched = Scheduler(practice)
    scheduler_mod._runtime = sched
    try:
        t0 = time.perf_counter()
        scheduler_mod.sweep()  # warm-up: takes leadership, opens what is due
        warm = time.perf_counter() - t0
        times = []
        for _ in range(sweeps):
            clock.advance(timedelta(minutes=1))
            t0 = time.perf_counter()
            scheduler_mod.sweep()
            times.append(time.perf_counter() - t0)
    finally:
        scheduler_mod._runtime = None
        sched.aps.shutdown(wait=False) if sched.aps.running else None
        db.dispose()
        for f in os.listdir(tmp):
            os.remove(os.path.join(tmp, f))
        os.rmdir(tmp)
    per = sorted(times)[len(times) // 2]
    return {"teams": n, "warmup_s": round(warm, 2), "sweep_s": round(per, 3), "ms_per_team": round(1000 * per / n, 3),
            "cpu_s_per_day": round(per * 1440, 1), "share_of_a_minute": round(per / 60, 3)}


def main() -> None:
    import logging
    logging.getLogger("bot").setLevel(logging.ERROR)  # the warm-up sweep records the past days as missed
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--teams", type=int, default=500)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--faults", type=float, default=0.05)
    p.add_argument("--scale", default="50,500,5000")
    p.add_argument("--sweeps", type=int, default=3)
    p.add_argument("--skip-sim", action="store_true")
    a = p.parse_args()
    out: dict = {"args": vars(a)}
    if not a.skip_sim:
        sim = simulate(a.teams, a.days, a.seed, a.faults)
        out["simulation"] = sim
        print()
        print(table(["teams", "days", "team-days", "seconds", "team-days/s", "scheduler ms/team-day", "DB MB",
                     "violations"],
                    [[sim["teams"], sim["days"], sim["team_days"], sim["seconds"], sim["team_days_per_s"],
                      sim["scheduler_ms_per_team_day"], sim["db_mb"], sim["violations"]]]))
    rows = []
    for n in (int(x) for x in a.scale.split(",")):
        r = sweep_cost(n, a.sweeps)
        rows.append(r)
        print(f"  sweep over {n} teams: {r['sweep_s']} s", flush=True)
    out["sweep"] = rows
    print()
    print(table(["teams", "warm-up s", "sweep s", "ms/team/sweep", "CPU s/day (1440 sweeps)", "share of each minute"],
                [[r["teams"], r["warmup_s"], r["sweep_s"], r["ms_per_team"], r["cpu_s_per_day"], r["share_of_a_minute"]]
                 for r in rows]))
    if len(rows) > 1:
        growth = rows[-1]["ms_per_team"] / rows[0]["ms_per_team"]
        print(f"\nper-team sweep cost {rows[0]['teams']} → {rows[-1]['teams']} teams: ×{growth:.2f} "
              "(1.0 = linear growth of the whole sweep)")
        out["per_team_growth"] = round(growth, 2)
    print(f"wrote {write('bench_sim', out)}")


if __name__ == "__main__":
    main()
