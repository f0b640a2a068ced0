"""The Slack adapter: bolt listeners, the WSGI host app, and `sensebot slack`.

Every listener acknowledges first (Slack's 3-second deadline), then translates the payload,
calls the core and shows the neutral `Reply`: a form becomes a modal opened at once with the
interaction's trigger id, private messages go to the person only (response_url, an ephemeral
message or a DM), an attachment is uploaded to their DM. No practice rule lives here.

Served over HTTP by waitress (`make_wsgi`: /slack/events, /slack/install,
/slack/oauth_redirect, /healthz), or over Socket Mode.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import logging
import os
import re
import signal
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from slack_bolt import App as BoltApp
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request.internals import parse_body
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.webhook import WebhookClient

from adapters.slack import render, translate
from adapters.slack.port import SlackPort, api_url, delivery_error
from adapters.slack.translate import AppRemoved, HomeOpened, Malformed, Origin
from bot.app import App, build
from bot.config import ConfigError, Settings
from bot.events import Command, DirectMessage, Who
from bot.messages import Attachment, Form, Message, Reply
from bot.practice import ADMIN_COMMANDS, Practice

log = logging.getLogger(__name__)

MANIFEST = Path(__file__).with_name("manifest.yaml")
EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, HEALTH_PATH = "/slack/events", "/slack/install", "/slack/oauth_redirect", "/healthz"
MAX_BODY = 2 * 1024 * 1024
NAME_TTL = 3600.0
OAUTH_STATE_SECONDS = 600


# ---------------------------------------------------------------------------- secrets stay out of logs


class SlackTokenFilter(logging.Filter):
    """Redacts anything shaped like a Slack token (xoxb-, xoxp-, xapp-...) from log records.

    Settings' secrets are already redacted by bot.config; this also catches tokens that were
    never in the environment, such as the bot tokens of OAuth installs (slack_sdk logs API
    answers at DEBUG, and oauth.v2.access answers with the new token).
    """

    PATTERN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:
            return True
        if self.PATTERN.search(msg):
            record.msg, record.args = self.PATTERN.sub(r"\1-***", msg), None
        return True


def install_log_redaction(handlers: Iterable[logging.Handler] | None = None) -> None:
    """Add the token filter to every root handler (idempotent)."""
    for h in handlers if handlers is not None else logging.getLogger().handlers:
        if not any(isinstance(f, SlackTokenFilter) for f in h.filters):
            h.addFilter(SlackTokenFilter())


# ---------------------------------------------------------------------------- installs


def manifest_scopes() -> list[str]:
    """The bot scopes of the shipped manifest: the OAuth install asks for exactly these."""
    data = yaml.safe_load(MANIFEST.read_text())
    return list(data["oauth_config"]["scopes"]["bot"])


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
    return OAuthSettings(
        client_id=settings.slack_client_id, client_secret=settings.slack_client_secret, scopes=manifest_scopes(),
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH, installation_store=installations,
        installation_store_bot_only=True, state_store=states, state_expiration_seconds=OAUTH_STATE_SECONDS,
    )


# ---------------------------------------------------------------------------- people

FAILURES = (SlackClientError, OSError)  # SlackApiError is a SlackClientError


def _why(exc: Exception) -> str:
    """A failure as a short reason for the log (a Slack error code, never a token)."""
    return delivery_error(exc).reason


class Recent:
    """A bounded, thread-safe map that forgets its oldest entries."""

    def __init__(self, size: int = 10_000):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            return self._items.get(key)

    def put(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def add(self, key) -> bool:
        """Remember `key`; False if it was already there."""
        with self._lock:
            if key in self._items:
                return False
            self._items[key] = True
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return True


class Directory:
    """Display names (users.info, cached for an hour) and the admin check (asked afresh every time)."""

    def __init__(self, ttl: float = NAME_TTL):
        self.ttl = ttl
        self._names = Recent()  # (team, user) -> (looked up at, display name)

    def _lookup(self, client: WebClient, who: Who) -> dict:
        try:
            user = client.users_info(user=who.user_id).get("user")
        except FAILURES as exc:
            log.info("users.info for %s failed: %s", who.user_id, _why(exc))
            return {}
        user = user if isinstance(user, dict) else {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name") or ""
        self._names.put((who.workspace_id, who.user_id), (time.monotonic(), str(name)))
        return user

    def _cached(self, who: Who) -> Who:
        hit = self._names.get((who.workspace_id, who.user_id))
        return replace(who, display_name=hit[1]) if hit and hit[1] else who

    def named(self, client: WebClient, who: Who) -> Who:
        hit = self._names.get((who.workspace_id, who.user_id))
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            self._lookup(client, who)
        return self._cached(who)

    def with_admin(self, client: WebClient, who: Who) -> Who:
        """Who, named, with is_admin from a fresh users.info: a workspace admin or owner."""
        user = self._lookup(client, who)
        return replace(self._cached(who), is_admin=bool(user.get("is_admin") or user.get("is_owner")
                                                        or user.get("is_primary_owner")))


# ---------------------------------------------------------------------------- showing a reply


class Replier:
    """Shows the core's Reply to the person who acted, where they acted."""

    def __init__(self, timeout: int = 10):
        self.timeout = timeout
        self._dms = Recent()  # (team, user) -> their DM channel with the bot, which never changes

    def show(self, client: WebClient, who: Who, origin: Origin, reply: Reply) -> None:
        if reply.form is not None:
            self.open_form(client, who, origin, reply.form)
        for message in reply.messages:
            self.say(client, who, origin, message, public=not reply.private)
        if reply.attachment is not None:
            self.upload(client, who, reply.attachment)

    def open_form(self, client: WebClient, who: Who, origin: Origin, form: Form) -> None:
        if not origin.trigger_id:
            self.say(client, who, origin, Message("Use the button", f"Open “{form.title}” with a button or a /sensebot command."))
            return
        view = render.modal(form, {"_channel": origin.channel_id, "_thread": origin.thread_ts})
        try:
            client.views_open(trigger_id=origin.trigger_id, view=view)
        except FAILURES as exc:
            log.warning("views.open for %s failed: %s", who.user_id, _why(exc))
            self.say(client, who, origin, Message("The form didn't open",
                                                  "Slack took too long or refused it — press the button again."))

    def say(self, client: WebClient, who: Who, origin: Origin, message: Message, public: bool = False) -> None:
        """response_url if there is one; else the DM it came from, the channel (public) or an ephemeral; else a DM."""
        args = render.post_args(message)
        if origin.response_url and self._respond(origin.response_url, args, public):
            return
        thread = {"thread_ts": origin.thread_ts} if origin.thread_ts else {}
        try:
            if origin.channel_id and (origin.is_dm or public):
                client.chat_postMessage(channel=origin.channel_id, unfurl_links=False, unfurl_media=False, **thread, **args)
                return
            if origin.channel_id:
                client.chat_postEphemeral(channel=origin.channel_id, user=who.user_id, **thread, **args)
                return
        except FAILURES as exc:
            log.info("reply to %s in %s failed (%s); sending it as a DM", who.user_id, origin.channel_id, _why(exc))
        channel = self._dm_channel(client, who)
        if channel is not None:
            try:
                client.chat_postMessage(channel=channel, unfurl_links=False, unfurl_media=False, **args)
            except FAILURES as exc:
                log.warning("DM to %s failed: %s", who.user_id, _why(exc))

    def _respond(self, url: str, args: dict, public: bool) -> bool:
        try:
            resp = WebhookClient(url, timeout=self.timeout).send(
                response_type="in_channel" if public else "ephemeral", replace_original=False,
                unfurl_links=False, unfurl_media=False, **args)
        except (*FAILURES, ValueError) as exc:
            log.info("response_url failed: %s", type(exc).__name__)
            return False
        if resp.status_code != 200:
            log.info("response_url answered HTTP %s", resp.status_code)
        return resp.status_code == 200

    def _dm_channel(self, client: WebClient, who: Who) -> str | None:
        key = (who.workspace_id, who.user_id)
        channel = self._dms.get(key)
        if channel is None:
            try:
                channel = str(client.conversations_open(users=who.user_id)["channel"]["id"])
            except (*FAILURES, KeyError, TypeError) as exc:
                log.warning("conversations.open for %s failed: %s", who.user_id, _why(exc))
                return None
            self._dms.put(key, channel)
        return channel

    def upload(self, client: WebClient, who: Who, attachment: Attachment) -> None:
        channel = self._dm_channel(client, who)
        if channel is None:
            return
        try:
            client.files_upload_v2(channel=channel, content=attachment.content, filename=attachment.filename,
                                   title=attachment.filename)
        except FAILURES as exc:
            log.warning("file upload to %s failed: %s", who.user_id, _why(exc))


# ---------------------------------------------------------------------------- the bolt app


class Listeners:
    """The bolt listeners: ack, translate, call the core, show the reply."""

    def __init__(self, practice: Practice, installation_store: InstallationStore | None, work: Executor | None = None):
        self.practice = practice
        self.work = work or ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="slack-work")
        self.installation_store = installation_store
        self.directory = Directory()
        self.replier = Replier()
        self.dms_seen = Recent()  # event ids of DMs handled (the core dedupes thread replies itself)

    def _translate(self, body: dict) -> tuple[Any, Origin]:
        try:
            return translate.payload(body), translate.origin(body)
        except Malformed as exc:
            log.info("ignored a malformed Slack %s payload: %s", translate.kind(body) or "unknown", exc)
            return None, Origin()

    def _run(self, body: dict, client: WebClient) -> None:
        event, origin = self._translate(body)
        if event is None:
            return
        event_id = body.get("event_id")
        if isinstance(event, DirectMessage) and event_id and not self.dms_seen.add(event_id):
            return  # Slack delivered this DM again
        if isinstance(event, Command) and event.name.lower() in ADMIN_COMMANDS:
            who = self.directory.with_admin(client, event.who)
        else:
            who = self.directory.named(client, event.who)
        reply = self.practice.handle(replace(event, who=who))
        self.replier.show(client, who, origin, reply)

    def acked(self, ack, body, client) -> None:
        """A slash command, button press or modal submission: ack at once (a modal closes), then hand
        the work to the work executor, so this listener thread is free again and the threads that
        acknowledge are not competing with a crowd of threads doing work (Slack wants acks in 3 s;
        the reply can follow through response_url for 30 minutes)."""
        ack()
        self.work.submit(self._work, body, client)

    def _work(self, body: dict, client: WebClient) -> None:
        try:
            self._run(body, client)
        except Exception:  # noqa: BLE001 - a worker thread has nobody else to tell
            log.exception("Slack %s: handling failed after the ack", translate.kind(body) or "request")

    def message(self, body, client, request) -> None:
        retry = (request.headers.get("x-slack-retry-num") or [""])[0]
        if retry:
            log.info("Slack retry %s of event %s", retry, body.get("event_id"))
        self.work.submit(self._work, body, client)

    def home(self, body, client) -> None:
        self.work.submit(self._home, body, client)

    def _home(self, body, client) -> None:
        opened, _ = self._translate(body)
        if not isinstance(opened, HomeOpened):
            return
        who = self.directory.named(client, opened.who)
        try:
            client.views_publish(user_id=who.user_id, view=render.home(self.practice.home(who)))
        except FAILURES as exc:
            log.warning("views.publish for %s failed: %s", who.user_id, _why(exc))

    def removed(self, body) -> None:
        gone, _ = self._translate(body)
        if not isinstance(gone, AppRemoved):
            return
        log.info("Slack workspace %s: %s", gone.workspace_id, gone.reason)
        self.practice.team_removed("slack", gone.workspace_id)
        if self.installation_store is not None:
            enterprise = gone.enterprise_id or None
            if gone.reason == "app_uninstalled":
                self.installation_store.delete_all(enterprise_id=enterprise, team_id=gone.workspace_id)
            else:
                self.installation_store.delete_bot(enterprise_id=enterprise, team_id=gone.workspace_id)

    def error(self, error, body) -> None:
        log.error("Slack %s listener failed: %s", translate.kind(body) if isinstance(body, dict) else "?",
                  type(error).__name__, exc_info=error)


ACK_SWITCH_INTERVAL = 0.001  # seconds
WORK_THREADS = 2  # the core is CPU- and database-bound under the GIL: more threads only slow the acks


def build_bolt_app(app: App, settings: Settings, *, listener_executor: Executor | None = None,
                   token_verification: bool = True) -> BoltApp:
    """The bolt App with sensebot's listeners (the test seam: `bolt.dispatch(BoltRequest(...))`)."""
    oauth = oauth_settings(app, settings)
    # single workspace: the token rides on the client (bolt takes it from there); OAuth: per-team tokens
    token = settings.slack_bot_token if oauth is None and settings.slack_bot_token else None
    client = WebClient(token=token, base_url=api_url(settings.slack_api_url), timeout=10)
    kwargs: dict[str, Any] = dict(
        signing_secret=settings.slack_signing_secret or "", client=client, token_verification_enabled=token_verification,
        listener_executor=listener_executor or ThreadPoolExecutor(max_workers=10, thread_name_prefix="slack"),
        raise_error_for_unhandled_request=False, name="sensebot",
        # Listeners run in the request's own thread and only ack and queue the work (`Listeners.work`):
        # no hand-off to a listener thread and no polling for the ack before the answer goes out.
        process_before_response=True,
    )
    if oauth is not None:
        kwargs.update(oauth_settings=oauth, installation_store_bot_only=True)
    bolt = BoltApp(**kwargs)
    # With an injected executor (the tests' inline one) the work runs on it too, in order.
    on = Listeners(app.practice, bolt.installation_store, work=listener_executor)
    bolt.command(re.compile(r".*"))(on.acked)
    bolt.action(re.compile(r".*"))(on.acked)
    bolt.view_submission(re.compile(r".*"))(on.acked)
    bolt.event("message")(on.message)
    bolt.event("app_home_opened")(on.home)
    bolt.event("app_uninstalled")(on.removed)
    bolt.event("tokens_revoked")(on.removed)
    bolt.error(on.error)
    return bolt


# ---------------------------------------------------------------------------- HTTP


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
        if abs((now if now is not None else time.time()) - int(timestamp)) > 60 * 5:
            return False
    except ValueError:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature or "")


def make_wsgi(bolt: BoltApp, *, signing_secret: str | None = None,
              health: Callable[[], bool] | None = None) -> Callable:
    """The WSGI app: POST /slack/events (signed), GET /slack/install and /slack/oauth_redirect, GET /healthz.

    An unreadable body gets 400 (401 if its signature is wrong too); an error never stops the server.
    """
    handler = SlackRequestHandler(bolt, path=EVENTS_PATH)

    def wsgi(environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
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


def _db_ok(app: App) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with app.db.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False
    return check


# ---------------------------------------------------------------------------- runtime


class SlackRuntime:
    """The Slack side of a process: the bolt app, its `SlackPort`, and Socket Mode or the HTTP server."""

    def __init__(self, app: App, socket_mode: bool, *, port: int | None = None, host: str = "0.0.0.0",
                 listener_executor: Executor | None = None, token_verification: bool = True):
        self.app = app
        self.settings = app.settings
        self.socket_mode = socket_mode
        self.host = host
        self.http_port = port if port is not None else int(os.environ.get("PORT") or 3000)
        install_log_redaction()
        try:
            self.bolt = build_bolt_app(app, self.settings, listener_executor=listener_executor,
                                       token_verification=token_verification)
        except BoltError as exc:
            raise ConfigError([f"Slack refused SLACK_BOT_TOKEN ({_bolt_reason(exc)}) — copy the Bot User OAuth Token "
                               "(xoxb-...) again from your app's OAuth & Permissions page."]) from None
        except (SlackClientError, OSError) as exc:
            raise ConfigError([f"Slack could not be reached at {api_url(self.settings.slack_api_url)} "
                               f"({type(exc).__name__}) — check the network or SLACK_API_URL."]) from None
        self.port = SlackPort(token=self.settings.slack_bot_token, installation_store=self.bolt.installation_store,
                              base_url=self.settings.slack_api_url)
        self.wsgi = make_wsgi(self.bolt, signing_secret=self.settings.slack_signing_secret or None, health=_db_ok(app))
        self.server = None
        self.socket_handler = None
        self.thread: threading.Thread | None = None

    def serve(self) -> None:
        """Serve in this thread until stopped."""
        self._start(background=False)

    def start_background(self) -> None:
        """Start Socket Mode, or the HTTP server in a daemon thread, and return."""
        self._start(background=True)

    def _start(self, background: bool) -> None:
        if self.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler
            log.info("Slack: Socket Mode")
            self.socket_handler = SocketModeHandler(self.bolt, self.settings.slack_app_token)
            if background:
                self.socket_handler.connect()
            else:
                self.socket_handler.start()
            return
        from waitress.server import create_server
        # Acks wait for the GIL behind threads doing the queued work; a shorter switch interval
        # (5 ms by default) lets the acknowledging threads in sooner. Throughput barely changes.
        sys.setswitchinterval(ACK_SWITCH_INTERVAL)
        self.server = server = create_server(self.wsgi, host=self.host, port=self.http_port, threads=8, ident="sensebot")
        log.info("Slack: serving %s on %s:%s", EVENTS_PATH, self.host, server.effective_port)
        if background:
            self.thread = threading.Thread(target=server.run, name="slack-http", daemon=True)
            self.thread.start()
        else:
            server.run()

    @property
    def bound_port(self) -> int | None:
        return self.server.effective_port if self.server is not None else None

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            if self.thread is not None and self.thread.is_alive():
                # close everything from inside waitress's own loop, which then ends
                from waitress import wasyncore

                def close_all() -> None:
                    server.task_dispatcher.shutdown()
                    wasyncore.close_all(server._map)
                server.trigger.pull_trigger(close_all)
                self.thread.join(timeout=5)
            else:
                server.close()
        if self.socket_handler is not None:
            self.socket_handler.close()
            self.socket_handler = None


def _bolt_reason(exc: BoltError) -> str:
    match = re.search(r"'error': '([a-z_]+)'", str(exc))
    return match.group(1) if match else "auth.test failed"


def main(settings: Settings, http: bool, port: int) -> int:
    """`sensebot slack [--http --port N]`: the Slack adapter, the scheduler and outbox delivery."""
    from bot.outbox import Dispatcher
    from bot.outbox import DispatchLoop
    from bot.scheduler import Scheduler

    settings.require_slack(socket_mode=not http)
    app = build(settings, command_prefix="/sensebot ")
    runtime = SlackRuntime(app, socket_mode=not http, port=port)
    scheduler = Scheduler(app.practice)
    loop = DispatchLoop(Dispatcher(app.db, app.practice.clock, {"slack": runtime.port}), settings.dispatch_seconds)

    def stop(*_):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    scheduler.start()
    loop.start()
    try:
        runtime.serve()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        runtime.stop()
        loop.stop()
        scheduler.shutdown()
    return 0
