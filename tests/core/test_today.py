"""`today` tells the state of the round by the clock's deadlines, not by how far the scheduler has
got: between a deadline and the step that acts on it, the round looks as it will a moment later."""
from __future__ import annotations

from datetime import timedelta

from tests.core.test_dialogue import GOOD, open_round


def _buttons(reply) -> list[str]:
    return [b.action for m in reply.messages for b in m.buttons]


def test_today_offers_the_answer_button_while_answers_are_open(teambot):
    open_round(teambot)
    reply = teambot.cmd("ada", "today")
    assert "answer" in _buttons(reply)
    assert "open for answers" in reply.plain()


def test_today_offers_no_answer_button_after_the_answer_deadline_before_the_reveal_ran(teambot):
    rnd = open_round(teambot)
    teambot.clock.set(rnd.answer_deadline + timedelta(seconds=30))  # the scheduler hasn't revealed yet
    reply = teambot.cmd("ada", "today")
    assert "answer" not in _buttons(reply)  # pressing it could only be refused
    assert "open for answers" not in reply.plain()
    assert "Answers closed at Mon 23 Nov 17:00" in reply.plain()


def test_today_says_voting_closed_after_the_vote_deadline_before_the_results_ran(teambot):
    rnd = open_round(teambot)
    form = teambot.press("bilal", "answer", str(rnd.id)).form
    teambot.submit("bilal", "answer", GOOD, form.meta)
    teambot.advance(hours=8)  # revealed: voting
    assert "This round is voting until" in teambot.cmd("ada", "today").plain()
    teambot.clock.set(rnd.vote_deadline + timedelta(seconds=30))
    reply = teambot.cmd("ada", "today").plain()
    assert "This round is voting" not in reply
    assert "Voting closed" in reply


def test_results_of_the_open_round_read_by_the_clock_too(teambot):
    rnd = open_round(teambot)
    form = teambot.press("bilal", "answer", str(rnd.id)).form
    teambot.submit("bilal", "answer", GOOD, form.meta)
    assert "open for answers until Mon 23 Nov 17:00" in teambot.cmd("ada", "results").plain()
    teambot.clock.set(rnd.answer_deadline + timedelta(seconds=30))
    text = teambot.cmd("ada", "results").plain()
    assert "open for answers" not in text and "Answers closed at Mon 23 Nov 17:00" in text
    assert "1 answer, 0 votes so far" in text


def test_the_home_view_says_where_the_round_stands(teambot):
    rnd = open_round(teambot)
    teambot.clock.set(rnd.answer_deadline + timedelta(seconds=30))
    home = teambot.practice.home(teambot.who("ada")).plain()
    assert "Answers closed at Mon 23 Nov 17:00" in home and "(answering)" not in home
