"""Pacing outbound messages to a platform's rate limits, so the outbox rarely sees a 429.

Each message is subject to a few token buckets the adapter names (per channel, per
workspace, global...). `Pacer.acquire` blocks until every bucket has a token, then
takes one from each. When the platform answers 429 with a Retry-After anyway, the
buckets of that message are blocked for that long, so its neighbours wait too.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    key: str
    rate: float  # tokens per second
    burst: int = 1
    cost: float = 1.0  # tokens this send takes: more when it makes several requests (open a DM, then post)


class Pacer:
    def __init__(self, now: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.now, self.sleep = now, sleep
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._blocked: dict[str, float] = {}

    def _level(self, b: Bucket, t: float) -> float:
        tokens, at = self._tokens.get(b.key, (float(b.burst), t))
        return min(float(b.burst), tokens + (t - at) * b.rate)

    def wait_time(self, buckets: Iterable[Bucket]) -> float:
        t = self.now()
        with self._lock:
            return self._wait(list(buckets), t)

    def _wait(self, buckets: list[Bucket], t: float) -> float:
        wait = 0.0
        for b in buckets:
            wait = max(wait, self._blocked.get(b.key, 0.0) - t)
            level, need = self._level(b, t), min(b.cost, float(b.burst))
            if level < need - 1e-9:  # tolerance: float sums of waits must not leave a sliver to wait for
                wait = max(wait, (need - level) / b.rate)
        return wait

    def acquire(self, buckets: Iterable[Bucket]) -> float:
        """Block until a token is free in every bucket, take them; returns seconds waited."""
        buckets = list(buckets)
        waited = 0.0
        while True:
            with self._lock:
                t = self.now()
                wait = self._wait(buckets, t)
                if wait <= 0:
                    for b in buckets:
                        self._tokens[b.key] = (max(0.0, self._level(b, t) - min(b.cost, float(b.burst))), t)
                    return waited
            self.sleep(wait)
            waited += wait

    def block(self, buckets: Iterable[Bucket], seconds: float) -> None:
        """The platform said to wait: nothing in these buckets goes out for `seconds`."""
        with self._lock:
            until = self.now() + seconds
            for b in buckets:
                self._blocked[b.key] = max(self._blocked.get(b.key, 0.0), until)
