"""`sensebot content stats`: what the library holds, and prompts that read alike.

Near-duplicates are found with word-trigram Jaccard similarity of title and case text,
a cheap, explainable measure: two prompts sharing most of their phrasing are flagged
for an editor to look at, not rejected.
"""
from __future__ import annotations

import re
from collections import Counter
from itertools import combinations

from bot.content import AREAS, CATEGORIES, DIFFICULTIES, Library, Prompt

SIMILAR = 0.35
_WORD = re.compile(r"[a-z0-9]+")


def shingles(p: Prompt, n: int = 3) -> set[tuple[str, ...]]:
    words = _WORD.findall(f"{p.title} {p.text}".lower())
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def near_duplicates(prompts: tuple[Prompt, ...], threshold: float = SIMILAR) -> list[tuple[float, str, str]]:
    sh = {p.id: shingles(p) for p in prompts}
    out = []
    for a, b in combinations(prompts, 2):
        x, y = sh[a.id], sh[b.id]
        score = len(x & y) / len(x | y) if x | y else 0.0
        if score >= threshold:
            out.append((score, a.id, b.id))
    return sorted(out, reverse=True)


def _table(title: str, counts: Counter, order) -> list[str]:
    lines = [title]
    for key in order:
        lines.append(f"  {key:<22} {counts.get(key, 0):>4}")
    return lines


def _spread(prompts: tuple[Prompt, ...]) -> list[str]:
    """Family × area: each family should reach every area, so a team that picks one family
    still practises across the product."""
    cells = Counter((p.category, p.area) for p in prompts)
    families = [c for c in CATEGORIES if any(f == c for f, _ in cells)]
    lines = ["Families by area (" + ", ".join(f[:4] for f in families) + ")"]
    for area in AREAS:
        lines.append(f"  {area:<22} " + " ".join(f"{cells.get((f, area), 0):>4}" for f in families))
    return lines


def report(lib: Library) -> str:
    prompts = lib.prompts
    lines = [f"{len(prompts)} prompts, {len(lib.drills)} drills, {len(lib.rubric.reference_answers)} reference answers", ""]
    lines += _table("By family", Counter(p.category for p in prompts), CATEGORIES)
    lines += _spread(prompts)
    lines += _table("By area", Counter(p.area for p in prompts), AREAS)
    lines += _table("By difficulty", Counter(p.difficulty for p in prompts), DIFFICULTIES)
    roles = Counter(per.role for p in prompts for per in p.personas)
    lines += _table("By persona", roles, sorted(roles))
    interviewers = Counter(p.interviewer_role or "(none)" for p in prompts)
    lines += _table("By interviewer role", interviewers, sorted(interviewers))
    skills = Counter(d.skill for d in lib.drills)
    lines += _table("Drills by skill", skills, sorted(skills))
    dups = near_duplicates(prompts)
    lines.append("")
    lines.append(f"Near-duplicate prompts (similarity ≥ {SIMILAR}): {len(dups) or 'none'}")
    for score, a, b in dups[:30]:
        lines.append(f"  {score:.2f}  {a}  ~  {b}")
    return "\n".join(lines)
