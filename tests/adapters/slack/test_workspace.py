"""The rest of what people see: App Home, drills in DMs, exports as files, uninstalling."""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.store.models import Drill, Team
from tests.adapters.slack.harness import SlackTeam, fixture, text_of


def test_app_home_is_published_as_blocks(slack: SlackTeam, fake):
    assert slack.send_json(fixture("app_home_opened")).status == 200
    publish = fake.calls("views.publish")[-1]
    assert publish.params["user_id"] == "U1"
    view = publish.view
    assert view["type"] == "home" and view["blocks"][0]["text"]["text"] == "Your practice"
    assert "Streak" in json.dumps(view) and "Next prompt" in json.dumps(view)
    assert view["blocks"][-1]["elements"][0]["action_id"] == "drill"


def test_the_messages_tab_is_not_the_home(slack: SlackTeam, fake):
    body = fixture("app_home_opened")
    body["event"]["tab"] = "messages"
    slack.send_json(body)
    assert fake.calls("views.publish") == []


def test_start_a_drill_from_home_goes_to_a_dm_and_continues_there(slack: SlackTeam, fake, db):
    home_press = fixture("block_actions", container={"type": "view", "view_id": "V1"})
    for k in ("channel", "response_url", "message"):
        home_press.pop(k)
    home_press["container"].pop("channel_id")
    home_press["actions"][0].update(action_id="drill", value="")
    slack.send_interaction(home_press)
    dms = [c for c in fake.calls("chat.postMessage") if c.params["channel"] == "D1"]
    assert [c.method for c in fake.calls()][-3:] == ["conversations.open", "chat.postMessage", "chat.postMessage"]
    assert text_of(dms[0]).startswith("Drill: ") and "Step 1 of 4" in text_of(dms[1])
    # the next step is answered by a plain DM to the bot
    assert slack.dm("U1", "I assume developers sending OTP; goal: 20% fewer failed logins in 2 quarters.", "Ev0DM1").status == 200
    assert "Step 2 of 4" in text_of(fake.calls("chat.postMessage")[-1])
    assert fake.calls("chat.postMessage")[-1].params["channel"] == "D1"
    # Slack retrying that DM does not submit the step twice
    slack.dm("U1", "I assume developers sending OTP; goal: 20% fewer failed logins in 2 quarters.", "Ev0DM1")
    with db.session() as s:
        assert s.exec(select(Drill.step)).one() == 1


def test_item6_a_drill_started_in_a_channel_runs_in_the_dm_and_its_steps_come_back_there(slack: SlackTeam, fake):
    slack.command("U2", "drill")
    assert "Your drill is in your direct messages" in text_of(fake.calls("response_url")[-1])
    assert fake.calls("chat.postEphemeral") == []
    started = [c for c in fake.calls("chat.postMessage") if c.params["channel"] == "D2"]
    assert text_of(started[0]).startswith("Drill: ") and "Step 1 of 4" in text_of(started[1])
    step_btn = next(el for b in started[1].params["blocks"] if b["type"] == "actions" for el in b["elements"]
                    if el["action_id"] == "drill_step")
    slack.press("U2", "drill_step", step_btn["value"])
    view = slack.opened("drill_step")
    assert json.loads(view["private_metadata"])["step"] == "scope"
    slack.submit("U2", view, {"scope": "I assume developers sending OTP; goal: 20% fewer failed logins in 2 quarters."})
    assert "Step 2 of 4" in text_of(fake.calls("chat.postMessage")[-1])
    assert fake.calls("chat.postMessage")[-1].params["channel"] == "D2"  # not an ephemeral a reload drops


def test_export_is_uploaded_as_a_file_to_the_members_dm(slack: SlackTeam, fake):
    slack.command("U1", "export")
    assert "Your sensebot data" in text_of(fake.calls("response_url")[-1])
    get_url = fake.calls("files.getUploadURLExternal")[-1]
    assert get_url.params["filename"] == "sensebot-export-U1.json"
    upload = fake.calls("upload")[-1]
    assert b'"user_id": "U1"' in upload.raw
    complete = fake.calls("files.completeUploadExternal")[-1]
    assert complete.params["channel_id"] == "D1"


def test_uninstall_and_bot_token_revocation_schedule_the_teams_deletion(slack: SlackTeam, fake, db):
    slack.command("U1", "help")  # the team exists
    assert slack.send_json(fixture("app_uninstalled")).status == 200
    with db.session() as s:
        team = s.exec(select(Team).where(Team.workspace_id == "T1")).one()
        assert team.removed_at is not None
    slack.command("U1", "help")  # an interaction alone does not cancel the deletion
    with db.session() as s:
        assert s.exec(select(Team).where(Team.workspace_id == "T1")).one().removed_at is not None
    assert slack.practice.team_restored("slack", "T1")  # the install event does (the core's rule)
    with db.session() as s:
        assert s.exec(select(Team).where(Team.workspace_id == "T1")).one().removed_at is None
    assert slack.send_json(fixture("tokens_revoked")).status == 200
    with db.session() as s:
        assert s.exec(select(Team).where(Team.workspace_id == "T1")).one().removed_at is not None


def test_replies_fall_back_to_a_dm_when_the_channel_refuses(slack: SlackTeam, fake):
    """A modal submitted in a channel the bot cannot post in: the answer still reaches the person."""
    slack.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
    slack.advance_to(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    slack.press("U1", "answer", "", channel="CPRIVATE")
    view = slack.opened("answer")
    fake.fail_next(1, status=200, error="channel_not_found", retry_after=None, methods=("chat.postEphemeral",))
    slack.submit("U1", view, {"scope": "Developers sending OTP; fewer failed logins."})
    assert [c.method for c in fake.calls()][-3:] == ["chat.postEphemeral", "conversations.open", "chat.postMessage"]
    assert fake.calls("chat.postMessage")[-1].params["channel"] == "D1"


def test_progress_chart_is_uploaded_as_a_png_to_the_members_dm(slack: SlackTeam, fake, db):
    from tests.conftest import seed_rated_rounds
    slack.command("U1", "progress")
    assert "none rated yet" in text_of(fake.calls("response_url")[-1])
    seed_rated_rounds(db, "slack", "T1", "U1")
    slack.command("U1", "progress")
    assert "3 rated" in text_of(fake.calls("response_url")[-1])
    assert fake.calls("files.getUploadURLExternal")[-1].params["filename"] == "progress.png"
    assert fake.calls("upload")[-1].raw.startswith(b"\x89PNG\r\n\x1a\n")
    assert fake.calls("files.completeUploadExternal")[-1].params["channel_id"] == "D1"
