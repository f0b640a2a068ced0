"""Neutral messages and forms -> Discord embeds, buttons and modals, inside Discord's limits.

Limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits and
the component reference): title 256, description 4,096, field name 256, field value 1,024,
25 fields and 6,000 characters per message across its embeds, 10 embeds per message, 5 action
rows of 5 buttons, button labels 80, custom ids 100, select options 25, modals 5 top-level
components with labels of 45 and descriptions of 100 characters, text inputs of 4,000.

Long text is split across fields, embeds and (up to MAX_PARTS) messages; what still does not
fit is cut with a visible "… (truncated)" marker, so the API never rejects a message.
Nothing is pinged: every send uses `allowed_mentions=NONE` (embeds never ping anyway).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field, replace
from typing import Any

import discord

from adapters.discord import ids
from bot.messages import Button, Field, Form, Message, Reply, Section

NONE = discord.AllowedMentions.none()
TRUNCATED = "… (truncated)"
BLANK = "\u200b"
COLOUR = discord.Colour(0x3B7DD8)

TITLE = 256
DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FIELDS = 25
FOOTER = 2048
MESSAGE_CHARS = 6000
MESSAGE_BUDGET = 5800  # leave room for the truncation marker and rounding
EMBEDS = 10
BUTTONS = 25
BUTTON_LABEL = 80
MAX_PARTS = 4  # at most this many Discord messages for one neutral message

MODAL_TITLE = 45
MODAL_COMPONENTS = 5
LABEL_TEXT = 45
LABEL_DESCRIPTION = 100
TEXT_INPUT = 4000
TEXT_DISPLAY = 4000
SELECT_OPTIONS = 25
OPTION_TEXT = 100

STYLES = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger,
          "success": discord.ButtonStyle.success}


def fit(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with a visible marker when it had to be cut."""
    text = text or ""
    if len(text) <= limit:
        return text
    if limit <= len(TRUNCATED):
        return text[: max(0, limit - 1)] + "…"
    return text[: limit - len(TRUNCATED)].rstrip() + TRUNCATED


def chunks(text: str, size: int) -> list[str]:
    """Split text into pieces of at most `size`, at a line break or a space when there is one."""
    out: list[str] = []
    text = text or ""
    while len(text) > size:
        cut = text.rfind("\n", size // 2, size)
        if cut <= 0:
            cut = text.rfind(" ", size // 2, size)
        if cut <= 0:
            cut = size
        out.append(text[:cut].rstrip("\n"))
        text = text[cut:].lstrip("\n")
    if text or not out:
        out.append(text)
    return out


# ------------------------------------------------------------------ buttons


class ActionButton(discord.ui.DynamicItem[discord.ui.Button], template=ids.BUTTON_TEMPLATE):
    """Every sensebot button: persistent, its whole state in the custom_id (see ids.py).

    Registered with `client.add_dynamic_items`, so a click is handled even when the message
    was sent by an earlier process; the click goes to `client.sensebot.on_button`.
    """

    def __init__(self, action: str, value: str = "", guild: str | None = None, *, label: str = "…",
                 style: discord.ButtonStyle = discord.ButtonStyle.secondary, custom_id: str | None = None):
        super().__init__(discord.ui.Button(label=fit(label, BUTTON_LABEL) or "…", style=style,
                                           custom_id=custom_id or ids.button_id(action, value, guild)))
        self.action, self.value, self.guild = action, value, guild

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match, /):
        # keeps the id as pressed: re-encoding an old id with stray '%' could outgrow 100 characters and fail
        action, value, guild = ids.parse_button(item.custom_id)
        return cls(action, value, guild, label=item.label or "…", style=item.style, custom_id=item.custom_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        handler = getattr(interaction.client, "sensebot", None)
        if handler is not None:
            await handler.on_button(interaction, self.action, self.value, self.guild)


def view_for(buttons: tuple[Button, ...] | list[Button], guild: str | None = None) -> discord.ui.View | None:
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    seen: set[str] = set()
    for b in list(buttons)[:BUTTONS]:
        item = ActionButton(b.action, b.value, guild, label=b.label,
                            style=STYLES.get(b.style, discord.ButtonStyle.secondary))
        if item.item.custom_id in seen:  # Discord refuses two components with one custom_id
            continue
        seen.add(item.item.custom_id)
        view.add_item(item)
    return view


# ------------------------------------------------------------------ messages


@dataclass
class Outgoing:
    """One Discord message: embeds, the buttons of its view, and files."""

    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    files: list[discord.File] = field(default_factory=list)
    guild: str | None = None

    def chars(self) -> int:
        return sum(len(e) for e in self.embeds)

    def kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"embeds": self.embeds, "allowed_mentions": NONE}
        view = view_for(self.buttons, self.guild)
        if view is not None:
            kw["view"] = view
        if self.files:
            kw["files"] = self.files
        return kw

    def can_take(self, other: Outgoing) -> bool:
        return (len(self.embeds) + len(other.embeds) <= EMBEDS and self.chars() + other.chars() <= MESSAGE_CHARS
                and len(self.buttons) + len(other.buttons) <= BUTTONS)

    def take(self, other: Outgoing) -> None:
        self.embeds += other.embeds
        self.buttons += other.buttons
        self.files += other.files


# Discord markdown a member's text could use to dress up as something else: emphasis, spoilers, code,
# masked links ("[Free Nitro](https://…)") anywhere; headings, quotes and subtext at a line's start.
MARKDOWN = re.compile(r"([\\*_~|`\[\]])|(?m:^(\s*)([#>-]))")
CHANNEL_ID = re.compile(r"(?<![<\w#])#(\d{15,21})\b")  # "#1300000000000000003": a channel id the core wrote


def _blank(text: str) -> bool:
    """Text Discord treats as empty (it refuses a field of only spaces and newlines)."""
    return not (text or "").strip()


def prepared(message: Message) -> Message:
    """The message with Discord's markup settled. What members wrote (`user_text`: names, answers) is
    markdown-escaped, so a nickname "[Free Nitro](https://…)" shows as typed, not as a link; in
    sensebot's own text a channel id "#123…" becomes a channel mention."""
    if message.user_text:
        return replace(message, title=esc(message.title), text=esc(message.text),
                       sections=tuple(Section(esc(s.title), esc(s.text)) for s in message.sections))
    mention = lambda t: CHANNEL_ID.sub(r"<#\1>", t or "")  # noqa: E731
    return replace(message, text=mention(message.text),
                   sections=tuple(Section(s.title, mention(s.text)) for s in message.sections))


def esc(text: str) -> str:
    """Member-written text shown as typed: each markdown character escaped with a backslash (Discord
    shows the character and hides the backslash). discord.utils.escape_markdown escapes a masked link
    as a whole and leaves the emphasis after it, so it isn't used."""
    return MARKDOWN.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text or "")


def _pieces(message: Message) -> list[tuple[str, str, str]]:
    """The message as ("desc", "", text) and ("field", name, value) pieces, each within its limit and
    none blank: a blank description is left out, a blank section shows "—", blank pieces are dropped."""
    pieces: list[tuple[str, str, str]] = []
    for part in chunks(message.text, DESCRIPTION) if not _blank(message.text) else []:
        if not _blank(part):
            pieces.append(("desc", "", part))
    for s in message.sections:
        name = BLANK if _blank(s.title) else fit(s.title, FIELD_NAME)
        parts = [p for p in chunks(s.text, FIELD_VALUE) if not _blank(p)] or ["—"]
        for i, part in enumerate(parts):
            pieces.append(("field", name if i == 0 else BLANK, part))
    return pieces


def embeds_for(message: Message) -> list[list[discord.Embed]]:
    """The message as embeds, grouped per Discord message (each group within 10 embeds, 6,000 chars)."""
    message = prepared(message)
    title = fit(message.title, TITLE)
    footer = fit(message.footer, FOOTER)
    groups: list[list[discord.Embed]] = [[discord.Embed(title=None if _blank(title) else title, colour=COLOUR)]]
    used = len(title) + len(footer)  # reserve the footer in every group's budget
    truncated = False
    for kind, name, text in _pieces(message):
        current = groups[-1][-1]
        size = len(name if kind == "field" else "") + len(text)
        needs_embed = (kind == "desc" and (current.description or current.fields)) or \
                      (kind == "field" and len(current.fields) >= FIELDS)
        if used + size > MESSAGE_BUDGET or (needs_embed and len(groups[-1]) >= EMBEDS):
            if len(groups) >= MAX_PARTS:
                truncated = True
                break
            groups.append([discord.Embed(colour=COLOUR)])
            used = len(footer)
            needs_embed = False
            current = groups[-1][-1]
        if needs_embed:
            groups[-1].append(discord.Embed(colour=COLOUR))
            current = groups[-1][-1]
        if kind == "desc":
            current.description = text
        else:
            current.add_field(name=name, value=text, inline=False)
        used += size
    if truncated:
        last = groups[-1][-1]
        if last.fields:
            f = last.fields[-1]
            last.set_field_at(len(last.fields) - 1, name=f.name, value=fit(f.value + TRUNCATED, FIELD_VALUE), inline=False)
        else:
            last.description = fit((last.description or "") + TRUNCATED, DESCRIPTION)
    if footer:
        groups[-1][-1].set_footer(text=footer)
    return groups


def outgoing(message: Message, guild: str | None = None) -> list[Outgoing]:
    """A neutral message as one or more Discord messages; buttons go on the last, the chart on the first."""
    outs = [Outgoing(embeds=group, guild=guild) for group in embeds_for(message)]
    if message.chart:
        name = message.chart.filename
        outs[0].files.append(discord.File(io.BytesIO(message.chart.png), filename=name,
                                          description=fit(message.chart.alt, 1024) or None))
        outs[0].embeds[0].set_image(url=f"attachment://{name}")
    outs[-1].buttons = list(message.buttons)
    return outs


def reply_outgoing(reply: Reply, guild: str | None = None) -> list[Outgoing]:
    """A reply's messages (and attachment) as few Discord messages as the limits allow."""
    outs: list[Outgoing] = []
    for m in reply.messages:
        for out in outgoing(m, guild):
            if outs and outs[-1].can_take(out):
                outs[-1].take(out)
            else:
                outs.append(out)
    if reply.attachment is not None:
        file = discord.File(io.BytesIO(reply.attachment.content), filename=reply.attachment.filename)
        if not outs:
            outs.append(Outgoing(guild=guild))
        outs[0].files.append(file)
    return outs


def with_button(reply: Reply, button: Button) -> Reply:
    """The reply with one more button on its last message."""
    if not reply.messages:
        return reply
    last = reply.messages[-1]
    return replace(reply, messages=reply.messages[:-1] + (replace(last, buttons=last.buttons + (button,)),))


# ------------------------------------------------------------------ forms


def form_parts(form: Form) -> list[tuple[Field, ...]]:
    """The form's fields in groups that each fit one modal, in the form's order."""
    fields = form.fields
    return [fields[i:i + MODAL_COMPONENTS] for i in range(0, len(fields), MODAL_COMPONENTS)] or [()]


def _input(f: Field) -> discord.ui.Item:
    if f.kind == "choice":
        options = [discord.SelectOption(label=fit(c.label, OPTION_TEXT) or c.value, value=c.value[:OPTION_TEXT],
                                        description=fit(c.description, OPTION_TEXT) or None,
                                        default=bool(f.initial) and c.value == f.initial)
                   for c in f.choices[:SELECT_OPTIONS]]
        return discord.ui.Select(custom_id=f.id, options=options, min_values=0 if f.optional else 1, max_values=1,
                                 required=not f.optional)
    limit = max(1, min(f.max_length, TEXT_INPUT))
    return discord.ui.TextInput(
        custom_id=f.id, style=discord.TextStyle.paragraph if f.kind == "multiline" else discord.TextStyle.short,
        default=(f.initial or "")[:limit] or None, required=not f.optional, max_length=limit)


def modal_for(form: Form, part: int = 1, opener: ids.Opener | None = None, guild: str | None = None) -> discord.ui.Modal:
    """Part `part` of the form as a modal. The modal holds no state: it is all in the custom_id."""
    parts = form_parts(form)
    part = min(max(1, part), len(parts))
    fields = parts[part - 1]
    custom_id = ids.FormId(form.id, part, tuple(form.meta.items()), opener if len(parts) > 1 else None, guild).encode()
    title = form.title if len(parts) == 1 or part == 1 else f"{form.title} ({part}/{len(parts)})"
    modal = discord.ui.Modal(title=fit(title, MODAL_TITLE) or "sensebot", custom_id=custom_id, timeout=None)
    if form.intro and part == 1 and len(fields) < MODAL_COMPONENTS:
        modal.add_item(discord.ui.TextDisplay(fit(form.intro, TEXT_DISPLAY)))
    for f in fields:
        modal.add_item(discord.ui.Label(text=fit(f.label, LABEL_TEXT) or f.id, description=fit(f.hint, LABEL_DESCRIPTION) or None,
                                        component=_input(f)))
    modal.stop()  # never kept in the client's view store: submissions are handled from the custom_id
    return modal


def continue_button(form: Form, part: int, opener: ids.Opener) -> Button | None:
    """The button that opens the next part of a form that did not fit one modal, if there is one."""
    parts = form_parts(form)
    if part >= len(parts):
        return None
    nxt = parts[part]
    label = f"Add {nxt[0].label.lower()}" if len(nxt) == 1 else f"Continue ({part + 1}/{len(parts)})"
    return Button(label, "form_part", ids.part_value(part + 1, opener))
