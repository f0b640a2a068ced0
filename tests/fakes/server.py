"""The HTTP server every loopback fake of a platform runs on."""
from __future__ import annotations

from http.server import ThreadingHTTPServer


class FakeServer(ThreadingHTTPServer):
    """A platform accepts whatever arrives at once. socketserver's listen backlog of 5 doesn't: past
    it the kernel drops connection attempts, and each is retried a second later (the SYN timeout),
    which looked like a one-second API call whenever more than a few calls were in flight."""

    request_queue_size = 1024
    daemon_threads = True
