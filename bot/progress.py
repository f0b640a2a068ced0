"""A member's progress: scores per round and per dimension, their weakest spot, and the chart."""
from __future__ import annotations

from sqlmodel import select

from bot import charts, streaks
from bot.content import DIMENSIONS, Dimension
from bot.context import Ctx
from bot.messages import Attachment, Message, Reply, Section, plural
from bot.rubric import averages, weakest, weighted
from bot.store.models import Answer, Member, PracticeDay, Round, Team, Vote
from bot.teams import today


def rated_answers(ctx: Ctx, team: Team, member: Member) -> list[charts.RatedAnswer]:
    """The member's round answers that received votes, oldest first, with averaged scores."""
    cols = [getattr(Vote, d) for d in DIMENSIONS]
    by_answer: dict[int, tuple] = {}
    for answer_id, day, *values in ctx.session.exec(
        select(Answer.id, Round.local_date, *cols).join(Round, Round.id == Answer.round_id)
        .join(Vote, Vote.answer_id == Answer.id)
        .where(Answer.team_id == team.id, Answer.member_id == member.id, Vote.team_id == team.id)
    ):
        by_answer.setdefault(answer_id, (day, []))[1].append(dict(zip(DIMENSIONS, values, strict=True)))
    out = []
    for day, votes in sorted(by_answer.values(), key=lambda t: t[0]):
        avg = averages(votes)
        out.append(charts.RatedAnswer(day, weighted(avg, ctx.library.rubric), avg))
    return out


def weakest_dimension(ctx: Ctx, team: Team, member: Member) -> tuple[Dimension, float] | None:
    """The dimension with the lowest average across every vote the member received."""
    rated = rated_answers(ctx, team, member)
    if not rated:
        return None
    avg = averages(r.dimensions for r in rated)
    dim = ctx.library.rubric.dimension(weakest(avg, ctx.library.rubric))
    return dim, avg[dim.id]


def report(ctx: Ctx, team: Team, member: Member, *, with_chart: bool = True) -> Reply:
    """`progress`: the numbers in text, and the chart once there are enough rated rounds
    (`with_chart=False`: the numbers only, for the App Home)."""
    rubric = ctx.library.rubric
    answered = ctx.session.exec(select(Answer.id).where(
        Answer.team_id == team.id, Answer.member_id == member.id, Answer.round_id.is_not(None))).all()
    info = streaks.streak(ctx, team, member)
    rated = rated_answers(ctx, team, member)
    if not rated:
        return Reply.note("Your progress", f"{plural(len(answered), 'answer')} so far, none rated yet. "
                                           f"Streak {info.current} (longest {info.longest}). "
                                           "Scores per dimension appear once teammates rate your answers.")
    avg = averages(r.dimensions for r in rated)
    weak = rubric.dimension(weakest(avg, rubric))
    lines = "\n".join(f"• {d.name} ({d.weight}%): {avg[d.id]:.2f}" for d in rubric.dimensions)
    sections = [Section("Per dimension", lines), Section(f"Work on: {weak.name}", weak.levels.get(5, ""))]
    attachment = None
    if with_chart and len(rated) < charts.MIN_POINTS:
        more = charts.MIN_POINTS - len(rated)
        sections.append(Section("Chart", f"Your chart appears after {charts.MIN_POINTS} rated rounds — "
                                         f"{more} more to go."))
    elif with_chart:
        days = set(ctx.session.exec(select(PracticeDay.local_date).where(
            PracticeDay.team_id == team.id, PracticeDay.member_id == member.id)))
        chart = charts.progress_chart(member.display_name or "You", rated, days, today(ctx, team), rubric, team.pass_bar)
        attachment = Attachment(chart.filename, chart.png, "image/png")
        sections.append(Section("Chart", chart.alt))
    text = (f"{plural(len(answered), 'answer')}, {len(rated)} rated · weighted {weighted(avg, rubric):.2f} / 5 · "
            f"streak {info.current}")
    return Reply(messages=(Message("Your progress", text, sections=tuple(sections)),), attachment=attachment)
