"""The team's past and present as the web home reads it: finished rounds (searched and
filtered), one round's page, a member's answers with the votes they got, the team's week,
and which cases the team has already done.

Read-only, and every query is scoped by team. The rules of what may be shown live here, not
in templates, so the web shows exactly what chat shows: nothing about answers before the
reveal but how many there are, votes only as averages, the model outline once results are out.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_
from sqlmodel import select

from bot import results, rounds
from bot.content import CATEGORY_NAMES, DIMENSIONS, Prompt
from bot.context import Ctx, UserError
from bot.rubric import averages, weighted
from bot.store.models import Answer, PracticeDay, Round, Team, Vote
from bot.teams import today

PAGE_SIZE = 30


def round_path(team_id: int, round_id: int) -> str:
    """A round's stable address on the web home (the adapter serves it; chat links to it)."""
    return f"/t/{team_id}/rounds/{round_id}"


def round_link(ctx: Ctx, team: Team, rnd: Round) -> str:
    """The full link to a round's page, or '' when no public address is configured."""
    return f"{ctx.public_url}{round_path(team.id, rnd.id)}" if ctx.public_url else ""


def revealed(team: Team, rnd: Round) -> bool:
    """Whether the round's answers may be shown: after the answer deadline, or at once when the team
    chose `reveal immediate` (the same rule as chat)."""
    return rnd.phase != "answering" or team.reveal == "immediate"


def family_name(prompt: Prompt | None) -> str:
    return CATEGORY_NAMES.get(prompt.category, prompt.category) if prompt else ""


@dataclass(frozen=True)
class RoundSummary:
    id: int
    local_date: date
    title: str
    family: str
    area: str
    answers: int


def _month(text: str) -> tuple[date, date]:
    try:
        year, month = (int(p) for p in text.split("-"))
        start = date(year, month, 1)
    except ValueError:
        raise UserError(f"'{text}' isn't a month — use YYYY-MM, e.g. 2026-11.") from None
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def finished_rounds(ctx: Ctx, team: Team, *, text: str = "", family: str = "", area: str = "", month: str = "",
                    page: int = 1) -> tuple[list[RoundSummary], int]:
    """Closed rounds, newest first, PAGE_SIZE a page, and how many match in all. `text` matches the
    case (title and prompt) or any revealed answer; `family` and `area` are the case's."""
    q = select(Round.id, Round.local_date, Round.prompt_id).where(Round.team_id == team.id, Round.phase == "closed")
    if month:
        start, end = _month(month)
        q = q.where(Round.local_date >= start, Round.local_date < end)
    if family or area:
        ids = [p.id for p in ctx.library.prompts if (not family or p.category == family) and (not area or p.area == area)]
        q = q.where(Round.prompt_id.in_(ids))
    text = text.strip()
    if text:
        needle = text.lower()
        cases = [p.id for p in ctx.library.prompts if needle in f"{p.title} {p.text}".lower()]
        pattern = _like(text)
        in_answers = select(Answer.round_id).where(Answer.team_id == team.id, Answer.round_id.is_not(None), or_(
            *(func.lower(getattr(Answer, c)).like(pattern.lower(), escape="\\")
              for c in ("scope", "segment", "solve", "score", "free_text"))))
        q = q.where(or_(Round.prompt_id.in_(cases), Round.id.in_(in_answers)))
    total = ctx.session.exec(select(func.count()).select_from(q.subquery())).one()
    rows = list(ctx.session.exec(q.order_by(Round.local_date.desc()).limit(PAGE_SIZE)
                                 .offset(max(0, page - 1) * PAGE_SIZE)))
    counts = dict(ctx.session.exec(
        select(Answer.round_id, func.count()).where(Answer.team_id == team.id, Answer.round_id.in_([r[0] for r in rows]))
        .group_by(Answer.round_id)).all()) if rows else {}
    out = []
    for rid, day, prompt_id in rows:
        p = ctx.library.prompt(prompt_id)
        out.append(RoundSummary(rid, day, p.title if p else prompt_id, family_name(p), p.area if p else "",
                                counts.get(rid, 0)))
    return out, total


def latest_finished(ctx: Ctx, team: Team) -> RoundSummary | None:
    """The newest closed round (the team home's "latest results"), in one query."""
    row = ctx.session.exec(select(Round.id, Round.local_date, Round.prompt_id)
                           .where(Round.team_id == team.id, Round.phase == "closed")
                           .order_by(Round.local_date.desc()).limit(1)).first()
    if row is None:
        return None
    p = ctx.library.prompt(row[2])
    return RoundSummary(row[0], row[1], p.title if p else row[2], family_name(p), p.area if p else "", 0)


@dataclass(frozen=True)
class ShownAnswer:
    id: int
    name: str
    sections: tuple[tuple[str, str], ...]
    entry: results.Entry | None
    wide: bool  # raters disagree (votes span 1.5 points or more)


@dataclass(frozen=True)
class RoundPage:
    round: Round
    prompt: Prompt | None
    answered: int
    answers: tuple[ShownAnswer, ...]
    results: results.Results | None
    outline: bool  # the model outline may be shown (results are out)


def round_page(ctx: Ctx, team: Team, round_id: int) -> RoundPage | None:
    """One round as its page shows it; None when the id is not this team's round."""
    rnd = rounds.find(ctx, team, round_id)
    if rnd is None:
        return None
    prompt = ctx.library.prompt(rnd.prompt_id)
    if not revealed(team, rnd):
        answered = ctx.session.exec(select(func.count()).where(Answer.team_id == team.id, Answer.round_id == rnd.id)).one()
        return RoundPage(rnd, prompt, answered, (), None, False)
    res = results.compute(ctx, team, rnd, ctx.library.rubric)
    by_answer = {e.answer_id: e for e in res.entries}
    wide = set(res.agreement.wide()) if res.agreement else set()
    steps = ctx.library.frameworks.four_s
    order = [e.answer_id for e in res.entries]
    shown = []
    for a in sorted(ctx.session.exec(select(Answer).where(Answer.team_id == team.id, Answer.round_id == rnd.id)),
                    key=lambda a: order.index(a.id) if a.id in order else len(order)):
        sections = tuple((s.name, getattr(a, s.id)) for s in steps if getattr(a, s.id))
        if a.free_text:
            sections += (("Answer" if not sections else "More", a.free_text),)
        entry = by_answer.get(a.id)
        shown.append(ShownAnswer(a.id, entry.name if entry else "someone", sections, entry, a.id in wide))
    return RoundPage(rnd, prompt, len(shown), tuple(shown), res, rnd.phase == "closed")


@dataclass(frozen=True)
class OpenCase:
    round: Round
    prompt: Prompt | None
    answered: int


def open_case(ctx: Ctx, team: Team) -> OpenCase | None:
    """Today's case for the team home: the round that isn't closed and how many have answered —
    never who or what (the round's own page shows answers once they are revealed)."""
    rnd = rounds.current(ctx, team)
    if rnd is None:
        return None
    answered = ctx.session.exec(select(func.count()).where(Answer.team_id == team.id, Answer.round_id == rnd.id)).one()
    return OpenCase(rnd, ctx.library.prompt(rnd.prompt_id), answered)


@dataclass(frozen=True)
class MyAnswer:
    round_id: int
    local_date: date
    title: str
    phase: str
    votes: int
    averages: dict[str, float]
    weighted: float | None


def member_answers(ctx: Ctx, team: Team, member_id: int, limit: int = 60) -> list[MyAnswer]:
    """A member's round answers, newest first, with the votes they got as averages (as in chat)."""
    rows = list(ctx.session.exec(
        select(Answer.id, Round.id, Round.local_date, Round.prompt_id, Round.phase)
        .join(Round, Round.id == Answer.round_id)
        .where(Answer.team_id == team.id, Answer.member_id == member_id, Round.team_id == team.id)
        .order_by(Round.local_date.desc()).limit(limit)))
    votes: dict[int, list[dict[str, int]]] = {}
    if rows:
        cols = [getattr(Vote, d) for d in DIMENSIONS]
        for answer_id, *values in ctx.session.exec(
            select(Vote.answer_id, *cols).where(Vote.team_id == team.id, Vote.answer_id.in_([r[0] for r in rows]))
        ):
            votes.setdefault(answer_id, []).append(dict(zip(DIMENSIONS, values, strict=True)))
    out = []
    for answer_id, rid, day, prompt_id, phase in rows:
        mine = votes.get(answer_id, [])
        avg = averages(mine)
        p = ctx.library.prompt(prompt_id)
        out.append(MyAnswer(rid, day, p.title if p else prompt_id, phase, len(mine), avg,
                            weighted(avg, ctx.library.rubric) if avg else None))
    return out


@dataclass(frozen=True)
class TeamWeek:
    days: tuple[tuple[date, int], ...]  # each practice day this week so far: answers that day
    practised: int  # members who practised this week
    members: int
    averages: dict[str, float]  # per dimension, votes on this week's rounds


def team_week(ctx: Ctx, team: Team) -> TeamWeek:
    """This week's participation and scores: the numbers behind the digest's team chart."""
    from bot.store.models import Member
    from bot.teams import is_practice_day
    on = today(ctx, team)
    monday = on - timedelta(days=on.weekday())
    week = [monday + timedelta(days=i) for i in range(on.weekday() + 1)]
    counts = dict(ctx.session.exec(
        select(Round.local_date, func.count(Answer.id)).join(Answer, Answer.round_id == Round.id)
        .where(Round.team_id == team.id, Answer.team_id == team.id, Round.local_date >= monday)
        .group_by(Round.local_date)).all())
    days = tuple((d, counts.get(d, 0)) for d in week if is_practice_day(team, d) or counts.get(d))
    practised, members = ctx.session.exec(select(  # one round trip for both counts
        select(func.count(func.distinct(PracticeDay.member_id)))
        .where(PracticeDay.team_id == team.id, PracticeDay.local_date >= monday).scalar_subquery(),
        select(func.count(Member.id)).where(Member.team_id == team.id).scalar_subquery())).one()
    cols = [func.avg(getattr(Vote, d)) for d in DIMENSIONS]
    row = ctx.session.exec(
        select(func.count(Vote.id), *cols).join(Answer, Answer.id == Vote.answer_id).join(Round, Round.id == Answer.round_id)
        .where(Vote.team_id == team.id, Answer.team_id == team.id, Round.team_id == team.id,
               Round.local_date >= monday)).one()
    avg = {d: float(v) for d, v in zip(DIMENSIONS, row[1:], strict=True)} if row[0] else {}
    return TeamWeek(days, practised, members, avg)


def done_cases(ctx: Ctx, team: Team) -> set[str]:
    """Cases this team has finished a round of: their outlines are no secret any more. Cases still to
    come keep their outline hidden, so the library can't spoil a future prompt."""
    return set(ctx.session.exec(select(Round.prompt_id).where(Round.team_id == team.id, Round.phase == "closed")))
