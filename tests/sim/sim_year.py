"""A simulated year: many teams in awkward time zones, seeded habits, faults and restarts, the
product's promises checked after every step (issue 18).

    PYTHONPATH=$PWD python tests/sim/sim_year.py --seed 7 --teams 30 --days 365 --faults 0.05
    PYTHONPATH=$PWD python tests/sim/sim_year.py --seed 7 --until-step 12345   # replay to a step

Every behaviour runs (issue 14's hostile ones included; `--without` leaves some out). The CI
test (`test_sim_year.py`) runs the same model, smaller. On a violation it prints the seed, the step,
the invariant and the last events, then shrinks: it re-runs with fewer teams, fewer fault kinds
and fewer behaviours while the same invariant still fails, and prints the smallest run found.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.sim.model import BEHAVIOURS, FAULTS  # noqa: E402
from tests.sim.world import START, Config, Result, World  # noqa: E402


def run(cfg: Config) -> Result:
    return World(cfg).run()


def shrink(cfg: Config, failed: Result, budget: int = 12) -> Config:
    """Smaller runs that still break the same invariant: one team, fewer days, fewer faults and
    behaviours. Greedy, and bounded by `budget` re-runs."""
    v = failed.violation
    target = v.invariant
    days = (v.at - START).days + 2  # the run need only reach the violation
    best = replace(cfg, until_step=None, days=min(cfg.days, days), quiet=True)
    tries = 0

    def still_fails(c: Config) -> bool:
        nonlocal tries
        tries += 1
        r = run(c)
        return r.violation is not None and r.violation.invariant == target

    if v.team is not None:
        c = replace(best, only_teams=(v.team,))
        if still_fails(c):
            best = c
    for kind in sorted(best.fault_kinds):
        if tries >= budget:
            break
        c = replace(best, fault_kinds=best.fault_kinds - {kind})
        if still_fails(c):
            best = c
    for b in sorted(best.behaviours):
        if tries >= budget * 3:
            break
        c = replace(best, behaviours=best.behaviours - {b})
        if still_fails(c):
            best = c
    return best


def summary(res: Result) -> str:
    c, s = res.config, res.stats
    lines = [
        f"seed {c.seed}: {len(c.only_teams) if c.only_teams else c.teams} teams × {c.days} days = {res.team_days} team-days, "
        f"{res.steps} steps in {res.seconds:.1f} s ({res.team_days / max(res.seconds, 1e-9):.1f} team-days/s; "
        f"scheduler {res.sched_seconds:.1f} s)",
        f"  inputs {s['inputs']} (refused while the database was down: {s['inputs_refused_db_down']}, lost asleep: "
        f"{s['inputs_lost_asleep']}), answers {s['answers']}, votes {s['votes']}, drills {s['drills']} "
        f"({s['drills_left_to_expire']} left to expire), chat {s['chat']} (a short answer saved after asking: {s['saved_after_asking']}), forget-me {s['forget_me']}, admin changes "
        f"{s['admin_changes']} ({s['admin_changes_elsewhere']} tried in another process), removals {s['removals']} (purged {s['teams_purged']})",
        f"  delivered {s['delivered']} messages ({s['prompts_delivered']} prompts; re-sent after a crash between "
        f"send and ack: {s['resent_after_crash']}); faults: "
        + ", ".join(f"{k} {v}" for k, v in sorted(res.faults.items()) if v),
        f"  invariant checks {s['checks']}, practice days checked {s['days_checked']}, restarts {s['restarts']}, "
        f"sweeps as leader {s['sweeps_as_leader']}; database {res.db_bytes / 1e6:.1f} MB",
    ]
    lines.append("  violations: 0" if res.violation is None else res.violation.report())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--teams", type=int, default=30)
    p.add_argument("--days", type=int, default=120)
    p.add_argument("--faults", type=float, default=0.05, help="share of sends that fail; scales the other faults")
    p.add_argument("--until-step", type=int, default=None, help="stop after this step (replay a violation)")
    p.add_argument("--db", default=None, help="a database URL (PostgreSQL); default SQLite in a temp dir")
    p.add_argument("--without", default="", help="comma-separated behaviours or fault kinds to leave out")
    p.add_argument("--only", default="", help="comma-separated team indexes to keep")
    p.add_argument("--no-shrink", action="store_true")
    a = p.parse_args(argv)
    without = {w for w in a.without.split(",") if w}
    behaviours = frozenset(BEHAVIOURS) - without
    cfg = Config(seed=a.seed, teams=a.teams, days=a.days, faults=a.faults, until_step=a.until_step, db_url=a.db,
                 behaviours=behaviours, fault_kinds=frozenset(FAULTS) - without,
                 only_teams=tuple(int(x) for x in a.only.split(",")) if a.only else None)
    res = run(cfg)
    print(summary(res))
    if res.violation is None:
        return 0
    if not a.no_shrink and a.until_step is None:
        small = shrink(cfg, res)
        kept_b = sorted(small.behaviours)
        print(f"\nshrunk: --seed {small.seed} --days {small.days} --only {','.join(map(str, small.only_teams or ()))} "
              f"faults {sorted(small.fault_kinds)}; behaviours left out: {sorted(set(BEHAVIOURS) - set(kept_b))}")
        print(summary(run(replace(small, quiet=True))))
    return 1


if __name__ == "__main__":
    sys.exit(main())
