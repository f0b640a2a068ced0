"""Loopback fakes of the sign-in providers: Slack's OpenID Connect and Discord's OAuth2.

One small threaded HTTP server on a random loopback port plays both. Each knows people by an
authorization code handed out at its authorize endpoint, which redirects back to the
`redirect_uri` with that code and the `state` it was given, as the real providers do.

Slack: GET /openid/connect/authorize, POST /api/openid.connect.token (client credentials,
code, redirect_uri) -> access token, POST /api/openid.connect.userInfo (Bearer token) ->
the https://slack.com/team_id and user_id claims, POST /api/users.info (bot token) -> is_admin.
Discord: GET /oauth2/authorize, POST /api/v10/oauth2/token, GET /api/v10/users/@me and
/api/v10/users/@me/guilds (Bearer token). Every call is recorded.
"""
from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.server import FakeServer


@dataclass
class Person:
    """Who the next authorization code signs in."""

    slack_team: str = ""
    slack_user: str = ""
    name: str = ""
    slack_admin: bool = False
    discord_user: str = ""
    guilds: list[dict[str, Any]] = field(default_factory=list)


class FakeProviders:
    CLIENT_ID, CLIENT_SECRET, BOT_TOKEN = "cid-123", "csecret-456", "xoxb-fake-bot-token"

    def __init__(self) -> None:
        self.next = Person()
        self.codes: dict[str, Person] = {}
        self.tokens: dict[str, Person] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.users: dict[str, bool] = {}  # slack user id -> is_admin, for users.info
        self.nonces: dict[str, str] = {}  # code -> the nonce its authorize request carried
        self.replay_nonce: str | None = None  # answer with this nonce instead (a replayed ID token)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _params(self) -> dict[str, str]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                params = dict(parse_qsl(urlsplit(self.path).query))
                params.update(dict(parse_qsl(raw)))
                return params

            def _json(self, data: Any, status: int = 200) -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _bearer(self) -> Person | None:
                auth = self.headers.get("Authorization", "")
                return fake.tokens.get(auth.removeprefix("Bearer ").strip())

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                params = self._params()
                fake.calls.append((path, params))
                if path in ("/openid/connect/authorize", "/oauth2/authorize"):
                    code = secrets.token_hex(8)
                    fake.codes[code] = fake.next
                    fake.nonces[code] = params.get("nonce", "")
                    self.send_response(302)
                    self.send_header("Location", params["redirect_uri"] + "?" + urlencode(
                        {"code": code, "state": params.get("state", "")}))
                    self.end_headers()
                    return
                who = self._bearer()
                if who is None:
                    return self._json({"message": "401: Unauthorized"}, 401)
                if path == "/api/v10/users/@me":
                    return self._json({"id": who.discord_user, "username": who.name.lower(), "global_name": who.name})
                if path == "/api/v10/users/@me/guilds":
                    return self._json(who.guilds)
                self._json({"message": "not found"}, 404)

            def do_POST(self) -> None:
                path = urlsplit(self.path).path
                params = self._params()
                fake.calls.append((path, params))
                if path in ("/api/openid.connect.token", "/api/v10/oauth2/token"):
                    client_id = params.get("client_id", "")
                    secret = params.get("client_secret", "")
                    if not client_id:  # HTTP Basic, as slack_sdk sends the client credentials
                        basic = self.headers.get("Authorization", "").removeprefix("Basic ")
                        client_id, _, secret = base64.b64decode(basic).decode().partition(":") if basic else ("", "", "")
                    person = fake.codes.pop(params.get("code", ""), None)
                    if client_id != fake.CLIENT_ID or secret != fake.CLIENT_SECRET or person is None:
                        if path.startswith("/api/v10"):
                            return self._json({"error": "invalid_grant"}, 400)
                        return self._json({"ok": False, "error": "invalid_code"})
                    token = secrets.token_hex(12)
                    fake.tokens[token] = person
                    nonce = fake.nonces.pop(params.get("code", ""), "")
                    claims = {"iss": "https://slack.com", "sub": person.slack_user, "aud": client_id,
                              "nonce": fake.replay_nonce if fake.replay_nonce is not None else nonce,
                              "https://slack.com/team_id": person.slack_team}
                    id_token = ".".join(base64.urlsafe_b64encode(json.dumps(p).encode()).decode().rstrip("=")
                                        for p in ({"alg": "none"}, claims)) + ".sig"
                    return self._json({"ok": True, "access_token": token, "token_type": "Bearer", "expires_in": 600,
                                       "scope": "identify guilds", "id_token": id_token})
                if path == "/api/openid.connect.userInfo":
                    who = self._bearer()
                    if who is None:
                        return self._json({"ok": False, "error": "invalid_auth"})
                    return self._json({"ok": True, "sub": who.slack_user, "name": who.name,
                                       "https://slack.com/user_id": who.slack_user,
                                       "https://slack.com/team_id": who.slack_team})
                if path == "/api/users.info":
                    if self.headers.get("Authorization") != f"Bearer {fake.BOT_TOKEN}":
                        return self._json({"ok": False, "error": "invalid_auth"})
                    user = params.get("user", "")
                    return self._json({"ok": True, "user": {"id": user, "is_admin": fake.users.get(user, False),
                                                            "is_owner": False}})
                self._json({"ok": False, "error": "unknown_method"})

        self.server = FakeServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeProviders:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
