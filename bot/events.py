"""Inbound events, neutral of any platform.

Adapters translate a platform payload into one of these and hand it to
`Practice.handle`. Every id in here came from the platform and is untrusted:
the core looks it up scoped by the team, so a forged id finds nothing.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Who:
    """Who acted, and in which team (workspace or server)."""

    platform: str
    workspace_id: str
    user_id: str
    display_name: str = ""
    is_admin: bool = False
    channel_id: str = ""
    # True when the workspace id came from the person's side (a button or form in a DM carries the
    # server it was sent for), not from the platform: the core then acts only for an existing team
    # that wasn't removed and a member it already knows there — it never creates or restores one.
    claimed: bool = False
    timezone: str = ""  # the zone the platform knows for the person (Slack's users.info tz), "" if none


@dataclass(frozen=True)
class Command:
    """A slash command: `/sensebot drill design` -> name='drill', args=('design',)."""

    who: Who
    name: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Action:
    """A button press or select choice; `value` is the opaque string we put on it."""

    who: Who
    action: str
    value: str = ""


@dataclass(frozen=True)
class FormSubmitted:
    """A modal or form was submitted; `meta` is what we stored in it when we opened it."""

    who: Who
    form: str
    values: Mapping[str, str] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    # True when the platform splits this form over several dialogs and the person has more of it to
    # fill in (Discord's 5-input modals): what the submission triggers for others may wait for the rest.
    partial: bool = False


@dataclass(frozen=True)
class ThreadReply:
    """A plain message in a thread; `thread_ref` is the platform's reference of its parent."""

    who: Who
    thread_ref: str
    text: str
    event_id: str = ""


@dataclass(frozen=True)
class DirectMessage:
    """Text sent to the bot privately (a DM, or the console): the next drill step, or an answer."""

    who: Who
    text: str


Event = Command | Action | FormSubmitted | ThreadReply | DirectMessage
