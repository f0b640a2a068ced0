"""Payload fixtures (shaped like Slack's documented payloads) -> neutral events, and what is ignored."""
from __future__ import annotations

import json

import pytest

from adapters.slack import translate
from adapters.slack.translate import AppRemoved, HomeOpened, Malformed
from bot.events import Action, Command, DirectMessage, FormSubmitted, ThreadReply, Who
from tests.adapters.slack.harness import fixture


def test_slash_command():
    body = fixture("slash_command", text="setup &lt;#C9|practice&gt; <#C1|practice> 09:00 Europe/Berlin  mon-fri")
    cmd = translate.payload(body)
    assert cmd == Command(Who("slack", "T1", "U1", "ada", channel_id="CPRACTICE"), "setup",
                          ("<#C9|practice>", "<#C1|practice>", "09:00", "Europe/Berlin", "mon-fri"))
    origin = translate.origin(body)
    assert origin.trigger_id and origin.response_url.startswith("https://hooks.slack.com/") and not origin.is_dm
    assert translate.payload(fixture("slash_command", text="")).name == ""


def test_block_actions_button():
    body = fixture("block_actions")
    assert translate.payload(body) == Action(Who("slack", "T1", "U1", "ada", channel_id="CPRACTICE"), "answer", "1")
    body["actions"][0].update(action_id="drill#1", value="design")
    assert translate.payload(body).action == "drill"
    o = translate.origin(fixture("block_actions", container={"thread_ts": "1.2"}))
    assert (o.channel_id, o.thread_ts, o.is_dm) == ("CPRACTICE", "1.2", False)


def test_block_actions_from_the_app_home_has_no_channel():
    body = fixture("block_actions", container={"type": "view", "view_id": "V1"})
    body.pop("channel")
    body.pop("response_url")
    body["container"].pop("channel_id")
    body["actions"][0].update(action_id="drill", value="")
    assert translate.payload(body) == Action(Who("slack", "T1", "U1", "ada"), "drill", "")
    assert translate.origin(body).channel_id == "" and translate.origin(body).response_url == ""


def test_view_submission_values_by_field_id_and_meta_without_adapter_keys():
    body = fixture("view_submission")
    body["view"].update(callback_id="vote", private_metadata=json.dumps({"answer_id": "12", "_channel": "C5", "_thread": "9.9"}),
                        state={"values": {
                            "problem_definition": {"problem_definition": {
                                "type": "static_select",
                                "selected_option": {"text": {"type": "plain_text", "text": "4"}, "value": "4"}}},
                            "user_empathy": {"user_empathy": {"type": "static_select", "selected_option": None}},
                            "comment": {"comment": {"type": "plain_text_input", "value": "Nice <b> work"}},
                            "scope": {"scope": {"type": "plain_text_input", "value": None}}}})
    ev = translate.payload(body)
    assert ev == FormSubmitted(Who("slack", "T1", "U1", "ada", channel_id="C5"), "vote",
                               {"problem_definition": "4", "user_empathy": "", "comment": "Nice <b> work", "scope": ""},
                               {"answer_id": "12"})
    o = translate.origin(body)
    assert (o.channel_id, o.thread_ts) == ("C5", "9.9")


def test_thread_reply_keeps_the_event_id_and_undoes_slacks_escaping():
    body = fixture("message_thread_reply")
    body["event"]["text"] = "a &lt;b&gt; &amp;&amp; <@U9> &lt;!channel&gt;"
    ev = translate.payload(body)
    assert ev == ThreadReply(Who("slack", "T1", "U3", channel_id="CPRACTICE"), "1795000000.000200",
                             "a <b> && @U9 <!channel>", event_id="Ev0THREAD1")
    assert translate.origin(body).thread_ts == "1795000000.000200"


def test_direct_message():
    body = fixture("message_im")
    ev = translate.payload(body)
    assert isinstance(ev, DirectMessage) and ev.who == Who("slack", "T1", "U1", channel_id="DU1")
    assert translate.origin(body).is_dm


@pytest.mark.parametrize("change", [
    {"bot_id": "B1"},
    {"subtype": "message_changed"},
    {"subtype": "channel_join"},
    {"user": None},
    {"thread_ts": None},
    {"thread_ts": "1795000900.000500"},  # the parent message itself (thread_ts == ts)
])
def test_messages_we_ignore(change):
    body = fixture("message_thread_reply")
    for k, v in change.items():
        if v is None:
            body["event"].pop(k)
        else:
            body["event"][k] = v
    assert translate.payload(body) is None


def test_thread_broadcasts_count_as_thread_replies():
    body = fixture("message_thread_reply")
    body["event"]["subtype"] = "thread_broadcast"
    assert isinstance(translate.payload(body), ThreadReply)


def test_app_home_uninstall_and_token_revocation():
    assert translate.payload(fixture("app_home_opened")) == HomeOpened(Who("slack", "T1", "U1"))
    messages_tab = fixture("app_home_opened")
    messages_tab["event"]["tab"] = "messages"
    assert translate.payload(messages_tab) is None
    assert translate.payload(fixture("app_uninstalled")) == AppRemoved("T1")
    assert translate.payload(fixture("tokens_revoked")) == AppRemoved("T1", reason="tokens_revoked")
    users_only = fixture("tokens_revoked")
    users_only["event"]["tokens"] = {"oauth": ["U1"], "bot": []}
    assert translate.payload(users_only) is None


@pytest.mark.parametrize("body", [
    {"command": "/sensebot", "text": "help"},  # no team, no user
    {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"}, "actions": []},
    {"type": "block_actions", "user": {}, "team": {"id": "T1"}, "actions": [{"action_id": "rate"}]},
    {"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
     "view": {"callback_id": "vote", "private_metadata": "[1]"}},
    {"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"}, "view": {"private_metadata": "{}"}},
    {"type": "event_callback", "event": {"type": "message", "user": "U1", "channel": "C1", "thread_ts": "1.0", "ts": "2.0"}},
    {"type": "event_callback", "team_id": "T1", "event": {"type": "message", "user": "U1", "channel": "C1",
                                                          "thread_ts": "1.0", "ts": "2.0"}},  # no event_id
])
def test_malformed_payloads_raise_malformed(body):
    with pytest.raises(Malformed):
        translate.payload(body)


@pytest.mark.parametrize("body", [{}, {"type": "shortcut", "user": {"id": "U1"}},
                                  {"type": "event_callback", "event": {"type": "reaction_added"}},
                                  {"type": "view_closed", "view": {}}, "not a dict", None])
def test_things_that_are_not_ours_are_none(body):
    assert translate.payload(body) is None
    assert translate.origin(body) == translate.Origin()


def test_well_formed():
    for name in ("slash_command", "block_actions", "view_submission", "message_thread_reply", "message_im",
                 "app_home_opened", "app_uninstalled", "tokens_revoked"):
        assert translate.well_formed(fixture(name)), name
    assert translate.well_formed({}) and translate.well_formed({"ssl_check": "1", "token": "x"})
    for bad in ([], {"type": 3}, {"type": "block_actions", "user": {"id": "U1"}, "actions": []},
                {"type": "view_submission", "user": {"id": "U1"}, "view": {"callback_id": "x"}},
                {"type": "event_callback", "event": "message"}, {"command": "/x"}):
        assert not translate.well_formed(bad), bad
