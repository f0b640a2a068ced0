"""Trust at the Slack edge: unreadable payloads, ids forged across workspaces, admin rights checked each time.

* Fuzz: whatever JSON-like thing arrives, the translators either give an event (or None) or raise
  their documented `Malformed` — never another exception.
* Two workspaces (T1, T2) on one database, each with its own round: a member of T2 who sends
  T1's round, answer, drill or member ids (button values, private_metadata) finds nothing, and
  T1's rows are unchanged.
* A demoted admin is refused on the next admin command: users.info is asked on every call.
"""
from __future__ import annotations

import copy
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from adapters.slack import translate
from adapters.slack.translate import AppRemoved, HomeOpened, Malformed, Origin
from bot.events import Action, Command, DirectMessage, FormSubmitted, ThreadReply, Who
from bot.store.models import Answer, Drill, Member, Round, Team, Vote
from tests.adapters.slack.harness import CHANNEL, FIXTURES, SlackTeam, fixture, text_of

BERLIN = ZoneInfo("Europe/Berlin")
OTHER = "COTHER"  # T2's practice channel
FIXTURE_NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))
EVENTS = (Command, Action, FormSubmitted, ThreadReply, DirectMessage, HomeOpened, AppRemoved)

GOOD = {"scope": "I assume developers integrating SMS for OTP; the goal is fewer failed logins in 2 quarters.",
        "segment": "Developers need clear delivery errors; IT leads need audit logs.",
        "solve": "V1: POST /v1/messages/{id}/trace returns carrier hops.", "score": "Support tickets -30% in 6 months."}
SCORES = {"problem_definition": "4", "user_empathy": "5", "solution_design": "4", "business_impact": "3",
          "communication": "4", "comment": "Clear API sketch."}
LOW = {**dict.fromkeys(("problem_definition", "user_empathy", "solution_design", "business_impact", "communication"), "1"),
       "comment": "forged"}


# ============================================================================ fuzzing the translators

# Strings Slack payloads are made of, so that random documents reach past the first type check.
KEYS = ["type", "command", "text", "team_id", "user_id", "user_name", "channel_id", "channel_name", "trigger_id",
        "response_url", "user", "team", "channel", "container", "actions", "action_id", "value", "selected_option",
        "selected_options", "view", "callback_id", "private_metadata", "state", "values", "event", "event_id",
        "channel_type", "thread_ts", "ts", "subtype", "bot_id", "hidden", "tab", "tokens", "bot", "oauth", "id",
        "username", "name", "message", "message_ts", "enterprise_id", "ssl_check"]
WORDS = ["block_actions", "view_submission", "view_closed", "event_callback", "message", "app_home_opened",
         "app_uninstalled", "tokens_revoked", "home", "messages", "im", "channel", "static_select", "radio_buttons",
         "external_select", "checkboxes", "plain_text_input", "thread_broadcast", "file_share", "message_changed",
         "/sensebot", "T1", "U1", "C1", "D1", "1.0", "2.0", "#1", "rate#3", '{"answer_id": "1", "_channel": "C1"}',
         "[1]", "{}", "null", "&lt;", "&amp;gt;", "", " ", "\u0000", "\ud7ff"]

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(max_size=30) | st.sampled_from(WORDS))
keys = st.sampled_from(KEYS) | st.text(max_size=10)
json_like = st.recursive(
    scalars,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(keys, kids, max_size=6),
    max_leaves=30,
)
documents = st.dictionaries(keys, json_like, max_size=10)


def _paths(node, prefix=()):
    """Every (container path, key) in a JSON document, depth first."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield prefix, k
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield prefix, i
            yield from _paths(v, prefix + (i,))


def _at(doc, path):
    for p in path:
        doc = doc[p]
    return doc


@st.composite
def mutated_fixtures(draw):
    """A payload fixture with a few fields deleted, replaced by anything, or re-typed; or a new field added."""
    doc = copy.deepcopy(fixture(draw(st.sampled_from(FIXTURE_NAMES))))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(doc))
        if not paths:
            break
        where, key = draw(st.sampled_from(paths))
        parent = _at(doc, where)
        old = parent[key]
        how = draw(st.sampled_from(["delete", "replace", "retype", "json-string", "add"]))
        if how == "delete":
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif how == "replace":
            parent[key] = draw(json_like)
        elif how == "retype":  # the same value, of another JSON type
            parent[key] = draw(st.sampled_from([[old], {"v": old}, str(old), None, 0, True, ""]))
        elif how == "json-string":  # private_metadata and the like: a string holding any JSON, or not quite
            parent[key] = draw(st.builds(json.dumps, json_like) | st.text(max_size=40) | st.sampled_from(
                ["[" * 2000, '{"a":' * 2000, "{", '{"answer_id": ', "NaN", "1e999999"]))
        elif isinstance(parent, dict):
            parent[draw(keys)] = draw(json_like)
        else:
            parent.append(draw(json_like))
    return doc


def _check_event(ev) -> None:
    assert ev is None or isinstance(ev, EVENTS), ev
    who = getattr(ev, "who", None)
    if isinstance(who, Who):
        assert who.platform == "slack"
        assert isinstance(who.workspace_id, str) and who.workspace_id.strip()
        assert isinstance(who.user_id, str) and who.user_id.strip()
        assert isinstance(who.channel_id, str) and isinstance(who.display_name, str)
    if isinstance(ev, Command):
        assert isinstance(ev.name, str) and all(isinstance(a, str) and a for a in ev.args)
    if isinstance(ev, Action):
        assert isinstance(ev.action, str) and ev.action and isinstance(ev.value, str)
    if isinstance(ev, FormSubmitted):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in ev.values.items())
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in ev.meta.items())
        assert not any(k.startswith(translate.META_PREFIX) for k in ev.meta)  # adapter keys never reach the core
    if isinstance(ev, (ThreadReply, DirectMessage)):
        assert isinstance(ev.text, str)
    if isinstance(ev, ThreadReply):
        assert ev.thread_ref and ev.event_id


def translate_all(body) -> None:
    """Everything the app does with a body before the core: each either answers or raises Malformed."""
    assert isinstance(translate.well_formed(body), bool)
    assert isinstance(translate.kind(body), str)
    try:
        ev = translate.payload(body)
    except Malformed:
        ev = None
    _check_event(ev)
    o = translate.origin(body)  # never raises: an interaction is always answered somewhere
    assert isinstance(o, Origin)
    assert all(isinstance(getattr(o, f), str) for f in ("trigger_id", "response_url", "channel_id", "thread_ts"))
    assert isinstance(o.is_dm, bool)


FUZZ = settings(max_examples=200, deadline=None)


@FUZZ
@given(json_like)
def test_fuzz_any_json_value(body):
    translate_all(body)


@FUZZ
@given(documents)
@example({"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
          "view": {"callback_id": "vote", "state": {"values": {"b": {"a": {"type": "checkboxes",
                                                                           "selected_options": 5}}}}}})
@example({"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
          "view": {"callback_id": "vote", "private_metadata": "[" * 5000}})
def test_fuzz_slack_shaped_documents(body):
    translate_all(body)


@FUZZ
@given(mutated_fixtures())
def test_fuzz_mutated_fixtures(body):
    translate_all(body)


@pytest.mark.parametrize("fn", [translate.command, translate.action, translate.view_submission, translate.message,
                                translate.home_opened, translate.app_removed], ids=lambda f: f.__name__)
@FUZZ
@given(body=documents | mutated_fixtures())
def test_fuzz_each_translator_directly(fn, body):
    """Each translator alone, also on bodies `payload` would never route to it."""
    try:
        ev = fn(body)
    except Malformed:
        return
    _check_event(ev)


@FUZZ
@given(st.one_of(json_like, st.text(max_size=60), st.sampled_from(["[" * 3000, '{"a":' * 3000, "{}", "[]"])))
def test_fuzz_private_metadata(raw):
    """form_meta: a dict of strings, or Malformed."""
    try:
        meta = translate.form_meta({"private_metadata": raw})
    except Malformed:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())


def test_every_fixture_still_translates():
    """The fuzz starts from real shapes: each fixture on its own gives an event (so mutations are meaningful)."""
    for name in FIXTURE_NAMES:
        assert isinstance(translate.payload(fixture(name)), EVENTS), name


# ============================================================================ two workspaces, forged ids


@pytest.fixture
def t2(fake, db, clock, library):
    team = SlackTeam(fake, db, clock, library, workspace="T2")
    yield team
    team.close()


def advance_both(t1: SlackTeam, t2: SlackTeam, when: datetime) -> None:
    t1.advance_to(when)
    t2.advance_to(when)


def round_of(team: SlackTeam) -> int:
    with team.db.session() as s:
        return s.exec(select(Round.id).where(Round.team_id == team.team_id())).one()


def member_id(team: SlackTeam, user: str) -> int:
    with team.db.session() as s:
        return s.exec(select(Member.id).where(Member.team_id == team.team_id(), Member.user_id == user)).one()


def answer_of(team: SlackTeam, user: str) -> int:
    with team.db.session() as s:
        return s.exec(select(Answer.id).where(Answer.member_id == member_id(team, user),
                                              Answer.round_id.is_not(None))).one()


def snapshot(db, team_id: int) -> dict:
    """Every answer, vote, drill and member row of a team, as plain tuples."""
    def rows(model):
        return [r.model_dump(mode="json") for r in s.exec(select(model).where(model.team_id == team_id).order_by(model.id))]
    with db.session() as s:
        return {m.__name__: rows(m) for m in (Answer, Vote, Drill, Member, Round)}


def views_opened(fake) -> int:
    """Forms shown: opened at once, or filled into the placeholder modal opened for the press."""
    return len([c for c in fake.calls() if c.method in ("views.open", "views.update") and c.ok
                and c.view.get("callback_id") not in ("loading", "notice")])


def answer_by_modal(team: SlackTeam, user: str, round_id: int, channel: str) -> None:
    opens = views_opened(team.fake)
    team.press(user, "answer", str(round_id), channel=channel)
    assert views_opened(team.fake) == opens + 1
    team.submit(user, team.opened("answer"), GOOD)
    assert "Answer saved" in team.last_private_text(user)


def vote_modal(team: SlackTeam, user: str, answer_id: int, channel: str) -> dict:
    """Rate -> (first vote: skip the calibration) -> the vote modal the bot opened."""
    team.press(user, "rate", str(answer_id), channel=channel)
    if "calibration" in team.last_private_text(user).lower():
        team.press(user, "calibrate_skip", str(answer_id), channel=channel)
    view = team.opened("vote")
    assert json.loads(view["private_metadata"])["answer_id"] == str(answer_id)
    return view


def forged(view: dict, **meta: str) -> dict:
    """The same modal with other private_metadata (what a forger controls)."""
    return {**view, "private_metadata": json.dumps({**json.loads(view["private_metadata"]), **meta})}


@pytest.fixture
def two_rounds(slack: SlackTeam, t2: SlackTeam, fake):
    """T1 and T2 set up on one database; at 09:00 each has an open round."""
    slack.command("UADMIN", f"setup <#{CHANNEL}|practice> 09:00 Europe/Berlin")
    assert f"Daily prompts will go to <#{CHANNEL}>" in text_of(fake.calls("response_url")[-1])
    t2.command("UADMIN", f"setup <#{OTHER}|practice> 09:00 Europe/Berlin", channel=OTHER)
    assert f"Daily prompts will go to <#{OTHER}>" in text_of(fake.calls("response_url")[-1])
    advance_both(slack, t2, datetime(2026, 11, 23, 9, 0, tzinfo=BERLIN))
    assert slack.team_id() != t2.team_id() and round_of(slack) != round_of(t2)
    return slack, t2


def private(team: SlackTeam, user: str, action) -> str:
    """Do `action`; the text of the private replies `user` got because of it (there must be one)."""
    seen = len(team.private_replies(user))
    action()
    new = team.private_replies(user)[seen:]
    assert new, f"{user} got no private reply"
    return "\n".join(text_of(c) for c in new)


def test_forged_round_ids_from_another_workspace_find_nothing(two_rounds, fake, db):
    t1, t2 = two_rounds
    r1, r2 = round_of(t1), round_of(t2)
    answer_by_modal(t1, "U1", r1, CHANNEL)
    answer_by_modal(t2, "U3", r2, OTHER)
    before = snapshot(db, t1.team_id())
    nothing = "That round doesn't exist in this team."

    # T2's U1 presses Answer with T1's round id: no modal, a sentence
    opens = views_opened(fake)
    assert nothing in private(t2, "U1", lambda: t2.press("U1", "answer", str(r1), channel=OTHER))
    assert views_opened(fake) == opens

    # ... and submits T2's real answer modal with T1's round in its private_metadata. U1 is also T1's U1 (one
    # Slack user in two workspaces): the forged submission must not land on, or overwrite, T1's answer
    t2.press("U1", "answer", str(r2), channel=OTHER)
    own_view = t2.opened("answer")
    assert json.loads(own_view["private_metadata"])["round_id"] == str(r2)
    assert nothing in private(t2, "U1", lambda: t2.submit("U1", forged(own_view, round_id=str(r1)), GOOD))
    assert nothing in private(t2, "U1", lambda: t2.submit("U1", forged(own_view, round_id=str(r1)),
                                                         {"scope": "overwritten from T2"}))
    assert snapshot(db, t1.team_id()) == before
    with db.session() as s:
        assert s.exec(select(Answer).where(Answer.member_id == member_id(t2, "U1"))).all() == []

    # the same modal with its own round id is accepted: the refusal above was about the forged id
    assert "Answer saved" in private(t2, "U1", lambda: t2.submit("U1", own_view, GOOD))
    assert snapshot(db, t1.team_id()) == before


def test_forged_answer_ids_from_another_workspace_find_nothing(two_rounds, fake, db):
    t1, t2 = two_rounds
    r1, r2 = round_of(t1), round_of(t2)
    answer_by_modal(t1, "U1", r1, CHANNEL)
    answer_by_modal(t2, "U3", r2, OTHER)
    advance_both(t1, t2, datetime(2026, 11, 23, 17, 0, tzinfo=BERLIN))  # both rounds in voting
    with db.session() as s:
        assert {s.get(Round, r1).phase, s.get(Round, r2).phase} == {"voting"}
    a1, a3 = answer_of(t1, "U1"), answer_of(t2, "U3")

    # a genuine vote in T1 by U2, to see that it stays as it is
    view = vote_modal(t1, "U2", a1, CHANNEL)
    assert f"Vote recorded for answer #{a1}" in private(t1, "U2", lambda: t1.submit("U2", view, SCORES))
    before = snapshot(db, t1.team_id())
    nothing = f"There is no answer #{a1} in this team."

    # T2's U2 (the same user id as T1's voter) presses Rate with T1's answer id: no modal, no calibration
    opens = views_opened(fake)
    assert nothing in private(t2, "U2", lambda: t2.press("U2", "rate", str(a1), channel=OTHER))
    assert nothing in private(t2, "U2", lambda: t2.press("U2", "calibrate_skip", str(a1), channel=OTHER))
    assert views_opened(fake) == opens

    # ... submits T2's real vote modal with T1's answer id in its private_metadata
    own_view = vote_modal(t2, "U2", a3, OTHER)
    assert nothing in private(t2, "U2", lambda: t2.submit("U2", forged(own_view, answer_id=str(a1)), LOW))
    # ... and tries the slash commands with it
    assert nothing in private(t2, "U2", lambda: t2.command("U2", f"rate {a1}", channel=OTHER))
    assert nothing in private(t2, "U2", lambda: t2.command("U2", f"vote {a1} 1 1 1 1 1 forged", channel=OTHER))

    assert snapshot(db, t1.team_id()) == before  # T1's votes and answers are exactly as they were
    with db.session() as s:
        assert s.exec(select(Vote).where(Vote.answer_id == a1)).one().voter_id == member_id(t1, "U2")
        assert s.exec(select(Vote).where(Vote.team_id == t2.team_id())).all() == []

    # the same modal with its own answer id is accepted
    assert f"Vote recorded for answer #{a3}" in private(t2, "U2", lambda: t2.submit("U2", own_view, SCORES))
    assert snapshot(db, t1.team_id()) == before


def drill_step_value(fake) -> str:
    """The drill_step button of the latest /sensebot drill reply."""
    for call in reversed([c for c in fake.calls() if c.method in ("response_url", "chat.postMessage")]):
        for block in call.blocks:
            for el in block.get("elements", []) if block.get("type") == "actions" else []:
                if el.get("action_id") == "drill_step":
                    return el["value"]
    raise AssertionError("no drill_step button was shown")


def test_forged_drill_ids_from_another_workspace_find_nothing(two_rounds, fake, db):
    t1, t2 = two_rounds
    t1.command("U1", "drill")
    d1 = drill_step_value(fake)
    t2.command("U1", "drill", channel=OTHER)  # the same person, in the other workspace, with a drill of their own
    d2 = drill_step_value(fake)
    assert d1 != d2
    before = snapshot(db, t1.team_id())
    nothing = "That drill isn't yours or no longer exists — start one with drill."
    step = {"scope": "Developers sending OTP; fewer failed logins."}

    opens = views_opened(fake)
    assert nothing in private(t2, "U1", lambda: t2.press("U1", "drill_step", d1, channel=OTHER))
    assert views_opened(fake) == opens

    t2.press("U1", "drill_step", d2, channel=OTHER)
    own_view = t2.opened("drill_step")
    assert json.loads(own_view["private_metadata"])["drill_id"] == d2
    assert nothing in private(t2, "U1", lambda: t2.submit("U1", forged(own_view, drill_id=d1), step))
    assert nothing in private(t2, "U1", lambda: t2.press("U1", "drill_stop", d1, channel=OTHER))
    assert snapshot(db, t1.team_id()) == before  # T1's drill: still active, on its first step, its answer empty
    with db.session() as s:
        drill = s.get(Drill, int(d1))
        assert (drill.status, drill.step) == ("active", 0)

    # T2's own drill id works, through the same modal
    assert "Step 2 of 4" in private(t2, "U1", lambda: t2.submit("U1", own_view, step))
    assert snapshot(db, t1.team_id()) == before


def test_forged_forget_confirm_deletes_nothing_elsewhere(two_rounds, fake, db):
    t1, t2 = two_rounds
    answer_by_modal(t1, "U1", round_of(t1), CHANNEL)
    answer_by_modal(t2, "U1", round_of(t2), OTHER)
    t1.command("U2", "help")  # U2 is a member of both
    t2.command("U2", "help", channel=OTHER)
    before1, before2 = snapshot(db, t1.team_id()), snapshot(db, t2.team_id())
    refused = "That button was for someone else."

    # someone else's forget button (its value is another member's user id), in either workspace
    assert refused in private(t2, "U2", lambda: t2.press("U2", "forget_confirm", "U1", channel=OTHER))
    assert refused in private(t1, "U2", lambda: t1.press("U2", "forget_confirm", "U1"))
    assert snapshot(db, t1.team_id()) == before1 and snapshot(db, t2.team_id()) == before2

    # U1 confirming in T2 forgets U1 in T2 only
    done = private(t2, "U1", lambda: t2.press("U1", "forget_confirm", "U1", channel=OTHER))
    assert "sensebot deleted what it held about you in this team" in done
    assert snapshot(db, t1.team_id()) == before1
    with db.session() as s:
        assert s.exec(select(Member).where(Member.team_id == t2.team_id(), Member.user_id == "U1")).all() == []
        assert s.exec(select(Answer).where(Answer.team_id == t2.team_id())).all() == []
        assert len(s.exec(select(Answer).where(Answer.team_id == t1.team_id())).all()) == 1


# ============================================================================ admin rights, asked every time


def team_row(db, workspace: str = "T1") -> Team:
    with db.session() as s:
        return s.exec(select(Team).where(Team.platform == "slack", Team.workspace_id == workspace)).one()


def test_a_demoted_admin_is_refused_on_the_next_admin_command(slack: SlackTeam, fake, db):
    slack.command("UADMIN", f"setup <#{CHANNEL}|practice> 09:00 Europe/Berlin")
    assert f"Daily prompts will go to <#{CHANNEL}>" in text_of(fake.calls("response_url")[-1])
    slack.command("UADMIN", "status")  # opened the status view as an admin
    assert "Only workspace admins" not in text_of(fake.calls("response_url")[-1])
    lookups = len(fake.calls("users.info"))

    fake.set_user("UADMIN", is_admin=False)  # demoted in Slack since
    slack.command("UADMIN", "pause")
    assert "Only workspace admins can run pause" in text_of(fake.calls("response_url")[-1])
    slack.command("UADMIN", f"setup <#{OTHER}|elsewhere> 18:30 UTC sat")
    assert "Only workspace admins can run setup" in text_of(fake.calls("response_url")[-1])
    assert [c.params["user"] for c in fake.calls("users.info")[lookups:]] == ["UADMIN", "UADMIN"]  # asked each time
    team = team_row(db)
    assert (team.paused, team.channel_id, team.practice_time, team.timezone) == (False, CHANNEL, "09:00", "Europe/Berlin")

    fake.set_user("UADMIN", is_admin=True)  # promoted again: the next call is allowed (nothing is cached)
    slack.command("UADMIN", "pause")
    assert "Only workspace admins" not in text_of(fake.calls("response_url")[-1])
    assert team_row(db).paused is True


def test_admin_rights_are_per_call_not_per_person_or_workspace(slack: SlackTeam, t2: SlackTeam, fake, db):
    """An admin's earlier calls do not make a later call by a non-admin pass, in this workspace or another."""
    slack.command("UADMIN", f"setup <#{CHANNEL}|practice> 09:00 Europe/Berlin")
    for team, channel in ((slack, CHANNEL), (t2, OTHER)):
        team.command("U1", "pause", channel=channel)
        assert "Only workspace admins can run pause" in text_of(fake.calls("response_url")[-1])
        team.command("U1", f"setup <#{channel}|x> 10:00 UTC", channel=channel)
        assert "Only workspace admins can run setup" in text_of(fake.calls("response_url")[-1])
    assert team_row(db).paused is False and team_row(db).practice_time == "09:00"
    with db.session() as s:
        assert s.exec(select(Team).where(Team.workspace_id == "T2", Team.channel_id != "")).first() is None
