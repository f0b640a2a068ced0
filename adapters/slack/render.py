"""Neutral messages and forms -> Block Kit.

Every piece of dynamic text is escaped (`&`, `<`, `>`), so a `<!channel>` or `<@U123>` in an
answer shows as text and never pings; `link_names` is never used. Slack's limits are applied
here, counted the way Slack counts (UTF-16 code units, after escaping): long text is split
across several section blocks, and anything that still does not fit is cut with a visible
"… (truncated)" marker; titles (headers, modal titles) are cut at a word with "…". A message
whose block text would pass `BLOCK_TEXT_BUDGET` is split across several messages
(`posts`), its buttons on the first. Input values (a modal's `initial_value`) are the one exception to
escaping: they are what the person typed and are shown verbatim in an input box.
"""
from __future__ import annotations

import json
import re
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
ELLIPSIS = "…"
# The block text of one message (the sum of every text in its blocks, as Slack counts it) is kept
# under this. Slack rejects larger messages with `msg_blocks_too_long` at roughly 12-13k
# characters; the limit is not in Slack's docs, it is reported in bolt-js issues #2509 and #2867.
BLOCK_TEXT_BUDGET = 12_000
NOTICE_TITLE = "sensebot"
LOADING_CALLBACK = "loading"

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


def _escaped_head(text: str, budget: int) -> tuple[str, int]:
    """The longest escaped beginning of `text` within `budget` units, and how many characters of
    `text` it holds (an entity is never cut in half)."""
    used, kept = 0, []
    for ch in text:
        piece = _ESCAPES.get(ch, ch)
        if used + units(piece) > budget:
            break
        kept.append(piece)
        used += units(piece)
    return "".join(kept), len(kept)


def fit(text: str, limit: int) -> str:
    """`text` escaped, at most `limit` units; cut with a visible marker when it is longer."""
    out = escape(text)
    if units(out) <= limit:
        return out
    head, _ = _escaped_head(text, limit - units(TRUNCATED))
    return head.rstrip() + TRUNCATED


def fit_words(text: str, limit: int) -> str:
    """`text` escaped, at most `limit` units (escaped length, as it is sent); cut at a word with "…".

    For titles (headers, modal titles and buttons), where a long "(truncated)" marker would eat
    most of the room: "Rate Tom & Jerry Smith" in 24 units is "Rate Tom &amp; Jerry…"."""
    out = escape(text)
    if units(out) <= limit:
        return out
    cut, n = _escaped_head(text, limit - units(ELLIPSIS))
    if text[n:n + 1] not in ("", " ") and " " in cut.strip():  # mid-word: back to the last space
        cut = cut[:cut.rstrip().rfind(" ")]
    return cut.rstrip(" ,;:–—-") + ELLIPSIS


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


def title(text: str, limit: int) -> dict[str, Any]:
    """A header, modal title or button label: cut at a word with "…"."""
    return {"type": "plain_text", "text": fit_words(text, limit) or " ", "emoji": True}


_FORMATTING = re.compile(r"([*_~`])")
_CHANNEL_REF = re.compile(r"&lt;#([CGD][A-Z0-9]{2,20})&gt;")


def literal(escaped: str) -> str:
    """Escaped user text with mrkdwn's formatting characters neutralised: mrkdwn has no escape
    character, so a zero-width space goes before each `*`, `_`, `~` and `` ` `` — a name like
    `*_Ann_*` shows as typed instead of bold italics."""
    return _FORMATTING.sub("\u200b\\1", escaped)


def channel_links(escaped: str) -> str:
    """The core's neutral channel reference `<#C123>` (see bot.messages.channel_ref) as a Slack
    channel link; a channel link never notifies anyone."""
    return _CHANNEL_REF.sub(r"<#\1>", escaped)


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
        el: Block = {"type": "button", "text": title(b.label, BUTTON_MAX),
                     "action_id": clip(b.action if n == 0 else f"{b.action}#{n}", 255)}
        if b.value:
            el["value"] = clip(b.value, BUTTON_VALUE_MAX)
        if b.style in ("primary", "danger"):
            el["style"] = b.style
        elements.append(el)
    return [{"type": "actions", "elements": elements[i:i + ACTIONS_MAX]} for i in range(0, len(elements), ACTIONS_MAX)]


def _is_note(message: Message) -> bool:
    """Only a title: an error or a short notice, whose sentence belongs in the body, not a header."""
    return not (message.text.strip() or message.sections or message.buttons or message.chart or message.footer.strip())


def _parts(message: Message) -> tuple[list[Block], list[Block], list[Block]]:
    """(head, body, tail) blocks of a message; the body may be longer than one message holds."""
    def show(escaped: str) -> str:
        # members' text is shown as typed (no formatting); the core's own text may name a channel
        return literal(escaped) if message.user_text else channel_links(escaped)

    head: list[Block] = []
    body: list[Block] = []
    if message.title.strip():
        if _is_note(message) or units(escape(message.title)) > HEADER_MAX:
            # errors and long titles go in the body, whole: a header would cut them at 150
            body += [_section(show(p)) for p in split(message.title)]
        else:
            head.append({"type": "header", "text": title(message.title, HEADER_MAX)})
    body += [_section(show(p)) for p in split(message.text)]
    for s in message.sections:
        bold = f"*{fit(s.title, SECTION_MAX // 2)}*" if s.title.strip() else ""
        pieces = split(s.text, (SECTION_MAX - units(bold) - 1) // (2 if message.user_text else 1))
        if not pieces:
            if bold:
                body.append(_section(bold))
            continue
        body.append(_section(f"{bold}\n{show(pieces[0])}" if bold else show(pieces[0])))
        body += [_section(show(p)) for p in pieces[1:]]
    if message.chart is not None:
        body.append(_context(f"📈 {fit(message.chart.alt, SECTION_MAX - 4)}"))
    tail = _buttons(message.buttons)
    if message.footer.strip():
        tail.append(_context(show(fit(message.footer, SECTION_MAX))))
    return head, body, tail


def blocks(message: Message, max_blocks: int = BLOCKS_MAX) -> list[Block]:
    """A message as one list of blocks (a Home tab, a modal): never more than `max_blocks`."""
    head, body, tail = _parts(message)
    body = head + body
    room = max_blocks - len(tail)
    if len(body) > room:
        body = body[:room - 1] + [_context(escape(TRUNCATED.strip()))]
    return (body + tail)[:max_blocks]


def block_text(blocks_: Iterable[Any]) -> int:
    """The block text of a message as Slack totals it against its budget: every text, in units."""
    total = 0
    for node in blocks_:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                total += units(node["text"])
            total += block_text(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            total += block_text(node)
    return total


def posts(message: Message, budget: int = BLOCK_TEXT_BUDGET) -> list[dict[str, Any]]:
    """chat.postMessage arguments for a message: one message, or several when its blocks would
    pass Slack's block-text budget or 50 blocks. The first carries the header and the buttons (a
    Rate button is never pushed to a later part), the last the footer."""
    head, body, tail = _parts(message)
    buttons = [b for b in tail if b["type"] == "actions"]
    footer = [b for b in tail if b["type"] != "actions"]
    chunks: list[list[Block]] = []
    current: list[Block] = list(head)
    for block in body:
        extra = (buttons if not chunks else []) + footer  # room kept for what closes the message
        fits = len(current) + 1 + len(extra) <= BLOCKS_MAX and block_text(current + [block] + extra) <= budget
        if not fits and current:
            chunks.append(current)
            current = []
        current.append(block)
    chunks.append(current)
    chunks[0] = chunks[0] + buttons
    chunks[-1] = chunks[-1] + footer
    out = []
    for i, chunk in enumerate(chunks):
        text = fallback(message) if i == 0 else fit(f"{message.title} (continued)", FALLBACK_MAX)
        out.append({"blocks": chunk, "text": text})
    return out


def fallback(message: Message) -> str:
    """The notification / screen-reader text that goes with the blocks (escaped, short)."""
    head = message.title if not message.text else f"{message.title}\n{message.text}"
    out = fit(head, FALLBACK_MAX) or " "
    return out if message.user_text else channel_links(out)


def post_args(message: Message) -> dict[str, Any]:
    """Keyword arguments for chat.postEphemeral / respond, where a message can't be split: the
    first part of `posts` (a reply to a person is short)."""
    return posts(message)[0]


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
        "title": title(form.title, MODAL_TITLE_MAX),
        "submit": title(form.submit or "Submit", MODAL_TITLE_MAX),
        "close": title("Cancel", MODAL_TITLE_MAX),
        "blocks": body[:VIEW_BLOCKS_MAX],
    }


def home(message: Message) -> Block:
    """A member's overview as the App Home tab."""
    return {"type": "home", "blocks": blocks(message, VIEW_BLOCKS_MAX)}


def loading(form_title: str) -> Block:
    """The modal opened the moment a button is pressed (the trigger id lives 3 seconds): it is
    replaced by the real form, or by the answer, once the core has worked it out."""
    return {"type": "modal", "callback_id": LOADING_CALLBACK, "title": title(form_title or NOTICE_TITLE, MODAL_TITLE_MAX),
            "close": title("Cancel", MODAL_TITLE_MAX),
            "blocks": [_context(escape("Loading…"))]}


def notice(messages: Iterable[Message]) -> Block:
    """A modal that only shows messages (the answer to a press that did not end in a form)."""
    body: list[Block] = []
    for m in messages:
        body += [b for b in blocks(m, VIEW_BLOCKS_MAX) if b["type"] != "actions"]
    return {"type": "modal", "callback_id": "notice", "title": title(NOTICE_TITLE, MODAL_TITLE_MAX),
            "close": title("Close", MODAL_TITLE_MAX), "blocks": body[:VIEW_BLOCKS_MAX] or [_section(" ")]}


def field_errors(view: Mapping[str, Any], errors: Mapping[str, str]) -> dict[str, str]:
    """The core's {field: sentence} as Slack's {block_id: sentence} for `response_action: errors`.
    A field id is its input's block id; an error about no field in particular goes on the first input."""
    inputs = [b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"]
    out: dict[str, str] = {}
    for fid, sentence in errors.items():
        block = fid if fid in inputs else (inputs[0] if inputs else fid)
        out[block] = clip(f"{out[block]} {sentence}" if block in out else sentence, LABEL_MAX)
    return out
