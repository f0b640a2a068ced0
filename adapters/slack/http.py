"""Slack's HTTP endpoints as one WSGI callable: `make_wsgi`.

POST /slack/events (signed), GET /slack/install and /slack/oauth_redirect (OAuth installs) and
GET /healthz. Every other path goes to `fallback` — the web home (a Flask app or any WSGI
callable) served by the same server beside Slack's endpoints — or is a 404. An unreadable body
gets 400 (401 if its signature is wrong too); an error never stops the server.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import logging
import time
from collections.abc import Callable

from slack_bolt import App as BoltApp
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body

from adapters.slack import translate
from adapters.slack.oauth import INSTALL_PATH, REDIRECT_PATH
from bot.app import App

log = logging.getLogger(__name__)

EVENTS_PATH, HEALTH_PATH = "/slack/events", "/healthz"
SLACK_PATHS = (EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, HEALTH_PATH)
MAX_BODY = 2 * 1024 * 1024
SIGNATURE_MAX_AGE = 60 * 5

WSGIApp = Callable  # (environ, start_response) -> Iterable[bytes]


def _text(start_response, status: str, body: str, headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data))),
                            *(headers or [])])
    return [data]


def parse(raw: bytes, content_type: str) -> dict | None:
    """The body exactly as bolt will read it; None if bolt could not (not UTF-8, bad JSON, not an object)."""
    try:
        data = parse_body(raw.decode("utf-8"), content_type.split(";")[0] or None)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return None
    return data if isinstance(data, dict) else None


def signed(secret: str, raw: bytes, timestamp: str, signature: str, now: float | None = None) -> bool:
    """Slack's signature check over the raw bytes (works for bodies that are not even UTF-8)."""
    try:
        if abs((now if now is not None else time.time()) - int(timestamp)) > SIGNATURE_MAX_AGE:
            return False
    except ValueError:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature or "")


def make_wsgi(bolt: BoltApp, *, signing_secret: str | None = None, health: Callable[[], bool] | None = None,
              fallback: WSGIApp | None = None) -> WSGIApp:
    """The WSGI app of Slack's endpoints; paths that aren't Slack's go to `fallback` (the web home)."""
    handler = SlackRequestHandler(bolt, path=EVENTS_PATH)

    def wsgi(environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path not in SLACK_PATHS and fallback is not None:
            return fallback(environ, start_response)
        try:
            if path == HEALTH_PATH:
                if method not in ("GET", "HEAD"):
                    return _text(start_response, "405 Method Not Allowed", "GET only\n", [("Allow", "GET, HEAD")])
                ok = health() if health is not None else True
                if not ok:
                    return _text(start_response, "503 Service Unavailable", "database unavailable\n")
                return _text(start_response, "200 OK", "ok\n")
            if path == EVENTS_PATH:
                if method != "POST":
                    return _text(start_response, "405 Method Not Allowed", "POST only\n", [("Allow", "POST")])
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    return _text(start_response, "400 Bad Request", "bad Content-Length\n")
                if length < 0 or length > MAX_BODY:
                    return _text(start_response, "413 Payload Too Large", "too large\n")
                raw = environ["wsgi.input"].read(length) if length else b""
                environ["wsgi.input"] = io.BytesIO(raw)
                body = parse(raw, environ.get("CONTENT_TYPE") or "")
                if body is None or not translate.well_formed(body):
                    ok = not signing_secret or signed(signing_secret, raw, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                                                      environ.get("HTTP_X_SLACK_SIGNATURE", ""))
                    return _text(start_response, "400 Bad Request" if ok else "401 Unauthorized",
                                 "unreadable request\n" if ok else "invalid request\n")
                return handler(environ, start_response)
            if path in (INSTALL_PATH, REDIRECT_PATH) and bolt.oauth_flow is not None and method == "GET":
                return handler(environ, start_response)
            return _text(start_response, "404 Not Found", "not found\n")
        except Exception:
            log.exception("Slack HTTP request to %s failed", path)
            return _text(start_response, "500 Internal Server Error", "error\n")

    return wsgi


def db_ok(app: App) -> Callable[[], bool]:
    """/healthz's check: can the database answer a trivial query?"""
    def check() -> bool:
        try:
            with app.db.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False
    return check
