"""Shared fixtures: a fresh migrated SQLite database, a hand-wound clock, the shipped content,
and `TeamBot`, a dialogue harness in the spirit of errbot's testbot: push an event as a
person, read what the bot said to them and what it posted."""
from __future__ import annotations

import os
import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import content
from bot.clock import ManualClock
from bot.events import Action, Command, DirectMessage, FormSubmitted, ThreadReply, Who
from bot.messages import Message, Reply
from bot.outbox import Dispatcher
from bot.practice import Practice
from bot.store.db import Database


class FakePort:
    """A ChatPort that records what it was asked to deliver."""

    platform = "test"

    def __init__(self):
        self.sent: list[dict] = []

    def post(self, workspace_id, channel_id, message: Message, thread_ref=None):
        self.sent.append({"kind": "channel", "to": channel_id, "thread": thread_ref, "message": message})
        return f"ref-{len(self.sent)}"

    def direct(self, workspace_id, user_id, message: Message):
        self.sent.append({"kind": "direct", "to": user_id, "thread": None, "message": message})
        return f"ref-{len(self.sent)}"

    def titles(self, kind: str | None = None) -> list[str]:
        return [s["message"].title for s in self.sent if kind is None or s["kind"] == kind]


@pytest.fixture(scope="session")
def library():
    return content.load()


POSTGRES_URL = os.environ.get("SENSEBOT_TEST_POSTGRES_URL", "")


def fresh_postgres(url: str) -> Database:
    """An empty, migrated schema on the test server (the schema is dropped and recreated)."""
    database = Database(url)
    with database.engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    database.upgrade()
    return database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request, tmp_path):
    """The same tests run on SQLite and, when a server is available, on PostgreSQL."""
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("no PostgreSQL server: set SENSEBOT_TEST_POSTGRES_URL (bash .ci/postgres.sh starts one)")
        database = fresh_postgres(POSTGRES_URL)
    else:
        database = Database(f"sqlite:///{tmp_path / 'test.db'}")
        database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def clock():
    # Monday 23 November 2026, 08:00 in Berlin
    return ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Europe/Berlin")))


class TeamBot:
    """One team on the fake platform 'test', driven like people would drive it."""

    def __init__(self, db: Database, clock: ManualClock, library, workspace: str = "T1", tz: str = "Europe/Berlin"):
        self.db, self.clock, self.library = db, clock, library
        self.workspace = workspace
        self.practice = Practice(db, clock, library, default_tz=tz)
        self.port = FakePort()
        self.dispatcher = Dispatcher(db, clock, {"test": self.port}, worker="test", rng=random.Random(1))

    def who(self, user: str, admin: bool = False) -> Who:
        return Who("test", self.workspace, user, user.capitalize(), is_admin=admin, channel_id="C1")

    def cmd(self, user: str, text: str, admin: bool = False) -> Reply:
        name, *args = text.split()
        return self.practice.handle(Command(self.who(user, admin), name, tuple(args)))

    def press(self, user: str, action: str, value: str = "") -> Reply:
        return self.practice.handle(Action(self.who(user), action, value))

    def submit(self, user: str, form: str, values: dict, meta: dict) -> Reply:
        return self.practice.handle(FormSubmitted(self.who(user), form, values, meta))

    def reply_in_thread(self, user: str, thread_ref: str, text: str, event_id: str = "") -> Reply:
        return self.practice.handle(ThreadReply(self.who(user), thread_ref, text, event_id))

    def dm(self, user: str, text: str) -> Reply:
        return self.practice.handle(DirectMessage(self.who(user), text))

    def setup(self, time: str = "09:00", tz: str = "Europe/Berlin", days: str = "mon-fri") -> Reply:
        return self.cmd("admin", f"setup #practice {time} {tz} {days}", admin=True)

    def team_id(self) -> int:
        from sqlmodel import select

        from bot.store.models import Team
        with self.db.session() as s:
            return s.exec(select(Team.id).where(Team.workspace_id == self.workspace)).one()

    def tick(self) -> list[tuple[str, str]]:
        ran = self.practice.run_due(self.team_id())
        self.dispatcher.drain_all()
        return ran

    def advance(self, **kw) -> list[tuple[str, str]]:
        """Let time pass step by step, running every step that falls due on the way."""
        from bot import day
        from bot.context import Ctx
        from bot.store.models import Team
        end = self.clock.now() + timedelta(**kw)
        ran = []
        while True:
            with self.db.session() as s:
                team = s.get(Team, self.team_id())
                steps = [st for st in day.upcoming(Ctx(s, self.clock, self.library), team) if st.due <= end]
            if not steps:
                break
            self.clock.set(steps[0].due)
            ran += self.tick()
        self.clock.set(end)
        ran += self.tick()
        return ran


@pytest.fixture
def teambot(db, clock, library):
    return TeamBot(db, clock, library)


def seed_rated_rounds(db: Database, platform: str, workspace: str, user_id: str, n: int = 3) -> None:
    """Give a member `n` closed rounds, each with an answer a teammate rated: enough for a chart.
    The team and the member must exist (any command creates them)."""
    from datetime import date

    from sqlmodel import select

    from bot.content import DIMENSIONS
    from bot.store.models import Answer, Member, Round, Team, Vote
    now = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("UTC"))
    with db.transaction() as s:
        team = s.exec(select(Team).where(Team.platform == platform, Team.workspace_id == workspace)).one()
        member = s.exec(select(Member).where(Member.team_id == team.id, Member.user_id == user_id)).one()
        rater = Member(team_id=team.id, user_id=f"rater-of-{user_id}", display_name="Rater", created_at=now)
        s.add(rater)
        s.flush()
        for i in range(n):
            rnd = Round(team_id=team.id, local_date=date(2026, 11, 2 + i), prompt_id="seeded", phase="closed",
                        opened_at=now, answer_deadline=now, vote_deadline=now)
            s.add(rnd)
            s.flush()
            answer = Answer(team_id=team.id, round_id=rnd.id, member_id=member.id, scope="Seeded answer.",
                            created_at=now, updated_at=now)
            s.add(answer)
            s.flush()
            s.add(Vote(team_id=team.id, answer_id=answer.id, voter_id=rater.id, created_at=now,
                       **{d: 3 + (i + j) % 3 for j, d in enumerate(DIMENSIONS)}))
