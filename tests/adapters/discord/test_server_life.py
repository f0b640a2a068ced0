"""Issue 15, Discord: what a real server does to sensebot — it is removed and re-added, old buttons
outlive their server, members open their own threads, admins pick channels sensebot can't post in,
and nicknames carry markdown. Each test names the item it covers."""
from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from adapters.discord.client import DiscordRuntime
from bot.store.models import Answer, Member, MockFeedback, MockPair, OutboxRow, ProcessedEvent, Team
from bot import outbox
from bot.context import Ctx
from bot.messages import Message, Section
from tests.adapters.discord.conftest import ADA, ADMIN, BEN, Harness, make_app, run, setup_options, text_of
from tests.fakes.discord_fakes import MANAGE_GUILD, FakeDiscord, custom_ids, text_channel_json

EPHEMERAL = 64
OLD = "This button is from an older version — run /today"


# long enough to read as an answer, not chat (bot/chat.py asks before saving short chat)
ANSWER_TEXT = "My scope: SMS developers in fintech who lose logins when one-time codes arrive late."

def _team(h_or_app) -> Team:
    app = getattr(h_or_app, "app", h_or_app)
    with app.db.session() as s:
        return s.exec(select(Team)).one()


# ------------------------------------------------------------------ 11: rejoining a server


@pytest.fixture
def fake():
    f = FakeDiscord().start()
    yield f
    f.stop()


def _wait(predicate, what: str, timeout: float = 60.0):
    """Poll until `predicate()` holds (generous: the machine may be busy; never a speed assertion)."""
    import time
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_11_rejoining_the_server_through_the_gateway_cancels_the_deletion(fake, tmp_path, clock, library):
    api, p = fake.api, fake.payloads
    app = make_app(tmp_path, clock, library, api)
    changed: list[int] = []
    app.practice.on_team_change.append(changed.append)
    rt = DiscordRuntime(app, guild_ready_timeout=0.1, defer_after=600.0).start_background()
    try:
        assert rt.ready.wait(60), f"client never became ready: {rt.error!r}"
        fake.interact(p.slash("sensebot", user_id=ADMIN, permissions=MANAGE_GUILD, **setup_options(p, api.channel_id)))
        gid = str(api.guild_id)

        # an outage (unavailable) never removes: a later interaction is answered, the team is untouched
        fake.dispatch("GUILD_DELETE", {"id": gid, "unavailable": True})
        fake.interact(p.slash("streak", user_id=ADA))
        assert _team(app).removed_at is None
        fake.dispatch("GUILD_CREATE", p.guild_create())  # back after the outage
        fake.interact(p.slash("streak", user_id=ADA))
        assert _team(app).removed_at is None

        fake.dispatch("GUILD_DELETE", {"id": gid})  # kicked
        _wait(lambda: _team(app).removed_at is not None, "the removal")
        changed.clear()

        rejoin = p.guild_create()
        rejoin.pop("unavailable")  # a join's GUILD_CREATE, for a server the client doesn't know
        fake.dispatch("GUILD_CREATE", rejoin)
        _wait(lambda: _team(app).removed_at is None, "the rejoin to cancel the deletion")
        assert changed == [_team(app).id]  # the schedule is rebuilt: prompts come back
    finally:
        rt.stop()
        app.db.dispose()


# ------------------------------------------------------------------ 12: old DM buttons


def _pressed(h: Harness, custom_id: str, user_id: int, *, dm: bool = False) -> dict:
    """A press on a button of a message sensebot sent (Discord sends the message, with the button, along)."""
    where = dict(channel_id=4242, guild=False) if dm else {}
    message = h.p.bot_message([{"type": 1, "components": [{"type": 2, "style": 1, "label": "Go", "custom_id": custom_id}]}],
                              **where)
    return h.p.button(custom_id, message, user_id=user_id, **where)


def _dm_button(h: Harness, custom_id: str, user_id: int) -> dict:
    return _pressed(h, custom_id, user_id, dm=True)


def test_12_an_old_dm_button_from_a_server_that_removed_the_bot_does_not_restore_it(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await h.open_round()
            gid = h.api.guild_id
            await h.interact(h.p.slash("streak", user_id=ADA))
            h.client._connection.parse_guild_delete({"id": str(gid)})
            await h.wait(lambda: _team(h).removed_at is not None, what="the removal")
            body = await h.interact(_dm_button(h, f"sb:answer:1:g{gid}", ADA))
            assert body["type"] == 4 and body["data"]["flags"] == EPHEMERAL
            assert "no longer in that server" in text_of(body)
            assert _team(h).removed_at is not None
    run(scenario())


def test_12_a_dm_button_naming_a_server_the_member_is_not_in_is_refused(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await h.open_round()
            gid = h.api.guild_id
            # Ben never took part in this server: a button claiming it (forged, or copied) acts on nothing
            body = await h.interact(_dm_button(h, f"sb:drill::g{gid}", BEN))
            assert body["data"]["flags"] == EPHEMERAL and "isn't for a server you're in" in text_of(body)
            with h.app.db.session() as s:
                assert s.exec(select(Member).where(Member.user_id == str(BEN))).first() is None
            # a server sensebot has never been in creates no team
            body = await h.interact(_dm_button(h, "sb:drill::g4242424242", ADA))
            assert "no longer in that server" in text_of(body)
            with h.app.db.session() as s:
                assert len(s.exec(select(Team)).all()) == 1
    run(scenario())


# ------------------------------------------------------------------ 13: rating a mock partner with a comment


async def _paired(h: Harness) -> str:
    """Ada and Ben, members of a set-up server, paired last week; the value of Ada's "rate Ben" button."""
    await h.setup_team()
    await h.interact(h.p.slash("streak", user_id=ADA))
    await h.interact(h.p.slash("streak", user_id=BEN, name="Ben"))
    with h.app.db.transaction() as s:
        team = s.exec(select(Team)).one()
        ada = s.exec(select(Member).where(Member.user_id == str(ADA))).one()
        ben = s.exec(select(Member).where(Member.user_id == str(BEN))).one()
        pair = MockPair(team_id=team.id, week="2026-W47", member_ids=[ada.id, ben.id], prompt_id="x",
                        created_at=h.clock.now())
        s.add(pair)
        s.flush()
        return f"{pair.id}%3A{ben.id}"


def test_13_rating_a_mock_partner_carries_the_scores_and_the_comment_in_one_dm(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            value = await _paired(h)
            form = await h.interact(_dm_button(h, f"sb:mock_rate:{value}:g{h.api.guild_id}", ADA))
            assert form["type"] == 9
            selects = [c["component"]["custom_id"] for c in form["data"]["components"] if c["type"] == 18]
            assert len(form["data"]["components"]) <= 5 and "comment" not in selects
            part1 = await h.interact(h.p.modal_submit(form["data"]["custom_id"], {d: ["4"] for d in selects},
                                                      user_id=ADA, guild=False, channel_id=4242))
            more = next(c for c in custom_ids(part1["data"]) if c.startswith("sb:form_part:"))
            await h.drain()
            assert not [r for r in h.api.channel_posts() if "rated your mock" in str(r.json)], \
                "the partner's DM waits for the comment part"
            stored = h.p.bot_message(part1["data"]["components"], flags=EPHEMERAL, channel_id=4242, guild=False)
            form2 = await h.interact(h.p.button(more, stored, user_id=ADA, guild=False, channel_id=4242))
            assert form2["type"] == 9
            done = await h.interact(h.p.modal_submit(form2["data"]["custom_id"], {"comment": "Sharp scoping"},
                                                     user_id=ADA, guild=False, channel_id=4242))
            assert "Give" not in text_of(done) and "partner will see" in text_of(done)
            await h.drain()
            dms = [r for r in h.api.channel_posts() if "rated your mock" in str(r.json)]
            assert len(dms) == 1 and "Sharp scoping" in str(dms[0].json) and "Problem definition 4" in str(dms[0].json)
            with h.app.db.session() as s:
                fb = s.exec(select(MockFeedback)).one()
            assert fb.comment == "Sharp scoping" and set(fb.scores.values()) == {4}
    run(scenario())


def test_13_without_the_comment_the_partner_still_gets_the_rating(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            value = await _paired(h)
            form = await h.interact(_pressed(h, f"sb:mock_rate:{value}", ADA))
            selects = [c["component"]["custom_id"] for c in form["data"]["components"] if c["type"] == 18]
            await h.interact(h.p.modal_submit(form["data"]["custom_id"], {d: ["3"] for d in selects}, user_id=ADA))
            h.clock.advance(timedelta(minutes=31))
            await h.drain()
            assert len([r for r in h.api.channel_posts() if "rated your mock" in str(r.json)]) == 1
    run(scenario())


# ------------------------------------------------------------------ 14 and 15: threads


async def _thread_round(h: Harness) -> int:
    prompt = await h.open_round()
    h.clock.advance(timedelta(minutes=30))
    await h.run_due()
    thread_id = int(prompt["id"])
    h.client._connection.parse_thread_create(h.p.thread_create(h.api.channels[thread_id]))
    return thread_id


def _closed_notes(h: Harness) -> list:
    return [r for r in h.api.channel_posts() if "closed" in str(r.json) and "not saved" in str(r.json)]


def test_14_chat_after_the_deadline_gets_at_most_one_note_per_member_and_round(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            thread_id = await _thread_round(h)
            h.clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=ZoneInfo("Europe/Berlin")))
            await h.run_due()
            long = ("Scope: developers on our SMS API; Segment: devs and IT leads; Solve: a V1 endpoint; "
                    "Score: p95 under 200 ms and 30% fewer tickets in six months.")
            for n, text in enumerate(["nice one!", "haha agreed", long, long, long], 1):
                h.client._connection.parse_message_create(h.p.message_create(thread_id, ADA, text))

                def handled(n=n) -> bool:
                    with h.app.db.session() as s:
                        return len(s.exec(select(ProcessedEvent)).all()) >= n
                await h.wait(handled, what=f"message {n} to be handled")
            await h.drain()
            assert len(_closed_notes(h)) == 1
    run(scenario())


def test_15_replies_in_a_thread_a_member_opened_on_the_prompt_are_read(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            prompt = await h.open_round()
            thread_id = int(prompt["id"])
            h.api.add_thread(thread_id, h.api.channel_id, owner_id=BEN, name="my thoughts")
            h.client._connection.parse_thread_create(h.p.thread_create(h.api.channels[thread_id]))
            h.client._connection.parse_message_create(h.p.message_create(thread_id, ADA, ANSWER_TEXT))
            await h.wait(lambda: [r for r in h.api.channel_posts() if "Answer saved" in str(r.json)], what="feedback")
            with h.app.db.session() as s:
                assert s.exec(select(Answer)).one().free_text == ANSWER_TEXT
            # a member's thread on some other message stays theirs
            other = h.api._message(h.api.channel_id, {"content": "lunch?"})
            h.api.add_thread(int(other["id"]), h.api.channel_id, owner_id=BEN, name="lunch")
            h.client._connection.parse_thread_create(h.p.thread_create(h.api.channels[int(other["id"])]))
            h.client._connection.parse_message_create(h.p.message_create(int(other["id"]), ADA, "Pizza"))
            await h.wait(lambda: int(other["id"]) in h.runtime._not_threads, what="the other thread to be passed over")
            with h.app.db.session() as s:
                assert s.exec(select(Answer)).one().free_text == ANSWER_TEXT
    run(scenario())


# ------------------------------------------------------------------ 16: deferral keeps the reply's visibility


async def _deferred(h: Harness, payload: dict) -> tuple[dict, list]:
    """Hold the core until the interaction is deferred, then let it answer (no timing involved)."""
    gate = threading.Event()
    handle = h.app.practice.handle

    def held(event):
        gate.wait(30)
        return handle(event)
    h.app.practice.handle = held
    try:
        h.client._connection.parse_interaction_create(payload)
        deferral = await h.wait(lambda: h.api.callback_for(payload["id"]), what="the deferral")
    finally:
        gate.set()
    await h.wait(lambda: h.api.followups(payload["token"]), what="the follow-up")
    h.app.practice.handle = handle
    return deferral.json, h.api.followups(payload["token"])


def test_16_a_slow_public_command_is_deferred_publicly(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library, defer_after=0.01) as h:
            body, follow = await _deferred(h, h.p.slash("leaderboard", user_id=ADA))
            assert body["type"] == 5 and not body.get("data", {}).get("flags")
            assert not follow[0].json.get("flags") and follow[0].json["embeds"][0]["title"].startswith("Leaderboard")
            body, follow = await _deferred(h, h.p.slash("streak", user_id=ADA))
            assert body["type"] == 5 and body["data"]["flags"] == EPHEMERAL
    run(scenario())


def test_16_a_public_command_that_fails_slowly_answers_privately(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library, defer_after=0.01) as h:
            payload = h.p.slash("sensebot", user_id=BEN, permissions=0, **setup_options(h.p, h.api.channel_id))
            body, follow = await _deferred(h, payload)
            assert body["type"] == 5 and not body.get("data", {}).get("flags")  # setup is public...
            await h.wait(lambda: h.api.recorded("DELETE", r"/messages/@original$"), what="the public placeholder removed")
            private = [f for f in h.api.followups(payload["token"]) if (f.json or {}).get("flags") == EPHEMERAL]
            assert private and "Only workspace admins" in str(private[-1].json)  # ...its refusal is not
    run(scenario())


# ------------------------------------------------------------------ 19: the last server survives a restart


def test_19_dms_after_a_restart_go_to_the_members_last_server(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            second = h.p.guild_create()
            second_id = str(int(second["id"]) + 7)
            second.update(id=second_id, channels=[], roles=[dict(r, id=second_id if r["name"] == "@everyone" else r["id"])
                                                           for r in second["roles"]])
            h.client._connection.parse_guild_create(second)
            await h.open_round()
            await h.interact(h.p.slash("streak", user_id=ADA))  # Ada's latest server is the practice one
            # a new process: nothing in memory
            fresh = DiscordRuntime(h.app, defer_after=600.0)
            fresh.client = h.client
            assert await fresh.dm_workspace(ADA) == str(h.api.guild_id)
            assert await fresh.dm_workspace(BEN) is None  # never seen: ask them to use a command first
    run(scenario())


# ------------------------------------------------------------------ 20: every interaction gets an answer


@pytest.mark.parametrize("custom_id", ["sb:Answer:1", "rate:12", "sb:answer:1:gabc", "sb:form_part:%ZZ",
                                       "sb:form_part:2.x.y", "sb:answer:" + "%ZZ" * 30])
def test_20_an_unrecognised_button_gets_an_answer(tmp_path, clock, library, custom_id):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.interact(_pressed(h, custom_id, ADA))
            assert body["type"] == 4 and body["data"]["flags"] == EPHEMERAL
            assert OLD in text_of(body) or "round doesn't exist" in text_of(body)
    run(scenario())


@pytest.mark.parametrize("custom_id", ["form:answer", "sbf:answer", "sbf:answer:x:round_id=1:"])
def test_20_an_unrecognised_form_gets_an_answer(tmp_path, clock, library, custom_id):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.interact(h.p.modal_submit(custom_id, {"scope": "text"}, user_id=ADA))
            assert body["type"] == 4 and body["data"]["flags"] == EPHEMERAL and OLD in text_of(body)
    run(scenario())


def test_20_an_action_the_core_no_longer_knows_says_the_same(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.interact(_pressed(h, "sb:retired_action:1", ADA))
            assert OLD in text_of(body)
    run(scenario())


# ------------------------------------------------------------------ 21: setup checks the channel


def test_21_setup_shows_the_channel_as_a_mention(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.setup_team()
            assert f"<#{h.api.channel_id}>" in text_of(body) and f" #{h.api.channel_id}" not in text_of(body)
    run(scenario())


def test_21_setup_names_the_permissions_sensebot_lacks_in_the_channel(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            cid = 1_300_000_000_000_777_001  # made after sensebot joined: not in its cache
            h.api.channels[cid] = dict(text_channel_json(cid, h.api.guild_id, "locked"), permission_overwrites=[
                {"id": str(h.api.bot_role_id), "type": 0, "allow": "0", "deny": str((1 << 14) | (1 << 35))}])
            body = await h.interact(h.p.slash("sensebot", user_id=ADMIN, permissions=MANAGE_GUILD, **setup_options(h.p, cid)))
            text = text_of(body)
            assert body["data"]["flags"] == EPHEMERAL and "Something went wrong" not in text
            assert f"<#{cid}>" in text and "Embed Links" in text and "Create Public Threads" in text
            assert "Send Messages" not in text
            with h.app.db.session() as s:
                assert not s.exec(select(Team).where(Team.channel_id != "")).all()  # nothing changed
    run(scenario())


def test_21_a_channel_missing_from_the_cache_is_fetched(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            cid = 1_300_000_000_000_777_002
            h.api.channels[cid] = text_channel_json(cid, h.api.guild_id, "new-practice")
            body = await h.interact(h.p.slash("sensebot", user_id=ADMIN, permissions=MANAGE_GUILD, **setup_options(h.p, cid)))
            assert not body["data"].get("flags") and f"<#{cid}>" in text_of(body)
            assert _team(h).channel_id == str(cid)
    run(scenario())


# ------------------------------------------------------------------ 22: names are not markdown


def test_22_member_names_in_public_results_are_not_markdown(tmp_path, clock, library):
    from tests.conftest import seed_rated_rounds

    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            nitro = "[Free Nitro](https://evil.example) **x**"
            await h.interact(h.p.slash("streak", user_id=ADA, name=nitro))
            seed_rated_rounds(h.app.db, "discord", str(h.api.guild_id), str(ADA))
            with h.app.db.transaction() as s:
                s.exec(select(Team)).one().min_votes = 1
            body = await h.interact(h.p.slash("leaderboard", [h.p.option("period", "all")], user_id=ADA, name=nitro))
            text = text_of(body)
            assert nitro not in text and r"\[Free Nitro\](https://evil.example)" in text
            assert r"\*\*x\*\*" in text
    run(scenario())


# ------------------------------------------------------------------ 17: a message that fails partway


def test_17_a_multi_part_message_that_fails_partway_resumes_at_the_first_undelivered_part(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await h.setup_team()
            cid = h.api.channel_id
            parts = [f"Part {i}: " + "word " * 1100 for i in range(3)]  # 3 x 5,500 characters: 3 Discord messages
            with h.app.db.transaction() as s:
                team = s.exec(select(Team)).one()
                outbox.enqueue(Ctx(s, clock, library), team, target=str(cid), dedupe_key="long",
                               message=Message("Answer #1 by Ada", sections=tuple(Section(f"S{i}", t) for i, t in enumerate(parts)),
                                               user_text=True))
            # the second Discord message is refused (a long rate limit: retried later by the outbox)
            h.api.fail_next(1, 429, retry_after=60.0, method="POST", path=rf"^/channels/{cid}/messages$", after=1)
            assert await h.drain() == 0
            h.clock.advance(timedelta(minutes=2))
            assert await h.drain() == 1
            delivered = [r.json for r in h.api.channel_posts(cid) if r.status == 200]
            starts = [next(f["value"][:7] for e in b["embeds"] for f in e.get("fields", [])) for b in delivered]
            assert starts == ["Part 0:", "Part 1:", "Part 2:"]  # each part once, in order: nothing posted twice
            with h.app.db.session() as s:
                row = s.exec(select(OutboxRow).where(OutboxRow.dedupe_key.endswith(":long"))).one()
            first = next(m for m in h.api.messages.values() if m["embeds"] == delivered[0]["embeds"])
            assert row.status == "sent" and row.message_ref == f"{cid}:{first['id']}"
    run(scenario())


# ------------------------------------------------------------------ 18: whitespace-only steps


def test_18_an_answer_step_of_only_whitespace_never_blanks_the_revealed_answer(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            prompt = await h.open_round()
            modal = (await h.interact(h.p.button("sb:answer:1", prompt, user_id=ADA)))["data"]
            await h.interact(h.p.modal_submit(modal["custom_id"], {"scope": "   \n  \n", "segment": "Devs and admins.",
                                                                   "solve": "\u200b ", "score": "p95 < 200 ms"}, user_id=ADA))
            with h.app.db.session() as s:
                answer = s.exec(select(Answer)).one()
            assert (answer.scope, answer.solve) == ("", "")
            h.clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=ZoneInfo("Europe/Berlin")))
            await h.run_due()
            shown = h.message_with("sb:rate:")  # revealed, with its Rate button
            assert [f["name"] for e in shown["embeds"] for f in e.get("fields", [])] == ["Segment", "Score"]
    run(scenario())


# ------------------------------------------------------------------ the adapter's shape: one DM-channel cache


def test_private_replies_and_the_outbox_share_one_dm_channel_cache(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            thread_id = await _thread_round(h)
            h.client._connection.parse_message_create(h.p.message_create(thread_id, ADA, ANSWER_TEXT))
            await h.wait(lambda: [r for r in h.api.channel_posts() if "Answer saved" in str(r.json)], what="feedback")
            await asyncio.to_thread(h.runtime.port.direct, str(h.api.guild_id), str(ADA), Message("A reminder"))
            assert len(h.api.recorded("POST", r"^/users/@me/channels$")) == 1  # the DM channel was opened once
    run(scenario())
