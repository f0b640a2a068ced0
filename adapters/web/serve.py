"""Serving the web home: one HTTP server (waitress, as for Slack over HTTP) on one port.

With Slack over HTTP, Slack's runtime serves the pages itself: every path that isn't Slack's
goes to them (`adapters.slack.http.make_wsgi`'s fallback), so one port serves both.
"""
from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class WebServer:
    """The pages (alone) on host:port in a waitress server, in this thread or a daemon thread."""

    def __init__(self, wsgi: Callable, host: str, port: int):
        from waitress.server import create_server
        self.server = create_server(wsgi, host=host, port=port, threads=8, ident="sensebot")
        self.thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self.server.effective_port

    def serve(self) -> None:
        self.server.run()

    def start_background(self) -> None:
        self.thread = threading.Thread(target=self.server.run, name="web", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            from waitress import wasyncore

            def close_all() -> None:
                self.server.task_dispatcher.shutdown()
                wasyncore.close_all(self.server._map)
            self.server.trigger.pull_trigger(close_all)
            self.thread.join(timeout=5)
        else:
            self.server.close()
