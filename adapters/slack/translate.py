"""Slack payloads -> neutral events. Pure functions: a dict in, an event (or None) out.

`payload(body)` turns a slash command, a button press, a modal submission or an Events API
callback into a `bot.events` object, or into one of the two Slack-only events below (the App
Home was opened; the app was uninstalled). Things sensebot does not act on (bot messages,
edits, top-level channel chatter) give None. A payload missing what Slack always sends raises
`Malformed` (a ValueError), which the app logs and answers without crashing.

`origin(body)` says where the person acted — trigger id, response_url, channel, thread, DM —
so the app can answer in the right place; the core never sees any of it.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.slack.render import unescape
from bot.events import (
    Action,
    Command,
    DirectMessage,
    Event,
    FormSubmitted,
    ThreadReply,
    Who,
)

PLATFORM = "slack"
META_PREFIX = "_"  # private_metadata keys the adapter adds (channel, thread); never passed to the core
ACCEPTED_SUBTYPES = (None, "thread_broadcast", "file_share")


class Malformed(ValueError):
    """A payload without the fields Slack always sends: logged and ignored."""


@dataclass(frozen=True)
class HomeOpened:
    """The member opened the bot's App Home tab."""

    who: Who


@dataclass(frozen=True)
class AppRemoved:
    """The app was uninstalled from a workspace, or its bot token was revoked."""

    workspace_id: str
    enterprise_id: str = ""
    reason: str = "app_uninstalled"


@dataclass(frozen=True)
class Origin:
    """Where an interaction happened, for answering it."""

    trigger_id: str = ""
    response_url: str = ""
    channel_id: str = ""
    thread_ts: str = ""
    is_dm: bool = False


SlackEvent = Event | HomeOpened | AppRemoved


# ---------------------------------------------------------------------------- helpers


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _need(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Malformed(f"missing {what}")
    return value.strip()


def _opt(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _is_dm_channel(channel_id: str) -> bool:
    return channel_id.startswith("D")


def kind(body: Mapping[str, Any]) -> str:
    """'command', 'block_actions', 'view_submission', 'event:<type>', or '' for anything else."""
    if not isinstance(body, Mapping):
        return ""
    if isinstance(body.get("command"), str):
        return "command"
    t = body.get("type")
    if t in ("block_actions", "view_submission"):
        return t
    if t == "event_callback":
        return f"event:{_dict(body.get('event')).get('type', '')}"
    return ""


_MARKUP = re.compile(r"<([^<>]*)>")


def _readable(match: re.Match) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # <@U123|ann> a person
        return f"@{label or target[1:]}"
    if target.startswith("#"):  # <#C123|general> a channel
        return f"#{label or target[1:]}"
    if target.startswith("!"):  # <!here>, <!subteam^S1|@pms>, <!date^...|Nov 23>
        return label or f"@{target[1:].split('^')[0]}"
    if not target:
        return match.group(0)
    return f"{label} ({target})" if label and label != target else target  # a link


def readable(text: str) -> str:
    """A message's text as the person saw it: Slack's markup for links, mentions and channels
    (`<https://…|this>`, `<@U123>`) as readable text ("this (https://…)", "@U123"), entities
    unescaped. What is stored is what people read; shown again, it is escaped and pings no one."""
    return unescape(_MARKUP.sub(_readable, text or ""))


def view_of(body: Mapping[str, Any]) -> dict:
    """The view of a view_submission ({} if none)."""
    return _dict(body.get("view"))


def well_formed(body: Any) -> bool:
    """Has a payload the fields Slack always sends for its type? (bolt itself trips over some that lack them)."""
    if not isinstance(body, Mapping):
        return False
    if "command" in body:
        return all(isinstance(body.get(k), str) and body.get(k) for k in ("command", "team_id", "user_id"))
    t = body.get("type")
    if t is None:
        return "ssl_check" in body or not body  # bolt answers ssl_check; {} is simply not ours (404)
    if not isinstance(t, str):
        return False
    if t in ("block_actions", "view_submission", "view_closed", "shortcut", "message_action"):
        if not isinstance(_dict(body.get("user")).get("id"), str):
            return False
    if t == "block_actions":
        actions = body.get("actions")
        return isinstance(actions, list) and bool(actions) and all(
            isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions)
    if t in ("view_submission", "view_closed"):
        view = _dict(body.get("view"))
        return isinstance(view.get("callback_id"), str) and isinstance(view.get("type"), str)
    if t == "event_callback":
        return isinstance(_dict(body.get("event")).get("type"), str)
    if t == "url_verification":
        return isinstance(body.get("challenge"), str)
    return True


# ---------------------------------------------------------------------------- translation


def payload(body: Mapping[str, Any]) -> SlackEvent | None:
    """The neutral event a Slack payload stands for, None if sensebot ignores it; Malformed if unreadable."""
    k = kind(body)
    if k == "command":
        return command(body)
    if k == "block_actions":
        return action(body)
    if k == "view_submission":
        return view_submission(body)
    if k == "event:message":
        return message(body)
    if k == "event:app_home_opened":
        return home_opened(body)
    if k in ("event:app_uninstalled", "event:tokens_revoked"):
        return app_removed(body)
    return None


def command(body: Mapping[str, Any]) -> Command:
    """`/sensebot setup <#C1|practice> 09:00 Europe/Berlin` -> Command('setup', ('<#C1|practice>', '09:00', ...))."""
    who = Who(PLATFORM, _need(body.get("team_id"), "team_id"), _need(body.get("user_id"), "user_id"),
              display_name=_opt(body.get("user_name")), channel_id=_opt(body.get("channel_id")))
    words = unescape(_opt(body.get("text"))).split()
    return Command(who, words[0] if words else "", tuple(words[1:]))


def _interaction_who(body: Mapping[str, Any], channel_id: str) -> Who:
    user = _dict(body.get("user"))
    team = _opt(_dict(body.get("team")).get("id")) or _opt(user.get("team_id")) or _opt(_dict(body.get("view")).get("team_id"))
    return Who(PLATFORM, _need(team, "team id"), _need(user.get("id"), "user id"),
               display_name=_opt(user.get("name")) or _opt(user.get("username")), channel_id=channel_id)


def _action_id(raw: str) -> str:
    return re.sub(r"#\d+$", "", raw)  # render makes repeated action_ids unique with '#n'


def action(body: Mapping[str, Any]) -> Action:
    """A button press: action = the action_id we rendered, value = the button's value."""
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise Malformed("block_actions without actions")
    first = actions[0]
    value = _opt(first.get("value")) or _opt(_dict(first.get("selected_option")).get("value"))
    return Action(_interaction_who(body, origin(body).channel_id), _action_id(_need(first.get("action_id"), "action_id")), value)


def form_meta(view: Mapping[str, Any]) -> dict[str, str]:
    """private_metadata as a dict of strings (adapter keys included); Malformed if it is not a JSON object."""
    raw = view.get("private_metadata") or "{}"
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python's recursion limit
        data = None
    if not isinstance(data, dict):
        raise Malformed("private_metadata is not a JSON object")
    return {str(k): str(v) for k, v in data.items()}


def _state_value(v: Mapping[str, Any]) -> str:
    t = v.get("type")
    if t in ("static_select", "radio_buttons", "external_select"):
        return _opt(_dict(v.get("selected_option")).get("value"))
    if t == "checkboxes":
        options = v.get("selected_options")
        return ",".join(_opt(_dict(o).get("value")) for o in (options if isinstance(options, list) else []))
    return _opt(v.get("value"))


def view_submission(body: Mapping[str, Any]) -> FormSubmitted:
    """A modal submitted: form = callback_id, values by field id (= block_id), meta from private_metadata."""
    view = _dict(body.get("view"))
    form = _need(view.get("callback_id"), "callback_id")
    meta = form_meta(view)
    values: dict[str, str] = {}
    for block_id, elements in _dict(_dict(view.get("state")).get("values")).items():
        for _action, v in _dict(elements).items():
            if isinstance(v, dict):
                values[str(block_id)] = _state_value(v)
    core_meta = {k: v for k, v in meta.items() if not k.startswith(META_PREFIX)}
    return FormSubmitted(_interaction_who(body, meta.get("_channel", "")), form, values, core_meta)


def message(body: Mapping[str, Any]) -> ThreadReply | DirectMessage | None:
    """A person's message: in a DM -> DirectMessage; a reply in a thread -> ThreadReply; else None."""
    ev = _dict(body.get("event"))
    if ev.get("bot_id") or ev.get("subtype") not in ACCEPTED_SUBTYPES or ev.get("hidden"):
        return None  # bots (ourselves included), edits, deletions, joins...
    user = ev.get("user")
    if not isinstance(user, str) or not user:
        return None
    channel = _need(ev.get("channel"), "channel")
    team = _opt(ev.get("team")) or _opt(body.get("team_id"))
    who = Who(PLATFORM, _need(team, "team_id"), user, channel_id=channel)
    text = readable(_opt(ev.get("text")))
    if ev.get("channel_type") == "im" or (not ev.get("channel_type") and _is_dm_channel(channel)):
        return DirectMessage(who, text)
    thread_ts, ts = _opt(ev.get("thread_ts")), _opt(ev.get("ts"))
    if not thread_ts or thread_ts == ts:
        return None  # top-level chatter, or the parent of a thread
    return ThreadReply(who, thread_ts, text, event_id=_need(body.get("event_id"), "event_id"))


def home_opened(body: Mapping[str, Any]) -> HomeOpened | None:
    ev = _dict(body.get("event"))
    if ev.get("tab", "home") != "home":
        return None  # the Messages tab
    team = _opt(body.get("team_id")) or _opt(_dict(ev.get("view")).get("team_id"))
    return HomeOpened(Who(PLATFORM, _need(team, "team_id"), _need(ev.get("user"), "user")))


def app_removed(body: Mapping[str, Any]) -> AppRemoved | None:
    ev = _dict(body.get("event"))
    team = _need(body.get("team_id"), "team_id")
    enterprise = _opt(body.get("enterprise_id"))
    if ev.get("type") == "tokens_revoked":
        if not _dict(ev.get("tokens")).get("bot"):
            return None  # only user tokens were revoked: the bot still works
        return AppRemoved(team, enterprise, "tokens_revoked")
    return AppRemoved(team, enterprise, "app_uninstalled")


# ---------------------------------------------------------------------------- where to answer


def origin(body: Mapping[str, Any]) -> Origin:
    """Trigger id, response_url, channel and thread of an interaction (empty strings when absent)."""
    k = kind(body)
    if k == "command":
        channel = _opt(body.get("channel_id"))
        return Origin(_opt(body.get("trigger_id")), _opt(body.get("response_url")), channel,
                      is_dm=_opt(body.get("channel_name")) == "directmessage" or _is_dm_channel(channel))
    if k == "block_actions":
        container = _dict(body.get("container"))
        msg = _dict(body.get("message"))
        channel = _opt(_dict(body.get("channel")).get("id")) or _opt(container.get("channel_id"))
        return Origin(_opt(body.get("trigger_id")), _opt(body.get("response_url")), channel,
                      _opt(container.get("thread_ts")) or _opt(msg.get("thread_ts")), _is_dm_channel(channel))
    if k == "view_submission":
        try:
            meta = form_meta(_dict(body.get("view")))
        except Malformed:
            meta = {}
        channel = meta.get("_channel", "")
        return Origin(_opt(body.get("trigger_id")), "", channel, meta.get("_thread", ""), _is_dm_channel(channel))
    if k == "event:message":
        ev = _dict(body.get("event"))
        channel = _opt(ev.get("channel"))
        return Origin("", "", channel, _opt(ev.get("thread_ts")),
                      ev.get("channel_type") == "im" or _is_dm_channel(channel))
    return Origin()
