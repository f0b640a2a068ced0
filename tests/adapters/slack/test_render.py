"""Block Kit rendering: escaping and Slack's limits."""
from __future__ import annotations

import json

from adapters.slack import render
from bot.messages import Button, Chart, Choice, Field, Form, Message, Section


def all_texts(node) -> list[str]:
    out = []
    if isinstance(node, dict):
        if isinstance(node.get("text"), str):
            out.append(node["text"])
        for v in node.values():
            out += all_texts(v) if isinstance(v, (dict, list)) else []
    elif isinstance(node, list):
        for v in node:
            out += all_texts(v)
    return out


def test_every_piece_of_dynamic_text_is_escaped():
    evil = "<!channel> <@U123> <#C1> <https://x.test|click> & <!here>"
    msg = Message(title=evil, text=evil, sections=(Section(evil, evil),), buttons=(Button(evil, "rate", "1"),),
                  chart=Chart("/tmp/c.png", evil), footer=evil, user_text=True)
    blocks = render.blocks(msg)
    raw = json.dumps(blocks) + render.fallback(msg)
    for dangerous in ("<!channel>", "<@U123>", "<#C1>", "<https://", "<!here>"):
        assert dangerous not in raw
    assert "&lt;!channel&gt;" in raw and "&amp;" in raw
    assert all(t.get("verbatim") is True for b in blocks for t in [b.get("text", {})] if t.get("type") == "mrkdwn")
    args = render.post_args(msg)
    assert set(args) == {"blocks", "text"}  # never link_names, never parse=full


def test_escape_and_unescape_round_trip():
    text = "a < b && c > d; &lt; stays literal"
    assert render.unescape(render.escape(text)) == text
    assert render.escape("&lt;") == "&amp;lt;"


def test_long_text_is_split_across_sections_at_line_breaks():
    lines = [f"line {i} " + "x" * 90 for i in range(100)]  # ~10,000 characters
    msg = Message("T", sections=(Section("Answer", "\n".join(lines)),))
    blocks = render.blocks(msg)
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) >= 4
    assert all(render.units(b["text"]["text"]) <= 3000 for b in sections)
    joined = "\n".join(b["text"]["text"] for b in sections)
    assert joined.startswith("*Answer*\nline 0 ") and "line 99 " in joined
    assert all(not b["text"]["text"].startswith("x") for b in sections[1:])  # cut at line breaks


def test_escaping_counts_toward_the_limit_and_entities_are_never_cut():
    text = "<" * 5000  # 5,000 characters, 20,000 once escaped
    pieces = render.split(text)
    assert all(render.units(p) <= 3000 and p.endswith("&lt;") for p in pieces)
    assert "".join(pieces) == "&lt;" * 5000


def test_emoji_count_double_as_slack_counts_them():
    text = "🔥" * 2000  # 2,000 characters, 4,000 UTF-16 units
    assert all(render.units(p) <= 3000 for p in render.split(text))
    assert render.units(render.fit(text, 150)) <= 150


def test_at_most_50_blocks_with_a_visible_truncation_marker_and_the_buttons_kept():
    msg = Message("Answer #1 by Ada", sections=tuple(Section(f"S{i}", "y" * 2900) for i in range(80)),
                  buttons=(Button("Rate", "rate", "1", "primary"),), footer="footer")
    blocks = render.blocks(msg)
    assert len(blocks) == 50
    assert blocks[-2]["type"] == "actions" and blocks[-1]["type"] == "context"
    assert any("(truncated)" in t for t in all_texts(blocks))


def test_header_button_and_fallback_limits():
    msg = Message("H" * 400, text="t" * 10_000, buttons=(Button("B" * 200, "rate", "v" * 5000),))
    blocks = render.blocks(msg)
    assert blocks[0]["type"] == "section" and blocks[0]["text"]["text"] == "H" * 400  # too long for a header: kept whole
    button = next(b for b in blocks if b["type"] == "actions")["elements"][0]
    assert len(button["text"]["text"]) <= 75 and len(button["value"]) <= 2000
    assert len(render.fallback(msg)) <= 3000


def test_buttons_keep_their_action_and_value_and_repeated_actions_stay_unique():
    blocks = render.blocks(Message("m", buttons=(Button("Answer", "answer", "7", "primary"), Button("Drill", "drill"),
                                                 Button("Drill again", "drill", "x"))))
    els = blocks[-1]["elements"]
    assert [(e["action_id"], e.get("value")) for e in els] == [("answer", "7"), ("drill", None), ("drill#1", "x")]
    assert els[0]["style"] == "primary" and "style" not in els[1]


def test_a_form_becomes_a_modal_within_slacks_limits():
    form = Form(id="vote", title="Rate answer #123456789012345", submit="Submit vote, please, right now",
                fields=(Field("problem_definition", "Problem definition (20%)", kind="choice", hint="Framing",
                              choices=tuple(Choice(f"{n} — " + "z" * 100, str(n), "d" * 100) for n in range(1, 6)), initial="4"),
                        Field("comment", "Comment", kind="multiline", optional=True, max_length=10_000, initial="Nice <b> & co"),
                        Field("name", "Name", kind="text", initial="x" * 5000)),
                meta={"answer_id": "12"}, intro="Intro <!channel>")
    view = render.modal(form, {"_channel": "C1", "_thread": ""})
    assert view["callback_id"] == "vote" and len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {"answer_id": "12", "_channel": "C1"}
    intro, select, comment, name = view["blocks"]
    assert "&lt;!channel&gt;" in intro["text"]["text"]
    sel = select["element"]
    assert sel["type"] == "static_select" and select["block_id"] == sel["action_id"] == "problem_definition"
    assert all(len(o["text"]["text"]) <= 75 and len(o["description"]["text"]) <= 75 for o in sel["options"])
    assert sel["initial_option"] == sel["options"][3] and select["hint"]["text"] == "Framing" and select["optional"] is False
    el = comment["element"]
    assert el["type"] == "plain_text_input" and el["multiline"] and el["max_length"] == 3000 and comment["optional"]
    assert el["initial_value"] == "Nice <b> & co"  # an input value is what the person typed, not escaped
    assert name["element"]["multiline"] is False and len(name["element"]["initial_value"]) == 2900  # Field.max_length


def test_home_view():
    view = render.home(Message("Your practice", sections=(Section("Streak", "🔥 3 days"),),
                               buttons=(Button("Start a drill", "drill", "", "primary"),)))
    assert view["type"] == "home" and view["blocks"][0]["type"] == "header"
    assert view["blocks"][-1]["elements"][0]["action_id"] == "drill"
