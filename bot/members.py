"""A member's own data and preferences: export, forget-me, reminders, leaderboard visibility."""
from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from sqlmodel import delete, or_, select

from bot import outbox
from bot.content import DIMENSIONS, STEPS
from bot.context import Ctx, UserError
from bot.localtime import parse_hhmm, parse_timezone
from bot.messages import Attachment, Button, Message, Reply, plural
from bot.store.models import (
    Answer,
    Drill,
    Member,
    MockFeedback,
    MockPair,
    OutboxRow,
    PendingAnswer,
    PracticeDay,
    ReviewAssignment,
    Round,
    Team,
    Vote,
)


def public_name(member: Member | None) -> str:
    """The name a public post may show: a member hidden from leaderboards is 'a teammate'."""
    return "someone" if member is None else public_label(member.display_name, member.leaderboard_opt_out)


def public_label(display_name: str, hidden: bool) -> str:
    """`public_name` from plain columns (for queries that don't load whole members)."""
    return "a teammate" if hidden else (display_name or "someone")


def export(ctx: Ctx, team: Team, member: Member) -> Reply:
    """Everything sensebot holds about the member, as JSON."""
    s = ctx.session
    answers = list(s.exec(select(Answer).where(Answer.team_id == team.id, Answer.member_id == member.id)))
    prompt_of = {r.id: r.prompt_id for r in s.exec(select(Round).where(Round.team_id == team.id))}
    data = {
        "member": {"user_id": member.user_id, "display_name": member.display_name, "timezone": member.timezone,
                   "reminders": member.reminders, "quiet_hours": [member.quiet_start, member.quiet_end],
                   "leaderboard_opt_out": member.leaderboard_opt_out, "pairs_opt_in": member.pairs_opt_in,
                   "calibrated_at": member.calibrated_at.isoformat() if member.calibrated_at else None, "joined": member.created_at.isoformat()},
        "team": {"platform": team.platform, "workspace_id": team.workspace_id},
        "answers": [{"id": a.id, "round_prompt": prompt_of.get(a.round_id), "drill_id": a.drill_id,
                     **{k: getattr(a, k) for k in STEPS}, "free_text": a.free_text,
                     "created_at": a.created_at.isoformat(), "updated_at": a.updated_at.isoformat()} for a in answers],
        "votes_given": [{"answer_id": v.answer_id, **{d: getattr(v, d) for d in DIMENSIONS}, "comment": v.comment,
                         "at": v.created_at.isoformat()}
                        for v in s.exec(select(Vote).where(Vote.team_id == team.id, Vote.voter_id == member.id))],
        "votes_received": _received(ctx, team, member),
        "drills": [{"id": d.id, "kind": d.kind, "content": d.content_id, "status": d.status,
                    "started_at": d.started_at.isoformat()}
                   for d in s.exec(select(Drill).where(Drill.team_id == team.id, Drill.member_id == member.id))],
        "mock_pairs": [{"week": p.week, "prompt": p.prompt_id, "group_size": len(p.member_ids)}
                       for p in s.exec(select(MockPair).where(MockPair.team_id == team.id)) if member.id in p.member_ids],
        "mock_feedback_given": [{"pair_id": f.pair_id, "happened": f.happened, "scores": f.scores, "comment": f.comment,
                                 "at": f.at.isoformat()}
                                for f in s.exec(select(MockFeedback).where(MockFeedback.team_id == team.id,
                                                                           MockFeedback.rater_id == member.id))],
        "mock_feedback_received": [{"pair_id": f.pair_id, "happened": f.happened, "scores": f.scores, "comment": f.comment}
                                   for f in s.exec(select(MockFeedback).where(MockFeedback.team_id == team.id,
                                                                              MockFeedback.ratee_id == member.id))],
        "practice_days": sorted(d.isoformat() for d in s.exec(select(PracticeDay.local_date).where(
            PracticeDay.team_id == team.id, PracticeDay.member_id == member.id))),
    }
    body = json.dumps(data, indent=2, ensure_ascii=False).encode()
    return Reply(messages=(Message("Your sensebot data",
                                   f"{plural(len(data['answers']), 'answer')}, {plural(len(data['votes_given']), 'vote')} given, "
                                   f"{plural(len(data['practice_days']), 'practice day')}."),),
                 attachment=Attachment(f"sensebot-export-{member.user_id}.json", body))


def _received(ctx: Ctx, team: Team, member: Member) -> list[dict]:
    """Votes on the member's answers as SECURITY.md promises: per answer, the number of votes, the
    average per dimension and the comments (sorted, with no voter and no individual scores, so a
    comment can't be matched to the scores beside it)."""
    per_answer: dict[int, list[Vote]] = {}
    for v in ctx.session.exec(select(Vote).join(Answer, Answer.id == Vote.answer_id).where(
            Vote.team_id == team.id, Answer.team_id == team.id, Answer.member_id == member.id)):
        per_answer.setdefault(v.answer_id, []).append(v)
    return [{"answer_id": aid, "votes": len(vs),
             "averages": {d: round(sum(getattr(v, d) for v in vs) / len(vs), 2) for d in DIMENSIONS},
             "comments": sorted(v.comment for v in vs if v.comment.strip())}
            for aid, vs in sorted(per_answer.items())]


FORGOTTEN = (
    "sensebot deleted what it held about you in this team: answers, votes you gave and votes on your answers, "
    "drills, streak, reviewer assignments, mock-interview feedback and preferences. Messages to you or about "
    "you that were still queued are cancelled, and sensebot's copies of messages already posted no longer "
    "carry your name or your answers. What remains: messages already posted in the chat (your revealed "
    "answers, results and digests that named you, your own thread replies) stay in the platform's history — "
    "sensebot can't delete them there; delete your own messages yourself, or ask an admin to.")


def forget(ctx: Ctx, team: Team, member: Member, confirmed: bool) -> Reply:
    """Delete the member's answers, votes, drills, practice days and preferences.

    Results already posted stay as posted; results computed later simply no longer
    include this member's answers or votes.
    """
    if not confirmed:
        return Reply(messages=(Message(
            "Forget everything about you?",
            "This deletes your answers, the votes you gave, your drills, mock-interview feedback, streak and "
            "preferences in this team, and sensebot's stored copies of messages about you. Messages already "
            "posted in the chat stay there (sensebot can't delete them). "
            "It cannot be undone. Run `forget-me confirm` or press the button.",
            buttons=(Button("Yes, forget me", "forget_confirm", member.user_id, "danger"),)),))
    s = ctx.session
    mine = select(Answer.id).where(Answer.team_id == team.id, Answer.member_id == member.id)
    written = list(s.exec(select(Answer).where(Answer.team_id == team.id, Answer.member_id == member.id)))
    answers_posted = outbox.about_answers(a.id for a in written)
    milestone = f"{team.id}:milestone:{member.id}:"

    def about(row: OutboxRow) -> bool:
        return ((row.kind == "direct" and row.target == member.user_id) or row.dedupe_key.startswith(milestone)
                or answers_posted(row))

    outbox.forget(ctx, team, about=about, names=[member.display_name],
                  texts=[t for a in written for t in (*(getattr(a, st) for st in STEPS), a.free_text)])
    s.exec(delete(PendingAnswer).where(PendingAnswer.team_id == team.id, PendingAnswer.member_id == member.id))
    s.exec(delete(Vote).where(Vote.team_id == team.id, Vote.answer_id.in_(mine)))
    s.exec(delete(Vote).where(Vote.team_id == team.id, Vote.voter_id == member.id))
    s.exec(delete(Answer).where(Answer.team_id == team.id, Answer.member_id == member.id))
    s.exec(delete(Drill).where(Drill.team_id == team.id, Drill.member_id == member.id))
    s.exec(delete(PracticeDay).where(PracticeDay.team_id == team.id, PracticeDay.member_id == member.id))
    s.exec(delete(ReviewAssignment).where(ReviewAssignment.team_id == team.id, or_(
        ReviewAssignment.reviewer_id == member.id, ReviewAssignment.author_id == member.id)))
    s.exec(delete(MockFeedback).where(MockFeedback.team_id == team.id, or_(
        MockFeedback.rater_id == member.id, MockFeedback.ratee_id == member.id)))
    for pair in s.exec(select(MockPair).where(MockPair.team_id == team.id)):
        if member.id in pair.member_ids:
            pair.member_ids = [m for m in pair.member_ids if m != member.id]
    s.delete(member)
    s.flush()
    return Reply.note("Forgotten", FORGOTTEN)


def zone(member: Member, team: Team) -> ZoneInfo:
    """The member's own time zone, the one rule for it: the zone they set (`reminders tz`) wins
    over the one their platform knows (Slack's profile tz), which wins over the team's."""
    for name in (member.timezone, member.platform_timezone):
        if name:
            try:
                return parse_timezone(name)
            except ValueError:
                continue
    return parse_timezone(team.timezone)


REMINDERS_USAGE = "Usage: reminders on | reminders off | reminders quiet 21:00 08:00 | reminders tz Europe/Berlin"


def reminders(ctx: Ctx, team: Team, member: Member, args: tuple[str, ...]) -> Reply:
    """`reminders on|off`, `reminders quiet 21:00 08:00`, or `reminders tz Area/City` (your own zone)."""
    arg = args[0].lower() if args else ""
    if arg in ("on", "off"):
        member.reminders = arg == "on"
    elif arg == "quiet" and len(args) == 3:
        try:
            member.quiet_start, member.quiet_end = (parse_hhmm(a).strftime("%H:%M") for a in args[1:3])
        except ValueError as exc:
            raise UserError(str(exc)) from None
    elif arg in ("tz", "timezone") and len(args) == 2:
        try:
            member.timezone = parse_timezone(args[1]).key
        except ValueError as exc:
            raise UserError(str(exc)) from None
    elif arg:
        raise UserError(REMINDERS_USAGE)
    state = "on" if member.reminders else "off"
    return Reply.note(f"Reminders are {state}",
                      f"At most one private reminder a round, never between {member.quiet_start} and {member.quiet_end} "
                      f"your time ({zone(member, team).key}).")


def leaderboard_visibility(ctx: Ctx, member: Member, show: bool) -> Reply:
    member.leaderboard_opt_out = not show
    return Reply.note("You appear on leaderboards" if show else "You're hidden from leaderboards",
                      "Your own streak and scores stay visible to you.")
