"""Peer votes: five 1-5 rubric scores and an optional comment per voter per answer.

Rules, checked here once: the answer must belong to the voter's team (a forged id finds
nothing), its round must be in voting, nobody rates their own answer, and voting again
replaces the earlier vote.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import select

from bot.calibration import score_fields
from bot.content import DIMENSIONS
from bot.context import Ctx, UserError
from bot.deadlines import check_votes_open
from bot.inbound import parse_id
from bot.messages import Field, Form, Reply
from bot.results import vote_scores
from bot.rubric import passes, read_scores, weighted
from bot.store.models import Answer, Member, Round, Team, Vote

MAX_COMMENT = 1000


def _answer_for_voting(ctx: Ctx, team: Team, voter: Member, answer_id: str | int) -> tuple[Answer, Round]:
    raw = str(answer_id).strip().lstrip("#")
    if not raw.isdigit():
        raise UserError(f"'{str(answer_id)[:40]}' is not an answer number.")
    aid = parse_id(raw)
    answer = ctx.session.get(Answer, aid) if aid is not None else None
    if answer is None or answer.team_id != team.id or answer.round_id is None:
        raise UserError(f"There is no answer #{raw[:20]} in this team.")
    rnd = ctx.session.get(Round, answer.round_id)
    if answer.member_id == voter.id:
        raise UserError("You can't rate your own answer — rate a teammate's instead.")
    check_votes_open(ctx, team, rnd)
    return answer, rnd


def comment_field(initial: str = "") -> Field:
    """The optional comment beside rubric scores (votes and mock-interview feedback)."""
    return Field(id="comment", label="Comment", kind="multiline", optional=True, max_length=MAX_COMMENT,
                 hint="One thing that worked and one to improve", initial=initial)


def form(ctx: Ctx, team: Team, voter: Member, answer_id: str) -> Form:
    answer, _ = _answer_for_voting(ctx, team, voter, answer_id)
    existing = ctx.session.exec(select(Vote).where(Vote.answer_id == answer.id, Vote.voter_id == voter.id)).first()
    fields = score_fields(ctx.library.rubric, vote_scores(existing) if existing else None) + (
        comment_field(existing.comment if existing else ""),)
    return Form(id="vote", title=f"Rate answer #{answer.id}", fields=fields, submit="Submit vote",
                meta={"answer_id": str(answer.id)})


def cast(ctx: Ctx, team: Team, voter: Member, answer_id: str, values: Mapping[str, str]) -> Reply:
    answer, _ = _answer_for_voting(ctx, team, voter, answer_id)
    scores = read_scores(values)
    comment = (values.get("comment") or "").strip()
    if len(comment) > MAX_COMMENT:
        raise UserError(f"Comments are limited to {MAX_COMMENT:,} characters; yours has {len(comment):,}.")
    vote = ctx.session.exec(select(Vote).where(Vote.answer_id == answer.id, Vote.voter_id == voter.id)).first()
    replaced = vote is not None
    if vote is None:
        vote = Vote(team_id=team.id, answer_id=answer.id, voter_id=voter.id, created_at=ctx.now(), **scores)
        ctx.session.add(vote)
    else:
        for k, v in scores.items():
            setattr(vote, k, v)
        vote.created_at = ctx.now()
    vote.comment = comment
    ctx.session.flush()
    score = weighted(scores, ctx.library.rubric)
    verdict = "above" if passes(score, team.pass_bar) else "below"
    return Reply.note(f"Vote {'updated' if replaced else 'recorded'} for answer #{answer.id}",
                      f"Your scores weigh to {score:.2f} / 5 ({verdict} the {team.pass_bar:.2f} bar). "
                      + " · ".join(f"{d.name} {scores[d.id]}" for d in ctx.library.rubric.dimensions))


def parse_inline(args: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """`vote 12 5 4 4 3 5 great framing` -> ("12", {dims..., "comment": "great framing"})."""
    if len(args) < 1 + len(DIMENSIONS):
        raise UserError("Usage: vote <answer#> <problem> <empathy> <design> <impact> <communication> [comment] "
                        "— five scores from 1 to 5, e.g. vote 12 4 4 5 3 4 clear API sketch")
    values = dict(zip(DIMENSIONS, args[1:1 + len(DIMENSIONS)], strict=False))
    values["comment"] = " ".join(args[1 + len(DIMENSIONS):])
    return args[0], values
