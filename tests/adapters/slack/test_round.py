"""A whole round through Slack, asserted on the Web API calls the bot makes.

Setup by an admin (users.info says so) -> the prompt posted with blocks -> two answers by
modal, one by thread reply -> reveal in the thread -> votes through Rate -> vote modal ->
results. Runs once through `bolt.dispatch` and once over real HTTP (waitress).
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from bot.content import DIMENSIONS
from bot.store.models import Answer, Team, Vote
from tests.adapters.slack.harness import CHANNEL, SlackTeam, text_of

BERLIN = ZoneInfo("Europe/Berlin")

GOOD = {
    "scope": "I assume developers integrating SMS for OTP; the goal is fewer failed logins in 2 quarters.",
    "segment": "Developers need clear delivery errors; IT/security leads need audit logs and GDPR retention.",
    "solve": "V1 MVP: POST /v1/messages/{id}/trace returns 200 with carrier hops. V2 dashboards. V3 enterprise SSO.",
    "score": "KPIs: reduce support tickets by 30% in 6 months; p95 latency under 300 ms; 99.9% uptime.",
}
SHOUTY = {"scope": "Hey <!channel> and <@U123>, look: a & b > c", "solve": "Ship it <!here>."}
SCORES = {"problem_definition": "4", "user_empathy": "5", "solution_design": "4", "business_impact": "3",
          "communication": "4", "comment": "Clear API sketch."}


def buttons(call) -> list[dict]:
    return [el for b in call.blocks if b["type"] == "actions" for el in b["elements"]]


def answer_count(db) -> int:
    with db.session() as s:
        return s.exec(select(func.count(Answer.id)).where(Answer.round_id.is_not(None))).one()


def answer_by_modal(slack: SlackTeam, user: str, round_id: str, values: dict) -> dict:
    opens = slack.forms_shown()
    assert slack.press(user, "answer", round_id).status == 200
    assert slack.forms_shown() == opens + 1
    view = slack.opened("answer")
    assert slack.submit(user, view, values).status == 200
    return view


@pytest.fixture
def team(fake, db, clock, library, transport):
    t = SlackTeam(fake, db, clock, library, transport=transport)
    yield t
    t.close()


def test_a_whole_round_through_slack(team: SlackTeam, fake, db, clock):
    # --- setup by a workspace admin, checked with users.info on the call
    assert team.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin mon-fri").status == 200
    assert [c.params["user"] for c in fake.calls("users.info")][-1] == "UADMIN"
    setup = fake.calls("response_url")[-1]
    assert setup.params["response_type"] == "in_channel"
    assert "Daily prompts will go to <#CPRACTICE> at 09:00 Europe/Berlin" in text_of(setup)

    # --- 09:00: the scheduler's steps run and the dispatcher posts the prompt
    team.advance_to(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    posts = fake.calls("chat.postMessage", ok=True)
    prompt = [c for c in posts if c.params["channel"] == CHANNEL and "thread_ts" not in c.params]
    assert len(prompt) == 1
    prompt = prompt[0]
    assert prompt.headers["authorization"] == "Bearer xoxb-1111-2222-SECRETbottoken"
    assert prompt.blocks[0]["type"] == "header" and prompt.blocks[0]["text"]["text"].startswith("Today's case:")
    assert "link_names" not in prompt.params and prompt.params["text"].startswith("Today's case:")
    answer_btn = next(b for b in buttons(prompt) if b["action_id"] == "answer")
    assert answer_btn["style"] == "primary" and answer_btn["text"]["text"] == "Answer"
    round_id = answer_btn["value"]
    prompt_ts = prompt.response["ts"]

    # --- two members answer by modal
    view = answer_by_modal(team, "U1", round_id, GOOD)
    assert view["type"] == "modal" and view["callback_id"] == "answer"
    assert json.loads(view["private_metadata"])["round_id"] == round_id
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == ["scope", "segment", "solve", "score", "extra"]
    assert all(b["element"]["type"] == "plain_text_input" and b["element"]["multiline"] and
               b["element"]["max_length"] <= 3000 and b["optional"] and b.get("hint") for b in inputs)
    assert len(view["title"]["text"]) <= 24
    saved = team.private_replies("U1")[-1]
    assert saved.method == "chat.postEphemeral" and saved.params["channel"] == CHANNEL
    # the coach's feedback reached the member privately (ticks, or its one line when the fixed
    # answer reads as one to another case than the round's)
    assert "Answer saved" in text_of(saved) and ("Coverage" in text_of(saved) or "Coach" in text_of(saved))

    answer_by_modal(team, "U2", round_id, SHOUTY)
    assert "Answer saved" in team.last_private_text("U2")

    # --- a third answers with a plain reply in the round's thread
    text = "Scope: developers & IT leads. Solve: a &lt;trace&gt; API."  # as Slack sends it: escaped
    assert team.reply_in_thread("U3", prompt_ts, text, "Ev0001").status == 200
    thread_fb = team.private_replies("U3")[-1]
    assert thread_fb.method == "chat.postEphemeral" and thread_fb.params["thread_ts"] == prompt_ts
    assert "Save this as your answer?" in text_of(thread_fb)  # short: asked first, privately
    assert answer_count(db) == 2
    save = next(b for b in buttons(thread_fb) if b["action_id"] == "pending_save")
    assert team.press("U3", save["action_id"], save["value"], thread_ts=prompt_ts).status == 200
    assert "Answer saved" in team.last_private_text("U3")
    assert answer_count(db) == 3

    # --- 17:00: answers revealed in the thread, each with a Rate button, escaped
    before = len(fake.calls("chat.postMessage"))
    team.advance_to(datetime(2026, 11, 23, 17, 0, tzinfo=BERLIN))
    reveal = [c for c in fake.calls("chat.postMessage", ok=True)[before:] if c.params.get("thread_ts") == prompt_ts]
    assert any("Voting is open: 3 answers" in text_of(c) for c in reveal)
    assert any("Step 1 of 4 — Scope" in text_of(c) for c in reveal)  # the staged nudges went to the thread too
    answers = {}
    for c in reveal:
        m = re.match(r"Answer #(\d+) by (\w+)", c.blocks[0]["text"]["text"])
        if m:
            answers[m.group(2)] = m.group(1)
            assert [b["action_id"] for b in buttons(c)] == ["rate"] and buttons(c)[0]["value"] == m.group(1)
    assert set(answers) == {"Ada", "Bilal", "Chen"}
    shouty = next(c for c in reveal if c.blocks[0]["text"]["text"].startswith(f"Answer #{answers['Bilal']}"))
    raw = json.dumps(shouty.params)
    assert "&lt;!channel&gt;" in raw and "&lt;@U123&gt;" in raw and "&lt;!here&gt;" in raw and "a &amp; b &gt; c" in raw
    assert "<!channel>" not in raw and "<@U123>" not in raw and "<!here>" not in raw
    chen = next(c for c in reveal if c.blocks[0]["text"]["text"].startswith(f"Answer #{answers['Chen']}"))
    assert "a &lt;trace&gt; API" in json.dumps(chen.params)  # Slack's escaping undone on the way in, redone on the way out

    # --- votes: Rate -> vote modal -> submit
    calibrated: set[str] = set()

    def rate(user: str, whose: str) -> None:
        opens = team.forms_shown()
        assert team.press(user, "rate", answers[whose], thread_ts=prompt_ts).status == 200
        if user not in calibrated:  # a first vote: the calibration on a reference answer comes first
            calibrated.add(user)
            assert team.forms_shown() == opens
            invite = team.private_replies(user)[-1]
            assert "calibration" in text_of(invite).lower()
            if user == "U2":
                value = next(b["value"] for b in buttons(invite) if b["action_id"] == "calibrate")
                assert team.press(user, "calibrate", value, thread_ts=prompt_ts).status == 200
                assert team.submit(user, team.opened("calibrate"), SCORES).status == 200
                assert "Calibration: how you compare" in team.last_private_text(user)
                opens = team.forms_shown()
                assert team.press(user, "rate", answers[whose], thread_ts=prompt_ts).status == 200
            else:
                assert team.press(user, "calibrate_skip", answers[whose], thread_ts=prompt_ts).status == 200
        assert team.forms_shown() == opens + 1
        vote_view = team.opened("vote")
        selects = [b for b in vote_view["blocks"] if b["type"] == "input" and b["element"]["type"] == "static_select"]
        assert len(selects) == 5
        assert all(len(o["text"]["text"]) <= 75 for b in selects for o in b["element"]["options"])
        assert json.loads(vote_view["private_metadata"])["answer_id"] == answers[whose]
        assert team.submit(user, vote_view, SCORES).status == 200
        got = team.private_replies(user)[-1]
        assert got.method == "chat.postEphemeral" and got.params.get("thread_ts") == prompt_ts
        assert f"Vote recorded for answer #{answers[whose]}" in text_of(got)

    rate("U1", "Bilal")
    rate("U2", "Ada")
    rate("U3", "Ada")
    rate("U1", "Chen")

    # --- rating one's own answer is refused, privately, with a sentence that says why
    opens = team.forms_shown()
    team.press("U1", "rate", answers["Ada"], thread_ts=prompt_ts)
    assert team.forms_shown() == opens
    assert "can't rate your own answer" in team.notice()  # in the modal opened for the press: only U1 sees it
    with db.session() as s:
        assert s.exec(select(func.count(Vote.id))).one() == 4

    # --- next morning 08:00: results in the channel
    before = len(fake.calls("chat.postMessage"))
    team.advance_to(datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN))
    results = [c for c in fake.calls("chat.postMessage", ok=True)[before:] if text_of(c).startswith("Results:")]
    assert len(results) == 1 and results[0].params["channel"] == CHANNEL
    body = text_of(results[0])
    assert "Ranking" in body and "Ada" in body and "Model outline" in body
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in results[0].blocks)
    assert len(results[0].blocks) <= 50


def test_a_non_admin_cannot_run_setup(slack: SlackTeam, fake, db):
    slack.command("U1", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    assert [c.params["user"] for c in fake.calls("users.info")] == ["U1"]
    refusal = fake.calls("response_url")[-1]
    assert refusal.params["response_type"] == "ephemeral"
    assert "Only workspace admins can run setup" in text_of(refusal)
    with db.session() as s:  # nothing was set up
        assert s.exec(select(Team).where(Team.channel_id != "")).all() == []


def test_owners_are_admins_and_the_check_is_made_on_every_admin_call(slack: SlackTeam, fake):
    slack.command("UOWNER", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    assert "Daily prompts will go to <#CPRACTICE>" in text_of(fake.calls("response_url")[-1])
    fake.set_user("UOWNER", is_owner=False)  # demoted in Slack: the next admin command is refused
    slack.command("UOWNER", "pause")
    assert "Only workspace admins can run pause" in text_of(fake.calls("response_url")[-1])
    assert [c.params["user"] for c in fake.calls("users.info")] == ["UOWNER", "UOWNER"]


def test_a_vote_modal_on_ones_own_answer_is_refused_even_when_forged(slack: SlackTeam, fake, db, clock):
    slack.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    slack.advance_to(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    round_id = next(b["value"] for c in fake.calls("chat.postMessage") for b in buttons(c) if b["action_id"] == "answer")
    answer_by_modal(slack, "U1", round_id, GOOD)
    slack.advance(hours=8)
    with db.session() as s:
        own = s.exec(select(Answer.id)).one()
    meta = json.dumps({"answer_id": str(own), "_channel": CHANNEL})
    score = {"type": "static_select", "options": [{"text": {"type": "plain_text", "text": "5"}, "value": "5"}]}
    forged = {"type": "modal", "callback_id": "vote", "private_metadata": meta,
              "blocks": [{"type": "input", "block_id": d, "element": {**score, "action_id": d}} for d in DIMENSIONS]}
    slack.submit("U1", forged, {d: "5" for d in DIMENSIONS})
    assert "You can't rate your own answer — rate a teammate's instead." in slack.last_private_text("U1")
    with db.session() as s:
        assert s.exec(select(func.count(Vote.id))).one() == 0


def test_slash_answer_opens_the_modal_and_help_lists_commands(slack: SlackTeam, fake):
    slack.command("U1", "help")
    help_reply = fake.calls("response_url")[-1]
    assert help_reply.params["response_type"] == "ephemeral" and "/sensebot today" in text_of(help_reply)
    slack.command("U1", "")  # bare /sensebot is help too
    assert "/sensebot drill" in text_of(fake.calls("response_url")[-1])
    slack.command("U1", "answer")  # the modal opens at once; then it says why there is no form
    assert "no case open for answers" in slack.notice()
    assert [c.view["callback_id"] for c in fake.calls("views.open")] == ["loading"]


def test_the_modal_opens_with_the_trigger_id_of_the_press(slack: SlackTeam, fake):
    """views.open is called while the press is handled, with that press's trigger id."""
    slack.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    slack.advance_to(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    slack.press("U2", "answer", "")
    assert fake.calls("views.open")[-1].params["trigger_id"] == f"{slack._triggers}.738474920.trigger"
