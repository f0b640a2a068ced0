"""`sensebot content check`'s lint: what makes a model answer one a senior interviewer trusts.

The loader refuses content that cannot be used (a missing field, an unknown regulation). The
lint reads content that loads and reports what falls short of the rubric's top level, each
finding with file:line: the outline sections the case's family expects, one choice on a
prioritisation case, a Score with a baseline, a dated target and a guardrail, a closing
recommendation, and phrases repeated across so many outlines of a pack that the answers sound
like a template. Findings are warnings, so a team's older pack still loads and can be fixed
one case at a time; `content check --strict` fails on them, which is how the shipped packs
are held clean.
"""
from __future__ import annotations

import re
from collections import defaultdict
from bot.content import FAMILY_OUTLINE, Library, Outline, Problem, Prompt

# Phrases the first library leaned on in most answers; checked by name in every pack.
TEMPLATE_PHRASES = ("HMAC", "Idempotency-Key", "429", "2 quarters")
OVERUSE_SHARE = 0.25  # no phrase in more than a quarter of a pack's outlines
MIN_OUTLINES_FOR_OVERUSE = 8  # below this a pack is too small for shares to mean anything
_DATE = re.compile(r"\b(hour|day|week|month|quarter|year|Q[1-4]|H[12]|launch|GA|renewal|sprint)s?\b", re.I)
_GUARD = re.compile(r"\bguardrail\b", re.I)
_BASELINE = re.compile(r"\bbaseline\b|\bfrom (about |an assumed |the assumed )?[$€£]?\d", re.I)


class Finding(Problem):
    """A lint warning: printed like a loader problem, marked as a warning."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: warning: {self.field}: {self.message}"


def _line(p: Prompt, section: str) -> int:
    return p.outline.lines.get(section) or p.outline.lines.get("outline") or p.line


def outline_text(o: Outline) -> str:
    """Every word of a model answer, for phrase counting."""
    parts: list[str] = [*o.scope, *(f"{n} {needs}" for n, needs in o.segments), *o.phases.values(),
                        *o.tradeoffs, *o.pitfalls, *o.decision.values(), o.recommendation, o.north_star,
                        *o.options, *o.observations, *(f"{c} {k}" for c, k in o.hypotheses),
                        *(f"{k.metric} {k.target} {k.baseline}" for k in o.kpis)]
    for value in o.api.values():
        parts.extend(value if isinstance(value, tuple) else [str(value)])
    return "\n".join(parts)


def score_gaps(o: Outline) -> list[str]:
    """What the Score lacks of baseline, dated target and guardrail (empty: complete)."""
    gaps = []
    if not any(k.baseline or _BASELINE.search(f"{k.metric} {k.target}") for k in o.kpis):
        gaps.append("a baseline (or how to get one)")
    if not any(_DATE.search(k.target) for k in o.kpis if not k.guardrail):
        gaps.append("a target with a date")
    if not any(k.guardrail or _GUARD.search(f"{k.metric} {k.target}") for k in o.kpis):
        gaps.append("a guardrail")
    return gaps


def lint_prompt(p: Prompt) -> list[Finding]:
    out: list[Finding] = []
    fld = f"{p.id}.outline"
    o = p.outline
    expected = FAMILY_OUTLINE.get(p.category, ((), ()))[1]
    for key in expected:
        if not getattr(o, key):
            what = ("one choice: decision with choice, gives_up, why, would_change"
                    if key == "decision" else key)
            out.append(Finding(p.source, _line(p, "outline"), f"{fld}.{key}", f"a {p.category} outline needs {what}"))
    gaps = score_gaps(o)
    if gaps:
        out.append(Finding(p.source, _line(p, "kpis"), f"{fld}.kpis", "the Score lacks " + " and ".join(gaps)))
    if not o.recommendation:
        out.append(Finding(p.source, _line(p, "outline"), f"{fld}.recommendation",
                           "the outline should end with a recommendation and the first step"))
    return out


def phrase_overuse(prompts: list[Prompt], phrases: tuple[str, ...] = TEMPLATE_PHRASES,
                   share: float = OVERUSE_SHARE) -> list[tuple[str, int, int, Prompt]]:
    """(phrase, outlines using it, outlines, first prompt using it) for each phrase over `share`."""
    if len(prompts) < MIN_OUTLINES_FOR_OVERUSE:
        return []
    texts = [(p, outline_text(p.outline)) for p in prompts]
    out = []
    for phrase in phrases:
        pattern = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)")
        users = [p for p, text in texts if pattern.search(text)]
        if len(users) > share * len(prompts):
            out.append((phrase, len(users), len(prompts), users[0]))
    return out


def pack_of(p: Prompt) -> str:
    """The pack folder a prompt came from (shares are counted per pack)."""
    return p.source.split("/prompts/")[0] if "/prompts/" in p.source else p.source.rsplit("/", 1)[0]


def lint(lib: Library) -> list[Finding]:
    out = [f for p in lib.prompts for f in lint_prompt(p)]
    packs: dict[str, list[Prompt]] = defaultdict(list)
    for p in lib.prompts:
        packs[pack_of(p)].append(p)
    for pack, prompts in packs.items():
        for phrase, used, total, first in phrase_overuse(prompts):
            out.append(Finding(first.source, _line(first, "outline"), f"{pack}: phrase '{phrase}'",
                               f"appears in {used} of {total} outlines ({used / total:.0%}); keep it under "
                               f"{OVERUSE_SHARE:.0%} by writing what fits each case"))
    return out
