"""4S coverage analysis and the nudges that tell a person what their answer is missing.

Deterministic and explainable: no network, no model. A step counts as covered when its
text holds at least `MIN_CUES` of the step's cue words from `content/frameworks.yaml`
(structured answers are judged per field, free text as a whole). The mistake checks are
the ones the design lists: solution before framing, no developer experience, no
security/compliance on an enterprise case, vague metrics, no phases, impossible timelines.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from bot.content import STEPS, Frameworks, Prompt

MIN_CUES = 2
MIN_WORDS = 4
_NUMBER = re.compile(r"\d")
_TIMELINE = re.compile(
    r"\b(?:in|within|by)\s+(?:(?:a|one|two|three|four|\d{1,2})\s+(?:days?|weeks?|sprints?)"
    r"|(?:a|one|two|three|1|2|3)\s+months?)\b",
    re.IGNORECASE,
)
_BIG_SCOPE = re.compile(r"\b(ai|ml|machine learning|fraud|enterprise|global|every|all customers|platform-wide|full)\b", re.IGNORECASE)


@lru_cache(maxsize=512)
def _cue_pattern(cue: str) -> re.Pattern[str]:
    escaped = re.escape(cue)
    left = r"\b" if cue[:1].isalnum() else ""
    right = r"(?:s|es)?\b" if cue[-1:].isalnum() else ""  # plurals count: "developers"
    return re.compile(left + escaped + right, re.IGNORECASE)


def find_cues(text: str, cues: tuple[str, ...]) -> list[str]:
    """The cues present in `text`, in the order they first appear."""
    hits = [(m.start(), c) for c in cues if (m := _cue_pattern(c).search(text))]
    return [c for _, c in sorted(hits)]


def first_position(text: str, cues: tuple[str, ...]) -> int | None:
    positions = [m.start() for c in cues if (m := _cue_pattern(c).search(text))]
    return min(positions) if positions else None


@dataclass
class Coverage:
    covered: dict[str, bool]
    nudges: list[str] = field(default_factory=list)
    mistakes: list[str] = field(default_factory=list)
    personas: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(self.covered.values()) and not self.mistakes

    def summary(self) -> str:
        marks = "  ".join(f"{'✓' if ok else '✗'} {s.capitalize()}" for s, ok in self.covered.items())
        return marks


def _words(text: str) -> int:
    return len(text.split())


def analyze(sections: dict[str, str], free_text: str, prompt: Prompt | None, fw: Frameworks) -> Coverage:
    """Judge an answer: per-step coverage, persona count, mistakes, and the nudge list."""
    sections = {s: (sections.get(s) or "").strip() for s in STEPS}
    free_text = (free_text or "").strip()
    structured = any(sections.values())
    whole = "\n".join([*sections.values(), free_text]).strip()

    def text_for(step: str) -> str:
        return sections[step] if structured and sections[step] else (whole if not structured else "")

    covered: dict[str, bool] = {}
    for step in fw.four_s:
        text = text_for(step.id)
        cues = find_cues(text, step.cues)
        threshold = 1 if structured else MIN_CUES
        covered[step.id] = _words(text) >= MIN_WORDS and len(cues) >= threshold
    cov = Coverage(covered=covered)

    persona_text = text_for("segment") or whole
    cov.personas = [role for role, cues in fw.personas.items() if find_cues(persona_text, cues)]

    for step in fw.four_s:
        if not covered[step.id]:
            hint = prompt.hints.get(step.id, ()) if prompt else ()
            extra = f" Ask yourself: {hint[0]}" if hint else ""
            cov.nudges.append(f"{step.name}: {step.nudge}{extra}")
    if covered["segment"] and len(cov.personas) < 2:
        only = cov.personas[0].replace("-", " ") if cov.personas else "one group"
        cov.nudges.append(
            f"Segment: you name only {only} — add a second persona (developer, IT/security lead or "
            "business decision-maker) and what they need."
        )
    if not whole:
        return cov

    m = fw.mistakes
    scope_cues, solve_cues = fw.step("scope").cues, fw.step("solve").cues
    if structured:
        solution_first = bool(sections["solve"]) and not covered["scope"]
    else:
        first_solve, first_scope = first_position(whole, solve_cues), first_position(whole, scope_cues)
        solution_first = first_solve is not None and (first_scope is None or first_solve < first_scope)
    if solution_first and "solution_first" in m:
        cov.mistakes.append(m["solution_first"].message)
    if "no_devex" in m and not find_cues(whole, m["no_devex"].cues):
        cov.mistakes.append(m["no_devex"].message)
    if prompt is not None and prompt.enterprise and "no_compliance" in m and not find_cues(whole, m["no_compliance"].cues):
        cov.mistakes.append(m["no_compliance"].message)
    score_text = sections["score"] if structured else whole
    if "vague_metrics" in m and score_text and not _NUMBER.search(score_text):
        vague = find_cues(score_text, m["vague_metrics"].cues)
        if vague:
            cov.mistakes.append(m["vague_metrics"].message.format(phrase=_phrase(score_text, vague[0])))
    if "no_phases" in m and (covered["solve"] or sections["solve"]) and not find_cues(whole, m["no_phases"].cues):
        cov.mistakes.append(m["no_phases"].message)
    if "impossible_timeline" in m:
        t = _TIMELINE.search(whole)
        if t and (("month" not in t.group(0).lower()) or _BIG_SCOPE.search(whole) or (prompt and prompt.enterprise)):
            cov.mistakes.append(m["impossible_timeline"].message.format(phrase=t.group(0)))
    cov.nudges.extend(cov.mistakes)
    return cov


def _phrase(text: str, cue: str) -> str:
    """The vague cue with the word after it ("better reliability"), as the person wrote it."""
    match = re.search(_cue_pattern(cue).pattern + r"(?:\s+[\w-]+)?", text, re.IGNORECASE)
    return match.group(0).strip() if match else cue
