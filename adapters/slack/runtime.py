"""The Slack side of a process (`SlackRuntime`) and `sensebot slack`.

The runtime builds the bolt app, the `SlackPort` the outbox delivers through (both sharing one
DM-channel cache), and serves Socket Mode or HTTP (waitress). Its `wsgi` attribute is the public
WSGI callable of Slack's endpoints; `web=` mounts another WSGI app (the web home) beside them.
With `workers=N` the work after each ack runs in N worker processes (`adapters/slack/workers.py`),
so this process only acknowledges; with 0 it runs here, on threads.
"""
from __future__ import annotations

import logging
import os
import re
import signal
import sys
import threading
from concurrent.futures import Executor

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from adapters.slack.directory import DmChannels
from adapters.slack.http import EVENTS_PATH, WSGIApp, db_ok, make_wsgi
from adapters.slack.listeners import build_bolt_app
from adapters.slack.logs import install_log_redaction
from adapters.slack.port import SlackPort, api_url
from adapters.slack.workers import WorkerPool
from bot.app import App, build
from bot.config import ConfigError, Settings

log = logging.getLogger(__name__)

ACK_SWITCH_INTERVAL = 0.001  # seconds
HTTP_THREADS = 8


class SlackRuntime:
    """The Slack side of a process: the bolt app, its `SlackPort`, and Socket Mode or the HTTP server."""

    def __init__(self, app: App, socket_mode: bool, *, port: int | None = None, host: str = "0.0.0.0",
                 listener_executor: Executor | None = None, view_executor: Executor | None = None,
                 token_verification: bool = True, web: WSGIApp | None = None, workers: int = 0):
        self.app = app
        self.settings = app.settings
        self.socket_mode = socket_mode
        self.host = host
        self.http_port = port if port is not None else int(os.environ.get("PORT") or 3000)
        install_log_redaction()
        self.dms = DmChannels()
        self.pool = WorkerPool(self.settings, workers, command_prefix=app.practice.prefix) if workers > 0 else None
        try:
            self.bolt = build_bolt_app(app, self.settings, dms=self.dms, listener_executor=listener_executor,
                                       view_executor=view_executor, token_verification=token_verification,
                                       handoff=self.pool)
        except BoltError as exc:
            raise ConfigError([f"Slack refused SLACK_BOT_TOKEN ({_bolt_reason(exc)}) — copy the Bot User OAuth Token "
                               "(xoxb-...) again from your app's OAuth & Permissions page."]) from None
        except (SlackClientError, OSError) as exc:
            raise ConfigError([f"Slack could not be reached at {api_url(self.settings.slack_api_url)} "
                               f"({type(exc).__name__}) — check the network or SLACK_API_URL."]) from None
        # With OAuth, every workspace uses its own installation's token: SLACK_BOT_TOKEN is not a fallback
        oauth = self.bolt.installation_store is not None
        self.port = SlackPort(token="" if oauth else self.settings.slack_bot_token,
                              installation_store=self.bolt.installation_store,
                              base_url=self.settings.slack_api_url, dms=self.dms)
        database = db_ok(app)
        pool = self.pool
        self.wsgi = make_wsgi(self.bolt, signing_secret=self.settings.slack_signing_secret or None,
                              health=(lambda: database() and pool.alive()) if pool is not None else database,
                              fallback=web)
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
        if self.pool is not None:
            self.pool.start()
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
        self.server = server = create_server(self.wsgi, host=self.host, port=self.http_port, threads=HTTP_THREADS,
                                             ident="sensebot")
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
        if self.pool is not None:
            self.pool.stop()


def _bolt_reason(exc: BoltError) -> str:
    match = re.search(r"'error': '([a-z_]+)'", str(exc))
    return match.group(1) if match else "auth.test failed"


def main(settings: Settings, http: bool, port: int) -> int:
    """`sensebot slack [--http --port N]`: the Slack adapter, the scheduler and outbox delivery."""
    from bot.outbox import Dispatcher, DispatchLoop
    from bot.scheduler import Scheduler

    settings.require_slack(socket_mode=not http)
    app = build(settings, command_prefix="/sensebot ")
    runtime = SlackRuntime(app, socket_mode=not http, port=port, workers=settings.slack_workers)
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
