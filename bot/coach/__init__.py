"""The coach: reads an answer the way a practised interviewer skims it, offline.

`read(prompt, sections, free_text, library)` is the one call the rest of the core makes; it
returns a `Reading` (which steps are covered, what is strong, what is missing, a 0-1
strength) and `feedback.sections(reading)` turns it into the words a member sees.
`read_drill(drill, text)` reads a skill drill's answer against that drill's look-for list.

Order of judgement: can it be judged at all (language, gibberish, length: `language`)? Is it
an answer to this case (`relevance`)? Only then the per-step reading (`steps`) and the
mistakes that really happened (`mistakes`). The strength is for the member's eyes as words
only; it never enters peer scores.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.coach import language, mistakes, model, relevance, segment, steps
from bot.content import STEPS, Library, Prompt, SkillDrill

DRILL_ON_TOPIC = 0.35  # similarity to the drill's task and example below which the answer is to something else
DRILL_LOOK_FOR = 0.3  # a sentence this close to a look-for point is taken to meet it
EMPTY_STEP = 0.1  # the share of strength a step with nothing in it costs
STEP_WEIGHTS = {"scope": 0.22, "segment": 0.24, "solve": 0.30, "score": 0.24}


@dataclass
class Reading:
    case: str
    language: str
    judgeable: bool
    on_topic: bool
    strength: float
    steps: dict[str, steps.StepReading] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    strong: list[str] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    honest: str = ""  # the one line when the answer can't be judged or is off topic
    closest: str = ""  # the case the answer reads like, when it is off topic
    closest_title: str = ""
    mode: str = ""  # form | headings | meaning

    @property
    def covered(self) -> dict[str, bool]:
        return {s: bool(self.steps.get(s) and self.steps[s].covered) for s in STEPS}

    @property
    def complete(self) -> bool:
        return self.judgeable and self.on_topic and all(self.covered.values())

    def as_json(self) -> dict[str, Any]:
        """The `sensebot coach --json` contract: these keys are stable, more may be added."""
        return {"case": self.case, "language": self.language, "judgeable": self.judgeable,
                "on_topic": self.on_topic, "strength": round(self.strength, 2),
                "steps": {s: {"covered": ok, "score": round(self.steps[s].score, 2) if s in self.steps else 0.0}
                          for s, ok in self.covered.items()},
                "missing": list(self.missing), "strong": list(self.strong), "tips": list(self.tips),
                "closest_case": self.closest or None, "read_as": self.mode}


def _unjudged(case: str, lang: str, line: str, judgeable: bool = False, on_topic: bool = False, **kw: Any) -> Reading:
    return Reading(case=case, language=lang, judgeable=judgeable, on_topic=on_topic, strength=0.0,
                   missing=[line], honest=line, **kw)


def read(prompt: Prompt | None, sections: dict[str, str] | None, free_text: str, library: Library) -> Reading:
    """Read one answer to `prompt` (form fields, free text, or both). With no prompt (a case
    since removed from the library) the steps are still read, with nothing to compare against."""
    case = prompt.id if prompt else ""
    sections = {s: ((sections or {}).get(s) or "").strip() for s in STEPS}
    free_text = (free_text or "").strip()
    whole = "\n".join([*(v for v in sections.values() if v), free_text]).strip()
    verdict = language.verdict(whole)
    if not verdict.judgeable:
        return _unjudged(case, verdict.language, verdict.line)
    rel = relevance.judge(model.embed([whole])[0], prompt, library, len(whole.split())) if prompt else relevance.Relevance(True, 0.7, "", "")
    if prompt is not None and not rel.on_topic:
        line = (f"This reads like an answer to a different question: “{rel.closest_title}”, not “{prompt.title}”."
                if rel.closest != prompt.id else
                f"This doesn't read as an answer to “{prompt.title}” — re-read the case and answer it step by step.")
        return _unjudged(prompt.id, verdict.language, line, judgeable=True, closest=rel.closest,
                         closest_title=rel.closest_title)
    parts, order, mode = segment.split(sections, free_text)
    readings = {
        "scope": steps.read_scope(parts["scope"], prompt),
        "segment": steps.read_segment(parts["segment"], prompt),
        "solve": steps.read_solve(parts["solve"], prompt),
        "score": steps.read_score(parts["score"], prompt, parts["scope"]),
    }
    r = Reading(case=case, language="en", judgeable=True, on_topic=True, strength=0.0, steps=readings, mode=mode)
    r.missing = [x.missing for x in readings.values() if x.missing]
    r.strong = [s for x in readings.values() for s in x.strong]
    r.tips = [t for x in readings.values() for t in x.tips]
    found: list[str] = []
    if mistakes.solution_first(order, parts, mode):
        m = library.frameworks.mistakes.get("solution_first")
        found.append(m.message if m else "You jump to a solution before framing the problem.")
    if (phrase := mistakes.timeline(parts["solve"], prompt, whole)):
        m = library.frameworks.mistakes.get("impossible_timeline")
        found.append(m.message.format(phrase=phrase) if m else f"'{phrase}' sounds unrealistic for this scope.")
    line, tip = mistakes.compliance(prompt, whole)
    found += [line] if line else []
    r.tips += [tip] if tip else []
    if (dev := mistakes.devex(prompt, whole, library.frameworks)):
        found.append(dev)
    if not readings["score"].covered and (vague := mistakes.vague_metrics(parts["score"], library.frameworks)):
        r.missing = [m for m in r.missing if not m.startswith("Score:")]
        found.append(vague)
    r.missing += found
    base = sum(STEP_WEIGHTS[s] * min(1.0, readings[s].score) for s in STEPS)
    fit = max(0.0, min(1.0, (rel.similarity - relevance.MIN_SIMILARITY) / 0.4))
    # A step left out entirely (nothing in it does the step's job) is what fails the bar, as
    # the rubric's level 1 says ("names no persona at all"): it costs more than a thin step.
    # Mistakes and empty steps cost a share, not a fixed amount: a thin answer that is on topic
    # keeps a strength above zero (zero is for answers the coach can't place), so thin answers
    # keep their order among themselves.
    empty = sum(readings[s].score < 0.1 for s in STEPS)
    r.strength = max(0.0, min(1.0, (0.88 * base + 0.12 * fit) * (1 - 0.04 * len(found)) * (1 - EMPTY_STEP * empty)))
    return r


def feedback_sections(prompt: Prompt | None, sections: dict[str, str] | None, free_text: str,
                      library: Library) -> tuple:
    """The sections of the instant feedback message (see `feedback`)."""
    from bot.coach import feedback
    return feedback.sections(read(prompt, sections, free_text, library))


def drill_sections(drill: SkillDrill, text: str) -> tuple:
    from bot.coach import feedback
    return feedback.drill_sections(read_drill(drill, text))


_SKILL_LINES = {
    "scope": "Name the user, their environment and a goal with a number and a date.",
    "personas": "Name at least two personas by role, each with what they need.",
    "endpoint": "Give the method and path, the fields, and the status codes it returns.",
    "kpis": "Give each KPI a target and a date, and add a guardrail.",
    "tradeoff": "Make the choice and say what you give up for it.",
    "yield": "One sentence: what ships, for whom, with a number and a date.",
}


def _skill_done(skill: str, text: str) -> bool:
    """The surface signs a drill of this skill must show, whatever its wording."""
    from bot.coach import patterns as p
    checks = {
        "scope": lambda: steps.read_scope(text, None).covered,
        "personas": lambda: steps.read_segment(text, None).covered,
        "endpoint": lambda: bool(p.API_FULL.search(text) and p.STATUS.search(text)),
        "kpis": lambda: steps.read_score(text, None).covered,
        "tradeoff": lambda: bool(p.CHOICE.search(text) and p.GIVE_UP.search(text)),
        "yield": lambda: p.dated_number(text),
    }
    return checks.get(skill, lambda: True)()


def read_drill(drill: SkillDrill, text: str) -> Reading:
    """A skill drill's answer read against that drill's look-for list and its skill's signs.

    Look-for points are often about form ("three sentences, no solution yet"), which meaning
    alone can't check, so the skill's surface signs decide "covered"; the look-for points the
    answer's sentences come close to are named as met, the others listed to check."""
    verdict = language.verdict(text)
    if not verdict.judgeable:
        return _unjudged(drill.id, verdict.language, verdict.line)
    pieces = segment.units(text) or [text]
    n = len(drill.look_for)
    vecs = model.embed([*drill.look_for, f"{drill.task} {drill.example}", text, *pieces])
    looks, ref, whole, answer = vecs[:n], vecs[n], vecs[n + 1], vecs[n + 2:]
    if float(whole @ ref) < DRILL_ON_TOPIC:
        return _unjudged(drill.id, "en", f"This doesn't read as an answer to “{drill.title}” — re-read the task.",
                         judgeable=True)
    best = (looks @ answer.T).max(axis=1)
    met = [lk for lk, b in zip(drill.look_for, best) if b >= DRILL_LOOK_FOR]
    done = _skill_done(drill.skill, text)
    r = Reading(case=drill.id, language="en", judgeable=True, on_topic=True, strength=0.0)
    r.strong = [f"You cover: {m}" for m in met[:3]]
    if not done:
        r.missing.append(_SKILL_LINES.get(drill.skill, "Be concrete: the people, the numbers and the dates."))
    r.strength = min(1.0, 0.6 * done + 0.25 * len(met) / max(1, n) + 0.15 * max(0.0, float(whole @ ref)))
    return r
