"""Neutral messages and forms -> Block Kit.

Every piece of dynamic text is escaped (`&`, `<`, `>`), so a `<!channel>` or `<@U123>` in an
answer shows as text and never pings; `link_names` is never used. Slack's limits are applied
here, counted the way Slack counts (UTF-16 code units, after escaping): long text is split
across several section blocks, and anything that still does not fit is cut with a visible
"… (truncated)" marker. Input values (a modal's `initial_value`) are the one exception to
escaping: they are what the person typed and are shown verbatim in an input box.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.messages import Button, Choice, Field, Form, Message

SECTION_MAX = 3000  # section / context text
BLOCKS_MAX = 50  # blocks per message
VIEW_BLOCKS_MAX = 100  # blocks per modal or Home tab
HEADER_MAX = 150
BUTTON_MAX = 75
BUTTON_VALUE_MAX = 2000
ACTIONS_MAX = 25  # elements per actions block
MODAL_TITLE_MAX = 24  # modal title, submit and close
LABEL_MAX = 2000  # input label and hint
INPUT_MAX = 3000  # plain_text_input max_length
OPTION_MAX = 75  # static_select option text and description
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
METADATA_MAX = 3000  # private_metadata
FALLBACK_MAX = 3000  # our own cap on the notification text
TRUNCATED = "… (truncated)"

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters as entities: the text is shown, never parsed as a mention or link."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text or "")


def unescape(text: str) -> str:
    """Undo Slack's escaping of message and command text (`&lt;` -> `<`), to store what the person wrote."""
    return (text or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def units(text: str) -> int:
    """Length as Slack counts it (UTF-16 code units): an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """`text` escaped, at most `limit` units; cut with a visible marker when it is longer."""
    out = escape(text)
    if units(out) <= limit:
        return out
    budget, used, kept = limit - units(TRUNCATED), 0, []
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        n = units(piece)
        if used + n > budget:
            break
        kept.append(piece)
        used += n
    return "".join(kept).rstrip() + TRUNCATED


def clip(text: str, limit: int) -> str:
    """Raw text (not escaped) cut to `limit` units, for input values and opaque ids."""
    if units(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        n = units(ch)
        if used + n > limit:
            break
        out.append(ch)
        used += n
    return "".join(out)


def split(text: str, limit: int = SECTION_MAX) -> list[str]:
    """`text` escaped and split into pieces of at most `limit` units, at line breaks where possible."""
    parts: list[str] = []
    buf: list[str] = []
    size, last_newline = 0, -1
    for ch in text or "":
        piece = _ESCAPES.get(ch, ch)
        n = units(piece)
        if size + n > limit and buf:
            cut = last_newline + 1 if last_newline >= 0 else len(buf)
            parts.append("".join(buf[:cut]))
            buf = buf[cut:]
            size, last_newline = sum(units(p) for p in buf), -1
        buf.append(piece)
        size += n
        if ch == "\n":
            last_newline = len(buf) - 1
    if buf:
        parts.append("".join(buf))
    return [p.strip("\n") for p in parts if p.strip()]


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": fit(text, limit) or " ", "emoji": True}


def mrkdwn(escaped: str) -> dict[str, Any]:
    # verbatim: Slack does not auto-link or auto-parse anything in it; our escaping does the rest
    return {"type": "mrkdwn", "text": escaped, "verbatim": True}


def _section(escaped: str) -> Block:
    return {"type": "section", "text": mrkdwn(escaped)}


def _context(escaped: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(escaped)]}


def _buttons(buttons: Iterable[Button]) -> list[Block]:
    """Buttons in actions blocks of up to 25; action_id = Button.action (made unique with '#n' if repeated)."""
    seen: dict[str, int] = {}
    elements = []
    for b in buttons:
        n = seen.get(b.action, 0)
        seen[b.action] = n + 1
        el: Block = {"type": "button", "text": plain(b.label, BUTTON_MAX),
                     "action_id": clip(b.action if n == 0 else f"{b.action}#{n}", 255)}
        if b.value:
            el["value"] = clip(b.value, BUTTON_VALUE_MAX)
        if b.style in ("primary", "danger"):
            el["style"] = b.style
        elements.append(el)
    return [{"type": "actions", "elements": elements[i:i + ACTIONS_MAX]} for i in range(0, len(elements), ACTIONS_MAX)]


def blocks(message: Message, max_blocks: int = BLOCKS_MAX) -> list[Block]:
    """A message as blocks: header, text, sections, chart note, buttons, footer; never more than `max_blocks`."""
    body: list[Block] = []
    if message.title.strip():
        body.append({"type": "header", "text": plain(message.title, HEADER_MAX)})
    body += [_section(p) for p in split(message.text)]
    for s in message.sections:
        head = f"*{fit(s.title, SECTION_MAX // 2)}*" if s.title.strip() else ""
        pieces = split(s.text, SECTION_MAX - units(head) - 1)
        if not pieces:
            if head:
                body.append(_section(head))
            continue
        body.append(_section(f"{head}\n{pieces[0]}" if head else pieces[0]))
        body += [_section(p) for p in pieces[1:]]
    if message.chart is not None:
        body.append(_context(f"📈 {fit(message.chart.alt, SECTION_MAX - 4)}"))
    tail = _buttons(message.buttons)
    if message.footer.strip():
        tail.append(_context(fit(message.footer, SECTION_MAX)))
    room = max_blocks - len(tail)
    if len(body) > room:
        body = body[:room - 1] + [_context(escape(TRUNCATED.strip()))]
    return (body + tail)[:max_blocks]


def fallback(message: Message) -> str:
    """The notification / screen-reader text that goes with the blocks (escaped, short)."""
    head = message.title if not message.text else f"{message.title}\n{message.text}"
    return fit(head, FALLBACK_MAX) or " "


def post_args(message: Message) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / chat.postEphemeral / respond: blocks + fallback text."""
    return {"blocks": blocks(message), "text": fallback(message)}


# ---------------------------------------------------------------------------- modals and views


def _option(c: Choice) -> Block:
    opt: Block = {"text": plain(c.label, OPTION_MAX), "value": clip(c.value, OPTION_VALUE_MAX)}
    if c.description:
        opt["description"] = plain(c.description, OPTION_MAX)
    return opt


def _input(f: Field) -> Block:
    if f.kind == "choice" and f.choices:
        options = [_option(c) for c in f.choices[:OPTIONS_MAX]]
        element: Block = {"type": "static_select", "action_id": f.id, "options": options,
                          "placeholder": plain("Choose", 150)}
        initial = next((o for c, o in zip(f.choices, options, strict=False) if f.initial and c.value == f.initial), None)
        if initial is not None:
            element["initial_option"] = initial
    else:
        limit = min(f.max_length, INPUT_MAX) if f.max_length and f.max_length > 0 else INPUT_MAX
        element = {"type": "plain_text_input", "action_id": f.id, "multiline": f.kind == "multiline",
                   "max_length": limit}
        if f.initial:
            element["initial_value"] = clip(f.initial, limit)
    block: Block = {"type": "input", "block_id": f.id, "label": plain(f.label, LABEL_MAX), "element": element,
                    "optional": bool(f.optional)}
    if f.hint:
        block["hint"] = plain(f.hint, LABEL_MAX)
    return block


def metadata(meta: Mapping[str, str], extra: Mapping[str, str] | None = None) -> str:
    """Form.meta as private_metadata JSON; `extra` keys (ours, starting with '_') ride along if they fit."""
    data = {str(k): str(v) for k, v in meta.items()}
    out = json.dumps(data, separators=(",", ":"))
    if extra:
        with_extra = json.dumps({**data, **{k: str(v) for k, v in extra.items() if v}}, separators=(",", ":"))
        if units(with_extra) <= METADATA_MAX:
            out = with_extra
    if units(out) > METADATA_MAX:
        raise ValueError("form metadata is longer than Slack's 3,000-character private_metadata")
    return out


def modal(form: Form, extra_meta: Mapping[str, str] | None = None) -> Block:
    """A Form as a modal view: callback_id = Form.id, private_metadata = Form.meta as JSON."""
    body: list[Block] = []
    if form.intro.strip():
        body += [_section(p) for p in split(form.intro)][:5]
    body += [_input(f) for f in form.fields]
    return {
        "type": "modal",
        "callback_id": form.id,
        "private_metadata": metadata(form.meta, extra_meta),
        "title": plain(form.title, MODAL_TITLE_MAX),
        "submit": plain(form.submit or "Submit", MODAL_TITLE_MAX),
        "close": plain("Cancel", MODAL_TITLE_MAX),
        "blocks": body[:VIEW_BLOCKS_MAX],
    }


def home(message: Message) -> Block:
    """A member's overview as the App Home tab."""
    return {"type": "home", "blocks": blocks(message, VIEW_BLOCKS_MAX)}
