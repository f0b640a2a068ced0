"""Shared pieces of the Discord adapter tests: an app on a fresh SQLite file and a hand-wound clock,
a `Harness` that logs the real discord.py client in against the fake REST API (no gateway) and
feeds it interaction payloads through its real ConnectionState, CommandTree and view store."""
from __future__ import annotations

import asyncio
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from discord.http import Route

from adapters.discord.client import DiscordRuntime
from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.outbox import Dispatcher
from bot.practice import Practice
from bot.store.db import Database
from tests.fakes.discord_fakes import MANAGE_GUILD, FakeDiscordAPI, Payloads, snowflake

TOKEN = "MTA-fake-bot-token-for-tests.abcdef.ghijklmnop"
ADMIN, ADA, BEN, CY = 9001, 9002, 9003, 9004


@pytest.fixture(autouse=True)
def _restore_route_base():
    saved = Route.BASE
    yield
    Route.BASE = saved


@pytest.fixture
def clock():
    # Monday 23 November 2026, 08:00 in Berlin; the team practises at 09:00
    return ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Europe/Berlin")))


def make_app(tmp_path, clock, library, api: FakeDiscordAPI, **overrides) -> App:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'discord.db'}", discord_token=TOKEN,
                        discord_api_url=api.url, discord_guild_id=str(api.guild_id),
                        discord_application_id=str(api.application_id), **overrides)
    db = Database(settings.database_url)
    db.upgrade()
    return App(settings, db, library, Practice(db, clock, library, default_tz="UTC", command_prefix="/"))


def setup_options(p: Payloads, channel_id: int, time="09:00", tz="Europe/Berlin", days="mon-fri"):
    channel, resolved = p.channel_option("channel", channel_id)
    return dict(options=[channel, p.option("time", time), p.option("timezone", tz), p.option("weekdays", days)],
                subcommand="setup", resolved=resolved)


class Harness:
    """The real client, logged in over REST against the fake API, fed payloads as the gateway would."""

    def __init__(self, tmp_path, clock, library, **runtime_kw):
        self.tmp_path, self.clock, self.library = tmp_path, clock, library
        # the core never counts as slow by machine speed: a busy CI machine must not turn an immediate
        # answer into a deferred one. Tests of deferral pass a small `defer_after` and hold the core on a gate.
        runtime_kw.setdefault("defer_after", 600.0)
        self.runtime_kw = runtime_kw
        self.api = FakeDiscordAPI()
        self.p = Payloads(self.api)

    async def __aenter__(self) -> Harness:
        await self.api.start()
        self.app = make_app(self.tmp_path, self.clock, self.library, self.api)
        self.runtime = DiscordRuntime(self.app, **self.runtime_kw)
        self.client = await self.runtime.login()
        self.client._connection.parse_guild_create(self.p.guild_create())
        self.dispatcher = Dispatcher(self.app.db, self.clock, {"discord": self.runtime.port}, worker="t",
                                     rng=random.Random(1))
        return self

    async def __aexit__(self, *exc) -> None:
        self.dispatcher.close()
        await self.runtime.close()
        await self.api.stop()
        self.app.db.dispose()

    async def wait(self, predicate, timeout: float = 60.0, what: str = "a request"):
        """Poll until `predicate()` holds. The timeout only bounds a hang: generous, so a busy machine
        never turns a pass into a failure."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = predicate()
            if found:
                return found
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}: "
                                     + ", ".join(f"{r.method} {r.path}" for r in self.api.recorded()[-10:]))
            await asyncio.sleep(0.01)

    async def interact(self, payload: dict, *, followups: int = 0):
        """Hand an INTERACTION_CREATE to the client's ConnectionState; return the callback body (and follow-ups)."""
        self.client._connection.parse_interaction_create(payload)
        rec = await self.wait(lambda: self.api.callback_for(payload["id"]), what=f"callback for {payload['data']}")
        if followups:
            token = payload["token"]
            await self.wait(lambda: len(self.api.followups(token)) >= followups, what="follow-ups")
        return rec.json

    async def drain(self) -> int:
        """Deliver the outbox through the DiscordPort (from a worker thread, as the dispatcher runs)."""
        return await asyncio.to_thread(self.dispatcher.drain_all)

    async def run_due(self) -> None:
        from sqlmodel import select

        from bot.store.models import Team
        with self.app.db.session() as s:
            team_id = s.exec(select(Team.id)).one()
        await asyncio.to_thread(self.app.practice.run_due, team_id)
        await self.drain()

    # --------------------------------------------------------- common journeys

    async def setup_team(self) -> dict:
        return await self.interact(self.p.slash("sensebot", user_id=ADMIN, name="Admin", permissions=MANAGE_GUILD,
                                                **setup_options(self.p, self.api.channel_id)))

    async def open_round(self) -> dict:
        """Setup, then 09:00: the prompt is posted; returns the posted message as the fake stored it."""
        await self.setup_team()
        self.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")))
        await self.run_due()
        post = self.api.channel_posts(self.api.channel_id)[0]
        return next(m for m in self.api.messages.values() if m["embeds"] == post.json["embeds"])

    def message_with(self, custom_id_prefix: str) -> dict:
        from tests.fakes.discord_fakes import custom_ids
        for m in reversed(list(self.api.messages.values())):
            if any(c.startswith(custom_id_prefix) for c in custom_ids(m)):
                return m
        raise AssertionError(f"no posted message has a component {custom_id_prefix}…")


def run(coro):
    return asyncio.run(coro)


__all__ = ["ADA", "ADMIN", "BEN", "CY", "TOKEN", "Harness", "make_app", "run", "setup_options", "snowflake"]


def titles(body: dict) -> list[str]:
    """The embed titles of an interaction response."""
    return [e.get("title") or "" for e in body["data"].get("embeds", [])]


def text_of(body: dict) -> str:
    """Everything a member reads in an interaction response: content, titles, descriptions, fields."""
    parts = [body["data"].get("content") or ""]
    for e in body["data"].get("embeds", []):
        parts += [e.get("title") or "", e.get("description") or ""]
        parts += [f["name"] + " " + f["value"] for f in e.get("fields", [])]
    return "\n".join(parts)
