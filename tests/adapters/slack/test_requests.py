"""Requests at the door: signatures, malformed bodies, Slack's retries, ack-first, the HTTP routes."""
from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from bot.store.models import Answer, AuditEntry, Member, ProcessedEvent, Team
from tests.adapters.slack.harness import (
    SIGNING_SECRET,
    SlackTeam,
    fixture,
    sign,
    text_of,
)

BERLIN = ZoneInfo("Europe/Berlin")


def counts(db) -> dict[str, int]:
    with db.session() as s:
        return {m.__name__: s.exec(select(func.count(m.id))).one() for m in (Team, Member, Answer, AuditEntry, ProcessedEvent)}


def open_round(slack: SlackTeam) -> str:
    """Set up and open today's round; returns the prompt's ts."""
    slack.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    slack.advance_to(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    prompt = next(c for c in slack.fake.calls("chat.postMessage") if "thread_ts" not in c.params)
    return prompt.response["ts"]


@pytest.mark.parametrize("how", ["wrong secret", "stale", "missing", "tampered body"])
def test_a_bad_or_stale_signature_gets_401_and_changes_nothing(fake, db, clock, library, transport, how):
    slack = SlackTeam(fake, db, clock, library, transport=transport)
    try:
        body = urlencode(fixture("slash_command", user_id="UADMIN", text="setup <#CPRACTICE|practice> 09:00 UTC"))
        before, calls_before = counts(db), len(fake.calls())
        if how == "wrong secret":
            headers = sign(body, secret="not-the-signing-secret")
        elif how == "stale":
            headers = sign(body, timestamp=int(time.time()) - 6 * 60)
        elif how == "missing":
            headers = {}
        else:
            headers = sign(body)
            body = body.replace("09%3A00", "03%3A00")
        resp = slack.send(body, "application/x-www-form-urlencoded", headers, signed=False)
        assert resp.status == 401
        assert counts(db) == before
        assert len(fake.calls()) == calls_before  # no users.info, no reply: nothing ran
    finally:
        slack.close()


@pytest.mark.parametrize("raw,ctype", [
    (b"{not json", "application/json"),
    (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
    (b'{"type": "event_callback", "event": "\xff\xfe"}', "application/json"),  # not UTF-8
    (b"[1, 2, 3]", "application/json"),
    (b"payload=" + quote(json.dumps({"type": "block_actions", "user": {"id": "U1"}, "actions": []})).encode(),
     "application/x-www-form-urlencoded"),  # bolt itself would trip over this one
    (b'{"type": "event_callback", "event": "message"}', "application/json"),
    (b'{"type": "view_submission", "user": {"id": "U1"}, "view": {"callback_id": "vote"}}', "application/json"),
    (b"command=%2Fsensebot&text=help", "application/x-www-form-urlencoded"),  # no team, no user
])
def test_a_malformed_body_with_a_valid_signature_gets_400_and_the_server_keeps_serving(slack_http: SlackTeam, fake, raw, ctype):
    resp = slack_http.http("POST", "/slack/events", raw, {"Content-Type": ctype, **sign(raw)})
    assert resp.status == 400
    # and still serving: a good request right after works
    assert slack_http.command("U1", "help").status == 200
    assert "sensebot help" in text_of(fake.calls("response_url")[-1])


def test_unreadable_and_unsigned_is_401_not_400(slack_http: SlackTeam):
    resp = slack_http.http("POST", "/slack/events", b"{not json", {"Content-Type": "application/json"})
    assert resp.status == 401


@pytest.mark.parametrize("payload", [
    {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "answer"}]},  # no team
    {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"},
     "view": {"type": "modal", "callback_id": "answer", "private_metadata": "not json", "state": {"values": {}}}},
    {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"},
     "actions": [{"action_id": "answer", "value": "1"}]},  # no trigger id: answered in words, no modal
])
def test_well_formed_but_odd_interactions_are_answered_and_ignored(slack: SlackTeam, fake, db, payload):
    before = counts(db)
    resp = slack.send_interaction(payload)
    assert resp.status in (200, 404)
    assert fake.calls("views.open") == []
    assert counts(db)["Answer"] == before["Answer"]
    assert slack.command("U1", "help").status == 200


def test_unknown_json_and_an_empty_body_get_a_4xx(slack_http: SlackTeam):
    assert slack_http.http("POST", "/slack/events", b"{}", {"Content-Type": "application/json", **sign("{}")}).status == 404
    assert slack_http.http("POST", "/slack/events", b"", sign("")).status == 404
    assert slack_http.http("GET", "/slack/events").status == 405
    assert slack_http.http("GET", "/nope").status == 404


def test_url_verification_is_answered(slack_http: SlackTeam):
    body = json.dumps({"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                       "type": "url_verification"})
    resp = slack_http.http("POST", "/slack/events", body.encode(), {"Content-Type": "application/json", **sign(body)})
    assert resp.status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in resp.body


def test_healthz(slack_http: SlackTeam):
    resp = slack_http.http("GET", "/healthz")
    assert resp.status == 200 and resp.body == "ok\n"
    assert slack_http.http("POST", "/healthz", b"").status == 405


def test_install_routes_are_404_without_oauth(slack_http: SlackTeam):
    assert slack_http.http("GET", "/slack/install").status == 404
    assert slack_http.http("GET", "/slack/oauth_redirect?code=x&state=y").status == 404


def test_a_retried_event_is_recorded_once(slack: SlackTeam, fake, db):
    ts = open_round(slack)
    assert slack.reply_in_thread("U3", ts, "Scope: developers sending OTP codes who lose sign-ups when codes arrive late.", "Ev0RETRY").status == 200
    assert slack.reply_in_thread("U3", ts, "Scope: developers sending OTP codes who lose sign-ups when codes arrive late.", "Ev0RETRY", retry=1).status == 200
    assert slack.reply_in_thread("U3", ts, "Scope: developers sending OTP codes who lose sign-ups when codes arrive late.", "Ev0RETRY", retry=2).status == 200
    with db.session() as s:
        answer = s.exec(select(Answer)).one()
        assert answer.free_text == "Scope: developers sending OTP codes who lose sign-ups when codes arrive late."
        assert s.exec(select(func.count(ProcessedEvent.id))).one() == 1
    assert len(slack.private_replies("U3")) == 1  # feedback shown once


def test_a_retried_event_over_http_is_recorded_once(slack_http: SlackTeam, fake, db):
    ts = open_round(slack_http)
    for retry in (0, 1):
        assert slack_http.reply_in_thread("U3", ts, "Segment: developers who integrate the API and IT leads who approve vendors and audits.", "Ev0HTTP", retry=retry).status == 200
    with db.session() as s:
        assert s.exec(select(Answer.free_text)).all() == ["Segment: developers who integrate the API and IT leads who approve vendors and audits."]


def test_bot_messages_top_level_chatter_and_edits_are_ignored(slack: SlackTeam, fake, db):
    ts = open_round(slack)
    base = fixture("message_thread_reply", event_id="Ev0BOT")
    base["event"].update(thread_ts=ts, bot_id="BBOT", user="UBOT")
    slack.send_json(base)
    chatter = fixture("message_thread_reply", event_id="Ev0TOP")
    chatter["event"].pop("thread_ts")
    slack.send_json(chatter)
    edit = fixture("message_thread_reply", event_id="Ev0EDIT")
    edit["event"].update(subtype="message_changed", thread_ts=ts)
    slack.send_json(edit)
    other_thread = fixture("message_thread_reply", event_id="Ev0OTHER")
    other_thread["event"].update(thread_ts="1700000000.000001")
    slack.send_json(other_thread)  # a thread that is not a round's
    with db.session() as s:
        assert s.exec(select(func.count(Answer.id))).one() == 0
    assert fake.calls("chat.postEphemeral") == []


def test_commands_are_acknowledged_before_the_work_is_done(slack: SlackTeam, fake):
    """With bolt's real thread pool, the HTTP answer comes back before a slow core has replied."""
    from adapters.slack.runtime import SlackRuntime
    runtime = SlackRuntime(slack.app, socket_mode=False, port=0, host="127.0.0.1")  # the production executor
    release = threading.Event()
    real = slack.practice.handle

    def slow(event):
        release.wait(5)
        return real(event)

    slack.practice.handle = slow
    runtime.start_background()
    slack.runtime, slack.transport = runtime, "http"
    try:
        started = time.monotonic()
        assert slack.command("U1", "help").status == 200
        assert time.monotonic() - started < 2.5
        assert fake.calls("response_url") == []  # not yet answered: the core is still "working"
        release.set()
        deadline = time.monotonic() + 5
        while not fake.calls("response_url") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "sensebot help" in text_of(fake.calls("response_url")[-1])
    finally:
        release.set()
        runtime.stop()


def test_signing_matches_slacks_documented_example():
    """Our test signer is Slack's algorithm: v0:timestamp:body, HMAC-SHA256 (Slack's published example)."""
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
            "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
            "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
            "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    headers = sign(body, secret="8f742231b10e8888abcd99yyyzzz85a5", timestamp=1531420618)
    assert headers["X-Slack-Signature"] == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert SIGNING_SECRET == "8f742231b10e8888abcd99yyyzzz85a5"
