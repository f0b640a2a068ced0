"""Benchmark: web page render time on the latency benchmark's database.

Builds the same database as `bench_latency.py` (1,000 teams, 20,000 members, 200,000 answers,
1,000,000 votes at --scale 1.0; its `populate`), then renders pages through Flask's test client
as a signed-in member of a random team: team home, archive page, a closed round's page and my
progress. Prints p50/p99 per page (target p99 <= 100 ms) and writes JSON. The floor (a page that
reads no database) shows what the machine's load adds to every row. The render includes
routing, the session cookie, the core's reads and the Jinja2 template: everything but the socket.

    python tests/bench/bench_web.py [--scale 1.0] [--samples 200]
"""
from __future__ import annotations

import random
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlmodel import select

from adapters.web.app import create_app
from bot import config, content
from bot.app import App
from bot.clock import ManualClock
from bot.practice import Practice
from bot.store.db import Database
from bot.store.models import Round, Team
from tests.bench._common import database_main, percentile
from tests.bench.bench_latency import NOW, populate

TARGET_MS = 100


def measure(db: Database, label: str, scale: float, samples: int) -> tuple[list[list], dict]:
    library = content.load()
    rng = random.Random(42)
    counts = populate(db, [p.id for p in library.prompts], scale, rng)
    print(f"{label}: built {counts}", file=sys.stderr)
    practice = Practice(db, ManualClock(NOW), library)
    app = App(replace(config.load({}), database_url=str(db.engine.url)), db, library, practice)
    web = create_app(app)
    client = web.test_client()
    with db.session() as s:
        teams = {tid: ws for tid, ws in s.exec(select(Team.id, Team.workspace_id).where(Team.platform == "bench"))}
        closed = {}
        for rid, tid in s.exec(select(Round.id, Round.team_id).where(Round.phase == "closed")):
            closed.setdefault(tid, []).append(rid)
    pages = {
        "floor: the sign-in page (no database)": lambda t: "/signin",
        "team home": lambda t: f"/t/{t}",
        "archive page": lambda t: f"/t/{t}/archive",
        "round page (20 answers, 100 votes)": lambda t: f"/t/{t}/rounds/{rng.choice(closed[t])}",
        "my progress": lambda t: f"/t/{t}/me/progress",
    }
    rows = []
    ids = list(teams)
    for name, path in pages.items():
        times = []
        for i in range(samples + 5):
            team = rng.choice(ids)
            with client.session_transaction() as sess:
                sess["ids"] = [{"p": "bench", "w": teams[team], "u": f"U{rng.randrange(20)}", "n": "Bench", "a": False}]
            url = path(team)
            t0 = time.perf_counter()
            resp = client.get(url)
            elapsed = (time.perf_counter() - t0) * 1000
            assert resp.status_code == 200, (url, resp.status_code)  # the floor: no sign-in offered, still 200
            if i >= 5:  # the first few warm the template cache
                times.append(elapsed)
        rows.append([label, name, len(times), percentile(times, 50), percentile(times, 99), TARGET_MS])
    return rows, counts


def main() -> int:
    return database_main("web", __doc__.splitlines()[0], measure,
                         ["database", "page", "n", "p50 ms", "p99 ms", "target p99 ms"], samples=200)


if __name__ == "__main__":
    sys.exit(main())
