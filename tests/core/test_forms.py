"""Issue 15 item 1/2, the core's side: what can be said about a form before any work is done.

`Practice.check_form` and `Practice.form_title` run inside a platform's 3-second acknowledgement:
they must not touch the database (the Practice below has none) and must hold the same rules the
saving code enforces."""
from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock
from bot.content import DIMENSIONS
from bot.events import Action, Command, FormSubmitted, Who
from bot.practice import Practice

WHO = Who("test", "T1", "U1")


def no_db_practice(library) -> Practice:
    return Practice(None, ManualClock(datetime(2026, 11, 23, tzinfo=UTC)), library)  # type: ignore[arg-type] - no database


def test_item1_check_form_judges_a_submission_without_the_database(library):
    p = no_db_practice(library)
    empty = p.check_form(FormSubmitted(WHO, "answer", {"scope": " ", "segment": "\u200b"}, {"round_id": "1"}))
    assert list(empty) == ["scope"] and "empty" in empty["scope"]
    assert list(p.check_form(FormSubmitted(WHO, "answer", {"scope": "ok", "solve": "x" * 2901}))) == ["solve"]
    assert p.check_form(FormSubmitted(WHO, "answer", {"scope": "A real sentence."})) == {}
    scores = {d: "4" for d in DIMENSIONS}
    assert p.check_form(FormSubmitted(WHO, "vote", scores, {"answer_id": "3"})) == {}
    bad = p.check_form(FormSubmitted(WHO, "mock_rate", {**scores, "user_empathy": "", "communication": "9"}))
    assert set(bad) == {"user_empathy", "communication"}
    assert "from 1 to 5" in bad["communication"]
    assert list(p.check_form(FormSubmitted(WHO, "drill_step", {"scope": ""}, {"step": "scope"}))) == ["scope"]


def test_item2_form_title_says_at_once_which_presses_open_a_form(library):
    p = no_db_practice(library)
    assert p.form_title(Action(WHO, "answer", "12")) == "Your answer"
    assert p.form_title(Command(WHO, "answer")) == "Your answer"
    assert p.form_title(Command(WHO, "answer", ("my", "text"))) is None  # answered inline: no form
    assert p.form_title(Command(WHO, "rate", ("7",))) is not None
    assert p.form_title(Command(WHO, "vote", ("7", "4", "4", "4", "4", "4"))) is None
    assert p.form_title(Action(WHO, "drill", "")) is None


def test_item1_a_submission_refused_later_hands_the_text_back(teambot):
    teambot.setup()
    reply = teambot.submit("U1", "answer", {"scope": "My careful scope."}, {"round_id": "999"})
    said = reply.plain()
    assert "That round doesn't exist" in said and "My careful scope." in said
