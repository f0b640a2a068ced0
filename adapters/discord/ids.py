"""Custom ids: all the state a button or a modal needs, encoded in Discord's 100-character custom_id.

Nothing is kept in memory between a message and the click on it, so a button on yesterday's
answer still works after a restart, on any shard, in any process.

    button  sb:<action>:<value>[:g<guild>]
    modal   sbf:<form>:<part>:<meta>:<opener>[:g<guild>]

`value`, `meta` and `opener` are percent-encoded, so they never contain ':'. The guild is
only added where Discord does not tell us the server (buttons and forms in direct messages).
`part` and `opener` let a form that needs more than one Discord modal (the vote: five scores
and a comment, where a modal holds at most five inputs) be continued: the opener is the action
or command that produced the form, replayed to get a fresh copy of it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

MAX_ID = 100

BUTTON_TEMPLATE = r"sb:(?P<action>[a-z_]+):(?P<value>[0-9A-Za-z_.~%-]*)(?::g(?P<guild>[0-9]+))?"
FORM_RE = re.compile(r"sbf:(?P<form>[0-9A-Za-z_.~%-]+):(?P<part>[0-9]+):(?P<meta>[^:]*):(?P<opener>[^:]*)"
                     r"(?::g(?P<guild>[0-9]+))?")


def _q(text: str) -> str:
    return quote(str(text), safe="")


class TooLong(ValueError):
    """The state does not fit in a custom_id (a bug in what the core put on a button or form)."""


@dataclass(frozen=True)
class Opener:
    """What produced a form: a button (`a`, action, value) or a slash command (`c`, name, args)."""

    kind: str
    name: str
    value: str = ""

    def encode(self) -> str:
        # '.' separates the parts and quote() leaves it as is: escape it, so names and values may hold dots
        return ".".join((self.kind, _q(self.name).replace(".", "%2E"), _q(self.value).replace(".", "%2E")))

    @classmethod
    def decode(cls, text: str) -> Opener | None:
        parts = text.split(".")
        if len(parts) != 3 or parts[0] not in ("a", "c"):
            return None
        return cls(parts[0], unquote(parts[1]), unquote(parts[2]))


def button_id(action: str, value: str = "", guild: str | None = None) -> str:
    if not re.fullmatch(r"[a-z_]+", action):
        raise TooLong(f"button action {action!r} is not lowercase letters and underscores")
    custom_id = f"sb:{action}:{_q(value)}" + (f":g{guild}" if guild else "")
    if len(custom_id) > MAX_ID:
        raise TooLong(f"button state {custom_id[:40]}… is longer than {MAX_ID} characters")
    return custom_id


def parse_button(custom_id: str) -> tuple[str, str, str | None] | None:
    m = re.fullmatch(BUTTON_TEMPLATE, custom_id)
    if m is None:
        return None
    return m["action"], unquote(m["value"]), m["guild"]


@dataclass(frozen=True)
class FormId:
    form: str
    part: int = 1
    meta: tuple[tuple[str, str], ...] = ()
    opener: Opener | None = None
    guild: str | None = None

    def encode(self) -> str:
        meta = "&".join(f"{_q(k)}={_q(v)}" for k, v in self.meta)
        head = f"sbf:{_q(self.form)}:{self.part}:{meta}:"
        tail = f":g{self.guild}" if self.guild else ""
        full = head + (self.opener.encode() if self.opener else "") + tail
        if len(full) <= MAX_ID:
            return full
        if len(head + tail) <= MAX_ID:  # without the opener the form still submits; it just can't be continued
            return head + tail
        raise TooLong(f"form state {head[:40]}… is longer than {MAX_ID} characters")

    @classmethod
    def decode(cls, custom_id: str) -> FormId | None:
        m = FORM_RE.fullmatch(custom_id)
        if m is None:
            return None
        meta = []
        for pair in filter(None, m["meta"].split("&")):
            k, _, v = pair.partition("=")
            meta.append((unquote(k), unquote(v)))
        return cls(unquote(m["form"]), int(m["part"]), tuple(meta),
                   Opener.decode(m["opener"]) if m["opener"] else None, m["guild"])

    @property
    def meta_dict(self) -> dict[str, str]:
        return dict(self.meta)


def part_value(part: int, opener: Opener) -> str:
    """The value of the 'continue this form' button: which part to open, and how to get the form again."""
    return f"{part}.{opener.encode()}"


def parse_part_value(value: str) -> tuple[int, Opener] | None:
    head, _, rest = value.partition(".")
    opener = Opener.decode(rest)
    if not (head.isascii() and head.isdigit()) or opener is None:  # int() refuses digits such as '²'
        return None
    return int(head), opener
