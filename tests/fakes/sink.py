"""A tiny fake platform on loopback for delivery tests: records every message it accepts and
injects faults — 429 with Retry-After, 500, connection resets, hangs — at a set rate.

A faulted request is never recorded, as a platform that failed would not have posted it;
so "delivered exactly once" means each message id appears exactly once in `received`.
"""
from __future__ import annotations

import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler

from bot.messages import Message
from bot.ports import DeliveryError
from tests.fakes.server import FakeServer


class Sink:
    def __init__(self, fault_rate: float = 0.0, seed: int = 1, latency: float = 0.0, hang: float = 2.0):
        self.fault_rate, self.latency, self.hang = fault_rate, latency, hang
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.received: list[str] = []
        self.faults: Counter = Counter()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with sink.lock:
                    roll = sink.rng.random()
                    kind = sink.rng.choice(["429", "500", "reset", "hang"]) if roll < sink.fault_rate else "ok"
                    sink.faults[kind] += 1
                if kind == "429":
                    return self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0.05"})
                if kind == "500":
                    return self._send(500, {"ok": False, "error": "internal_error"})
                if kind == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    return
                if kind == "hang":
                    time.sleep(sink.hang)
                    return
                if sink.latency:
                    time.sleep(sink.latency)
                data = json.loads(body)
                with sink.lock:
                    sink.received.append(data["id"])
                    ref = f"m{len(sink.received)}"
                self._send(200, {"ok": True, "ts": ref})

            def _send(self, status, payload, headers=None):
                out = json.dumps(payload).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = FakeServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/post"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Sink:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def counts(self) -> Counter:
        with self.lock:
            return Counter(self.received)


class SinkPort:
    """A ChatPort that posts JSON to a Sink; the message title carries the id to count."""

    platform = "test"

    def __init__(self, url: str, timeout: float = 0.5):
        self.url, self.timeout = url, timeout

    def post(self, workspace_id: str, channel_id: str, message: Message, thread_ref: str | None = None) -> str:
        body = json.dumps({"id": message.title, "channel": channel_id}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return json.loads(resp.read())["ts"]
        except urllib.error.HTTPError as exc:
            if exc.code == 429:
                raise DeliveryError("ratelimited", retry_after=float(exc.headers.get("Retry-After", "1"))) from None
            raise DeliveryError(f"http {exc.code}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"network: {type(exc).__name__}") from None

    def direct(self, workspace_id: str, user_id: str, message: Message) -> str:
        return self.post(workspace_id, user_id, message)
