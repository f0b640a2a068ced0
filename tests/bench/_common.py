"""Shared helpers for the benchmark scripts: percentiles, a table printer, JSON output, machine info."""
from __future__ import annotations

import json
import os
import platform
import statistics
from pathlib import Path

RESULTS = Path(__file__).with_name("results")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def machine() -> dict:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine()}


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [[f"{c:.2f}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **data}, indent=2))
    return path


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def error_lines(log) -> list[str]:
    """The ERROR and Traceback lines of a server's captured log file (rewound first)."""
    log.seek(0)
    return [line for line in log.read().splitlines() if " ERROR " in line or "Traceback" in line]


def each_database(measure, scale: float, samples: int, *, show=None) -> tuple[list[list], dict]:
    """Run `measure(db, label, scale, samples) -> (rows, built)` on a fresh SQLite file and, when
    SENSEBOT_TEST_POSTGRES_URL is set, on PostgreSQL; `show(rows)` as each database finishes."""
    import tempfile

    from bot.store.db import Database
    all_rows, built = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.db'}")
        db.upgrade()
        rows, built["sqlite"] = measure(db, "sqlite", scale, samples)
        all_rows += rows
        db.dispose()
        if show:
            show(rows)
    pg = os.environ.get("SENSEBOT_TEST_POSTGRES_URL")
    if pg:
        from tests.conftest import fresh_postgres
        db = fresh_postgres(pg)
        rows, built["postgres"] = measure(db, "postgres", scale, samples)
        all_rows += rows
        db.dispose()
    return all_rows, built


def database_main(name: str, description: str, measure, headers: list[str], samples: int) -> int:
    """The command line of a benchmark that runs `measure` on each database (see `each_database`):
    `--scale` and `--samples`, a table on stdout (and on stderr as each database finishes, so a long
    PostgreSQL build doesn't hide the SQLite rows), and the rows as JSON under results/NAME.json."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--scale", type=float, default=1.0, help="1.0 = 1,000 teams / 1,000,000 votes")
    ap.add_argument("--samples", type=int, default=samples)
    args = ap.parse_args()
    all_rows, built = each_database(measure, args.scale, args.samples,
                                    show=lambda rows: print(table(headers, rows), file=sys.stderr, flush=True))
    print(table(headers, all_rows))
    path = write(name, {"scale": args.scale, "built": built,
                        "rows": [dict(zip(headers, r, strict=False)) for r in all_rows]})
    print(f"\nwrote {path}")
    return 0
