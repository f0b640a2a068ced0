"""Each step read on what it says, against what the case needs.

Scope names a user, an environment and a goal with a number and a date. Segment names two
or more distinct personas *with what each needs* (roles, not stray nouns such as "every
customer"). Solve is phased — or, on a prioritisation case, makes a choice and says what it
gives up — and sketches the product or API. Score has KPIs with targets and dates, a
baseline where the case gives one, and a guardrail.

Each reading gives a 0-1 score (how completely the step does its job), whether the step is
covered, the one line a member sees when it isn't, what is strong about it, and tips that
would make a covered step stronger (tips never count as "missing").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.coach import patterns as p
from bot.coach.segment import units
from bot.content import Prompt

_GENERIC = re.compile(r"^(?:customers?|users?|people|companies|organi[sz]ations?|teams?|staff|humans?|members?|"
                      r"enterprises?|businesses|everyone|partners?|providers?|brands?)$", re.IGNORECASE)
_DETERMINER = re.compile(r"(?:^|\s)(?:a|an|the|every|any|each|all|our|their|its|some|many|most|other|these|those|this|main|primary|key|"
                         r"that|more|new|no|of|for|to|with|and|or|at|by|in|on)\s*$", re.IGNORECASE)
_STOP = frozenset("this that it them these those what which who they there here also too more much very really thing "
                  "things stuff something everything anything all same way well good nice".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


@dataclass
class StepReading:
    step: str
    covered: bool
    score: float
    missing: str = ""  # the one line a member sees when the step isn't covered
    strong: list[str] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)
    personas: list[str] = field(default_factory=list)


def _hint(prompt: Prompt | None, step: str) -> str:
    hints = prompt.hints.get(step, ()) if prompt else ()
    return f" Ask yourself: {hints[0]}" if hints else ""


def read_scope(text: str, prompt: Prompt | None) -> StepReading:
    user = bool(p.ROLE.search(text))
    env = bool(p.ENVIRONMENT.search(text))
    goal = p.dated_number(text)
    number = bool(p.NUMBER.search(text))
    framed = bool(re.search(r"\bassum\w*|\b(?:in|out of) scope\b|\bconstraints?\b|\bnot (?:solving|covering)\b", text, re.I))
    score = 0.25 * user + 0.15 * env + 0.35 * goal + 0.1 * number + 0.15 * framed if text else 0.0
    aim = goal or number or bool(p.GOAL.search(text))
    covered = bool(text) and (aim or framed) and user + env + aim + framed >= 2
    r = StepReading("scope", covered, score)
    if not covered:
        lacks = [w for w, ok in (("the user", user), ("their environment", env),
                                 ("a goal with a number and a date", aim)) if not ok]
        r.missing = (f"Scope: name {_join(lacks)} before any solution." if text else
                     "Scope: frame it first — the user, their environment and a goal with a number and a date.")
        r.missing += _hint(prompt, "scope")
    elif user and env and goal and framed:
        r.strong.append("Your Scope names the user, their environment and a dated, numeric goal, and states its assumptions.")
    elif not goal:
        r.tips.append("Scope: give the goal a number and a date (\"from 92% to 96% within two quarters\").")
    elif not framed:
        r.tips.append("Scope: state an assumption or what is out of scope, so the interviewer can follow your framing.")
    return r


def personas(text: str) -> list[str]:
    """Distinct roles that come with a need ("backend developers need clear error codes")."""
    found: list[str] = []
    for piece in (s for u in units(text) for s in re.split(r";\s+|\s+whereas\s+|\s+while\s+", u)):
        need = p.NEED.search(piece)
        if not need:
            continue
        after = [w.lower() for w in _WORD.findall(piece[need.end():])]
        if sum(len(w) > 3 and w not in _STOP for w in after) < 2:
            continue  # "support teams also care about this": a role without a need
        named = re.match(r"^\s*([^—–:;.]{3,80}?)\s+[—–:]\s", piece)
        if named and len(named.group(1).split()) <= 8 and need.start() <= named.end():
            key = named.group(1).lower().strip()
            if key not in found:
                found.append(key)  # "Compliance reviewers — keyword search...": a named segment with its need
            continue
        roles = [m for m in p.ROLE.finditer(piece[:max(need.start(), 1)] if need.start() > 0 else piece)
                 if not (_GENERIC.match(m.group(0).strip()) and _DETERMINER.search(piece[:m.start()] or " the"))]
        specific = [m for m in roles if not _GENERIC.match(m.group(0).strip())]
        for m in specific or roles:  # "the main user is the backend developer": one persona, the specific one
            key = re.sub(r"s$", "", m.group(0).lower().strip())
            if key not in found:
                found.append(key)
    return found


def read_segment(text: str, prompt: Prompt | None) -> StepReading:
    roles = personas(text)
    tension = bool(re.search(r"\bconflict\w*|\bfirst\b|\bpriorit\w*|\btension\b|\bwhereas\b|\bwhile\b|\bbut\b|"
                             r"\bover\b|\binstead\b|\bfavou?r\b", text, re.I))
    score = min(len(roles), 2) * 0.4 + 0.1 * (len(roles) >= 3) + 0.1 * (tension and len(roles) >= 2)
    r = StepReading("segment", len(roles) >= 2, score, personas=roles)
    if not r.covered:
        others = [x.role.replace("-", " ") for x in (prompt.personas if prompt else ())]
        if roles:
            extra = next((o for o in others if o.split()[0] not in roles[0]), "")
            r.missing = (f"Segment: you name only one persona ({roles[0]}) with a need — add a second"
                         + (f", e.g. the {extra}," if extra else "") + " and what they need.")
        else:
            r.missing = ("Segment: name at least two personas by role (not just 'customers') and what each of them needs"
                         + (f" — here, e.g. the {others[0]} and the {others[1]}." if len(others) >= 2 else "."))
    elif len(roles) >= 3 or tension:
        r.strong.append(f"Your Segment gives {len(roles)} personas ({', '.join(roles[:3])}) each with a need"
                        + (" and says where they pull apart." if tension else "."))
    return r


def read_solve(text: str, prompt: Prompt | None) -> StepReading:
    phases = {re.sub(r"\s+", "", m.group(1).lower()) for m in p.PHASE_ID.finditer(text)}
    phased = len(phases) >= 2 or bool(re.search(r"\bv1\b.*\b(?:later|then|next)\b", text, re.I | re.S))
    prioritize = bool(prompt and prompt.category == "prioritize")
    chose = bool(p.CHOICE.search(text)) and bool(p.GIVE_UP.search(text))
    sketch = bool(p.API.search(text) or p.PRODUCT.search(text))
    api_full, status, failure = bool(p.API_FULL.search(text)), bool(p.STATUS.search(text)), bool(p.FAILURE.search(text))
    shape = (phased or (prioritize and chose))
    score = (0.3 * shape + 0.1 * (len(phases) >= 3 or (prioritize and chose and phased)) + 0.2 * sketch
             + 0.15 * api_full + 0.1 * status + 0.15 * failure) if text else 0.0
    r = StepReading("solve", bool(text) and shape and (sketch or prioritize), score)
    if not r.covered:
        if not text:
            r.missing = "Solve: say what you build first, then next — V1, V2, V3 — and sketch the API."
        elif not shape:
            r.missing = ("Solve: make the call — which option first, and what you give up for it." if prioritize else
                         "Solve: break it into phases — V1 (the smallest useful step), then V2 and V3 — so each ships on its own.")
        else:
            r.missing = "Solve: sketch the product or the API — method, endpoint, fields, status codes."
        r.missing += _hint(prompt, "solve")
    else:
        if api_full and status and failure:
            r.strong.append("Your Solve is phased and sketches the API down to status codes and failure handling.")
        elif prioritize and chose:
            r.strong.append("Your Solve makes a choice and says what it gives up.")
        if not api_full and not (prioritize and chose):
            r.tips.append("Solve: an API sketch (method, path, fields, status codes) makes the design concrete.")
        elif not failure:
            r.tips.append("Solve: say what happens when it fails — retries, idempotency, fallbacks.")
    return r


def case_baseline(prompt: Prompt | None) -> bool:
    """Does the case itself give a starting figure the answer should measure from?"""
    if prompt is None:
        return False
    if getattr(prompt.outline, "baseline", None):
        return True
    return bool(re.search(r"\d[\d,.]*\s*(?:%|percent|ms|seconds?|minutes?|x\b)", prompt.text, re.I))


def read_score(text: str, prompt: Prompt | None, scope_text: str = "") -> StepReading:
    pieces = [u for u in units(text) if p.NUMBER.search(u)]
    kpis = [u for u in pieces if p.KPI.search(u) or "%" in u]
    dated = [u for u in kpis if p.dated_number(u)]
    scoped_date = p.dated_number(scope_text)
    baseline = bool(p.BASELINE.search(text))
    guardrail = bool(p.GUARDRAIL.search(text))
    score = (0.35 * bool(kpis) + 0.15 * bool(dated) + 0.15 * (len(kpis) >= 2) + 0.15 * baseline
             + 0.2 * guardrail) if text else 0.0
    covered = bool(kpis) and (bool(dated) or scoped_date)
    r = StepReading("score", covered, score)
    example = prompt.outline.kpis[0] if prompt and prompt.outline.kpis else None
    eg = f" — e.g. {example[0].rstrip('.')}: {example[1]}" if example else ""
    if not covered:
        if not text:
            r.missing = "Score: say how you'll know it worked — KPIs with targets and dates" + eg + "."
        elif not kpis:
            r.missing = "Score: give each KPI a number to hit and a date" + eg + "."
        else:
            r.missing = "Score: put a date on your targets (\"within two quarters\", \"by Q3\")."
    else:
        if baseline and guardrail and dated:
            r.strong.append("Your Score has a baseline, a target with a date and a guardrail.")
        if not guardrail:
            r.tips.append("Score: add a guardrail — the metric that must not get worse (cost, latency, complaints).")
        if not baseline and case_baseline(prompt):
            r.tips.append("Score: the case gives you a starting figure — measure from it (\"from X to Y\").")
    return r


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
