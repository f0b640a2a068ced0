"""A fake Discord on loopback for the Discord adapter's tests: a REST API and a gateway.

`FakeDiscordAPI` is an aiohttp web server shaped like https://discord.com/api/v10: it records
every request (method, path, JSON body or multipart `payload_json` and files) and answers with
documented payload shapes — users/@me, oauth2/applications/@me, gateway/bot, application
commands, channel messages, threads started from a message, DM channels, interaction callbacks
and webhook follow-ups. `fail_next(n, status=429, retry_after=...)` answers the next n matching
calls with an error (429 with Retry-After and Discord's `Via` header, 403/404 with a JSON error
code, 5xx) — the delivery-at-scale tests inject rate limits with it.

`FakeDiscordAPI(limits=DiscordLimits(...))` also enforces Discord's rate limits (off by
default): a global 50 requests per second per bot (a token bucket; interaction and webhook
routes are exempt, as on Discord) and per-route buckets (POST /channels/{id}/messages: 5 per
5 s per channel), answering every request of a limited route with X-RateLimit-Limit,
-Remaining, -Reset, -Reset-After and -Bucket, and a 429 with a JSON `retry_after` (and
`global`) when one is exceeded. `scale` compresses time for benchmarks.

`FakeGateway` is a websocket server speaking the gateway protocol: HELLO (op 10), IDENTIFY
(op 2) -> READY and GUILD_CREATE, heartbeats (op 1) -> ACK (op 11); `dispatch(t, d)` sends any
event (INTERACTION_CREATE, MESSAGE_CREATE...). `Payloads` builds the events' documented shapes.

`FakeDiscord` runs both on one event loop in a background thread, with blocking helpers for
tests that drive the real client (which has its own loop) from the main thread.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API_PREFIX = "/api/v10"
TIMESTAMP = "2026-11-23T08:00:00.000000+00:00"
PERMISSIONS_ALL = str((1 << 41) - 1)
MANAGE_GUILD = 1 << 5
# view channel, send messages, embed links, attach files, read history, create public threads, send in threads
BOT_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 35) | (1 << 38)
_ids = itertools.count(1_300_000_000_000_000_001)


def snowflake() -> int:
    return next(_ids)


@dataclass
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    json: Any = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)
    status: int = 200


@dataclass
class Fault:
    remaining: int
    status: int
    retry_after: float | None = None
    code: int = 0
    message: str = ""
    match: Callable[[str, str], bool] | None = None
    via: bool = True
    after: int = 0  # matching requests let through before the fault starts (fail the Nth part of a message)


@dataclass(frozen=True)
class RouteLimit:
    """A per-route bucket: `limit` requests per `per` seconds for each major parameter (the pattern's group 1)."""

    method: str
    pattern: str
    limit: int
    per: float
    bucket: str  # the X-RateLimit-Bucket hash Discord sends for it


MESSAGES_ROUTE = RouteLimit("POST", r"^/channels/(\d+)/messages$", 5, 5.0, "5f1e0c9a2b7d4c3e8a6b0d1f2e3c4b5a")


@dataclass(frozen=True)
class DiscordLimits:
    """Discord's rate limits (https://discord.com/developers/docs/topics/rate-limits), in Discord's seconds;
    `scale` > 1 runs Discord's clock faster (rates x scale, waits / scale)."""

    global_rate: float = 50.0
    global_burst: int = 50
    routes: tuple[RouteLimit, ...] = (MESSAGES_ROUTE,)
    scale: float = 1.0
    exempt: str = r"^/(interactions|webhooks)/"  # not counted against the global limit


def _json(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    # exactly "application/json", as Discord sends it: discord.py only decodes that content type
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


def user_json(user_id: int, name: str, bot: bool = False) -> dict:
    return {"id": str(user_id), "username": name.lower(), "global_name": name, "discriminator": "0",
            "avatar": None, "bot": bot, "flags": 0, "public_flags": 0}


def text_channel_json(channel_id: int, guild_id: int, name: str = "practice") -> dict:
    return {"id": str(channel_id), "type": 0, "guild_id": str(guild_id), "name": name, "position": 0,
            "permission_overwrites": [], "nsfw": False, "parent_id": None, "topic": None,
            "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}


class FakeDiscordAPI:
    """Discord's REST API, on 127.0.0.1 with a random port."""

    def __init__(self, *, application_id: int = 0, bot_id: int = 0, guild_id: int = 0, channel_id: int = 0,
                 limits: DiscordLimits | None = None):
        self.limits = limits  # None: no rate limits (the adapter tests)
        self._windows: dict[tuple[str, str], list[float]] = {}  # (bucket, major parameter) -> [remaining, reset at]
        self._global: tuple[float, float] | None = None  # (tokens, at)
        self.rate_limited: dict[str, int] = {}  # "global" or a route's bucket -> 429s answered
        self.application_id = application_id or snowflake()
        self.bot_id = bot_id or self.application_id
        self.guild_id = guild_id or snowflake()
        self.channel_id = channel_id or snowflake()
        self.bot = user_json(self.bot_id, "sensebot", bot=True)
        self.gateway_url = ""
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.channels: dict[int, dict] = {self.channel_id: text_channel_json(self.channel_id, self.guild_id)}
        self.messages: dict[int, dict] = {}
        self.dm_closed: set[int] = set()
        self.commands: dict[str, list[dict]] = {}
        # sensebot's own role (what its invite link grants) and its member record, as a real server has them
        self.bot_role_id = snowflake()
        self.members: dict[tuple[int, int], dict] = {(self.guild_id, self.bot_id): {
            "user": self.bot, "nick": None, "avatar": None, "roles": [str(self.bot_role_id)], "joined_at": TIMESTAMP,
            "deaf": False, "mute": False, "flags": 0, "pending": False}}
        self.runner: web.AppRunner | None = None
        self.url = ""

    # ------------------------------------------------------------ control

    async def start(self) -> FakeDiscordAPI:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{API_PREFIX}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def fail_next(self, n: int, status: int = 429, *, retry_after: float | None = 1.0, code: int = 0, message: str = "",
                  method: str | None = None, path: str | None = None, via: bool = True, after: int = 0) -> None:
        """Answer the next `n` requests (optionally only those whose method/path regex match) with an error,
        after letting `after` matching ones through (so the 2nd part of a multi-part message can fail)."""
        def match(m: str, p: str) -> bool:
            return (method is None or m == method) and (path is None or re.search(path, p) is not None)
        with self.lock:
            self.faults.append(Fault(n, status, retry_after if status == 429 else None, code, message, match, via, after))

    def recorded(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if (method is None or r.method == method)
                    and (path is None or re.search(path, r.path))]

    def callbacks(self) -> list[Recorded]:
        return self.recorded("POST", r"^/interactions/\d+/[^/]+/callback$")

    def callback_for(self, interaction_id: int | str) -> Recorded | None:
        found = self.recorded("POST", rf"^/interactions/{interaction_id}/[^/]+/callback$")
        return found[-1] if found else None

    def followups(self, token: str | None = None) -> list[Recorded]:
        return self.recorded("POST", rf"^/webhooks/\d+/{re.escape(token) if token else '[^/]+'}$")

    def channel_posts(self, channel_id: int | str | None = None) -> list[Recorded]:
        return self.recorded("POST", rf"^/channels/{channel_id or '[0-9]+'}/messages$")

    def add_thread(self, thread_id: int, parent_id: int, owner_id: int | None = None, name: str = "thread") -> dict:
        data = {"id": str(thread_id), "type": 11, "guild_id": str(self.guild_id), "parent_id": str(parent_id),
                "owner_id": str(owner_id or self.bot_id), "name": name, "last_message_id": None,
                "rate_limit_per_user": 0, "message_count": 0, "member_count": 1, "total_message_sent": 0, "flags": 0,
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440, "archive_timestamp": TIMESTAMP,
                                    "locked": False}}
        self.channels[thread_id] = data
        return data

    def add_dm_channel(self, user_id: int, channel_id: int | None = None) -> dict:
        cid = channel_id or snowflake()
        data = self.channels[cid] = {"id": str(cid), "type": 1, "last_message_id": None,
                                     "recipients": [user_json(user_id, f"user{user_id}")]}
        return data

    # ------------------------------------------------------------ HTTP

    def _message(self, channel_id: int, body: dict, author: dict | None = None) -> dict:
        mid = snowflake()
        channel = self.channels.get(channel_id, {})
        msg = {"id": str(mid), "channel_id": str(channel_id), "author": author or self.bot,
               "content": body.get("content") or "", "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
               "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
               "embeds": body.get("embeds") or [], "components": body.get("components") or [], "pinned": False,
               "type": 0, "flags": body.get("flags") or 0}
        if channel.get("guild_id"):
            msg["guild_id"] = channel["guild_id"]
        self.messages[mid] = msg
        return msg

    @staticmethod
    def _error(status: int, code: int, message: str, headers: dict | None = None) -> web.Response:
        return _json({"code": code, "message": message}, status=status, headers=headers)

    async def _read(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            form = await request.post()
            files = [(v.filename, v.file.read()) for k, v in form.items() if hasattr(v, "filename")]
            raw = form.get("payload_json")
            return (json.loads(raw) if raw else None), files
        body = await request.read()
        return (json.loads(body) if body else None), []

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        payload, files = await self._read(request)
        rec = Recorded(request.method, path, payload, files, dict(request.query))
        with self.lock:
            self.requests.append(rec)
            fault = next((f for f in self.faults if f.remaining > 0 and (f.match is None or f.match(request.method, path))), None)
            if fault is not None and fault.after > 0:
                fault.after -= 1
                fault = None
            elif fault is not None:
                fault.remaining -= 1
        if fault is not None:
            rec.status = fault.status
            return self._fault(fault)
        limited, headers = self._limit(request.method, path)
        if limited is not None:
            rec.status = limited.status
            return limited
        response = await self._route(request.method, path, payload or {})
        response.headers.update(headers)
        rec.status = response.status
        return response

    def _limit(self, method: str, path: str) -> tuple[web.Response | None, dict[str, str]]:
        """Count the request against the limits: (a 429, {}) when over one, else (None, the route's headers)."""
        limits = self.limits
        if limits is None:
            return None, {}
        scale = limits.scale
        route, major = None, ""
        for r in limits.routes:
            m = re.search(r.pattern, path) if r.method == method else None
            if m:
                route, major = r, (m.group(1) if m.groups() else "")
                break
        counted = re.search(limits.exempt, path) is None
        with self.lock:
            t = time.monotonic()
            window = None
            if route is not None:
                window = self._windows.get((route.bucket, major))
                if window is None or t >= window[1]:
                    window = self._windows[(route.bucket, major)] = [float(route.limit), t + route.per / scale]
            level = 0.0
            if counted:
                rate = limits.global_rate * scale
                tokens, at = self._global or (float(limits.global_burst), t)
                level = min(float(limits.global_burst), tokens + (t - at) * rate)
            if window is not None and window[0] < 1:
                return self._limited(route, window, t, window[1] - t, is_global=False), {}
            if counted and level < 1.0:
                return self._limited(route, window, t, (1.0 - level) / rate, is_global=True), {}
            if counted:
                self._global = (level - 1.0, t)
            if window is not None:
                window[0] -= 1
                return None, self._route_headers(route, window, t)
        return None, {}

    @staticmethod
    def _route_headers(route: RouteLimit, window: list[float], t: float) -> dict[str, str]:
        reset_after = max(0.0, window[1] - t)
        return {"X-RateLimit-Limit": str(route.limit), "X-RateLimit-Remaining": str(int(window[0])),
                "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}", "X-RateLimit-Reset-After": f"{reset_after:.3f}",
                "X-RateLimit-Bucket": route.bucket}

    def _limited(self, route: RouteLimit | None, window: list[float] | None, t: float, wait: float,
                 is_global: bool) -> web.Response:
        retry_after = math.ceil(wait * 1000) / 1000
        scope = "global" if is_global else route.bucket
        self.rate_limited[scope] = self.rate_limited.get(scope, 0) + 1
        headers = {"Retry-After": str(max(retry_after, 0.001)), "Via": "1.1 google",
                   "X-RateLimit-Scope": "global" if is_global else "user"}
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        elif route is not None and window is not None:
            headers.update(self._route_headers(route, window, t))
        return _json({"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global},
                     status=429, headers=headers)

    def _fault(self, f: Fault) -> web.Response:
        if f.status == 429:
            headers = {"Retry-After": str(f.retry_after), "X-RateLimit-Scope": "user"}
            if f.via:
                headers["Via"] = "1.1 google"  # Discord's API answers through Google's front end; discord.py checks
            return _json({"message": "You are being rate limited.", "retry_after": f.retry_after,
                                      "global": False}, status=429, headers=headers)
        return self._error(f.status, f.code, f.message or {403: "Missing Permissions", 404: "Unknown Channel"}.get(f.status, "Internal Server Error"))

    async def _route(self, method: str, path: str, body: dict) -> web.Response:
        app = str(self.application_id)
        if method == "GET" and path == "/users/@me":
            return _json(self.bot)
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json({"id": app, "name": "sensebot", "description": "", "icon": None, "bot_public": True,
                                      "bot_require_code_grant": False, "owner": user_json(snowflake(), "Owner"),
                                      "verify_key": "0" * 64, "flags": 0, "team": None})
        if method == "GET" and path in ("/gateway/bot", "/gateway"):
            return _json({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
        m = re.fullmatch(rf"/applications/{app}(?:/guilds/(\d+))?/commands", path)
        if m:
            key = m.group(1) or "global"
            if method == "PUT":
                self.commands[key] = [dict(c, id=str(snowflake()), application_id=app, version=str(snowflake()),
                                           **({"guild_id": key} if key != "global" else {})) for c in body]
            return _json(self.commands.get(key, []))
        m = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if m:
            return _json({"interaction": {"id": m.group(1), "type": 2}})
        m = re.fullmatch(r"/webhooks/(\d+)/([^/]+)(?:/messages/(@original|\d+))?", path)
        if m:
            return _json(self._message(self.channel_id, body or {}))
        m = re.fullmatch(r"/channels/(\d+)/messages/(\d+)/threads", path)
        if m and method == "POST":
            parent, mid = int(m.group(1)), int(m.group(2))
            if mid in self.channels:
                return self._error(400, 160004, "A thread has already been created for this message")
            if parent not in self.channels:
                return self._error(404, 10003, "Unknown Channel")
            return _json(self.add_thread(mid, parent, name=body.get("name", "thread")), status=201)
        m = re.fullmatch(r"/channels/(\d+)/messages", path)
        if m and method == "POST" and blank_fields(body):
            return self._error(400, 50035, "Invalid Form Body: embeds.fields.value: This field is required")
        if m and method == "POST":
            cid = int(m.group(1))
            channel = self.channels.get(cid)
            if channel is None:
                return self._error(404, 10003, "Unknown Channel")
            if channel.get("type") == 1 and int(channel["recipients"][0]["id"]) in self.dm_closed:
                return self._error(403, 50007, "Cannot send messages to this user")
            return _json(self._message(cid, body))
        m = re.fullmatch(r"/guilds/(\d+)/members/(\d+)", path)
        if m and method == "GET":
            member = self.members.get((int(m.group(1)), int(m.group(2))))
            return _json(member) if member else self._error(404, 10007, "Unknown Member")
        m = re.fullmatch(r"/channels/(\d+)", path)
        if m and method == "GET":
            channel = self.channels.get(int(m.group(1)))
            return _json(channel) if channel else self._error(404, 10003, "Unknown Channel")
        if method == "POST" and path == "/users/@me/channels":
            uid = int(body["recipient_id"])
            existing = next((c for c in self.channels.values() if c.get("type") == 1 and c["recipients"][0]["id"] == str(uid)), None)
            if existing is None:
                existing = self.add_dm_channel(uid)
            return _json(existing)
        return self._error(404, 0, f"fake Discord has no route for {method} {path}")


class FakeGateway:
    """Discord's gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeat ACKs, then whatever `dispatch` sends."""

    def __init__(self, api: FakeDiscordAPI, guilds: list[dict] | None = None):
        self.api = api
        self.guilds = guilds if guilds is not None else [Payloads(api).guild_create()]
        self.sessions: list[web.WebSocketResponse] = []
        self.received: list[dict] = []
        self._seq: dict[int, int] = {}
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeGateway:
        app = web.Application()
        app.router.add_get("/", self._ws)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/"
        self.api.gateway_url = self.url
        return self

    async def stop(self) -> None:
        for ws in list(self.sessions):
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()

    async def _send(self, ws: web.WebSocketResponse, op: int, d: Any, t: str | None = None) -> None:
        seq = None
        if op == 0:
            seq = self._seq[id(ws)] = self._seq.get(id(ws), 0) + 1
        await ws.send_str(json.dumps({"op": op, "d": d, "s": seq, "t": t}))

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await self._send(ws, 10, {"heartbeat_interval": 41250})
        try:
            async for msg in ws:
                if msg.type.name != "TEXT":
                    continue
                data = json.loads(msg.data)
                self.received.append(data)
                op = data.get("op")
                if op == 1:
                    await self._send(ws, 11, None)
                elif op == 2:
                    shard = data["d"].get("shard") or [0, 1]
                    await self._send(ws, 0, {
                        "v": 10, "user": self.api.bot, "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
                        "session_id": f"session-{snowflake()}", "resume_gateway_url": self.url, "shard": shard,
                        "application": {"id": str(self.api.application_id), "flags": 0}}, "READY")
                    for g in self.guilds:
                        await self._send(ws, 0, g, "GUILD_CREATE")
                    self.sessions.append(ws)
                elif op == 6:
                    self.sessions.append(ws)
                    await self._send(ws, 0, {}, "RESUMED")
        finally:
            if ws in self.sessions:
                self.sessions.remove(ws)
        return ws

    async def dispatch(self, t: str, d: dict) -> None:
        if not self.sessions:
            raise RuntimeError("no client is connected to the fake gateway")
        for ws in list(self.sessions):
            await self._send(ws, 0, d, t)


class Payloads:
    """Gateway event payloads in Discord's documented shapes (interactions, messages, guilds)."""

    def __init__(self, api: FakeDiscordAPI):
        self.api = api

    def guild_create(self, extra_channels: list[dict] = ()) -> dict:
        gid = str(self.api.guild_id)
        return {
            "id": gid, "name": "Practice Server", "icon": None, "owner_id": str(snowflake()), "afk_timeout": 300,
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "roles": [{"id": gid, "name": "@everyone", "permissions": "104324673", "position": 0, "color": 0,
                       "hoist": False, "managed": False, "mentionable": False, "flags": 0},
                      {"id": str(self.api.bot_role_id), "name": "sensebot", "permissions": str(BOT_PERMISSIONS),
                       "position": 1, "color": 0, "hoist": False, "managed": True, "mentionable": False, "flags": 0,
                       "tags": {"bot_id": str(self.api.bot_id)}}],
            "emojis": [], "stickers": [], "features": [], "mfa_level": 0, "system_channel_id": None,
            "system_channel_flags": 0, "rules_channel_id": None, "joined_at": TIMESTAMP, "large": False,
            "unavailable": False, "member_count": 3, "voice_states": [], "presences": [],
            "members": [m for (g, _), m in self.api.members.items() if str(g) == gid],
            "channels": [c for c in self.api.channels.values() if c.get("guild_id") == gid and c["type"] == 0]
            + list(extra_channels),
            "threads": [], "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "preferred_locale": "en-US", "premium_tier": 0, "nsfw_level": 0, "premium_progress_bar_enabled": False,
        }

    def member(self, user_id: int, name: str, permissions: int | str = 0) -> dict:
        return {"user": user_json(user_id, name), "nick": None, "avatar": None, "roles": [], "joined_at": TIMESTAMP,
                "deaf": False, "mute": False, "flags": 0, "pending": False, "permissions": str(permissions)}

    def interaction(self, itype: int, data: dict, *, user_id: int, name: str = "Ada", permissions: int | str = 0,
                    guild: bool = True, channel_id: int | None = None, message: dict | None = None) -> dict:
        iid = snowflake()
        p: dict[str, Any] = {
            "id": str(iid), "application_id": str(self.api.application_id), "type": itype, "data": data,
            "token": f"token-{iid}", "version": 1, "app_permissions": PERMISSIONS_ALL, "locale": "en-US",
            "entitlements": [], "attachment_size_limit": 10 * 1024 * 1024,
        }
        if guild:
            cid = channel_id or self.api.channel_id
            p.update(guild_id=str(self.api.guild_id), guild_locale="en-US", context=0,
                     guild={"id": str(self.api.guild_id), "locale": "en-US", "features": []},
                     member=self.member(user_id, name, permissions), channel_id=str(cid),
                     channel=self.api.channels.get(cid) or text_channel_json(cid, self.api.guild_id),
                     authorizing_integration_owners={"0": str(self.api.guild_id)})
        else:
            cid = channel_id or snowflake()
            p.update(user=user_json(user_id, name), context=1, channel_id=str(cid),
                     channel={"id": str(cid), "type": 1, "recipients": [user_json(user_id, name)]},
                     authorizing_integration_owners={"0": str(user_id)})
        if message is not None:
            p["message"] = message
        return p

    @staticmethod
    def option(name: str, value: Any, otype: int = 3) -> dict:
        return {"name": name, "type": otype, "value": value}

    def slash(self, command: str, options: list[dict] = (), *, subcommand: str | None = None,
              resolved: dict | None = None, **kw) -> dict:
        """type 2 APPLICATION_COMMAND; `subcommand` nests the options under a sub-command (type 1)."""
        opts = [{"name": subcommand, "type": 1, "options": list(options)}] if subcommand else list(options)
        data = {"id": str(snowflake()), "name": command, "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        return self.interaction(2, data, **kw)

    def channel_option(self, name: str, channel_id: int) -> tuple[dict, dict]:
        resolved = {"channels": {str(channel_id): {"id": str(channel_id), "name": "practice", "type": 0,
                                                   "permissions": PERMISSIONS_ALL, "guild_id": str(self.api.guild_id)}}}
        return self.option(name, str(channel_id), 7), resolved

    def button(self, custom_id: str, message: dict, **kw) -> dict:
        """type 3 MESSAGE_COMPONENT for a button (component_type 2) on `message`."""
        return self.interaction(3, {"custom_id": custom_id, "component_type": 2}, message=message, **kw)

    def modal_submit(self, custom_id: str, values: dict[str, str | list[str]], **kw) -> dict:
        """type 5 MODAL_SUBMIT; a list value is a select's `values`, a string a text input's `value`."""
        components = []
        for i, (cid, v) in enumerate(values.items(), 1):
            inner = {"type": 3, "id": i * 2, "custom_id": cid, "values": v} if isinstance(v, list) else \
                    {"type": 4, "id": i * 2, "custom_id": cid, "value": v}
            components.append({"type": 18, "id": i * 2 - 1, "component": inner})
        return self.interaction(5, {"custom_id": custom_id, "components": components}, **kw)

    def message_create(self, channel_id: int, user_id: int, content: str, *, name: str = "Ada", guild: bool = True) -> dict:
        msg = {"id": str(snowflake()), "channel_id": str(channel_id), "author": user_json(user_id, name),
               "content": content, "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
               "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
               "pinned": False, "type": 0, "flags": 0, "components": []}
        if guild:
            msg["guild_id"] = str(self.api.guild_id)
            msg["member"] = {k: v for k, v in self.member(user_id, name).items() if k not in ("user", "permissions")}
        return msg

    def bot_message(self, components: list[dict], *, channel_id: int | None = None, flags: int = 0,
                    guild: bool = True, embeds: list[dict] = ()) -> dict:
        """A message the bot sent (e.g. an ephemeral interaction reply), to put in a component interaction."""
        msg = self.message_create(channel_id or self.api.channel_id, self.api.bot_id, "", guild=guild)
        msg.pop("member", None)
        return dict(msg, author=self.api.bot, components=components, embeds=list(embeds), flags=flags)

    @staticmethod
    def thread_create(thread: dict) -> dict:
        return dict(thread, newly_created=True)


def custom_ids(message_or_body: dict) -> list[str]:
    """Every custom_id in a message's (or a request body's) components, depth first."""
    out: list[str] = []

    def walk(components):
        for c in components or ():
            if "custom_id" in c:
                out.append(c["custom_id"])
            walk(c.get("components"))
            if c.get("component"):
                walk([c["component"]])
    walk(message_or_body.get("components") or (message_or_body.get("data") or {}).get("components"))
    return out


def embed_chars(embed: dict) -> int:
    """Characters that count toward Discord's 6,000 per message."""
    n = len(embed.get("title") or "") + len(embed.get("description") or "")
    n += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in embed.get("fields") or ())
    n += len((embed.get("footer") or {}).get("text") or "") + len((embed.get("author") or {}).get("name") or "")
    return n


def blank_fields(body: dict) -> bool:
    """True when an embed field's name or value is empty or only whitespace: Discord answers 400 (50035)."""
    return any(not (f.get("name") or "").strip() or not (f.get("value") or "").strip()
               for e in (body or {}).get("embeds") or () for f in e.get("fields") or ())


def check_message_limits(body: dict) -> None:
    """Assert a message body is inside Discord's documented limits (raises AssertionError with the reason)."""
    assert len(body.get("content") or "") <= 2000, "content over 2,000 characters"
    embeds = body.get("embeds") or []
    assert len(embeds) <= 10, "more than 10 embeds"
    assert sum(embed_chars(e) for e in embeds) <= 6000, "embeds over 6,000 characters in all"
    for e in embeds:
        assert len(e.get("title") or "") <= 256, "embed title over 256"
        assert len(e.get("description") or "") <= 4096, "embed description over 4,096"
        assert len(e.get("fields") or []) <= 25, "more than 25 fields"
        for f in e.get("fields") or []:
            assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024, "field name/value out of bounds"
            assert f["name"].strip() and f["value"].strip(), "a field name/value of only whitespace"
        assert len((e.get("footer") or {}).get("text") or "") <= 2048, "footer over 2,048"
    rows = body.get("components") or []
    assert len(rows) <= 5, "more than 5 action rows"
    for row in rows:
        assert len(row.get("components") or []) <= 5, "more than 5 components in a row"
    for cid in custom_ids(body):
        assert len(cid) <= 100, f"custom_id over 100 characters: {cid}"


class FakeDiscord:
    """REST + gateway on one loop in a background thread, driven from synchronous tests."""

    def __init__(self, limits: DiscordLimits | None = None, **ids: int):
        self.api = FakeDiscordAPI(limits=limits, **ids)
        self.payloads = Payloads(self.api)
        self.gateway: FakeGateway | None = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fake-discord", daemon=True)

    def start(self) -> FakeDiscord:
        self.thread.start()
        self.call(self.api.start())
        self.gateway = FakeGateway(self.api)
        self.call(self.gateway.start())
        return self

    def stop(self) -> None:
        try:
            if self.gateway is not None:
                self.call(self.gateway.stop())
            self.call(self.api.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()

    def call(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def dispatch(self, t: str, d: dict) -> None:
        self.call(self.gateway.dispatch(t, d))

    def wait_connected(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.gateway.sessions:
            if time.monotonic() > deadline:
                raise AssertionError("the client never identified with the fake gateway")
            time.sleep(0.01)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 60.0, what: str = "a request"):
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; requests: "
                                     + ", ".join(f"{r.method} {r.path}" for r in self.api.recorded()[-15:]))
            time.sleep(0.01)

    def interact(self, payload: dict, timeout: float = 60.0) -> Recorded:
        """Send INTERACTION_CREATE and wait for the bot's callback for it."""
        self.dispatch("INTERACTION_CREATE", payload)
        return self.wait_for(lambda: self.api.callback_for(payload["id"]), timeout, f"the callback of {payload['data']}")
