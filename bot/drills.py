"""Quick drills: private, timed, step by step.

A case drill walks one prompt through Scope, Segment, Solve and Score, then shows the
coverage feedback, the time taken against the time box and the model outline. A skill
drill is one short task from `drills.yaml` (scope a vague ask, design one endpoint...).
A drill expires at twice its time box; starting a new one abandons the old.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlmodel import select

from bot import answers, rounds, streaks
from bot.content import CATEGORIES, SKILLS, STEPS, Prompt, SkillDrill
from bot.context import Ctx, UserError
from bot.messages import Button, Field, Form, Message, Reply, Section
from bot.store.models import Answer, Drill, Member, Team
from bot.teams import today


def active(ctx: Ctx, team: Team, member: Member) -> Drill | None:
    return ctx.session.exec(select(Drill).where(
        Drill.team_id == team.id, Drill.member_id == member.id, Drill.status == "active")).first()


def _mine(ctx: Ctx, team: Team, member: Member, drill_id: str) -> Drill:
    try:
        drill = ctx.session.get(Drill, int(drill_id))
    except (TypeError, ValueError):
        drill = None
    if drill is None or drill.team_id != team.id or drill.member_id != member.id:
        raise UserError("That drill isn't yours or no longer exists — start one with drill.")
    return drill


def start(ctx: Ctx, team: Team, member: Member, args: tuple[str, ...]) -> Reply:
    """`drill`, `drill <category>`, `drill skill [scope|personas|endpoint|kpis|tradeoff|yield]`."""
    arg = args[0].lower() if args else ""
    if arg in ("stop", "abandon", "quit"):
        return stop(ctx, team, member)
    note = ""
    old = active(ctx, team, member)
    if old is not None:
        old.status = "abandoned"
        note = "Your previous drill was set aside. "
    if arg == "skill" or arg in SKILLS:
        skill = args[1].lower() if arg == "skill" and len(args) > 1 else (arg if arg in SKILLS else "")
        return _start_skill(ctx, team, member, skill, note)
    if arg and arg not in CATEGORIES:
        raise UserError(f"'{arg}' is not a drill kind — use one of {', '.join(CATEGORIES)}, "
                        f"or 'skill' with one of {', '.join(SKILLS)}.")
    done = set(ctx.session.exec(select(Drill.content_id).where(Drill.team_id == team.id, Drill.member_id == member.id)))
    current = rounds.current(ctx, team)
    if current is not None:
        done.add(current.prompt_id)
    prompt = rounds.pick_prompt(ctx, team, category=arg or None, exclude=done)
    drill = Drill(team_id=team.id, member_id=member.id, kind="case", content_id=prompt.id, started_at=ctx.now(),
                  expires_at=ctx.now() + timedelta(minutes=2 * prompt.time_box_minutes))
    ctx.session.add(drill)
    ctx.session.flush()
    ctx.session.add(Answer(team_id=team.id, drill_id=drill.id, member_id=member.id, source="drill",
                           created_at=ctx.now(), updated_at=ctx.now()))
    intro = Message(f"Drill: {prompt.title}", f"{note}{prompt.text}", sections=(
        Section("Time box", f"{prompt.time_box_minutes} minutes — the clock is running."),
        Section("Personas to consider", "\n".join(f"• {p.role.replace('-', ' ')}: {p.need}" for p in prompt.personas)),
    ))
    return Reply(messages=(intro, _step_message(ctx, drill, prompt)))


def _start_skill(ctx: Ctx, team: Team, member: Member, skill: str, note: str) -> Reply:
    pool = [d for d in ctx.library.drills if not skill or d.skill == skill]
    if not pool:
        raise UserError(f"There are no '{skill}' drills — try one of {', '.join(SKILLS)}.")
    done = set(ctx.session.exec(select(Drill.content_id).where(Drill.team_id == team.id, Drill.member_id == member.id)))
    fresh = [d for d in pool if d.id not in done] or pool
    chosen = min(fresh, key=lambda d: hashlib.sha256(f"{member.id}:{d.id}".encode()).hexdigest())
    drill = Drill(team_id=team.id, member_id=member.id, kind="skill", content_id=chosen.id, started_at=ctx.now(),
                  expires_at=ctx.now() + timedelta(minutes=2 * chosen.minutes))
    ctx.session.add(drill)
    ctx.session.flush()
    return Reply(messages=(Message(f"Skill drill: {chosen.title}", f"{note}{chosen.task}", sections=(
        Section("Time box", f"{chosen.minutes} minutes."),), buttons=(
        Button("Answer", "drill_step", str(drill.id), "primary"), Button("Stop", "drill_stop", str(drill.id)))),))


def _step_message(ctx: Ctx, drill: Drill, prompt: Prompt) -> Message:
    step = rounds.step_message(prompt, STEPS[drill.step], ctx)
    guiding = "\n".join(f"• {g}" for g in ctx.library.frameworks.step(STEPS[drill.step]).guiding)
    return Message(step.title, step.text, sections=step.sections + (Section("Guiding questions", guiding),),
                   buttons=(Button(f"Answer {STEPS[drill.step].capitalize()}", "drill_step", str(drill.id), "primary"),
                            Button("Stop", "drill_stop", str(drill.id))))


def _check_live(ctx: Ctx, drill: Drill) -> None:
    if drill.status == "active" and ctx.now() > drill.expires_at:
        drill.status = "expired"
    if drill.status == "expired":
        minutes = int((drill.expires_at - drill.started_at).total_seconds() // 60)
        raise UserError(f"This drill expired after {minutes} minutes — start a fresh one with drill.")
    if drill.status != "active":
        raise UserError("That drill is over — start a new one with drill.")


def step_form(ctx: Ctx, team: Team, member: Member, drill_id: str) -> Form:
    drill = _mine(ctx, team, member, drill_id)
    _check_live(ctx, drill)
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
    if not answers._visible(text):
        raise UserError("That step is empty — write a sentence or two, then send it.")
    if len(text) > answers.MAX_FIELD_CHARS * 4:
        raise UserError(f"That is {len(text):,} characters; a drill step takes up to {answers.MAX_FIELD_CHARS * 4:,}.")
    if drill.kind == "skill":
        return _finish_skill(ctx, team, member, drill, text)
    expected = STEPS[drill.step]
    if step_id and step_id != expected:
        raise UserError(f"You already answered that step; the drill is now on {expected.capitalize()}.")
    answer = ctx.session.exec(select(Answer).where(Answer.drill_id == drill.id, Answer.team_id == team.id)).one()
    setattr(answer, expected, text)
    answer.updated_at = ctx.now()
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
    ctx.session.add(Answer(team_id=team.id, drill_id=drill.id, member_id=member.id, free_text=text, source="drill",
                           created_at=ctx.now(), updated_at=ctx.now()))
    milestone = streaks.record(ctx, team, member, today(ctx, team), "drill")
    taken = _minutes(drill)
    checks = "\n".join(f"• {c}" for c in sd.look_for) if sd else ""
    return Reply(messages=(Message("Skill drill finished", f"You took {taken} min of {sd.minutes if sd else '?'}.",
                                   sections=(Section("Check yourself", checks), Section("One good answer", sd.example if sd else "")),
                                   footer=f"🔥 That's a {milestone}-day streak!" if milestone else ""),))


def _minutes(drill: Drill) -> int:
    return max(1, round((drill.finished_at - drill.started_at).total_seconds() / 60))


def stop(ctx: Ctx, team: Team, member: Member, drill_id: str | None = None) -> Reply:
    drill = _mine(ctx, team, member, drill_id) if drill_id else active(ctx, team, member)
    if drill is None or drill.status != "active":
        return Reply.note("No drill in progress", "Start one with drill, drill design, or drill skill endpoint.")
    drill.status = "abandoned"
    return Reply.note("Drill stopped", "Nothing counted toward your streak. Start another whenever you like.")
