"""Mock-interview pairs: members who opt in are paired every Monday.

The odd one out joins a pair, making a three; nobody gets last week's partner again when
any other grouping exists (with two or three members there is none). Each group gets a
case, who interviews first, and the interviewer's guide: what to probe for each rubric
dimension. The next Monday each member is asked whether the mock happened and may rate
their partner on the rubric.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, timedelta

from sqlmodel import select

from bot import due, outbox, rounds
from bot.calibration import score_fields
from bot.context import Ctx, UserError
from bot.inbound import parse_id
from bot.messages import Button, Form, Message, Reply, Section
from bot.rubric import read_scores, weighted
from bot.store.models import Member, MockFeedback, MockPair, Team
from bot.teams import members_by_id
from bot.votes import MAX_COMMENT, comment_field

ATTEMPTS = 200
# A rating submitted in parts (a platform whose dialogs can't hold the scores and the comment at once)
# reaches the partner when its last part comes in, or after this long if that part never comes.
PARTIAL_HOLD = timedelta(minutes=30)


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def group(ids: list[int], last: Mapping[int, set[int]], seed: str) -> list[list[int]]:
    """Pairs (and one three when the count is odd) with no partner from last week if possible;
    otherwise the grouping with the fewest repeats. Deterministic for a given seed."""
    if len(ids) < 2:
        return []
    best: list[list[int]] = []
    best_repeats = None
    for attempt in range(ATTEMPTS):
        order = sorted(ids)
        random.Random(f"{seed}:{attempt}").shuffle(order)
        even = len(order) - len(order) % 2
        groups = [order[i:i + 2] for i in range(0, even, 2)]
        if len(order) % 2:
            groups[-1].append(order[-1])
        repeats = sum(1 for g in groups for a in g for b in g if a < b and b in last.get(a, set()))
        if best_repeats is None or repeats < best_repeats:
            best, best_repeats = groups, repeats
        if repeats == 0:
            break
    return best


def _groups_of(ctx: Ctx, team: Team, week: str) -> list[MockPair]:
    return list(ctx.session.exec(select(MockPair).where(MockPair.team_id == team.id, MockPair.week == week)
                                 .order_by(MockPair.id)))


def guide(ctx: Ctx, prompt) -> str:
    """What the interviewer probes, dimension by dimension, and the questions a strong candidate asks."""
    lines = [f"• {d.name} — {d.short}. A 5: {d.levels.get(5, '')}" for d in ctx.library.rubric.dimensions]
    asks = [q for step in ("scope", "segment") for q in prompt.hints.get(step, ())[:1]]
    if asks:
        lines.append("Strong candidates ask: " + " ".join(asks))
    return "\n".join(lines)


def has_work(ctx: Ctx, team: Team, monday: date) -> bool:
    """Anyone opted in, or last week's groups to follow up: otherwise the weekly step is not recorded."""
    if team.paused:
        return False
    if ctx.session.exec(select(Member.id).where(Member.team_id == team.id, Member.pairs_opt_in == True)).first():
        return True
    return bool(_groups_of(ctx, team, week_of(monday - timedelta(days=7))))


def weekly(ctx: Ctx, team: Team, monday: date) -> int:
    """Monday: ask last week's groups how it went, then pair this week's. Returns the groups made."""
    if team.paused:
        return 0
    names = members_by_id(ctx, team)
    last_week = week_of(monday - timedelta(days=7))
    last: dict[int, set[int]] = {}
    for pair in _groups_of(ctx, team, last_week):
        for m in pair.member_ids:
            last.setdefault(m, set()).update(x for x in pair.member_ids if x != m)
            _follow_up(ctx, team, pair, m, names)
    week = week_of(monday)
    if _groups_of(ctx, team, week):
        return 0
    ids = [m.id for m in names.values() if m.pairs_opt_in]
    used = {p.prompt_id for p in ctx.session.exec(select(MockPair).where(MockPair.team_id == team.id))}
    made = 0
    for g in group(ids, last, seed=f"{team.id}:{week}"):
        prompt = rounds.pick_private(ctx, team, used) or rounds.pick_prompt(ctx, team, exclude=used)
        used.add(prompt.id)
        pair = MockPair(team_id=team.id, week=week, member_ids=g, prompt_id=prompt.id, created_at=ctx.now())
        ctx.session.add(pair)
        ctx.session.flush()
        made += 1
        order = " → ".join(names[m].display_name for m in g + g[:1])
        for m in g:
            partners = " and ".join(names[x].display_name for x in g if x != m)
            first = "You interview first." if m == g[0] else f"{names[g[0]].display_name} interviews first."
            outbox.enqueue(ctx, team, kind="direct", target=names[m].user_id, dedupe_key=f"pairs:{week}:{m}",
                           message=Message(f"Your mock-interview partner this week: {partners}",
                                           f"{first} Take turns ({order}): 45 minutes each, the interviewer holds the "
                                           "case and the guide. Find a slot this week.",
                                           sections=(Section(f"The case: {prompt.title}", prompt.text),
                                                     Section("Interviewer's guide", guide(ctx, prompt))),
                                           user_text=True, footer="Stop pairing with: pairs off"))
    return made


def _follow_up(ctx: Ctx, team: Team, pair: MockPair, member_id: int, names: Mapping[int, Member]) -> None:
    me = names.get(member_id)
    if me is None:
        return
    others = [x for x in pair.member_ids if x != member_id and x in names]
    buttons = tuple(Button(f"Yes — rate {names[x].display_name}", "mock_rate", f"{pair.id}:{x}", "primary") for x in others)
    outbox.enqueue(ctx, team, kind="direct", target=me.user_id, dedupe_key=f"pairs:{pair.week}:follow-up:{member_id}",
                   message=Message("Did your mock interview happen?",
                                   f"Last week you were paired with {' and '.join(names[x].display_name for x in others)}. "
                                   "If it happened, rate your partner on the rubric — it helps them more than a thumbs-up.",
                                   buttons=(*buttons, Button("It didn't happen", "mock_missed", str(pair.id))),
                                   user_text=True))


def _pair_for(ctx: Ctx, team: Team, member: Member, pair_id: str) -> MockPair:
    pk = parse_id(pair_id)
    pair = ctx.session.get(MockPair, pk) if pk is not None else None
    if pair is None or pair.team_id != team.id or member.id not in pair.member_ids:
        raise UserError("That mock interview isn't one of yours.")
    return pair


def _partner(pair: MockPair, member: Member, ratee: str) -> int:
    """The partner being rated: someone else in the member's own group (the id comes back from a
    button or a form, so it is checked, not trusted)."""
    if not ratee.isdigit() or int(ratee) not in pair.member_ids or int(ratee) == member.id:
        raise UserError("You can rate the partners of your own mock interview only.")
    return int(ratee)


def rate_form(ctx: Ctx, team: Team, member: Member, value: str) -> Form:
    pair_id, _, ratee = value.partition(":")
    pair = _pair_for(ctx, team, member, pair_id)
    partner = ctx.session.get(Member, _partner(pair, member, ratee))
    given = _feedback(ctx, pair, member, partner.id)
    scores = given.scores if given is not None and given.happened and given.scores else None
    return Form(id="mock_rate", title=f"Rate {partner.display_name}"[:40],
                fields=score_fields(ctx.library.rubric, scores) + (comment_field(given.comment if given else ""),),
                submit="Send", meta={"pair_id": str(pair.id), "ratee": ratee})


def _feedback(ctx: Ctx, pair: MockPair, member: Member, ratee: int) -> MockFeedback | None:
    return ctx.session.exec(select(MockFeedback).where(MockFeedback.pair_id == pair.id, MockFeedback.rater_id == member.id,
                                                       MockFeedback.ratee_id == ratee)).first()


def rate(ctx: Ctx, team: Team, member: Member, meta: Mapping[str, str], values: Mapping[str, str],
         partial: bool = False) -> Reply:
    """Store the rating and tell the partner. A `partial` submission (more of the form to come) holds the
    partner's DM until the rest arrives, which then replaces it: one DM with the scores and the comment."""
    pair = _pair_for(ctx, team, member, meta.get("pair_id", ""))
    ratee = _partner(pair, member, meta.get("ratee", ""))
    scores = read_scores(values)
    row = _feedback(ctx, pair, member, ratee)
    if row is None:
        row = MockFeedback(team_id=team.id, pair_id=pair.id, rater_id=member.id, ratee_id=ratee, at=ctx.now())
        ctx.session.add(row)
    row.happened, row.scores, row.at = True, scores, ctx.now()
    row.comment = (values.get("comment") or "").strip()[:MAX_COMMENT]
    partner = ctx.session.get(Member, ratee)
    outbox.enqueue_latest(ctx, team, kind="direct", target=partner.user_id,
                          not_before=ctx.now() + PARTIAL_HOLD if partial else None,
                          dedupe_key=f"pairs:{pair.id}:feedback:{member.id}:{partner.id}", message=Message(
                       f"{member.display_name} rated your mock interview",
                       f"Weighted {weighted(scores, ctx.library.rubric):.2f} / 5 · "
                       + " · ".join(f"{d.name} {scores[d.id]}" for d in ctx.library.rubric.dimensions),
                       sections=(Section("Comment", row.comment),) if row.comment else (), user_text=True))
    return Reply.note("Thanks — your partner will see your scores",
                      f"You gave {partner.display_name} {weighted(scores, ctx.library.rubric):.2f} / 5.")


def missed(ctx: Ctx, team: Team, member: Member, pair_id: str) -> Reply:
    pair = _pair_for(ctx, team, member, pair_id)
    for other in pair.member_ids:
        if other == member.id:
            continue
        if _feedback(ctx, pair, member, other) is None:
            ctx.session.add(MockFeedback(team_id=team.id, pair_id=pair.id, rater_id=member.id, ratee_id=other,
                                         happened=False, at=ctx.now()))
    return Reply.note("Noted", "No worries — you'll get a new partner on Monday. Turn pairing off with: pairs off")


def command(ctx: Ctx, team: Team, member: Member, args: tuple[str, ...]) -> Reply:
    """`pairs on|off`, or `pairs` for this week's partner."""
    word = args[0].lower() if args else ""
    if word in ("on", "off"):
        if word == "on" and not member.pairs_opt_in:
            due.changed(ctx, team)  # an opt-in can make this Monday's pairing (within its grace) due now
        member.pairs_opt_in = word == "on"
        return Reply.note("Mock pairs " + ("on" if member.pairs_opt_in else "off"),
                          "You'll be paired every Monday for a mock interview." if member.pairs_opt_in
                          else "You won't be paired from next Monday.")
    if word:
        raise UserError("Use pairs on, pairs off, or pairs to see this week's partner.")
    now = current(ctx, team, member)
    if now is None:
        state = "You're opted in: your first partner comes on Monday." if member.pairs_opt_in else "Join with: pairs on"
        return Reply.note("No mock partner yet", state)
    return Reply(messages=(Message(now[0], now[1], user_text=True),))


def current(ctx: Ctx, team: Team, member: Member) -> tuple[str, str] | None:
    """The member's latest mock group as (headline, details), for `pairs` and the App Home."""
    pair = next((p for p in ctx.session.exec(select(MockPair).where(MockPair.team_id == team.id)
                                             .order_by(MockPair.id.desc())) if member.id in p.member_ids), None)
    if pair is None:
        return None
    names = members_by_id(ctx, team)
    prompt = ctx.library.prompt(pair.prompt_id)
    partners = " and ".join(names[x].display_name for x in pair.member_ids if x != member.id and x in names)
    first = names[pair.member_ids[0]].display_name if pair.member_ids[0] in names else "Your partner"
    return (f"Week {pair.week}: paired with {partners or 'nobody (your partner left)'}",
            f"Case: {prompt.title if prompt else pair.prompt_id}. {first} interviews first.")
