"""Quick drills: private, timed, step by step.

A case drill walks one prompt through Scope, Segment, Solve and Score, then shows the
coverage feedback, the time taken against the time box and the model outline. A skill
drill is one short task from `drills.yaml` (scope a vague ask, design one endpoint...).
A drill expires at twice its time box; starting a new one abandons the old.

`drill` with no kind picks a case that exercises the member's weakest rubric dimension
(from the votes they received) and says so. `drill mock` is a 45-minute mock interview in
the CLARITY stages with their suggested timings: a private nudge when a stage runs past its
time (sent by the scheduler, see `overdue_stages`), and the time per stage at the end.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TypeVar

from sqlmodel import select

from bot import answers, coach, due, outbox, progress, rounds, streaks
from bot.content import CATEGORIES, FAMILY_STEPS, SKILLS, STEPS, Prompt, SkillDrill
from bot.context import Ctx, UserError
from bot.inbound import parse_id
from bot.messages import Button, Field, Form, Message, Reply, Section
from bot.store.models import Answer, Drill, Member, Round, Team
from bot.teams import today

T = TypeVar("T", Prompt, SkillDrill)
EMPTY_STEP = "That step is empty — write a sentence or two, then send it."


def active(ctx: Ctx, team: Team, member: Member) -> Drill | None:
    """The member's drill in progress; one past its expiry is recorded as expired and is not active,
    so it never swallows a direct message meant for today's case."""
    drill = ctx.session.exec(select(Drill).where(
        Drill.team_id == team.id, Drill.member_id == member.id, Drill.status == "active")).first()
    if drill is not None and _expire(ctx, drill):
        return None
    return drill


def _expire(ctx: Ctx, drill: Drill) -> bool:
    """Record an active drill past its expiry as expired; True when it is expired."""
    if drill.status == "active" and ctx.now() > drill.expires_at:
        drill.status = "expired"
    return drill.status == "expired"


def _mine(ctx: Ctx, team: Team, member: Member, drill_id: str) -> Drill:
    pk = parse_id(drill_id)
    drill = ctx.session.get(Drill, pk) if pk is not None else None
    if drill is None or drill.team_id != team.id or drill.member_id != member.id:
        raise UserError("That drill isn't yours or no longer exists — start one with drill.")
    return drill


def _drilled(ctx: Ctx, team: Team, member: Member) -> set[str]:
    """Content the member has drilled or answered before (a new drill prefers something fresh)."""
    drilled = set(ctx.session.exec(select(Drill.content_id).where(Drill.team_id == team.id, Drill.member_id == member.id)))
    answered = ctx.session.exec(select(Round.prompt_id).join(Answer, Answer.round_id == Round.id).where(
        Answer.team_id == team.id, Answer.member_id == member.id, Round.team_id == team.id))
    return drilled | set(answered)


def history(ctx: Ctx, team: Team, member: Member, limit: int = 30) -> list[Drill]:
    """The member's drills, newest first (the web's "my drills")."""
    return list(ctx.session.exec(select(Drill).where(Drill.team_id == team.id, Drill.member_id == member.id)
                                 .order_by(Drill.started_at.desc()).limit(limit)))


def _spread(member: Member, items: list[T]) -> T:
    """A stable choice that differs from member to member, so teammates don't all get the same."""
    return min(items, key=lambda item: hashlib.sha256(f"{member.id}:{item.id}".encode()).hexdigest())


def start(ctx: Ctx, team: Team, member: Member, args: tuple[str, ...]) -> Reply:
    """`drill`, `drill <family>` (any of the nine), `drill skill [scope|personas|…|estimate]`."""
    arg = args[0].lower() if args else ""
    if arg in ("stop", "abandon", "quit"):
        return stop(ctx, team, member)
    note = ""
    old = active(ctx, team, member)
    if old is not None:
        old.status = "abandoned"
        note = "Your previous drill was set aside. "
    if arg == "mock":
        return _start_mock(ctx, team, member, note)
    if arg == "skill" or arg in SKILLS:
        skill = args[1].lower() if arg == "skill" and len(args) > 1 else (arg if arg in SKILLS else "")
        return _start_skill(ctx, team, member, skill, note)
    if arg and arg not in CATEGORIES:
        raise UserError(f"'{arg}' is not a drill kind — use a family ({', '.join(CATEGORIES)}), "
                        f"or 'skill' with one of {', '.join(SKILLS)}.")
    done = _drilled(ctx, team, member)
    prompt, why = None, ""
    if not arg:
        prompt, why = _for_weakest(ctx, team, member, done)
    prompt = prompt or rounds.pick_private(ctx, team, done, category=arg or None)
    if prompt is None:
        raise UserError("Every case of that kind is scheduled for the team's coming practice days — "
                        "try another kind, or a skill drill.")
    drill = Drill(team_id=team.id, member_id=member.id, kind="case", content_id=prompt.id, started_at=ctx.now(),
                  expires_at=ctx.now() + timedelta(minutes=2 * prompt.time_box_minutes))
    ctx.session.add(drill)
    ctx.session.flush()
    ctx.session.add(Answer(team_id=team.id, drill_id=drill.id, member_id=member.id, source="drill",
                           created_at=ctx.now(), updated_at=ctx.now()))
    intro = Message(f"Drill: {prompt.title}", f"{note}{why}{prompt.text}", sections=(
        Section("Time box", f"{prompt.time_box_minutes} minutes — the clock is running."),
        Section("Personas to consider", "\n".join(f"• {p.role.replace('-', ' ')}: {p.need}" for p in prompt.personas)),
    ))
    return Reply(messages=(intro, _step_message(ctx, drill, prompt)))


def _for_weakest(ctx: Ctx, team: Team, member: Member, done: set[str]) -> tuple[Prompt | None, str]:
    """A case that exercises the member's weakest dimension, with the sentence that says so."""
    weak = progress.weakest_dimension(ctx, team, member)
    if weak is None:
        return None, ""
    dim, avg = weak
    avoid = done | rounds.off_limits(ctx, team)
    pool = [p for p in rounds.available_prompts(ctx, team) if dim.id in p.skills and p.id not in avoid]
    if not pool:
        return None, ""
    chosen = _spread(member, pool)
    return chosen, f"Picked to work on your weakest dimension, {dim.name} ({avg:.1f} on average). "


def _start_skill(ctx: Ctx, team: Team, member: Member, skill: str, note: str) -> Reply:
    pool = [d for d in ctx.library.drills if not skill or d.skill == skill]
    if not pool:
        raise UserError(f"There are no '{skill}' drills — try one of {', '.join(SKILLS)}.")
    done = _drilled(ctx, team, member)
    fresh = [d for d in pool if d.id not in done] or pool
    chosen = _spread(member, fresh)
    drill = Drill(team_id=team.id, member_id=member.id, kind="skill", content_id=chosen.id, started_at=ctx.now(),
                  expires_at=ctx.now() + timedelta(minutes=2 * chosen.minutes))
    ctx.session.add(drill)
    ctx.session.flush()
    return Reply(messages=(Message(f"Skill drill: {chosen.title}", f"{note}{chosen.task}", sections=(
        Section("Time box", f"{chosen.minutes} minutes."),), buttons=(
        Button("Answer", "drill_step", str(drill.id), "primary"), Button("Stop", "drill_stop", str(drill.id)))),))


def _start_mock(ctx: Ctx, team: Team, member: Member, note: str) -> Reply:
    stages = ctx.library.frameworks.clarity
    total = sum(st.minutes for st in stages)
    done = _drilled(ctx, team, member)
    prompt = rounds.pick_private(ctx, team, done, category="design") or rounds.pick_private(ctx, team, done)
    if prompt is None:
        raise UserError("Every case is scheduled for the team's coming practice days — try a skill drill.")
    drill = Drill(team_id=team.id, member_id=member.id, kind="mock", content_id=prompt.id, started_at=ctx.now(),
                  expires_at=ctx.now() + timedelta(minutes=2 * total), stage_started_at=ctx.now(), stage_seconds=[])
    ctx.session.add(drill)
    ctx.session.flush()
    ctx.session.add(Answer(team_id=team.id, drill_id=drill.id, member_id=member.id, source="drill",
                           created_at=ctx.now(), updated_at=ctx.now()))
    due.changed(ctx, team)  # the stage clock: its nudge may be due before the team's next step
    plan = "\n".join(f"{i}. {st.name} — {st.minutes} min" for i, st in enumerate(stages, 1))
    intro = Message(f"Mock interview ({total} min): {prompt.title}", f"{note}{prompt.text}", sections=(
        Section("The CLARITY plan", plan),
        Section("Personas to consider", "\n".join(f"• {p.role.replace('-', ' ')}: {p.need}" for p in prompt.personas)),
    ), footer="Talk it through as you would with an interviewer; write a few lines per stage.")
    return Reply(messages=(intro, _stage_message(ctx, drill)))


def _stage_message(ctx: Ctx, drill: Drill) -> Message:
    stages = ctx.library.frameworks.clarity
    st = stages[drill.step]
    guiding = "\n".join(f"• {g}" for g in st.guiding)
    return Message(f"Stage {drill.step + 1}/{len(stages)}: {st.name} — {st.minutes} min", st.question,
                   sections=(Section("Guiding questions", guiding),),
                   buttons=(Button(f"Done with {st.name}", "drill_step", str(drill.id), "primary"),
                            Button("Stop", "drill_stop", str(drill.id))))


def _mock_step(ctx: Ctx, team: Team, member: Member, drill: Drill, text: str) -> Reply:
    stages = ctx.library.frameworks.clarity
    st = stages[drill.step]
    spent = int((ctx.now() - (drill.stage_started_at or drill.started_at)).total_seconds())
    drill.stage_seconds = [*drill.stage_seconds, spent]
    answer = ctx.session.exec(select(Answer).where(Answer.drill_id == drill.id, Answer.team_id == team.id)).one()
    answers.apply(answer, ctx.now(), added=f"{st.name}:\n{text}")
    drill.step += 1
    drill.stage_started_at = ctx.now()
    due.changed(ctx, team)  # the next stage's clock starts now
    over = spent - st.minutes * 60
    remark = (f"{st.name} took {_mmss(spent)} against {st.minutes} min — keep the next stage tighter. "
              if over >= 60 else "")
    if drill.step < len(stages):
        nxt = _stage_message(ctx, drill)
        return Reply(messages=(Message(nxt.title, remark + nxt.text, nxt.sections, nxt.buttons),))
    drill.status, drill.finished_at = "finished", ctx.now()
    milestone = streaks.record(ctx, team, member, today(ctx, team), "drill")
    rows = "\n".join(f"• {s.name}: {_mmss(sec)} of {s.minutes} min{' ⚠️' if sec >= s.minutes * 60 + 60 else ''}"
                     for s, sec in zip(stages, drill.stage_seconds, strict=False))
    total = sum(drill.stage_seconds)
    budget = sum(s.minutes for s in stages)
    prompt = ctx.library.prompt(drill.content_id)
    summary = Message("Mock interview finished", f"{_mmss(total)} in all against {budget} min.",
                      sections=(Section("Time per stage", rows),))
    feedback = answers.feedback_message(ctx, answer, prompt, "What your answer covered", "", milestone)
    return Reply(messages=(summary, feedback, Message("Model outline", rounds.outline_text(prompt))))


def overdue_stages(ctx: Ctx, team: Team) -> list[tuple[Drill, Member, str, datetime]]:
    """Active mock drills whose current stage passed its suggested time: (drill, member, key, due)."""
    stages = ctx.library.frameworks.clarity
    out = []
    for drill, member in ctx.session.exec(select(Drill, Member).join(Member, Member.id == Drill.member_id).where(
            Drill.team_id == team.id, Drill.kind == "mock", Drill.status == "active")):
        if drill.step >= len(stages) or drill.stage_started_at is None:
            continue
        due = drill.stage_started_at + timedelta(minutes=stages[drill.step].minutes)
        out.append((drill, member, f"mock:{drill.id}:{stages[drill.step].id}:long", due))
    return out


def nudge_overdue(ctx: Ctx, team: Team, drill: Drill, member: Member) -> None:
    """A private nudge that the current stage ran past its time."""
    stages = ctx.library.frameworks.clarity
    st = stages[drill.step]
    nxt = stages[drill.step + 1].name if drill.step + 1 < len(stages) else "your wrap-up"
    outbox.enqueue(ctx, team, kind="direct", target=member.user_id,
                   dedupe_key=f"mock:{drill.id}:{st.id}:long", message=Message(
                       f"⏱ {st.name} has had its {st.minutes} minutes",
                       f"{st.nudge} Wrap it up and move on to {nxt}.",
                       buttons=(Button(f"Done with {st.name}", "drill_step", str(drill.id), "primary"),)))


def _mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _step_message(ctx: Ctx, drill: Drill, prompt: Prompt) -> Message:
    step = rounds.step_message(prompt, STEPS[drill.step], ctx)
    guiding = "\n".join(f"• {g}" for g in ctx.library.frameworks.step(STEPS[drill.step]).guiding)
    meaning = FAMILY_STEPS.get(prompt.category, {}).get(STEPS[drill.step])
    family = (Section(f"{STEPS[drill.step].capitalize()} in a {prompt.category} case", meaning),) if meaning else ()
    return Message(step.title, step.text, sections=step.sections + family + (Section("Guiding questions", guiding),),
                   buttons=(Button(f"Answer {STEPS[drill.step].capitalize()}", "drill_step", str(drill.id), "primary"),
                            Button("Stop", "drill_stop", str(drill.id))))


def _check_live(ctx: Ctx, drill: Drill) -> None:
    if _expire(ctx, drill):
        minutes = int((drill.expires_at - drill.started_at).total_seconds() // 60)
        raise UserError(f"This drill expired after {minutes} minutes — start a fresh one with drill.", keep=True)
    if drill.status != "active":
        raise UserError("That drill is over — start a new one with drill.")


def step_form(ctx: Ctx, team: Team, member: Member, drill_id: str) -> Form:
    drill = _mine(ctx, team, member, drill_id)
    _check_live(ctx, drill)
    if drill.kind == "mock":
        st = ctx.library.frameworks.clarity[drill.step]
        return Form(id="drill_step", title=f"Mock — {st.name}", submit="Next stage",
                    fields=(Field("answer", st.name, hint=st.question, max_length=answers.MAX_FIELD_CHARS),),
                    meta={"drill_id": str(drill.id), "step": "answer"})
    if drill.kind == "skill":
        sd = ctx.library.drill(drill.content_id)
        return Form(id="drill_step", title="Skill drill", submit="Submit",
                    fields=(Field("answer", sd.title if sd else "Your answer", hint=sd.task[:150] if sd else ""),),
                    meta={"drill_id": str(drill.id), "step": "answer"})
    step = ctx.library.frameworks.step(STEPS[drill.step])
    return Form(id="drill_step", title=f"Drill — {step.name}", submit="Next",
                fields=(Field(step.id, step.name, hint=step.question, max_length=answers.MAX_FIELD_CHARS),),
                meta={"drill_id": str(drill.id), "step": step.id})


def submit_step(ctx: Ctx, team: Team, member: Member, drill_id: str, step_id: str, text: str) -> Reply:
    drill = _mine(ctx, team, member, drill_id)
    _check_live(ctx, drill)
    if not answers.visible(text):
        raise UserError(EMPTY_STEP)
    if len(text) > answers.MAX_FIELD_CHARS * 4:
        raise UserError(f"That is {len(text):,} characters; a drill step takes up to {answers.MAX_FIELD_CHARS * 4:,}.")
    if drill.kind == "skill":
        return _finish_skill(ctx, team, member, drill, text)
    if drill.kind == "mock":
        return _mock_step(ctx, team, member, drill, text)
    expected = STEPS[drill.step]
    if step_id and step_id != expected:
        raise UserError(f"You already answered that step; the drill is now on {expected.capitalize()}.")
    answer = ctx.session.exec(select(Answer).where(Answer.drill_id == drill.id, Answer.team_id == team.id)).one()
    answers.apply(answer, ctx.now(), sections={expected: text})
    drill.step += 1
    prompt = ctx.library.prompt(drill.content_id)
    if drill.step < len(STEPS):
        return Reply(messages=(_step_message(ctx, drill, prompt),))
    drill.status, drill.finished_at = "finished", ctx.now()
    milestone = streaks.record(ctx, team, member, today(ctx, team), "drill")
    taken = _minutes(drill)
    verdict = "inside" if taken <= prompt.time_box_minutes else "over"
    feedback = answers.feedback_message(ctx, answer, prompt, "Drill finished",
                                        f"You took {taken} min against a {prompt.time_box_minutes}-min time box ({verdict}).",
                                        milestone)
    return Reply(messages=(feedback, Message("Model outline", rounds.outline_text(prompt))))


def _finish_skill(ctx: Ctx, team: Team, member: Member, drill: Drill, text: str) -> Reply:
    sd: SkillDrill | None = ctx.library.drill(drill.content_id)
    drill.status, drill.finished_at = "finished", ctx.now()
    answer = Answer(team_id=team.id, drill_id=drill.id, member_id=member.id, source="drill",
                    created_at=ctx.now(), updated_at=ctx.now())
    answers.apply(answer, ctx.now(), added=text)
    ctx.session.add(answer)
    milestone = streaks.record(ctx, team, member, today(ctx, team), "drill")
    taken = _minutes(drill)
    checks = "\n".join(f"• {c}" for c in sd.look_for) if sd else ""
    return Reply(messages=(Message("Skill drill finished", f"You took {taken} min of {sd.minutes if sd else '?'}.",
                                   sections=(*(coach.drill_sections(sd, text) if sd else ()), Section("Check yourself", checks),
                                             Section("One good answer", sd.example if sd else "")),
                                   footer=f"🔥 That's a {milestone}-day streak!" if milestone else ""),))


def _minutes(drill: Drill) -> int:
    return max(1, round((drill.finished_at - drill.started_at).total_seconds() / 60))


def stop(ctx: Ctx, team: Team, member: Member, drill_id: str | None = None) -> Reply:
    drill = _mine(ctx, team, member, drill_id) if drill_id else active(ctx, team, member)
    if drill is None or drill.status != "active":
        return Reply.note("No drill in progress", "Start one with drill, drill design, or drill skill endpoint.")
    drill.status = "abandoned"
    return Reply.note("Drill stopped", "Nothing counted toward your streak. Start another whenever you like.")
