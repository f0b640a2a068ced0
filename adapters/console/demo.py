"""`sensebot demo`: one practice day of a small simulated team, as a readable transcript.

Deterministic for a given seed: a fixed calendar (Monday 2026-11-23, Europe/Berlin), a
hand-wound clock, and a seeded random source for who answers how well and how peers
vote. It drives the same code the real bot runs: scheduled steps through
`Practice.run_due`, delivery through the outbox dispatcher, people through events.
"""
from __future__ import annotations

import random
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlmodel import select

from adapters.console.port import ConsolePort, render_reply
from bot import content
from bot import day as timeline
from bot.clock import ManualClock
from bot.content import DIMENSIONS, Prompt
from bot.events import Command, FormSubmitted, ThreadReply, Who
from bot.outbox import Dispatcher
from bot.practice import Practice
from bot.store.db import Database
from bot.store.models import Answer, Member, PracticeDay, Round, Team

ZONE = ZoneInfo("Europe/Berlin")
DAY = date(2026, 11, 23)
WORKSPACE = "demo"
CHANNEL = "pm-practice"
# (name, quality, how they answer, history days already practised before today)
CAST = [
    ("Ada", "strong", "form", 6),
    ("Bilal", "medium", "form", 2),
    ("Chen", "weak", "thread", 1),
    ("Dara", "partial", "form", 3),
    ("Eli", "strong", "thread", 9),
]


def who(name: str, admin: bool = False) -> Who:
    return Who("console", WORKSPACE, name.lower(), name, is_admin=admin, channel_id=CHANNEL)


def compose(prompt: Prompt, quality: str) -> dict[str, str]:
    """An answer of the given quality, built from the prompt's own outline and hints."""
    o = prompt.outline
    seg = [f"{n}: {needs}" for n, needs in o.segments]
    api = o.api
    api_line = (f"API: {api['method']} {api['endpoint']} with {', '.join(api['parameters'][:3])}; returns "
                f"{', '.join(api['response'][:3])}; {', '.join(api['status_codes'][:3])}.") if api else ""
    first = o.phases.get("v1") or o.decision.get("choice") or (o.options[0] if o.options else o.tradeoffs[0])
    phases = " ".join(f"{k.upper()}: {v}" for k, v in o.phases.items()) or first
    kpis = "; ".join(f"{k.metric} — {k.target}" for k in o.kpis)
    if quality == "strong":
        return {"scope": "I'll assume the following and focus on the goal. " + " ".join(o.scope),
                "segment": "Two personas with different needs.\n" + "\n".join(seg[:3]),
                "solve": f"{phases} {api_line} Security: audit log, retention settings and SOC 2 / GDPR review before V3.",
                "score": f"KPIs with targets: {kpis}. Guardrail: p95 latency must not regress."}
    if quality == "medium":
        return {"scope": "I'll focus on developers first; the goal is to reduce the friction this case describes. "
                         + o.scope[0],
                "segment": "Developers integrating the API. " + seg[0],
                "solve": f"V1: {first} {api_line}",
                "score": "Success means better reliability and happier developers."}
    if quality == "partial":
        return {"scope": "I assume the goal is to " + prompt.title.lower() + ". " + " ".join(o.scope[:2]),
                "segment": "Personas: " + " ".join(seg[:2])}
    return {"free_text": f"I'd build a dashboard and an alerting feature for this right away. {first} "
                         "We could launch it in 2 weeks and it would improve engagement."}


def run(seed: int = 7, db_path: str = "sensebot-demo.db", out: TextIO | None = None) -> int:
    out = out or sys.stdout
    rng = random.Random(seed)
    path = Path(db_path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    library = content.load()
    clock = ManualClock(datetime.combine(DAY, time(8, 50), ZONE))
    practice = Practice(db, clock, library, default_tz="Europe/Berlin", command_prefix="/")
    port = ConsolePort(out, clock, ZONE)
    dispatcher = Dispatcher(db, clock, {"console": port}, worker="demo", rng=random.Random(seed))

    def say(text: str) -> None:
        print(text, file=out)

    def act(name: str, event, label: str) -> None:
        reply = practice.handle(event)
        stamp = clock.now().astimezone(ZONE).strftime("%H:%M")
        say(f"\n{stamp} {name} {label}")
        text = render_reply(reply, name)
        if text:
            say(text)

    def until(hh: int, mm: int, on: date = DAY) -> None:
        """Wind the clock to hh:mm, running every scheduled step that falls due on the way."""
        target = datetime.combine(on, time(hh, mm), ZONE)
        while True:
            due = [st.due for st in practice.with_ctx(lambda ctx: timeline.upcoming(ctx, ctx.session.get(Team, team.id)))
                   if st.due <= target]
            if not due:
                break
            clock.set(min(due))
            practice.run_due(team.id)
            dispatcher.drain_all()
        clock.set(target)
        practice.run_due(team.id)
        dispatcher.drain_all()

    say(f"sensebot demo — one practice day, seed {seed}. Team of {len(CAST)} in Europe/Berlin, "
        f"{DAY:%A %d %B %Y}.\nEverything below runs through the real core, scheduler steps and outbox.\n")
    act("Ada", Command(who("Ada", admin=True), "setup", (f"#{CHANNEL}", "09:00", "Europe/Berlin", "mon-fri")),
        "runs /setup #pm-practice 09:00 Europe/Berlin mon-fri")
    with db.transaction() as s:  # some history, so streaks, reminders and milestones have something to show
        team = s.exec(select(Team).where(Team.workspace_id == WORKSPACE)).one()
        for name, _, _, days in CAST:
            m = s.exec(select(Member).where(Member.team_id == team.id, Member.user_id == name.lower())).first()
            if m is None:
                m = Member(team_id=team.id, user_id=name.lower(), display_name=name, created_at=clock.now())
                s.add(m)
                s.flush()
            d, added = DAY, 0
            while added < days:
                d -= timedelta(days=1)
                if d.weekday() < 5:
                    s.add(PracticeDay(team_id=team.id, member_id=m.id, local_date=d, source="history"))
                    added += 1
    say("(History: the team practised on earlier weekdays — Eli 9 days running, Ada 6, Dara 3, Bilal 2, Chen 1.)")

    until(9, 0)
    with db.session() as s:
        rnd = s.exec(select(Round).where(Round.team_id == team.id, Round.local_date == DAY)).one()
    prompt = library.prompt(rnd.prompt_id)
    order = CAST[:]
    rng.shuffle(order)
    times = sorted(rng.sample(range(40, 420, 10), len(order)))
    for (name, quality, channel, _), minutes in zip(order, times, strict=False):
        at = datetime.combine(DAY, time(9, 0), ZONE) + timedelta(minutes=minutes)
        until(at.hour, at.minute)
        if name == "Dara":
            continue  # Dara reads along but doesn't answer today: she gets the reminder instead
        body = compose(prompt, quality)
        if channel == "thread" and "free_text" not in body:
            text = "\n".join(f"{k.capitalize()}: {v}" for k, v in body.items())
            act(name, ThreadReply(who(name), rnd.message_ref or "", text, event_id=f"demo-{name}"), "replies in the thread")
        elif "free_text" in body:
            act(name, ThreadReply(who(name), rnd.message_ref or "", body["free_text"], event_id=f"demo-{name}"),
                "replies in the thread")
        else:
            act(name, FormSubmitted(who(name), "answer", body, {"round_id": str(rnd.id)}), "submits the answer form")

    until(17, 0)
    with db.session() as s:
        answers = list(s.exec(select(Answer).where(Answer.round_id == rnd.id).order_by(Answer.id)))
        owner = {a.id: s.get(Member, a.member_id).display_name for a in answers}
    quality_of = {name: q for name, q, _, _ in CAST}
    base = {"strong": 4.6, "medium": 3.6, "partial": 3.0, "weak": 2.4}
    leniency = {name: rng.choice([-0.4, 0.0, 0.0, 0.3, 0.6]) for name, *_ in CAST}
    voters = [c[0] for c in CAST]
    clock.advance(timedelta(minutes=20))
    for voter in voters:
        for a in answers:
            if owner[a.id] == voter or rng.random() < 0.2:
                continue
            b = base[quality_of[owner[a.id]]] + leniency[voter]
            scores = {d: str(max(1, min(5, round(b + rng.uniform(-0.6, 0.6))))) for d in DIMENSIONS}
            act(voter, FormSubmitted(who(voter), "vote", {**scores, "comment": ""}, {"answer_id": str(a.id)}),
                f"rates answer #{a.id} ({owner[a.id]})")
        clock.advance(timedelta(minutes=7))
    act("Chen", FormSubmitted(who("Chen"), "vote", {d: "5" for d in DIMENSIONS}, {"answer_id": str(
        next(a.id for a in answers if owner[a.id] == "Chen"))}), "tries to rate their own answer")

    until(8, 0, DAY + timedelta(days=1))
    act("Ada", Command(who("Ada"), "streak"), "runs /streak")
    act("Bilal", Command(who("Bilal"), "leaderboard", ("week",)), "runs /leaderboard week")
    say(f"\nThat was one practice day. Reopen it with:  sensebot console --db {path}")
    db.dispose()
    return 0
