"""The two things the core needs from the outside world, as protocols."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.messages import Message


class DeliveryError(Exception):
    """A platform refused a message.

    `permanent` errors (channel not found, blocked DMs, invalid auth) are not
    retried; others are, after `retry_after` seconds when the platform said so.
    """

    def __init__(self, reason: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class ChatPort(Protocol):
    """Delivers outbound messages to one platform; returns the platform's message reference."""

    platform: str

    def post(self, workspace_id: str, channel_id: str, message: Message, thread_ref: str | None = None) -> str: ...

    def direct(self, workspace_id: str, user_id: str, message: Message) -> str: ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...
