"""Assigned reviewers: when voting opens, each answer gets `team.reviewers` teammates asked to rate it.

Who: the round's authors first (they know the case), then members who practised in the
last two weeks when there are too few authors. Never the author. Load is balanced — every
reviewer gets the same number of answers, give or take one — and a reviewer is steered
away from people they reviewed before. Reviewers are told privately which answers are
theirs and reminded once before the vote deadline if they have not voted. Anyone may
still rate any answer; an assignment is a nudge, not a permission.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import func, select

from bot import outbox
from bot.context import Ctx
from bot.messages import Button, Message, plural
from bot.store.models import (
    Answer,
    Member,
    PracticeDay,
    ReviewAssignment,
    Round,
    Team,
    Vote,
)
from bot.teams import members_by_id, when

ACTIVE_DAYS = 14
REMIND_AFTER = timedelta(hours=2)  # after voting opens...
REMIND_BEFORE = timedelta(minutes=30)  # ...but no later than this before it closes


def plan(authors: dict[int, int], candidates: list[int], k: int, history: Counter, salt: str) -> dict[int, list[int]]:
    """answer id -> reviewer ids. `authors` maps answer -> author; `history[(reviewer, author)]`
    counts past assignments. Greedy by (load, history, a stable hash), then moves from the
    busiest reviewer to the least busy until loads differ by at most one."""
    def tiebreak(reviewer: int) -> str:
        return hashlib.sha256(f"{salt}:{reviewer}".encode()).hexdigest()

    load: Counter = Counter({c: 0 for c in candidates})
    out: dict[int, list[int]] = {}
    for answer_id in sorted(authors, key=lambda a: tiebreak(-a)):
        author = authors[answer_id]
        pool = sorted((c for c in candidates if c != author),
                      key=lambda c: (load[c], history[(c, author)], tiebreak(c)))
        out[answer_id] = pool[:k]
        for c in out[answer_id]:
            load[c] += 1
    for _ in range(len(authors) * max(1, k)):  # rebalance
        busiest = max(candidates, key=lambda c: (load[c], tiebreak(c)), default=None)
        idlest = min(candidates, key=lambda c: (load[c], tiebreak(c)), default=None)
        if busiest is None or load[busiest] - load[idlest] <= 1:
            break
        movable = next((a for a, rs in sorted(out.items()) if busiest in rs and idlest not in rs
                        and authors[a] != idlest), None)
        if movable is None:
            break
        out[movable] = [idlest if r == busiest else r for r in out[movable]]
        load[busiest] -= 1
        load[idlest] += 1
    return out


def assign(ctx: Ctx, team: Team, rnd: Round, answers: list[Answer]) -> int:
    """Record the assignments for a round that just opened for votes and tell each reviewer."""
    if team.reviewers <= 0 or len(answers) < 1:
        return 0
    authors = {a.id: a.member_id for a in answers}
    since = rnd.local_date - timedelta(days=ACTIVE_DAYS)
    active = set(ctx.session.exec(select(PracticeDay.member_id).where(
        PracticeDay.team_id == team.id, PracticeDay.local_date >= since)))
    candidates = sorted(set(authors.values()))
    if len(candidates) <= team.reviewers:
        candidates = sorted(set(candidates) | active)
    history = Counter({(r, a): n for r, a, n in ctx.session.exec(
        select(ReviewAssignment.reviewer_id, ReviewAssignment.author_id, func.count(ReviewAssignment.id))
        .where(ReviewAssignment.team_id == team.id).group_by(ReviewAssignment.reviewer_id, ReviewAssignment.author_id))})
    planned = plan(authors, candidates, team.reviewers, history, salt=f"{team.id}:{rnd.id}")
    mine: dict[int, list[int]] = {}
    for answer_id, reviewers in planned.items():
        for r in reviewers:
            ctx.session.add(ReviewAssignment(team_id=team.id, round_id=rnd.id, answer_id=answer_id, reviewer_id=r,
                                             author_id=authors[answer_id], created_at=ctx.now()))
            mine.setdefault(r, []).append(answer_id)
    names = members_by_id(ctx, team)
    for reviewer_id, answer_ids in mine.items():
        member = names.get(reviewer_id)
        if member is None:
            continue
        outbox.enqueue(ctx, team, kind="direct", target=member.user_id,
                       dedupe_key=f"round:{rnd.id}:reviews:{reviewer_id}", message=Message(
                           f"You're a reviewer: {plural(len(answer_ids), 'answer')} to rate",
                           f"Please rate {numbers(answer_ids)} on the rubric by "
                           f"{when(rnd.vote_deadline, team)}. You're welcome to rate the others too.",
                           buttons=_rate_buttons(answer_ids)))
    return sum(len(v) for v in mine.values())


def numbers(answer_ids: Iterable[int]) -> str:
    """'#4, #7': answers as people refer to them."""
    return ", ".join(f"#{a}" for a in sorted(answer_ids))


def _rate_buttons(answer_ids: Iterable[int]) -> tuple[Button, ...]:
    return tuple(Button(f"Rate #{a}", "rate", str(a), "primary") for a in sorted(answer_ids)[:5])


def reminder_due(rnd: Round) -> datetime:
    return min(rnd.answer_deadline + REMIND_AFTER, rnd.vote_deadline - REMIND_BEFORE)


def pending(ctx: Ctx, team: Team, rnd: Round) -> dict[int, list[int]]:
    """reviewer id -> their assigned answers they have not rated yet."""
    voted = set(ctx.session.exec(select(Vote.answer_id, Vote.voter_id).join(Answer, Answer.id == Vote.answer_id)
                                 .where(Vote.team_id == team.id, Answer.round_id == rnd.id)))
    out: dict[int, list[int]] = {}
    for a in ctx.session.exec(select(ReviewAssignment).where(ReviewAssignment.team_id == team.id,
                                                             ReviewAssignment.round_id == rnd.id)):
        if (a.answer_id, a.reviewer_id) not in voted:
            out.setdefault(a.reviewer_id, []).append(a.answer_id)
    return out


def remind(ctx: Ctx, team: Team, rnd: Round, awake) -> int:
    """Once per round: DM reviewers who still owe votes (and are not in their quiet hours)."""
    sent = 0
    for reviewer_id, answer_ids in pending(ctx, team, rnd).items():
        member = ctx.session.get(Member, reviewer_id)
        if member is None or member.team_id != team.id or not member.reminders or not awake(member):
            continue
        row = outbox.enqueue(ctx, team, kind="direct", target=member.user_id,
                             dedupe_key=f"round:{rnd.id}:review-reminder:{reviewer_id}", message=Message(
                                 "Your reviews are still open",
                                 f"You were asked to rate {numbers(answer_ids)}; "
                                 f"voting closes {when(rnd.vote_deadline, team)}.",
                                 buttons=_rate_buttons(answer_ids),
                                 footer="Turn reminders off with: reminders off"))
        sent += row is not None
    return sent
