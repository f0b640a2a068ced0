"""The console's ChatPort: prints what the bot posts, the way a channel would show it.

Members' text reaches a terminal here, so everything printed goes through `clean`: escape
sequences, NUL and other control characters, and bidirectional overrides (which can make
text read backwards) are shown as visible placeholders instead of acting on the terminal.
"""
from __future__ import annotations

import os
import re
import sys
from typing import TextIO

from bot.messages import Chart, Message, Reply

WIDTH = 78
# C0 controls but tab and newline, DEL, C1 controls; bidi embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SHOWN = {"\x1b": "␛", "\x00": "␀", "\r": "␍"}


def clean(text: str) -> str:
    """Text safe to print to a terminal: unsafe characters become visible placeholders."""
    return _UNSAFE.sub(lambda m: _SHOWN.get(m.group(0), f"<U+{ord(m.group(0)):04X}>"), text)


def save_chart(chart: Chart, folder: str = "sensebot-charts") -> str:
    """The console cannot show pictures: write the PNG next to the database and name the file."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, chart.filename)
    with open(path, "wb") as fh:
        fh.write(chart.png)
    return path


def render(message: Message) -> str:
    """A message as terminal text: a bold-ish title line, body, sections, buttons."""
    lines = [f"▌ {message.title}"]
    if message.text:
        lines.append(message.text)
    for s in message.sections:
        lines.append(f"  {s.title}:" if s.title else "")
        lines.extend(f"    {line}" for line in s.text.splitlines())
    if message.buttons:
        lines.append("  " + "  ".join(f"[{b.label}]" for b in message.buttons))
    if message.chart:
        lines.append(f"  (chart saved to {save_chart(message.chart)})")
    if message.footer:
        lines.append(f"  {message.footer}")
    out = "\n".join(lines)
    # the core names channels as <#ID> (bot.messages.channel_ref); a terminal shows #ID
    return clean(out if message.user_text else re.sub(r"<#([A-Za-z0-9_-]+)>", r"#\1", out))


def render_reply(reply: Reply, to: str = "you") -> str:
    if not reply.messages:
        return ""
    head = f"── only {to} {'see' if to == 'you' else 'sees'} this ──" if reply.private else "── posted in the channel ──"
    return "\n".join([clean(head), *(render(m) for m in reply.messages)])


class ConsolePort:
    """Prints to a stream; message references are sequence numbers."""

    platform = "console"

    def __init__(self, out: TextIO | None = None, clock=None, zone=None):
        self.out = out or sys.stdout
        self.clock = clock
        self.zone = zone
        self.count = 0
        self.sent: list[tuple[str, str, Message, str | None]] = []

    def _stamp(self) -> str:
        if self.clock is None:
            return ""
        now = self.clock.now()
        return (now.astimezone(self.zone) if self.zone else now).strftime("%H:%M ")

    def post(self, workspace_id: str, channel_id: str, message: Message, thread_ref: str | None = None) -> str:
        self.count += 1
        where = f"#{channel_id}" + (" › thread" if thread_ref else "")
        print(f"\n{self._stamp()}[{where}]\n{render(message)}", file=self.out)
        self.sent.append(("channel", channel_id, message, thread_ref))
        return f"console-{self.count}"

    def direct(self, workspace_id: str, user_id: str, message: Message) -> str:
        self.count += 1
        print(f"\n{self._stamp()}[direct message to {clean(user_id)}]\n{render(message)}", file=self.out)
        self.sent.append(("direct", user_id, message, None))
        return f"console-{self.count}"
