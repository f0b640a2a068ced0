"""Rubric arithmetic: weighted scores, pass marks and per-dimension averages.

The weights come from `content/rubric.yaml` (20/20/25/20/15); the pass bar is a team
setting defaulting to the rubric's 4.3. This is the only place that multiplies weights.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.content import DIMENSIONS, Rubric
from bot.context import UserError


def check_score(dim: str, raw: object) -> int:
    """One raw form value as a 1-5 integer, or ValueError with a sentence."""
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        raise ValueError(f"Give {dim.replace('_', ' ')} a score from 1 to 5.") from None
    if not 1 <= value <= 5:
        raise ValueError(f"Scores run from 1 to 5; {dim.replace('_', ' ')} got {value}.")
    return value


def check_scores(scores: Mapping[str, object]) -> dict[str, int]:
    """Turn raw form values into five 1-5 integers, or raise ValueError with a sentence."""
    return {dim: check_score(dim, scores.get(dim)) for dim in DIMENSIONS}


def read_scores(values: Mapping[str, object]) -> dict[str, int]:
    """`check_scores` for a person's form: a bad value becomes the sentence they see."""
    try:
        return check_scores(values)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def weighted(scores: Mapping[str, float], rubric: Rubric) -> float:
    """Σ weight × score, on the same 1-5 scale as the scores."""
    return sum(d.weight * float(scores[d.id]) for d in rubric.dimensions) / 100.0


def passes(score: float, bar: float) -> bool:
    # Compare at display precision, so a 4.30 shown to people is a pass at a 4.3 bar.
    return round(score, 2) >= round(bar, 2)


def averages(votes: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Mean of each dimension over the given score sets (empty dict when there are none)."""
    rows = list(votes)
    if not rows:
        return {}
    return {dim: sum(float(r[dim]) for r in rows) / len(rows) for dim in DIMENSIONS}


def weakest(avg: Mapping[str, float], rubric: Rubric) -> str | None:
    """The dimension with the lowest average; ties go to the heavier-weighted one."""
    if not avg:
        return None
    return min(rubric.dimensions, key=lambda d: (avg[d.id], -d.weight)).id
