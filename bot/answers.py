"""Answers to a round: the form, the rules, and the coverage feedback a member sees at once.

One answer per member per round, editable until the answer deadline. A plain reply in
the round's thread adds free text to the member's answer. Text is stored exactly as
written (emoji, right-to-left, zero-width characters and markup included); adapters
make it safe to show.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot import coach, outbox, rounds, streaks
from bot.content import STEPS, Prompt
from bot.context import Ctx, UserError
from bot.messages import Field, Form, Message, Reply
from bot.store.models import Answer, Member, Round, Team
from bot.teams import when

MAX_FIELD_CHARS = 2900  # inside Slack's 3,000-character input limit
MAX_ANSWER_CHARS = 100_000  # a 100 KB thread reply is kept whole; anything larger is refused


def _visible(text: str) -> bool:
    """False for empty text or text of only whitespace and zero-width characters."""
    return any(not ch.isspace() and ch not in "\u200b\u200c\u200d\u2060\ufeff" for ch in text or "")


def mine(ctx: Ctx, team: Team, rnd: Round, member: Member) -> Answer | None:
    return ctx.session.exec(select(Answer).where(
        Answer.team_id == team.id, Answer.round_id == rnd.id, Answer.member_id == member.id)).first()


def form(ctx: Ctx, team: Team, rnd: Round, member: Member) -> Form:
    """The answer modal: one field per 4S step, prefilled when editing."""
    if rnd.phase != "answering":
        raise UserError(f"Answers for this round closed at {when(rnd.answer_deadline, team)}; voting is open instead.")
    prompt = ctx.library.prompt(rnd.prompt_id)
    existing = mine(ctx, team, rnd, member)
    fields = tuple(
        Field(id=s.id, label=s.name, hint=s.question, optional=True, max_length=MAX_FIELD_CHARS,
              initial=getattr(existing, s.id) if existing else "")
        for s in ctx.library.frameworks.four_s
    )
    return Form(id="answer", title="Your answer", fields=fields, submit="Submit answer",
                meta={"round_id": str(rnd.id)}, intro=prompt.title if prompt else "")


def submit(ctx: Ctx, team: Team, member: Member, rnd: Round, sections: dict[str, str] | None = None,
           free_text: str = "", source: str = "form") -> Reply:
    """Store or update the member's answer and reply with what it covers and misses."""
    if rnd.phase != "answering":
        raise UserError(f"Answers for this round closed at {when(rnd.answer_deadline, team)}. "
                        "Your text was not saved — paste it into a drill to keep practising.")
    sections = {s: (sections or {}).get(s) or "" for s in STEPS}
    for step, text in sections.items():
        if len(text) > MAX_FIELD_CHARS and source == "form":
            raise UserError(f"{step.capitalize()} is {len(text):,} characters; each step takes up to {MAX_FIELD_CHARS:,}.")
    total = sum(len(t) for t in sections.values()) + len(free_text)
    if total > MAX_ANSWER_CHARS:
        raise UserError(f"That answer is {total:,} characters; answers are limited to {MAX_ANSWER_CHARS:,}. "
                        "Trim it and send it again.")
    if not any(_visible(t) for t in [*sections.values(), free_text]):
        raise UserError("Your answer is empty — write at least a sentence for one of Scope, Segment, Solve or Score.")
    now = ctx.now()
    answer = mine(ctx, team, rnd, member)
    created = answer is None
    if answer is None:
        answer = Answer(team_id=team.id, round_id=rnd.id, member_id=member.id, source=source, created_at=now, updated_at=now)
        ctx.session.add(answer)
    if source == "thread":
        answer.free_text = f"{answer.free_text}\n\n{free_text}".strip() if answer.free_text else free_text
    else:
        for step, text in sections.items():
            setattr(answer, step, text)
        if free_text:
            answer.free_text = free_text
    answer.updated_at = now
    try:
        with ctx.session.begin_nested():
            ctx.session.flush()
    except IntegrityError:
        raise UserError("Your answer was being saved from somewhere else at the same moment — send it again.") from None
    milestone = streaks.record(ctx, team, member, rnd.local_date, "round")
    if team.reveal == "immediate" and created:
        outbox.enqueue(ctx, team, target=rnd.channel_id, thread_of=rnd.prompt_outbox_id,
                       dedupe_key=f"round:{rnd.id}:shown:{answer.id}",
                       message=rounds.answer_message(ctx, team, answer, member.display_name, with_rate=False))
    prompt = ctx.library.prompt(rnd.prompt_id)
    return feedback_reply(ctx, answer, prompt, "Answer saved" if created else "Answer updated",
                          f"You can edit it until {when(rnd.answer_deadline, team)}.", milestone)


def feedback_reply(ctx: Ctx, answer: Answer, prompt: Prompt | None, title: str, text: str,
                   milestone: int | None = None) -> Reply:
    return Reply(messages=(feedback_message(ctx, answer, prompt, title, text, milestone),))


def feedback_message(ctx: Ctx, answer: Answer, prompt: Prompt | None, title: str, text: str,
                     milestone: int | None = None) -> Message:
    sections = coach.feedback_sections(prompt, {s: getattr(answer, s) for s in STEPS}, answer.free_text, ctx.library)
    footer = f"🔥 That's a {milestone}-day streak!" if milestone else ""
    return Message(title, text, sections=sections, footer=footer)
