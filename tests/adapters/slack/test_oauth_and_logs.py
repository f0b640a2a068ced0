"""Multi-workspace installs through OAuth, uninstalling, and secrets kept out of DEBUG logs."""
from __future__ import annotations

import io
import logging
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import config
from bot.messages import Message
from bot.ports import DeliveryError
from bot.store.models import Team
from tests.adapters.slack.harness import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    SlackTeam,
    fixture,
    settings_for,
    text_of,
)

CLIENT_SECRET = "oauth-client-secret-0123456789"


def oauth_team(fake, db, clock, library) -> SlackTeam:
    settings = settings_for(fake, db.url, slack_bot_token="", slack_app_token="", slack_client_id="111.222",
                            slack_client_secret=CLIENT_SECRET)
    return SlackTeam(fake, db, clock, library, transport="http", settings=settings, workspace="T2")


def install(team: SlackTeam):
    page = team.http("GET", "/slack/install")
    assert page.status == 200
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.body).group(1)
    assert "client_id=111.222" in link and "scope=commands,chat:write,im:write,im:history,users:read," in link
    state = re.search(r"state=([^&\"]+)", link).group(1)
    cookie = page.headers["Set-Cookie"].split(";")[0]
    done = team.http("GET", f"/slack/oauth_redirect?code=temporary-code&state={state}", headers={"Cookie": cookie})
    assert done.status == 200, done.body
    return done


def test_install_through_oauth_then_deliver_and_answer_with_the_installed_token(fake, db, clock, library):
    team = oauth_team(fake, db, clock, library)
    try:
        install(team)
        access = fake.calls("oauth.v2.access")
        assert len(access) == 1 and access[0].params["code"] == "temporary-code"
        installed = f"Bearer {fake.install_token}"
        # outbound delivery to the installed workspace uses its own token
        team.runtime.port.post("T2", "C1", Message("hello"))
        assert fake.calls("chat.postMessage")[-1].headers["authorization"] == installed
        # and inbound requests from it are authorized with it
        assert team.command("UADMIN", "help").status == 200
        assert fake.calls("users.info")[-1].headers["authorization"] == installed
        assert "sensebot help" in text_of(fake.calls("response_url")[-1])
        # a workspace that never installed gets nothing
        with pytest.raises(DeliveryError) as err:
            team.runtime.port.post("T9", "C1", Message("hello"))
        assert err.value.permanent
        # a forged state is refused
        forged = team.http("GET", "/slack/oauth_redirect?code=x&state=forged",
                           headers={"Cookie": "slack-app-oauth-state=forged"})
        assert forged.status in (400, 401)
        # uninstalling deletes the installation and schedules the team's data for deletion
        uninstall = fixture("app_uninstalled", team_id="T2")
        assert team.send_json(uninstall).status == 200
        assert team.bolt.installation_store.find_bot(enterprise_id=None, team_id="T2") is None
        with db.session() as s:
            assert s.exec(select(Team).where(Team.workspace_id == "T2")).one().removed_at is not None
    finally:
        team.close()


@pytest.fixture
def debug_log():
    """The root logger as `sensebot` configures it, at DEBUG, writing into a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    buffer = io.StringIO()
    settings = config.Settings(log_level="DEBUG", slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                               slack_signing_secret=SIGNING_SECRET, slack_client_secret=CLIENT_SECRET)
    config.configure_logging(settings)
    root.handlers[0].setStream(buffer)
    yield buffer
    root.handlers[:], root.level = saved
    root.setLevel(saved[1])


def test_tokens_never_appear_in_logs_at_debug(debug_log, fake, db, clock, library):
    team = SlackTeam(fake, db, clock, library, transport="http")
    try:
        team.command("UADMIN", "setup <#CPRACTICE|practice> 09:00 Europe/Berlin")
        team.advance_to(datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")))
        team.command("U1", "export")
        fake.fail_next(1, status=429, retry_after=0, methods=("chat.postMessage",))
        with pytest.raises(DeliveryError):
            team.runtime.port.direct("T1", "U1", Message("hi"))
    finally:
        team.close()
    other = oauth_team(fake, db, clock, library)
    try:
        install(other)
        other.runtime.port.post("T2", "C1", Message("hello"))
    finally:
        other.close()
    text = debug_log.getvalue()
    assert "chat.postMessage" in text and "oauth.v2.access" in text  # DEBUG was on: API calls were logged
    for secret in (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, CLIENT_SECRET, fake.install_token):
        assert secret not in text
    assert "xoxb-***" in text  # the installed token was in an API answer, and was redacted
