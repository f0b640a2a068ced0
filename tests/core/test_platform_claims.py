"""The core's side of issue 15's Discord items, on SQLite and PostgreSQL: a workspace id the person's side
names (an old DM button) acts only for a live team and a known member; the stored last activity says
where a DM belongs; a command's reply visibility is known up front; a rating completed in parts sends
its partner one DM; an answer step of only whitespace is stored empty."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlmodel import select

from bot.events import Action, Command, FormSubmitted
from bot.store.models import Answer, Member, MockPair, Team
from tests.core.test_dialogue import GOOD, open_round


def test_12_a_claimed_workspace_needs_a_live_team_and_a_known_member(teambot):
    teambot.setup()
    teambot.cmd("ada", "streak")
    claimed = replace(teambot.who("ada"), claimed=True)
    assert teambot.practice.handle(Action(claimed, "drill", "")).plain().startswith("Drill")
    stranger = replace(teambot.who("zed"), claimed=True)
    assert "isn't for a server you're in" in teambot.practice.handle(Action(stranger, "drill", "")).plain()
    nowhere = replace(teambot.who("ada"), workspace_id="T-unknown", claimed=True)
    assert "no longer in that server" in teambot.practice.handle(Action(nowhere, "drill", "")).plain()
    teambot.practice.team_removed("test", "T1")
    assert "no longer in that server" in teambot.practice.handle(Action(claimed, "drill", "")).plain()
    with teambot.db.session() as s:
        assert s.exec(select(Team)).one().removed_at is not None  # never restored by a button
        assert [t.workspace_id for t in s.exec(select(Team))] == ["T1"]
        assert s.exec(select(Member).where(Member.user_id == "zed")).first() is None


def test_19_the_last_workspace_is_the_latest_activity_and_survives_a_restart(db, clock, library):
    from tests.conftest import TeamBot
    a, b = TeamBot(db, clock, library, "T1"), TeamBot(db, clock, library, "T2")
    a.cmd("ada", "streak")
    clock.advance(timedelta(minutes=1))
    b.cmd("ada", "streak")
    assert a.practice.last_workspace("test", "ada") == "T2"
    clock.advance(timedelta(minutes=1))
    a.cmd("ada", "streak")
    assert b.practice.last_workspace("test", "ada") == "T1"
    a.practice.team_removed("test", "T1")
    assert a.practice.last_workspace("test", "ada") == "T2"  # a removed server is nobody's last
    assert a.practice.last_workspace("test", "nobody") is None


def test_16_the_reply_visibility_of_a_command_is_known_up_front(teambot):
    p = teambot.practice
    assert p.reply_is_public("leaderboard") and p.reply_is_public("setup", ("#c",))
    assert not p.reply_is_public("leaderboard", ("hide",)) and not p.reply_is_public("streak")
    teambot.setup()
    for text in ("leaderboard", "leaderboard hide", "streak", "pause", "help"):
        name, *args = text.split()
        reply = p.handle(Command(teambot.who("admin", admin=True), name, tuple(args)))
        assert reply.private is not p.reply_is_public(name, args), text


def test_13_a_rating_in_parts_sends_its_partner_one_dm_with_the_comment(teambot):
    from tests.core.test_coaching import scores
    teambot.setup()
    for user in ("ada", "bo"):
        teambot.cmd(user, "streak")
    with teambot.db.transaction() as s:
        team = s.exec(select(Team)).one()
        ids = {m.user_id: m.id for m in s.exec(select(Member))}
        pair = MockPair(team_id=team.id, week="2026-W47", member_ids=[ids["ada"], ids["bo"]], prompt_id="x",
                        created_at=teambot.clock.now())
        s.add(pair)
        s.flush()
        value = f"{pair.id}:{ids['bo']}"
    form = teambot.press("ada", "mock_rate", value).form
    teambot.practice.handle(FormSubmitted(teambot.who("ada"), "mock_rate", scores(), form.meta, partial=True))
    teambot.tick()
    assert "Ada rated your mock interview" not in teambot.port.titles("direct")
    again = teambot.press("ada", "mock_rate", value).form  # the second part: scores prefilled from the first
    values = {f.id: f.initial for f in again.fields} | {"comment": "Sharp scoping"}
    assert "Give" not in teambot.submit("ada", "mock_rate", values, again.meta).plain()
    teambot.tick()
    dms = [s["message"] for s in teambot.port.sent if s["message"].title == "Ada rated your mock interview"]
    assert len(dms) == 1 and "Sharp scoping" in dms[0].plain()
    teambot.submit("ada", "mock_rate", values | {"comment": "Sharper on second thought"}, again.meta)
    teambot.tick()  # sent already: the revision is a DM of its own, once
    teambot.tick()
    dms = [s["message"] for s in teambot.port.sent if s["message"].title == "Ada rated your mock interview"]
    assert len(dms) == 2 and "Sharper" in dms[1].plain()


def test_18_an_answer_step_of_only_whitespace_is_stored_empty(teambot):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", {**GOOD, "scope": "  \n\t ", "solve": "\u200b\n"}, {"round_id": str(rnd.id)})
    with teambot.db.session() as s:
        answer = s.exec(select(Answer)).one()
    assert answer.scope == "" and answer.solve == "" and answer.segment == GOOD["segment"]
