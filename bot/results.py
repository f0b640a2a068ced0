"""A round's results: answers ranked by weighted score, per-dimension averages, pass marks."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import select

from bot.content import DIMENSIONS, Rubric
from bot.rubric import averages, passes, weighted
from bot.store.models import Answer, Member, Round, Team, Vote
from bot.context import Ctx


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
    answers = list(ctx.session.exec(select(Answer).where(Answer.team_id == team.id, Answer.round_id == rnd.id)))
    ids = [a.id for a in answers]
    votes = list(ctx.session.exec(select(Vote).where(Vote.team_id == team.id, Vote.answer_id.in_(ids)))) if ids else []
    names = {m.id: m.display_name for m in ctx.session.exec(
        select(Member).where(Member.team_id == team.id, Member.id.in_([a.member_id for a in answers])))} if ids else {}
    by_answer: dict[int, list[dict[str, int]]] = {}
    for v in votes:
        by_answer.setdefault(v.answer_id, []).append(vote_scores(v))
    entries = []
    for a in answers:
        scores = by_answer.get(a.id, [])
        avg = averages(scores)
        score = weighted(avg, rubric) if avg else None
        entries.append(Entry(a.id, a.member_id, names.get(a.member_id, "someone"), len(scores), avg, score,
                             passes(score, team.pass_bar) if score is not None else None))
    entries.sort(key=lambda e: (e.score is None, -(e.score or 0), -e.votes, e.answer_id))
    return Results(tuple(entries), averages([vote_scores(v) for v in votes]), len(votes))
