"""Offline end to end: the real discord.py client (DiscordRuntime in its own thread and event loop)
connects to a fake gateway on 127.0.0.1 (HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeat ACKs),
talks REST to a fake API on another port (DISCORD_API_URL, DISCORD_GATEWAY_URL from GET /gateway/bot),
receives INTERACTION_CREATE and MESSAGE_CREATE events, and the test asserts the REST calls it made."""
from __future__ import annotations

import random
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from adapters.discord.client import DiscordRuntime
from bot.outbox import Dispatcher
from bot.store.models import Answer, Vote
from tests.adapters.discord.conftest import ADA, ADMIN, BEN, CY, make_app, setup_options
from tests.fakes.discord_fakes import (
    MANAGE_GUILD,
    FakeDiscord,
    check_message_limits,
    custom_ids,
)

EPHEMERAL = 64
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def fake():
    f = FakeDiscord().start()
    yield f
    f.stop()


def start(app) -> DiscordRuntime:
    rt = DiscordRuntime(app, guild_ready_timeout=0.1, defer_after=600.0).start_background()
    assert rt.ready.wait(60), f"client never became ready: {rt.error!r}"
    return rt


def deliver(app, rt: DiscordRuntime) -> int:
    dispatcher = Dispatcher(app.db, app.practice.clock, {"discord": rt.port}, worker="e2e", rng=random.Random(3))
    try:
        return dispatcher.drain_all()
    finally:
        dispatcher.close()


def first_title(body: dict) -> str:
    return body["data"]["embeds"][0]["title"]


def all_text(body: dict) -> str:
    out = []
    for e in body.get("embeds") or []:
        out += [e.get("title") or "", e.get("description") or ""] + [f["value"] for f in e.get("fields") or []]
    return "\n".join(out)


def skip_calibration(fake, p, invite: dict, user_id: int, name: str) -> dict:
    """Press Skip on the first-vote calibration invitation; returns the vote modal."""
    assert invite["type"] == 4 and "calibration" in all_text(invite["data"]).lower()
    skip = next(c for c in custom_ids(invite["data"]) if c.startswith("sb:calibrate_skip:"))
    return fake.interact(p.button(skip, p.bot_message(invite["data"]["components"], flags=EPHEMERAL),
                                  user_id=user_id, name=name)).json


def test_a_round_through_the_gateway_and_a_restart(fake, tmp_path, clock, library):
    api, p = fake.api, fake.payloads
    app = make_app(tmp_path, clock, library, api)
    rt = start(app)
    try:
        # connected with minimal intents; commands synced to the one server (they were missing)
        identify = next(m for m in fake.gateway.received if m["op"] == 2)["d"]
        assert identify["intents"] == (1 << 0) | (1 << 9) | (1 << 12) | (1 << 15)
        assert identify["shard"] == [0, 1]
        put = api.recorded("PUT", rf"^/applications/{api.application_id}/guilds/{api.guild_id}/commands$")
        assert put and {c["name"] for c in put[0].json} >= {"drill", "streak", "leaderboard", "progress", "reminders",
                                                              "export", "forget-me", "help", "sensebot"}
        admin_group = next(c for c in put[0].json if c["name"] == "sensebot")
        assert int(admin_group["default_member_permissions"]) == MANAGE_GUILD
        assert {o["name"] for o in admin_group["options"]} >= {"setup", "pause", "resume", "skip", "status"}

        # a member without Manage Server can't run setup; an admin can
        refused = fake.interact(p.slash("sensebot", user_id=BEN, permissions=0, **setup_options(p, api.channel_id))).json
        assert refused["data"]["flags"] == EPHEMERAL and "Only workspace admins" in all_text(refused["data"])
        ok = fake.interact(p.slash("sensebot", user_id=ADMIN, permissions=MANAGE_GUILD, **setup_options(p, api.channel_id))).json
        assert first_title(ok) == "Set up" and not ok["data"].get("flags")

        # /drill answers privately
        drill = fake.interact(p.slash("drill", [p.option("category", "prioritize")], user_id=CY, name="Cy")).json
        assert drill["type"] == 4 and drill["data"]["flags"] == EPHEMERAL and first_title(drill).startswith("Drill: ")

        # 09:00: the prompt is posted in the channel with Answer and Drill buttons
        clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
        app.practice.run_due(1)
        assert deliver(app, rt) == 1
        post = api.channel_posts(api.channel_id)[-1]
        assert custom_ids(post.json) == ["sb:answer:1", "sb:drill:"] and post.json["allowed_mentions"] == {"parse": []}
        prompt = next(m for m in api.messages.values() if m["channel_id"] == str(api.channel_id))

        # Answer -> modal -> a 2,500-character answer that tries to ping everyone
        modal = fake.interact(p.button("sb:answer:1", prompt, user_id=ADA)).json
        assert modal["type"] == 9
        long_scope = ("@everyone please read. " + "Scope: B2B developers, 30% fewer tickets in 6 months. " * 60)[:2500]
        saved = fake.interact(p.modal_submit(modal["data"]["custom_id"], {"scope": long_scope, "segment": "Developers, admins."},
                                             user_id=ADA)).json
        assert first_title(saved) == "Answer saved" and saved["data"]["flags"] == EPHEMERAL
        modal = fake.interact(p.button("sb:answer:1", prompt, user_id=BEN, name="Ben")).json
        fake.interact(p.modal_submit(modal["data"]["custom_id"], {"solve": "V1: one endpoint."}, user_id=BEN, name="Ben"))

        # 09:30: the Scope nudge starts the round's thread; a plain reply there becomes part of Cy's answer
        clock.set(datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN))
        app.practice.run_due(1)
        deliver(app, rt)
        thread_id = int(prompt["id"])
        assert api.recorded("POST", rf"^/channels/{api.channel_id}/messages/{thread_id}/threads$")
        fake.dispatch("THREAD_CREATE", p.thread_create(api.channels[thread_id]))
        fake.dispatch("MESSAGE_CREATE", p.message_create(thread_id, CY, "Segments: developers who integrate the API, and IT leads who approve the vendor.", name="Cy"))
        fake.wait_for(lambda: [r for r in api.channel_posts() if all_text(r.json).startswith("Answer saved")],
                      what="the private feedback on the thread reply")
        with app.db.session() as s:
            assert s.exec(select(Answer).where(Answer.source == "thread")).one().free_text == "Segments: developers who integrate the API, and IT leads who approve the vendor."

        # 17:00: answers revealed in the thread, each with a Rate button, inside Discord's limits
        clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=BERLIN))
        app.practice.run_due(1)
        deliver(app, rt)
        in_thread = api.channel_posts(thread_id)
        for r in in_thread:
            check_message_limits(r.json)
            assert r.json["allowed_mentions"] == {"parse": []}
        ada_post = next(r for r in in_thread if "by Ada" in (r.json["embeds"][0].get("title") or ""))
        shown = "".join(f["value"] for e in ada_post.json["embeds"] for f in e["fields"] if f["value"] != "\u200b")
        assert "".join(long_scope.split()) in "".join(shown.split())  # all 2,500 characters, split over fields
        ada_answer = next(m for m in api.messages.values() if m["embeds"] == ada_post.json["embeds"])
        rate = next(c for c in custom_ids(ada_answer) if c.startswith("sb:rate:"))

        # Ben rates Ada's answer: a first vote offers the calibration; he skips it to five selects in one modal
        modal = skip_calibration(fake, p, fake.interact(p.button(rate, ada_answer, user_id=BEN, name="Ben")).json, BEN, "Ben")
        assert modal["type"] == 9 and len(modal["data"]["components"]) == 5
        dims = [c["component"]["custom_id"] for c in modal["data"]["components"]]
        voted = fake.interact(p.modal_submit(modal["data"]["custom_id"], {d: ["4"] for d in dims}, user_id=BEN, name="Ben")).json
        assert first_title(voted).startswith("Vote recorded") and voted["data"]["flags"] == EPHEMERAL

        # Ada can't rate herself
        own = fake.interact(p.button(rate, ada_answer, user_id=ADA)).json
        assert own["type"] == 4 and own["data"]["flags"] == EPHEMERAL and "can't rate your own" in all_text(own["data"])
    finally:
        rt.stop()
    assert not rt.thread.is_alive()

    # a new process: the same Rate button on yesterday's message still works
    rt2 = start(app)
    try:
        modal = skip_calibration(fake, p, fake.interact(p.button(rate, ada_answer, user_id=CY, name="Cy")).json, CY, "Cy")
        assert modal["type"] == 9 and modal["data"]["custom_id"].startswith("sbf:vote:1:answer_id=")
        voted = fake.interact(p.modal_submit(modal["data"]["custom_id"], {d: ["5"] for d in dims}, user_id=CY, name="Cy")).json
        assert first_title(voted).startswith("Vote recorded")
        with app.db.session() as s:
            assert len(s.exec(select(Vote)).all()) == 2
    finally:
        rt2.stop()
        app.db.dispose()
    assert not rt2.thread.is_alive()
    assert not [t for t in threading.enumerate() if t.name == "discord"]
