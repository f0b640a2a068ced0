"""A round's results: answers ranked by weighted score, per-dimension averages, pass marks.

Each answer's score is shown raw and calibrated (its raters' leniency taken out, see
`bot.calibration`); once an answer has the team's minimum number of votes the calibrated
score is the one that ranks and passes it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot import calibration
from bot.calibration import Agreement
from bot.content import DIMENSIONS, Rubric
from bot.context import Ctx
from bot.members import public_label
from bot.rubric import averages, passes, weighted
from bot.store.models import Answer, Member, Round, Team, Vote


@dataclass(frozen=True)
class Entry:
    answer_id: int
    member_id: int
    name: str
    votes: int
    averages: dict[str, float]
    score: float | None  # raw weighted score
    passed: bool | None
    calibrated: float | None = None  # weighted score with the raters' leniency taken out

    @property
    def ranked_by(self) -> float | None:
        return self.calibrated if self.calibrated is not None else self.score


@dataclass(frozen=True)
class Results:
    entries: tuple[Entry, ...]
    team_averages: dict[str, float]
    votes: int
    agreement: Agreement | None = None


def vote_scores(v: Vote) -> dict[str, int]:
    return {d: getattr(v, d) for d in DIMENSIONS}


def compute(ctx: Ctx, team: Team, rnd: Round, rubric: Rubric) -> Results:
    # Plain column rows, not ORM objects: a big round has thousands of votes.
    answers = list(ctx.session.exec(
        select(Answer.id, Answer.member_id, Member.display_name, Member.leaderboard_opt_out)
        .join(Member, Member.id == Answer.member_id)
        .where(Answer.team_id == team.id, Answer.round_id == rnd.id)))
    by_answer: dict[int, list[tuple[int, dict[str, int]]]] = {}
    everyone: list[dict[str, int]] = []
    if answers:
        cols = [getattr(Vote, d) for d in DIMENSIONS]
        for answer_id, voter_id, *values in ctx.session.exec(
            select(Vote.answer_id, Vote.voter_id, *cols).join(Answer, Answer.id == Vote.answer_id)
            .where(Vote.team_id == team.id, Answer.round_id == rnd.id)
        ):
            scores = dict(zip(DIMENSIONS, values, strict=False))
            by_answer.setdefault(answer_id, []).append((voter_id, scores))
            everyone.append(scores)
    lean = calibration.stored(ctx, team) if everyone else {}
    enough = max(1, team.min_votes)
    entries = []
    for answer_id, member_id, display_name, hidden in answers:
        name = public_label(display_name, hidden)  # results are posted publicly: hidden members stay unnamed
        votes = by_answer.get(answer_id, [])
        avg = averages(s for _, s in votes)
        score = weighted(avg, rubric) if avg else None
        calibrated = None
        if len(votes) >= enough:
            calibrated = calibration.adjust(score, (lean.get(v, 0.0) for v, _ in votes))
        ranked = calibrated if calibrated is not None else score
        entries.append(Entry(answer_id, member_id, name, len(votes), avg, score,
                             passes(ranked, team.pass_bar) if ranked is not None else None, calibrated))
    entries.sort(key=lambda e: (e.ranked_by is None, -(e.ranked_by or 0), -e.votes, e.answer_id))
    agree = calibration.agreement({a: [weighted(s, rubric) for _, s in vs] for a, vs in by_answer.items()})
    return Results(tuple(entries), averages(everyone), len(everyone), agree)
