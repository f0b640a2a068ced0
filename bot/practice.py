"""The use cases: `Practice.handle(event) -> Reply`, and the scheduled day.

Each call is one transaction. A `UserError` rolls it back and becomes a one-sentence
private reply; a database outage becomes "try again" with nothing half-written. Rules
live in the modules this dispatches to; this file only routes and wraps.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from bot import (
    answers,
    calibration,
    day,
    drills,
    leaderboard,
    members,
    outbox,
    pairs,
    progress,
    reviewers,
    rounds,
    streaks,
    teams,
    votes,
)
from bot.content import CATEGORIES, SKILLS, Library
from bot.context import Ctx, UserError
from bot.events import (
    Action,
    Command,
    DirectMessage,
    Event,
    FormSubmitted,
    ThreadReply,
    Who,
)
from bot.messages import Button, Message, Reply, Section
from bot.ports import Clock
from bot.store.db import Database
from bot.store.models import Member, ProcessedEvent, Team

log = logging.getLogger(__name__)

ADMIN_COMMANDS = ("setup", "pause", "resume", "skip", "set", "status")

HELP = [
    ("today", "today's case, its deadlines and your answer"),
    ("answer", "answer today's case (Scope, Segment, Solve, Score)"),
    ("rate <answer#>", "rate a teammate's answer on the rubric while voting is open"),
    ("results", "the last round's results"),
    (f"drill [{'|'.join(CATEGORIES)}]", "a private, timed case drill; with no kind, one for your weakest dimension"),
    (f"drill skill [{'|'.join(SKILLS)}]", "a 3-10 minute drill of one skill"),
    ("drill mock", "a 45-minute mock interview in CLARITY stages, timed per stage"),
    ("drill stop", "abandon the drill in progress"),
    ("streak", "your current and longest streak"),
    ("leaderboard [week|month|all] [score|streak]", "who's practising, who's scoring"),
    ("leaderboard hide|show", "leave or rejoin the leaderboards"),
    ("progress", "your scores per rubric dimension and your weakest spot"),
    ("reminders on|off|quiet HH:MM HH:MM", "private reminders before the answer deadline"),
    ("pairs on|off", "a weekly mock-interview partner (pairs shows this week's)"),
    ("export", "everything sensebot holds about you, as JSON"),
    ("forget-me", "delete your answers, votes and preferences"),
]
ADMIN_HELP = [
    ("setup #channel HH:MM Area/City [mon-fri]", "where and when the daily case is posted"),
    ("pause | resume", "stop or restart daily prompts"),
    ("skip YYYY-MM-DD", "no practice that day (streaks won't break)"),
    ("set <name> <value>", "reveal, pass-bar, answer-window, vote-window, reminder-at, grace, min-votes, reviewers, retention-days; set families <family> … (or default)"),
    ("status", "settings, next steps, delivery problems and recent admin actions"),
]


class Practice:
    """The core, composed from its store, clock and content."""

    def __init__(self, db: Database, clock: Clock, library: Library, *, default_tz: str = "UTC",
                 admins: Iterable[str] = (), command_prefix: str = ""):
        self.db = db
        self.clock = clock
        self.library = library
        self.default_tz = default_tz
        self.admins = frozenset(admins)
        self.prefix = command_prefix
        self.on_team_change: list[Callable[[int], None]] = []

    # ------------------------------------------------------------ entry points

    def handle(self, event: Event) -> Reply:
        try:
            with self.db.transaction() as session:
                reply = self._dispatch(Ctx(session, self.clock, self.library), event)
                changed = session.info.pop("team_changed", None)
        except UserError as exc:
            return Reply.note(str(exc))
        except OperationalError:
            log.warning("database unavailable while handling %s", type(event).__name__)
            return Reply.note("sensebot couldn't reach its database just now — nothing was saved. Try again in a moment.")
        except IntegrityError:
            log.info("conflicting write while handling %s", type(event).__name__)
            return Reply.note("That collided with another change at the same moment — nothing was saved. Try again.")
        if changed is not None:
            for listener in self.on_team_change:
                listener(changed)
        return reply

    def run_due(self, team_id: int) -> list[tuple[str, str]]:
        """Run a team's due steps in one transaction (the scheduler's job calls this)."""
        with self.db.transaction() as session:
            ctx = Ctx(session, self.clock, self.library)
            team = session.get(Team, team_id)
            return day.run_due(ctx, team) if team is not None else []

    def housekeeping(self) -> list[int]:
        """Retention for every team, then deletion of teams removed past the grace period."""
        from bot import retention

        def run(ctx: Ctx) -> list[int]:
            for team in ctx.session.exec(select(Team).where(Team.removed_at.is_(None))):
                retention.apply(ctx, team)
            return retention.purge_removed(ctx)
        return self.with_ctx(run)

    def home(self, who: Who) -> Message:
        """A member's overview (Slack's App Home): streak, scores per dimension, next prompt, settings."""
        def view(ctx: Ctx) -> Message:
            team = teams.ensure_team(ctx, who, self.default_tz)
            member = teams.ensure_member(ctx, team, who)
            info = streaks.streak(ctx, team, member)
            mine = progress.report(ctx, team, member, with_chart=False).messages[0]
            nxt = next((s for s in day.upcoming(ctx, team) if s.name == "open"), None)
            rnd = rounds.current(ctx, team)
            sections = [Section("Streak", f"🔥 {info.current} days (longest {info.longest})")]
            sections += list(mine.sections) or [Section("Scores", mine.text)]
            sections.append(Section("Next prompt", teams.when(nxt.due, team) if nxt else "not scheduled — an admin runs setup"))
            if rnd is not None and rnd.phase == "voting":
                owed = reviewers.pending(ctx, team, rnd).get(member.id)
                if owed:
                    sections.append(Section("Your reviews", f"Rate {reviewers.numbers(owed)} "
                                                            f"by {teams.when(rnd.vote_deadline, team)}."))
            partner = pairs.current(ctx, team, member) if member.pairs_opt_in else None
            if partner is not None:
                sections.append(Section("Mock partner", f"{partner[0]}. {partner[1]}"))
            if rnd is not None:
                sections.append(Section("Open round", f"{ctx.library.prompt(rnd.prompt_id).title if ctx.library.prompt(rnd.prompt_id) else rnd.prompt_id} ({rnd.phase})"))
            sections.append(Section("Your settings", f"Reminders {'on' if member.reminders else 'off'} (quiet {member.quiet_start}–{member.quiet_end}) · "
                                                     f"{'hidden from' if member.leaderboard_opt_out else 'shown on'} leaderboards"))
            return Message("Your practice", mine.text if mine.sections else "", sections=tuple(sections),
                           buttons=(Button("Start a drill", "drill", "", "primary"),))
        return self.with_ctx(view)

    def team_removed(self, platform: str, workspace_id: str) -> None:
        """The app was uninstalled or removed from the server: schedule the team's data for deletion."""
        def mark(ctx: Ctx) -> None:
            team = teams.find_team(ctx, platform, workspace_id)
            if team is not None and team.removed_at is None:
                team.removed_at = ctx.now()
                teams.audit(ctx, team, "platform", "removed", "uninstalled; data deleted after the grace period")
        self.with_ctx(mark)

    def team_restored(self, platform: str, workspace_id: str) -> bool:
        """The app was installed again or rejoined the server: cancel the scheduled deletion and
        bring the schedule back. True when a removed team was restored."""
        restored = self.with_ctx(lambda ctx: teams.restore(ctx, platform, workspace_id))
        if restored is None:
            return False
        for listener in self.on_team_change:
            listener(restored.id)
        return True

    def with_ctx(self, fn: Callable[[Ctx], object]):
        """Run `fn` in one transaction with a fresh context (for CLI and adapters' setup paths)."""
        with self.db.transaction() as session:
            return fn(Ctx(session, self.clock, self.library))

    # ------------------------------------------------------------ routing

    def _dispatch(self, ctx: Ctx, event: Event) -> Reply:
        team = teams.ensure_team(ctx, event.who, self.default_tz)
        member = teams.ensure_member(ctx, team, event.who)
        if isinstance(event, Command):
            return self._command(ctx, team, member, event)
        if isinstance(event, Action):
            return self._action(ctx, team, member, event)
        if isinstance(event, FormSubmitted):
            return self._form(ctx, team, member, event)
        if isinstance(event, ThreadReply):
            return self._thread(ctx, team, member, event)
        if isinstance(event, DirectMessage):
            return self._direct(ctx, team, member, event)
        raise UserError("sensebot doesn't know what to do with that.")

    def _is_admin(self, who: Who) -> bool:
        return who.is_admin or who.user_id in self.admins

    def _command(self, ctx: Ctx, team: Team, member: Member, cmd: Command) -> Reply:
        name, args = cmd.name.lower().strip(), tuple(cmd.args)
        if name in ADMIN_COMMANDS:
            if not self._is_admin(cmd.who):
                raise UserError(f"Only workspace admins can run {name}. Ask one of them, or see help.")
            return self._admin(ctx, team, cmd.who, name, args)
        if name in ("", "help"):
            return self.help(cmd.who)
        if name == "today":
            return self._today(ctx, team, member)
        if name == "answer":
            rnd = self._answerable(ctx, team)
            if args:
                return answers.submit(ctx, team, member, rnd, free_text=" ".join(args), source="command")
            return Reply(form=answers.form(ctx, team, rnd, member))
        if name in ("rate", "vote"):
            if len(args) == 1:
                return self._rate(ctx, team, member, args[0])
            answer_id, values = votes.parse_inline(args)
            return votes.cast(ctx, team, member, answer_id, values)
        if name == "results":
            return self._results(ctx, team)
        if name == "drill":
            return drills.start(ctx, team, member, args)
        if name == "streak":
            info = streaks.streak(ctx, team, member)
            nxt = next((m for m in streaks.MILESTONES if m > info.current), None)
            goal = f" Next milestone: {nxt} days." if nxt else ""
            return Reply.note(f"🔥 {info.current}-day streak", f"Longest: {info.longest} days · {info.days} practice days in all.{goal}")
        if name == "leaderboard":
            return self._leaderboard(ctx, team, member, args)
        if name == "progress":
            return progress.report(ctx, team, member)
        if name == "reminders":
            return members.reminders(ctx, member, args)
        if name == "pairs":
            return pairs.command(ctx, team, member, args)
        if name == "export":
            return members.export(ctx, team, member)
        if name in ("forget-me", "forget"):
            return members.forget(ctx, team, member, confirmed=bool(args) and args[0].lower() in ("confirm", "yes"))
        return self.help(cmd.who, unknown=name)

    def _admin(self, ctx: Ctx, team: Team, who: Who, name: str, args: tuple[str, ...]) -> Reply:
        if name != "status":
            ctx.session.info["team_changed"] = team.id  # reschedule this team once the change commits
        if name == "setup":
            return Reply.note("Set up", teams.setup(ctx, team, who.user_id, args), private=False)
        if name in ("pause", "resume"):
            return Reply.note("Paused" if name == "pause" else "Resumed", teams.pause(ctx, team, who.user_id, name == "pause"), private=False)
        if name == "skip":
            return Reply.note("Skipping a day", teams.skip(ctx, team, who.user_id, args), private=False)
        if name == "set":
            return Reply.note("Setting changed", teams.set_option(ctx, team, who.user_id, args))
        return self._status(ctx, team)

    def _action(self, ctx: Ctx, team: Team, member: Member, act: Action) -> Reply:
        if act.action == "answer":
            rnd = rounds.find(ctx, team, _int(act.value)) if act.value else self._answerable(ctx, team)
            if rnd is None:
                raise UserError("That round doesn't exist in this team.")
            return Reply(form=answers.form(ctx, team, rnd, member))
        if act.action == "rate":
            return self._rate(ctx, team, member, act.value)
        if act.action == "calibrate":
            return Reply(form=calibration.form(ctx, member, act.value))
        if act.action == "calibrate_skip":
            member.calibrated_at = ctx.now()
            return Reply(form=votes.form(ctx, team, member, act.value))
        if act.action == "drill":
            return drills.start(ctx, team, member, tuple(act.value.split()) if act.value else ())
        if act.action == "drill_step":
            return Reply(form=drills.step_form(ctx, team, member, act.value))
        if act.action == "drill_stop":
            return drills.stop(ctx, team, member, act.value or None)
        if act.action == "mock_rate":
            return Reply(form=pairs.rate_form(ctx, team, member, act.value))
        if act.action == "mock_missed":
            return pairs.missed(ctx, team, member, act.value)
        if act.action == "forget_confirm":
            if act.value != member.user_id:
                raise UserError("That button was for someone else.")
            return members.forget(ctx, team, member, confirmed=True)
        raise UserError("That button is no longer supported — try help.")

    def _form(self, ctx: Ctx, team: Team, member: Member, f: FormSubmitted) -> Reply:
        if f.form == "answer":
            rnd = rounds.find(ctx, team, _int(f.meta.get("round_id", "")))
            if rnd is None:
                raise UserError("That round doesn't exist in this team.")
            return answers.submit(ctx, team, member, rnd, sections=dict(f.values), source="form")
        if f.form == "vote":
            return votes.cast(ctx, team, member, f.meta.get("answer_id", ""), f.values)
        if f.form == "mock_rate":
            return pairs.rate(ctx, team, member, f.meta, f.values)
        if f.form == "calibrate":
            return calibration.compare(ctx, member, f.meta, f.values)
        if f.form == "drill_step":
            step = f.meta.get("step", "")
            text = f.values.get(step) or f.values.get("answer") or ""
            return drills.submit_step(ctx, team, member, f.meta.get("drill_id", ""), "" if step == "answer" else step, text)
        raise UserError("That form is no longer supported — try help.")

    def _thread(self, ctx: Ctx, team: Team, member: Member, t: ThreadReply) -> Reply:
        if t.event_id:
            seen = ctx.session.exec(select(ProcessedEvent.id).where(
                ProcessedEvent.team_id == team.id, ProcessedEvent.event_id == t.event_id)).first()
            if seen is not None:
                return Reply()
            ctx.session.add(ProcessedEvent(team_id=team.id, event_id=t.event_id, at=ctx.now()))
        rnd = rounds.by_thread(ctx, team, t.thread_ref)
        if rnd is None:
            return Reply()  # a thread that is not a round's: not ours to answer
        return answers.submit(ctx, team, member, rnd, free_text=t.text, source="thread")

    def _direct(self, ctx: Ctx, team: Team, member: Member, d: DirectMessage) -> Reply:
        drill = drills.active(ctx, team, member)
        if drill is not None:
            step = drills.STEPS[drill.step] if drill.kind == "case" else ""
            return drills.submit_step(ctx, team, member, str(drill.id), step, d.text)
        rnd = rounds.current(ctx, team, "answering")
        if rnd is None:
            raise UserError("Nothing is waiting for an answer — start a drill, or see help.")
        return answers.submit(ctx, team, member, rnd, free_text=d.text, source="direct")

    # ------------------------------------------------------------ views

    def help(self, who: Who, unknown: str | None = None) -> Reply:
        p = self.prefix
        lines = "\n".join(f"• {p}{c} — {d}" for c, d in HELP)
        sections = [Section("Commands", lines)]
        if self._is_admin(who):
            sections.append(Section("Admin", "\n".join(f"• {p}{c} — {d}" for c, d in ADMIN_HELP)))
        intro = (f"'{unknown}' isn't a sensebot command. " if unknown else "") + (
            "Each practice day sensebot posts a product-sense case. Answer it with the 4S framework — "
            "Scope, Segment, Solve, Score — then rate each other on the rubric.")
        return Reply(messages=(Message("sensebot help", intro, sections=tuple(sections)),))

    def _rate(self, ctx: Ctx, team: Team, member: Member, answer_id: str) -> Reply:
        """The vote form — or, before a member's first vote, the calibration on a reference answer."""
        form = votes.form(ctx, team, member, answer_id)  # checks the answer first: forged ids stop here
        if calibration.needed(ctx, team, member):
            return calibration.invitation(ctx, member, int(form.meta["answer_id"]))
        return Reply(form=form)

    def _answerable(self, ctx: Ctx, team: Team):
        rnd = rounds.current(ctx, team, "answering")
        if rnd is None:
            raise UserError("There's no case open for answers right now — try a drill meanwhile.")
        return rnd

    def _today(self, ctx: Ctx, team: Team, member: Member) -> Reply:
        rnd = rounds.current(ctx, team) or rounds.latest(ctx, team)
        if rnd is None:
            nxt = next((s for s in day.upcoming(ctx, team) if s.name == "open"), None)
            when = f" The next one opens {teams.when(nxt.due, team)}." if nxt else ""
            return Reply.note("No case yet", f"Nothing has been posted yet.{when} Meanwhile, try drill.")
        prompt = ctx.library.prompt(rnd.prompt_id)
        msg = rounds.prompt_message(prompt, rnd, team)
        mine = answers.mine(ctx, team, rnd, member)
        status = {"answering": "open for answers", "voting": "voting", "closed": "closed"}[rnd.phase]
        note = f"This round is {status}. " + ("You've answered. " if mine else "You haven't answered. ")
        return Reply(messages=(Message(msg.title, msg.text, msg.sections, msg.buttons if rnd.phase == "answering" else (),
                                       footer=note.strip()),))

    def _results(self, ctx: Ctx, team: Team) -> Reply:
        from bot import results
        rnd = rounds.latest(ctx, team)
        if rnd is None:
            raise UserError("No rounds yet, so no results.")
        res = results.compute(ctx, team, rnd, ctx.library.rubric)
        msg = rounds.results_message(ctx, team, rnd, ctx.library.prompt(rnd.prompt_id), res)
        if rnd.phase != "closed":
            msg = Message(msg.title + " (so far)", msg.text, msg.sections[:-1], user_text=True)
        return Reply(messages=(msg,))

    def _leaderboard(self, ctx: Ctx, team: Team, member: Member, args: tuple[str, ...]) -> Reply:
        words = [a.lower() for a in args]
        if words[:1] in (["hide"], ["show"]):
            return members.leaderboard_visibility(ctx, member, words[0] == "show")
        period = next((w for w in words if w in leaderboard.PERIODS), "week")
        unknown = [w for w in words if w not in leaderboard.PERIODS + ("score", "streak")]
        if unknown:
            raise UserError(f"'{unknown[0]}' isn't a leaderboard option — use week, month or all, and score or streak.")
        label = {"week": "This week", "month": "This month", "all": "All time"}[period]
        sections = []
        if "streak" not in words:
            rows = leaderboard.by_score(ctx, team, ctx.library.rubric, period)
            sections.append(Section(f"Average weighted score (min {team.min_votes} votes)",
                                    "\n".join(f"{i}. {r.name} — {r.value:.2f} ({r.detail})" for i, r in enumerate(rows, 1))
                                    or "Nobody has enough votes yet."))
        if "score" not in words:
            rows = leaderboard.by_streak(ctx, team, period)
            sections.append(Section("Streaks", "\n".join(f"{i}. {r.name} — {int(r.value)} days ({r.detail})"
                                                         for i, r in enumerate(rows, 1)) or "No practice yet."))
        return Reply(messages=(Message(f"Leaderboard — {label}", sections=tuple(sections), user_text=True,
                                       footer="Hide yourself with: leaderboard hide"),), private=False)

    def _status(self, ctx: Ctx, team: Team) -> Reply:
        steps = day.upcoming(ctx, team)[:6]
        nxt = "\n".join(f"• {s.name} — {teams.when(s.due, team)} ({s.due:%Y-%m-%d %H:%M} UTC)" for s in steps) or "nothing scheduled"
        failed = outbox.failed_rows(ctx, team)
        fails = "\n".join(f"• {r.kind} to {r.target}: {r.error}" for r in failed) or "none"
        audit = "\n".join(f"• {a.at:%Y-%m-%d %H:%M} UTC {a.actor}: {a.action} {a.detail}"
                          for a in teams.recent_audit(ctx, team)) or "none"
        return Reply(messages=(Message("sensebot status", teams.describe(team), sections=(
            Section("Next steps", nxt), Section("Delivery problems", fails), Section("Recent admin actions", audit))),))


def _int(value: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return -1
