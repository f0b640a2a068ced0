"""Settings from the environment (12-factor), validated at start.

Every problem is a sentence that says what to fix; the CLI prints them and exits 2.
Secrets are kept out of `repr` so they never reach a log line by accident.
"""
from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.localtime import parse_timezone
from bot.store.db import check_url

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
MAX_SLACK_WORKERS = 16


class ConfigError(Exception):
    """Configuration a person must fix; `problems` are sentences."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///sensebot.db"
    log_level: str = "INFO"
    timezone: str = "UTC"
    content_dirs: tuple[Path, ...] = ()
    admins: frozenset[str] = frozenset()
    dispatch_seconds: float = 1.0
    slack_bot_token: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_client_id: str = ""
    slack_client_secret: str = field(default="", repr=False)
    slack_api_url: str = ""
    slack_workers: int = 1  # processes for the work after Slack's ack (0: in the process that acks)
    discord_token: str = field(default="", repr=False)
    discord_guild_id: str = ""
    discord_application_id: str = ""
    discord_api_url: str = ""
    discord_gateway_url: str = ""
    discord_client_secret: str = field(default="", repr=False)  # web sign-in with Discord (OAuth2)
    # The web home (adapters/web): where it is reached, its port, the key that signs its cookies,
    # and the sign-in providers' base URLs (settings, so tests point them at loopback fakes).
    public_url: str = ""
    web_port: int | None = None
    web_secret: str = field(default="", repr=False)
    slack_oauth_url: str = "https://slack.com"
    discord_oauth_url: str = "https://discord.com"

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.slack_bot_token, self.slack_app_token, self.slack_signing_secret,
                                 self.slack_client_secret, self.discord_token, self.discord_client_secret,
                                 self.web_secret) if s)

    def require_slack(self, socket_mode: bool) -> None:
        problems = []
        if not self.slack_bot_token and not (self.slack_client_id and self.slack_client_secret):
            problems.append("SLACK_BOT_TOKEN is not set — copy the Bot User OAuth Token (xoxb-...) from your Slack app's "
                            "OAuth & Permissions page, or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for installs.")
        elif self.slack_bot_token and not self.slack_bot_token.startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN should start with xoxb- — that looks like a different kind of token.")
        if socket_mode:
            if not self.slack_app_token:
                problems.append("SLACK_APP_TOKEN is not set — create an app-level token with connections:write "
                                "(Basic Information > App-Level Tokens); it starts with xapp-.")
            elif not self.slack_app_token.startswith("xapp-"):
                problems.append("SLACK_APP_TOKEN should start with xapp- (an app-level token).")
        elif not self.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is not set — copy it from your Slack app's Basic Information page.")
        if problems:
            raise ConfigError(problems)

    def require_discord(self) -> None:
        if not self.discord_token:
            raise ConfigError(["DISCORD_TOKEN is not set — copy the bot token from the Discord developer portal (Bot > Reset Token)."])
        if len(self.discord_token) < 20 or " " in self.discord_token:
            raise ConfigError(["DISCORD_TOKEN doesn't look like a bot token — copy it again from the developer portal."])


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raise ConfigError listing every problem."""
    env = os.environ if env is None else env
    problems: list[str] = []

    def get(name: str, default: str = "") -> str:
        return (env.get(name) or default).strip()

    url = get("SENSEBOT_DATABASE_URL", get("DATABASE_URL", "sqlite:///sensebot.db"))
    try:
        url = check_url(url)
    except ValueError as exc:
        problems.append(str(exc))
    level = get("SENSEBOT_LOG_LEVEL", "INFO").upper()
    if level not in LOG_LEVELS:
        problems.append(f"SENSEBOT_LOG_LEVEL '{level}' is not one of {', '.join(LOG_LEVELS)}.")
    tz = get("SENSEBOT_TIMEZONE", "UTC")
    try:
        tz = parse_timezone(tz).key
    except ValueError as exc:
        problems.append(f"SENSEBOT_TIMEZONE: {exc}")
    dirs = tuple(Path(p) for p in get("SENSEBOT_CONTENT_DIRS").split(os.pathsep) if p)
    for d in dirs:
        if not d.is_dir():
            problems.append(f"SENSEBOT_CONTENT_DIRS names '{d}', which is not a folder.")
    try:
        dispatch = float(get("SENSEBOT_DISPATCH_SECONDS", "1"))
        if not 0.05 <= dispatch <= 60:
            raise ValueError
    except ValueError:
        problems.append("SENSEBOT_DISPATCH_SECONDS should be a number of seconds from 0.05 to 60.")
        dispatch = 1.0
    try:
        slack_workers = int(get("SLACK_WORKERS", "1"))
        if not 0 <= slack_workers <= MAX_SLACK_WORKERS:
            raise ValueError
    except ValueError:
        problems.append(f"SLACK_WORKERS should be a number of processes from 0 to {MAX_SLACK_WORKERS} "
                        "(0: the work after each ack runs in the process that acks).")
        slack_workers = 1
    guild = get("DISCORD_GUILD_ID")
    if guild and not guild.isdigit():
        problems.append("DISCORD_GUILD_ID should be the server's numeric id (right-click the server > Copy Server ID).")
    public_url = get("SENSEBOT_PUBLIC_URL").rstrip("/")
    if public_url and not re.match(r"^https?://[^\s/]+", public_url):
        problems.append(f"SENSEBOT_PUBLIC_URL '{public_url}' should be the web home's address, e.g. https://sensebot.example.com.")
    web_port = None
    if get("SENSEBOT_WEB_PORT"):
        try:
            web_port = int(get("SENSEBOT_WEB_PORT"))
            if not 0 <= web_port <= 65535:
                raise ValueError
        except ValueError:
            problems.append("SENSEBOT_WEB_PORT should be a port number from 0 to 65535 (0: any free port).")
    web_secret = get("SENSEBOT_WEB_SECRET")
    if web_secret and len(web_secret) < 32:
        problems.append("SENSEBOT_WEB_SECRET is too short to sign cookies safely — use at least 32 random characters "
                        "(python -c 'import secrets; print(secrets.token_urlsafe(32))').")
    urls = {}
    for name, default in (("SLACK_OAUTH_URL", "https://slack.com"), ("DISCORD_OAUTH_URL", "https://discord.com")):
        urls[name] = get(name, default).rstrip("/")
        if not re.match(r"^https?://", urls[name]):
            problems.append(f"{name} '{urls[name]}' should start with https://.")
    if problems:
        raise ConfigError(problems)
    return Settings(
        database_url=url, log_level=level, timezone=tz, content_dirs=dirs,
        admins=frozenset(a.strip() for a in get("SENSEBOT_ADMINS").split(",") if a.strip()),
        dispatch_seconds=dispatch,
        slack_bot_token=get("SLACK_BOT_TOKEN"), slack_app_token=get("SLACK_APP_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"), slack_client_id=get("SLACK_CLIENT_ID"),
        slack_client_secret=get("SLACK_CLIENT_SECRET"), slack_api_url=get("SLACK_API_URL"),
        slack_workers=slack_workers,
        discord_token=get("DISCORD_TOKEN"), discord_guild_id=guild,
        discord_application_id=get("DISCORD_APPLICATION_ID"),
        discord_api_url=get("DISCORD_API_URL"), discord_gateway_url=get("DISCORD_GATEWAY_URL"),
        discord_client_secret=get("DISCORD_CLIENT_SECRET"), public_url=public_url, web_port=web_port,
        web_secret=web_secret, slack_oauth_url=urls["SLACK_OAUTH_URL"], discord_oauth_url=urls["DISCORD_OAUTH_URL"],
    )


# Short-lived credentials inside URLs that libraries log at DEBUG: Discord's interaction and
# webhook tokens (/interactions/<id>/<token>/callback, /webhooks/<app id>/<token>).
TOKEN_IN_URL = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_\-.]{20,}")


class RedactingFilter(logging.Filter):
    """Replaces any configured secret, and tokens carried in URLs, in a log record with '***'."""

    def __init__(self, secrets: tuple[str, ...]):
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = TOKEN_IN_URL.sub(r"\1***", msg)
        for s in self.secrets:
            clean = clean.replace(s, "***")
        if clean != msg:
            record.msg, record.args = clean, None
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at each record, not the one present at start-up
    (test runners swap it), until `setStream` pins a stream."""

    def __init__(self) -> None:
        super().__init__()
        self._follow = True

    def setStream(self, stream):
        self._follow = False
        return super().setStream(stream)

    def emit(self, record: logging.LogRecord) -> None:
        if self._follow:
            self.stream = sys.stderr
        super().emit(record)


def configure_logging(settings: Settings) -> None:
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(settings.secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
