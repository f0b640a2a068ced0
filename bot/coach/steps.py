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
from bot.content import FAMILY_OUTLINE, FAMILY_STEPS, Prompt

_GENERIC = re.compile(r"^(?:customers?|users?|people|companies|organi[sz]ations?|teams?|staff|humans?|members?|"
                      r"enterprises?|businesses|everyone|partners?|providers?|brands?)$", re.IGNORECASE)
_DETERMINER = re.compile(r"(?:^|\s)(?:a|an|the|every|any|each|all|our|their|its|some|many|most|other|these|those|this|main|primary|key|"
                         r"that|more|new|no|of|for|to|with|and|or|at|by|in|on)\s*$", re.IGNORECASE)
_STOP = frozenset("this that it them these those what which who they there here also too more much very really thing "
                  "things stuff something everything anything all same way well good nice".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
_NAMED = re.compile(r"^\s*[^—–:;.]{3,80}?\s+[—–]\s")
_CLAUSE = re.compile(r",\s*(?:and\s+|but\s+)?|\s+and\s+|\s+but\s+")


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
    framed = bool(re.search(r"\bassum\w*|\b(?:in|out of) scope\b|\bconstrain\w*|\bnot (?:solving|covering)\b", text, re.I))
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
    """Distinct roles that come with a need ("backend developers need clear error codes").

    A sentence may hold several, run together ("indie developers need a quick setup, security
    teams need audit logs and ops leads want predictable cost"): each need takes the roles named
    between the previous recognised persona and itself, after the last clause break."""
    found: list[str] = []
    # A named segment ("Cost-sensitive senders — low price; reliability matters less") is one
    # piece however it is punctuated; other units split where one role's need ends.
    pieces = [s for u in units(text) for s in ([u] if _NAMED.match(u) else re.split(r";\s+|\s+whereas\s+|\s+while\s+", u))]
    for piece in pieces:
        start = 0
        for need in p.NEED.finditer(piece):
            after = [w.lower() for w in _WORD.findall(piece[need.end():])]
            named = re.match(r"^\s*([^—–:;.]{3,80}?)\s+[—–:]\s", piece) if start == 0 else None
            # "support teams also care about this": a role without a need; a named segment
            # ("Consumers — confirmation") states its need in as little as one word.
            if sum(len(w) > 3 and w not in _STOP for w in after) < (1 if named else 2):
                continue
            if named and len(named.group(1).split()) <= 8 and need.start() <= named.end():
                key = named.group(1).lower().strip()
                if key not in found:
                    found.append(key)  # "Compliance reviewers — keyword search...": a named segment with its need
                start = need.end()
                continue
            window = piece[start:need.start()] if need.start() > start else piece[start:] if start == 0 else ""
            if start > 0:
                window = _CLAUSE.split(window)[-1]  # "…a quick setup, security teams need": the roles after the break
            roles = [m for m in p.ROLE.finditer(window)
                     if not (_GENERIC.match(m.group(0).strip()) and _DETERMINER.search(window[:m.start()] or " the"))]
            specific = [m for m in roles if not _GENERIC.match(m.group(0).strip())]
            for m in specific or roles:  # "the main user is the backend developer": one persona, the specific one
                key = re.sub(r"s$", "", m.group(0).lower().strip())
                if key not in found:
                    found.append(key)
            if roles:
                start = need.end()
    return found


def slices(text: str) -> list[str]:
    """The distinct dimensions a diagnosis cuts its metric by ("by country and carrier")."""
    return list(dict.fromkeys(m.group(0).lower().rstrip("s") for m in p.SLICE.finditer(text)))


def _read_slices(text: str, prompt: Prompt | None) -> StepReading:
    """A diagnosis's Segment: the slices that would make the cause show (FAMILY_STEPS), not personas."""
    found = slices(text) if p.SLICING.search(text) else []
    roles = personas(text)
    covered = len(found) >= 2 or len(roles) >= 2
    r = StepReading("segment", covered, min(1.0, 0.4 * min(len(found), 2) + 0.1 * (len(found) >= 3)
                                            + 0.1 * bool(roles)) if covered else 0.2 * bool(found), personas=roles)
    if not covered:
        r.missing = f"Segment: {FAMILY_STEPS['diagnose']['segment']}." + _hint(prompt, "segment")
    elif len(found) >= 2:
        r.strong.append(f"Your Segment slices the metric ({', '.join(found[:4])}) to find where the cause shows.")
    return r


def read_segment(text: str, prompt: Prompt | None) -> StepReading:
    if prompt is not None and prompt.category == "diagnose":
        return _read_slices(text, prompt)
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


# What a Solve must show, per part of a family's model answer (`FAMILY_OUTLINE` says which
# parts each family's answer is made of): the surface sign of the part, the words the member
# sees when it is absent, and the words when it is done well. One table: a family's Solve is
# read as the sum of its parts, so a new family needs no new reading rules.
SOLVE_PARTS: dict[str, tuple[str, str, str]] = {
    "phases": ("phased", "break it into phases — V1 (the smallest useful step), then V2 and V3 — so each ships on its own",
               "is phased"),
    "decision": ("chose", "make the call — which option, what you give up for it, and what would change your mind",
                 "makes a choice and says what it gives up"),
    "options": ("options", "lay out the options (build, buy, partner, wait…) before you pick one",
                "weighs the options before choosing"),
    "hypotheses": ("hypotheses", "rank your hypotheses for the cause and say how you would check each one",
                   "ranks hypotheses with a check for each"),
    "north_star": ("north_star", "name one north-star metric, the input metrics that drive it and why this one",
                   "names a north star and the inputs that drive it"),
    "observations": ("observations", "say what works and what doesn't, and why, before what you would change",
                     "says what works and what doesn't before changing it"),
}
# Families whose answer is a thing to build: their Solve also sketches the product or the API.
_BUILDS = frozenset(f for f, (needs, _) in FAMILY_OUTLINE.items() if "phases" in needs)


def solve_parts(prompt: Prompt | None) -> tuple[str, ...]:
    """The parts this case's Solve is read for: its family's required outline parts, plus the
    ones its family's lint expects (a prioritisation's decision); phases when it names none."""
    needs, expects = FAMILY_OUTLINE.get(prompt.category if prompt else "", (("phases",), ()))
    return tuple(dict.fromkeys((*needs, *expects))) or ("phases",)


def _solve_signs(text: str) -> dict[str, bool]:
    phases = {re.sub(r"\s+", "", m.group(1).lower()) for m in p.PHASE_ID.finditer(text)}
    return {
        "phased": len(phases) >= 2 or bool(re.search(r"\bv1\b.*\b(?:later|then|next)\b", text, re.I | re.S)),
        "many_phases": len(phases) >= 3,
        "chose": bool(p.CHOICE.search(text)) and bool(p.GIVE_UP.search(text)),
        "options": bool(p.OPTION.search(text)),
        "hypotheses": bool(p.HYPOTHESIS.search(text)) and bool(p.CHECK.search(text)),
        "north_star": bool(p.NORTH_STAR.search(text)),
        "observations": bool(p.WORKS.search(text)) and bool(p.FAILS.search(text)),
    }


def read_solve(text: str, prompt: Prompt | None) -> StepReading:
    parts = solve_parts(prompt)
    signs = _solve_signs(text)
    # Issue 13's rule: a prioritisation that makes its choice needs no phases.
    needed = [part for part in parts if part in SOLVE_PARTS]
    met = {part: signs[SOLVE_PARTS[part][0]] for part in (*needed, "phases")}
    # A family that requires no part (a prioritisation: issue 13's "phased, or makes a choice
    # and says what it gives up") is shaped by any of phases or the parts it is expected to have.
    required = FAMILY_OUTLINE.get(prompt.category if prompt else "", (("phases",), ()))[0]
    shape = all(met[x] for x in needed) if required else (met["phases"] or any(met[x] for x in needed))
    builds = not prompt or prompt.category in _BUILDS or prompt.category not in FAMILY_OUTLINE
    sketch = bool(p.API.search(text) or p.PRODUCT.search(text))
    api_full, status, failure = bool(p.API_FULL.search(text)), bool(p.STATUS.search(text)), bool(p.FAILURE.search(text))
    share = sum(met[x] for x in needed) / max(1, len(needed))
    depth = signs["many_phases"] or (signs["phased"] and len(needed) > 1 and shape)
    score = (0.3 * shape + 0.1 * share + 0.1 * depth + 0.2 * (sketch or not builds)
             + 0.15 * api_full + 0.1 * status + 0.15 * (failure or not builds)) if text else 0.0
    score = min(1.0, score)
    r = StepReading("solve", bool(text) and shape and (sketch or not builds), score)
    family = prompt.category if prompt else ""
    if not r.covered:
        if not text:
            r.missing = ("Solve: say what you build first, then next — V1, V2, V3 — and sketch the API."
                         if needed == ["phases"] else f"Solve: {FAMILY_STEPS.get(family, {}).get('solve', '')}.")
        elif not shape:
            lacks = [SOLVE_PARTS[x][1] for x in needed if not met[x]]
            r.missing = "Solve: " + "; ".join(lacks) + "."
        else:
            r.missing = "Solve: sketch the product or the API — method, endpoint, fields, status codes."
        r.missing += _hint(prompt, "solve")
    else:
        done = [SOLVE_PARTS[x][2] for x in needed if met[x]]
        if api_full and status and failure:
            r.strong.append("Your Solve is phased and sketches the API down to status codes and failure handling.")
        elif needed != ["phases"] and done:
            r.strong.append(f"Your Solve {_join(done)}.")
        if builds and not api_full:
            r.tips.append("Solve: an API sketch (method, path, fields, status codes) makes the design concrete.")
        elif builds and not failure:
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
    pieces = [u for u in units(text) if p.NUMBER.search(u) or p.RELATIVE.search(u)]
    kpis = [u for u in pieces if p.KPI.search(u) or "%" in u or p.METRIC_LINE.match(u)]
    dated = [u for u in kpis if p.dated_number(u) or (p.RELATIVE.search(u) and p.DATE.search(u))]
    scoped_date = p.dated_number(scope_text)
    baseline = bool(p.BASELINE.search(text))
    guardrail = bool(p.GUARDRAIL.search(text))
    score = (0.35 * bool(kpis) + 0.15 * bool(dated) + 0.15 * (len(kpis) >= 2) + 0.15 * baseline
             + 0.2 * guardrail) if text else 0.0
    covered = bool(kpis) and (bool(dated) or scoped_date)
    r = StepReading("score", covered, score)
    example = prompt.outline.kpis[0] if prompt and prompt.outline.kpis else None
    eg = f" — e.g. {example.metric.rstrip('.')}: {example.target}" if example else ""
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
        extra = SCORE_EXTRAS.get(prompt.category if prompt else "")
        if extra:
            sign, tip, strong = extra
            (r.strong if sign.search(text) else r.tips).append(strong if sign.search(text) else tip)
    return r


# What a family's Score asks for beyond KPIs with targets, dates and a guardrail (the end of
# its `FAMILY_STEPS` line): the sign of it, the tip when it's absent, the words when it's there.
# A tip, never "missing": the four steps are covered without it; it is what makes Score stronger.
SCORE_EXTRAS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "diagnose": (re.compile(r"\brecur\w*|\bagain\b|\bprevent\w*|\balerts?\b|\bmonitor\w*|\bpost-?mortem|\bregression test", re.I),
                 "Score: say how you stop it from recurring — an alert, a test, a change to the release process.",
                 "Your Score says how you'd stop it from recurring."),
    "metrics": (re.compile(r"\bgam(?:e|ed|ing)\b|\binflat\w*|\bcheat\w*|\bmanipulat\w*|\bperverse\b", re.I),
                "Score: say how the metric could be gamed, and what keeps it honest.",
                "Your Score says how the metric could be gamed and guards against it."),
    "strategy": (re.compile(r"\bstop\w*|\bkill\b|\bexit\b|\bwalk away\b|\babandon\w*|\bpull (?:back|out)\b|\brevisit\b", re.I),
                 "Score: name the signal to stop — what result by when would make you drop the bet.",
                 "Your Score names the milestones and the signal to stop."),
    "platform": (re.compile(r"\bwould change\b|\bchange (?:the|my|our) (?:decision|mind)\b|\breconsider\w*|\brevisit\w*|\brevers\w*", re.I),
                 "Score: say what would change the decision — the number that would make you pick another option.",
                 "Your Score says what would change the decision."),
}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
