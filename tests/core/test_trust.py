"""Trust in the core: retention, removal and reinstall, database outages, hostile content packs."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from bot import content
from bot.content import ContentError
from bot.store.models import Answer, Member, Team
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
