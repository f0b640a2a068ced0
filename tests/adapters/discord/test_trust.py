"""Trust at the Discord edge: unreadable custom_ids and modal payloads, ids forged across servers,
Manage Server read from every interaction, and the bot token kept out of DEBUG logs.

* Fuzz: `ids` decodes any string of up to 100 characters to a value or None (what it encodes, it
  decodes back), and `translate.modal_values` reads any component tree without raising.
* Two servers (A and B) on one database, each with its own round: a member in B pressing a button
  or submitting a modal whose custom_id carries A's round, answer or drill finds nothing, and A's
  rows are unchanged — also when the custom_id names server A (`:g<id>`).
* `/sensebot setup` and `pause` are refused to a member whose interaction doesn't carry Manage Server,
  whatever an earlier interaction said.
"""
from __future__ import annotations

import asyncio
import copy
import io
import logging
import random
from datetime import datetime
from typing import Self
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from adapters.discord import ids, translate
from adapters.discord.client import DiscordRuntime
from bot import config
from bot.app import App
from bot.config import Settings
from bot.outbox import Dispatcher
from bot.practice import Practice
from bot.store.models import Answer, Drill, Member, Round, Team, Vote
from tests.adapters.discord.conftest import (
    ADA,
    ADMIN,
    BEN,
    CY,
    TOKEN,
    Harness,
    run,
    setup_options,
    text_of,
)
from tests.fakes.discord_fakes import (
    MANAGE_GUILD,
    PERMISSIONS_ALL,
    FakeDiscord,
    custom_ids,
    snowflake,
    text_channel_json,
)

BERLIN = ZoneInfo("Europe/Berlin")
EPHEMERAL = 64
FUZZ = settings(max_examples=200, deadline=None)

# ============================================================================ fuzzing custom ids

# Pieces custom ids are made of, so that random strings reach past the prefixes.
PIECES = ["sb:", "sbf:", ":", ":g", "g", "%", "%2", "%3A", "%2E", "%ZZ", "%ff", ".", "a.", "c.", "&", "=", "rate",
          "vote", "answer", "form_part", "drill_step", "round_id", "answer_id", "1", "42", "007", "²", "١", "٣",
          "\u0000", "é", "🙂", " ", "-", "_", "~"]
id_like = st.lists(st.sampled_from(PIECES) | st.text(max_size=5), max_size=25).map("".join).map(lambda s: s[:100])
any_id = st.text(max_size=100) | id_like


def _decode_all(s: str):
    """Every decoder on one string: each gives None or a value of the documented shape."""
    button = ids.parse_button(s)
    assert button is None or (isinstance(button[0], str) and isinstance(button[1], str)
                              and (button[2] is None or button[2].isdigit()))
    fid = ids.FormId.decode(s)
    assert fid is None or (fid.form and fid.part >= 0 and all(isinstance(k, str) and isinstance(v, str)
                                                               for k, v in fid.meta))
    opener = ids.Opener.decode(s)
    assert opener is None or opener.kind in ("a", "c")
    part = ids.parse_part_value(s)
    assert part is None or (isinstance(part[0], int) and isinstance(part[1], ids.Opener))
    return button, fid, opener, part


@FUZZ
@given(any_id)
@example("sbf:vote:1:answer_id=7:a.rate.%2E")
@example("2.a.x%2Ey.z")
@example("².a.rate.1")
def test_fuzz_custom_id_decoding_never_raises_and_reencodes(s):
    button, fid, opener, part = _decode_all(s)
    # what decodes, encodes again (or is refused as too long) and decodes to the same thing
    if button is not None:
        try:
            again = ids.button_id(*button)
        except ids.TooLong:
            pass
        else:
            assert ids.parse_button(again) == button
    if fid is not None:
        try:
            again = fid.encode()
        except ids.TooLong:
            pass
        else:
            decoded = ids.FormId.decode(again)
            assert decoded in (fid, ids.FormId(fid.form, fid.part, fid.meta, None, fid.guild))
    if opener is not None:
        assert ids.Opener.decode(opener.encode()) == opener
    if part is not None:
        assert ids.parse_part_value(ids.part_value(*part)) == part


@FUZZ
@given(st.text(max_size=100))
def test_fuzz_message_refs_and_snowflakes_reject_with_valueerror(s):
    for fn in (translate.parse_ref, translate.snowflake):
        try:
            out = fn(s)
        except ValueError:
            continue
        assert isinstance(out, (int, tuple))


actions = st.from_regex(r"[a-z_]{1,20}", fullmatch=True)
guilds = st.none() | st.integers(1, 2**63 - 1).map(str)
values = st.text(max_size=60)


@FUZZ
@given(actions, values, guilds)
def test_button_ids_round_trip(action, value, guild):
    try:
        cid = ids.button_id(action, value, guild)
    except ids.TooLong:  # only state that doesn't fit is refused
        assert len(f"sb:{action}:{quote(value, safe='')}") + (len(guild) + 2 if guild else 0) > ids.MAX_ID
        return
    assert len(cid) <= ids.MAX_ID
    assert ids.parse_button(cid) == (action, value, guild)
    assert ids.FormId.decode(cid) is None  # a button is never taken for a form


openers = st.builds(ids.Opener, st.sampled_from(["a", "c"]), st.text(max_size=20), st.text(max_size=30))


@FUZZ
@given(st.text(min_size=1, max_size=20), st.integers(0, 99),
       st.lists(st.tuples(st.text(max_size=12), st.text(max_size=20)), max_size=3).map(tuple),
       st.none() | openers, guilds)
@example("vote", 1, (("answer_id", "7"),), ids.Opener("a", "rate", "3.5"), None)  # a dot inside an opener's value
@example("vote", 1, (("answer_id", "7"),), ids.Opener("c", "set", "pass-bar 4.5"), "42")
def test_form_ids_round_trip(form, part, meta, opener, guild):
    fid = ids.FormId(form, part, meta, opener, guild)
    try:
        cid = fid.encode()
    except ids.TooLong:
        return
    assert len(cid) <= ids.MAX_ID
    decoded = ids.FormId.decode(cid)
    assert decoded is not None and ids.parse_button(cid) is None
    if decoded.opener is None and opener is not None:  # dropped only because it didn't fit
        assert len(cid + opener.encode()) > ids.MAX_ID
        decoded = ids.FormId(decoded.form, decoded.part, decoded.meta, opener, decoded.guild)
    assert decoded == fid


@FUZZ
@given(st.integers(1, 9), openers)
@example(2, ids.Opener("a", "rate", "1.5"))
def test_continue_button_values_round_trip(part, opener):
    assert ids.parse_part_value(ids.part_value(part, opener)) == (part, opener)
    assert ids.Opener.decode(opener.encode()) == opener


# ============================================================================ fuzzing modal payloads

COMPONENT_KEYS = ["type", "components", "component", "custom_id", "value", "values", "id", "label"]
scalars = st.none() | st.booleans() | st.integers(-2, 20) | st.floats() | st.text(max_size=12)
component_tree = st.recursive(
    scalars | st.sampled_from([1, 3, 4, 10, 18]),
    lambda kids: st.lists(kids, max_size=4)
    | st.dictionaries(st.sampled_from(COMPONENT_KEYS) | st.text(max_size=6), kids, max_size=5),
    max_leaves=25,
)
# the documented shapes, with anything inside
text_input = st.fixed_dictionaries({"type": st.just(4), "custom_id": st.text(max_size=20)},
                                   optional={"value": component_tree, "id": st.integers()})
select_menu = st.fixed_dictionaries({"type": st.just(3), "custom_id": st.text(max_size=20)},
                               optional={"values": component_tree, "id": st.integers()})
shaped = st.recursive(
    text_input | select_menu | st.fixed_dictionaries({"type": st.just(10)}, optional={"content": component_tree}),
    lambda kids: st.fixed_dictionaries({"type": st.just(1), "components": st.lists(kids, max_size=5) | component_tree})
    | st.fixed_dictionaries({"type": st.just(18)}, optional={"component": kids | component_tree, "label": scalars}),
    max_leaves=12,
)
component_lists = st.lists(shaped | component_tree, max_size=6) | component_tree


@FUZZ
@given(component_lists)
@example([{"type": 1, "components": 5}])
@example([{"type": 18, "component": "x"}])
@example(["not a component", 3, None])
@example([{"type": 3, "custom_id": "s", "values": 7}])
@example([{"type": 4, "custom_id": ["unhashable"], "value": "v"}])
def test_fuzz_modal_values_never_raise(components):
    out = translate.modal_values(components)
    assert isinstance(out, dict)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in out.items())


@FUZZ
@given(st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=50) | st.lists(st.text(max_size=20), max_size=1),
                       max_size=5), st.sampled_from(["label", "row"]))
def test_modal_values_reads_every_documented_shape(filled, layout):
    components = []
    for cid, v in filled.items():
        inner = {"type": 3, "custom_id": cid, "values": v} if isinstance(v, list) else {"type": 4, "custom_id": cid, "value": v}
        components.append({"type": 18, "component": inner} if layout == "label" else {"type": 1, "components": [inner]})
    components.append({"type": 10, "content": "an intro text display"})
    expected = {cid: (v[0] if v else "") if isinstance(v, list) else v for cid, v in filled.items()}
    assert translate.modal_values(components) == expected


# ============================================================================ two servers, one database


class DbHarness(Harness):
    """The conftest Harness on the test's `db` fixture (SQLite or PostgreSQL), with a second server B."""

    def __init__(self, db, tmp_path, clock, library, **kw):
        super().__init__(tmp_path, clock, library, **kw)
        self.db = db

    async def __aenter__(self) -> Self:
        await self.api.start()
        settings = Settings(database_url=self.db.url, discord_token=TOKEN, discord_api_url=self.api.url,
                            discord_guild_id=str(self.api.guild_id), discord_application_id=str(self.api.application_id))
        self.app = App(settings, self.db, self.library,
                       Practice(self.db, self.clock, self.library, default_tz="UTC", command_prefix="/"))
        self.runtime = DiscordRuntime(self.app, **self.runtime_kw)
        self.client = await self.runtime.login()
        self.client._connection.parse_guild_create(self.p.guild_create())
        self.dispatcher = Dispatcher(self.app.db, self.clock, {"discord": self.runtime.port}, worker="t",
                                     rng=random.Random(1))
        # server B, with its own practice channel
        self.guild_a, self.channel_a = self.api.guild_id, self.api.channel_id
        self.guild_b, self.channel_b = snowflake(), snowflake()
        self.api.channels[self.channel_b] = text_channel_json(self.channel_b, self.guild_b)
        b = self.p.guild_create()
        b.update(id=str(self.guild_b), name="Other Server", channels=[self.api.channels[self.channel_b]])
        b["roles"][0]["id"] = str(self.guild_b)
        self.client._connection.parse_guild_create(b)
        return self

    def in_b(self, payload: dict) -> dict:
        """The same interaction, made in server B's practice channel."""
        p = copy.deepcopy(payload)
        gid, cid = str(self.guild_b), self.channel_b
        p.update(guild_id=gid, guild={"id": gid, "locale": "en-US", "features": []}, channel_id=str(cid),
                 channel=self.api.channels[cid], authorizing_integration_owners={"0": gid})
        if "message" in p:
            p["message"].update(channel_id=str(cid), guild_id=gid)
        return p

    async def setup_b(self) -> dict:
        options = setup_options(self.p, self.channel_b)
        options["resolved"]["channels"][str(self.channel_b)]["guild_id"] = str(self.guild_b)
        return await self.interact(self.in_b(self.p.slash("sensebot", user_id=ADMIN, name="Admin",
                                                          permissions=MANAGE_GUILD, **options)))

    def team_id(self, guild: int) -> int:
        with self.app.db.session() as s:
            return s.exec(select(Team.id).where(Team.platform == "discord", Team.workspace_id == str(guild))).one()

    def round_id(self, guild: int) -> int:
        with self.app.db.session() as s:
            return s.exec(select(Round.id).where(Round.team_id == self.team_id(guild))).one()

    def member_id(self, guild: int, user: int) -> int:
        with self.app.db.session() as s:
            return s.exec(select(Member.id).where(Member.team_id == self.team_id(guild),
                                                  Member.user_id == str(user))).one()

    def answer_id(self, guild: int, user: int) -> int:
        with self.app.db.session() as s:
            return s.exec(select(Answer.id).where(Answer.member_id == self.member_id(guild, user),
                                                  Answer.round_id.is_not(None))).one()

    async def run_all_due(self) -> None:
        with self.app.db.session() as s:
            teams = s.exec(select(Team.id).order_by(Team.id)).all()
        for tid in teams:
            await asyncio.to_thread(self.app.practice.run_due, tid)
        await self.drain()

    def snapshot(self, guild: int) -> dict:
        """Every round, answer, vote, drill and member row of a server's team."""
        team = self.team_id(guild)
        with self.app.db.session() as s:
            return {m.__name__: [r.model_dump(mode="json") for r in s.exec(select(m).where(m.team_id == team).order_by(m.id))]
                    for m in (Round, Answer, Vote, Drill, Member)}




def press(h: Harness, custom_id: str, **kw) -> dict:
    """A button press on a bot message that carries that button (discord.py only dispatches those)."""
    button = {"type": 2, "style": 1, "label": "Press", "custom_id": custom_id}
    return h.p.button(custom_id, h.p.bot_message([{"type": 1, "components": [button]}]), **kw)


def refused(body: dict, sentence: str) -> None:
    """Answered privately with `sentence`, and no form was opened."""
    assert body["type"] == 4, f"expected a message, got callback type {body['type']}"
    assert body["data"]["flags"] == EPHEMERAL
    assert sentence in text_of(body)


SCORES = {"problem_definition": ["4"], "user_empathy": ["5"], "solution_design": ["4"], "business_impact": ["3"],
          "communication": ["4"]}
LOW = {key: ["1"] for key in SCORES}
SECTIONS = {"scope": "B2B developers on our SMS API; goal: cut support tickets 30% in 6 months.",
            "segment": "Developers and support agents.", "solve": "A delivery trace API.", "score": "p95 under 200 ms"}


async def two_rounds(h: DbHarness) -> None:
    """Both servers set up at 09:00; their rounds are open for answers."""
    assert "at 09:00 Europe/Berlin" in text_of(await h.setup_team())
    assert f"<#{h.channel_b}> at 09:00 Europe/Berlin" in text_of(await h.setup_b())
    h.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    await h.run_all_due()
    assert h.round_id(h.guild_a) != h.round_id(h.guild_b)


async def answer(h: DbHarness, guild: int, user: int, name: str) -> None:
    rnd = h.round_id(guild)
    pressed = press(h, f"sb:answer:{rnd}", user_id=user, name=name)
    modal = await h.interact(pressed if guild == h.guild_a else h.in_b(pressed))
    assert modal["type"] == 9 and modal["data"]["custom_id"] == f"sbf:answer:1:round_id={rnd}:"
    sub = h.p.modal_submit(modal["data"]["custom_id"], SECTIONS, user_id=user, name=name)
    body = await h.interact(sub if guild == h.guild_a else h.in_b(sub))
    assert "Answer saved" in text_of(body)


def test_forged_round_ids_from_another_server_find_nothing(db, tmp_path, clock, library):
    async def scenario():
        async with DbHarness(db, tmp_path, clock, library) as h:
            await two_rounds(h)
            await answer(h, h.guild_a, ADA, "Ada")
            before = h.snapshot(h.guild_a)
            ra, rb = h.round_id(h.guild_a), h.round_id(h.guild_b)
            nothing = "That round doesn't exist in this team."

            # Ben, in B, presses Answer with A's round (also naming server A in the id): no modal
            for cid in (f"sb:answer:{ra}", f"sb:answer:{ra}:g{h.guild_a}"):
                refused(await h.interact(h.in_b(press(h, cid, user_id=BEN, name="Ben"))), nothing)
            # ... and submits an answer modal whose custom_id points at A's round
            for cid in (f"sbf:answer:1:round_id={ra}:", f"sbf:answer:1:round_id={ra}::g{h.guild_a}",
                        f"sbf:answer:1:round_id={ra}:a.answer.{ra}"):
                refused(await h.interact(h.in_b(h.p.modal_submit(cid, SECTIONS, user_id=BEN, name="Ben"))), nothing)
            # Ada too (one Discord user in both servers): her answer in A is not overwritten from B
            forged = h.p.modal_submit(f"sbf:answer:1:round_id={ra}:", {"scope": "overwritten from B"}, user_id=ADA)
            refused(await h.interact(h.in_b(forged)), nothing)

            assert h.snapshot(h.guild_a) == before
            with h.app.db.session() as s:
                assert s.exec(select(Answer).where(Answer.team_id == h.team_id(h.guild_b))).all() == []
            # B's own round id, through the same modal, is accepted
            ok = await h.interact(h.in_b(h.p.modal_submit(f"sbf:answer:1:round_id={rb}:", SECTIONS, user_id=BEN, name="Ben")))
            assert "Answer saved" in text_of(ok)
            assert h.snapshot(h.guild_a) == before
    run(scenario())


def test_forged_answer_ids_from_another_server_find_nothing(db, tmp_path, clock, library):
    async def scenario():
        async with DbHarness(db, tmp_path, clock, library) as h:
            await two_rounds(h)
            await answer(h, h.guild_a, ADA, "Ada")
            await answer(h, h.guild_b, BEN, "Ben")
            h.clock.set(datetime(2026, 11, 23, 17, 0, tzinfo=BERLIN))
            await h.run_all_due()
            with h.app.db.session() as s:
                assert {r.phase for r in s.exec(select(Round))} == {"voting"}
            aa, ab = h.answer_id(h.guild_a, ADA), h.answer_id(h.guild_b, BEN)

            # a genuine vote in A, by Cy
            vote_a = f"sbf:vote:1:answer_id={aa}:"
            got = await h.interact(h.p.modal_submit(vote_a, SCORES, user_id=CY, name="Cy"))
            assert f"Vote recorded for answer #{aa}" in text_of(got)
            before = h.snapshot(h.guild_a)
            nothing = f"There is no answer #{aa} in this team."

            # Cy, in B, presses Rate (and Skip calibration) on A's answer: no modal
            for cid in (f"sb:rate:{aa}", f"sb:rate:{aa}:g{h.guild_a}", f"sb:calibrate_skip:{aa}"):
                refused(await h.interact(h.in_b(press(h, cid, user_id=CY, name="Cy"))), nothing)
            # ... submits vote modals pointing at A's answer, with and without an opener to replay
            for cid in (vote_a, f"sbf:vote:1:answer_id={aa}::g{h.guild_a}", f"sbf:vote:1:answer_id={aa}:a.rate.{aa}",
                        f"sbf:vote:2:answer_id={aa}:c.rate.{aa}"):
                refused(await h.interact(h.in_b(h.p.modal_submit(cid, LOW, user_id=CY, name="Cy"))), nothing)
            # ... and the "Add comment" continuation of a vote on it
            cont = f"sb:form_part:{ids.part_value(2, ids.Opener('a', 'rate', str(aa)))}"
            refused(await h.interact(h.in_b(press(h, cont, user_id=CY, name="Cy"))), nothing)

            assert h.snapshot(h.guild_a) == before  # A's answers and votes exactly as they were
            with h.app.db.session() as s:
                assert s.exec(select(Vote).where(Vote.team_id == h.team_id(h.guild_b))).all() == []
                assert s.exec(select(Vote).where(Vote.answer_id == aa)).one().voter_id == h.member_id(h.guild_a, CY)
            # B's own answer, through the same modal, is accepted
            ok = await h.interact(h.in_b(h.p.modal_submit(f"sbf:vote:1:answer_id={ab}:", SCORES, user_id=CY, name="Cy")))
            assert f"Vote recorded for answer #{ab}" in text_of(ok)
            assert h.snapshot(h.guild_a) == before
    run(scenario())


def test_forged_drill_ids_from_another_server_find_nothing(db, tmp_path, clock, library):
    async def scenario():
        async with DbHarness(db, tmp_path, clock, library) as h:
            await two_rounds(h)
            started = await h.interact(h.p.slash("drill", user_id=ADA))
            da = next(c for c in custom_ids(started) if c.startswith("sb:drill_step:")).split(":")[2]
            started_b = await h.interact(h.in_b(h.p.slash("drill", user_id=ADA)))  # Ada's own drill in B
            db_ = next(c for c in custom_ids(started_b) if c.startswith("sb:drill_step:")).split(":")[2]
            assert da != db_
            before = h.snapshot(h.guild_a)
            nothing = "That drill isn't yours or no longer exists — start one with drill."
            step = {"scope": "Developers sending OTP; fewer failed logins."}

            for cid in (f"sb:drill_step:{da}", f"sb:drill_step:{da}:g{h.guild_a}", f"sb:drill_stop:{da}"):
                refused(await h.interact(h.in_b(press(h, cid, user_id=ADA))), nothing)
            for cid in (f"sbf:drill_step:1:drill_id={da}&step=scope:", f"sbf:drill_step:1:drill_id={da}&step=scope::g{h.guild_a}"):
                refused(await h.interact(h.in_b(h.p.modal_submit(cid, step, user_id=ADA))), nothing)
            assert h.snapshot(h.guild_a) == before
            with h.app.db.session() as s:
                drill = s.get(Drill, int(da))
                assert (drill.status, drill.step) == ("active", 0)

            # her drill in B works through the same modal
            ok = await h.interact(h.in_b(h.p.modal_submit(f"sbf:drill_step:1:drill_id={db_}&step=scope:", step, user_id=ADA)))
            assert "Step 2 of 4" in text_of(ok)
            assert h.snapshot(h.guild_a) == before
    run(scenario())


# ============================================================================ Manage Server, from each interaction


def test_manage_server_is_read_from_every_interaction(db, tmp_path, clock, library):
    async def scenario():
        async with DbHarness(db, tmp_path, clock, library) as h:
            def team() -> Team:
                with h.app.db.session() as s:
                    return s.exec(select(Team).where(Team.workspace_id == str(h.guild_a))).one()

            assert "at 09:00 Europe/Berlin" in text_of(await h.setup_team())  # ADMIN, with Manage Server

            # the same member, the same /sensebot command, but this interaction doesn't carry Manage Server
            # (the bot itself has every permission: app_permissions are not the member's)
            for perms in (0, int(PERMISSIONS_ALL) & ~MANAGE_GUILD):
                pause = h.p.slash("sensebot", user_id=ADMIN, name="Admin", permissions=perms, subcommand="pause")
                assert pause["app_permissions"] == PERMISSIONS_ALL
                refused(await h.interact(pause), "Only workspace admins can run pause")
                resetup = h.p.slash("sensebot", user_id=ADMIN, name="Admin", permissions=perms,
                                    **setup_options(h.p, h.channel_a, time="18:30", tz="UTC", days="sat"))
                refused(await h.interact(resetup), "Only workspace admins can run setup")
            # a member who never had it, claiming the command
            refused(await h.interact(h.p.slash("sensebot", user_id=BEN, permissions=0,
                                               **setup_options(h.p, h.channel_a, time="06:00"))),
                    "Only workspace admins can run setup")
            # and in a direct message, where there are no member permissions at all
            refused(await h.interact(h.p.slash("sensebot", user_id=ADMIN, name="Admin", guild=False, subcommand="pause")),
                    "Only workspace admins can run pause")
            t = team()
            assert (t.paused, t.practice_time, t.timezone, t.weekdays) == (False, "09:00", "Europe/Berlin", "mon,tue,wed,thu,fri")

            # Manage Server again in the next interaction: allowed (nothing was remembered either way)
            ok = await h.interact(h.p.slash("sensebot", user_id=ADMIN, name="Admin", permissions=MANAGE_GUILD,
                                            subcommand="pause"))
            assert "Only workspace admins" not in text_of(ok)
            assert team().paused is True
    run(scenario())


# ============================================================================ the token stays out of DEBUG logs


@pytest.fixture
def debug_log():
    """The root logger as `sensebot` configures it, at DEBUG, writing into a buffer."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    buffer = io.StringIO()
    config.configure_logging(config.Settings(log_level="DEBUG", discord_token=TOKEN))
    root.handlers[0].setStream(buffer)
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def test_the_token_never_appears_in_debug_logs(debug_log, db, clock, library):
    fake = FakeDiscord().start()
    try:
        api, p = fake.api, fake.payloads
        settings = Settings(database_url=db.url, discord_token=TOKEN, discord_api_url=api.url,
                            discord_guild_id=str(api.guild_id), discord_application_id=str(api.application_id))
        app = App(settings, db, library, Practice(db, clock, library, default_tz="UTC", command_prefix="/"))
        rt = DiscordRuntime(app, guild_ready_timeout=0.1).start_background()
        try:
            assert rt.ready.wait(15), f"client never became ready: {rt.error!r}"  # REST login, command sync, gateway
            reply = fake.interact(p.slash("sensebot", user_id=ADMIN, name="Admin", permissions=MANAGE_GUILD,
                                          **setup_options(p, api.channel_id))).json
            assert "at 09:00 Europe/Berlin" in text_of(reply)
        finally:
            rt.stop()
    finally:
        fake.stop()
    for r in api.recorded():
        assert TOKEN not in repr(r.json)
    text = debug_log.getvalue()
    # DEBUG was on, and discord.py's REST and gateway traffic was logged
    assert "has sent the IDENTIFY payload" in text and "/users/@me" in text and "/callback" in text
    assert TOKEN not in text
    for piece in TOKEN.split("."):  # not even a part of it
        assert len(piece) < 10 or piece not in text
