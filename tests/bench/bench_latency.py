"""Benchmark 2: interaction latency of the core on a large database.

Builds 1,000 teams, 20,000 members, 200,000 answers and 1,000,000 votes (scale with
--scale), then times `Practice.handle` for starting a drill, submitting an answer,
casting a vote, a leaderboard and a streak (p50/p99, target p99 <= 20 ms), and a
round's results with 50 answers x 20 votes (target <= 50 ms). Runs on SQLite and, when
SENSEBOT_TEST_POSTGRES_URL is set, on PostgreSQL. Prints a table and writes JSON.

    python tests/bench/bench_latency.py [--scale 1.0] [--samples 300]
"""
from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import insert
from sqlmodel import select

from bot import (
    content,
    results,
)
from bot.clock import ManualClock
from bot.content import DIMENSIONS
from bot.context import Ctx
from bot.events import Command, FormSubmitted, Who
from bot.practice import Practice
from bot.store.db import Database
from bot.store.models import Answer, Member, PracticeDay, Round, Team, Vote
from tests.bench._common import database_main, percentile

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


def populate(db: Database, prompts: list[str], scale: float, rng: random.Random) -> dict:
    teams, members_per, rounds_per, voters_per = int(1000 * scale), 20, 10, 5
    t0 = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(insert(Team), [dict(platform="bench", workspace_id=f"W{t}", channel_id="C", timezone="UTC",
                                         weekdays="mon,tue,wed,thu,fri,sat,sun", skip_dates=[], packs=[],
                                         nudge_minutes=[30, 90, 180, 270], created_at=NOW, paused=False,
                                         reveal="deadline", pass_bar=4.3, reminder_minutes=360, answer_minutes=480,
                                         vote_minutes=1380, grace_minutes=120, digest_weekday=4, digest_time="16:00",
                                         min_votes=2, name="") for t in range(teams)])
        team_ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM teams ORDER BY id")]
        conn.execute(insert(Member), [dict(team_id=tid, user_id=f"U{m}", display_name=f"Member {m}", created_at=NOW,
                                           reminders=True, quiet_start="21:00", quiet_end="08:00",
                                           leaderboard_opt_out=False, leniency=(m % 7 - 3) / 10)  # as a closed round stores it
                                      for tid in team_ids for m in range(members_per)])
        members = {}
        for mid, tid in conn.exec_driver_sql("SELECT id, team_id FROM members"):
            members.setdefault(tid, []).append(mid)
        # rounds on the last N days (all closed but today's, which is in voting)
        conn.execute(insert(Round), [dict(team_id=tid, local_date=TODAY - timedelta(days=d), prompt_id=rng.choice(prompts),
                                          phase="voting" if d == 0 else "closed", opened_at=NOW - timedelta(days=d, hours=1),
                                          answer_deadline=NOW - timedelta(days=d, minutes=5),
                                          vote_deadline=NOW + timedelta(days=1 - d), channel_id="C")
                                     for tid in team_ids for d in range(rounds_per)])
        rounds = {}
        for rid, tid in conn.exec_driver_sql("SELECT id, team_id FROM rounds"):
            rounds.setdefault(tid, []).append(rid)
        text = "I assume developers integrating the API; the goal is fewer failures by 20% in two quarters. " * 3
        answers = [dict(team_id=tid, round_id=rid, member_id=mid, scope=text, segment=text, solve=text, score=text,
                        free_text="", source="form", created_at=NOW, updated_at=NOW)
                   for tid in team_ids for rid in rounds[tid] for mid in members[tid]]
        for i in range(0, len(answers), 20000):
            conn.execute(insert(Answer), answers[i:i + 20000])
        by_round: dict[int, list[tuple[int, int]]] = {}
        for aid, rid, mid in conn.exec_driver_sql("SELECT id, round_id, member_id FROM answers"):
            by_round.setdefault(rid, []).append((aid, mid))
        member_team = {m: t for t, ms in members.items() for m in ms}
        batch = []
        for rid, ans in by_round.items():
            tid = member_team[ans[0][1]]
            for aid, author in ans:
                others = [m for m in members[tid] if m != author]
                for voter in rng.sample(others, voters_per):
                    batch.append(dict(team_id=tid, answer_id=aid, voter_id=voter, comment="", created_at=NOW,
                                      **{d: rng.randint(2, 5) for d in DIMENSIONS}))
                if len(batch) >= 50000:
                    conn.execute(insert(Vote), batch)
                    batch = []
        if batch:
            conn.execute(insert(Vote), batch)
        conn.execute(insert(PracticeDay), [dict(team_id=member_team[m], member_id=m, local_date=TODAY - timedelta(days=d),
                                                source="round") for m in member_team for d in range(1, rounds_per)])
    counts = {}
    with db.engine.connect() as conn:
        for name in ("teams", "members", "answers", "votes"):
            counts[name] = conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar()
    counts["seconds_to_build"] = round(time.perf_counter() - t0, 1)
    return counts


def big_round(db: Database, practice: Practice, rng: random.Random) -> int:
    """A round with 50 answers and 20 votes each, in a team of its own."""
    with db.transaction() as s:
        team = Team(platform="bench", workspace_id="BIG", channel_id="C", timezone="UTC", created_at=NOW)
        s.add(team)
        s.flush()
        ms = [Member(team_id=team.id, user_id=f"B{i}", display_name=f"B{i}", created_at=NOW) for i in range(70)]
        s.add_all(ms)
        s.flush()
        rnd = Round(team_id=team.id, local_date=TODAY, prompt_id=practice.library.prompts[0].id, phase="voting",
                    opened_at=NOW, answer_deadline=NOW, vote_deadline=NOW + timedelta(hours=5), channel_id="C")
        s.add(rnd)
        s.flush()
        for author in ms[:50]:
            a = Answer(team_id=team.id, round_id=rnd.id, member_id=author.id, scope="x", created_at=NOW, updated_at=NOW)
            s.add(a)
            s.flush()
            for voter in rng.sample([m for m in ms if m.id != author.id], 20):
                s.add(Vote(team_id=team.id, answer_id=a.id, voter_id=voter.id, created_at=NOW,
                           **{d: rng.randint(1, 5) for d in DIMENSIONS}))
        return team.id, rnd.id


def measure(db: Database, label: str, scale: float, samples: int) -> list[list]:
    library = content.load()
    rng = random.Random(42)
    counts = populate(db, [p.id for p in library.prompts], scale, rng)
    print(f"{label}: built {counts}", file=sys.stderr)
    clock = ManualClock(NOW)
    practice = Practice(db, clock, library)
    teams = int(1000 * scale)
    with db.session() as s:
        voting = {tid: rid for rid, tid in s.exec(select(Round.id, Round.team_id).where(Round.phase == "voting"))}
        answers_in = {}
        for aid, rid, mid in s.exec(select(Answer.id, Answer.round_id, Member.user_id).join(Member, Member.id == Answer.member_id)
                                    .where(Answer.round_id.in_(list(voting.values())[:samples]))):
            answers_in.setdefault(rid, []).append((aid, mid))

    def who(t: int, m: int) -> Who:
        return Who("bench", f"W{t}", f"U{m}", f"Member {m}")

    ops = {
        "start a drill": lambda i: Command(who(i % teams, i % 20), "drill", ()),
        "streak": lambda i: Command(who(i % teams, i % 20), "streak", ()),
        "leaderboard": lambda i: Command(who(i % teams, i % 20), "leaderboard", ("month",)),
    }
    rows = []
    for name, make in ops.items():
        times = []
        for i in range(samples):
            event = make(rng.randrange(10**6))
            t = time.perf_counter()
            practice.handle(event)
            times.append((time.perf_counter() - t) * 1000)
        rows.append([label, name, samples, percentile(times, 50), percentile(times, 99), 20])
    # answers go to an answering round: open one per sampled team
    with db.transaction() as s:
        for t in range(min(samples, teams)):
            tid = s.exec(select(Team.id).where(Team.workspace_id == f"W{t}")).one()
            s.add(Round(team_id=tid, local_date=TODAY + timedelta(days=1), prompt_id=library.prompts[0].id,
                        phase="answering", opened_at=NOW, answer_deadline=NOW + timedelta(hours=6),
                        vote_deadline=NOW + timedelta(hours=20), channel_id="C"))
    text = {"scope": "I assume developers on the messaging API; goal: halve failures within 2 quarters.",
            "segment": "Developers need error codes; IT/security leads need audit logs.",
            "solve": "V1 webhook, V2 console analytics, V3 enterprise. API: GET /v1/messages/{sid}/events.",
            "score": "KPIs: time to diagnose under 5 minutes in 2 quarters; tickets down 30%."}
    with db.session() as s:
        open_rounds = {tid: rid for rid, tid in s.exec(select(Round.id, Round.team_id).where(Round.phase == "answering"))}
        tid_of = {wid: tid for tid, wid in s.exec(select(Team.id, Team.workspace_id))}
    times = []
    for i in range(samples):
        t_idx = i % min(samples, teams)
        event = FormSubmitted(who(t_idx, i % 20), "answer", text, {"round_id": str(open_rounds[tid_of[f'W{t_idx}']])})
        t = time.perf_counter()
        reply = practice.handle(event)
        times.append((time.perf_counter() - t) * 1000)
        assert "Answer" in reply.plain(), reply.plain()
    rows.append([label, "submit an answer", samples, percentile(times, 50), percentile(times, 99), 20])
    times = []
    sampled = list(answers_in.items())
    for i in range(samples):
        rid, ans = sampled[i % len(sampled)]
        aid, author = ans[rng.randrange(len(ans))]
        tid = next(t for t, r in voting.items() if r == rid)
        wid = next(w for w, t in tid_of.items() if t == tid)
        voter = next(f"U{m}" for m in range(20) if f"U{m}" != author)
        event = FormSubmitted(Who("bench", wid, voter, voter), "vote", {d: "4" for d in DIMENSIONS}, {"answer_id": str(aid)})
        t = time.perf_counter()
        reply = practice.handle(event)
        times.append((time.perf_counter() - t) * 1000)
        assert "Vote" in reply.plain(), reply.plain()
    rows.append([label, "cast a vote", samples, percentile(times, 50), percentile(times, 99), 20])
    team_id, round_id = big_round(db, practice, rng)
    times = []
    for _ in range(max(20, samples // 5)):
        t = time.perf_counter()
        with db.session() as s:
            res = results.compute(Ctx(s, clock, library), s.get(Team, team_id), s.get(Round, round_id), library.rubric)
        times.append((time.perf_counter() - t) * 1000)
        assert len(res.entries) == 50 and res.votes == 1000
    rows.append([label, "results: 50 answers x 20 votes", len(times), percentile(times, 50), percentile(times, 99), 50])
    return rows, counts


def main() -> int:
    return database_main("latency", __doc__.splitlines()[0], measure,
                         ["database", "operation", "n", "p50 ms", "p99 ms", "target p99 ms"], samples=300)


if __name__ == "__main__":
    sys.exit(main())
