"""The product's promises, each a small named check. A check returns the sentences of what it
found wrong (empty when the promise holds); the world stops at the first one.

Checks read the database directly (a fresh session, scoped by team) and the world's ledger of
what the fake platform received and what each member was told.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import select

from bot import rounds
from bot.localtime import as_utc, local_date, parse_timezone
from bot.store.models import Answer, Drill, Member, OutboxRow, PracticeDay, Round, RoundStep, Team, Vote
from bot.teams import is_practice_day

if TYPE_CHECKING:
    from tests.sim.model import MemberModel, TeamModel
    from tests.sim.world import World

TOKEN = re.compile(r"tk\d+x\d+x\d+q")
SAVED = ("Answer saved", "Answer updated", "Added to your answer")


def _team(s, tm: TeamModel) -> Team | None:
    """The simulated team's row (None once housekeeping purged it)."""
    return s.exec(select(Team).where(Team.platform == "sim", Team.workspace_id == tm.workspace)).first()


def _answer_text(a: Answer) -> str:
    return "\n".join((a.scope, a.segment, a.solve, a.score, a.free_text))


# ------------------------------------------------------------------ inputs and replies

def every_input_gets_a_reply(reply) -> list[str]:
    if reply.messages or reply.form is not None or reply.attachment is not None:
        return []
    return ["an input got an empty reply"]


def chat_is_not_an_answer(reply, text: str) -> list[str]:
    title = reply.messages[0].title if reply.messages else ""
    return [f"chat {text!r} was saved as an answer ({title})"] if title in SAVED else []


def dm_answer_is_saved(reply, outage: bool) -> list[str]:
    """A substantial DM while a round takes answers (and no live drill) is saved, not refused."""
    title = reply.messages[0].title if reply.messages else ""
    if outage or title in SAVED:
        return []
    return [f"a DM answer to the open round was not saved: {title!r} {reply.messages[0].text if reply.messages else ''}"]


def no_answer_after_deadline(world: World, reply, answer_deadline) -> list[str]:
    title = reply.messages[0].title if reply.messages else ""
    if title in SAVED and world.clock.now() > answer_deadline:
        late = (world.clock.now() - answer_deadline).total_seconds()
        return [f"an answer was saved {late:.0f} s after its deadline {answer_deadline:%F %T}"]
    return []


def no_vote_after_deadline(world: World, reply, vote_deadline) -> list[str]:
    title = reply.messages[0].title if reply.messages else ""
    if title.startswith("Vote ") and world.clock.now() > vote_deadline:
        late = (world.clock.now() - vote_deadline).total_seconds()
        return [f"a vote counted {late:.0f} s after the vote deadline {vote_deadline:%F %T}"]
    return []


def streak_matches(world: World, tm: TeamModel, mm: MemberModel, reply) -> list[str]:
    """The streak a member is shown equals an independent walk over their recorded practice days
    on the team's calendar (weekdays, skip dates); and every day the member was told they
    practised is recorded."""
    title = reply.messages[0].title if reply.messages else ""
    m = re.match(r"🔥 (\d+)-day streak", title)
    if not m:
        return []
    with world.db.session() as s:
        team = _team(s, tm)
        member = s.exec(select(Member).where(Member.team_id == team.id, Member.user_id == mm.user_id)).first()
        days = set(s.exec(select(PracticeDay.local_date).where(PracticeDay.team_id == team.id,
                                                                PracticeDay.member_id == member.id)))
    out = []
    missing = sorted(mm.practised - days)
    if missing:
        out.append(f"{mm.user_id} was told {missing[0]} was saved, but it is not a recorded practice day")
    today = local_date(world.clock.now(), parse_timezone(team.timezone))
    expect, d = 0, today
    if d not in days:
        d -= timedelta(days=1)
    floor = min(days) if days else today
    while days and d >= floor:
        if d in days:
            expect += 1
        elif d.weekday() in _weekdays(team) and d.isoformat() not in (team.skip_dates or []):
            break
        d -= timedelta(days=1)
    if int(m.group(1)) != expect:
        out.append(f"{mm.user_id} is shown a {m.group(1)}-day streak; recomputed from the practice days: {expect}")
    return out


def _weekdays(team: Team) -> tuple[int, ...]:
    from bot.localtime import parse_weekdays
    return parse_weekdays(team.weekdays)


# ------------------------------------------------------------------ answers

def answers_kept(world: World, answer_ids: list[int]) -> list[str]:
    """Every answer a member was told was saved is there, with every piece they wrote, until
    forget-me, retention or the team's deletion removes it."""
    if not answer_ids:
        return []
    with world.db.session() as s:
        found = {a.id: a for a in s.exec(select(Answer).where(Answer.id.in_(answer_ids)))}
    out = []
    now = world.clock.now()
    for aid in answer_ids:
        exp = world.expected.get(aid)
        if exp is None:
            continue
        tm, mm = world.teams[exp["team"]], world.member(exp["team"], exp["user"])
        if mm.forgotten or tm.purged:
            continue
        a = found.get(aid)
        if a is None:
            if tm.retention and exp["created"] < now - timedelta(days=tm.retention):
                continue
            out.append(f"answer #{aid} by {exp['user']} (told saved) is gone")
            continue
        text = _answer_text(a)
        lost = sorted(t for t in exp["tokens"] if t not in text)
        if lost:
            out.append(f"answer #{aid} by {exp['user']} lost what they wrote: {', '.join(lost)} "
                       f"(now: {text[:160]!r})")
    return out


# ------------------------------------------------------------------ what the platform received

def delivered_once(world: World, row_id: int) -> list[str]:
    """Every outbox row is delivered once (a row in flight when the process died or the
    database went away between send and ack may be sent once more: at-least-once)."""
    n = world.deliveries.get(row_id, 0)
    allowed = 2 if row_id in world.inflight else 1
    return [f"outbox row {row_id} was delivered {n} times"] if n > allowed else []


def no_early_reveal(world: World, tm: TeamModel, tokens: list[str], public: bool) -> list[str]:
    """No answer is visible to others before its round's reveal (unless the team reveals at once);
    no team's text reaches another team."""
    out = []
    now = world.clock.now()
    for t in tokens:
        info = world.tokens.get(t)
        if info is None:
            continue
        if info["team"] != tm.idx:
            out.append(f"text {t} of team {info['team']} was delivered to team {tm.idx}")
        elif public and info.get("deadline") is not None and not info.get("immediate") and now < info["deadline"]:
            out.append(f"answer text {t} by {info['user']} was posted before the reveal at {info['deadline']:%F %T}")
    return out


def hidden_member_not_public(tm: TeamModel, title: str, text: str) -> list[str]:
    """A member hidden from leaderboards never appears in a public digest, streak post or leaderboard."""
    if not (title.startswith("Week of") or title.startswith("🔥") or title.startswith("Leaderboard")):
        return []
    return [f"hidden member {mm.name} appears in public {title!r}" for mm in tm.members
            if mm.hidden and not mm.forgotten and mm.name in text]


def forgotten_not_in_outbox_text(tm: TeamModel, target: str, text: str, tokens: list[str]) -> list[str]:
    out = []
    for mm in tm.members:
        if mm.forgotten and (target == mm.user_id or mm.name in text or any(t.startswith(f"tk{tm.idx}x{mm.user_id.split('x')[1]}x") for t in tokens)):
            out.append(f"a message about or to forgotten member {mm.user_id} was delivered after forget-me")
    return out


def forgotten_leaves_nothing(world: World, tm: TeamModel, mm: MemberModel) -> list[str]:
    """After forget-me no table and no outbox row holds the member's user id, name or text."""
    prefix = f"tk{tm.idx}x{mm.user_id.split('x')[1]}x"
    out = []
    with world.db.session() as s:
        team = _team(s, tm)
        if team is None:
            return []
        if s.exec(select(Member.id).where(Member.team_id == team.id, Member.user_id == mm.user_id)).first():
            out.append(f"members still holds {mm.user_id}")
        for a in s.exec(select(Answer).where(Answer.team_id == team.id)):
            if prefix in _answer_text(a):
                out.append(f"answer #{a.id} still holds {mm.user_id}'s text")
                break
        for v in s.exec(select(Vote).where(Vote.team_id == team.id)):
            if prefix in v.comment:
                out.append(f"a vote comment still holds {mm.user_id}'s text")
                break
        for row in s.exec(select(OutboxRow).where(OutboxRow.team_id == team.id)):
            blob = str(row.payload)
            held = [what for what, hit in (("user id", row.target == mm.user_id), ("name", mm.name in blob),
                                           ("text", prefix in blob)) if hit]
            if held:
                out.append(f"outbox row {row.id} ({row.kind} {row.status}, {row.dedupe_key}) still holds "
                           f"{mm.user_id}'s {' and '.join(held)}")
                break
    return out


# ------------------------------------------------------------------ the schedule

# A step runs at most days after it fell due (a round of a team removed and re-added within the
# week); the bound lets the check read through the (team_id, due_at) index, not the whole history.
STEP_AGE = timedelta(days=30)


def steps_of_this_run(world: World, team_ids: list[int] | set[int]) -> dict[int, list[RoundStep]]:
    """The steps these teams recorded at this instant (the job's or the sweep's work)."""
    out: dict[int, list[RoundStep]] = {}
    if not team_ids:
        return out
    now = world.clock.now()
    with world.db.session() as s:
        for st in s.exec(select(RoundStep).where(RoundStep.team_id.in_(sorted(team_ids)), RoundStep.ran_at == now,
                                                 RoundStep.due_at >= now - STEP_AGE).order_by(RoundStep.id)):
            out.setdefault(st.team_id, []).append(st)
    return out


def no_nudge_burst(steps: list[RoundStep]) -> list[str]:
    """Only the latest due nudge of a round is posted; never two at once."""
    by_day: dict[str, list[str]] = {}
    for st in steps:
        if ":nudge:" in st.key and st.status == "done":
            by_day.setdefault(st.key.split(":", 1)[0], []).append(st.key)
    return [f"nudges posted together: {', '.join(sorted(keys))}" for keys in by_day.values() if len(keys) > 1]


def steps_on_time(world: World, tm: TeamModel, steps: list[RoundStep]) -> list[str]:
    """Every step runs within one sweep of when it fell due — or of the change that made it due
    (a resume, a re-add), whichever process made that change: the leader runs a team at its job or
    at the first sweep after its stored next due time, and a change anywhere clears that time.
    Steps whose wait overlaps an injected fault (sleep, outage) are not judged."""
    out = []
    tolerance = timedelta(minutes=world.cfg.sweep_minutes + 2)
    for st in steps:
        ran, due = as_utc(st.ran_at), as_utc(st.due_at)
        since = max([due, *(c for c in (*tm.changes, *tm.wakes) if c <= ran)])
        if ran - since > tolerance and not any(a <= ran and b >= due for a, b in world.windows):
            out.append(f"{st.key} ({st.status}) ran {(ran - since).total_seconds() / 60:.0f} min after it fell due at "
                       f"{since:%F %T} (a sweep every {world.cfg.sweep_minutes} min)")
    return out


def open_within_grace(steps: list[RoundStep], grace_minutes: int) -> list[str]:
    """No prompt opens more than the grace period late."""
    return [f"{st.key} ran {(st.ran_at - st.due_at).total_seconds() / 60:.1f} min late (grace {grace_minutes})"
            for st in steps if st.key.endswith(":open") and st.status == "done"
            and st.ran_at - st.due_at > timedelta(minutes=grace_minutes)]


def prompt_not_retroactive(steps: list[RoundStep], tm: TeamModel) -> list[str]:
    """A new time, zone or set of days applies from the next practice day: no prompt is opened
    for a due time that had already passed when the setting changed."""
    out = []
    for st in steps:
        if st.key.endswith(":open") and st.status == "done":
            changed = [c for c in tm.schedule_changes if st.due_at < c <= st.ran_at]
            if changed:
                out.append(f"{st.key} (due {st.due_at:%F %T}) was opened after the schedule changed at {changed[-1]:%F %T}")
    return out


def skipped_day_not_open(world: World, team_id: int) -> list[str]:
    """A skipped date has no round still taking answers (close it, or refuse the skip). Judged where
    the date is unambiguous: a round whose date on the team's current calendar is still the one it
    was announced for. A zone change re-maps a running round onto another date of the new calendar
    (`rounds.calendar_date`), where a skip made before, or a skip of the label's date, means that
    calendar's day — whose own prompt doesn't go out — and not the round announced on the old one
    (as `drill_not_upcoming_case`, this doesn't judge across a change of zone)."""
    with world.db.session() as s:
        team = s.get(Team, team_id)
        if team is None:
            return []
        skips = set(team.skip_dates or [])
        open_ = list(s.exec(select(Round).where(Round.team_id == team_id, Round.phase == "answering")))
        return [f"{r.local_date} is skipped but its round (#{r.id}) is still taking answers" for r in open_
                if r.local_date.isoformat() in skips and rounds.calendar_date(team, r) == r.local_date]


def one_prompt_per_practice_day(world: World, tm: TeamModel) -> list[str]:
    """Each practice day (set up, not paused, not skipped, not removed) gets exactly one prompt and
    other days none — checked for days whose settings were stable for 48 h before the prompt
    and untouched by an injected fault."""
    out = []
    now = world.clock.now()
    with world.db.session() as s:
        team = _team(s, tm)
        if team is None or not team.channel_id:
            return []
        tz = parse_timezone(team.timezone)
        d = tm.checked_until or local_date(team.created_at, tz)
        while True:
            d += timedelta(days=1)
            due = rounds.timeline(team, d)[0]
            if due + timedelta(minutes=team.grace_minutes, hours=1) > now:
                break
            tm.checked_until = d
            if not world.stable(tm, due - timedelta(hours=48), due - timedelta(minutes=5),
                                due + timedelta(minutes=team.grace_minutes)):
                continue
            expected = (is_practice_day(team, d) and not team.paused and team.removed_at is None
                        and due >= team.created_at)
            rnd = s.exec(select(Round).where(Round.team_id == team.id, Round.local_date == d)).first()
            world.stats["days_checked"] += 1
            if expected and rnd is None:
                out.append(f"practice day {d} ({team.practice_time} {team.timezone}, due {due:%F %T} UTC) got no prompt")
            elif not expected and rnd is not None:
                out.append(f"{d} is not a practice day but got a prompt")
    return out


def drill_not_upcoming_case(world: World, tm: TeamModel, round_id: int) -> list[str]:
    """A drill never hands out the case one of the team's coming practice days then posts: the
    days within `rounds.COMING_DAYS` of the drill's local date (the product's horizon). A change of
    time, zone or days between the drill and the round reshuffles which cases fall on which days
    — the drill could not foresee it — so such rounds are not judged."""
    with world.db.session() as s:
        rnd = s.get(Round, round_id)
        if rnd is None:
            return []
        team = s.get(Team, rnd.team_id)
        tz = parse_timezone(team.timezone)
        drills = list(s.exec(select(Drill).where(
            Drill.team_id == rnd.team_id, Drill.content_id == rnd.prompt_id, Drill.started_at < rnd.opened_at)))
    opened = as_utc(rnd.opened_at)
    for d in drills:
        started = as_utc(d.started_at)
        if rnd.local_date - local_date(started, tz) > timedelta(days=rounds.COMING_DAYS):
            continue
        if any(started <= c <= opened for c in tm.schedule_changes):
            continue
        return [f"round {rnd.local_date} posts case {rnd.prompt_id}, handed out by drill #{d.id} on {started:%F %T}"]
    return []


def outbox_drained(world: World) -> list[str]:
    """After the final drain nothing is pending; every row was delivered or dead-lettered with a reason."""
    out = []
    with world.db.session() as s:
        for row in s.exec(select(OutboxRow).where(OutboxRow.status == "pending")):
            out.append(f"outbox row {row.id} ({row.kind} to {row.target}) is still pending")
        for row in s.exec(select(OutboxRow).where(OutboxRow.status == "failed")):
            if not row.error:
                out.append(f"outbox row {row.id} failed without a reason")
        for row in s.exec(select(OutboxRow).where(OutboxRow.status == "sent")):
            if world.deliveries.get(row.id, 0) == 0:
                out.append(f"outbox row {row.id} is marked sent but the platform never received it")
    return out[:5]
