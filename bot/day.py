"""A team's practice day as a timeline of steps, and the idempotent runner of due steps.

Steps of a practice day D (local date): open, nudge:scope/segment/solve/score, reminder,
reveal, review-reminder (assigned reviewers who have not voted), results; plus weekly steps:
the digest, and mock-interview pairs. Each step is recorded once in `round_steps`
(unique per team and key) in the same transaction as its effects, so running the
runner twice, restarting, or two processes at once never posts twice: the second
writer's transaction fails on the unique key and rolls back whole.

Which dates open, and when, is `bot/schedule.py`'s rule; once open, a round's nudges, reminder,
reveal and results run on the times stored on it (keyed by the round, not the date).

Catch-up: a step found late is run if it is at most `grace_minutes` late; otherwise it is
recorded as missed. Of a round's nudges found due together only the latest is posted, the
rest are recorded as skipped. Reveal and results always run, because they move the round on.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from bot import charts, drills, members, outbox, pairs, reviewers, rounds, schedule, streaks
from bot.context import Ctx
from bot.localtime import local_wall_to_utc, parse_hhmm
from bot.members import public_name
from bot.messages import Button, Message, Section, plural
from bot.schedule import Step
from bot.results import vote_scores
from bot.rubric import averages, weakest, weighted
from bot.store.models import Answer, Member, PracticeDay, Round, RoundStep, Team, Vote
from bot.teams import members_by_id, today, when, zone

log = logging.getLogger(__name__)

LOOKBACK_DAYS = 2
RECENT_DAYS = 7


def day_steps(ctx: Ctx, team: Team, day: date, known: schedule.Announced | None = None) -> list[Step]:
    """The opening of local date `day` and the steps its round will have, if it opens (see schedule)."""
    opening = schedule.open_step(ctx, team, day, known)
    return [opening, *schedule.projected_steps(team, opening)] if opening is not None else []


def digest_step(team: Team, on: date) -> Step:
    """The weekly digest of the ISO week containing `on`."""
    monday = on - timedelta(days=on.weekday())
    day = monday + timedelta(days=team.digest_weekday)
    year, week, _ = day.isocalendar()
    return Step(f"digest:{year}-W{week:02d}", "digest", local_wall_to_utc(day, parse_hhmm(team.digest_time), zone(team)), day)


def pairs_step(team: Team, on: date) -> Step:
    """Monday's mock-interview pairing (and the follow-up on last week's) of the ISO week of `on`."""
    monday = on - timedelta(days=on.weekday())
    year, week, _ = monday.isocalendar()
    return Step(f"pairs:{year}-W{week:02d}", "pairs", local_wall_to_utc(monday, parse_hhmm(team.practice_time), zone(team)),
                monday)


def upcoming(ctx: Ctx, team: Team, horizon_days: int = 8) -> list[Step]:
    """Steps due after now within the horizon, in time order: for `schedule show` and the scheduler."""
    now, start = ctx.now(), today(ctx, team)
    steps: list[Step] = []
    if not team.paused:
        known = schedule.Announced(ctx, team, start - timedelta(days=1))
        for i in range(-1, horizon_days):
            steps += day_steps(ctx, team, start + timedelta(days=i), known)
    for rnd in ctx.session.exec(select(Round).where(Round.team_id == team.id, Round.phase != "closed")):
        if rnd.phase == "answering":
            if not team.paused:
                steps += schedule.round_steps(team, rnd)
            steps.append(Step(f"{rnd.local_date}#{rnd.id}:reveal", "reveal", rnd.answer_deadline, rnd.local_date))
        # listed whatever team.reviewers says now: run_due reminds the reviewers already assigned
        steps.append(Step(f"{rnd.local_date}#{rnd.id}:review-reminder", "review-reminder",
                          reviewers.reminder_due(rnd), rnd.local_date))
        steps.append(Step(f"{rnd.local_date}#{rnd.id}:results", "results", rnd.vote_deadline, rnd.local_date))
    for i in (0, 7):
        steps.append(digest_step(team, start + timedelta(days=i)))
        steps.append(pairs_step(team, start + timedelta(days=i)))
    steps += [Step(key, "mock-nudge", due) for _, _, key, due in drills.overdue_stages(ctx, team)]
    return sorted((s for s in steps if s.due > now), key=lambda s: s.due)


class Recorded:
    """Which of a team's steps are recorded, for one `run_due`: the keys of the steps due in the last
    `WINDOW`, read in one query (an index on team and due time), then tested in memory — rather
    than one query per step key. The same key is always recorded with a due time within `DRIFT`
    of the step's current one (a change of time or zone moves a date's opening by under two days),
    so a step due after `since + DRIFT` that isn't in the set isn't recorded; an older one (a round
    of a team re-added after weeks) is looked up on its own."""

    WINDOW = timedelta(days=14)
    DRIFT = timedelta(days=3)

    def __init__(self, ctx: Ctx, team: Team):
        self.ctx, self.team = ctx, team
        self.since = ctx.now() - self.WINDOW
        self.keys = set(ctx.session.exec(select(RoundStep.key).where(
            RoundStep.team_id == team.id, RoundStep.due_at >= self.since)))

    def __call__(self, step: Step) -> bool:
        if step.key in self.keys:
            return True
        if step.due >= self.since + self.DRIFT:
            return False
        return self.ctx.session.exec(select(RoundStep.id).where(
            RoundStep.team_id == self.team.id, RoundStep.key == step.key)).first() is not None

    def add(self, key: str) -> None:
        self.keys.add(key)


def _record(ctx: Ctx, team: Team, step: Step, status: str, note: str = "", recorded: Recorded | None = None) -> str:
    if recorded is not None:
        recorded.add(step.key)
    ctx.session.add(RoundStep(team_id=team.id, key=step.key, status=status, due_at=step.due, ran_at=ctx.now(), note=note))
    ctx.session.flush()
    level = logging.INFO if status == "done" else logging.WARNING
    log.log(level, "team %s: %s %s%s", team.id, step.key, status, f" ({note})" if note else "")
    return status


def run_due(ctx: Ctx, team: Team) -> list[tuple[str, str]]:
    """Run every step of this team that is due and not yet recorded; returns (key, status) pairs."""
    if team.removed_at is not None:
        return []
    now, done = ctx.now(), []
    grace = timedelta(minutes=team.grace_minutes)
    start = today(ctx, team)
    recorded = Recorded(ctx, team)
    if not team.paused and team.channel_id:
        known = schedule.Announced(ctx, team, start - timedelta(days=LOOKBACK_DAYS))
        for i in range(LOOKBACK_DAYS, -1, -1):
            step = schedule.open_step(ctx, team, start - timedelta(days=i), known)
            if step is None or step.due > now or recorded(step):
                continue  # doesn't open, not due yet, or already done
            late = now - step.due
            if late > grace:
                status = _record(ctx, team, step, "missed",
                                 f"{int(late.total_seconds() // 60)} min late, grace {team.grace_minutes} min", recorded)
            else:
                rounds.open_round(ctx, team, step.day, opens=step.due)
                status = _record(ctx, team, step, "done", recorded=recorded)
                known = schedule.Announced(ctx, team, start - timedelta(days=LOOKBACK_DAYS))  # a round was announced
            done.append((step.key, status))
    for rnd in list(ctx.session.exec(select(Round).where(Round.team_id == team.id, Round.phase != "closed")
                                     .order_by(Round.opened_at, Round.id))):
        if rnd.phase == "answering" and not team.paused:
            done += _round_steps(ctx, team, rnd, grace, recorded)
        if rnd.phase == "answering" and now >= rnd.answer_deadline:
            step = Step(f"{rnd.local_date}#{rnd.id}:reveal", "reveal", rnd.answer_deadline)
            if not recorded(step):
                rounds.reveal(ctx, team, rnd)
                _record(ctx, team, step, "done", recorded=recorded)
                done.append((step.key, "done"))
        if rnd.phase == "voting" and now >= reviewers.reminder_due(rnd) and now < rnd.vote_deadline:
            step = Step(f"{rnd.local_date}#{rnd.id}:review-reminder", "review-reminder", reviewers.reminder_due(rnd))
            if not recorded(step):
                sent = reviewers.remind(ctx, team, rnd, lambda m: not _in_quiet_hours(m, team, now))
                _record(ctx, team, step, "done", f"{sent} reminders", recorded)
                done.append((step.key, "done"))
        if rnd.phase != "closed" and now >= rnd.vote_deadline:
            step = Step(f"{rnd.local_date}#{rnd.id}:results", "results", rnd.vote_deadline)
            if not recorded(step):
                rounds.close(ctx, team, rnd)
                _record(ctx, team, step, "done", recorded=recorded)
                done.append((step.key, "done"))
    for drill, member, key, due in drills.overdue_stages(ctx, team):
        step = Step(key, "mock-nudge", due)
        if due <= now < drill.expires_at and not recorded(step):
            drills.nudge_overdue(ctx, team, drill, member)
            _record(ctx, team, step, "done", recorded=recorded)
            done.append((key, "done"))
    step = pairs_step(team, start)
    if (step.due <= now and now - step.due <= grace and pairs.has_work(ctx, team, step.day)
            and not recorded(step)):
        _record(ctx, team, step, "done", f"{pairs.weekly(ctx, team, step.day)} groups", recorded)
        done.append((step.key, "done"))
    step = digest_step(team, start)
    if step.due <= now and not recorded(step) and team.channel_id:
        if now - step.due > grace:
            status = _record(ctx, team, step, "missed", "past grace", recorded)
        else:
            status = _record(ctx, team, step, "done", "" if digest(ctx, team, step.day) else "no rounds this week",
                             recorded)
        done.append((step.key, status))
    return done


def _round_steps(ctx: Ctx, team: Team, rnd: Round, grace: timedelta, recorded: Recorded) -> list[tuple[str, str]]:
    """A round's due nudges and reminder, at the times it was announced with. Of several due nudges
    (a late start, a resume after a pause) only the latest is posted; the ones it supersedes are
    recorded as skipped, so a restart doesn't post them either."""
    now, done = ctx.now(), []
    due = [s for s in schedule.round_steps(team, rnd) if s.due <= now and not recorded(s)]
    nudges = [s for s in due if s.name.startswith("nudge:")]
    for step in nudges[:-1]:
        done.append((step.key, _record(ctx, team, step, "skipped", f"superseded by {nudges[-1].name}", recorded)))
    for step in [s for s in due if s not in nudges[:-1]]:
        late = now - step.due
        if late > grace:
            status = _record(ctx, team, step, "missed",
                             f"{int(late.total_seconds() // 60)} min late, grace {team.grace_minutes} min", recorded)
        elif step.name.startswith("nudge:"):
            rounds.nudge(ctx, team, rnd, step.name.split(":", 1)[1])
            status = _record(ctx, team, step, "done", recorded=recorded)
        else:
            status = _record(ctx, team, step, "done", f"{remind(ctx, team, rnd)} reminders", recorded)
        done.append((step.key, status))
    return done


def _in_quiet_hours(member: Member, team: Team, now: datetime) -> bool:
    local = now.astimezone(members.zone(member, team)).time()
    start, end = parse_hhmm(member.quiet_start), parse_hhmm(member.quiet_end)
    return (start <= local or local < end) if start > end else (start <= local < end)


def remind(ctx: Ctx, team: Team, rnd: Round) -> int:
    """DM members who practised in the last week, have not answered, want reminders and are awake."""
    now = ctx.now()
    since = rnd.local_date - timedelta(days=RECENT_DAYS)
    recent = set(ctx.session.exec(select(PracticeDay.member_id).where(
        PracticeDay.team_id == team.id, PracticeDay.local_date >= since, PracticeDay.local_date < rnd.local_date)))
    answered = set(ctx.session.exec(select(Answer.member_id).where(Answer.team_id == team.id, Answer.round_id == rnd.id)))
    prompt = ctx.library.prompt(rnd.prompt_id)
    sent = 0
    for member in ctx.session.exec(select(Member).where(Member.team_id == team.id, Member.id.in_(recent - answered))):
        if not member.reminders or _in_quiet_hours(member, team, now):
            continue
        row = outbox.enqueue(ctx, team, kind="direct", target=member.user_id,
                             dedupe_key=f"round:{rnd.id}:reminder:{member.id}", message=Message(
                                 "Today's case is still open",
                                 f"{prompt.title if prompt else 'Today’s prompt'} — answers close {when(rnd.answer_deadline, team)}. "
                                 "Five focused minutes keeps your streak going.",
                                 buttons=(Button("Answer", "answer", str(rnd.id), "primary"),),
                                 footer="Turn these off with: reminders off"))
        sent += row is not None
    return sent


def digest(ctx: Ctx, team: Team, day: date) -> bool:
    """The weekly digest: participation, top answers, streak milestones, weakest dimension."""
    monday = day - timedelta(days=day.weekday())
    week = list(ctx.session.exec(select(Round).where(Round.team_id == team.id, Round.local_date >= monday,
                                                     Round.local_date <= monday + timedelta(days=6))))
    if not week:
        return False
    ids = [r.id for r in week]
    answers = list(ctx.session.exec(select(Answer).where(Answer.team_id == team.id, Answer.round_id.in_(ids))))
    votes = list(ctx.session.exec(select(Vote).where(Vote.team_id == team.id, Vote.answer_id.in_([a.id for a in answers])))) if answers else []
    names = members_by_id(ctx, team)
    rubric = ctx.library.rubric
    by_answer: dict[int, list] = {}
    for v in votes:
        by_answer.setdefault(v.answer_id, []).append(vote_scores(v))
    scored = sorted(((weighted(averages(vs), rubric), a) for a in answers if (vs := by_answer.get(a.id))),
                    key=lambda t: -t[0])[:3]
    people = {a.member_id for a in answers}
    team_avg = averages(vote_scores(v) for v in votes)
    weak = weakest(team_avg, rubric)
    streak_lines = []
    for mid in sorted(people):
        m = names.get(mid)
        if m is None or m.leaderboard_opt_out:  # the digest is public: hidden members aren't listed
            continue
        info = streaks.streak(ctx, team, m)
        if info.current >= streaks.MILESTONES[0]:
            streak_lines.append(f"• {m.display_name}: {plural(info.current, 'day')}")
    sections = [
        Section("Participation", f"{plural(len(week), 'round')}, {plural(len(answers), 'answer')} from "
                                 f"{plural(len(people), 'person', 'people')}, {plural(len(votes), 'vote')}."),
        Section("Top answers", "\n".join(
            f"• {public_name(names.get(a.member_id))} — {s:.2f} (#{a.id})" for s, a in scored)
            or "No rated answers this week."),
    ]
    if streak_lines:
        sections.append(Section("Streaks", "\n".join(streak_lines)))
    if weak:
        d = rubric.dimension(weak)
        sections.append(Section("Where the team is weakest", f"{d.name}: {team_avg[weak]:.2f} on average. {d.levels.get(5, '')}"))
    date_of = {r.id: r.local_date for r in week}
    per_day = {r.local_date: 0 for r in week}
    for a in answers:
        per_day[date_of[a.round_id]] += 1
    chart = charts.team_chart(team.name, monday, per_day, team_avg, rubric, team.pass_bar) if answers else None
    outbox.enqueue(ctx, team, target=team.channel_id, dedupe_key=f"digest:{monday}",
                   message=Message(f"Week of {monday:%d %b}: the digest", sections=tuple(sections), user_text=True,
                                   chart=chart))
    return True


def team_ids_with_schedules(ctx: Ctx) -> list[int]:
    return list(ctx.session.exec(select(Team.id).where(Team.removed_at.is_(None))))


def count_steps(ctx: Ctx, team: Team) -> int:
    return ctx.session.exec(select(func.count(RoundStep.id)).where(RoundStep.team_id == team.id)).one()
