"""Rounds: one prompt per team and local date, and its phases answering → voting → closed.

Every function here is idempotent: opening a round that exists returns it; each nudge,
reveal and result is queued under a dedupe key, so a second run queues nothing.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime, timedelta

from sqlmodel import delete, func, select

from bot import calibration, deadlines, outbox, results, reviewers, streaks
from bot.content import CATEGORY_NAMES, DEFAULT_FAMILIES, STEPS, Prompt
from bot.context import Ctx, UserError
from bot.localtime import as_utc, local_date, local_wall_to_utc, parse_hhmm
from bot.members import public_name
from bot.messages import Button, Message, Section, plural, ranks
from bot.store.models import Answer, Member, OutboxRow, PendingAnswer, Round, Team, Vote
from bot.teams import is_practice_day, members_by_id, today, when, zone

COMING_DAYS = 7  # how far ahead private practice leaves the daily cases alone


def available_prompts(ctx: Ctx, team: Team) -> list[Prompt]:
    """The prompts of the team's packs (all shipped packs when it chose none)."""
    packs = set(team.packs or [])
    prompts = [p for p in ctx.library.prompts if not packs or _pack_of(p) in packs]
    if not prompts:
        raise UserError("None of this team's packs has prompts; run `set packs` again or clear it.")
    return prompts


def _pack_of(p: Prompt) -> str:
    return p.source.rsplit("/", 1)[-1].removesuffix(".yaml")


def pick_prompt(ctx: Ctx, team: Team, category: str | None = None, exclude: set[str] | None = None) -> Prompt:
    """No repeat until the packs are used up; rotate the team's families (`set families`, the
    product-sense three by default); spread teams over the library."""
    return _choose(team, available_prompts(ctx, team), _history(ctx, team), category, exclude)


def _history(ctx: Ctx, team: Team) -> list[str]:
    return list(ctx.session.exec(
        select(Round.prompt_id).where(Round.team_id == team.id).order_by(Round.opened_at, Round.id)))


def _choose(team: Team, prompts: list[Prompt], history: list[str], category: str | None,
            exclude: set[str] | None) -> Prompt:
    """The daily picker's rule over a given history: pure, so it can look ahead (see coming_picks)."""
    uses = Counter(history)
    by_id = {p.id: p for p in prompts}
    if category:
        pool = of_family(prompts, category)
    else:
        families = tuple(team.families or DEFAULT_FAMILIES)
        recent = [by_id[pid].category for pid in history[-len(families) + 1:] if pid in by_id] if history and len(families) > 1 else []
        cat_uses = Counter(by_id[pid].category for pid in history if pid in by_id)
        order = sorted(families, key=lambda c: (c in recent, cat_uses[c], families.index(c)))
        pool = []
        for c in order:
            pool = [p for p in prompts if p.category == c]
            if pool:
                break
        pool = pool or prompts  # the chosen families have no cases in these packs: never skip a day
    pool = [p for p in pool if p.id not in (exclude or set())] or pool
    least = min(uses[p.id] for p in pool)
    pool = [p for p in pool if uses[p.id] == least]
    return min(pool, key=lambda p: hashlib.sha256(f"{team.id}:{p.id}".encode()).hexdigest())


def coming_picks(ctx: Ctx, team: Team, days: int = COMING_DAYS) -> list[Prompt]:
    """The cases the daily picker will post on the team's practice days of the next `days` days (those
    without a round yet), in order, without side effects."""
    start = today(ctx, team)
    count = sum(1 for i in range(days + 1) if is_practice_day(team, start + timedelta(days=i))
                and for_date(ctx, team, start + timedelta(days=i)) is None)
    prompts, history, picks = available_prompts(ctx, team), _history(ctx, team), []
    for _ in range(count):
        picks.append(_choose(team, prompts, history, None, None))
        history.append(picks[-1].id)
    return picks


def off_limits(ctx: Ctx, team: Team) -> set[str]:
    """Cases private practice must not hand out: the open round's and the coming practice days'."""
    reserved = {p.id for p in coming_picks(ctx, team)}
    if (rnd := current(ctx, team)) is not None:
        reserved.add(rnd.prompt_id)
    return reserved


def of_family(prompts: list[Prompt], family: str) -> list[Prompt]:
    """The cases of one family, or a UserError saying the team's packs have none."""
    pool = [p for p in prompts if p.category == family]
    if not pool:
        raise UserError(f"This team's packs have no {family} cases yet — try another family.")
    return pool


def pick_private(ctx: Ctx, team: Team, done: set[str], category: str | None = None,
                 among: list[Prompt] | None = None) -> Prompt | None:
    """A case for private practice (a drill, a mock pair): never the open round's nor a coming practice
    day's — its model outline would spoil that day — and not one in `done` while others are left."""
    reserved = off_limits(ctx, team)
    pool = among if among is not None else available_prompts(ctx, team)
    pool = of_family(pool, category) if category else pool
    for avoid in (reserved | done, reserved):
        allowed = [p for p in pool if p.id not in avoid]
        if allowed:
            return _choose(team, allowed, _history(ctx, team), category, None)
    return None


def timeline(team: Team, day: date, opens: datetime | None = None) -> tuple:
    """(opens, answer deadline, vote deadline) in UTC for the round of local date `day` under the
    team's current settings (`opens` overrides the opening: a held announced time)."""
    opens = opens or local_wall_to_utc(day, parse_hhmm(team.practice_time), zone(team))
    return (opens, opens + timedelta(minutes=team.answer_minutes), opens + timedelta(minutes=team.vote_minutes))


def planned_steps(team: Team, opens: datetime) -> dict[str, datetime]:
    """The opening, the staged nudges and the reminder of a round opening at `opens`, under the
    team's current settings; stored on the round when it opens so later changes don't move it."""
    steps = {"open": opens}
    for step_id, minutes in zip(STEPS, team.nudge_minutes or [], strict=False):
        steps[f"nudge:{step_id}"] = opens + timedelta(minutes=minutes)
    steps["reminder"] = opens + timedelta(minutes=team.reminder_minutes)
    return steps


def step_times(team: Team, rnd: Round) -> dict[str, datetime]:
    """The instants this round was announced with (rounds from before they were stored: the settings')."""
    if rnd.step_times:
        return {name: as_utc(datetime.fromisoformat(at)) for name, at in rnd.step_times.items()}
    return planned_steps(team, timeline(team, rnd.local_date)[0])


def calendar_date(team: Team, rnd: Round) -> date:
    """The local date, on the team's *current* calendar, on which this round was announced. After a
    timezone change it can differ from `rnd.local_date`, the date it was announced for."""
    return local_date(step_times(team, rnd)["open"], zone(team))


def find(ctx: Ctx, team: Team, round_id: int | None) -> Round | None:
    """A round by id, only if it is this team's: a forged id (or none, see `inbound.parse_id`) finds nothing."""
    rnd = ctx.session.get(Round, round_id) if round_id is not None else None
    return rnd if rnd is not None and rnd.team_id == team.id else None


def for_date(ctx: Ctx, team: Team, day: date) -> Round | None:
    """The round announced on local date `day` of the team's current calendar."""
    q = select(Round).where(Round.team_id == team.id, Round.local_date >= day - timedelta(days=1),
                            Round.local_date <= day + timedelta(days=1))
    return next((r for r in ctx.session.exec(q) if calendar_date(team, r) == day), None)


def last_opened(ctx: Ctx, team: Team) -> Round | None:
    return ctx.session.exec(select(Round).where(Round.team_id == team.id)
                            .order_by(Round.opened_at.desc(), Round.id.desc())).first()


def by_thread(ctx: Ctx, team: Team, thread_ref: str) -> Round | None:
    return ctx.session.exec(select(Round).where(Round.team_id == team.id, Round.message_ref == thread_ref)).first()


def current(ctx: Ctx, team: Team, phase: str | None = None) -> Round | None:
    """The newest round that is not closed (or in the given phase)."""
    q = select(Round).where(Round.team_id == team.id)
    q = q.where(Round.phase == phase) if phase else q.where(Round.phase != "closed")
    return ctx.session.exec(q.order_by(Round.opened_at.desc(), Round.id.desc())).first()


def latest(ctx: Ctx, team: Team) -> Round | None:
    return last_opened(ctx, team)


def latest_closed(ctx: Ctx, team: Team) -> Round | None:
    """The newest finished round: the one `results` shows."""
    return ctx.session.exec(select(Round).where(Round.team_id == team.id, Round.phase == "closed")
                            .order_by(Round.opened_at.desc(), Round.id.desc())).first()


def progress_message(ctx: Ctx, team: Team, rnd: Round) -> Message:
    """An open round as counts only: how many answered and voted, never who."""
    answered = ctx.session.exec(select(func.count(Answer.id)).where(
        Answer.team_id == team.id, Answer.round_id == rnd.id)).one()
    voted = ctx.session.exec(select(func.count(Vote.id)).join(Answer, Answer.id == Vote.answer_id).where(
        Vote.team_id == team.id, Answer.round_id == rnd.id)).one()
    prompt = ctx.library.prompt(rnd.prompt_id)
    counts = plural(answered, "answer") + ("" if deadlines.answers_open(ctx, rnd) else f", {plural(voted, 'vote')}")
    text = f"{deadlines.round_status(ctx, team, rnd)} {counts} so far."
    return Message(f"In progress: {prompt.title if prompt else rnd.prompt_id}", text,
                   footer="Results are posted when voting closes.")


def open_round(ctx: Ctx, team: Team, day: date, opens: datetime | None = None) -> Round:
    """Create the round of `day` and queue its prompt; return the existing one if there is one.
    The round keeps its deadlines and step times: a settings change later applies to the next day."""
    existing = for_date(ctx, team, day)
    if existing is not None:
        return existing
    if not team.channel_id:
        raise UserError("No channel is set up yet — an admin runs: setup #channel HH:MM Area/City")
    prompt = pick_prompt(ctx, team)
    opens, answer_by, vote_by = timeline(team, day, opens)
    rnd = Round(team_id=team.id, local_date=day, prompt_id=prompt.id, phase="answering", opened_at=ctx.now(),
                answer_deadline=max(answer_by, ctx.now() + timedelta(minutes=30)),
                vote_deadline=max(vote_by, ctx.now() + timedelta(minutes=60)), channel_id=team.channel_id,
                step_times={name: at.isoformat() for name, at in planned_steps(team, opens).items()})
    ctx.session.add(rnd)
    ctx.session.flush()
    row = outbox.enqueue(ctx, team, target=team.channel_id, message=prompt_message(prompt, rnd, team),
                         dedupe_key=f"round:{rnd.id}:prompt", round_id=rnd.id)
    rnd.prompt_outbox_id = row.id if row else None
    return rnd


def prompt_message(prompt: Prompt, rnd: Round, team: Team) -> Message:
    personas = "\n".join(f"• {p.role.replace('-', ' ')}: {p.need}" for p in prompt.personas)
    role = f"\nYour interviewer plays a {prompt.interviewer_role.replace('-', ' ')}." if prompt.interviewer_role else ""
    return Message(
        title=f"Today's case: {prompt.title}",
        text=f"{prompt.text}{role}",
        sections=(
            Section("Category", f"{CATEGORY_NAMES[prompt.category]} · {prompt.area.replace('-', ' ')} · "
                                f"{prompt.difficulty} · time box {prompt.time_box_minutes} min"),
            Section("Personas to consider", personas),
            Section("How it runs", f"Answer by {when(rnd.answer_deadline, team)} with Scope, Segment, Solve, Score. "
                                   f"Votes until {when(rnd.vote_deadline, team)}. The steps follow in this thread."),
        ),
        buttons=(Button("Answer", "answer", str(rnd.id), "primary"), Button("Drill a different one", "drill", "")),
    )


def step_message(prompt: Prompt, step_id: str, ctx: Ctx) -> Message:
    step = ctx.library.frameworks.step(step_id)
    n = [s.id for s in ctx.library.frameworks.four_s].index(step_id) + 1
    hints = "\n".join(f"• {h}" for h in prompt.hints.get(step_id, ()))
    return Message(
        title=f"Step {n} of 4 — {step.name}",
        text=step.question,
        sections=(Section("Questions a strong candidate asks", hints),) if hints else (),
    )


def nudge(ctx: Ctx, team: Team, rnd: Round, step_id: str) -> None:
    prompt = ctx.library.prompt(rnd.prompt_id)
    if prompt is None or rnd.phase != "answering":
        return
    outbox.enqueue(ctx, team, target=rnd.channel_id, message=step_message(prompt, step_id, ctx),
                   dedupe_key=f"round:{rnd.id}:nudge:{step_id}", thread_of=rnd.prompt_outbox_id)


def answer_message(ctx: Ctx, team: Team, answer: Answer, name: str, with_rate: bool) -> Message:
    sections = tuple(Section(s.name, getattr(answer, s.id)) for s in ctx.library.frameworks.four_s if getattr(answer, s.id))
    if answer.free_text:
        sections += (Section("Answer" if not sections else "More", answer.free_text),)
    return Message(
        title=f"Answer #{answer.id} by {name}", sections=sections, user_text=True,
        buttons=(Button("Rate", "rate", str(answer.id), "primary"),) if with_rate else (),
    )


def _shown_key(team: Team, rnd: Round, answer: Answer) -> str:
    return f"{team.id}:round:{rnd.id}:shown:{answer.id}"


def _shown_row(ctx: Ctx, team: Team, rnd: Round, answer: Answer) -> OutboxRow | None:
    return ctx.session.exec(select(OutboxRow).where(
        OutboxRow.team_id == team.id, OutboxRow.dedupe_key == _shown_key(team, rnd, answer))).first()


def show_at_once(ctx: Ctx, team: Team, rnd: Round, answer: Answer, member: Member, created: bool) -> str:
    """`reveal immediate`: post an answer when it is first saved; returns what to tell its author.

    Chat platforms' posts can't be edited through the ChatPort, so an answer is posted once:
    an edit made before that post went out replaces its text; an edit made after it is posted
    once more when voting opens, marked "(edited)", and an unchanged answer then gets only
    its Rate button.
    """
    message = answer_message(ctx, team, answer, public_name(member), with_rate=False)
    if created:
        outbox.enqueue(ctx, team, target=rnd.channel_id, thread_of=rnd.prompt_outbox_id,
                       dedupe_key=f"round:{rnd.id}:shown:{answer.id}", message=message)
        return ""
    row = _shown_row(ctx, team, rnd, answer)
    if row is not None and row.status == "pending" and (row.claimed_until is None or row.claimed_until < ctx.now()):
        row.payload = message.to_json()  # not out yet: it goes out with the new text
        return ""
    return (" Your first version is already posted in the thread; this edit is posted there once, "
            f"marked edited, when voting opens {when(rnd.answer_deadline, team)}.")


def reveal(ctx: Ctx, team: Team, rnd: Round) -> None:
    """Answer deadline: show every answer with a Rate button and open voting."""
    if rnd.phase != "answering":
        return
    answers = list(ctx.session.exec(select(Answer).where(Answer.team_id == team.id, Answer.round_id == rnd.id)
                                     .order_by(Answer.id)))
    if not answers:
        rnd.phase = "closed"
        outbox.enqueue(ctx, team, target=rnd.channel_id, dedupe_key=f"round:{rnd.id}:reveal",
                       thread_of=rnd.prompt_outbox_id,
                       message=Message("Answers are closed", "Nobody answered this one. See you at the next prompt!"))
        return
    rnd.phase = "voting"
    names = members_by_id(ctx, team)
    outbox.enqueue(ctx, team, target=rnd.channel_id, dedupe_key=f"round:{rnd.id}:reveal",
                   thread_of=rnd.prompt_outbox_id, message=Message(
                       f"Voting is open: {plural(len(answers), 'answer')}",
                       f"Rate each answer on the five rubric dimensions until {when(rnd.vote_deadline, team)}. "
                       "You can't rate your own; rating again replaces your vote."))
    for a in answers:
        name = public_name(names.get(a.member_id))
        message = answer_message(ctx, team, a, name, with_rate=True)
        shown = _shown_row(ctx, team, rnd, a)
        if shown is not None and shown.status == "pending" and shown.claimed_until is None:
            ctx.session.delete(shown)  # never went out: this post is the one
        elif shown is not None and shown.status == "sent":
            if Message.from_json(shown.payload) != answer_message(ctx, team, a, name, with_rate=False):
                # edited after it was shown: the final text, once, marked
                message = Message(message.title + " (edited)", message.text, message.sections, message.buttons,
                                  user_text=True)
            else:  # shown unchanged above: only the Rate button, not the text a second time
                message = Message(f"Rate answer #{a.id} by {name}", "Its text is above in this thread.",
                                  buttons=message.buttons, user_text=True)
        outbox.enqueue(ctx, team, target=rnd.channel_id, dedupe_key=f"round:{rnd.id}:answer:{a.id}",
                       thread_of=rnd.prompt_outbox_id, message=message)
    reviewers.assign(ctx, team, rnd, answers)


def close(ctx: Ctx, team: Team, rnd: Round) -> None:
    """Vote deadline: post results (ranking, averages, pass marks, model outline)."""
    if rnd.phase == "closed":
        return
    rnd.phase = "closed"
    # chat nobody chose to save can't be saved any more: don't keep it
    ctx.session.exec(delete(PendingAnswer).where(PendingAnswer.team_id == team.id, PendingAnswer.round_id == rnd.id))
    prompt = ctx.library.prompt(rnd.prompt_id)
    calibration.refresh(ctx, team, ctx.library.rubric)
    res = results.compute(ctx, team, rnd, ctx.library.rubric)
    outbox.enqueue(ctx, team, target=rnd.channel_id, dedupe_key=f"round:{rnd.id}:results",
                   message=results_message(ctx, team, rnd, prompt, res))
    for member_id in {e.member_id for e in res.entries}:
        member = ctx.session.get(Member, member_id)
        if member.leaderboard_opt_out:
            continue  # hidden members are never named in public; their own replies still celebrate
        info = streaks.streak(ctx, team, member)
        if info.current in streaks.MILESTONES:
            outbox.enqueue(ctx, team, target=rnd.channel_id, dedupe_key=f"milestone:{member_id}:{rnd.local_date}",
                           message=Message(f"🔥 {member.display_name} reached a {info.current}-day streak!", user_text=True))


def results_message(ctx: Ctx, team: Team, rnd: Round, prompt: Prompt | None, res: results.Results) -> Message:
    rubric = ctx.library.rubric
    lines = []
    places = ranks([e.ranked_by if e.ranked_by is not None else float("-inf") for e in res.entries])
    for i, e in zip(places, res.entries, strict=True):
        if e.score is None:
            lines.append(f"{i}. {e.name} — no votes yet")
        else:
            mark = "✅ pass" if e.passed else "❌ below bar"
            shown = f"{e.calibrated:.2f} calibrated (raw {e.score:.2f})" if e.calibrated is not None else f"{e.score:.2f}"
            wide = " ⚠️ raters disagree" if res.agreement and e.answer_id in res.agreement.wide() else ""
            lines.append(f"{i}. {e.name} — {shown} {mark} ({plural(e.votes, 'vote')}){wide}")
    sections = [Section("Ranking", "\n".join(lines) or "No answers.")]
    if res.agreement is not None and res.votes:
        sections.append(Section("How much raters agreed", res.agreement.sentence() + (
            " Calibrated scores take out each rater's usual leniency, learned from the answers they rated "
            "alongside others." if any(e.calibrated is not None for e in res.entries) else "")))
    if res.team_averages:
        sections.append(Section("Team average per dimension", "\n".join(
            f"• {d.name} ({d.weight}%): {res.team_averages[d.id]:.2f}" for d in rubric.dimensions)))
    if prompt is not None:
        sections.append(Section("Model outline", outline_text(prompt)))
    from bot.archive import round_link  # archive reads rounds; imported here to keep the import graph one-way
    link = round_link(ctx, team, rnd)
    return Message(f"Results: {prompt.title if prompt else rnd.prompt_id}",
                   f"Pass bar {team.pass_bar:.2f} / 5 · {plural(res.votes, 'vote')} cast.",
                   sections=tuple(sections), user_text=True, footer=f"All answers and scores: {link}" if link else "")


def outline_text(prompt: Prompt) -> str:
    """The model answer as text, in the order its family answers: only the sections it has."""
    o = prompt.outline
    api = o.api
    parts = ["Scope: " + " ".join(o.scope),
             "Segments: " + "; ".join(f"{n} — {needs}" for n, needs in o.segments)]
    if o.observations:
        parts.append("What works and what doesn't: " + " ".join(o.observations))
    if o.hypotheses:
        parts.append("Hypotheses: " + "; ".join(f"{cause} (check: {check})" for cause, check in o.hypotheses))
    if o.north_star:
        parts.append(f"North star: {o.north_star}")
    if o.options:
        parts.append("Options: " + "; ".join(o.options))
    if o.decision:
        d = o.decision
        parts.append(f"Decision: {d['choice']} Gives up: {d['gives_up']} Why: {d['why']} "
                     f"Would change it: {d['would_change']}")
    if o.phases:
        parts.append("Phases: " + " ".join(f"{k.upper()}: {v}" for k, v in o.phases.items()))
    if api:
        parts.append(f"API: {api['method']} {api['endpoint']} ({', '.join(api['parameters'])}) → "
                     f"{', '.join(api['response'])}; {', '.join(api['status_codes'])}"
                     + (f". {api['notes']}" if api.get("notes") else ""))
    parts.append("Trade-offs: " + " ".join(o.tradeoffs))
    parts.append("KPIs: " + "; ".join(
        f"{k.metric}: {k.target}" + (f" (baseline: {k.baseline})" if k.baseline else "")
        + (" [guardrail]" if k.guardrail else "") for k in o.kpis))
    parts.append("Pitfalls: " + " ".join(o.pitfalls))
    if o.recommendation:
        parts.append(f"Recommendation: {o.recommendation}")
    return "\n".join(parts)
