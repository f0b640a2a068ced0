"""Split an answer into its four steps: by field, by heading, or by meaning.

A structured answer is read per field. Free text is split at Scope/Segment/Solve/Score (or
their everyday names: Problem, Users, Solution, KPIs...) when the writer used headings; when
they didn't (bullets, prose), each sentence or bullet goes to the step it reads most like:
the surface signs a reader uses (a V1, an endpoint, a percentage with a date, a role with a
need) weighed with how close it sits in meaning to a short description of each step.
"""
from __future__ import annotations

import re

import numpy as np

from bot.coach import model, patterns
from bot.content import STEPS

_HEADINGS = {
    "scope": r"scope|problem|context|goal|goals|assumptions?|framing|objective|clarif\w*|situation",
    "segment": r"segments?|users?|personas?|audience|customers|who|stakeholders",
    "solve": r"solve|solution|phases?|plan|roadmap|api|design|build|trade-?offs?|approach|product|recommendation|mvp|"
             r"hypothes[ie]s|north[- ]star|options|decision|what works",
    "score": r"score|kpis?|metrics?|success|measure\w*|guardrails?|baselines?|targets?|outcomes?",
    "other": r"pitfalls?|risks?|notes?|open questions|next steps",
}
_HEADING = re.compile(
    r"^[\s>#*_\-•]*(?:step\s*\d\s*[:.—–-]?\s*)?(?:\d[.)]\s*)?(?P<word>" + "|".join(_HEADINGS.values()) + r")\b"
    r"(?P<rest>[^\n:—–]{0,24}?)[*_]*\s*(?:[:—–]|\s-\s|$)",
    re.IGNORECASE | re.MULTILINE,
)
_LABELLED = re.compile(r"(?:hypothes[ie]s|north[- ]star|options|decision|what works)\b", re.IGNORECASE)
_KIND = {step: re.compile(rf"^(?:{rx})$", re.IGNORECASE) for step, rx in _HEADINGS.items()}
_SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[\"'(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^\s*(?:[-*•·▪]|\d+[.)])\s+", re.MULTILINE)

# What each step is about, in a reader's words: the meaning half of the per-sentence choice.
_DESCRIPTIONS = {
    "scope": ["I'll focus on this user in this environment; assume the problem is this; the goal is to raise "
              "this number by a date; out of scope and constraints I assume.",
              "The problem today is that customers fail here; my assumption about the context and the business objective."],
    "segment": ["The developer needs clear errors; the security lead cares about control; the business owner wants "
                "predictable cost; their needs conflict and I serve this persona first.",
                "Personas and segments: who the users are and what each of them needs."],
    "solve": ["V1 ships the smallest useful version, V2 scales it, V3 adds enterprise controls; the API is POST "
              "/v1/resource with parameters, a response and status codes, webhooks and retries.",
              "I would build this feature first, then that one; I prioritise this option and give up that one.",
              "Hypotheses for the cause and how to check each; the options, the one I choose and what it gives up; "
              "the north-star metric and its inputs; what works and what does not."],
    "score": ["KPIs: the primary metric moves from a baseline to a target within two quarters, a supporting "
              "metric, and a guardrail that must not get worse.",
              "Success is measured by the conversion rate, latency and tickets, with targets and dates."],
}
_protos: np.ndarray | None = None


def _prototypes() -> np.ndarray:
    global _protos
    if _protos is None:
        vecs = model.embed([" ".join(_DESCRIPTIONS[s]) for s in STEPS])
        _protos = vecs
    return _protos


def units(text: str) -> list[str]:
    """Sentences and bullets, in order, each at least a few characters long."""
    out: list[str] = []
    for line in _BULLET.sub("\n", text).splitlines():
        for piece in _SENTENCE.split(line.strip()):
            piece = piece.strip()
            if len(piece) > 2:
                out.append(piece)
    return out


def by_headings(text: str) -> tuple[dict[str, str], str] | None:
    """{step: text} when the text names at least two distinct steps as headings, plus any
    preamble before the first heading; None when it doesn't read as headed."""
    marks = []
    for m in _HEADING.finditer(text):
        kind = next((k for k, rx in _KIND.items() if rx.match(m.group("word"))), None)
        if kind:
            marks.append((m.start(), m.end(), kind))
    if len({k for *_, k in marks if k != "other"}) < 2:
        return None
    parts = {s: "" for s in STEPS}
    for i, (start, end, kind) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        if kind != "other":
            # A heading that names a part of the answer ("Hypotheses:", "North star:") is kept:
            # it is what says the part is there.
            label = text[start:end].strip(" \t\n>#*_-•") + " " if _LABELLED.match(text[start:end].strip(" \t\n>#*_-•")) else ""
            parts[kind] = (parts[kind] + "\n" + label + text[end:stop].strip()).strip()
    return parts, text[:marks[0][0]].strip()


def classify(pieces: list[str]) -> list[str]:
    """The step each unit reads most like (surface signs first, meaning to break ties)."""
    if not pieces:
        return []
    sims = model.embed(pieces) @ _prototypes().T
    kinds: list[str] = []
    for piece, sim in zip(pieces, sims):
        signs = patterns.step_signs(piece)
        scores = {s: float(sim[i]) + 0.12 * signs[s] for i, s in enumerate(STEPS)}
        ranked = sorted(scores, key=scores.get, reverse=True)
        best = ranked[0]
        if kinds and scores[best] - scores[kinds[-1]] < 0.03:
            best = kinds[-1]  # a close call stays with the step the writer was already on
        kinds.append(best)
    return kinds


def split(sections: dict[str, str], free_text: str) -> tuple[dict[str, str], list[tuple[str, str]], str]:
    """({step: text}, [(step, unit) in writing order], how it was read: form | headings | meaning)."""
    parts = {s: (sections.get(s) or "").strip() for s in STEPS}
    free_text = (free_text or "").strip()
    if any(parts.values()):
        mode = "form"
        if free_text:  # a thread reply added to a form answer: its units join the steps they read like
            extra = units(free_text)
            for kind, piece in zip(classify(extra), extra):
                parts[kind] = (parts[kind] + "\n" + piece).strip()
        order = [(s, u) for s in STEPS for u in units(parts[s])]
        return parts, order, mode
    headed = by_headings(free_text)
    if headed is not None:
        parts, preamble = headed
        pre = units(preamble)
        order = list(zip(classify(pre), pre))
        for kind, piece in order:
            parts[kind] = (piece + "\n" + parts[kind]).strip()
        order += [(s, u) for s in _heading_order(free_text) for u in units(parts[s]) if (s, u) not in order]
        return parts, order, "headings"
    pieces = units(free_text)
    kinds = classify(pieces)
    for kind, piece in zip(kinds, pieces):
        parts[kind] = (parts[kind] + "\n" + piece).strip()
    return parts, list(zip(kinds, pieces)), "meaning"


def _heading_order(text: str) -> list[str]:
    seen: list[str] = []
    for m in _HEADING.finditer(text):
        kind = next((k for k, rx in _KIND.items() if rx.match(m.group("word"))), None)
        if kind and kind != "other" and kind not in seen:
            seen.append(kind)
    return seen + [s for s in STEPS if s not in seen]
