"""The two things the core needs from the outside world, as protocols."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.messages import Message


@dataclass(frozen=True)
class Delivered:
    """How much of a message a platform already shows, when it had to be sent as several posts and a
    later one failed: the first `parts` posts went out, and `ref` is the first one's reference. The
    outbox keeps it on the row and hands it back to the port on the retry, which resumes after them."""

    parts: int
    ref: str


class DeliveryError(Exception):
    """A platform refused a message.

    `permanent` errors (channel not found, blocked DMs, invalid auth) are not
    retried; others are, after `retry_after` seconds when the platform said so.
    `delivered` says which parts of a multi-post message went out before the failure.
    """

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None,
                 delivered: Delivered | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.delivered = delivered


class ChatPort(Protocol):
    """Delivers outbound messages to one platform; returns the platform's message reference.

    A port that sends one message as several posts may also accept `resume: Delivered` (keyword) on
    `post` and `direct`: the outbox passes it only when an earlier attempt reported delivered parts.
    """

    platform: str

    def post(self, workspace_id: str, channel_id: str, message: Message, thread_ref: str | None = None) -> str: ...

    def direct(self, workspace_id: str, user_id: str, message: Message) -> str: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...
