"""`sensebot run`: the scheduler, the outbox dispatcher and every configured adapter in one process."""
from __future__ import annotations

import logging
import signal
import threading

from bot.app import App
from bot.config import ConfigError
from bot.outbox import Dispatcher
from bot.ports import ChatPort
from bot.scheduler import Scheduler

log = logging.getLogger(__name__)


class DispatchLoop:
    """Drains the outbox every `interval` seconds on a background thread until stopped."""

    def __init__(self, dispatcher: Dispatcher, interval: float):
        self.dispatcher = dispatcher
        self.interval = interval
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="outbox", daemon=True)

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                sent = self.dispatcher.drain()
            except Exception:
                log.exception("outbox drain failed; retrying")
                sent = 0
            if not sent:
                self.stop_event.wait(self.interval)

    def start(self) -> DispatchLoop:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(timeout=5)


def run_all(app: App, adapters: list[str] | None = None) -> int:
    s = app.settings
    wanted = set(adapters or ("slack", "discord", "scheduler"))
    ports: dict[str, ChatPort] = {}
    starters = []
    if "slack" in wanted and (s.slack_bot_token or s.slack_client_id):
        from adapters.slack.app import SlackRuntime
        rt = SlackRuntime(app, socket_mode=bool(s.slack_app_token))
        ports["slack"] = rt.port
        starters.append(rt.start_background)
    if "discord" in wanted and s.discord_token:
        from adapters.discord.client import DiscordRuntime
        rt = DiscordRuntime(app)
        ports["discord"] = rt.port
        starters.append(rt.start_background)
    if not ports:
        raise ConfigError(["Nothing to run: set SLACK_BOT_TOKEN (and SLACK_APP_TOKEN) or DISCORD_TOKEN, "
                           "or try `sensebot console` to practise locally."])
    scheduler = Scheduler(app.practice)
    loop = DispatchLoop(Dispatcher(app.db, app.practice.clock, ports), s.dispatch_seconds)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    scheduler.start()
    loop.start()
    for start in starters:
        start()
    log.info("sensebot running: %s", ", ".join(sorted(ports)))
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    loop.stop()
    scheduler.shutdown()
    return 0
