"""Coaching: progress charts, calibrated peer scores, assigned reviewers, weak-spot and mock drills, pairs."""
from __future__ import annotations

import random
import struct
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot import calibration, charts, pairs, reviewers
from bot.content import DIMENSIONS
from bot.store.models import Answer, Member, MockFeedback, ReviewAssignment, Round, Team
from tests.conftest import TeamBot
from tests.core.test_dialogue import GOOD, open_round, to_voting


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def scores(**overrides) -> dict[str, str]:
    return {d: str(overrides.get(d, 4)) for d in DIMENSIONS}


def ids_by_user(bot: TeamBot) -> dict[str, int]:
    with bot.db.session() as s:
        rnd = s.exec(select(Round).order_by(Round.id.desc())).first()
        return {s.get(Member, a.member_id).user_id: a.id
                for a in s.exec(select(Answer).where(Answer.round_id == rnd.id))}


def play_round(bot: TeamBot, votes: dict[str, dict[str, dict[str, str]]]) -> None:
    """Today's prompt is open: everyone in `votes` answers, then rates as given, then results."""
    with bot.db.session() as s:
        rnd = s.exec(select(Round).order_by(Round.id.desc())).first()
    authors = {a for a in votes} | {t for given in votes.values() for t in given}
    for user in sorted(authors):
        bot.submit(user, "answer", GOOD, {"round_id": str(rnd.id)})
    to_voting(bot)
    ids = ids_by_user(bot)
    for voter, given in votes.items():
        for target, values in given.items():
            bot.submit(voter, "vote", values, {"answer_id": str(ids[target])})
    bot.advance(hours=16)  # results next morning, next prompt at 09:00


# ------------------------------------------------------------------ charts


def test_progress_chart_is_a_png_with_its_three_panels(library):
    rated = [charts.RatedAnswer(date(2026, 11, 2) + timedelta(days=i), 3.5 + i / 10,
                                {d: 3.0 + (i % 3) / 2 for d in DIMENSIONS}) for i in range(6)]
    chart = charts.progress_chart("Ada", rated, {r.day for r in rated}, date(2026, 11, 23), library.rubric, 4.3)
    assert png_size(chart.png) == (800, 1000)  # three stacked panels: 8 x 10 inches at 100 dpi
    assert "6 rated rounds" in chart.alt and "4.3 pass bar" in chart.alt
    team = charts.team_chart("Team", date(2026, 11, 23), {date(2026, 11, 23): 3, date(2026, 11, 24): 1},
                             {d: 3.8 for d in DIMENSIONS}, library.rubric, 4.3)
    assert png_size(team.png) == (1000, 400)  # two panels side by side
    assert "4 answers this week" in team.alt


def test_progress_needs_three_rated_rounds_then_attaches_the_chart(teambot):
    open_round(teambot)
    play_round(teambot, {"bo": {"ada": scores()}})
    reply = teambot.cmd("ada", "progress")
    assert reply.attachment is None and "2 more to go" in reply.plain()
    play_round(teambot, {"bo": {"ada": scores(user_empathy=2)}})
    play_round(teambot, {"bo": {"ada": scores(user_empathy=2)}})
    reply = teambot.cmd("ada", "progress")
    assert reply.attachment is not None and reply.attachment.mime == "image/png"
    assert png_size(reply.attachment.content) == (800, 1000)
    assert "3 rated" in reply.plain() and "Work on: User empathy" in reply.plain()


def test_the_weekly_digest_carries_the_team_chart(teambot):
    open_round(teambot)
    play_round(teambot, {"bo": {"ada": scores()}, "ada": {"bo": scores(communication=3)}})
    teambot.advance(days=4)  # Friday 16:00 digest
    digest = [s["message"] for s in teambot.port.sent if "the digest" in s["message"].title]
    assert len(digest) == 1 and digest[0].chart is not None
    assert png_size(digest[0].chart.png) == (1000, 400)
    assert "2 answers this week" in digest[0].chart.alt


# ------------------------------------------------------------------ calibration


def test_a_lenient_raters_offset_is_recovered():
    rng = random.Random(7)
    quality = {a: rng.uniform(2.0, 4.0) for a in range(40)}
    bias = {0: 1.0, 1: 0.0, 2: 0.0, 3: 0.0, 4: -0.5, 5: 0.0}
    ratings = []
    for a, q in quality.items():
        for r in rng.sample(sorted(bias), 3):
            ratings.append(calibration.Rating(a, r, q + bias[r] + rng.uniform(-0.1, 0.1)))
    lean = calibration.leniency(ratings)
    assert abs(lean[0] - 1.0) < 0.25, lean
    assert abs(lean[4] + 0.5) < 0.25, lean
    assert all(abs(lean[r]) < 0.25 for r in (1, 2, 3, 5)), lean
    assert calibration.leniency([calibration.Rating(1, 9, 5.0)]) == {}  # nobody to compare with: no verdict


def test_one_rule_takes_leniency_out_of_a_mean_score():
    assert calibration.adjust(4.0, [0.5, -0.5]) == 4.0
    assert calibration.adjust(4.0, [0.6, 0.6, 0.0]) == pytest.approx(3.6)
    assert calibration.adjust(4.8, [-0.5]) == 5.0 and calibration.adjust(1.2, [0.5]) == 1.0  # stays on the scale
    assert calibration.adjust(3.0, []) == 3.0


def test_agreement_is_one_plain_figure_and_wide_spreads_are_flagged():
    agree = calibration.agreement({1: [4.0, 4.2], 2: [2.0, 4.5], 3: [3.0]})
    assert agree.share == 0.5 and agree.compared == 4
    assert agree.wide() == [2]
    assert agree.sentence() == "Raters agreed: 50% of 4 votes were within 0.5 of their answer's average."
    assert calibration.agreement({3: [3.0]}).share is None


def test_calibrated_scores_rank_once_an_answer_has_enough_votes(teambot):
    """Bo gives everyone 5s: his generosity is learned and taken out of the ranking."""
    open_round(teambot)
    generous, fair = scores(**{d: 5 for d in DIMENSIONS}), scores(**{d: 3 for d in DIMENSIONS})
    play_round(teambot, {"bo": {"ada": generous, "cy": generous, "di": generous},
                         "cy": {"ada": fair, "di": fair}, "di": {"ada": fair, "cy": fair},
                         "ada": {"cy": fair, "di": fair}})
    results = [s["message"].plain() for s in teambot.port.sent if s["message"].title.startswith("Results")][-1]
    assert "calibrated (raw 3.67)" in results
    assert "raters disagree" in results  # 5 against 3s: a 2-point spread
    assert "Raters agreed:" in results
    with teambot.db.session() as s:
        lenient = {m.user_id: m.leniency for m in s.exec(select(Member))}
    assert lenient["bo"] > 0.5 > max(lenient["cy"], lenient["di"], lenient["ada"])  # stored when the round closed
    board = teambot.cmd("ada", "leaderboard all score").plain()
    ada = next(line for line in board.splitlines() if "Ada —" in line)
    assert "calibrated" in ada and float(ada.split("— ")[1].split()[0]) < 3.67  # Bo's 5s count for less


def test_before_a_first_vote_the_member_calibrates_on_a_reference_answer(teambot, library):
    rnd = open_round(teambot)
    teambot.submit("ada", "answer", GOOD, {"round_id": str(rnd.id)})
    to_voting(teambot)
    ada = ids_by_user(teambot)["ada"]
    invite = teambot.cmd("bo", f"rate {ada}")
    assert invite.form is None and "calibration" in invite.messages[0].title.lower()
    ref = library.rubric.reference_answers[0]
    button = invite.messages[0].buttons[0]
    form = teambot.press("bo", button.action, button.value).form
    assert form.id == "calibrate" and [f.id for f in form.fields] == list(DIMENSIONS)
    reply = teambot.submit("bo", "calibrate", {d: "5" for d in DIMENSIONS}, form.meta)
    used = next(r for r in library.rubric.reference_answers if r.id == form.meta["ref"])
    assert f"you 5 · reference {used.scores['problem_definition']}" in reply.plain()
    assert reply.messages[0].buttons[0].value == str(ada)
    assert teambot.cmd("bo", f"rate {ada}").form.id == "vote"  # calibrated: straight to the vote
    skip = teambot.press("cy", "calibrate_skip", str(ada))
    assert skip.form.id == "vote"
    assert teambot.cmd("cy", f"rate {ada}").form.id == "vote"
    assert ref.id  # the content ships reference answers
    # a forged answer id finds nothing, calibrated or not
    assert "no answer #999999" in teambot.cmd("di", "rate 999999").plain()


# ------------------------------------------------------------------ reviewers


def test_reviewer_plan_balances_load_and_never_assigns_the_author():
    authors = {100 + i: i for i in range(7)}  # seven answers by members 0..6
    plan = reviewers.plan(authors, list(range(7)), 2, Counter(), salt="r1")
    load = Counter(r for rs in plan.values() for r in rs)
    assert all(len(rs) == 2 and len(set(rs)) == 2 for rs in plan.values())
    assert all(authors[a] not in rs for a, rs in plan.items())
    assert max(load.values()) - min(load.values()) <= 1
    four = reviewers.plan({1: 0, 2: 1, 3: 2, 4: 3}, [0, 1, 2, 3], 2, Counter(), salt="r2")
    four_load = Counter(r for rs in four.values() for r in rs)
    assert max(four_load.values()) - min(four_load.values()) <= 1


def test_reviewers_avoid_people_they_reviewed_before():
    authors = {1: 0, 2: 1, 3: 2, 4: 3}
    history = Counter({(1, 0): 5, (2, 0): 5})  # 1 and 2 reviewed member 0 five times each
    plan = reviewers.plan(authors, [0, 1, 2, 3], 1, history, salt="x")
    assert plan[1] == [3]


def test_reviewers_are_told_and_reminded_once_if_they_have_not_voted(teambot):
    rnd = open_round(teambot)
    for user in ("ada", "bo", "cy"):
        teambot.submit(user, "answer", GOOD, {"round_id": str(rnd.id)})
    to_voting(teambot)  # 17:01
    told = [s for s in teambot.port.sent if s["message"].title.startswith("You're a reviewer")]
    assert sorted(s["to"] for s in told) == ["ada", "bo", "cy"]
    with teambot.db.session() as s:
        rows = list(s.exec(select(ReviewAssignment)))
        assert len(rows) == 6 and all(r.reviewer_id != r.author_id for r in rows)
        mine = [r.answer_id for r in rows if s.get(Member, r.reviewer_id).user_id == "ada"]
    for answer_id in mine:
        teambot.submit("ada", "vote", scores(), {"answer_id": str(answer_id)})
    teambot.advance(hours=3)  # the reminder is due two hours after voting opens
    reminded = [s["to"] for s in teambot.port.sent if s["message"].title == "Your reviews are still open"]
    assert sorted(reminded) == ["bo", "cy"]
    teambot.advance(hours=1)
    assert len([s for s in teambot.port.sent if s["message"].title == "Your reviews are still open"]) == 2


def test_admins_set_how_many_reviewers(teambot):
    teambot.setup()
    assert "reviewers is now 0" in teambot.cmd("admin", "set reviewers 0", admin=True).plain()
    assert "from 0 to 5" in teambot.cmd("admin", "set reviewers 9", admin=True).plain()


# ------------------------------------------------------------------ drills


def test_a_plain_drill_targets_the_weakest_dimension(teambot, library):
    open_round(teambot)
    play_round(teambot, {"bo": {"ada": scores(business_impact=1)}})
    reply = teambot.cmd("ada", "drill")
    assert "weakest dimension, Business impact (1.0 on average)" in reply.plain()
    title = reply.messages[0].title.removeprefix("Drill: ")
    prompt = next(p for p in library.prompts if p.title == title)
    assert "business_impact" in prompt.skills
    # with no votes yet, a plain drill is a plain drill
    assert "weakest" not in teambot.cmd("zed", "drill").plain()


def test_mock_drill_runs_the_clarity_stages_with_nudges_and_a_time_summary(teambot, clock, library):
    teambot.setup()
    stages = library.frameworks.clarity
    reply = teambot.cmd("ada", "drill mock")
    assert reply.messages[0].title.startswith(f"Mock interview ({sum(s.minutes for s in stages)} min)")
    assert reply.messages[1].title == f"Stage 1/{len(stages)}: {stages[0].name} — {stages[0].minutes} min"
    teambot.advance(minutes=stages[0].minutes + 1)
    nudges = [s for s in teambot.port.sent if s["message"].title.startswith("⏱")]
    assert len(nudges) == 1 and nudges[0]["to"] == "ada" and stages[0].name in nudges[0]["message"].title
    teambot.tick()
    assert len([s for s in teambot.port.sent if s["message"].title.startswith("⏱")]) == 1  # once per stage
    reply = teambot.dm("ada", "Developers cannot see why messages fail; goal: halve diagnosis time in two quarters.")
    assert "took 4:00 against 3 min" in reply.plain() and "Stage 2/" in reply.messages[0].title
    for st in stages[1:]:
        clock.advance(timedelta(minutes=st.minutes - 1))
        reply = teambot.dm("ada", f"{st.name}: notes for this stage, with two personas and a KPI target of 20% in Q3.")
    summary = reply.messages[0]
    assert summary.title == "Mock interview finished"
    lines = summary.sections[0].text.splitlines()
    assert len(lines) == len(stages) and lines[0].startswith(f"• {stages[0].name}: 4:00 of {stages[0].minutes} min ⚠️")
    assert "Model outline" in reply.plain()


# ------------------------------------------------------------------ pairs


def test_grouping_odd_counts_and_no_repeat_partners():
    groups = pairs.group([1, 2, 3, 4, 5], {}, "w1")
    assert sorted(len(g) for g in groups) == [2, 3]
    assert sorted(m for g in groups for m in g) == [1, 2, 3, 4, 5]
    members = list(range(1, 9))
    last: dict[int, set[int]] = {}
    for week in range(8):
        groups = pairs.group(members, last, f"w{week}")
        for g in groups:
            for m in g:
                assert not (set(g) - {m}) & last.get(m, set()), f"week {week}: {m} paired with last week's partner"
        last = {m: set(g) - {m} for g in groups for m in g}
    assert pairs.group([1], {}, "w") == []


def test_weekly_pairs_guide_then_follow_up_and_rating(teambot):
    teambot.setup()
    for user in ("ada", "bo", "cy"):
        assert "Mock pairs on" in teambot.cmd(user, "pairs on").plain()
    teambot.advance(hours=2)  # Monday 23 November 09:00: the weekly pairing
    told = [s for s in teambot.port.sent if s["message"].title.startswith("Your mock-interview partner")]
    assert sorted(s["to"] for s in told) == ["ada", "bo", "cy"]  # three: one group of three
    assert "Interviewer's guide" in told[0]["message"].plain() and "Problem definition" in told[0]["message"].plain()
    assert "paired with" in teambot.cmd("ada", "pairs").plain()
    teambot.advance(days=7)  # next Monday: how did it go?
    asks = [s for s in teambot.port.sent if s["message"].title == "Did your mock interview happen?" and s["to"] == "ada"]
    assert len(asks) == 1
    rate = asks[0]["message"].buttons[0]
    form = teambot.press("ada", rate.action, rate.value).form
    assert form.id == "mock_rate"
    reply = teambot.submit("ada", "mock_rate", {**scores(), "comment": "Sharp scoping"}, form.meta)
    assert "your partner will see your scores" in reply.plain()
    teambot.tick()
    assert any(s["message"].title == "Ada rated your mock interview" for s in teambot.port.sent)
    # forged: a pair that is not yours, or rating yourself
    assert "isn't one of yours" in teambot.press("zed", "mock_rate", rate.value).plain()
    me = form.meta["pair_id"] + ":" + str(ids_of(teambot)["ada"])
    assert "partners of your own" in teambot.press("ada", "mock_rate", me).plain()
    missed = [b for b in asks[0]["message"].buttons if b.action == "mock_missed"][0]
    assert "new partner on Monday" in teambot.press("ada", missed.action, missed.value).plain()
    with teambot.db.session() as s:
        assert s.exec(select(MockFeedback).where(MockFeedback.happened == True)).first().comment == "Sharp scoping"  # noqa: E712


def ids_of(bot: TeamBot) -> dict[str, int]:
    with bot.db.session() as s:
        return {m.user_id: m.id for m in s.exec(select(Member))}


def test_migration_0002_keeps_rows_and_adds_defaults(tmp_path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from bot.store.db import MIGRATIONS, Database
    database = Database(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection_engine"] = database.engine
    command.upgrade(cfg, "0001")
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO teams (platform, workspace_id, name, channel_id, practice_time, timezone, weekdays,"
                          " skip_dates, paused, reveal, pass_bar, packs, nudge_minutes, reminder_minutes, answer_minutes,"
                          " vote_minutes, grace_minutes, digest_weekday, digest_time, min_votes, created_at) VALUES"
                          " ('slack', 'T1', 'Old', 'C1', '09:00', 'UTC', 'mon', '[]', 0, 'deadline', 4.3, '[]', '[]',"
                          " 360, 480, 1380, 120, 4, '16:00', 2, '2026-01-01 00:00:00')"))
    database.upgrade()
    with database.session() as s:
        team = s.exec(select(Team)).one()
        assert team.name == "Old" and team.reviewers == 2


def three_answer_and_pair_up(bot: TeamBot) -> None:
    """Ada, Bo and Cy answer Monday's case and opt in to pairs; voting opens (reviewers assigned)."""
    rnd = open_round(bot)
    for user in ("ada", "bo", "cy"):
        bot.submit(user, "answer", GOOD, {"round_id": str(rnd.id)})
        bot.cmd(user, "pairs on")
    to_voting(bot)


def test_forget_me_takes_assignments_pairs_and_feedback_with_it(teambot):
    three_answer_and_pair_up(teambot)
    teambot.advance(days=7)  # Monday: pairs; the Monday after: follow-up
    ask = next(s["message"] for s in teambot.port.sent if s["message"].title == "Did your mock interview happen?"
               and s["to"] == "bo")
    ada = ids_of(teambot)["ada"]
    rate_ada = next(b for b in ask.buttons if b.action == "mock_rate" and b.value.endswith(f":{ada}"))
    form = teambot.press("bo", rate_ada.action, rate_ada.value).form
    teambot.submit("bo", "mock_rate", scores(), form.meta)
    with teambot.db.session() as s:
        assert [f for f in s.exec(select(MockFeedback)) if f.ratee_id == ada]
        assert [r for r in s.exec(select(ReviewAssignment)) if ada in (r.reviewer_id, r.author_id)]
    exported = teambot.cmd("ada", "export").attachment.content.decode()
    assert '"mock_pairs"' in exported and '"pairs_opt_in": true' in exported
    assert "Forgotten" in teambot.cmd("ada", "forget-me confirm").plain()
    with teambot.db.session() as s:
        assert not [r for r in s.exec(select(ReviewAssignment)) if ada in (r.reviewer_id, r.author_id)]
        assert not [f for f in s.exec(select(MockFeedback)) if ada in (f.rater_id, f.ratee_id)]
        from bot.store.models import MockPair
        assert all(ada not in p.member_ids for p in s.exec(select(MockPair)))
        assert s.get(Member, ada) is None


def test_the_home_view_shows_owed_reviews_and_the_mock_partner(teambot):
    three_answer_and_pair_up(teambot)
    home = teambot.practice.home(teambot.who("ada")).plain()
    assert "Your reviews" in home and "Rate #" in home
    assert "Mock partner" in home and "W48: paired with" in home  # opted in within the Monday step's grace
    teambot.advance(days=7)
    home = teambot.practice.home(teambot.who("ada")).plain()
    assert "W49: paired with" in home
    assert "Your reviews" not in home  # that round has closed
