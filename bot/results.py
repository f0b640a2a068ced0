"""A round's results: answers ranked by weighted score, per-dimension averages, pass marks."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.content import DIMENSIONS, Rubric
from bot.context import Ctx
from bot.rubric import averages, passes, weighted
from bot.store.models import Answer, Member, Round, Team, Vote


@dataclass(frozen=True)
class Entry:
    answer_id: int
    member_id: int
    name: str
    votes: int
    averages: dict[str, float]
    score: float | None
    passed: bool | None


@dataclass(frozen=True)
class Results:
    entries: tuple[Entry, ...]
    team_averages: dict[str, float]
    votes: int


def vote_scores(v: Vote) -> dict[str, int]:
    return {d: getattr(v, d) for d in DIMENSIONS}


def compute(ctx: Ctx, team: Team, rnd: Round, rubric: Rubric) -> Results:
    # Plain column rows, not ORM objects: a big round has thousands of votes.
    answers = list(ctx.session.exec(
        select(Answer.id, Answer.member_id, Member.display_name).join(Member, Member.id == Answer.member_id)
        .where(Answer.team_id == team.id, Answer.round_id == rnd.id)))
    by_answer: dict[int, list[dict[str, int]]] = {}
    everyone: list[dict[str, int]] = []
    if answers:
        cols = [getattr(Vote, d) for d in DIMENSIONS]
        for answer_id, *values in ctx.session.exec(
            select(Vote.answer_id, *cols).join(Answer, Answer.id == Vote.answer_id)
            .where(Vote.team_id == team.id, Answer.round_id == rnd.id)
        ):
            scores = dict(zip(DIMENSIONS, values, strict=False))
            by_answer.setdefault(answer_id, []).append(scores)
            everyone.append(scores)
    entries = []
    for answer_id, member_id, name in answers:
        scores = by_answer.get(answer_id, [])
        avg = averages(scores)
        score = weighted(avg, rubric) if avg else None
        entries.append(Entry(answer_id, member_id, name or "someone", len(scores), avg, score,
                             passes(score, team.pass_bar) if score is not None else None))
    entries.sort(key=lambda e: (e.score is None, -(e.score or 0), -e.votes, e.answer_id))
    return Results(tuple(entries), averages(everyone), len(everyone))
