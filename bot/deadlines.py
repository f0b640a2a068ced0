"""Deadlines are the clock's, not the scheduler's.

A round's phase moves when the scheduler runs its step, which may be late (a busy
machine, a restart, a paused process). Whether an answer or a vote still counts is
decided here, from the round's stored deadlines and the clock, for every path that
writes one (form, thread reply, direct message, `answer`, `rate`/`vote`, buttons).
"""
from __future__ import annotations

from bot.context import Ctx, UserError
from bot.store.models import Round, Team
from bot.teams import when


def answers_open(ctx: Ctx, rnd: Round) -> bool:
    return rnd.phase == "answering" and ctx.now() < rnd.answer_deadline


def check_answers_open(ctx: Ctx, team: Team, rnd: Round, text: str = "") -> None:
    """Refuse an answer after the answer deadline; the refused text is echoed back, never lost."""
    if answers_open(ctx, rnd):
        return
    closed = f"Answers for this round closed at {when(rnd.answer_deadline, team)}"
    if text.strip():
        raise UserError(f"{closed}, so your text was not saved — it is below to keep, "
                        "or practise it in a drill.", echo=text)
    raise UserError(f"{closed}; voting is open instead." if rnd.phase != "closed" or ctx.now() < rnd.vote_deadline
                    else f"{closed}; the results are posted.")


def check_votes_open(ctx: Ctx, team: Team, rnd: Round) -> None:
    """Votes count from the reveal until the vote deadline, whether or not the round was closed yet."""
    if rnd.phase == "closed" or ctx.now() >= rnd.vote_deadline:
        raise UserError(f"Voting on this round has closed (at {when(rnd.vote_deadline, team)}); the results are posted.")
    if rnd.phase == "answering":
        raise UserError(f"Voting opens at {when(rnd.answer_deadline, team)}, when answers are revealed.")


def round_status(ctx: Ctx, team: Team, rnd: Round) -> str:
    """Where a round stands, by the clock: between a deadline and the scheduler's step that acts on
    it, the round already reads as it will a moment later (no Answer button that could only be refused)."""
    now = ctx.now()
    if answers_open(ctx, rnd):
        return f"This round is open for answers until {when(rnd.answer_deadline, team)}."
    if rnd.phase == "closed":
        return "This round is closed."
    if now >= rnd.vote_deadline:
        return f"Voting closed at {when(rnd.vote_deadline, team)}; the results are on their way."
    if rnd.phase == "answering":
        return f"Answers closed at {when(rnd.answer_deadline, team)}; they are revealed for voting in a moment."
    return f"This round is voting until {when(rnd.vote_deadline, team)}."
