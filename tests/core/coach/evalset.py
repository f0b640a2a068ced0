"""The labelled evaluation set as answers to read: shared by the tests and the benchmark."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content import STEPS, Library, Outline, Prompt

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Answer:
    case: str
    kind: str  # excellent | prose | missing-<step> | mid | weak | stuffing | gibberish | foreign | other-domain
    sections: dict
    text: str
    held_out: bool


def load() -> dict:
    return yaml.safe_load((HERE / "eval_set.yaml").read_text(encoding="utf-8"))


def outline_form(p: Prompt) -> dict[str, str]:
    """A case's model outline typed into the four answer fields, in the shape of its family:
    Solve holds what the family's answer is made of (observations, hypotheses and their checks,
    a north star, options and a decision, phases, an API); Score holds every KPI with its
    baseline, and says which ones are guardrails."""
    o = p.outline
    api = (f" API: {o.api['method']} {o.api['endpoint']} ({', '.join(o.api['parameters'])}) → "
           f"{', '.join(o.api['response'])}; {', '.join(o.api['status_codes'])}. {o.api.get('notes') or ''}") if o.api else ""
    d = o.decision
    solve = [
        " ".join(o.observations),
        " ".join(f"Hypothesis: {cause}; check: {check}." for cause, check in o.hypotheses),
        f"North star: {o.north_star}" if o.north_star else "",
        ("Options: " + "; ".join(o.options) + ".") if o.options else "",
        (f"I choose: {d['choice']} We give up: {d['gives_up']} Why: {d['why']} Would change it: {d['would_change']}"
         if d else ""),
        " ".join(f"{k.upper()}: {v}" for k, v in o.phases.items()) + api,
        "Trade-offs: " + " ".join(o.tradeoffs),
    ]
    score = [f"{k.metric}: {k.target}" + (f" (baseline: {k.baseline})" if k.baseline else "")
             + (" — guardrail, must not get worse" if k.guardrail else "") for k in o.kpis]
    return {"scope": " ".join(o.scope), "segment": "\n".join(f"{n} — {d_}" for n, d_ in o.segments),
            "solve": " ".join(x for x in solve if x).strip(), "score": "\n".join(score)}


def prose(sections: dict[str, str]) -> str:
    """The same answer as paragraphs with no headings."""
    return "\n\n".join(sections[s].strip() for s in STEPS if sections.get(s))


def answers(data: dict | None = None) -> list[Answer]:
    data = data or load()
    out: list[Answer] = []
    for c in data["cases"]:
        cid, held = c["id"], bool(c.get("held_out"))
        ex = c["excellent"]
        out.append(Answer(cid, "excellent", ex, "", held))
        out.append(Answer(cid, "prose", {}, prose(ex), held))
        for step in STEPS:
            out.append(Answer(cid, f"missing-{step}", {**ex, step: ""}, "", held))
        out.append(Answer(cid, "mid", {}, c["mid"], held))
        out.append(Answer(cid, "weak", {}, c["weak"], held))
        for s in data["stuffing"]:
            out.append(Answer(cid, "stuffing", {}, s, held))
        for s in data["gibberish"]:
            out.append(Answer(cid, "gibberish", {}, s, held))
        for s in data["foreign"].values():
            out.append(Answer(cid, "foreign", {}, s, held))
        for s in data["other_domain"]:
            out.append(Answer(cid, "other-domain", {}, s, held))
    return out


def reference_cases(library: Library) -> tuple[Library, list[Prompt]]:
    """The rubric's reference answers' cases as prompts of their own (they are not library cases),
    in a library of just those four, so each answer is read against its own case."""
    prompts = []
    for ref in library.rubric.reference_answers:
        design = bool(re.search(r"\bdesign\b", ref.case, re.I))
        prompts.append(Prompt(id=ref.id, title=ref.case.split(".")[0][:80], category="design" if design else "improve",
                              area="messaging", difficulty="medium", time_box_minutes=30, text=ref.case, personas=(),
                              hints={}, outline=Outline((), (), {}, {}, (), (), ()),
                              enterprise="enterprise" in ref.case.lower()))
    return Library(rubric=library.rubric, frameworks=library.frameworks, prompts=tuple(prompts)), prompts
