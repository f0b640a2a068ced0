"""The ways in: Slack (OpenID Connect), Discord (OAuth2), and the local console sign-in.

Slack: slack_sdk's `OpenIDConnectAuthorizeUrlGenerator` and `WebClient.openid_connect_token` /
`openid_connect_userInfo` (scopes `openid profile`); the workspace in the answer is the team;
admin rights come from `users.info` with the workspace's bot token (admins and owners), as the
chat commands decide them. Discord: Authlib's Flask client (scopes `identify guilds`); the
person's servers with their permissions tell membership and Manage Server. Both check OAuth
`state` (Slack's here, Discord's inside Authlib) and answer with one clear sentence on failure.

The local sign-in lists the members of console teams and lets you choose who you are, like the
console's `/as`; it exists only when the server is bound to loopback and answers only loopback
clients, and it never offers a Slack or Discord team.
"""
from __future__ import annotations

import logging
import secrets

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from sqlmodel import select

from adapters.web.access import Identity, check_csrf, identities, safe_next, sign_in
from bot.config import Settings
from bot.store.models import Member, Team

log = logging.getLogger(__name__)

bp = Blueprint("signin", __name__)

SLACK_SCOPES = ("openid", "profile")
DISCORD_SCOPES = "identify guilds"
DISCORD_API = "https://discord.com/api/v10"
MANAGE_GUILD, ADMINISTRATOR = 1 << 5, 1 << 3
LOOPBACK = ("127.0.0.1", "::1", "localhost")


def _settings() -> Settings:
    return current_app.config["SETTINGS"]


def _callback(endpoint: str) -> str:
    """The redirect URL registered with the provider: under SENSEBOT_PUBLIC_URL when set."""
    public = _settings().public_url
    return f"{public}{url_for(endpoint)}" if public else url_for(endpoint, _external=True)


def providers() -> dict[str, bool]:
    s = _settings()
    return {"slack": bool(s.slack_client_id and s.slack_client_secret),
            "discord": bool(s.discord_application_id and s.discord_client_secret),
            "local": bool(current_app.config["LOCAL_SIGNIN"])}


def _fail(sentence: str, status: int = 400):
    return render_template("signin.html", providers=providers(), error=sentence, people=[]), status


def _finish(ids: list[Identity]):
    if not ids:
        return _fail("You signed in, but none of your workspaces or servers uses sensebot yet — add the bot first.", 403)
    nxt = safe_next(session.pop("next", None))
    sign_in(ids)
    return redirect(nxt)


@bp.get("/signin")
def page():
    session["next"] = safe_next(request.args.get("next"))
    return render_template("signin.html", providers=providers(), error="", people=_local_people())


@bp.post("/signout")
def signout():
    check_csrf()
    session.clear()
    return redirect(url_for("signin.page"))


# ---------------------------------------------------------------- local (console teams, loopback only)


def _local_allowed() -> bool:
    return bool(current_app.config["LOCAL_SIGNIN"]) and request.remote_addr in LOOPBACK


def _local_people() -> list[tuple[Team, Member]]:
    if not _local_allowed():
        return []
    practice = current_app.config["PRACTICE"]

    def read(ctx):
        rows = ctx.session.exec(select(Team, Member).join(Member, Member.team_id == Team.id)
                                .where(Team.platform == "console", Team.removed_at.is_(None))
                                .order_by(Team.id, Member.display_name))
        return [(t.id, t.workspace_id, m.user_id, m.display_name) for t, m in rows]
    return practice.with_ctx(read)


@bp.post("/signin/local")
def local():
    if not _local_allowed():
        abort(404)
    check_csrf()
    choice = request.form.get("member", "")
    for team_id, workspace, user_id, name in _local_people():
        if choice == f"{team_id}:{user_id}":
            # The console's user is its team's admin; the local sign-in is the console in a browser.
            return _finish([Identity("console", workspace, user_id, name, admin=True)])
    return _fail("Choose one of the people listed.")


# ---------------------------------------------------------------- Slack: OpenID Connect


def _slack_client(token: str | None = None):
    from slack_sdk import WebClient

    from adapters.slack.port import api_url
    return WebClient(token=token, base_url=api_url(_settings().slack_api_url), timeout=10)


@bp.get("/signin/slack")
def slack_start():
    from slack_sdk.oauth import OpenIDConnectAuthorizeUrlGenerator
    s = _settings()
    if not providers()["slack"]:
        abort(404)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    session["slack_state"], session["slack_nonce"] = state, nonce
    gen = OpenIDConnectAuthorizeUrlGenerator(client_id=s.slack_client_id, redirect_uri=_callback("signin.slack_callback"),
                                             scopes=list(SLACK_SCOPES),
                                             authorization_url=f"{s.slack_oauth_url}/openid/connect/authorize")
    return redirect(gen.generate(state=state, nonce=nonce))


@bp.get("/signin/slack/callback")
def slack_callback():
    from slack_sdk.errors import SlackApiError, SlackClientError
    s = _settings()
    if not providers()["slack"]:
        abort(404)
    expected = session.pop("slack_state", None)
    state = request.args.get("state", "")
    if not expected or not secrets.compare_digest(state, expected):
        return _fail("That sign-in link has expired or wasn't started here — sign in again.")
    if request.args.get("error") or not request.args.get("code"):
        return _fail("Slack didn't sign you in (you may have cancelled) — try again.")
    try:
        token = _slack_client().openid_connect_token(client_id=s.slack_client_id, client_secret=s.slack_client_secret,
                                                     code=request.args["code"],
                                                     redirect_uri=_callback("signin.slack_callback"))
        info = _slack_client(token["access_token"]).openid_connect_userInfo()
    except (SlackApiError, SlackClientError, OSError, KeyError) as exc:
        log.warning("Slack sign-in failed: %s", type(exc).__name__)
        return _fail("Slack couldn't confirm who you are just now — try again in a moment.", 502)
    if _claims(token.get("id_token", "")).get("nonce") != session.pop("slack_nonce", None):
        return _fail("That sign-in answer wasn't for this browser — sign in again.")
    workspace, user = info.get("https://slack.com/team_id", ""), info.get("https://slack.com/user_id", "")
    if not workspace or not user:
        return _fail("Slack didn't say which workspace you're in — try again.", 502)
    ids = []
    practice = current_app.config["PRACTICE"]
    from bot.teams import find_team
    if practice.with_ctx(lambda ctx: find_team(ctx, "slack", workspace) is not None):
        ids.append(Identity("slack", workspace, user, str(info.get("name") or user), _slack_admin(workspace, user)))
    return _finish(ids)


def _claims(id_token: str) -> dict:
    """The ID token's claims. Its signature needn't be checked here: it came straight from Slack's
    token endpoint over TLS (OpenID Connect Core 3.1.3.7); what matters is that its `nonce` is the
    one this browser's sign-in started with, so an answer can't be replayed into another session."""
    import base64
    import json
    try:
        payload = id_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def _slack_bot_token(workspace: str) -> str:
    """The workspace's bot token: SLACK_BOT_TOKEN, or the one its OAuth install stored."""
    s = _settings()
    if s.slack_bot_token:
        return s.slack_bot_token
    try:
        from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
        store = SQLAlchemyInstallationStore(client_id=s.slack_client_id, engine=current_app.config["PRACTICE"].db.engine)
        bot = store.find_bot(enterprise_id=None, team_id=workspace)
        return bot.bot_token if bot else ""
    except Exception:  # no installations table yet: nobody installed through OAuth
        return ""


def _slack_admin(workspace: str, user: str) -> bool:
    """Workspace admins and owners, from a fresh users.info — the chat admin commands' rule."""
    token = _slack_bot_token(workspace)
    if not token:
        return False
    try:
        u = _slack_client(token).users_info(user=user)["user"]
    except Exception as exc:
        log.warning("Slack users.info failed during sign-in: %s", type(exc).__name__)
        return False
    return bool(u.get("is_admin") or u.get("is_owner") or u.get("is_primary_owner"))


# ---------------------------------------------------------------- Discord: OAuth2 (Authlib)


def register_discord(oauth, settings: Settings) -> None:
    api = (settings.discord_api_url or DISCORD_API).rstrip("/")
    oauth.register("discord", client_id=settings.discord_application_id, client_secret=settings.discord_client_secret,
                   authorize_url=f"{settings.discord_oauth_url}/oauth2/authorize",
                   access_token_url=f"{api}/oauth2/token", api_base_url=f"{api}/",
                   client_kwargs={"scope": DISCORD_SCOPES, "token_endpoint_auth_method": "client_secret_post"})


@bp.get("/signin/discord")
def discord_start():
    if not providers()["discord"]:
        abort(404)
    return current_app.config["OAUTH"].discord.authorize_redirect(_callback("signin.discord_callback"))


@bp.get("/signin/discord/callback")
def discord_callback():
    from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
    if not providers()["discord"]:
        abort(404)
    client = current_app.config["OAUTH"].discord
    if request.args.get("error"):
        return _fail("Discord didn't sign you in (you may have cancelled) — try again.")
    try:
        token = client.authorize_access_token()
        me = client.get("users/@me", token=token).json()
        guilds = client.get("users/@me/guilds", token=token).json()
    except MismatchingStateError:
        return _fail("That sign-in link has expired or wasn't started here — sign in again.")
    except (OAuthError, OSError, ValueError) as exc:
        log.warning("Discord sign-in failed: %s", type(exc).__name__)
        return _fail("Discord couldn't confirm who you are just now — try again in a moment.", 502)
    user, name = str(me.get("id", "")), str(me.get("global_name") or me.get("username") or "")
    if not user or not isinstance(guilds, list):
        return _fail("Discord didn't say who you are — try again.", 502)
    practice = current_app.config["PRACTICE"]
    from bot.teams import find_team
    ids = []
    for g in guilds:
        gid = str(g.get("id", ""))
        if practice.with_ctx(lambda ctx, gid=gid: find_team(ctx, "discord", gid) is not None):
            perms = int(g.get("permissions") or 0)
            admin = bool(g.get("owner")) or bool(perms & (MANAGE_GUILD | ADMINISTRATOR))
            ids.append(Identity("discord", gid, user, name or user, admin))
    return _finish(ids)


def signed_in() -> bool:
    return bool(identities())
