"""Pure pieces: rendering inside Discord's limits, custom-id state, payload translation, the CLI."""
from __future__ import annotations

import asyncio

import discord
import pytest

from adapters.discord import ids, render, translate
from adapters.discord.client import PERMISSIONS, _normalise, invite_url, main
from bot.config import ConfigError, Settings
from bot.events import Command, FormSubmitted, ThreadReply
from bot.messages import (
    Attachment,
    Button,
    Choice,
    Field,
    Form,
    Message,
    Reply,
    Section,
)
from tests.fakes.discord_fakes import check_message_limits


def as_body(out: render.Outgoing) -> dict:
    kw = out.kwargs()
    body = {"embeds": [e.to_dict() for e in kw["embeds"]], "allowed_mentions": kw["allowed_mentions"].to_dict()}
    if "view" in kw:
        body["components"] = kw["view"].to_components()
    return body


def in_loop(fn):
    """Views and modals want a running event loop, as they have in the client."""
    async def wrapped():
        return fn()
    return asyncio.run(wrapped())


def test_a_2500_character_answer_is_split_over_fields_not_rejected():
    text = "Scope: " + ("B2B developers, admins and auditors need to know what changed. " * 40)[:2493]
    assert len(text) == 2500
    outs = in_loop(lambda: render.outgoing(Message("Answer #3 by Ada", sections=(Section("Scope", text),),
                                                   buttons=(Button("Rate", "rate", "3", "primary"),), user_text=True)))
    assert len(outs) == 1
    body = as_body(outs[0])
    check_message_limits(body)
    fields = body["embeds"][0]["fields"]
    assert len(fields) == 3 and all(len(f["value"]) <= 1024 for f in fields) and fields[0]["name"] == "Scope"
    assert "".join(text.split()) == "".join("".join(f["value"] for f in fields).split())
    assert body["allowed_mentions"] == {"parse": []}


def test_everything_long_is_cut_with_a_visible_marker():
    huge = Message("T" * 400, "D" * 9000, sections=tuple(Section(f"S{i}" * 200, "v" * 1500) for i in range(40)),
                   buttons=tuple(Button(f"B{i}" * 50, "rate", str(i)) for i in range(30)), footer="F" * 3000)
    outs = in_loop(lambda: render.outgoing(huge))
    assert len(outs) == render.MAX_PARTS
    bodies = [in_loop(lambda o=o: as_body(o)) for o in outs]
    for b in bodies:
        check_message_limits(b)
    assert bodies[0]["embeds"][0]["title"].endswith("… (truncated)") and len(bodies[0]["embeds"][0]["title"]) == 256
    assert bodies[-1]["embeds"][-1]["fields"][-1]["value"].endswith("… (truncated)")
    assert bodies[-1]["embeds"][-1]["footer"]["text"].endswith("… (truncated)")
    buttons = [c for row in bodies[-1]["components"] for c in row["components"]]
    assert len(buttons) == 25 and all(len(b["label"]) <= 80 for b in buttons)


def test_a_reply_packs_its_messages_and_attachment():
    reply = Reply(messages=(Message("Drill: X", "intro"), Message("Step 1 of 4 — Scope", "q", buttons=(Button("Answer Scope", "drill_step", "4"),))),
                  attachment=Attachment("export.json", b"{}"))
    outs = in_loop(lambda: render.reply_outgoing(reply))
    assert len(outs) == 1 and len(outs[0].embeds) == 2 and [b.action for b in outs[0].buttons] == ["drill_step"]
    assert outs[0].files[0].filename == "export.json"


def answer_form(initial: str = "") -> Form:
    fields = tuple(Field(s, s.capitalize(), hint="A question of more than one hundred characters, " * 3, optional=True,
                         initial=initial, max_length=2900) for s in ("scope", "segment", "solve", "score"))
    return Form("answer", "Your answer", fields, meta={"round_id": "12"}, intro="Make failed SMS debuggable")


def vote_form() -> Form:
    choices = tuple(Choice(str(n), str(n)) for n in range(1, 6))
    dims = ("problem_definition", "user_empathy", "solution_design", "business_impact", "communication")
    return Form("vote", "Rate answer #7", tuple(Field(d, f"{d.replace('_', ' ').title()} (20%)", kind="choice", choices=choices,
                                                      initial="4" if d == "user_empathy" else "") for d in dims)
                + (Field("comment", "Comment", optional=True, max_length=1000, initial="nice"),), meta={"answer_id": "7"})


def test_the_answer_form_is_one_modal_within_limits():
    modal = in_loop(lambda: render.modal_for(answer_form("x" * 5000)))
    data = modal.to_dict()
    assert data["custom_id"] == "sbf:answer:1:round_id=12:" and len(data["title"]) <= 45
    assert len(data["components"]) == 5 and data["components"][0]["type"] == 10  # the prompt's title, then 4 inputs
    for label in data["components"][1:]:
        assert label["type"] == 18 and len(label["label"]) <= 45 and len(label["description"]) <= 100
        text = label["component"]
        assert text["type"] == 4 and text["style"] == 2 and text["max_length"] == 2900 and len(text["value"]) == 2900
        assert text["required"] is False


def test_the_vote_form_is_two_parts_five_selects_then_the_comment():
    form = vote_form()
    assert [len(p) for p in render.form_parts(form)] == [5, 1]
    opener = ids.Opener("a", "rate", "7")
    first = in_loop(lambda: render.modal_for(form, 1, opener)).to_dict()
    assert first["custom_id"] == "sbf:vote:1:answer_id=7:a.rate.7" and len(first["components"]) == 5
    selects = [c["component"] for c in first["components"]]
    assert all(s["type"] == 3 and len(s["options"]) == 5 and s["min_values"] == 1 for s in selects)
    assert [o["value"] for o in selects[1]["options"] if o.get("default")] == ["4"]
    second = in_loop(lambda: render.modal_for(form, 2, opener)).to_dict()
    assert second["custom_id"] == "sbf:vote:2:answer_id=7:a.rate.7" and second["title"] == "Rate answer #7 (2/2)"
    assert second["components"][0]["component"]["value"] == "nice"
    button = render.continue_button(form, 1, opener)
    assert button.label == "Add comment" and ids.parse_part_value(button.value) == (2, opener)
    assert render.continue_button(form, 2, opener) is None


def test_custom_ids_round_trip_and_stay_under_100():
    cid = ids.button_id("drill", "skill endpoint", "123")
    assert cid == "sb:drill:skill%20endpoint:g123" and ids.parse_button(cid) == ("drill", "skill endpoint", "123")
    assert ids.parse_button("sb:answer:1") == ("answer", "1", None)
    assert ids.parse_button("other:thing") is None
    with pytest.raises(ids.TooLong):
        ids.button_id("rate", "9" * 120)
    f = ids.FormId("drill_step", 1, (("drill_id", "5"), ("step", "scope")), ids.Opener("c", "rate", "12"), "42")
    assert ids.FormId.decode(f.encode()) == f
    long_opener = ids.FormId("vote", 1, (("answer_id", "7"),), ids.Opener("c", "x", "y" * 120))
    assert ids.FormId.decode(long_opener.encode()).opener is None  # dropped, the form still submits
    with pytest.raises(ids.TooLong):
        ids.FormId("vote", 1, (("k", "v" * 120),)).encode()


def test_modal_payloads_translate_rows_labels_and_selects():
    components = [
        {"type": 1, "components": [{"type": 4, "custom_id": "scope", "value": "old style row"}]},
        {"type": 18, "component": {"type": 4, "custom_id": "segment", "value": "in a label"}},
        {"type": 18, "component": {"type": 3, "custom_id": "user_empathy", "values": ["4"]}},
        {"type": 18, "component": {"type": 3, "custom_id": "communication", "values": []}},
        {"type": 10, "content": "just text"},
    ]
    assert translate.modal_values(components) == {"scope": "old style row", "segment": "in a label",
                                                  "user_empathy": "4", "communication": ""}


def test_commands_map_options_to_core_arguments():
    w = translate.who("1", 2, "Ada", manage_guild=True, channel_id=3)
    assert w.is_admin and w.platform == "discord" and w.workspace_id == "1"
    chan = discord.Object(555)
    assert translate.command(w, "setup", channel=chan, time="09:00", timezone="Europe/Berlin", weekdays=None) == \
        Command(w, "setup", ("555", "09:00", "Europe/Berlin"))
    assert translate.command(w, "setup", channel=chan, time="09:00", timezone="Europe/Berlin", weekdays="mon-fri").args[-1] == "mon-fri"
    assert translate.command(w, "drill", category="skill endpoint").args == ("skill", "endpoint")
    assert translate.command(w, "drill", category=None).args == ()
    assert translate.command(w, "leaderboard", period="month", by=None, me=None).args == ("month",)
    assert translate.command(w, "leaderboard", period="month", by="score", me="hide").args == ("hide",)
    assert translate.command(w, "reminders", state=None, quiet_from="22:00", quiet_to="07:00").args == ("quiet", "22:00", "07:00")
    assert translate.command(w, "reminders", state="on", quiet_from=None, quiet_to=None).args == ("on",)
    assert translate.command(w, "rate", answer=12).args == ("12",)
    assert translate.command(w, "drill", category="mock").args == ("mock",)
    assert translate.command(w, "pairs", state="on").args == ("on",)
    assert translate.command(w, "pairs", state=None).args == ()
    assert translate.thread_reply(w, 10, 20, "hi", 30) == ThreadReply(w, "10:20", "hi", "30")
    assert translate.form_submitted(w, "vote", {"a": "1"}, {"answer_id": "7"}) == FormSubmitted(w, "vote", {"a": "1"}, {"answer_id": "7"})
    assert translate.parse_ref("10:20") == (10, 20)
    with pytest.raises(ValueError):
        translate.parse_ref("ref-1")


def test_invite_url_asks_only_for_what_the_bot_uses():
    url = invite_url(Settings(discord_application_id="123456"))
    assert url == f"https://discord.com/oauth2/authorize?client_id=123456&scope=bot+applications.commands&permissions={PERMISSIONS.value}"
    wanted = discord.Permissions(view_channel=True, send_messages=True, send_messages_in_threads=True,
                                 create_public_threads=True, embed_links=True, attach_files=True,
                                 read_message_history=True)
    assert PERMISSIONS.value == wanted.value  # nothing more: no admin, no manage_messages
    with pytest.raises(ConfigError, match="DISCORD_APPLICATION_ID is not set"):
        invite_url(Settings())


def test_cli_prints_the_invite_url_and_explains_what_is_missing(monkeypatch, capsys):
    from bot.cli import main as cli
    for k in ("DISCORD_TOKEN", "DISCORD_APPLICATION_ID"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("SENSEBOT_DATABASE_URL", "sqlite:///:memory:")
    assert cli(["discord", "invite-url"]) == 2
    assert "DISCORD_APPLICATION_ID is not set" in capsys.readouterr().err
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "987")
    assert cli(["discord", "invite-url"]) == 0
    assert capsys.readouterr().out.startswith("https://discord.com/oauth2/authorize?client_id=987&scope=bot+applications.commands")
    assert cli(["discord"]) == 2
    err = capsys.readouterr().err
    assert "DISCORD_TOKEN is not set" in err and "Traceback" not in err


def test_command_comparison_ignores_what_discord_adds():
    local = [{"name": "drill", "description": "d", "type": 1, "options": [{"name": "category", "description": "c", "type": 3,
                                                                            "choices": [{"name": "A", "value": "a"}]}],
              "default_member_permissions": None, "contexts": [0]}]
    remote = [dict(local[0], id="1", application_id="2", version="3", guild_id="4", nsfw=False,
                   options=[dict(local[0]["options"][0], required=False)])]
    assert _normalise(local) == _normalise(remote)
    assert _normalise(local) != _normalise([dict(remote[0], description="changed")])


def test_sync_action_registers_the_commands(tmp_path, capsys):
    from tests.fakes.discord_fakes import FakeDiscord
    fake = FakeDiscord().start()
    try:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", discord_token="x" * 30,
                            discord_api_url=fake.api.url, discord_guild_id=str(fake.api.guild_id))
        assert main(settings, "sync") == 0
        put = fake.api.recorded("PUT")
        assert len(put) == 1 and put[0].path.endswith(f"/guilds/{fake.api.guild_id}/commands")
        names = {c["name"] for c in put[0].json}
        assert {"drill", "answer", "rate", "leaderboard", "progress", "pairs", "forget-me", "sensebot"} <= names
        drill = next(c for c in put[0].json if c["name"] == "drill")
        assert "mock" in [ch["value"] for ch in drill["options"][0]["choices"]]
        assert capsys.readouterr().out.startswith(f"Synced {len(names)} slash commands to server {fake.api.guild_id}")
        fake.api.fail_next(1, 401, code=0, message="401: Unauthorized", path="/users/@me")
        with pytest.raises(ConfigError, match="Discord refused DISCORD_TOKEN"):
            main(settings, "sync")
    finally:
        fake.stop()


def test_18_render_never_sends_a_blank_field_or_unescaped_names():
    from tests.fakes.discord_fakes import blank_fields
    msg = Message("Answer #3 by *Ada*", "  \n ", sections=(Section("Scope", " \n\t "), Section("  ", "text"),
                                                            Section("Solve", "x" * 1030 + "\n" + " " * 20)),
                  user_text=True)
    for out in render.outgoing(msg):
        body = {"embeds": [e.to_dict() for e in out.embeds]}
        assert not blank_fields(body)
    assert render.outgoing(msg)[0].embeds[0].title == r"Answer #3 by \*Ada\*"
