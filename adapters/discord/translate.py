"""Discord interactions and messages -> `bot.events`. Pure functions over plain values and payloads.

The core never sees a discord.py object: who acted becomes a `Who`, a slash command's options
become `Command.args`, a modal's inputs become `FormSubmitted.values`, a message in a round's
thread becomes a `ThreadReply` whose `thread_ref` is the reference of the thread's parent
message ("<channel_id>:<message_id>": a thread started from a message has the message's id).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.events import Action, Command, DirectMessage, FormSubmitted, ThreadReply, Who

PLATFORM = "discord"


def who(workspace_id: str, user_id: int | str, display_name: str = "", *, manage_guild: bool = False,
        channel_id: int | str | None = None, claimed: bool = False) -> Who:
    """`manage_guild` is the member's Manage Server permission in this channel, as Discord sent it
    with the interaction: it is checked on every call, never cached. `claimed`: the server id came from
    a button's or form's custom_id in a DM, not from Discord."""
    return Who(PLATFORM, str(workspace_id), str(user_id), display_name or str(user_id), is_admin=bool(manage_guild),
               channel_id=str(channel_id or ""), claimed=claimed)


def ref(channel_id: int | str, message_id: int | str) -> str:
    return f"{channel_id}:{message_id}"


def parse_ref(reference: str) -> tuple[int, int]:
    """"<channel_id>:<message_id>" -> (channel_id, message_id); ValueError when it isn't one."""
    channel, sep, message = (reference or "").partition(":")
    if not sep or not channel.isdigit() or not message.isdigit():
        raise ValueError(f"'{reference}' is not a Discord message reference (<channel_id>:<message_id>)")
    return int(channel), int(message)


def snowflake(value: str | int, what: str = "channel") -> int:
    text = str(value).strip().removeprefix("<#").removesuffix(">").lstrip("#")
    if not text.isdigit():
        raise ValueError(f"'{value}' is not a Discord {what} id — run /sensebot setup and pick the channel from the list.")
    return int(text)


# ------------------------------------------------------------------ slash commands

def _words(*values: Any) -> tuple[str, ...]:
    out: list[str] = []
    for v in values:
        if v is None or v == "":
            continue
        out += str(v).split()
    return tuple(out)


def command(w: Who, name: str, **options: Any) -> Command:
    """A slash command and its options -> the core's Command(name, args), in the core's argument order."""
    if name == "setup":
        channel = options.get("channel")
        channel_id = getattr(channel, "id", channel)
        return Command(w, "setup", tuple(str(a) for a in (channel_id, options.get("time"), options.get("timezone"),
                                                          options.get("weekdays")) if a not in (None, "")))
    if name == "reminders":
        state = options.get("state") or ""
        quiet = _words(options.get("quiet_from"), options.get("quiet_to"))
        if options.get("timezone"):
            return Command(w, "reminders", ("tz", *_words(options.get("timezone"))))
        if quiet and state in ("", "quiet"):
            return Command(w, "reminders", ("quiet", *quiet))
        return Command(w, "reminders", _words(state))
    if name == "leaderboard":
        if options.get("me"):
            return Command(w, "leaderboard", (str(options["me"]),))
        return Command(w, "leaderboard", _words(options.get("period"), options.get("by")))
    if name == "rate":
        return Command(w, "rate", _words(options.get("answer")))
    if name == "set":
        return Command(w, "set", _words(options.get("name"), options.get("value")))
    return Command(w, name, _words(*options.values()))


# ------------------------------------------------------------------ components and modals

def action(w: Who, name: str, value: str) -> Action:
    return Action(w, name, value)


def modal_values(components: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A MODAL_SUBMIT's components -> {custom_id: value}.

    Handles action rows (type 1) of text inputs, labels (type 18) wrapping a text input (4) or a
    select (3, `values`), and skips text displays (10). A select left empty gives "". Anything not
    shaped like that (not an object, a custom_id that isn't a string) is skipped, never raised on.
    """
    out: dict[str, str] = {}
    if not isinstance(components, Iterable):
        return out
    for c in components:
        if not isinstance(c, Mapping):
            continue
        kind = c.get("type")
        if kind == 1:
            out.update(modal_values(c.get("components", ())))
        elif kind == 18:
            inner = c.get("component")
            if inner:
                out.update(modal_values([inner]))
        elif isinstance(c.get("custom_id"), str):
            if "values" in c:
                values = c.get("values")
                out[c["custom_id"]] = str(values[0]) if isinstance(values, (list, tuple)) and values else ""
            elif "value" in c:
                out[c["custom_id"]] = str(c.get("value") or "")
    return out


def form_submitted(w: Who, form: str, values: Mapping[str, str], meta: Mapping[str, str],
                   partial: bool = False) -> FormSubmitted:
    """`partial`: this modal is one part of a form split over several, and more parts follow."""
    return FormSubmitted(w, form, dict(values), dict(meta), partial)


# ------------------------------------------------------------------ messages

def thread_reply(w: Who, parent_channel_id: int | str, thread_id: int | str, text: str, message_id: int | str) -> ThreadReply:
    """A message in a thread started from message `thread_id` of channel `parent_channel_id`."""
    return ThreadReply(w, ref(parent_channel_id, thread_id), text, str(message_id))


def direct_message(w: Who, text: str) -> DirectMessage:
    return DirectMessage(w, text)
