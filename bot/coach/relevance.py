"""Is this an answer to *this* case? Compared with this case against the rest of the library.

Each case is embedded once from its text, personas, hints and outline. An answer is on topic
when it sits close to its own case in absolute terms and no other case is clearly closer: an
answer written for another case ranks that case first by a margin, and an answer to no case
in the domain (a recipe, words strung together) sits far from all of them. Vectors are
centred on the library's mean first, because static embeddings of any two English texts
share a large common direction that would otherwise drown the differences.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from bot.coach import model
from bot.content import Library, Prompt

MIN_SIMILARITY = 0.30  # centred cosine below which an answer matches no case in the domain
MARGIN = 0.06  # another case this much closer means the answer was written for that one
SHORT_WORDS = 60  # below this, an answer's vector is noisy: another case must be clearly closer
SHORT_MARGIN = 0.15
SHORT_MIN = 0.20  # ...and sits lower against its own case too: the floor it must clear
TWIN = 0.6  # cases this close to each other ask the same question; an answer may fit both
# A case outside the library is known only by its bare text (a sentence or two), which sits
# further from any full answer: judged with a lower floor, a wider margin and a looser twin test.
BARE = {"min": 0.20, "margin": 0.12, "twin": 0.35}


@dataclass(frozen=True)
class Relevance:
    on_topic: bool
    similarity: float  # to this case, centred cosine
    closest: str  # the id of the closest case
    closest_title: str


def bare_text(prompt: Prompt) -> str:
    return "\n".join([prompt.title, prompt.text, *(f"{x.role}: {x.need}" for x in prompt.personas)])


def profile_text(prompt: Prompt) -> str:
    o = prompt.outline
    parts = [prompt.title, prompt.text, *(f"{x.role}: {x.need}" for x in prompt.personas),
             *(h for hs in prompt.hints.values() for h in hs), *o.scope, *(f"{n}: {d}" for n, d in o.segments),
             *o.phases.values(), *(f"{k.metric}: {k.target} {k.baseline}".strip() for k in o.kpis), *o.tradeoffs,
             # the parts a family's answer is made of beyond phases (issue 16's outline shapes)
             *(f"{c}: {check}" for c, check in o.hypotheses), o.north_star, *o.options, *o.decision.values(),
             *o.observations, o.recommendation]
    if o.api:
        parts.append(f"{o.api.get('method', '')} {o.api.get('endpoint', '')} {o.api.get('notes', '')}")
    return "\n".join(x for x in parts if x)


class _Index:
    def __init__(self, library: Library) -> None:
        self.prompts = list(library.prompts)
        raw = model.embed([profile_text(p) for p in self.prompts]) if self.prompts else np.zeros((0, 1))
        self.mean = raw.mean(axis=0) if len(raw) else None
        self.vecs = self._centre(raw) if len(raw) else raw
        self.position = {p.id: i for i, p in enumerate(self.prompts)}
        # The cases as their bare text: what a case outside the library (no outline yet) is
        # compared on, so a thin case isn't out-voted by richer profiles of its neighbours.
        bare = model.embed([bare_text(p) for p in self.prompts]) if self.prompts else raw
        self.bare_mean = bare.mean(axis=0) if len(bare) else None
        self.bare = self._centre(bare, self.bare_mean) if len(bare) else bare

    def _centre(self, vecs: np.ndarray, mean: np.ndarray | None = None) -> np.ndarray:
        out = vecs - (self.mean if mean is None else mean)
        norms = np.linalg.norm(out, axis=-1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


_lock = threading.Lock()
_indexes: dict[int, tuple[Library, _Index]] = {}


def index(library: Library) -> _Index:
    """One index per library object (libraries are immutable; a reload builds a new one)."""
    key = id(library)
    hit = _indexes.get(key)
    if hit is None or hit[0] is not library:
        with _lock:
            hit = _indexes.get(key)
            if hit is None or hit[0] is not library:
                hit = (library, _Index(library))
                _indexes[key] = hit
    return hit[1]


def judge(answer_vec: np.ndarray, prompt: Prompt, library: Library, words: int = SHORT_WORDS) -> Relevance:
    idx = index(library)
    if idx.mean is None:
        return Relevance(True, 1.0, prompt.id, prompt.title)
    inside = prompt.id in idx.position
    # A case with no model outline yet is known only by its bare text, wherever it sits: an
    # answer lands further from it than from a full profile, so it gets the bare floor.
    bare = not inside or not prompt.outline.scope
    floor, twin = (BARE["min"], BARE["twin"]) if bare else (MIN_SIMILARITY, TWIN)
    if inside:
        a = idx._centre(answer_vec[None, :])[0]
        sims, vecs = idx.vecs @ a, idx.vecs
        case_vec = idx.vecs[idx.position[prompt.id]]
    else:  # a case outside the library (a custom pack being checked): compared on bare texts
        a = idx._centre(answer_vec[None, :], idx.bare_mean)[0]
        sims, vecs = idx.bare @ a, idx.bare
        case_vec = idx._centre(model.embed([bare_text(prompt)]), idx.bare_mean)[0]
    own = float(case_vec @ a)
    # A case that asks nearly the same question is not "a different question".
    twins = vecs @ case_vec >= twin
    best = int(np.argmax(sims))
    other = max((float(s) for i, s in enumerate(sims) if idx.prompts[i].id != prompt.id and not twins[i]), default=-1.0)
    closest = idx.prompts[best] if float(sims[best]) > own else prompt
    margin = MARGIN if words >= SHORT_WORDS else SHORT_MARGIN
    floor = floor if words >= SHORT_WORDS else min(floor, SHORT_MIN)
    margin = max(margin, BARE["margin"]) if bare else margin
    on_topic = own >= floor and own >= other - margin
    return Relevance(on_topic, own, closest.id, closest.title)
