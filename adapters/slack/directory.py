"""What sensebot remembers about Slack people between requests: names, time zones, DM channels.

`Directory` asks users.info (cached for an hour) for a member's display name and time zone
(`tz`, which the core uses for quiet hours unless the member set their own), and asks afresh
for the admin check. `DmChannels` is the one cache of DM channel ids, shared by the replier
(answers to interactions) and `SlackPort` (the outbox): a DM channel's id never changes, and
conversations.open is a tight limit (Tier 3).
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from adapters.slack.port import delivery_error
from bot.events import Who

log = logging.getLogger(__name__)

NAME_TTL = 3600.0
FAILURES = (SlackClientError, OSError)  # SlackApiError is a SlackClientError


def why(exc: Exception) -> str:
    """A failure as a short reason for the log (a Slack error code, never a token)."""
    return delivery_error(exc).reason


class Recent:
    """A bounded, thread-safe map that forgets its oldest entries."""

    def __init__(self, size: int = 10_000):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            return self._items.get(key)

    def __contains__(self, key: Any) -> bool:
        with self._lock:
            return key in self._items

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def add(self, key: Any) -> bool:
        """Remember `key`; False if it was already there."""
        with self._lock:
            if key in self._items:
                return False
            self._items[key] = True
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            return True


class DmChannels(Recent):
    """(workspace, user) -> the member's DM channel with the bot; one instance per process."""


class Directory:
    """Display names and time zones (users.info, cached for an hour); the admin check (asked every time)."""

    def __init__(self, ttl: float = NAME_TTL):
        self.ttl = ttl
        self._people = Recent()  # (team, user) -> (looked up at, display name, tz)

    def _lookup(self, client: WebClient, who: Who) -> dict:
        try:
            user = client.users_info(user=who.user_id).get("user")
        except FAILURES as exc:
            log.info("users.info for %s failed: %s", who.user_id, why(exc))
            return {}
        user = user if isinstance(user, dict) else {}
        profile = user.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name") or ""
        tz = user.get("tz") if isinstance(user.get("tz"), str) else ""
        self._people.put((who.workspace_id, who.user_id), (time.monotonic(), str(name), tz))
        return user

    def _cached(self, who: Who) -> Who:
        hit = self._people.get((who.workspace_id, who.user_id))
        if not hit:
            return who
        return replace(who, display_name=hit[1] or who.display_name, timezone=hit[2] or who.timezone)

    def named(self, client: WebClient, who: Who) -> Who:
        hit = self._people.get((who.workspace_id, who.user_id))
        if hit is None or time.monotonic() - hit[0] > self.ttl:
            self._lookup(client, who)
        return self._cached(who)

    def with_admin(self, client: WebClient, who: Who) -> Who:
        """Who, named, with is_admin from a fresh users.info: a workspace admin or owner."""
        user = self._lookup(client, who)
        return replace(self._cached(who), is_admin=bool(user.get("is_admin") or user.get("is_owner")
                                                        or user.get("is_primary_owner")))
