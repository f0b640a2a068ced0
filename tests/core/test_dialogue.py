"""Dialogue tests of the core: people push events, we read what the bot says and posts."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import func, select

from bot.content import DIMENSIONS
from bot.store.models import Answer, Member, PracticeDay, Round, Vote
from tests.conftest import TeamBot

GOOD = {
    "scope": "I'll assume transactional SMS from backend services; the goal is to halve time to diagnose failures within two quarters.",
    "segment": "Two personas: backend developers need failure reasons via API and webhooks; support agents need a plain-words lookup.",
    "solve": "V1 MVP: failure reason codes on a signed status webhook. V2: per-carrier analytics in the console. V3: enterprise fallback routing with audit logs. API: GET /v1/messages/{sid}/events returns status and error_code, 200 or 404.",
    "score": "KPIs: median time to diagnose under 5 minutes within 2 quarters; support tickets down 30% in 6 months; guardrail p95 latency under 400 ms.",
}
SCORES = {d: "4" for d in DIMENSIONS}


def open_round(bot: TeamBot) -> Round:
    bot.setup()
    bot.advance(hours=1, minutes=1)  # 08:00 -> 09:01: the prompt is posted
    with bot.db.session() as s:
        return s.exec(select(Round)).one()


def to_voting(bot: TeamBot) -> None:
    bot.advance(hours=8)  # past the 17:00 answer deadline


def test_setup_then_prompt_is_posted_at_practice_time(teambot):
    reply = teambot.setup()
    assert "09:00 Europe/Berlin" in reply.plain()
    teambot.advance(minutes=59)
    assert teambot.port.titles() == []  # 08:59: nothing yet
    teambot.advance(minutes=2)
    titles = teambot.port.titles()
    assert len(titles) == 1 and titles[0].startswith("Today's case:")
    assert teambot.port.sent[0]["to"] == "practice"


def test_answer_form_then_feedback_then_edit_prefilled(teambot):
    rnd = open_round(teambot)
    form = teambot.press("ada", "answer", str(rnd.id)).form
    assert [f.id for f in form.fields] == ["scope", "segment", "solve", "score", "extra"]
    assert all(f.max_length <= 3000 for f in form.fields)
    from tests.core.coach.evalset import outline_form
    good = outline_form(teambot.library.prompt(rnd.prompt_id))  # a good answer to *this* case: its model outline
    reply = teambot.submit("ada", "answer", good, form.meta)
    assert "Answer saved" in reply.plain()
    assert "✓ Scope  ✓ Segment  ✓ Solve  ✓ Score" in reply.plain()
    again = teambot.press("ada", "answer", str(rnd.id)).form
    assert again.fields[0].initial == good["scope"]
    reply = teambot.submit("ada", "answer", {**good, "score": "It will be better."}, again.meta)
    assert "Answer updated" in reply.plain()
    assert "you name 'better'" in reply.plain()
    with teambot.db.session() as s:
        assert s.exec(select(func.count(Answer.id))).one() == 1


def test_weak_answer_gets_specific_nudges(teambot):
    rnd = open_round(teambot)
    reply = teambot.submit("bo", "answer", {"solve": "I'd build a dashboard right away and launch in 2 weeks."},
                           {"round_id": str(rnd.id)})
    text = reply.plain()
    # an answer to no case in particular: the coach says so in one line and gives no ticks
    assert "✓" not in text and ("different question" in text or ("✗ Scope" in text and "jump to a solution" in text))


def test_empty_and_whitespace_answers_are_refused_and_nothing_is_stored(teambot):
    rnd = open_round(teambot)
    for values in ({}, {"scope": "   \n\t"}, {"scope": "\u200b\u200b"}):
        reply = teambot.submit("ada", "answer", values, {"round_id": str(rnd.id)})
        assert "Your answer is empty" in reply.plain()
    with teambot.db.session() as s:
        assert s.exec(select(func.count(Answer.id))).one() == 0


def test_oversize_field_is_refused_with_a_sentence(teambot):
    rnd = open_round(teambot)
    reply = teambot.submit("ada", "answer", {"scope": "x" * 3500}, {"round_id": str(rnd.id)})
    assert "each step takes up to 2,900" in reply.plain()


def test_thread_reply_is_a_free_text_answer_and_a_retry_is_recorded_once(teambot):
    rnd = open_round(teambot)
    with teambot.db.session() as s:
        ref = s.get(Round, rnd.id).message_ref
    assert ref is not None
    text = "Scope: I assume developers integrating the SMS API; goal: fewer failed messages."
    teambot.reply_in_thread("cy", ref, text, event_id="Ev1")
    teambot.reply_in_thread("cy", ref, text, event_id="Ev1")  # the platform retried the event
    with teambot.db.session() as s:
        answers = s.exec(select(Answer)).all()
    assert len(answers) == 1 and answers[0].free_text == text


def test_reply_in_an_unknown_thread_is_ignored(teambot):
    open_round(teambot)
    assert teambot.reply_in_thread("cy", "not-a-round", "hello").messages == ()


def test_vote_rules_self_answering_closed_and_replacement(teambot):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    with teambot.db.session() as s:
        aid = s.exec(select(Answer.id)).one()
    early = teambot.submit("bo", "vote", SCORES, {"answer_id": str(aid)})
    assert "Voting opens at" in early.plain()
    to_voting(teambot)
    assert any(t.startswith("Voting is open") for t in teambot.port.titles())
    assert "can't rate your own answer" in teambot.submit("ada", "vote", SCORES, {"answer_id": str(aid)}).plain()
    assert "Vote recorded" in teambot.submit("bo", "vote", SCORES, {"answer_id": str(aid)}).plain()
    again = teambot.submit("bo", "vote", {**SCORES, "communication": "2"}, {"answer_id": str(aid)})
    assert "Vote updated" in again.plain()
    bad = teambot.submit("cy", "vote", {**SCORES, "user_empathy": "9"}, {"answer_id": str(aid)})
    assert "Scores run from 1 to 5" in bad.plain()
    with teambot.db.session() as s:
        votes = s.exec(select(Vote)).all()
    assert len(votes) == 1 and votes[0].communication == 2
    teambot.advance(hours=16)  # past the vote deadline: results
    assert "Voting on this round has closed" in teambot.submit("cy", "vote", SCORES, {"answer_id": str(aid)}).plain()


def test_forged_answer_id_from_another_team_finds_nothing(db, clock, library):
    home, other = TeamBot(db, clock, library, "T1"), TeamBot(db, clock, library, "T2")
    rnd = open_round(home)
    home.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    to_voting(home)
    with db.session() as s:
        aid = s.exec(select(Answer.id)).one()
    reply = other.submit("mallory", "vote", SCORES, {"answer_id": str(aid)})
    assert f"There is no answer #{aid} in this team" in reply.plain()
    reply = other.submit("mallory", "answer", GOOD, {"round_id": str(rnd.id)})
    assert "doesn't exist in this team" in reply.plain()
    with db.session() as s:
        assert s.exec(select(func.count(Vote.id))).one() == 0
        assert s.exec(select(func.count(Answer.id))).one() == 1


def test_whole_round_results_rank_by_weighted_score_with_outline(teambot):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    teambot.submit("bo", "answer", {"solve": "A dashboard."}, {"round_id": str(rnd.id)})
    to_voting(teambot)
    with teambot.db.session() as s:
        ids = {s.get(Member, a.member_id).user_id: a.id for a in s.exec(select(Answer))}
    teambot.submit("bo", "vote", {d: "5" for d in DIMENSIONS}, {"answer_id": str(ids["ada"])})
    teambot.submit("cy", "vote", {**{d: "4" for d in DIMENSIONS}, "solution_design": "5"}, {"answer_id": str(ids["ada"])})
    teambot.submit("ada", "vote", {d: "2" for d in DIMENSIONS}, {"answer_id": str(ids["bo"])})
    teambot.advance(hours=16)
    results = [s["message"] for s in teambot.port.sent if s["message"].title.startswith("Results")]
    assert len(results) == 1
    text = results[0].plain()
    # Ada: (5*100 + 4*75 + 5*25)/100 averaged -> 4.625 raw. Bo rates 0.375 above the mean and Cy
    # 0.375 below; shrunk by two pseudo-votes that is +0.125 and -0.125 of leniency, which cancel
    # on Ada's answer -> 4.62 calibrated too. Bo has one vote, under min-votes: raw only.
    assert "1. Ada — 4.62 calibrated (raw 4.62) ✅ pass (2 votes)" in text
    assert "2. Bo — 2.00 ❌ below bar (1 vote)" in text
    assert "Raters agreed: 100% of 2 votes were within 0.5 of their answer's average." in text
    assert "Model outline" in text and "KPIs:" in text


def test_case_drill_walks_four_steps_then_feedback_time_and_outline(teambot, clock):
    reply = teambot.cmd("ada", "drill design")
    assert reply.messages[0].title.startswith("Drill:")
    assert reply.messages[1].title == "Step 1 of 4 — Scope"
    drill_id = reply.messages[1].buttons[0].value
    for step in ("scope", "segment", "solve", "score"):
        form = teambot.press("ada", "drill_step", drill_id).form
        assert form.fields[0].id == step
        clock.advance(timedelta(minutes=3))
        reply = teambot.submit("ada", "drill_step", {step: GOOD[step]}, form.meta)
    text = reply.plain()
    assert "Drill finished" in text and "You took 12 min" in text and "Model outline" in text
    assert "1-day streak" not in text  # no milestone on day one
    assert "🔥 1-day streak" in teambot.cmd("ada", "streak").plain()


def test_stale_drill_step_form_and_expired_drill(teambot, clock):
    reply = teambot.cmd("ada", "drill")
    drill_id = reply.messages[1].buttons[0].value
    form = teambot.press("ada", "drill_step", drill_id).form
    teambot.submit("ada", "drill_step", {"scope": GOOD["scope"]}, form.meta)
    stale = teambot.submit("ada", "drill_step", {"scope": "again"}, form.meta)
    assert "already answered that step" in stale.plain()
    clock.advance(timedelta(hours=3))
    expired = teambot.press("ada", "drill_step", drill_id)
    assert "expired after" in expired.plain()


def test_drill_of_another_member_is_not_reachable(teambot):
    drill_id = teambot.cmd("ada", "drill").messages[1].buttons[0].value
    assert "isn't yours" in teambot.press("bo", "drill_step", drill_id).plain()


def test_skill_drill_and_direct_message_steps(teambot, library):
    assert len(library.drills) >= 40
    reply = teambot.cmd("ada", "drill skill endpoint")
    assert reply.messages[0].title.startswith("Skill drill:")
    done = teambot.dm("ada", "POST /v1/verifications with phone and channel; returns sid and status; 201, 400, 429.")
    assert "Skill drill finished" in done.plain() and "One good answer" in done.plain()


def test_drill_stop_and_unknown_kind(teambot):
    teambot.cmd("ada", "drill")
    assert "Drill stopped" in teambot.cmd("ada", "drill stop").plain()
    assert "not a drill kind" in teambot.cmd("ada", "drill poetry").plain()


def test_non_admin_setup_is_refused_and_changes_nothing(teambot):
    reply = teambot.cmd("bo", "setup #general 07:00 UTC")
    assert "Only workspace admins" in reply.plain()
    assert "No case yet" in teambot.cmd("bo", "today").plain()


def test_setup_with_unknown_timezone_suggests_the_closest(teambot):
    reply = teambot.cmd("admin", "setup #practice 09:00 Europe/Berln", admin=True)
    assert "Timezone 'Europe/Berln' is unknown — did you mean Europe/Berlin?" in reply.plain()
    reply = teambot.cmd("admin", "setup #practice 25:00 Europe/Berlin", admin=True)
    assert "not a 24-hour HH:MM time" in reply.plain()


def test_admin_status_shows_settings_next_steps_and_audit(teambot):
    teambot.setup()
    teambot.cmd("admin", "skip 2026-12-24", admin=True)
    text = teambot.cmd("admin", "status", admin=True).plain()
    assert "<#practice> at 09:00 Europe/Berlin" in text  # a channel reference every adapter shows as a link
    assert "2026-12-24" in text and "admin: skip" in text
    assert "open — Mon 23 Nov 09:00 CET" in text


def test_unknown_command_gets_help(teambot):
    text = teambot.cmd("ada", "frobnicate").plain()
    assert "'frobnicate' isn't a sensebot command" in text and "drill" in text


def test_leaderboard_opt_out_hides_member(teambot):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    teambot.submit("bo", "answer", GOOD, {"round_id": str(rnd.id)})
    board = teambot.cmd("cy", "leaderboard week streak").plain()
    assert "Ada" in board and "Bo" in board
    teambot.cmd("ada", "leaderboard hide")
    board = teambot.cmd("cy", "leaderboard week streak").plain()
    assert "Ada" not in board and "Bo" in board
    assert "isn't a leaderboard option" in teambot.cmd("cy", "leaderboard fortnight").plain()


def test_export_then_forget_me_keeps_other_results_consistent(teambot):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    teambot.submit("bo", "answer", GOOD, {"round_id": str(rnd.id)})
    to_voting(teambot)
    with teambot.db.session() as s:
        ids = {s.get(Member, a.member_id).user_id: a.id for a in s.exec(select(Answer))}
    teambot.submit("ada", "vote", SCORES, {"answer_id": str(ids["bo"])})
    teambot.submit("bo", "vote", SCORES, {"answer_id": str(ids["ada"])})
    export = teambot.cmd("ada", "export")
    data = json.loads(export.attachment.content)
    assert data["answers"][0]["scope"] == GOOD["scope"] and len(data["votes_given"]) == 1
    assert "cannot be undone" in teambot.cmd("ada", "forget-me").plain()
    assert "Forgotten" in teambot.cmd("ada", "forget-me confirm").plain()
    with teambot.db.session() as s:
        assert s.exec(select(func.count(Answer.id))).one() == 1
        assert s.exec(select(func.count(Vote.id))).one() == 0  # ada's vote and the vote on ada's answer
        assert s.exec(select(func.count(PracticeDay.id)).where(PracticeDay.member_id == ids["ada"])).one() == 0
    teambot.advance(hours=16)
    results = next(s["message"] for s in teambot.port.sent if s["message"].title.startswith("Results"))
    assert "Ada" not in results.plain() and "1. Bo — no votes yet" in results.plain()


def test_reminders_toggle_and_quiet_hours_validation(teambot):
    assert "Reminders are off" in teambot.cmd("ada", "reminders off").plain()
    assert "not a 24-hour" in teambot.cmd("ada", "reminders quiet 9pm 8am").plain()
    assert "never between 22:00 and 07:00" in teambot.cmd("ada", "reminders quiet 22:00 07:00").plain()
