"""Load and validate content packs: rubric, frameworks, prompts and drills.

Packs are YAML read with the safe loader only. Every mapping remembers the line it
started on, so each error names file:line:field. Aliases are refused outright (no
alias bombs) and files over `MAX_FILE_BYTES` are refused before parsing. `check`
collects every error in every file instead of stopping at the first, so a team fixing
a custom pack sees the whole list at once.
"""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 2_000_000
# The families of questions a platform PM faces (a case's `category`). The first three are
# product sense and the default daily mix; a team widens it with `set families`.
CATEGORIES = ("improve", "design", "prioritize", "diagnose", "metrics", "strategy", "launch", "platform", "critique")
FAMILIES = CATEGORIES
DEFAULT_FAMILIES = ("improve", "design", "prioritize")
CATEGORY_NAMES = {
    "improve": "Improve an existing feature",
    "design": "Design a new product",
    "prioritize": "Prioritize a roadmap trade-off",
    "diagnose": "Diagnose a metric that moved",
    "metrics": "Define success for a product",
    "strategy": "Choose where to play and how to win",
    "launch": "Take a product to market",
    "platform": "Own a technical platform trade-off",
    "critique": "Critique a product and improve it",
}
# What Scope, Segment, Solve and Score mean for each family: shown with every step of a
# drill, so the same four steps fit a diagnosis as well as a design.
FAMILY_STEPS: dict[str, dict[str, str]] = {
    "improve": {"scope": "who struggles with what today, and the goal with a number",
                "segment": "the users whose pain differs, and the one you start with",
                "solve": "a first version and what follows, with the trade-offs",
                "score": "a baseline, a target with a date, a guardrail; then your recommendation"},
    "design": {"scope": "the job to be done, the environment, the business goal",
               "segment": "who buys, who builds, who uses — and who comes first",
               "solve": "the smallest product that does the job, then how it grows; an API where it is the product",
               "score": "a baseline, a target with a date, a guardrail; then your recommendation"},
    "prioritize": {"scope": "the options, the constraint (people, time, money) and the goal",
                   "segment": "whom each option serves and what it is worth to them",
                   "solve": "one choice, what you give up and why, what would change your mind",
                   "score": "how you will know the choice was right: baseline, target with a date, guardrail"},
    "diagnose": {"scope": "is the move real: definition, instrumentation, timing, seasonality",
                 "segment": "slice it (country, carrier, channel, SDK version, customer) until the cause shows",
                 "solve": "hypotheses ranked, the check for each, the fix and who owns it",
                 "score": "recovery target with a date, a guardrail, and how you stop it recurring"},
    "metrics": {"scope": "what the product is for and for whom",
                "segment": "whose success: developers, their end users, the business",
                "solve": "a north-star metric, its input metrics and why this one",
                "score": "guardrails, how the metric could be gamed, a target with a date"},
    "strategy": {"scope": "the market, our position and the question really asked",
                 "segment": "which customers and segments are worth winning",
                 "solve": "the options (build, buy, partner, enter, wait), one choice and what it gives up",
                 "score": "the bet's milestones: baseline, target with a date, the signal to stop"},
    "launch": {"scope": "what launches, to whom, and what 'launched' means",
               "segment": "who adopts first, and what each audience must hear",
               "solve": "stages from beta to general availability, pricing, docs, enablement",
               "score": "adoption against a baseline, a target with a date, a guardrail on quality"},
    "platform": {"scope": "the technical decision and who lives with it",
                 "segment": "the integrators it affects and how differently",
                 "solve": "the options, one choice, its cost and migration path",
                 "score": "a target with a date, a guardrail, and what would change the decision"},
    "critique": {"scope": "the product, whom it is for and the job it does",
                 "segment": "the users you judge it for",
                 "solve": "what works, what does not and why; the changes you would make first",
                 "score": "how you would know the changes helped: baseline, target with a date, guardrail"},
}
# Outline sections a family's model answer must have (the loader refuses the case without
# them) and ones the lint expects (reported by `content check`, so old packs keep loading).
FAMILY_OUTLINE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "improve": (("phases",), ()),
    "design": (("phases",), ()),
    "prioritize": ((), ("decision",)),
    "diagnose": (("hypotheses",), ()),
    "metrics": (("north_star",), ()),
    "strategy": (("options", "decision"), ()),
    "launch": (("phases",), ()),
    "platform": (("options", "decision"), ()),
    "critique": (("observations", "phases"), ()),
}
AREAS = (
    "messaging", "voice", "video", "verification", "customer-data", "contact-center", "fraud-trust",
    "developer-onboarding", "pricing-billing", "reliability", "ai", "enterprise-admin",
)
DIFFICULTIES = ("easy", "medium", "hard")
PERSONA_ROLES = (
    "developer", "security-lead", "business-owner", "ops-admin", "compliance-officer",
    "support-agent", "data-analyst", "end-user",
)
INTERVIEWER_ROLES = ("developer", "ciso", "business-owner", "compliance-officer", "support-lead", "cto")
DIMENSIONS = ("problem_definition", "user_empathy", "solution_design", "business_impact", "communication")
STEPS = ("scope", "segment", "solve", "score")
SKILLS = ("scope", "personas", "endpoint", "kpis", "tradeoff", "yield", "estimate")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,118}$")


# ---------------------------------------------------------------- the content model



# Regulations and standards a case may name under `compliance:`, with the one line the coach
# shows. Named the way interviewers say them; a pack naming anything else fails `content check`.
REGULATIONS: dict[str, str] = {
    "A2P 10DLC": "US carriers' registration of brands and campaigns for application-to-person SMS on local numbers",
    "toll-free verification": "US/Canada carriers' verification required before toll-free numbers send SMS at volume",
    "STIR/SHAKEN": "US/Canada caller-ID authentication: the originating carrier signs calls with an attestation level",
    "TCPA": "US Telephone Consumer Protection Act: prior express consent for automated calls and texts, opt-out honoured",
    "CAN-SPAM": "US law for commercial email: no deceptive headers, a working unsubscribe, a postal address",
    "GDPR": "EU/UK data protection: lawful basis, data minimisation, subject rights, transfers outside the EEA",
    "HIPAA": "US health privacy: protected health information only under a Business Associate Agreement",
    "PSD2 SCA": "EU strong customer authentication for payments: two independent factors, dynamic linking",
    "India DLT": "TRAI's distributed-ledger registration of senders, headers and templates for commercial SMS in India",
    "PCI DSS": "card-data security standard: keep card numbers out of recordings, logs and transcripts",
    "SOC 2": "audited controls for security, availability and confidentiality that enterprise buyers ask for",
    "CCPA": "California consumer privacy: right to know, delete and opt out of the sale or sharing of personal data",
    "Kari's Law and RAY BAUM'S Act": "US emergency calling: direct 911 dialling and a dispatchable location with each call",
    "WhatsApp Business Policy": "Meta's rules: opt-in, pre-approved templates outside the 24-hour customer-service window",
    "MiFID II": "EU investment-services rules: record calls and messages about client orders and dealing, keep them at least five years",
    "DORA": "EU Digital Operational Resilience Act: financial firms manage ICT-provider risk: audit rights, exit plans, a register",
    "FedRAMP": "US government authorisation of cloud services for federal agencies against NIST SP 800-53 security controls",
    "KYC/AML": "anti-money-laundering rules: a regulated firm verifies a customer's identity (due diligence) before opening an account",
    "3-D Secure": "EMV card-scheme protocol in which the card issuer authenticates the cardholder during an online card payment",
    "WebAuthn": "W3C/FIDO standard behind passkeys: public-key credentials bound to the site's domain, phishing-resistant",
    "COPPA": "US children's privacy law: verifiable parental (or school) consent before collecting data from children under 13",
    "FERPA": "US law protecting students' education records; a vendor handles them only under the school's direct control",
}

@dataclass(frozen=True)
class Dimension:
    id: str
    name: str
    weight: int
    short: str
    levels: dict[int, str]


@dataclass(frozen=True)
class ReferenceAnswer:
    id: str
    case: str
    answer: dict[str, str]
    scores: dict[str, int]
    why: str


@dataclass(frozen=True)
class Rubric:
    pass_bar: float
    dimensions: tuple[Dimension, ...]
    reference_answers: tuple[ReferenceAnswer, ...] = ()

    def dimension(self, dim_id: str) -> Dimension:
        return next(d for d in self.dimensions if d.id == dim_id)


@dataclass(frozen=True)
class Step:
    """A 4S step or a CLARITY stage."""

    id: str
    name: str
    question: str
    guiding: tuple[str, ...]
    nudge: str
    cues: tuple[str, ...] = ()
    minutes: int = 0


@dataclass(frozen=True)
class Mistake:
    id: str
    message: str
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Frameworks:
    four_s: tuple[Step, ...]
    clarity: tuple[Step, ...]
    mistakes: dict[str, Mistake]
    personas: dict[str, tuple[str, ...]]

    def step(self, step_id: str) -> Step:
        return next(s for s in self.four_s if s.id == step_id)


@dataclass(frozen=True)
class Persona:
    role: str
    need: str


@dataclass(frozen=True)
class Kpi:
    """A Score line: the metric, its target (with a date), and optionally where it starts
    (or how to measure that) and whether it is a guardrail that must not get worse."""

    metric: str
    target: str
    baseline: str = ""
    guardrail: bool = False


@dataclass(frozen=True)
class Outline:
    scope: tuple[str, ...]
    segments: tuple[tuple[str, str], ...]
    phases: dict[str, str]
    api: dict[str, Any]
    tradeoffs: tuple[str, ...]
    kpis: tuple[Kpi, ...]
    pitfalls: tuple[str, ...]
    decision: dict[str, str] = field(default_factory=dict)  # choice, gives_up, why, would_change
    recommendation: str = ""  # the closing recommendation and the first step
    hypotheses: tuple[tuple[str, str], ...] = ()  # (cause, how to check it): diagnose
    options: tuple[str, ...] = ()  # strategy, platform
    north_star: str = ""  # metrics
    observations: tuple[str, ...] = ()  # critique: what works and what does not
    lines: dict[str, int] = field(default_factory=dict)  # outline section -> line, for lint findings


@dataclass(frozen=True)
class Prompt:
    id: str
    title: str
    category: str
    area: str
    difficulty: str
    time_box_minutes: int
    text: str
    personas: tuple[Persona, ...]
    hints: dict[str, tuple[str, ...]]
    outline: Outline
    enterprise: bool = False
    interviewer_role: str | None = None
    skills: tuple[str, ...] = ()
    source: str = ""
    line: int = 0
    compliance: tuple[str, ...] = ()  # names from REGULATIONS that apply to this case (the coach nudges with them)


@dataclass(frozen=True)
class SkillDrill:
    id: str
    skill: str
    minutes: int
    title: str
    task: str
    look_for: tuple[str, ...]
    example: str
    source: str = ""


@dataclass(frozen=True)
class Library:
    rubric: Rubric
    frameworks: Frameworks
    prompts: tuple[Prompt, ...]
    drills: tuple[SkillDrill, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.prompts})
        object.__setattr__(self, "_drills_by_id", {d.id: d for d in self.drills})

    def prompt(self, prompt_id: str) -> Prompt | None:
        return self._by_id.get(prompt_id)  # type: ignore[attr-defined]

    def drill(self, drill_id: str) -> SkillDrill | None:
        return self._drills_by_id.get(drill_id)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- errors and line-aware YAML


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class ContentError(Exception):
    """Content that cannot be used; `problems` lists every error found, each with file:line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class LineDict(dict):
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


class LineList(list):
    line: int = 0


class _Loader(yaml.SafeLoader):
    """Safe loading, plus line numbers, minus aliases."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(
                problem="aliases (*name) are not allowed in content packs; write the value out",
                problem_mark=mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):  # type: ignore[override]
        self.flatten_mapping(node)
        out = LineDict()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                raise yaml.MarkedYAMLError(problem="keys must be plain words", problem_mark=key_node.start_mark)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_lines[str(key)] = key_node.start_mark.line + 1
        return out

    def construct_sequence(self, node, deep=False):  # type: ignore[override]
        out = LineList(self.construct_object(child, deep=True) for child in node.value)
        out.line = node.start_mark.line + 1
        return out


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)


# Parsed shipped files, by (path, mtime, size). The line-tracking loader is pure Python (~1 s for
# the library), and a process loads the shipped packs again whenever a team's packs are read; a
# deep copy is 20x cheaper than a parse and keeps every caller's document its own.
_SHIPPED: dict[tuple[str, int, int], Any] = {}


def read_yaml(path: Path, label: str | None = None) -> Any:
    """Parse one file safely; raise ContentError naming file:line on any problem."""
    label = label or str(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise ContentError([Problem(label, 0, "file", f"cannot be read ({exc.strerror})")]) from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _SHIPPED:
        return copy.deepcopy(_SHIPPED[key])
    doc = _parse_yaml(path, label, stat.st_size)
    if path.resolve().is_relative_to(default_dir().resolve()):
        _SHIPPED[key] = copy.deepcopy(doc)
    return doc


def _parse_yaml(path: Path, label: str, size: int) -> Any:
    if size > MAX_FILE_BYTES:
        raise ContentError([Problem(label, 0, "file", f"is {size:,} bytes; packs are limited to {MAX_FILE_BYTES:,} bytes — split it")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError([Problem(label, 0, "file", "is not UTF-8 text")]) from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or "is not valid YAML"
        if "could not determine a constructor" in str(exc):
            what = "uses a YAML tag that packs may not use (only plain YAML is loaded)"
        raise ContentError([Problem(label, line, "yaml", what)]) from None
    except yaml.YAMLError as exc:
        raise ContentError([Problem(label, 0, "yaml", str(exc).splitlines()[0])]) from None
    except RecursionError:
        raise ContentError([Problem(label, 0, "yaml", "is nested too deeply")]) from None


# ---------------------------------------------------------------- validation helpers


class _Checker:
    """Collects problems for one file while its parts are turned into dataclasses."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def add(self, node: Any, fld: str, message: str, key: str | None = None) -> None:
        line = 0
        if isinstance(node, LineDict):
            line = node.key_lines.get(key or "", node.line) if key else node.line
        elif isinstance(node, LineList):
            line = node.line
        self.problems.append(Problem(self.file, line, fld, message))

    def mapping(self, node: Any, fld: str, required: Iterable[str], optional: Iterable[str] = ()) -> bool:
        if not isinstance(node, dict):
            self.add(node, fld, "should be a mapping of keys to values")
            return False
        required, optional = tuple(required), tuple(optional)
        ok = True
        for key in node:
            if key not in required and key not in optional:
                allowed = ", ".join(required + optional)
                self.add(node, f"{fld}.{key}", f"unknown key (allowed: {allowed})", key=str(key))
                ok = False
        for key in required:
            if key not in node or node[key] is None or node[key] == "":
                self.add(node, f"{fld}.{key}", "is missing")
                ok = False
        return ok

    def text(self, node: LineDict, key: str, fld: str, max_len: int | None = None) -> str:
        value = node.get(key)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.add(node, f"{fld}.{key}", "should be non-empty text", key=key)
            return ""
        if max_len and len(value) > max_len:
            self.add(node, f"{fld}.{key}", f"is {len(value)} characters; at most {max_len}", key=key)
        return value.strip()

    def texts(self, node: LineDict, key: str, fld: str, minimum: int = 0) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.add(node, f"{fld}.{key}", "should be a list of non-empty texts", key=key)
            return ()
        if len(value) < minimum:
            self.add(node, f"{fld}.{key}", f"needs at least {minimum} entries", key=key)
        return tuple(v.strip() for v in value)

    def choice(self, node: LineDict, key: str, fld: str, allowed: tuple[str, ...]) -> str:
        value = node.get(key)
        if value is None:
            return ""
        if value not in allowed:
            self.add(node, f"{fld}.{key}", f"'{value}' is not one of {', '.join(allowed)}", key=key)
            return ""
        return value

    def integer(self, node: LineDict, key: str, fld: str, lo: int, hi: int) -> int:
        value = node.get(key)
        if value is None:
            return 0
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            self.add(node, f"{fld}.{key}", f"should be a whole number from {lo} to {hi}", key=key)
            return 0
        return value

    def ident(self, node: LineDict, fld: str, seen: dict[str, str]) -> str:
        value = node.get("id")
        if not isinstance(value, str) or not _ID.match(value):
            self.add(node, f"{fld}.id", "should be lowercase letters, digits and '-' (2-120 characters)", key="id")
            return ""
        where = f"{self.file}:{node.key_lines.get('id', node.line)}"
        if value in seen:
            self.add(node, f"{fld}.id", f"'{value}' is already used at {seen[value]}", key="id")
        else:
            seen[value] = where
        return value


# ---------------------------------------------------------------- the parts


def _rubric(doc: Any, ck: _Checker) -> Rubric | None:
    if not ck.mapping(doc, "rubric", ("pass_bar", "dimensions"), ("reference_answers",)):
        if not isinstance(doc, dict) or "dimensions" not in doc:
            return None
    bar = doc.get("pass_bar")
    if not isinstance(bar, (int, float)) or isinstance(bar, bool) or not 1 <= bar <= 5:
        ck.add(doc, "pass_bar", "should be a number from 1 to 5", key="pass_bar")
        bar = 4.3
    dims: list[Dimension] = []
    raw = doc.get("dimensions")
    if not isinstance(raw, list):
        ck.add(doc, "dimensions", "should be a list", key="dimensions")
        return None
    for i, d in enumerate(raw):
        fld = f"dimensions[{i}]"
        if not ck.mapping(d, fld, ("id", "name", "weight", "short", "levels")):
            continue
        dim_id = ck.choice(d, "id", fld, DIMENSIONS)
        levels_raw = d.get("levels")
        levels: dict[int, str] = {}
        if not isinstance(levels_raw, dict) or not {1, 3, 5} <= set(levels_raw):
            ck.add(d, f"{fld}.levels", "should describe at least levels 1, 3 and 5", key="levels")
        else:
            for k, v in levels_raw.items():
                if k not in (1, 2, 3, 4, 5) or not isinstance(v, str):
                    ck.add(levels_raw, f"{fld}.levels.{k}", "levels are 1-5, each a description", key=str(k))
                else:
                    levels[k] = v.strip()
        dims.append(Dimension(dim_id, ck.text(d, "name", fld), ck.integer(d, "weight", fld, 1, 100),
                              ck.text(d, "short", fld, max_len=75), levels))
    ids = [d.id for d in dims]
    if sorted(ids) != sorted(DIMENSIONS) and len(dims) == len(raw):
        ck.add(raw, "dimensions", f"should be exactly {', '.join(DIMENSIONS)}")
    total = sum(d.weight for d in dims)
    if total != 100:
        ck.add(raw, "dimensions.weight", f"weights sum to {total}; they must sum to 100")
    refs: list[ReferenceAnswer] = []
    seen: dict[str, str] = {}
    for i, r in enumerate(doc.get("reference_answers") or []):
        fld = f"reference_answers[{i}]"
        if not ck.mapping(r, fld, ("id", "case", "answer", "scores", "why")):
            continue
        ans, scores = r.get("answer"), r.get("scores")
        if ck.mapping(ans, f"{fld}.answer", STEPS) and ck.mapping(scores, f"{fld}.scores", DIMENSIONS):
            for k in DIMENSIONS:
                ck.integer(scores, k, f"{fld}.scores", 1, 5)
            refs.append(ReferenceAnswer(ck.ident(r, fld, seen), ck.text(r, "case", fld),
                                        {k: str(ans[k]).strip() for k in STEPS},
                                        {k: int(scores[k]) for k in DIMENSIONS if isinstance(scores[k], int)},
                                        ck.text(r, "why", fld)))
    return Rubric(float(bar), tuple(dims), tuple(refs))


def _step(s: Any, fld: str, ck: _Checker, with_minutes: bool) -> Step | None:
    req = ("id", "name", "question", "guiding", "nudge") + (("minutes",) if with_minutes else ())
    if not ck.mapping(s, fld, req, ("cues",)):
        return None
    return Step(str(s["id"]), ck.text(s, "name", fld), ck.text(s, "question", fld), ck.texts(s, "guiding", fld, 1),
                ck.text(s, "nudge", fld), tuple(c.lower() for c in ck.texts(s, "cues", fld)),
                ck.integer(s, "minutes", fld, 1, 45) if with_minutes else 0)


def _frameworks(doc: Any, ck: _Checker) -> Frameworks | None:
    if not ck.mapping(doc, "frameworks", ("four_s", "clarity", "mistakes", "personas")):
        return None
    four = [st for i, s in enumerate(doc["four_s"] or []) if (st := _step(s, f"four_s[{i}]", ck, False))]
    if [s.id for s in four] != list(STEPS):
        ck.add(doc, "four_s", f"should list the steps {', '.join(STEPS)} in that order", key="four_s")
    clarity = [st for i, s in enumerate(doc["clarity"] or []) if (st := _step(s, f"clarity[{i}]", ck, True))]
    mistakes: dict[str, Mistake] = {}
    for i, m in enumerate(doc["mistakes"] or []):
        if ck.mapping(m, f"mistakes[{i}]", ("id", "message"), ("cues",)):
            mistakes[m["id"]] = Mistake(m["id"], ck.text(m, "message", f"mistakes[{i}]"),
                                        tuple(c.lower() for c in ck.texts(m, "cues", f"mistakes[{i}]")))
    personas: dict[str, tuple[str, ...]] = {}
    if isinstance(doc["personas"], dict):
        for role, _cues in doc["personas"].items():
            personas[str(role)] = tuple(c.lower() for c in ck.texts(doc["personas"], role, f"personas.{role}", 1))
    return Frameworks(tuple(four), tuple(clarity), mistakes, personas)


_PROMPT_KEYS = ("id", "title", "category", "area", "difficulty", "time_box_minutes", "text", "personas", "hints", "outline")
_PROMPT_OPTIONAL = ("enterprise", "interviewer_role", "skills", "compliance")
_OUTLINE_KEYS = ("scope", "segments", "tradeoffs", "kpis", "pitfalls")
_OUTLINE_OPTIONAL = ("phases", "api", "decision", "recommendation", "hypotheses", "options", "north_star", "observations")
DECISION_KEYS = ("choice", "gives_up", "why", "would_change")


def _prompt(p: Any, fld: str, ck: _Checker, seen: dict[str, str]) -> Prompt | None:
    if not ck.mapping(p, fld, _PROMPT_KEYS, _PROMPT_OPTIONAL):
        if not isinstance(p, dict):
            return None
    before = len(ck.problems)
    pid = ck.ident(p, fld, seen)
    fld = f"{fld}({pid})" if pid else fld
    personas: list[Persona] = []
    raw_personas = p.get("personas")
    if not isinstance(raw_personas, list) or len(raw_personas) < 2:
        ck.add(p, f"{fld}.personas", "needs at least 2 personas", key="personas")
    else:
        for i, per in enumerate(raw_personas):
            if ck.mapping(per, f"{fld}.personas[{i}]", ("role", "need")):
                personas.append(Persona(ck.choice(per, "role", f"{fld}.personas[{i}]", PERSONA_ROLES),
                                        ck.text(per, "need", f"{fld}.personas[{i}]")))
    hints: dict[str, tuple[str, ...]] = {}
    if ck.mapping(p.get("hints"), f"{fld}.hints", STEPS):
        hints = {s: ck.texts(p["hints"], s, f"{fld}.hints", 1) for s in STEPS}
    category = ck.choice(p, "category", fld, CATEGORIES)
    outline = _outline(p.get("outline"), f"{fld}.outline", ck, category)
    skills = ck.texts(p, "skills", fld)
    for s in skills:
        if s not in DIMENSIONS:
            ck.add(p, f"{fld}.skills", f"'{s}' is not a rubric dimension ({', '.join(DIMENSIONS)})", key="skills")
    enterprise = p.get("enterprise", False)
    if not isinstance(enterprise, bool):
        ck.add(p, f"{fld}.enterprise", "should be true or false", key="enterprise")
    prompt = Prompt(
        id=pid, title=ck.text(p, "title", fld, max_len=80), category=category,
        area=ck.choice(p, "area", fld, AREAS), difficulty=ck.choice(p, "difficulty", fld, DIFFICULTIES),
        time_box_minutes=ck.integer(p, "time_box_minutes", fld, 5, 60), text=ck.text(p, "text", fld),
        personas=tuple(personas), hints=hints, outline=outline or Outline((), (), {}, {}, (), (), ()), line=p.line,
        enterprise=bool(enterprise),
        interviewer_role=ck.choice(p, "interviewer_role", fld, INTERVIEWER_ROLES) or None,
        skills=skills, source=ck.file, compliance=_compliance(p, fld, ck),
    )
    return prompt if len(ck.problems) == before else None


def _compliance(p: LineDict, fld: str, ck: _Checker) -> tuple[str, ...]:
    names = ck.texts(p, "compliance", fld)
    for name in names:
        if name not in REGULATIONS:
            ck.add(p, f"{fld}.compliance", f"'{name}' is not a known regulation or standard "
                   f"({', '.join(REGULATIONS)})", key="compliance")
    return names


def _pairs(o: LineDict, key: str, names: tuple[str, str], fld: str, ck: _Checker, too_few: str) -> list[tuple[str, str]]:
    """A list of two-field mappings (segments: name and needs; hypotheses: cause and check), at least two."""
    if not isinstance(o[key], list) or len(o[key]) < 2:
        ck.add(o, f"{fld}.{key}", too_few, key=key)
        return []
    out = []
    for i, item in enumerate(o[key]):
        where = f"{fld}.{key}[{i}]"
        if ck.mapping(item, where, names):
            out.append((ck.text(item, names[0], where), ck.text(item, names[1], where)))
    return out


def _outline(o: Any, fld: str, ck: _Checker, category: str = "") -> Outline | None:
    """The model answer, in the shape of its family: every family has scope, segments,
    trade-offs, KPIs and pitfalls; `FAMILY_OUTLINE` adds what the family's answer is made of
    (phases for a design, a decision for a strategy, hypotheses for a diagnosis). An API sketch
    is optional everywhere: it belongs where the API is part of the answer."""
    if not ck.mapping(o, fld, _OUTLINE_KEYS, _OUTLINE_OPTIONAL):
        return None
    for key in FAMILY_OUTLINE.get(category, ((), ()))[0]:
        if key not in o or o[key] in (None, "", []):
            ck.add(o, f"{fld}.{key}", f"is missing: a {category} outline needs {', '.join(FAMILY_OUTLINE[category][0])}")
    segments = _pairs(o, "segments", ("name", "needs"), fld, ck, "needs at least 2 segments")
    phases: dict[str, str] = {}
    if o.get("phases") is not None and ck.mapping(o["phases"], f"{fld}.phases", ("v1",), ("v2", "v3")):
        phases = {k: ck.text(o["phases"], k, f"{fld}.phases") for k in ("v1", "v2", "v3") if k in o["phases"]}
    api: dict[str, Any] = {}
    if o.get("api") is not None and ck.mapping(
            o["api"], f"{fld}.api", ("method", "endpoint", "parameters", "response", "status_codes"), ("notes",)):
        a = o["api"]
        api = {"method": ck.choice(a, "method", f"{fld}.api", ("GET", "POST", "PUT", "PATCH", "DELETE")),
               "endpoint": ck.text(a, "endpoint", f"{fld}.api"),
               "parameters": ck.texts(a, "parameters", f"{fld}.api", 1),
               "response": ck.texts(a, "response", f"{fld}.api", 1),
               "status_codes": ck.texts(a, "status_codes", f"{fld}.api", 1),
               "notes": ck.text(a, "notes", f"{fld}.api")}
    kpis: list[Kpi] = []
    if not isinstance(o["kpis"], list) or len(o["kpis"]) < 2:
        ck.add(o, f"{fld}.kpis", "needs at least 2 KPIs with targets", key="kpis")
    else:
        for i, k in enumerate(o["kpis"]):
            kf = f"{fld}.kpis[{i}]"
            if ck.mapping(k, kf, ("metric", "target"), ("baseline", "guardrail")):
                guard = k.get("guardrail", False)
                if not isinstance(guard, bool):
                    ck.add(k, f"{kf}.guardrail", "should be true or false", key="guardrail")
                kpis.append(Kpi(ck.text(k, "metric", kf), str(k["target"]).strip(), ck.text(k, "baseline", kf), guard is True))
    decision: dict[str, str] = {}
    if o.get("decision") is not None and ck.mapping(o["decision"], f"{fld}.decision", DECISION_KEYS):
        decision = {k: ck.text(o["decision"], k, f"{fld}.decision") for k in DECISION_KEYS}
    hypotheses = _pairs(o, "hypotheses", ("cause", "check"), fld, ck,
                        "needs at least 2 hypotheses, each a cause and how to check it") if o.get("hypotheses") is not None else []
    options = ck.texts(o, "options", fld)
    if o.get("options") is not None and len(options) < 2:
        ck.add(o, f"{fld}.options", "needs at least 2 options to choose between", key="options")
    return Outline(ck.texts(o, "scope", fld, 1), tuple(segments), phases, api,
                   ck.texts(o, "tradeoffs", fld, 1), tuple(kpis), ck.texts(o, "pitfalls", fld, 1),
                   decision=decision, recommendation=ck.text(o, "recommendation", fld),
                   hypotheses=tuple(hypotheses), options=options, north_star=ck.text(o, "north_star", fld),
                   observations=ck.texts(o, "observations", fld), lines=dict(o.key_lines, outline=o.line))


def _drill(d: Any, fld: str, ck: _Checker, seen: dict[str, str]) -> SkillDrill | None:
    if not ck.mapping(d, fld, ("id", "skill", "minutes", "title", "task", "look_for", "example")):
        return None
    before = len(ck.problems)
    did = ck.ident(d, fld, seen)
    drill = SkillDrill(did, ck.choice(d, "skill", fld, SKILLS), ck.integer(d, "minutes", fld, 3, 10),
                       ck.text(d, "title", fld, max_len=80), ck.text(d, "task", fld),
                       ck.texts(d, "look_for", fld, 1), ck.text(d, "example", fld), ck.file)
    return drill if len(ck.problems) == before else None


# ---------------------------------------------------------------- loading


def default_dir() -> Path:
    """The packs shipped with sensebot: found from a checkout and from an installed wheel."""
    return Path(str(resources.files("content")))


def _label(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def load(dirs: Iterable[Path] | None = None, *, strict: bool = True) -> Library:
    """Load the shipped packs plus any extra pack folders.

    Extra folders may hold `prompts/*.yaml` (or `*.yaml` of prompts at their top),
    `drills.yaml`, and may override `rubric.yaml` / `frameworks.yaml`. With `strict`,
    any problem raises ContentError listing all of them.
    """
    base = default_dir()
    roots = [base, *[Path(d) for d in (dirs or ()) if Path(d).resolve() != base.resolve()]]
    problems: list[Problem] = []
    rubric = frameworks = None
    prompts: list[Prompt] = []
    drills: list[SkillDrill] = []
    seen_prompts: dict[str, str] = {}
    seen_drills: dict[str, str] = {}

    def parse(path: Path, root: Path, fn):
        ck = _Checker(_label(path, root))
        try:
            doc = read_yaml(path, ck.file)
        except ContentError as exc:
            problems.extend(exc.problems)
            return None
        result = fn(doc, ck)
        problems.extend(ck.problems)
        return result

    for root in roots:
        if not root.is_dir():
            problems.append(Problem(str(root), 0, "folder", "does not exist or is not a folder"))
            continue
        if (root / "rubric.yaml").exists():
            rubric = parse(root / "rubric.yaml", root, _rubric) or rubric
        if (root / "frameworks.yaml").exists():
            frameworks = parse(root / "frameworks.yaml", root, _frameworks) or frameworks
        if (root / "drills.yaml").exists():
            drills += parse(root / "drills.yaml", root, lambda doc, ck: _list(doc, ck, "drills", _drill, seen_drills)) or []
        files = sorted((root / "prompts").glob("*.yaml")) if (root / "prompts").is_dir() else []
        if root != base:
            files += [f for f in sorted(root.glob("*.yaml")) if f.name not in ("rubric.yaml", "frameworks.yaml", "drills.yaml")]
        for f in files:
            prompts += parse(f, root, lambda doc, ck: _list(doc, ck, "prompts", _prompt, seen_prompts)) or []
    if rubric is None and not any(p.field == "rubric" or "rubric" in p.file for p in problems):
        problems.append(Problem(str(base / "rubric.yaml"), 0, "rubric", "no rubric.yaml found"))
    if frameworks is None and not any("frameworks" in p.file for p in problems):
        problems.append(Problem(str(base / "frameworks.yaml"), 0, "frameworks", "no frameworks.yaml found"))
    if not prompts and not problems:
        problems.append(Problem(str(base / "prompts"), 0, "prompts", "no prompts found"))
    if problems and strict:
        raise ContentError(problems)
    return Library(rubric, frameworks, tuple(prompts), tuple(drills))  # type: ignore[arg-type]


def _list(doc: Any, ck: _Checker, key: str, fn, seen: dict[str, str]) -> list:
    if not isinstance(doc, dict) or set(doc) != {key}:
        ck.add(doc, key, f"the file should hold one top-level key '{key}:' with a list under it")
        return []
    items = doc[key]
    if not isinstance(items, list):
        ck.add(doc, key, "should be a list", key=key)
        return []
    return [x for i, item in enumerate(items) if (x := fn(item, f"{key}[{i}]", ck, seen))]
