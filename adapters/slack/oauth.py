"""Multi-workspace installs through OAuth: the settings bolt needs, and what a finished install does.

A successful install (the OAuth redirect) is the platform's own word that sensebot is back in a
workspace, so it restores a team that an uninstall had scheduled for deletion
(`Practice.team_restored`: its data kept, its daily schedule on again) and says so — on the
page the installer lands on, and in a DM to them.
"""
from __future__ import annotations

import html
import logging
from pathlib import Path

import yaml
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from adapters.slack import render
from adapters.slack.directory import FAILURES, why
from adapters.slack.port import api_url
from bot.app import App
from bot.config import Settings
from bot.practice import Practice

log = logging.getLogger(__name__)

MANIFEST = Path(__file__).with_name("manifest.yaml")
INSTALL_PATH, REDIRECT_PATH = "/slack/install", "/slack/oauth_redirect"
OAUTH_STATE_SECONDS = 600


def manifest_scopes() -> list[str]:
    """The bot scopes of the shipped manifest: the OAuth install asks for exactly these."""
    data = yaml.safe_load(MANIFEST.read_text())
    return list(data["oauth_config"]["scopes"]["bot"])


class InstallCallbacks:
    """What happens after Slack's OAuth redirect: restore the team, tell the installer."""

    def __init__(self, practice: Practice, base_url: str | None):
        self.practice = practice
        self.base_url = api_url(base_url)

    def success(self, args: SuccessArgs) -> BoltResponse:
        inst = args.installation
        team_id = inst.team_id or inst.enterprise_id or ""
        restored = self.practice.team_restored("slack", team_id) if team_id else False
        note = self.practice.installed_message(restored)
        log.info("Slack workspace %s installed sensebot%s", team_id, " (restored)" if restored else "")
        if inst.user_id and inst.bot_token:
            client = WebClient(token=inst.bot_token, base_url=self.base_url, timeout=10)
            try:
                channel = client.conversations_open(users=inst.user_id)["channel"]["id"]
                client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False, **render.post_args(note))
            except (*FAILURES, KeyError, TypeError) as exc:
                log.info("the welcome DM to the installer failed: %s", why(exc))
        page = (f"<html><head><title>sensebot</title></head><body style=\"font-family: sans-serif; padding: 1em\">"
                f"<h2>{html.escape(note.title)}</h2><p>{html.escape(note.text)}</p>"
                f"<p><a href=\"slack://open?team={html.escape(team_id)}\">Open Slack</a></p></body></html>")
        return BoltResponse(status=200, body=page, headers={"Content-Type": "text/html; charset=utf-8"})

    def failure(self, args: FailureArgs) -> BoltResponse:
        return args.default.failure(args)


def oauth_settings(app: App, settings: Settings) -> OAuthSettings | None:
    """Multi-workspace installs (SLACK_CLIENT_ID + SLACK_CLIENT_SECRET), stored in our database."""
    if not (settings.slack_client_id and settings.slack_client_secret):
        return None
    from slack_sdk.oauth.installation_store.sqlalchemy import (
        SQLAlchemyInstallationStore,
    )
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
    installations = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=app.db.engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=OAUTH_STATE_SECONDS, engine=app.db.engine)
    installations.create_tables()
    states.create_tables()
    callbacks = InstallCallbacks(app.practice, settings.slack_api_url)
    return OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, scopes=manifest_scopes(),
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH, installation_store=installations,
        installation_store_bot_only=True, state_store=states, state_expiration_seconds=OAUTH_STATE_SECONDS,
        callback_options=CallbackOptions(success=callbacks.success, failure=callbacks.failure),
    )
