"""DiscordPort: the outbox's ChatPort, called from a worker thread while the client's loop runs.

References, threads created on first use, DMs, and Discord's errors mapped to DeliveryError
(the fake REST API injects them with `fail_next`)."""
from __future__ import annotations

import asyncio

import pytest

from bot.messages import Button, Message, Section
from bot.ports import DeliveryError
from tests.adapters.discord.conftest import ADA, Harness, run
from tests.fakes.discord_fakes import check_message_limits, custom_ids


def post(h: Harness, *args, **kw):
    return asyncio.to_thread(h.runtime.port.post, str(h.api.guild_id), *args, **kw)


def test_post_thread_and_direct_references(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            port, cid = h.runtime.port, h.api.channel_id
            assert port.platform == "discord"
            ref = await post(h, str(cid), Message("Today's case", "Design an API", buttons=(Button("Answer", "answer", "7", "primary"),)))
            channel, message = ref.split(":")
            assert channel == str(cid) and int(message) in h.api.messages
            body = h.api.channel_posts(cid)[0].json
            assert body["allowed_mentions"] == {"parse": []} and custom_ids(body) == ["sb:answer:7"]
            assert body["components"][0]["components"][0]["style"] == 1  # primary

            first = await post(h, str(cid), Message("Step 1 of 4 — Scope"), thread_ref=ref)
            second = await post(h, str(cid), Message("Step 2 of 4 — Segment"), thread_ref=ref)
            assert first.split(":")[0] == second.split(":")[0] == message  # the thread has the parent message's id
            assert len(h.api.recorded("POST", rf"/messages/{message}/threads$")) == 1  # created once
            assert len(h.api.channel_posts(message)) == 2

            dm = await asyncio.to_thread(port.direct, str(h.api.guild_id), str(ADA),
                                         Message("Today's case is still open", buttons=(Button("Answer", "answer", "7"),)))
            await asyncio.to_thread(port.direct, str(h.api.guild_id), str(ADA), Message("again"))
            assert len(h.api.recorded("POST", r"^/users/@me/channels$")) == 1
            dm_channel = dm.split(":")[0]
            assert h.api.recorded("POST", r"^/users/@me/channels$")[0].json == {"recipient_id": ADA}
            # a button sent by DM carries the server, which Discord doesn't send with DM interactions
            assert custom_ids(h.api.channel_posts(dm_channel)[0].json) == [f"sb:answer:7:g{h.api.guild_id}"]
    run(scenario())


def test_an_existing_thread_is_reused_after_a_restart(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            cid = h.api.channel_id
            ref = await post(h, str(cid), Message("prompt"))
            mid = int(ref.split(":")[1])
            h.api.add_thread(mid, cid)  # the thread was created by an earlier process
            out = await post(h, str(cid), Message("nudge"), thread_ref=ref)
            assert out.startswith(f"{mid}:")
            assert h.api.recorded("POST", rf"/messages/{mid}/threads$")[0].status == 400  # 160004, then used
    run(scenario())


def test_a_long_answer_stays_inside_discords_limits(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            text = "@everyone " + "word " * 20_000  # a 100 KB thread answer
            await post(h, str(h.api.channel_id), Message("Answer #1 by Ada", sections=(Section("Answer", text),), user_text=True,
                                                         buttons=(Button("Rate", "rate", "1"),)))
            bodies = [r.json for r in h.api.channel_posts(h.api.channel_id)]
            assert 1 < len(bodies) <= 4
            for b in bodies:
                check_message_limits(b)
                assert b["allowed_mentions"] == {"parse": []}
            assert "… (truncated)" in bodies[-1]["embeds"][-1]["fields"][-1]["value"]
            assert custom_ids(bodies[-1]) == ["sb:rate:1"]  # the button stays on the last part
    run(scenario())


@pytest.mark.parametrize("status,code,permanent,retry_after,reason", [
    (403, 50013, True, None, "Missing Permissions"),
    (403, 50001, True, None, "Missing Access"),
    (404, 10003, True, None, "Unknown Channel"),
    (503, 0, False, None, "discord 503"),
    (429, 0, False, 60.0, "rate limited"),  # longer than discord.py waits itself: RateLimited
])
def test_errors_become_delivery_errors(tmp_path, clock, library, status, code, permanent, retry_after, reason):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            h.api.fail_next(1, status, code=code, retry_after=60.0, path=r"/messages$")
            with pytest.raises(DeliveryError) as exc:
                await post(h, str(h.api.channel_id), Message("hello"))
            assert exc.value.permanent is permanent and exc.value.retry_after == retry_after
            assert reason in exc.value.reason
    run(scenario())


def test_rate_limits_short_ones_are_waited_out_others_reported(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            # a short 429 as Discord sends it: discord.py waits and retries by itself
            h.api.fail_next(2, 429, retry_after=0.05, path=r"/messages$")
            ref = await post(h, str(h.api.channel_id), Message("after a short limit"))
            assert ref and [r.status for r in h.api.channel_posts(h.api.channel_id)] == [429, 429, 200]
            # a 429 without Discord's Via header (a proxy or Cloudflare) is handed to the outbox with its Retry-After
            h.api.fail_next(1, 429, retry_after=7.5, via=False, path=r"/messages$")
            with pytest.raises(DeliveryError) as exc:
                await post(h, str(h.api.channel_id), Message("blocked"))
            assert exc.value.retry_after == 7.5 and not exc.value.permanent
    run(scenario())


def test_closed_dms_and_bad_targets_are_permanent(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            h.api.dm_closed.add(ADA)
            with pytest.raises(DeliveryError) as exc:
                await asyncio.to_thread(h.runtime.port.direct, str(h.api.guild_id), str(ADA), Message("reminder"))
            assert exc.value.permanent and "50007" in exc.value.reason
            with pytest.raises(DeliveryError) as exc:
                await post(h, "practice", Message("x"))  # not a channel id
            assert exc.value.permanent and "not a Discord channel id" in exc.value.reason
            with pytest.raises(DeliveryError) as exc:
                await post(h, str(h.api.channel_id), Message("x"), thread_ref="console-3")
            assert exc.value.permanent
    run(scenario())


def test_a_refused_connection_is_transient(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await h.api.stop()  # nothing listens on the port any more
            with pytest.raises(DeliveryError) as exc:
                await post(h, str(h.api.channel_id), Message("x"))
            assert not exc.value.permanent and exc.value.reason.startswith("network")
            h.api.runner = None
    run(scenario())


def test_not_connected_yet_is_transient(tmp_path, clock, library, monkeypatch):
    from adapters.discord.client import DiscordRuntime
    from tests.adapters.discord.conftest import make_app
    from tests.fakes.discord_fakes import FakeDiscordAPI

    rt = DiscordRuntime(make_app(tmp_path, clock, library, FakeDiscordAPI()))
    rt.port.connect_timeout = 0.01
    with pytest.raises(DeliveryError) as exc:
        rt.port.post("1", "2", Message("x"))
    assert not exc.value.permanent and "not connected" in exc.value.reason
    rt.executor.shutdown()
