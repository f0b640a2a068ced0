"""Answers to a round: the form, the rules, and the coverage feedback a member sees at once.

One answer per member per round, editable until the answer deadline (the clock's, see
`bot.deadlines`). The form holds the four steps and the answer's added part ("More");
a thread reply, a direct message or `answer <text>` adds to that part and never blanks a
step (`apply` is the one rule). Short chat waits for its author's Save (`confirm`). Text is stored exactly as
written (emoji, right-to-left, zero-width characters and markup included); adapters
make it safe to show.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot import chat, coach, deadlines, outbox, rounds, streaks
from bot.content import STEPS, Prompt
from bot.context import Ctx, UserError
from bot.messages import Button, Field, Form, Message, Reply, Section
from bot.store.models import Answer, Member, PendingAnswer, Round, Team
from bot.teams import when

log = logging.getLogger(__name__)

MAX_FIELD_CHARS = 2900  # inside Slack's 3,000-character input limit
MAX_ANSWER_CHARS = 100_000  # a 100 KB thread reply is kept whole; anything larger is refused
EMPTY_ANSWER = "Your answer is empty — write at least a sentence for one of Scope, Segment, Solve or Score."
EXTRA = "extra"  # the form field for the answer's added part (stored as Answer.free_text)


def visible(text: str) -> bool:
    """False for empty text or text of only whitespace and zero-width characters."""
    return any(not ch.isspace() and ch not in "\u200b\u200c\u200d\u2060\ufeff" for ch in text or "")


def mine(ctx: Ctx, team: Team, rnd: Round, member: Member) -> Answer | None:
    return ctx.session.exec(select(Answer).where(
        Answer.team_id == team.id, Answer.round_id == rnd.id, Answer.member_id == member.id)).first()


def form(ctx: Ctx, team: Team, rnd: Round, member: Member) -> Form:
    """The answer modal: one field per 4S step and one for text added beside them, prefilled when editing.

    `extra_seen` records how much added text the form was opened with (none when absent), so
    text a member adds by message while the form is open is kept when they submit it. Added
    text too long for a form field isn't prefilled: what the member writes in More is added.
    """
    deadlines.check_answers_open(ctx, team, rnd)
    prompt = ctx.library.prompt(rnd.prompt_id)
    existing = mine(ctx, team, rnd, member)
    fields = tuple(
        Field(id=s.id, label=s.name, hint=s.question, optional=True, max_length=MAX_FIELD_CHARS,
              initial=getattr(existing, s.id) if existing else "")
        for s in ctx.library.frameworks.four_s
    )
    added = existing.free_text if existing else ""
    fits = len(added) <= MAX_FIELD_CHARS
    fields += (Field(id=EXTRA, label="More", optional=True, max_length=MAX_FIELD_CHARS,
                     hint="Anything beside the four steps; text you add by message or thread reply lands here"
                     if fits else "Your added text is too long to edit here; what you write is added to it",
                     initial=added if fits else ""),)
    return Form(id="answer", title="Your answer", fields=fields, submit="Submit answer",
                meta={"round_id": str(rnd.id), **({"extra_seen": str(len(added))} if added else {})},
                intro=prompt.title if prompt else "")


def apply(answer: Answer, now: datetime, *, sections: Mapping[str, str] | None = None, added: str = "",
          added_part: str | None = None) -> None:
    """The one rule for writing an answer, used by every path (form, thread, DM, `answer`, drills).

    `sections` sets only the 4S steps it names (the form names all four: that is an edit the
    member made in full view); `added_part` replaces the added text (the form's More field);
    `added` appends to it. Nothing else is touched, so text added later never blanks a step.
    """
    for step, text in (sections or {}).items():
        if step in STEPS:
            setattr(answer, step, text)
    if added_part is not None:
        answer.free_text = added_part
    answer.free_text = _with_added(answer.free_text, added)
    answer.updated_at = now


def _with_added(text: str, added: str) -> str:
    """`text` with `added` appended as its own paragraph (added text that is blank adds nothing)."""
    if not visible(added):
        return text
    return f"{text.rstrip()}\n\n{added}" if visible(text) else added


def submit(ctx: Ctx, team: Team, member: Member, rnd: Round, sections: Mapping[str, str] | None = None,
           added: str = "", source: str = "form", meta: Mapping[str, str] | None = None) -> Reply:
    """Store or add to the member's answer and reply with what it covers and misses.

    A form (`sections`, with the More field as `sections["extra"]`) edits the answer; any
    other path (`added`) adds its text to the answer's added part.
    """
    values = dict(sections or {})
    # a step of only spaces, newlines or zero-width characters is no step: stored empty, so it is never
    # shown as a blank section
    steps = {s: text if visible(text := values[s] or "") else "" for s in STEPS if s in values}
    extra = values.get(EXTRA)
    echo = "\n\n".join(t for t in [*steps.values(), extra or "", added] if visible(t))
    deadlines.check_answers_open(ctx, team, rnd, echo)
    for step, text in steps.items():
        if len(text) > MAX_FIELD_CHARS and source == "form":
            raise UserError(f"{step.capitalize()} is {len(text):,} characters; each step takes up to {MAX_FIELD_CHARS:,}.")
    if sections is None and not visible(added):
        raise UserError("That message is empty — write a sentence or two, then send it.")
    now = ctx.now()
    answer = mine(ctx, team, rnd, member)
    created = answer is None
    before = answer.free_text if answer else ""
    added_part = None
    if extra is not None:
        raw = str((meta or {}).get("extra_seen", "0"))
        seen = min(int(raw), len(before)) if raw.isdigit() and len(raw) < 10 else len(before)
        since = before[seen:].strip()  # added by message while the form was open: kept
        if seen > MAX_FIELD_CHARS:  # the form could not show it, so More adds to it
            added_part = "\n\n".join(t for t in (before.strip(), extra.strip()) if t)
        else:
            added_part = "\n\n".join(t for t in (extra.strip(), since) if t)
    result = {s: steps.get(s, getattr(answer, s) if answer else "") for s in STEPS}
    free = _with_added(added_part if added_part is not None else before, added)
    total = sum(len(t) for t in result.values()) + len(free)
    if total > MAX_ANSWER_CHARS:
        raise UserError(f"That answer is {total:,} characters; answers are limited to {MAX_ANSWER_CHARS:,}. "
                        "Trim it and send it again.")
    if not any(visible(t) for t in [*result.values(), free]):
        raise UserError(EMPTY_ANSWER)
    if answer is None:
        answer = Answer(team_id=team.id, round_id=rnd.id, member_id=member.id, source=source, created_at=now, updated_at=now)
        ctx.session.add(answer)
    apply(answer, now, sections=steps if sections is not None else None, added=added, added_part=added_part)
    try:
        with ctx.session.begin_nested():
            ctx.session.flush()
    except IntegrityError:
        raise UserError("Your answer was being saved from somewhere else at the same moment — send it again.") from None
    milestone = streaks.record(ctx, team, member, rnd.local_date, "round")
    shown = rounds.show_at_once(ctx, team, rnd, answer, member, created) if team.reveal == "immediate" else ""
    prompt = ctx.library.prompt(rnd.prompt_id)
    title = "Answer saved" if created else ("Added to your answer" if sections is None else "Answer updated")
    kept = "" if created or sections is not None else "Your Scope, Segment, Solve and Score are as they were; this is under More. "
    return feedback_reply(ctx, answer, prompt, title,
                          f"{kept}You can edit it with answer until {when(rnd.answer_deadline, team)}.{shown}", milestone)


def pending_of(ctx: Ctx, team: Team, member: Member) -> PendingAnswer | None:
    """The member's latest message waiting for Save or No."""
    return ctx.session.exec(select(PendingAnswer).where(
        PendingAnswer.team_id == team.id, PendingAnswer.member_id == member.id).order_by(PendingAnswer.id.desc())).first()


def confirm(ctx: Ctx, team: Team, member: Member, rnd: Round, text: str, source: str) -> Reply:
    """Chat is not an answer until its author says so: keep it aside and ask, privately."""
    deadlines.check_answers_open(ctx, team, rnd, text)
    pending = PendingAnswer(team_id=team.id, member_id=member.id, round_id=rnd.id, text=text, source=source,
                            created_at=ctx.now())
    ctx.session.add(pending)
    ctx.session.flush()
    return Reply(messages=(Message(
        "Save this as your answer?",
        "It reads like a question or a quick remark, so it isn't saved yet. "
        f"Answers to today's case close {when(rnd.answer_deadline, team)}.",
        sections=(Section("Your message", text),), user_text=True,
        buttons=(Button("Save", "pending_save", str(pending.id), "primary"), Button("No", "pending_drop", str(pending.id))),
        footer="Or reply save or no."),))


def _pending(ctx: Ctx, team: Team, member: Member, pending_id: int | None) -> PendingAnswer:
    pending = ctx.session.get(PendingAnswer, pending_id) if pending_id is not None else None
    if pending is None or pending.team_id != team.id or pending.member_id != member.id:
        raise UserError("That message was already saved or set aside — send it again if you want it as your answer.")
    return pending


def save_pending(ctx: Ctx, team: Team, member: Member, pending_id: int | None) -> Reply:
    """[Save]: the kept message is added to the member's answer, under the same rules as any text."""
    pending = _pending(ctx, team, member, pending_id)
    rnd = rounds.find(ctx, team, pending.round_id)
    if rnd is None:
        raise UserError("That round no longer exists — send your text again for today's case.", echo=pending.text)
    reply = submit(ctx, team, member, rnd, added=pending.text, source=pending.source)
    ctx.session.delete(pending)
    return reply


def drop_pending(ctx: Ctx, team: Team, member: Member, pending_id: int | None) -> Reply:
    """[No]: forget the kept message."""
    ctx.session.delete(_pending(ctx, team, member, pending_id))
    return Reply.note("Not saved", "Your answer is as it was.")


def late(ctx: Ctx, team: Team, member: Member, rnd: Round, text: str) -> Reply:
    """A thread reply after the answer deadline. It is not stored. If it reads like an answer, its author
    is told once per round (a DM through the outbox, keyed per member and round); chat — by the one rule
    in `bot.chat` — gets nothing."""
    if not chat.is_chat(text):
        outbox.enqueue(ctx, team, kind="direct", target=member.user_id, dedupe_key=f"round:{rnd.id}:late:{member.id}",
                       message=Message("Answers for this round closed",
                                       f"They closed at {when(rnd.answer_deadline, team)}, so your reply in the thread "
                                       "was not saved — paste it into a drill to keep practising."))
    return Reply()


def feedback_reply(ctx: Ctx, answer: Answer, prompt: Prompt | None, title: str, text: str,
                   milestone: int | None = None) -> Reply:
    return Reply(messages=(feedback_message(ctx, answer, prompt, title, text, milestone),))


def feedback_message(ctx: Ctx, answer: Answer, prompt: Prompt | None, title: str, text: str,
                     milestone: int | None = None) -> Message:
    try:
        sections = coach.feedback_sections(prompt, {s: getattr(answer, s) for s in STEPS}, answer.free_text, ctx.library)
    except Exception:  # the coach is advice: a fault in it must never cost the member the answer it comments on
        log.exception("the coach could not read answer %s", answer.id)
        sections = (Section("Coach", "The coach couldn't read this answer just now — it is saved all the same."),)
    footer = f"🔥 That's a {milestone}-day streak!" if milestone else ""
    return Message(title, text, sections=sections, footer=footer)
