"""Trust in the core: retention, removal and reinstall, database outages, hostile content packs."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from bot import content
from bot.content import ContentError
from bot.content import DIMENSIONS
from bot.store.models import Answer, Member, Round, Team
from tests.core.test_dialogue import GOOD, open_round


def count(db, model) -> int:
    with db.session() as s:
        return s.exec(select(func.count(model.id))).one()


def test_retention_deletes_old_answers_and_their_votes_only(teambot, clock):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    teambot.cmd("admin", "set retention-days 30", admin=True)
    clock.advance(timedelta(days=29))
    teambot.practice.housekeeping()
    assert count(teambot.db, Answer) == 1
    clock.advance(timedelta(days=2))
    teambot.practice.housekeeping()
    assert count(teambot.db, Answer) == 0 and count(teambot.db, Member) > 0


def test_removed_team_is_deleted_after_grace_and_reinstall_cancels(teambot, clock):
    open_round(teambot)
    teambot.practice.team_removed("test", teambot.workspace)
    assert teambot.tick() == []  # a removed team's schedule stops
    clock.advance(timedelta(days=10))
    teambot.cmd("ada", "help")  # an interaction alone (an old button) does not bring the team back
    assert teambot.tick() == []
    assert teambot.practice.team_restored("test", teambot.workspace)  # the platform's install event does
    assert not teambot.practice.team_restored("test", teambot.workspace)  # once
    clock.advance(timedelta(days=25))
    assert teambot.practice.housekeeping() == []
    teambot.practice.team_removed("test", teambot.workspace)
    clock.advance(timedelta(days=31))
    assert len(teambot.practice.housekeeping()) == 1
    assert count(teambot.db, Team) == 0 and count(teambot.db, Member) == 0


def test_database_outage_gets_try_again_and_nothing_half_written(teambot, monkeypatch):
    rnd = open_round(teambot)
    from bot import streaks

    def down(*a, **kw):
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(streaks, "record", down)  # fails after the answer row was added in the same transaction
    reply = teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    assert "couldn't reach its database" in reply.plain() and "nothing was saved" in reply.plain()
    assert count(teambot.db, Answer) == 0
    monkeypatch.undo()
    assert "Answer saved" in teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)}).plain()


def test_hostile_answer_text_is_stored_faithfully(teambot):
    rnd = open_round(teambot)
    text = "<!channel> @everyone <@U123> **bold** مرحبا 👩🏽‍💻 zero\u200bwidth"
    teambot.submit("ada", "answer", {"scope": text}, {"round_id": str(rnd.id)})
    with teambot.db.session() as s:
        assert s.exec(select(Answer.scope)).one() == text


def test_hundred_kilobyte_thread_reply_is_kept_and_larger_is_refused(teambot):
    rnd = open_round(teambot)
    with teambot.db.session() as s:
        from bot.store.models import Round
        ref = s.get(Round, rnd.id).message_ref
    big = "word " * 20_000  # 100,000 characters
    assert "Answer saved" in teambot.reply_in_thread("ada", ref, big).plain()
    too_big = teambot.reply_in_thread("bo", ref, big + "x")
    assert "limited to 100,000" in too_big.plain()


yaml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
yaml_like = st.lists(st.sampled_from(["prompts:", "  - id: x", "    title: t", "&a [1]", "*a", "!!python/name:os.system",
                                      "{", "]", ":", "- ", "  ", "\t", "'", '"', "---", "id: 1", "%YAML 1.1"]),
                     max_size=20).map("\n".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(yaml_text, yaml_like))
def test_content_loader_never_crashes_and_names_the_file(tmp_path_factory, body):
    root = tmp_path_factory.mktemp("pack")
    (root / "prompts").mkdir()
    (root / "prompts" / "fuzz.yaml").write_text(body, encoding="utf-8")
    try:
        content.load([root])
    except ContentError as exc:
        assert exc.problems and all(isinstance(p.line, int) for p in exc.problems)
        assert any("fuzz.yaml" in p.file for p in exc.problems) or body.strip() == ""


# Item 10 of issue 14: every input path turns a bad value into a reply and writes nothing.
ids = st.one_of(st.integers(min_value=-(2 ** 70), max_value=2 ** 70).map(str), st.text(max_size=30),
                st.sampled_from(["99999999999999999999", "99999999999", "2147483648", "0", "-1", "#12", "١٢", " 7 "]))
ID_PATHS = ("answer", "rate", "drill_step", "drill_stop", "mock_rate", "mock_missed", "calibrate", "calibrate_skip",
            "pending_save", "pending_drop")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=ids)
def test_item10_any_id_from_a_button_form_or_command_gets_a_reply_and_writes_nothing(db, clock, library, value):
    from tests.conftest import TeamBot
    bot = TeamBot(db, clock, library, workspace="Tids")
    before = count(db, Answer)
    for action in ID_PATHS:
        assert bot.press("ada", action, value).messages or bot.press("ada", action, value).form is not None
    for form, key in (("answer", "round_id"), ("vote", "answer_id"), ("drill_step", "drill_id"), ("mock_rate", "pair_id")):
        assert bot.submit("ada", form, {"scope": "x", **{d: "3" for d in DIMENSIONS}}, {key: value}).messages
    if value.strip():
        assert bot.cmd("ada", f"rate {value.strip()}").messages
    assert count(db, Answer) == before


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_item10_any_text_is_stored_without_control_characters_or_refused_with_a_sentence(db, clock, library, text):
    from bot.inbound import clean_text
    from tests.conftest import TeamBot
    bot = TeamBot(db, clock, library, workspace="Ttext")
    with db.session() as s:
        rnd = s.exec(select(Round).join(Team, Team.id == Round.team_id).where(Team.workspace_id == "Ttext")).first()
    if rnd is None:
        bot.setup()
        bot.advance(hours=1, minutes=1)
        with db.session() as s:
            rnd = s.exec(select(Round).join(Team, Team.id == Round.team_id).where(Team.workspace_id == "Ttext")).one()
    reply = bot.submit("ada", "answer", {"scope": text, "extra": text}, {"round_id": str(rnd.id)})
    assert reply.messages
    assert bot.dm("ada", text).messages is not None
    assert bot.cmd("bo", f"answer {text}").messages is not None if text.split() else True
    with db.session() as s:
        stored = s.exec(select(Answer.scope).join(Member, Member.id == Answer.member_id).where(
            Answer.round_id == rnd.id, Member.user_id == "ada")).first()
    if reply.messages[0].title in ("Answer saved", "Answer updated"):
        assert stored == clean_text(text)
    assert stored is None or not any(ord(c) < 32 and c not in "\n\t" for c in stored)
