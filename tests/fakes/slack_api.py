"""A fake Slack Web API on loopback, for adapter tests and delivery at scale.

`FakeSlack().start()` serves `http://127.0.0.1:<random port>/api/<method>` and answers the way
Slack does (`{"ok": true, ...}`), recording every call: its method (from the path), its
parameters (form-encoded or JSON body), its headers and what was answered. `url` is the
WebClient `base_url` (it ends with '/'). Faults are injected per method, for the next N
calls (`fail_next`) or at a rate (`fail_rate`): HTTP 429 with Retry-After, HTTP 500, or a
Slack error such as `channel_not_found` (HTTP 200, `ok: false`).

Besides `/api/`, it takes `response_url` posts (`/response/...`, recorded as the method
"response_url") and file uploads (`/upload/...`, recorded as "upload"), so bolt's
`respond()` and `files_upload_v2` stay on the machine too.
"""
from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


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


@dataclass
class FakeSlack:
    """Start with `start()`, stop with `stop()`; read what happened with `calls(method)`."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    team_id: str = "T1"
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    install_token: str = "xoxb-installed-by-oauth-0000"
    seed: int = 1

    def __post_init__(self):
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._faults: list[Fault] = []
        self._ts = 1_795_000_000_000_100
        self._files = 0
        self._rng = random.Random(self.seed)
        self.server: ThreadingHTTPServer | None = None
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

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
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
        call = Call(method, params, headers, parts.path, raw=body)
        with self._lock:
            fault = self._pick_fault(method)
            if fault is not None:
                call.status, call.ok = fault.status, False
                call.response = {"ok": False, "error": fault.error}
                self._calls.append(call)
                extra = {"Retry-After": _fmt(fault.retry_after)} if fault.retry_after is not None else {}
                return fault.status, call.response, extra
            status, payload = self._ok(method, params)
            call.ok = not isinstance(payload, dict) or payload.get("ok", True)
            call.status, call.response = status, payload
            self._calls.append(call)
        return status, payload, {}

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
                "is_bot": False, "profile": {"display_name": info.get("display_name", ""),
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


def _default_error(status: int) -> str:
    return {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}.get(status, "fatal_error")


def _fmt(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)
