"""Benchmark: how well and how fast the coach reads answers (issue 13's table, in one run).

Reads the labelled evaluation set (tests/core/coach/eval_set.yaml), every model outline (as a
form and as free text), every eval case's answer-set against every other case's outline, and
the rubric's reference answers; prints each measure against its target, with the held-out
cases' figures on their own. Latency is per answer on one core (the process is pinned to one
CPU where the platform allows); memory is the resident size added by loading the coach and
reading the whole set, over a process that has already loaded the bot and its content.

    PYTHONPATH=. python tests/bench/bench_coach.py
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench._common import percentile, table  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return int(next(line for line in f if line.startswith("VmRSS")).split()[1]) / 1024


def spearman(xs: list[float], ys: list[float]) -> float:
    def ranks(v: list[float]) -> list[float]:
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        for pos, i in enumerate(order):
            r[i] = pos + 1.0
        return r
    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    return 1 - 6 * sum((a - b) ** 2 for a, b in zip(rx, ry)) / (n * (n * n - 1))


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    import bot.app  # noqa: F401  the bot as it runs, so memory counts only what the coach adds
    from bot import content
    from bot.rounds import outline_text
    lib = content.load()
    before = rss_mb()
    from bot import coach
    from tests.core.coach import evalset
    t0 = time.perf_counter()
    coach.read(lib.prompts[0], {}, outline_text(lib.prompts[0]), lib)
    load_s = time.perf_counter() - t0
    times: list[float] = []
    cpu: list[float] = []

    def read(prompt, sections, text):
        t, c = time.perf_counter(), time.process_time()
        r = coach.read(prompt, sections, text, lib)
        times.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        return r

    # Model outlines, as form and as free text, for every case.
    outline_missing = sum(bool(read(p, evalset.outline_form(p), "").missing) + bool(read(p, {}, outline_text(p)).missing)
                          for p in lib.prompts)
    data = evalset.load()
    rows = []
    for held in (False, True):
        cases = [c for c in data["cases"] if bool(c.get("held_out")) == held]
        ids = {c["id"] for c in cases}
        own = sum(read(lib.prompt(i), evalset.outline_form(lib.prompt(i)), "").on_topic for i in ids)
        pairs = flagged = 0
        for i in ids:
            for other in lib.prompts:
                if other.id != i:
                    pairs += 1
                    flagged += not read(lib.prompt(i), {}, outline_text(other)).on_topic
        got = {(a.case, a.kind): read(lib.prompt(a.case), a.sections, a.text)
               for a in evalset.answers(data) if a.case in ids}
        stuffed = [r for (c, k), r in got.items() if k in ("stuffing", "gibberish", "other-domain")]
        foreign = [r for (c, k), r in got.items() if k == "foreign"]
        ranked = total = 0
        for i in ids:
            s = {k: got[(i, k)].strength for k in ("excellent", "mid", "weak")}
            for hi, lo in (("excellent", "mid"), ("mid", "weak"), ("excellent", "weak")):
                total += 1
                ranked += s[hi] > s[lo]
        excellent_ok = sum(not got[(i, k)].missing and got[(i, k)].complete for i in ids for k in ("excellent", "prose"))
        label = "held out" if held else "tuned"
        rows += [
            [f"[{label}] own outline on topic", f"{own}/{len(ids)}", "100%"],
            [f"[{label}] another case's outline flagged off-topic", f"{flagged}/{pairs} ({flagged / pairs:.1%})", ">= 95%"],
            [f"[{label}] stuffing, gibberish, other domain judged complete", f"{sum(r.complete for r in stuffed)}/{len(stuffed)}", "0"],
            [f"[{label}] other language nudged as if English", f"{sum(r.judgeable for r in foreign)}/{len(foreign)}", "0"],
            [f"[{label}] pairs ranked right (excellent > mid > weak)", f"{ranked}/{total} ({ranked / total:.0%})", ">= 90%"],
            [f"[{label}] excellent, as form and as prose: complete, nothing missing", f"{excellent_ok}/{2 * len(ids)}", "all"],
        ]
    # Every case against every other case's outline (the relevance decision alone, embeddings computed once).
    from bot.coach import model, relevance
    texts = [outline_text(p) for p in lib.prompts]
    vecs = model.embed(texts)
    words = [len(t.split()) for t in texts]
    all_pairs = sum(not relevance.judge(vecs[j], p, lib, words[j]).on_topic
                    for i, p in enumerate(lib.prompts) for j in range(len(lib.prompts)) if i != j)
    n_all = len(lib.prompts) * (len(lib.prompts) - 1)
    rows.append(["[all cases] another case's outline flagged off-topic", f"{all_pairs}/{n_all} ({all_pairs / n_all:.1%})", ">= 95%"])
    weights = {d.id: d.weight for d in lib.rubric.dimensions}
    strengths, rubric = [], []
    # Each reference answer against its own case, in a library of the four (as `reference_cases`
    # intends): in the full library one of them has a near-twin case, which is not what is measured.
    ref_lib, ref_prompts = evalset.reference_cases(lib)
    for ref, prompt in zip(lib.rubric.reference_answers, ref_prompts):
        strengths.append(coach.read(prompt, ref.answer, "", ref_lib).strength)
        rubric.append(sum(ref.scores[k] * weights[k] for k in ref.scores) / 100)
    added = rss_mb() - before
    rows = [["model outlines (form + free text) with any missing line", f"{outline_missing} of {2 * len(lib.prompts)}", "0"],
            *rows,
            ["rubric reference answers: Spearman(strength, weighted score)",
             f"{spearman(strengths, rubric):.2f} ({', '.join(f'{s:.2f}' for s in strengths)} vs {rubric})", ">= 0.8"],
            ["latency per answer, p50 / p99, one core (wall clock)", f"{percentile(times, 50):.2f} / {percentile(times, 99):.2f} ms "
             f"({len(times)} reads)", "p99 <= 25 ms"],
            ["CPU time per answer, p50 / p99 (what a busy machine can't inflate)",
             f"{percentile(cpu, 50):.2f} / {percentile(cpu, 99):.2f} ms", ""],
            ["load average while measuring", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", ""],
            ["first read (model load + library index)", f"{load_s:.2f} s", ""],
            ["added resident memory once loaded", f"{added:.0f} MB", "<= 80 MB"]]
    print(table(["measure", "figure", "target"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
