"""The common mistakes, checked only where they really happened.

- Solution before framing: the answer opens on a solution and frames the problem later (or
  never). A form's fields come in order, so there it means a Solve with no Scope at all.
- Timeline: only the delivery phases are read (never KPI windows such as "within 6 months"),
  and a phase that fits inside the case's own deadline is never called unrealistic.
- Compliance: names the regulations and standards the case lists (`compliance:`) that the
  answer leaves unnamed, as a tip; on an enterprise case with no list and no word about
  security, asks about security in general; otherwise says nothing.
- Developer experience: only where the case has developers among its personas.
- Vague metrics: a Score with no number that leans on "better", "improve"...
"""
from __future__ import annotations

import re

from bot.coach import patterns as p
from bot.content import REGULATIONS, Frameworks, Prompt

_DURATION = re.compile(r"\b(?:in|within|by|inside)\s+(?:the\s+)?(?:first\s+|next\s+)?(?P<n>\d{1,3}|a|an|one|two|three|four|"
                       r"five|six|eight|ten|twelve)\s+(?P<unit>days?|weeks?|sprints?|months?)\b", re.I)
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10, "twelve": 12}
_DAYS = {"day": 1, "week": 7, "sprint": 14, "month": 30}
_BIG = re.compile(r"\b(?:ai|ml|machine learning|model|fraud|enterprise|global|every|all customers|platform-wide|"
                  r"migrat\w*|rebuild|re-architect\w*|full)\b", re.I)
_DELIVERY = re.compile(r"\b(?:ship\w*|launch\w*|build|built|deliver\w*|releas\w*|roll(?:ed|ing)? out|go live|"
                       r"live|v[1-4]|mvp|phase|pilot|beta|ready|done|implement\w*)\b", re.I)
_SECURITY = re.compile(r"\b(?:gdpr|hipaa|soc ?2|compliance|complian\w*|retention|encrypt\w*|audit\w*|pii|residency|consent|"
                       r"opt-?in|opt-?out|access control|rbac|sso|saml|privacy|redact\w*|permissions?|roles?|"
                       r"security review|iso 27001|pci|tamper\w*|least privilege|mask\w*|tokeni[sz]\w*|regulat\w*|"
                       r"legal|attestation|verification|registration|lawful|baa|dpa)\b", re.I)
_DEVEX = re.compile(r"\b(?:api|sdk|docs|documentation|endpoints?|webhooks?|developers?|quickstart|sample code|curl|"
                    r"librar(?:y|ies)|cli|console|/v\d|rest|graphql|callbacks?|integrat\w*)\b", re.I)


def _days(m: re.Match[str]) -> int:
    n = m.group("n").lower()
    count = int(n) if n.isdigit() else _WORDS.get(n, 1)
    return count * _DAYS[m.group("unit").lower().rstrip("s")]


def case_deadline(prompt: Prompt | None) -> int | None:
    """The case's own deadline in days ("ship within 90 days"), if it sets one."""
    if prompt is None:
        return None
    found = [_days(m) for m in _DURATION.finditer(prompt.text)]
    return max(found) if found else None


def solution_first(order: list[tuple[str, str]], parts: dict[str, str], mode: str) -> bool:
    if not parts.get("solve"):
        return False
    if mode == "form":
        return not parts.get("scope") and not parts.get("segment")
    kinds = [k for k, _ in order]
    first_scope = kinds.index("scope") if "scope" in kinds else None
    first_solve = kinds.index("solve")
    strong_open = bool(p.PHASE_ID.search(order[first_solve][1]) or p.API_FULL.search(order[first_solve][1])
                       or re.search(r"\b(?:build|ship|launch|i'?d (?:add|make|create))\b", order[first_solve][1], re.I))
    return first_solve == 0 and strong_open and (first_scope is None or first_scope > 1)


def timeline(solve_text: str, prompt: Prompt | None, whole: str) -> str | None:
    """The delivery phrase that can't be done in the time it names, or None."""
    deadline = case_deadline(prompt)
    big = bool(_BIG.search(whole)) or bool(prompt and prompt.enterprise)
    for sentence in re.split(r"(?<=[.!?;\n])\s+", solve_text):
        if (p.KPI.search(sentence) and "%" in sentence) or not _DELIVERY.search(sentence):
            continue  # a target window or a product rule ("keep logs for 7 days"), not a delivery date
        # A duration in brackets defines a metric ("no repeat contact within 7 days"), it doesn't date a delivery.
        for m in _DURATION.finditer(re.sub(r"\([^)]*\)", "", sentence)):
            days = _days(m)
            if deadline is not None and days <= deadline:
                continue  # inside the case's own deadline: the case asked for it
            if days < 14 or (big and days <= 31):
                return m.group(0)
    return None


def compliance(prompt: Prompt | None, whole: str) -> tuple[str, str]:
    """(missing line, tip): the rules this case lists that the answer never mentions."""
    if prompt is None:
        return "", ""
    names = list(prompt.compliance)
    if names:
        def named(name: str) -> bool:
            keys = [k for k in re.split(r"[\s/]+", name) if len(k) > 2 and k.lower() not in ("and", "law", "act", "policy")]
            return any(re.search(re.escape(k), whole, re.I) for k in keys[:2])
        unnamed = [n for n in names if not named(n)]
        if not unnamed:
            return "", ""
        listed = "; ".join(f"{n} ({REGULATIONS.get(n, '')})" if len(unnamed) <= 2 else n for n in unnamed[:3])
        line = f"Compliance: this case is governed by {listed} — say how your design meets {'it' if len(unnamed) == 1 else 'them'}."
        # A tip, not a "missing" line: a model outline that covers all four steps is complete
        # even when it leaves the rules unnamed; naming them is what makes it stronger.
        return "", line
    if prompt.enterprise and not _SECURITY.search(whole):
        return ("", "Security: this is an enterprise case — say who may see and change what (access control, audit) "
                "and how long data is kept.")
    return "", ""


def devex(prompt: Prompt | None, whole: str, fw: Frameworks) -> str:
    """Only where the API is part of the answer (the case's own outline sketches one): a
    diagnosis, a strategy or a launch with developers among its personas needn't say how a
    developer adopts something."""
    roles = {x.role for x in prompt.personas} if prompt else set()
    if "developer" in roles and prompt and prompt.outline.api and not _DEVEX.search(whole):
        m = fw.mistakes.get("no_devex")
        return m.message if m else "Developer experience is missing: how does a developer adopt this?"
    return ""


def vague_metrics(score_text: str, fw: Frameworks) -> str:
    if not score_text or p.NUMBER.search(score_text):
        return ""
    m = re.search(r"\b(?:better|improve[sd]?|increase[sd]?|reduce[sd]?|more|less|fewer|faster|higher|lower|"
                  r"happier|satisfaction|engagement|adoption|quality|go(?:es)? (?:up|down))\b(?:\s+[\w-]+)?", score_text, re.I)
    phrase = m.group(0) if m else score_text.split(".")[0][:40]
    tmpl = fw.mistakes.get("vague_metrics")
    return (tmpl.message.format(phrase=phrase) if tmpl else f"Score: you name '{phrase}' — which KPI, what target, by when?")
