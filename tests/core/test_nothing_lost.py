"""Issue 14, part A: nothing a member writes is lost, chat is not an answer, deadlines are the
clock's, bad values get a sentence, and privacy holds in every public post. One test per item."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import func, select

from bot import outbox
from bot.context import Ctx
from bot.messages import Message
from bot.store.models import Answer, Drill, Member, OutboxRow, PendingAnswer, Round, Team, Vote
from tests.core.test_dialogue import GOOD, SCORES, open_round, to_voting

MORE = "One more thought: also add webhooks for delivery receipts, so developers can react without polling the API."


def answers(bot) -> list[Answer]:
    with bot.db.session() as s:
        return list(s.exec(select(Answer).where(Answer.round_id.is_not(None)).order_by(Answer.id)))


def thread_of(bot, rnd: Round) -> str:
    with bot.db.session() as s:
        return s.get(Round, rnd.id).message_ref


def posted(bot) -> str:
    return "\n".join(s["message"].plain() for s in bot.port.sent)


def test_item01_text_after_the_form_adds_to_the_answer_and_never_blanks_a_step(teambot):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    reply = teambot.dm("ada", MORE)
    assert "Added to your answer" in reply.plain() and "as they were" in reply.plain()
    teambot.dm("ada", "And a second addition: a sandbox number that fails on purpose, to test error handling end to end.")
    teambot.cmd("ada", "answer Third: rate limits per account, with a clear 429 and a Retry-After header.")
    [a] = answers(teambot)
    assert (a.scope, a.segment, a.solve, a.score) == (GOOD["scope"], GOOD["segment"], GOOD["solve"], GOOD["score"])
    assert "webhooks" in a.free_text and "sandbox" in a.free_text and "429" in a.free_text
    today = teambot.cmd("ada", "today")
    assert "Scope" in today.messages[1].plain() and "429" in today.messages[1].plain()
    exported = json.loads(teambot.cmd("ada", "export").attachment.content)["answers"][0]
    assert exported["scope"] == GOOD["scope"] and "sandbox" in exported["free_text"]
    form = teambot.press("ada", "answer", str(rnd.id)).form  # the added part is editable, prefilled
    extra = next(f for f in form.fields if f.id == "extra")
    assert "webhooks" in extra.initial and "429" in extra.initial
    teambot.dm("ada", "Fourth, sent while the form was open: SDK snippets in three languages for the quickstart page.")
    teambot.submit("ada", "answer", {**GOOD, "extra": extra.initial + "\n\nEdited in the form."}, form.meta)
    [a] = answers(teambot)
    assert "Edited in the form." in a.free_text and "SDK snippets" in a.free_text  # nothing typed meanwhile is lost
    to_voting(teambot)
    shown = next(s["message"] for s in teambot.port.sent if s["message"].title.startswith("Answer #"))
    assert [sec.title for sec in shown.sections] == ["Scope", "Segment", "Solve", "Score", "More"]


def test_item02_chat_is_not_an_answer_without_the_members_say_so(teambot):
    rnd = open_round(teambot)
    teambot.cmd("admin", "set reveal immediate", admin=True)
    assert teambot.dm("ada", "help").messages[0].title == "sensebot help"  # a command word runs the command
    assert "This round is open" in teambot.dm("ada", "/today").plain()
    ask = teambot.reply_in_thread("bo", thread_of(teambot, rnd), "Quick question: is the deadline 17:00?", "Ev1")
    assert ask.private and ask.messages[0].title == "Save this as your answer?"
    assert [b.label for b in ask.messages[0].buttons] == ["Save", "No"]
    hi = teambot.dm("ada", "hi there!")
    assert answers(teambot) == []
    teambot.tick()
    assert not any(t.startswith("Answer #") for t in teambot.port.titles())  # nothing was posted publicly
    assert "already saved or set aside" in teambot.press("ada", "pending_save", ask.messages[0].buttons[0].value).plain()
    assert "Not saved" in teambot.dm("ada", "no").plain()
    assert "already saved or set aside" in teambot.press("ada", "pending_save", hi.messages[0].buttons[0].value).plain()
    saved = teambot.press("bo", "pending_save", ask.messages[0].buttons[0].value)
    assert "Answer saved" in saved.plain()
    assert [a.free_text for a in answers(teambot)] == ["Quick question: is the deadline 17:00?"]
    teambot.dm("ada", "Scope: the developers who integrate; all four steps follow in the form.")
    assert len(answers(teambot)) == 2  # a substantial message is saved as before
    teambot.dm("ada", "Thanks")
    assert "Added to your answer" in teambot.dm("ada", "save").plain()  # the console's way to press Save
    teambot.reply_in_thread("cy", thread_of(teambot, rnd), "Nice case!", "Ev2")
    assert "Answer saved" in teambot.reply_in_thread("cy", thread_of(teambot, rnd), "Save", "Ev3").plain()
    teambot.dm("bo", "ok, one more later")  # never saved: gone when the round closes
    teambot.advance(hours=24)
    with teambot.db.session() as s:
        assert s.exec(select(func.count(PendingAnswer.id))).one() == 0


def test_item03_an_expired_drill_does_not_swallow_messages_and_stays_expired(teambot, clock):
    open_round(teambot)
    drill_id = teambot.cmd("ada", "drill design").messages[1].buttons[0].value
    clock.advance(timedelta(hours=3))
    reply = teambot.dm("ada", GOOD["scope"])
    assert "Answer saved" in reply.plain()
    with teambot.db.session() as s:
        assert s.get(Drill, int(drill_id)).status == "expired"
    other = teambot.cmd("bo", "drill design").messages[1].buttons[0].value
    clock.advance(timedelta(hours=3))
    assert "expired after" in teambot.press("bo", "drill_step", other).plain()
    with teambot.db.session() as s:
        assert s.get(Drill, int(other)).status == "expired"  # the refusal did not roll it back


def test_item06_deadlines_are_the_clocks_even_before_the_scheduler_runs(teambot, clock):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    clock.set(rnd.answer_deadline + timedelta(seconds=40))  # the scheduler has not run the reveal yet
    late = teambot.submit("bo", "answer", {"scope": "My late scope, kept for me."}, {"round_id": str(rnd.id)})
    assert "closed at Mon 23 Nov 17:00 CET" in late.plain() and "not saved" in late.plain()
    assert late.messages[1].text == "My late scope, kept for me." and late.messages[1].user_text
    assert "closed at" in teambot.dm("bo", "A late answer by message, long enough to count as an answer for sure.").plain()
    assert "closed at" in teambot.press("bo", "answer", str(rnd.id)).plain()
    assert len(answers(teambot)) == 1
    teambot.tick()  # reveal
    aid = answers(teambot)[0].id
    with teambot.db.session() as s:
        deadline = s.get(Round, rnd.id).vote_deadline
    clock.set(deadline + timedelta(seconds=30))  # results not run yet
    vote = teambot.submit("bo", "vote", SCORES, {"answer_id": str(aid)})
    assert "Voting on this round has closed" in vote.plain()
    with teambot.db.session() as s:
        assert s.exec(select(func.count(Vote.id))).one() == 0


def test_item10_bad_ids_and_control_characters_get_a_sentence_and_write_nothing(teambot):
    rnd = open_round(teambot)
    for text in ("rate 99999999999999999999", "rate 99999999999", "rate -1", "rate ١٢"):
        assert "no answer" in teambot.cmd("ada", text).plain().lower() or "not an answer" in teambot.cmd("ada", text).plain()
    for action in ("answer", "drill_step", "drill_stop", "rate", "pending_save", "mock_missed"):
        reply = teambot.press("ada", action, "9" * 30)
        assert reply.messages and len(reply.plain()) < 300
    reply = teambot.submit("ada", "answer", {"scope": "Scope\x00 with a NUL\x07 and a bell\r\nnext line"},
                           {"round_id": str(rnd.id)})
    assert "Answer saved" in reply.plain()
    teambot.reply_in_thread("bo", thread_of(teambot, rnd), "\x00" + GOOD["solve"] + "\x1b[31m", "Ev9")
    stored = answers(teambot)
    assert stored[0].scope == "Scope with a NUL and a bell\nnext line"
    assert stored[1].free_text == GOOD["solve"] + "[31m"


def test_item12_forget_me_scrubs_the_outbox_and_says_what_remains(teambot):
    rnd = open_round(teambot)
    teambot.cmd("admin", "set reveal immediate", admin=True)
    teambot.submit("bob", "answer", GOOD, {"round_id": str(rnd.id)})
    teambot.submit("ada", "answer", {"scope": "Ada's own scope, which stays."}, {"round_id": str(rnd.id)})
    teambot.tick()  # both answers are posted: delivered rows
    teambot.practice.with_ctx(lambda ctx: outbox.enqueue(
        ctx, ctx.session.get(Team, teambot.team_id()), kind="direct", target="bob", dedupe_key="test:dm-to-bob",
        message=Message("A private note for Bob")))
    reply = teambot.cmd("bob", "forget-me confirm")
    assert "can't delete them there" in reply.plain() and "cancelled" in reply.plain()
    with teambot.db.session() as s:
        rows = list(s.exec(select(OutboxRow)))
    bodies = json.dumps([r.payload for r in rows])
    assert "Bob" not in bodies and GOOD["scope"] not in bodies and "A private note" not in bodies
    assert "Ada's own scope" in bodies
    assert not any(r.target == "bob" for r in rows)
    security = open("SECURITY.md", encoding="utf-8").read()
    assert "can't delete" in security and "outbox" in security.lower()


def test_item13_a_hidden_member_is_named_in_no_public_post(teambot):
    teambot.setup()
    teambot.cmd("ada", "leaderboard hide")
    for day in range(3):  # Monday to Wednesday: a 3-day streak, answers rated
        teambot.advance(hours=1, minutes=1)
        with teambot.db.session() as s:
            rnd = s.exec(select(Round).order_by(Round.local_date.desc())).first()
        teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
        teambot.submit("bo", "answer", GOOD, {"round_id": str(rnd.id)})
        teambot.advance(hours=8)
        for voter, author in (("bo", "ada"), ("ada", "bo")):
            with teambot.db.session() as s:
                aid = s.exec(select(Answer.id).join(Member, Member.id == Answer.member_id).where(
                    Answer.round_id == rnd.id, Member.user_id == author)).one()
            teambot.submit(voter, "vote", SCORES, {"answer_id": str(aid)})
        teambot.advance(hours=15)  # to 08:01 the next day: results
    teambot.advance(days=2, hours=9)  # Friday 16:00: the digest
    public = [s["message"].plain() for s in teambot.port.sent if s["kind"] == "channel"]
    assert any("digest" in p for p in public) and any("reached a 3-day streak" in p for p in public)
    assert not any("Ada" in p for p in public)
    assert any("a teammate" in p for p in public)


def test_item14_an_answers_author_sees_averages_and_anonymous_comments_only(teambot):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    to_voting(teambot)
    aid = answers(teambot)[0].id
    teambot.submit("bo", "vote", {**SCORES, "comment": "Clear API sketch."}, {"answer_id": str(aid)})
    teambot.submit("cy", "vote", {**SCORES, "communication": "2", "comment": "Too long."}, {"answer_id": str(aid)})
    received = json.loads(teambot.cmd("ada", "export").attachment.content)["votes_received"]
    assert received == [{"answer_id": aid, "votes": 2,
                         "averages": {**{d: 4.0 for d in SCORES}, "communication": 3.0},
                         "comments": ["Clear API sketch.", "Too long."]}]
    given = json.loads(teambot.cmd("cy", "export").attachment.content)["votes_given"]
    assert given[0]["comment"] == "Too long." and given[0]["communication"] == 2
    security = open("SECURITY.md", encoding="utf-8").read()
    assert "averages" in security and "without the voter" in security


def test_item15_results_show_the_last_finished_round_and_only_counts_of_the_open_one(teambot):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    teambot.submit("bo", "answer", GOOD, {"round_id": str(rnd.id)})
    assert "No finished" not in teambot.cmd("cy", "results").plain()
    during = teambot.cmd("cy", "results").plain()
    assert "2 answers so far" in during and "Ada" not in during and "Bo" not in during
    teambot.advance(hours=23, minutes=59)  # Tuesday 09:00: the next prompt is out, Monday's results are in
    text = teambot.cmd("cy", "results").plain()
    assert text.startswith("Results:") and "Ada" in text and "0 answers so far" in text


def test_item16_reveal_immediate_posts_an_edited_answer_once(teambot):
    rnd = open_round(teambot)
    teambot.cmd("admin", "set reveal immediate", admin=True)
    teambot.submit("ada", "answer", {"scope": "First scope draft, quickly."}, {"round_id": str(rnd.id)})
    teambot.submit("ada", "answer", {"scope": "Second draft, before the post went out."}, {"round_id": str(rnd.id)})
    teambot.submit("bo", "answer", {"scope": "Bo's scope, never edited."}, {"round_id": str(rnd.id)})
    teambot.tick()
    edit = teambot.submit("ada", "answer", {"scope": "Final scope, after the post."}, {"round_id": str(rnd.id)})
    assert "already posted" in edit.plain() and "marked edited" in edit.plain()
    to_voting(teambot)
    text = posted(teambot)
    assert "First scope draft" not in text
    assert text.count("Second draft") == 1 and text.count("Final scope") == 1 and text.count("Bo's scope") == 1
    assert any(t.endswith("(edited)") for t in teambot.port.titles())
    assert any(t.startswith("Rate answer #") for t in teambot.port.titles())


def test_a_fault_in_the_coach_never_costs_the_answer_it_reads(teambot, monkeypatch):
    """The coach is advice: if reading an answer fails, the answer is still saved and the member told so."""
    from bot import coach

    def broken(*_args, **_kwargs):
        raise TypeError("the coach tripped over an outline it did not expect")
    monkeypatch.setattr(coach, "feedback_sections", broken)
    rnd = open_round(teambot)
    reply = teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    assert "Answer saved" in reply.plain() and "saved all the same" in reply.plain()
    [a] = answers(teambot)
    assert a.scope == GOOD["scope"]
