"""A fake Slack Web API on loopback, for adapter tests and delivery at scale.

`FakeSlack().start()` serves `http://127.0.0.1:<random port>/api/<method>` and answers the way
Slack does (`{"ok": true, ...}`), recording every call: its method (from the path), its
parameters (form-encoded or JSON body), its headers and what was answered. `url` is the
WebClient `base_url` (it ends with '/'). Faults are injected per method, for the next N
calls (`fail_next`) or at a rate (`fail_rate`): HTTP 429 with Retry-After, HTTP 500, or a
Slack error such as `channel_not_found` (HTTP 200, `ok: false`).

`FakeSlack(limits=SlackLimits(...))` also enforces Slack's rate limits (off by default):
token buckets per method per channel (chat.postMessage: about 1 per second per channel)
and per method per workspace (one bot token = one workspace), answering HTTP 429
`ratelimited` with a Retry-After in whole seconds, as Slack does. `scale` compresses time
for benchmarks: every rate is multiplied by it and Retry-After divided by it.

Message size is always enforced, as Slack enforces it: a chat.postMessage, chat.postEphemeral or
response_url answer whose blocks hold more than `block_text_max` characters of text (UTF-16
units) is refused with `msg_blocks_too_long` — Slack's undocumented limit, reported at roughly
12-13k in bolt-js issues #2509 and #2867 — and a modal whose title, submit or close label is
longer than 24 characters with `invalid_arguments`.

Besides `/api/`, it takes `response_url` posts (`/response/...`, recorded as the method
"response_url") and file uploads (`/upload/...`, recorded as "upload"), so bolt's
`respond()` and `files_upload_v2` stay on the machine too.
"""
from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.server import FakeServer


@dataclass
class Call:
    """One request the fake received, and the HTTP status it answered."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    path: str
    status: int = 200
    ok: bool = True
    raw: bytes = b""
    response: Any = None  # what the fake answered (a dict for /api/ methods)
    at: float = 0.0  # time.time() when the request arrived

    def json_param(self, name: str) -> Any:
        """A parameter that may arrive JSON-encoded inside a form (blocks, view) or already decoded."""
        value = self.params.get(name)
        if isinstance(value, str) and value[:1] in "[{":
            return json.loads(value)
        return value

    @property
    def blocks(self) -> list[dict]:
        return self.json_param("blocks") or []

    @property
    def view(self) -> dict:
        return self.json_param("view") or {}


@dataclass
class Fault:
    status: int = 429
    error: str = "ratelimited"
    retry_after: float | None = 1.0
    methods: frozenset[str] = frozenset()  # empty: any method
    remaining: int | None = 1  # None: unlimited (used with a rate)
    rate: float = 1.0

    def applies(self, method: str) -> bool:
        return (not self.methods or method in self.methods) and (self.remaining is None or self.remaining > 0)


@dataclass(frozen=True)
class Limit:
    """A token bucket: `rate` requests per second (in Slack's time), up to `burst` at once."""

    rate: float
    burst: int = 1


def _slack_channel_limits() -> dict[str, Limit]:
    # "chat.postMessage generally allows posting one message per second per channel ... short bursts >1 allowed"
    return {"chat.postMessage": Limit(1.0, burst=2)}


def _slack_workspace_limits() -> dict[str, Limit]:
    # chat.postMessage's workspace-wide limit is not published ("several hundred per minute"): 300/min here;
    # conversations.open is Tier 3, "50+ per minute, sporadic bursts are welcome": the documented minimum
    return {"chat.postMessage": Limit(300 / 60, burst=10), "conversations.open": Limit(50 / 60, burst=3)}


@dataclass(frozen=True)
class SlackLimits:
    """Rate limits FakeSlack enforces when given them (https://docs.slack.dev/apis/web-api/rate-limits).

    `per_channel`: method -> limit per channel (the `channel` parameter); `per_workspace`: method -> limit
    per workspace (the bot token). `scale` > 1 runs Slack's clock faster: rates x scale, Retry-After / scale.
    """

    per_channel: Mapping[str, Limit] = field(default_factory=_slack_channel_limits)
    per_workspace: Mapping[str, Limit] = field(default_factory=_slack_workspace_limits)
    scale: float = 1.0


class TokenBuckets:
    """Token buckets by key, checked and taken together (all or none); thread-safe."""

    def __init__(self, now: Callable[[], float] = time.monotonic):
        self.now = now
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, buckets: list[tuple[str, float, int]]) -> float:
        """Take a token from every (key, rate, burst) bucket and return 0, or take none and return the wait."""
        with self._lock:
            t = self.now()
            levels, wait = [], 0.0
            for key, rate, burst in buckets:
                tokens, at = self._state.get(key, (float(burst), t))
                level = min(float(burst), tokens + (t - at) * rate)
                levels.append(level)
                if level < 1.0:
                    wait = max(wait, (1.0 - level) / rate)
            if wait > 0:
                return wait
            for (key, _, _), level in zip(buckets, levels, strict=True):
                self._state[key] = (level - 1.0, t)
            return 0.0


@dataclass
class FakeSlack:
    """Start with `start()`, stop with `stop()`; read what happened with `calls(method)`."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    team_id: str = "T1"
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    install_token: str = "xoxb-installed-by-oauth-0000"
    seed: int = 1
    limits: SlackLimits | None = None  # None: no rate limits (the adapter tests)
    block_text_max: int | None = 12_000  # None: accept messages of any size
    delay: float = 0.0  # seconds every /api/ call takes to answer (a real API round trip)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._faults: list[Fault] = []
        self._ts = 1_795_000_000_000_100
        self._files = 0
        self._rng = random.Random(self.seed)
        self._buckets = TokenBuckets()
        self.server: FakeServer | None = None
        self.thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self._handle()

            def do_POST(self):
                self._handle()

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload, headers = fake._answer(self.path, dict(self.headers.items()), body)
                out = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                ctype = "text/plain" if isinstance(payload, bytes) else "application/json; charset=utf-8"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = FakeServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name="fake-slack", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def root(self) -> str:
        assert self.server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    @property
    def url(self) -> str:
        """The Web API base URL (SLACK_API_URL); ends with '/' as WebClient needs."""
        return self.root + "api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.root}response/{name}"

    # ------------------------------------------------------------------ control and inspection

    def calls(self, method: str | None = None, *, ok: bool | None = None) -> list[Call]:
        """Recorded calls, oldest first; of one method, and only the answered-ok (or failed) ones if asked."""
        with self._lock:
            return [c for c in self._calls if (method is None or c.method == method) and (ok is None or c.ok == ok)]

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._buckets = TokenBuckets()

    def fail_next(self, n: int = 1, *, status: int = 429, error: str | None = None, retry_after: float | None = 1.0,
                  methods: tuple[str, ...] = ()) -> None:
        """Answer the next `n` calls (of `methods`, or any) with a fault: 429 + Retry-After, 500, or a Slack error."""
        with self._lock:
            self._faults.append(Fault(status, error or _default_error(status), retry_after, frozenset(methods), n))

    def fail_rate(self, rate: float, *, status: int = 429, error: str | None = None, retry_after: float | None = 1.0,
                  methods: tuple[str, ...] = ()) -> None:
        """Answer a share `rate` of calls (seeded, so repeatable) with a fault until `reset()`."""
        with self._lock:
            self._faults.append(Fault(status, error or _default_error(status), retry_after, frozenset(methods), None, rate))

    def set_user(self, user_id: str, **fields: Any) -> None:
        with self._lock:
            self.users.setdefault(user_id, {}).update(fields)

    # ------------------------------------------------------------------ the answers

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any, dict[str, str]]:
        arrived = time.time()
        if self.delay:
            time.sleep(self.delay)
        parts = urlsplit(path)
        headers = {k.lower(): v for k, v in headers.items()}
        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/"):]
        elif parts.path.startswith("/response/"):
            method = "response_url"
        elif parts.path.startswith("/upload/"):
            method = "upload"
        else:
            method = parts.path
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        ctype = headers.get("content-type", "")
        if body and "json" in ctype:
            try:
                params.update(json.loads(body))
            except ValueError:
                pass
        elif body and "x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        call = Call(method, params, headers, parts.path, raw=body, at=arrived)
        with self._lock:
            fault = self._pick_fault(method)
            if fault is not None:
                call.status, call.ok = fault.status, False
                call.response = {"ok": False, "error": fault.error}
                self._calls.append(call)
                extra = {"Retry-After": _fmt(fault.retry_after)} if fault.retry_after is not None else {}
                return fault.status, call.response, extra
            wait = self._limited(method, params, headers)
            if wait > 0:
                call.status, call.ok = 429, False
                call.response = {"ok": False, "error": "ratelimited"}
                self._calls.append(call)
                return 429, call.response, {"Retry-After": _fmt(self._retry_after(wait))}
            refused = self._refused(method, params)
            if refused:
                status, payload = (400, refused.encode()) if method == "response_url" else (200, {"ok": False, "error": refused})
            else:
                status, payload = self._ok(method, params)
            call.ok = not refused and (not isinstance(payload, dict) or payload.get("ok", True))
            call.status, call.response = status, payload
            self._calls.append(call)
        return status, payload, {}

    def _limited(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> float:
        """0 if the call is inside the limits (and counted), else the seconds until it would be."""
        limits = self.limits
        if limits is None:
            return 0.0
        workspace = headers.get("authorization") or str(params.get("token", ""))
        buckets = []
        per_channel = limits.per_channel.get(method)
        if per_channel is not None:
            buckets.append((f"{workspace}|{method}|{params.get('channel', '')}", per_channel.rate * limits.scale,
                            per_channel.burst))
        per_workspace = limits.per_workspace.get(method)
        if per_workspace is not None:
            buckets.append((f"{workspace}|{method}", per_workspace.rate * limits.scale, per_workspace.burst))
        return self._buckets.take(buckets) if buckets else 0.0

    def _refused(self, method: str, params: dict[str, Any]) -> str:
        """The Slack error for a message or view Slack would refuse for its size, else ""."""
        def texts(node: Any) -> int:
            if isinstance(node, dict):
                return sum((_units(v) if k == "text" and isinstance(v, str) else texts(v)) for k, v in node.items())
            if isinstance(node, list):
                return sum(texts(v) for v in node)
            return 0

        def decoded(value: Any) -> Any:
            return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

        if method in ("chat.postMessage", "chat.postEphemeral", "response_url") and self.block_text_max is not None:
            if texts(decoded(params.get("blocks"))) > self.block_text_max:
                return "msg_blocks_too_long"
        if method in ("views.open", "views.update", "views.push"):
            view = decoded(params.get("view")) or {}
            if view.get("type") == "modal" and any(
                    _units((view.get(k) or {}).get("text", "")) > 24 for k in ("title", "submit", "close")):
                return "invalid_arguments"
        return ""

    def _retry_after(self, wait: float) -> float:
        """Slack says Retry-After in whole seconds (of its own clock, so scaled)."""
        scale = self.limits.scale if self.limits else 1.0
        return max(1, math.ceil(wait * scale - 1e-9)) / scale

    def _pick_fault(self, method: str) -> Fault | None:
        for f in self._faults:
            if f.applies(method) and (f.rate >= 1.0 or self._rng.random() < f.rate):
                if f.remaining is not None:
                    f.remaining -= 1
                return f
        return None

    def _next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _ok(self, method: str, p: dict[str, Any]) -> tuple[int, Any]:
        if method == "response_url":
            return 200, b"ok"
        if method == "upload":
            return 200, b"OK - uploaded"
        if method == "auth.test":
            return 200, {"ok": True, "url": "https://fake.slack.test/", "team": "Fake", "user": "sensebot",
                         "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id}
        if method == "chat.postMessage":
            ts = self._next_ts()
            return 200, {"ok": True, "channel": p.get("channel", ""), "ts": ts,
                         "message": {"ts": ts, "text": p.get("text", ""), "bot_id": self.bot_id}}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": self._next_ts()}
        if method == "conversations.open":
            users = str(p.get("users", ""))
            return 200, {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("U")}}
        if method == "users.info":
            uid = str(p.get("user", ""))
            info = self.users.get(uid, {})
            name = info.get("name", uid.lower())
            return 200, {"ok": True, "user": {
                "id": uid, "team_id": self.team_id, "name": name, "real_name": info.get("real_name", name.capitalize()),
                "is_admin": bool(info.get("is_admin", False)), "is_owner": bool(info.get("is_owner", False)),
                "is_bot": False, **({"tz": info["tz"]} if "tz" in info else {}), "profile": {"display_name": info.get("display_name", ""),
                                             "real_name": info.get("real_name", name.capitalize())}}}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            self._files += 1
            return 200, {"ok": True, "view": {"id": f"V{self._files:04d}"}}
        if method == "files.getUploadURLExternal":
            self._files += 1
            fid = f"F{self._files:04d}"
            return 200, {"ok": True, "upload_url": f"{self.root}upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            files = p.get("files")
            files = json.loads(files) if isinstance(files, str) else (files or [])
            return 200, {"ok": True, "files": [{"id": f.get("id"), "title": f.get("title", "")} for f in files]}
        if method == "oauth.v2.access":
            return 200, {"ok": True, "app_id": "A0FAKE", "access_token": self.install_token, "token_type": "bot",
                         "scope": "commands,chat:write", "bot_user_id": self.bot_user_id,
                         "team": {"id": "T2", "name": "Installed"}, "enterprise": None,
                         "is_enterprise_install": False, "authed_user": {"id": "UINSTALLER"}}
        return 200, {"ok": True}


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _default_error(status: int) -> str:
    return {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}.get(status, "fatal_error")


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)
