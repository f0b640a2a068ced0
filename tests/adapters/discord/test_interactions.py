"""Interactions in Discord's documented shapes — type 2 APPLICATION_COMMAND, type 3 MESSAGE_COMPONENT,
type 5 MODAL_SUBMIT — handled by the real discord.py ConnectionState, CommandTree and view store
(as discord.py's own tests/test_app_commands_invoke.py drives its tree), answering through the real
HTTP client into the fake REST API, which records each interaction callback.

Callback types: 4 CHANNEL_MESSAGE_WITH_SOURCE, 5 DEFERRED_CHANNEL_MESSAGE, 9 MODAL. Flag 64 = ephemeral.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.store.models import Answer, Member, Team, Vote
from tests.adapters.discord.conftest import (
    ADA,
    BEN,
    CY,
    Harness,
    run,
    setup_options,
    text_of,
    titles,
)
from tests.fakes.discord_fakes import check_message_limits, custom_ids

EPHEMERAL = 64




def modal_inputs(body: dict) -> dict[str, dict]:
    """custom_id -> component, for the inputs of a modal callback (type 9)."""
    out = {}
    for c in body["data"]["components"]:
        if c["type"] == 18:
            out[c["component"]["custom_id"]] = dict(c["component"], label=c["label"])
    return out


def test_drill_command_answers_privately_with_step_buttons(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.interact(h.p.slash("drill", [h.p.option("category", "design")], user_id=ADA))
            assert body["type"] == 4 and body["data"]["flags"] == EPHEMERAL
            assert titles(body)[0].startswith("Drill: ")
            ids = custom_ids(body)
            assert any(c.startswith("sb:drill_step:") for c in ids) and any(c.startswith("sb:drill_stop:") for c in ids)
            assert body["data"]["allowed_mentions"] == {"parse": []}
            check_message_limits(body["data"])
    run(scenario())


def test_admin_setup_maps_the_options_and_posts_publicly(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.setup_team()
            assert body["type"] == 4 and not body["data"].get("flags")
            assert f"<#{h.api.channel_id}> at 09:00 Europe/Berlin" in text_of(body)
            with h.app.db.session() as s:
                team = s.exec(select(Team)).one()
            assert (team.platform, team.workspace_id, team.channel_id) == ("discord", str(h.api.guild_id), str(h.api.channel_id))
            assert (team.practice_time, team.timezone, team.weekdays) == ("09:00", "Europe/Berlin", "mon,tue,wed,thu,fri")
    run(scenario())


def test_setup_without_manage_server_is_refused(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.interact(h.p.slash("sensebot", user_id=BEN, permissions=0, **setup_options(h.p, h.api.channel_id)))
            assert body["data"]["flags"] == EPHEMERAL
            assert "Only workspace admins can run setup" in text_of(body)
            with h.app.db.session() as s:
                assert s.exec(select(Team).where(Team.channel_id != "")).first() is None
    run(scenario())


def test_answer_button_opens_the_4s_modal_and_feedback_comes_back_privately(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            prompt = await h.open_round()
            assert custom_ids(prompt) == ["sb:answer:1", "sb:drill:"]
            body = await h.interact(h.p.button("sb:answer:1", prompt, user_id=ADA))
            assert body["type"] == 9
            modal = body["data"]
            assert modal["custom_id"] == "sbf:answer:1:round_id=1:" and len(modal["components"]) <= 5
            inputs = modal_inputs(body)
            assert list(inputs) == ["scope", "segment", "solve", "score", "extra"]  # five: Discord's modal limit
            assert all(i["type"] == 4 and i["style"] == 2 and i["max_length"] == 2900 for i in inputs.values())
            assert [i["label"] for i in inputs.values()] == ["Scope", "Segment", "Solve", "Score", "More"]

            sub = await h.interact(h.p.modal_submit(modal["custom_id"], {
                "scope": "B2B developers on our SMS API; goal: cut support tickets 30% in 6 months.",
                "segment": "Developers and support agents.", "solve": "", "score": ""}, user_id=ADA))
            assert sub["type"] == 4 and sub["data"]["flags"] == EPHEMERAL
            assert titles(sub)[0] == "Answer saved" and ("Coverage" in text_of(sub) or "Coach" in text_of(sub))

            # pressing Answer again prefills what was saved
            again = await h.interact(h.p.button("sb:answer:1", prompt, user_id=ADA))
            assert modal_inputs(again)["segment"]["value"] == "Developers and support agents."
    run(scenario())


async def _reveal(h: Harness) -> None:
    """Ada answers, then the answer deadline passes and the answers are revealed in the thread."""
    prompt = await h.open_round()
    modal = (await h.interact(h.p.button("sb:answer:1", prompt, user_id=ADA)))["data"]
    await h.interact(h.p.modal_submit(modal["custom_id"], {"scope": "Scope it.", "segment": "Devs, admins.",
                                                           "solve": "V1 API.", "score": "p95 < 200 ms"}, user_id=ADA))
    h.clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    await h.run_due()


def test_vote_five_selects_then_an_optional_comment(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await _reveal(h)
            answer_msg = h.message_with("sb:rate:")
            rate_id = next(c for c in custom_ids(answer_msg) if c.startswith("sb:rate:"))

            # a first vote starts with the calibration on a reference answer
            invite = await h.interact(h.p.button(rate_id, answer_msg, user_id=BEN, name="Ben"))
            assert invite["data"]["flags"] == EPHEMERAL and "calibration" in titles(invite)[0].lower()
            calibrate = next(c for c in custom_ids(invite) if c.startswith("sb:calibrate:"))
            stored = h.p.bot_message(invite["data"]["components"], flags=EPHEMERAL)
            cal = await h.interact(h.p.button(calibrate, stored, user_id=BEN, name="Ben"))
            assert cal["type"] == 9 and len(modal_inputs(cal)) == 5
            compared = await h.interact(h.p.modal_submit(cal["data"]["custom_id"], {k: ["5"] for k in modal_inputs(cal)},
                                                         user_id=BEN, name="Ben"))
            assert titles(compared)[0] == "Calibration: how you compare"
            assert any(c.startswith(rate_id) for c in custom_ids(compared))  # "Now rate answer #N"

            body = await h.interact(h.p.button(rate_id, answer_msg, user_id=BEN, name="Ben"))
            assert body["type"] == 9
            inputs = modal_inputs(body)
            assert len(body["data"]["components"]) == 5 and len(inputs) == 5
            assert all(i["type"] == 3 and [o["value"] for o in i["options"]] == ["1", "2", "3", "4", "5"]
                       for i in inputs.values())
            scores = dict(zip(inputs, ["4", "4", "5", "3", "4"]))
            sub = await h.interact(h.p.modal_submit(body["data"]["custom_id"], {k: [v] for k, v in scores.items()},
                                                    user_id=BEN, name="Ben"))
            assert sub["data"]["flags"] == EPHEMERAL and titles(sub)[0].startswith("Vote recorded for answer #")
            more = next(c for c in custom_ids(sub) if c.startswith("sb:form_part:"))
            assert len(more) <= 100

            # Add comment: a one-field modal that re-submits the whole vote with the comment
            stored = h.p.bot_message(sub["data"]["components"], flags=EPHEMERAL)
            body = await h.interact(h.p.button(more, stored, user_id=BEN, name="Ben"))
            assert body["type"] == 9 and list(modal_inputs(body)) == ["comment"]
            sub = await h.interact(h.p.modal_submit(body["data"]["custom_id"], {"comment": "Clear API sketch @everyone"},
                                                    user_id=BEN, name="Ben"))
            assert titles(sub)[0].startswith("Vote updated")
            with h.app.db.session() as s:
                vote = s.exec(select(Vote)).one()
            assert (vote.problem_definition, vote.solution_design, vote.business_impact) == (4, 5, 3)
            assert vote.comment == "Clear API sketch @everyone"

            # rating again with new scores keeps the comment the modal couldn't show
            body = await h.interact(h.p.button(rate_id, answer_msg, user_id=BEN, name="Ben"))
            assert [o for o in modal_inputs(body)["solution_design"]["options"] if o.get("default")][0]["value"] == "5"
            await h.interact(h.p.modal_submit(body["data"]["custom_id"], {k: ["2"] for k in scores}, user_id=BEN, name="Ben"))
            with h.app.db.session() as s:
                vote = s.exec(select(Vote)).one()
            assert vote.solution_design == 2 and vote.comment == "Clear API sketch @everyone"
    run(scenario())


def test_rating_your_own_answer_is_refused_privately(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await _reveal(h)
            answer_msg = h.message_with("sb:rate:")
            rate_id = next(c for c in custom_ids(answer_msg) if c.startswith("sb:rate:"))
            body = await h.interact(h.p.button(rate_id, answer_msg, user_id=ADA))
            assert body["type"] == 4 and body["data"]["flags"] == EPHEMERAL
            assert "can't rate your own answer" in text_of(body)
    run(scenario())


def test_progress_chart_is_an_ephemeral_png(tmp_path, clock, library):
    from tests.conftest import seed_rated_rounds

    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await h.interact(h.p.slash("streak", user_id=ADA))
            seed_rated_rounds(h.app.db, "discord", str(h.api.guild_id), str(ADA))
            h.client._connection.parse_interaction_create(payload := h.p.slash("progress", user_id=ADA))
            rec = await h.wait(lambda: h.api.callback_for(payload["id"]))
            assert rec.json["data"]["flags"] == EPHEMERAL and "3 rated" in text_of({"data": rec.json["data"]})
            (name, content), = rec.files
            assert name == "progress.png" and content.startswith(b"\x89PNG\r\n\x1a\n")
    run(scenario())


def test_export_is_an_ephemeral_file(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await h.interact(h.p.slash("streak", user_id=ADA))
            h.client._connection.parse_interaction_create(payload := h.p.slash("export", user_id=ADA))
            rec = await h.wait(lambda: h.api.callback_for(payload["id"]))
            assert rec.json["type"] == 4 and rec.json["data"]["flags"] == EPHEMERAL
            (name, content), = rec.files
            assert name == f"sensebot-export-{ADA}.json" and b'"user_id": "9002"' in content
    run(scenario())


def test_forget_me_asks_first_then_forgets(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.interact(h.p.slash("forget-me", user_id=ADA))
            assert body["data"]["flags"] == EPHEMERAL and f"sb:forget_confirm:{ADA}" in custom_ids(body)
            stored = h.p.bot_message(body["data"]["components"], flags=EPHEMERAL)
            # someone else pressing it is refused by the core
            other = await h.interact(h.p.button(f"sb:forget_confirm:{ADA}", stored, user_id=BEN))
            assert "for someone else" in text_of(other)
            done = await h.interact(h.p.button(f"sb:forget_confirm:{ADA}", stored, user_id=ADA))
            assert titles(done) == ["Forgotten"]
            with h.app.db.session() as s:
                assert s.exec(select(Member).where(Member.user_id == str(ADA))).first() is None
    run(scenario())


def test_leaderboard_is_public_and_never_pings(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.interact(h.p.slash("leaderboard", [h.p.option("period", "month")], user_id=CY, name="@everyone"))
            assert body["type"] == 4 and not body["data"].get("flags")
            assert titles(body) == ["Leaderboard — This month"]
            assert body["data"]["allowed_mentions"] == {"parse": []}
    run(scenario())


def test_help_and_reminders_map_to_core_commands(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            body = await h.interact(h.p.slash("help", user_id=ADA))
            assert titles(body) == ["sensebot help"] and "/drill" in text_of(body)
            body = await h.interact(h.p.slash("reminders", [h.p.option("state", "off")], user_id=ADA))
            assert titles(body) == ["Reminders are off"]
            body = await h.interact(h.p.slash("reminders", [h.p.option("quiet_from", "22:00"), h.p.option("quiet_to", "07:00")], user_id=ADA))
            assert "never between 22:00 and 07:00" in text_of(body)
    run(scenario())


def test_a_slow_core_is_deferred_then_followed_up(tmp_path, clock, library):
    import threading

    async def scenario():
        async with Harness(tmp_path, clock, library, defer_after=0.01) as h:
            gate = threading.Event()  # the core is held until the deferral is seen: no race with the clock
            handle = h.app.practice.handle

            def slow(event):
                gate.wait(30)
                return handle(event)
            h.app.practice.handle = slow
            payload = h.p.slash("streak", user_id=ADA)
            h.client._connection.parse_interaction_create(payload)
            body = (await h.wait(lambda: h.api.callback_for(payload["id"]), what="the deferral")).json
            gate.set()
            assert body["type"] == 5 and body["data"]["flags"] == EPHEMERAL  # "sensebot is thinking…"
            await h.wait(lambda: h.api.followups(payload["token"]), what="the follow-up")
            follow = h.api.followups(payload["token"])[0].json
            assert follow["embeds"][0]["title"].endswith("-day streak")
    run(scenario())


def test_a_core_crash_still_gets_an_answer(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            def boom(event):
                raise RuntimeError("bug")
            h.app.practice.handle = boom
            body = await h.interact(h.p.slash("progress", user_id=ADA))
            assert body["data"]["flags"] == EPHEMERAL and "Something went wrong on sensebot's side" in text_of(body)
    run(scenario())


def test_buttons_in_direct_messages_carry_the_server(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await h.open_round()
            await h.interact(h.p.slash("today", user_id=ADA))  # a member of the server (DMs go to members)
            gid = h.api.guild_id
            dm_message = h.p.bot_message([{"type": 1, "components": [
                {"type": 2, "style": 1, "label": "Answer", "custom_id": f"sb:answer:1:g{gid}"}]}], channel_id=4242, guild=False)
            body = await h.interact(h.p.button(f"sb:answer:1:g{gid}", dm_message, user_id=ADA, guild=False,
                                               channel_id=4242))
            assert body["type"] == 9 and body["data"]["custom_id"].endswith(f":g{gid}")
            sub = await h.interact(h.p.modal_submit(body["data"]["custom_id"], {"scope": "From my DMs."}, user_id=ADA,
                                                    guild=False, channel_id=4242))
            assert titles(sub)[0] == "Answer saved"
            with h.app.db.session() as s:
                team = s.exec(select(Team)).one()
                assert s.exec(select(Answer)).one().team_id == team.id and team.workspace_id == str(gid)
    run(scenario())


def test_thread_replies_and_direct_messages_reach_the_core(tmp_path, clock, library):
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            prompt = await h.open_round()
            h.clock.advance(timedelta(minutes=30))
            await h.run_due()  # the Scope nudge starts the round's thread from the prompt message
            thread_id = int(prompt["id"])
            assert h.api.recorded("POST", rf"^/channels/{h.api.channel_id}/messages/{thread_id}/threads$")
            assert h.api.channel_posts(thread_id), "the nudge went into the thread"
            state = h.client._connection
            state.parse_thread_create(h.p.thread_create(h.api.channels[thread_id]))

            state.parse_message_create(msg := h.p.message_create(thread_id, ADA, "My scope: SMS devs. @everyone"))
            await h.wait(lambda: h.api.recorded("POST", r"^/users/@me/channels$"), what="a DM asking first")
            ask = await h.wait(lambda: [r for r in h.api.channel_posts()
                                        if r.json["embeds"][0]["title"] == "Save this as your answer?"])
            assert ask[0].json["allowed_mentions"] == {"parse": []}  # short: asked privately, not saved yet
            save_id = next(c["custom_id"] for row in ask[0].json["components"] for c in row["components"]
                           if c["custom_id"].startswith("sb:pending_save:"))
            dm_channel = int(ask[0].path.split("/")[2])
            pressed = await h.interact(h.p.button(save_id, h.p.bot_message(ask[0].json["components"], channel_id=dm_channel,
                                                                           guild=False),
                                                  user_id=ADA, guild=False, channel_id=dm_channel))
            assert "Answer saved" in titles(pressed)
            with h.app.db.session() as s:
                answer = s.exec(select(Answer)).one()
            assert answer.free_text == "My scope: SMS devs. @everyone" and answer.source == "thread"
            state.parse_message_create(msg)  # the same event again (a gateway replay) is ignored
            await asyncio.sleep(0.2)
            with h.app.db.session() as s:
                assert s.exec(select(Answer)).one().free_text == "My scope: SMS devs. @everyone"

            # a DM to the bot (no guild) goes to the only server's team
            h.api.add_dm_channel(BEN, 5555)
            state.parse_message_create(h.p.message_create(5555, BEN, "an answer by DM, long enough to be an answer and not a quick remark",
                                                          name="Ben", guild=False))
            await h.wait(lambda: h.api.channel_posts(5555) or None, what="the DM reply")
            with h.app.db.session() as s:
                ben = s.exec(select(Member).where(Member.user_id == str(BEN))).one()
                assert s.exec(select(Answer).where(Answer.member_id == ben.id)).one().source == "direct"
    run(scenario())


def test_removing_the_bot_from_a_server_schedules_deletion_and_an_interaction_does_not_cancel_it(tmp_path, clock, library):
    """Rejoining (a GUILD_CREATE through the gateway) is test_server_life.py's test_11."""
    async def scenario():
        async with Harness(tmp_path, clock, library) as h:
            await h.setup_team()
            conn = h.client._connection
            conn.parse_guild_delete({"id": str(h.api.guild_id), "unavailable": True})  # an outage: nothing happens
            await asyncio.sleep(0.2)
            with h.app.db.session() as s:
                assert s.exec(select(Team)).one().removed_at is None
            conn.parse_guild_create(h.p.guild_create())
            conn.parse_guild_delete({"id": str(h.api.guild_id)})  # removed from the server
            deadline = time.monotonic() + 60  # bounds a hang only: a busy machine just takes longer
            while time.monotonic() < deadline:
                with h.app.db.session() as s:
                    if s.exec(select(Team)).one().removed_at is not None:
                        break
                await asyncio.sleep(0.05)
            with h.app.db.session() as s:
                assert s.exec(select(Team)).one().removed_at is not None
            await asyncio.sleep(0.2)  # the join before the removal must not land after it and restore the team
            with h.app.db.session() as s:
                assert s.exec(select(Team)).one().removed_at is not None
            await h.interact(h.p.slash("streak", user_id=ADA))  # an interaction alone does not restore it
            with h.app.db.session() as s:
                assert s.exec(select(Team)).one().removed_at is not None
    run(scenario())
