"""Calibrated peer scores: how lenient each rater is, scores corrected for it, and agreement.

Raters differ: some give every answer a 5. The model is the simplest that explains that:
a vote's weighted score = the answer's quality + the rater's leniency + noise. Leniency is
estimated only from answers rated by at least two people (alternating means: each answer's
quality is the mean of its votes minus their raters' leniency; each rater's leniency is the
mean of their votes minus the answers' quality), shrunk toward zero by `PRIOR` pseudo-votes
so that one generous vote does not brand anyone. A calibrated score is the raw mean minus
its raters' average leniency, kept within 1-5.

Agreement is reported as one plain figure: the share of votes within `AGREE_WITHIN` of
their answer's mean weighted score. An answer whose votes span `WIDE` or more is flagged.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlmodel import select

from bot.content import DIMENSIONS, ReferenceAnswer, Rubric
from bot.context import Ctx
from bot.messages import Button, Choice, Field, Form, Message, Reply, Section, plural
from bot.rubric import read_scores, weighted
from bot.store.models import Member, Team, Vote

PRIOR = 2.0
ITERATIONS = 12
AGREE_WITHIN = 0.5
WIDE = 1.5
HISTORY = 3000  # most recent votes of the team used to estimate leniency


@dataclass(frozen=True)
class Rating:
    answer_id: int
    rater_id: int
    score: float  # the vote's weighted score


def leniency(ratings: Iterable[Rating]) -> dict[int, float]:
    """Each rater's offset from the raters they share answers with (0.0 for the unknown)."""
    by_answer: dict[int, list[Rating]] = defaultdict(list)
    for r in ratings:
        by_answer[r.answer_id].append(r)
    shared = [r for rs in by_answer.values() if len({x.rater_id for x in rs}) >= 2 for r in rs]
    bias: dict[int, float] = defaultdict(float)
    for _ in range(ITERATIONS):
        quality: dict[int, list[float]] = defaultdict(list)
        for r in shared:
            quality[r.answer_id].append(r.score - bias[r.rater_id])
        q = {a: sum(v) / len(v) for a, v in quality.items()}
        resid: dict[int, list[float]] = defaultdict(list)
        for r in shared:
            resid[r.rater_id].append(r.score - q[r.answer_id])
        bias = defaultdict(float, {rater: sum(v) / (len(v) + PRIOR) for rater, v in resid.items()})
    return dict(bias)


def refresh(ctx: Ctx, team: Team, rubric: Rubric) -> dict[int, float]:
    """Recompute every member's leniency from the team's recent votes and store it (when a round
    closes: once a day, so results and leaderboards only read a column)."""
    lean = estimate(ctx, team, rubric)
    for member in ctx.session.exec(select(Member).where(Member.team_id == team.id)):
        member.leniency = round(lean.get(member.id, 0.0), 4)
    return lean


def stored(ctx: Ctx, team: Team) -> dict[int, float]:
    return dict(ctx.session.exec(select(Member.id, Member.leniency).where(Member.team_id == team.id)).all())


def estimate(ctx: Ctx, team: Team, rubric: Rubric) -> dict[int, float]:
    """Leniency of every rater in the team, from its most recent votes."""
    cols = [getattr(Vote, d) for d in DIMENSIONS]
    rows = ctx.session.exec(select(Vote.answer_id, Vote.voter_id, *cols).where(Vote.team_id == team.id)
                            .order_by(Vote.id.desc()).limit(HISTORY))
    return leniency(Rating(a, v, weighted(dict(zip(DIMENSIONS, s, strict=True)), rubric)) for a, v, *s in rows)


def adjust(raw: float, offsets: Iterable[float]) -> float:
    """A mean weighted score with its raters' leniency taken out, kept on the 1-5 scale.

    A mean is linear, so taking each vote's rater offset out of every vote is the same as
    taking the raters' average offset out of the mean: one rule for results and leaderboards.
    """
    offsets = list(offsets)
    if not offsets:
        return raw
    return min(5.0, max(1.0, raw - sum(offsets) / len(offsets)))


@dataclass(frozen=True)
class Agreement:
    share: float | None  # votes within AGREE_WITHIN of their answer's mean, 0..1 (None: nothing to compare)
    compared: int  # votes on answers with two or more votes
    spread: dict[int, float]  # answer id -> max - min weighted score of its votes

    def sentence(self) -> str:
        if self.share is None:
            return "Too few answers with two or more votes to say how much raters agreed."
        return (f"Raters agreed: {self.share:.0%} of {plural(self.compared, 'vote')} were within {AGREE_WITHIN} of "
                f"their answer's average.")

    def wide(self) -> list[int]:
        return sorted(a for a, s in self.spread.items() if s >= WIDE)


def agreement(per_answer: Mapping[int, list[float]]) -> Agreement:
    """Agreement over answers' weighted vote scores."""
    close = compared = 0
    spread: dict[int, float] = {}
    for answer_id, scores in per_answer.items():
        if len(scores) < 2:
            continue
        mean = sum(scores) / len(scores)
        compared += len(scores)
        close += sum(1 for s in scores if abs(s - mean) <= AGREE_WITHIN + 1e-9)
        spread[answer_id] = max(scores) - min(scores)
    return Agreement(close / compared if compared else None, compared, spread)


# ------------------------------------------------------------------ first-vote calibration


def needed(ctx: Ctx, team: Team, member: Member) -> bool:
    """Before a member's first vote, if the content ships reference answers."""
    if member.calibrated_at is not None or not ctx.library.rubric.reference_answers:
        return False
    return ctx.session.exec(select(Vote.id).where(Vote.team_id == team.id, Vote.voter_id == member.id)).first() is None


def reference_for(ctx: Ctx, member: Member, ref_id: str = "") -> ReferenceAnswer:
    refs = ctx.library.rubric.reference_answers
    return next((r for r in refs if r.id == ref_id), refs[member.id % len(refs)])


def invitation(ctx: Ctx, member: Member, answer_id: int) -> Reply:
    """Shown instead of the vote form before a first vote: read a reference answer, then rate it."""
    ref = reference_for(ctx, member)
    steps = tuple(Section(step.capitalize(), text) for step, text in ref.answer.items())
    return Reply(messages=(Message(
        "Before your first vote: a one-minute calibration",
        "Rate this reference answer on the rubric, then see how your scores compare with the ones it was "
        "given. Everyone scores a little differently; knowing your lean makes your votes fairer.",
        sections=(Section("The case", ref.case), *steps), user_text=True,
        buttons=(Button("Rate the reference answer", "calibrate", f"{ref.id}:{answer_id}", "primary"),
                 Button("Skip", "calibrate_skip", str(answer_id)))),))


def score_fields(rubric: Rubric, existing: Mapping[str, int] | None = None) -> tuple[Field, ...]:
    """The five 1-5 rubric choices, as the vote form and the calibration form both show them."""
    choices = tuple(Choice(str(n), str(n)) for n in range(1, 6))
    return tuple(Field(id=d.id, label=f"{d.name} ({d.weight}%)", kind="choice", hint=d.short, choices=choices,
                       initial=str(existing[d.id]) if existing else "") for d in rubric.dimensions)


def form(ctx: Ctx, member: Member, value: str) -> Form:
    ref_id, _, answer_id = value.partition(":")
    ref = reference_for(ctx, member, ref_id)
    return Form(id="calibrate", title="Calibration", fields=score_fields(ctx.library.rubric), submit="Compare",
                meta={"ref": ref.id, "answer_id": answer_id}, intro=f"Rate the reference answer to: {ref.case}")


def compare(ctx: Ctx, member: Member, meta: Mapping[str, str], values: Mapping[str, str]) -> Reply:
    """Your scores against the reference's, dimension by dimension; then on to the real vote."""
    ref = reference_for(ctx, member, meta.get("ref", ""))
    mine = read_scores(values)
    rubric = ctx.library.rubric
    lines = []
    for d in rubric.dimensions:
        diff = mine[d.id] - ref.scores[d.id]
        lines.append(f"• {d.name}: you {mine[d.id]} · reference {ref.scores[d.id]} ({diff:+d})")
    lean = weighted(mine, rubric) - weighted(ref.scores, rubric)
    verdict = ("close to the reference" if abs(lean) < 0.3 else
               f"{abs(lean):.1f} {'more generous' if lean > 0 else 'stricter'} than the reference")
    member.calibrated_at = ctx.now()
    answer_id = meta.get("answer_id", "")
    buttons = (Button(f"Now rate answer #{answer_id}", "rate", answer_id, "primary"),) if answer_id.isdigit() else ()
    return Reply(messages=(Message("Calibration: how you compare", f"Overall you scored {verdict}.",
                                   sections=(Section("Dimension by dimension", "\n".join(lines)),
                                             Section("Why the reference scores are what they are", ref.why)),
                                   buttons=buttons),))
