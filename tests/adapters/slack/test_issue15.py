"""Issue 15, Slack: forms that keep your text, modals that open in time, installs that come back,
messages within Slack's size budget, members' own time zones, drills in the DM, threads that
aren't sensebot's, titles and errors, readable links, and no token fallback after an uninstall.

Everything runs against the fake Slack with its size limits on (block text, modal titles)."""
from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlmodel import func, select

from adapters.slack import render
from adapters.slack.port import SlackPort
from bot import members
from bot.content import DIMENSIONS
from bot.context import Ctx
from bot.day import _in_quiet_hours
from bot.messages import Button, Form, Message, Section
from bot.ports import DeliveryError
from bot.store.models import Answer, Member, ProcessedEvent, Team, Vote
from tests.adapters.slack.harness import BOT_TOKEN, CHANNEL, SlackTeam, text_of
from tests.adapters.slack.test_oauth_and_logs import install, oauth_team
from tests.adapters.slack.test_round import GOOD, SCORES, answer_by_modal

BERLIN = ZoneInfo("Europe/Berlin")


def open_round(slack: SlackTeam) -> str:
    slack.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    slack.advance_to(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    with slack.db.session() as s:
        return str(s.exec(select(func.max(Answer.id))).one() or "") or _round_id(slack)


def _round_id(slack: SlackTeam) -> str:
    from bot.store.models import Round
    with slack.db.session() as s:
        return str(s.exec(select(Round.id)).first())


def ack_body(resp) -> dict:
    return json.loads(resp.body) if resp.body else {}


# ---------------------------------------------------------------------------- 1: forms keep the text


def test_item1_a_fixable_submission_keeps_the_modal_open_with_the_error_under_the_field(slack: SlackTeam, fake, db):
    rid = open_round(slack)
    slack.press("U1", "answer", rid)
    view = slack.opened("answer")
    posted = len(fake.calls())
    empty = slack.submit("U1", view, {"scope": "  ", "segment": "\u200b"})
    assert empty.status == 200
    body = ack_body(empty)
    assert body["response_action"] == "errors" and "empty" in body["errors"]["scope"]
    too_long = slack.submit("U1", view, {"scope": "ok", "solve": "x" * 2901})
    assert set(ack_body(too_long)["errors"]) == {"solve"}
    assert len(fake.calls()) == posted  # nothing said elsewhere: the modal stays open with the text in it
    with db.session() as s:
        assert s.exec(select(func.count(Answer.id))).one() == 0
    assert ack_body(slack.submit("U1", view, GOOD)) == {}  # a good one closes the modal and is saved
    assert "Answer saved" in slack.last_private_text("U1")


def test_item1_a_vote_missing_a_score_is_answered_per_field(slack: SlackTeam, fake, db):
    rid = open_round(slack)
    answer_by_modal(slack, "U2", rid, GOOD)
    slack.advance(hours=8)
    with db.session() as s:
        aid = s.exec(select(Answer.id)).one()
    slack.press("U1", "calibrate_skip", str(aid))
    view = slack.opened("vote")
    body = ack_body(slack.submit("U1", view, {**SCORES, "user_empathy": ""}))
    assert body["response_action"] == "errors" and list(body["errors"]) == ["user_empathy"]
    assert "user empathy a score from 1 to 5" in body["errors"]["user_empathy"]
    with db.session() as s:
        assert s.exec(select(func.count(Vote.id))).one() == 0


def test_item1_text_that_cannot_be_saved_later_is_handed_back(slack: SlackTeam, fake, db):
    rid = open_round(slack)
    slack.press("U1", "answer", rid)
    view = slack.opened("answer")
    slack.advance(hours=8)  # the answer window closes while the modal is open: only the database knows
    assert ack_body(slack.submit("U1", view, GOOD)) == {}
    said = "\n".join(text_of(c) for c in slack.private_replies("U1")[-2:])
    assert "Answers for this round closed" in said and GOOD["solve"] in said


# ---------------------------------------------------------------------------- 2: the modal opens first


def test_item2_the_modal_opens_before_the_slow_work(slack: SlackTeam, fake):
    rid = open_round(slack)
    fake.reset()
    slack.press("U3", "answer", rid)  # U3's first press: users.info and the core's transaction follow
    order = [c.method for c in fake.calls()]
    assert order[0] == "views.open" and fake.calls("views.open")[0].view["callback_id"] == "loading"
    assert order.index("views.open") < order.index("users.info") < order.index("views.update")
    assert slack.opened("answer")["callback_id"] == "answer"


def test_item2_the_view_open_does_not_wait_behind_queued_work(fake, db, clock, library):
    gate = threading.Event()
    work = ThreadPoolExecutor(max_workers=1)
    work.submit(gate.wait, 30)  # the work queue is busy (thread chatter, a slow transaction)
    team = SlackTeam(fake, db, clock, library, work=work, views=ThreadPoolExecutor(max_workers=2))
    try:
        assert team.press("U1", "answer", "1").status == 200
        deadline = time.monotonic() + 30
        while not fake.calls("views.open") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert [c.view["callback_id"] for c in fake.calls("views.open")] == ["loading"]
        assert fake.calls("users.info") == []  # the slow work is still queued
    finally:
        gate.set()
        work.shutdown(wait=True)
        team.close()
    assert fake.calls("users.info")  # and it ran afterwards


# ---------------------------------------------------------------------------- 3: reinstall restores


def test_item3_an_oauth_reinstall_restores_the_team_and_says_so(fake, db, clock, library):
    team = oauth_team(fake, db, clock, library)
    changed: list[int] = []
    team.practice.on_team_change.append(changed.append)
    try:
        install(team)
        team.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
        team.send_json({"token": "x", "team_id": "T2", "api_app_id": "A0FAKE", "type": "event_callback",
                        "event_id": "Ev0UNINSTALL", "event_time": 1795000000,
                        "event": {"type": "app_uninstalled", "event_ts": "1795000000.000100"}})
        with db.session() as s:
            assert s.exec(select(Team).where(Team.workspace_id == "T2")).one().removed_at is not None
        changed.clear()
        page = install(team)
        assert "sensebot is back" in page.body and "scheduled again" in page.body
        with db.session() as s:
            restored = s.exec(select(Team).where(Team.workspace_id == "T2")).one()
            assert restored.removed_at is None and restored.channel_id == "CPRACTICE"
        assert changed == [restored.id]  # the scheduler is told: the daily prompt is back on
        dm = fake.calls("chat.postMessage")[-1]
        assert dm.params["channel"] == "DINSTALLER" and "sensebot is back" in text_of(dm)
    finally:
        team.close()


# ---------------------------------------------------------------------------- 4: block-text budget


def test_item4_a_long_escape_heavy_answer_goes_out_in_parts_with_the_rate_button_first(fake):
    port = SlackPort(token=BOT_TOKEN, base_url=fake.url)
    answer = "\n".join(f"<b> & {i} — " + "a&b<c> " * 60 for i in range(60))  # ~45k units once escaped
    msg = Message("Answer #7", "By Ada", sections=(Section("Solve", answer), Section("Score", answer)),
                  buttons=(Button("Rate", "rate", "7", "primary"),), user_text=True, footer="Rate it by Friday")
    parts = render.posts(msg)
    assert len(parts) > 1 and all(render.block_text(p["blocks"]) <= render.BLOCK_TEXT_BUDGET for p in parts)
    ts = port.post("T1", "C1", msg)
    posted = fake.calls("chat.postMessage")
    assert all(c.ok for c in posted) and len(posted) == len(parts)  # the fake enforces Slack's limit
    assert posted[0].response["ts"] == ts
    assert [b["type"] for b in posted[0].blocks].count("actions") == 1
    assert all(b["type"] != "actions" for c in posted[1:] for b in c.blocks)
    shown = "".join(text_of(c) for c in posted)
    assert shown.count("a&amp;b&lt;c&gt;") >= 2 * 60 * 60 - 60  # the text is all there (sections split at lines)
    assert "Rate it by Friday" in text_of(posted[-1])


def test_item4_msg_blocks_too_long_is_permanent_not_retried(fake):
    port = SlackPort(token=BOT_TOKEN, base_url=fake.url)
    fake.fail_next(1, status=200, error="msg_blocks_too_long", retry_after=None, methods=("chat.postMessage",))
    with pytest.raises(DeliveryError) as err:
        port.post("T1", "C1", Message("x"))
    assert err.value.permanent
    client = WebClient(token=BOT_TOKEN, base_url=fake.url)
    with pytest.raises(Exception, match="msg_blocks_too_long"):  # and the fake refuses what Slack refuses
        client.chat_postMessage(channel="C1", text="x", blocks=[render._section("x" * 2999)] * 5)


# ---------------------------------------------------------------------------- 5: the member's own zone


def test_item5_quiet_hours_follow_the_members_slack_zone_and_their_own_choice_wins(slack: SlackTeam, fake, db, clock, library):
    fake.set_user("U1", tz="America/Los_Angeles")
    slack.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    slack.command("U1", "streak")
    with db.session() as s:
        team = s.exec(select(Team)).one()
        ada = s.exec(select(Member).where(Member.user_id == "U1")).one()
        assert ada.platform_timezone == "America/Los_Angeles"
        # quiet 21:00-08:00 in Los Angeles, across the US clocks going back on 1 Nov 2026
        assert _in_quiet_hours(ada, team, datetime(2026, 10, 31, 4, 30, tzinfo=UTC))  # 21:30 PDT
        assert not _in_quiet_hours(ada, team, datetime(2026, 11, 2, 4, 30, tzinfo=UTC))  # 20:30 PST
        assert not _in_quiet_hours(ada, team, datetime(2026, 11, 2, 17, 0, tzinfo=UTC))  # 09:00 PST, 18:00 in Berlin
    slack.command("U1", "reminders tz Europe/Berln")
    assert "did you mean Europe/Berlin" in slack.last_private_text("U1")
    slack.command("U1", "reminders tz Asia/Tokyo")
    assert "(Asia/Tokyo)" in slack.last_private_text("U1")
    slack.command("U1", "streak")  # Slack's zone comes again: the member's choice stays
    with db.session() as s:
        ada = s.exec(select(Member).where(Member.user_id == "U1")).one()
        team = s.exec(select(Team)).one()
        assert members.zone(ada, team).key == "Asia/Tokyo"


def test_item5_discord_members_set_their_zone_with_the_reminders_command():
    from adapters.discord.translate import command
    from bot.events import Who
    cmd = command(Who("discord", "G1", "U1"), "reminders", timezone="Europe/Berlin")
    assert (cmd.name, cmd.args) == ("reminders", ("tz", "Europe/Berlin"))


# ---------------------------------------------------------------------------- 7: other people's threads


def test_item7_replies_in_threads_that_arent_sensebots_leave_no_trace(slack: SlackTeam, fake, db):
    slack.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    fake.reset()
    assert slack.reply_in_thread("U9", "1795000123.000100", "lunch?", "Ev0CHATTER").status == 200
    assert fake.calls() == []  # no users.info, nothing posted
    with db.session() as s:
        assert s.exec(select(Member).where(Member.user_id == "U9")).all() == []
        assert s.exec(select(func.count(ProcessedEvent.id))).one() == 0


# ---------------------------------------------------------------------------- 8: errors and titles


def test_item8_errors_are_body_text_never_cut_and_titles_cut_at_a_word(slack: SlackTeam, fake):
    slack.command("U1", "vote 12 5")
    reply = fake.calls("response_url")[-1]
    assert all(b["type"] != "header" for b in reply.blocks)
    said = text_of(reply)
    assert "Usage: vote &lt;answer#&gt; &lt;problem&gt;" in said and "e.g. vote 12 4 4 5 3 4 clear API sketch" in said
    modal = render.modal(Form("mock_rate", "Rate Tom & Jerry Smith", ()))
    assert modal["title"]["text"] == "Rate Tom &amp; Jerry…"
    assert render.fit_words("Rate Tom & Jerry Smith", 24) == "Rate Tom &amp; Jerry…"
    assert render.units(render.fit_words("Rate " + "Ünïcødé 😀 " * 5, 24)) <= 24
    long_title = "A fairly long title " * 10
    first = render.blocks(Message(long_title, "body"))[0]
    assert first["type"] == "section" and first["text"]["text"] == long_title  # too long for a header: kept whole
    button = render.blocks(Message("m", buttons=(Button("Rate the answer of " + "Bartholomew " * 8, "rate"),)))[-1]
    assert button["elements"][0]["text"]["text"].endswith("Bartholomew…")


# ---------------------------------------------------------------------------- 9: readable links, channels, names


def test_item9_links_mentions_channels_and_names_render_readably(slack: SlackTeam, fake, db):
    rid = open_round(slack)
    with db.session() as s:
        from bot.store.models import Round
        thread = s.get(Round, int(rid)).message_ref
    slack.reply_in_thread("U1", thread, "See <https://x.test/a|this> and <@U2>, cc <#C9|design>: "
                       "my scope is developers whose users lose sign-ups when codes arrive late.", "Ev0LINK")
    with db.session() as s:
        assert s.exec(select(Answer.free_text)).one() == ("See this (https://x.test/a) and @U2, cc #design: "
                                                          "my scope is developers whose users lose sign-ups when codes arrive late.")
    slack.command("UADMIN", "status")
    assert "Prompts: <#CPRACTICE>" in text_of(fake.calls("response_url")[-1])
    fake.set_user("U3", display_name="*_bold~")
    answer_by_modal(slack, "U3", rid, GOOD)
    slack.command("U3", "leaderboard streak")
    board = text_of(fake.calls("response_url")[-1])
    assert "\u200b*\u200b_bold\u200b~" in board and "*_bold~" not in board


# ---------------------------------------------------------------------------- the shape: one WSGI callable


def test_slacks_endpoints_and_another_wsgi_app_share_one_callable(slack: SlackTeam):
    from io import BytesIO

    from adapters.slack.http import make_wsgi

    def web(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"web home"]

    wsgi = make_wsgi(slack.bolt, signing_secret="x", fallback=web)

    def get(path: str) -> tuple[str, bytes]:
        seen: list[str] = []
        body = b"".join(wsgi({"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": BytesIO()},
                             lambda status, headers: seen.append(status)))
        return seen[0], body

    assert get("/archive") == ("200 OK", b"web home")
    assert get("/healthz") == ("200 OK", b"ok\n")  # Slack's paths stay Slack's
    assert get("/slack/events")[0].startswith("405")
