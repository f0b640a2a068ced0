"""Outbound messages, neutral of any platform.

The core says *what* to show; adapters decide *how* (Block Kit, embeds, a
terminal). Everything here round-trips through JSON because unsolicited
messages wait in the outbox table before they are delivered.
"""
from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    value: str = ""
    style: str = ""  # "" | "primary" | "danger"


@dataclass(frozen=True)
class Choice:
    label: str
    value: str
    description: str = ""


@dataclass(frozen=True)
class Field:
    """One input of a form. `kind` is "text", "multiline" or "choice"."""

    id: str
    label: str
    kind: str = "multiline"
    hint: str = ""
    initial: str = ""
    max_length: int = 2900
    optional: bool = False
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Section:
    """A titled block of text inside a message (a 4S step, a ranking, an outline)."""

    title: str
    text: str


@dataclass(frozen=True)
class Chart:
    """A picture to attach: PNG bytes (carried in the message, so any process can deliver it)
    and what it shows, for alt text and for platforms that cannot show it."""

    png: bytes
    alt: str
    filename: str = "chart.png"

    def to_json(self) -> dict[str, str]:
        return {"png": base64.b64encode(self.png).decode("ascii"), "alt": self.alt, "filename": self.filename}

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Chart:
        return cls(base64.b64decode(data["png"]), data.get("alt", ""), data.get("filename", "chart.png"))


@dataclass(frozen=True)
class Message:
    """A message: a headline, body text, optional sections, buttons and a chart.

    `user_text` marks messages that quote what members wrote: adapters must make
    sure such text never pings anyone (Slack escaping, Discord allowed_mentions).
    """

    title: str
    text: str = ""
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    chart: Chart | None = None
    user_text: bool = False
    footer: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["chart"] = self.chart.to_json() if self.chart else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Message:
        chart = data.get("chart")
        return cls(
            title=data["title"],
            text=data.get("text", ""),
            sections=tuple(Section(**s) for s in data.get("sections", ())),
            buttons=tuple(Button(**b) for b in data.get("buttons", ())),
            chart=Chart.from_json(chart) if chart else None,
            user_text=data.get("user_text", False),
            footer=data.get("footer", ""),
        )

    def plain(self) -> str:
        """The message as plain text: the console prints it, fallbacks use it."""
        parts = [self.title]
        if self.text:
            parts.append(self.text)
        for s in self.sections:
            parts.append(f"{s.title}\n{s.text}" if s.title else s.text)
        if self.buttons:
            parts.append("  ".join(f"[{b.label}]" for b in self.buttons))
        if self.chart:
            parts.append(f"(chart: {self.chart.alt})")
        if self.footer:
            parts.append(self.footer)
        return "\n".join(parts)


def channel_ref(channel_id: str) -> str:
    """A channel named in a message's text: `<#ID>`, which every adapter shows as a link to it
    (Slack and Discord both write channel links this way; a channel link never notifies anyone)."""
    return f"<#{channel_id}>"


@dataclass(frozen=True)
class Form:
    """A modal to open. `meta` comes back untouched in `FormSubmitted.meta`."""

    id: str
    title: str
    fields: tuple[Field, ...]
    submit: str = "Submit"
    meta: dict[str, str] = field(default_factory=dict)
    intro: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file to hand to the person (their export)."""

    filename: str
    content: bytes
    mime: str = "application/json"


@dataclass(frozen=True)
class Reply:
    """What the person who acted sees now.

    `private` replies are ephemeral on Slack/Discord; `public` ones go to the channel.
    """

    messages: tuple[Message, ...] = ()
    form: Form | None = None
    private: bool = True
    attachment: Attachment | None = None
    direct: bool = False  # a long-lived private exchange (a drill): in the member's DM, not a passing ephemeral

    @classmethod
    def note(cls, title: str, text: str = "", **kw: Any) -> Reply:
        return cls(messages=(Message(title=title, text=text),), **kw)

    def plain(self) -> str:
        return "\n\n".join(m.plain() for m in self.messages)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 day', '2 days', '0 days' ('1 person', '3 people' with `many`): the one pluralisation rule."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def ranks(values: list[float]) -> list[int]:
    """Competition ranks of values sorted best first: ties share a rank (1, 1, 3)."""
    return [1 + sum(1 for w in values if w > v) for v in values]
