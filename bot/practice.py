"""The use cases: `Practice.handle(event) -> Reply`, and the scheduled day.

Each call is one transaction. A `UserError` rolls it back and becomes a one-sentence
private reply; a database outage becomes "try again" with nothing half-written. Rules
live in the modules this dispatches to; this file only routes and wraps.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlmodel import select

from bot import (
    answers,
    calibration,
    chat,
    deadlines,
    day,
    drills,
    due,
    forms,
    leaderboard,
    members,
    outbox,
    pairs,
    progress,
    reviewers,
    rounds,
    schedule,
    streaks,
    teams,
    votes,
)
from bot.content import CATEGORIES, SKILLS, Library
from bot.context import Ctx, UserError
from bot.inbound import clean_event, parse_id
from bot.events import (
    Action,
    Command,
    DirectMessage,
    Event,
    FormSubmitted,
    ThreadReply,
    Who,
)
from bot.messages import Button, Message, Reply, Section, plural, ranks
from bot.ports import Clock
from bot.store.db import Database
from bot.store.models import Member, ProcessedEvent, Team

log = logging.getLogger(__name__)

ADMIN_COMMANDS = ("setup", "pause", "resume", "skip", "unskip", "set", "status")
# Commands whose reply the whole channel sees; every other reply is for the caller only. Known before
# the command runs, so an adapter that must acknowledge first (Discord's deferral) can show its
# placeholder the way the reply will be shown. Errors are always private.
PUBLIC_COMMANDS = frozenset({"setup", "pause", "resume", "skip", "unskip", "leaderboard"})
OLD_VERSION = "This button is from an older version — run {prefix}today."
NOT_THERE = "sensebot is no longer in that server, so this button does nothing there."
NOT_YOURS = "This button isn't for a server you're in — use sensebot's commands in your own server."
MEMBER_COMMANDS = ("help", "today", "answer", "rate", "vote", "results", "drill", "streak", "leaderboard",
                   "progress", "reminders", "pairs", "export", "forget-me", "forget")

HELP = [
    ("today", "today's case, its deadlines and your answer"),
    ("answer", "answer today's case (Scope, Segment, Solve, Score, More)"),
    ("answer <text>", "add text to your answer (a direct message or a thread reply does too)"),
    ("rate <answer#>", "rate a teammate's answer on the rubric while voting is open"),
    ("results", "the last finished round's results, and how many answered today"),
    (f"drill [{'|'.join(CATEGORIES)}]", "a private, timed case drill; with no kind, one for your weakest dimension"),
    (f"drill skill [{'|'.join(SKILLS)}]", "a 3-10 minute drill of one skill"),
    ("drill mock", "a 45-minute mock interview in CLARITY stages, timed per stage"),
    ("drill stop", "abandon the drill in progress"),
    ("streak", "your current and longest streak"),
    ("leaderboard [week|month|all] [score|streak]", "who's practising, who's scoring"),
    ("leaderboard hide|show", "leave or rejoin the leaderboards"),
    ("progress", "your scores per rubric dimension and your weakest spot"),
    ("reminders on|off|quiet HH:MM HH:MM", "private reminders before the answer deadline"),
    ("reminders tz Area/City", "your own time zone for quiet hours"),
    ("pairs on|off", "a weekly mock-interview partner (pairs shows this week's)"),
    ("export", "everything sensebot holds about you, as JSON"),
    ("forget-me", "delete your answers, votes and preferences"),
]
ADMIN_HELP = [
    ("setup #channel HH:MM Area/City [mon-fri]", "where and when the daily case is posted"),
    ("pause | resume", "stop or restart daily prompts"),
    ("skip YYYY-MM-DD", "no practice that day (streaks won't break)"),
    ("unskip YYYY-MM-DD", "undo a skip: practice that day after all"),
    ("set <name> <value>", "reveal, pass-bar, answer-window, vote-window, reminder-at, grace, min-votes, reviewers, retention-days; set families <family> … (or default)"),
    ("status", "settings, next steps, delivery problems and recent admin actions"),
]


class Practice:
    """The core, composed from its store, clock and content."""

    def __init__(self, db: Database, clock: Clock, library: Library, *, default_tz: str = "UTC",
                 admins: Iterable[str] = (), command_prefix: str = "", public_url: str = ""):
        self.db = db
        self.clock = clock
        self.library = library
        self.default_tz = default_tz
        self.admins = frozenset(admins)
        self.prefix = command_prefix
        self.public_url = public_url.rstrip("/")
        self.on_team_change: list[Callable[[int], None]] = []

    # ------------------------------------------------------------ entry points

    def handle(self, event: Event) -> Reply:
        event = clean_event(event)  # NUL and control characters never reach the rules or the database
        try:
            with self.db.transaction() as session:
                try:
                    reply = self._dispatch(self._ctx(session), event)
                except UserError as exc:
                    if not exc.keep:
                        raise
                    reply = _refusal(exc)  # a refusal that records something (a drill found expired)
                changed = session.info.pop("team_changed", None)
        except UserError as exc:
            kept = forms.kept_text(event) if isinstance(event, FormSubmitted) and not exc.echo else None
            # a form's text that could not be saved goes back to its author: nothing they wrote is lost
            reply = _refusal(exc)
            return replace(reply, messages=reply.messages + (kept,)) if kept else reply
        except DataError:
            log.warning("a value the database refused while handling %s", type(event).__name__)
            return Reply.note("sensebot couldn't store a value in that — nothing was saved. "
                              "Check the numbers and text, and try again.")
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

    def check_form(self, event: FormSubmitted) -> dict[str, str]:
        """{field id: sentence} for a submission that can't be saved as it is. Fast and without side
        effects (no database): adapters call it inside the platform's acknowledgement, so the form
        stays open with the member's text and the sentence under the field."""
        return forms.check(event)

    def form_title(self, event: Event) -> str | None:
        """The title of the form this event will most likely open (None: it opens none). Fast and
        without side effects: adapters open the form's window at once, before the slow work."""
        return forms.title(event)

    @staticmethod
    def installed_message(restored: bool) -> Message:
        """What the person who installed (or re-added) sensebot is told."""
        if restored:
            return Message("sensebot is back", "Your team's answers, streaks and settings were kept, and the daily "
                                               "prompt is scheduled again — nothing more to do.")
        return Message("sensebot is installed", "Next: invite it to a channel and run setup there, "
                                                "e.g. setup #pm-practice 09:00 Europe/Berlin mon-fri.")

    def run_due(self, team_id: int) -> list[tuple[str, str]]:
        """Run a team's due steps and store its next due time, in one transaction."""
        return self.run_team(team_id)[0]

    def run_team(self, team_id: int) -> tuple[list[tuple[str, str]], datetime | None]:
        """The scheduler's work for one team, in one transaction: run its due steps, then compute and
        store (`teams.next_due_at`) when its next step is due, and return (steps run, that time).
        If a step fails, everything rolls back and the stored time stays as it was — due — so the
        next sweep tries again."""
        with self.db.transaction() as session:
            ctx = self._ctx(session)
            team = session.get(Team, team_id)
            if team is None:
                return [], None
            seen = team.next_due_at  # stored only if no change replaces it meanwhile (bot/due.py)
            ran = day.run_due(ctx, team)
            at = self._next_due(ctx, team)
            due.store(ctx, team, at, seen)
            return ran, at

    def next_due(self, team_id: int) -> datetime | None:
        """When the team's next step after now is due (None: removed or gone). Not stored: only
        `run_team` may store it, having run what is due — a step already due but not yet run (a
        nudge after a resume) isn't among the steps after now, so a time computed here could be
        later than the truth."""
        def compute(ctx: Ctx) -> datetime | None:
            team = ctx.session.get(Team, team_id)
            return self._next_due(ctx, team) if team is not None else None
        return self.with_ctx(compute)

    @staticmethod
    def _next_due(ctx: Ctx, team: Team) -> datetime | None:
        steps = day.upcoming(ctx, team) if team.removed_at is None else []
        return steps[0].due if steps else None

    def housekeeping(self) -> list[int]:
        """Retention for every team, then deletion of teams removed past the grace period; returns the
        purged teams' ids. Each team runs in its own transaction, so one team's bad setting or row is
        logged and rolled back while every other team's cleanup goes on."""
        from bot import retention

        active = self.with_ctx(lambda ctx: list(ctx.session.exec(select(Team.id).where(Team.removed_at.is_(None)))))
        for team_id in active:
            self._for_team(team_id, "retention", retention.apply)
        return [team_id for team_id in self.with_ctx(retention.removed_past_grace)
                if self._for_team(team_id, "purge", retention.purge)]

    def _for_team(self, team_id: int, what: str, fn: Callable[[Ctx, Team], object]) -> bool:
        """Run `fn` for one team in its own transaction; False (logged) if it failed."""
        try:
            with self.db.transaction() as session:
                team = session.get(Team, team_id)
                if team is not None:
                    fn(self._ctx(session), team)
            return team is not None
        except Exception:
            log.exception("team %s: %s failed; the other teams go on, the next sweep retries", team_id, what)
            return False

    def home(self, who: Who) -> Message:
        """A member's overview (Slack's App Home): streak, scores per dimension, next prompt, settings."""
        who = clean_event(who)
        def view(ctx: Ctx) -> Message:
            team = teams.ensure_team(ctx, who, self.default_tz)
            member = teams.ensure_member(ctx, team, who)
            info = streaks.streak(ctx, team, member)
            mine = progress.report(ctx, team, member, with_chart=False).messages[0]
            nxt = next((s for s in day.upcoming(ctx, team) if s.name == "open"), None)
            rnd = rounds.current(ctx, team)
            sections = [Section("Streak", f"🔥 {plural(info.current, 'day')} (longest {info.longest})")]
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
                prompt = ctx.library.prompt(rnd.prompt_id)
                sections.append(Section("Open round", f"{prompt.title if prompt else rnd.prompt_id}. "
                                                      f"{deadlines.round_status(ctx, team, rnd)}"))
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

    def reply_is_public(self, name: str, args: Iterable[str] = ()) -> bool:
        """Whether command `name`'s reply goes to the channel (True) or to its caller only."""
        name, args = name.lower().strip(), [a.lower() for a in args]
        if name == "leaderboard" and args[:1] in (["hide"], ["show"]):
            return False
        return name in PUBLIC_COMMANDS

    def old_version(self) -> str:
        """What a press on a button or form this version doesn't know gets (an old message, a changed id)."""
        return OLD_VERSION.format(prefix=self.prefix)

    def last_workspace(self, platform: str, user_id: str) -> str | None:
        """The team where this person last did something: where a direct message that names no server
        belongs. Read from the members' last activity, so it survives a restart."""
        def find(ctx: Ctx) -> str | None:
            return ctx.session.exec(
                select(Team.workspace_id).join(Member, Member.team_id == Team.id)
                .where(Team.platform == platform, Team.removed_at.is_(None), Member.user_id == user_id,
                       Member.last_active_at.is_not(None))
                .order_by(Member.last_active_at.desc(), Member.id.desc()).limit(1)).first()
        return self.with_ctx(find)

    def is_round_thread(self, platform: str, workspace_id: str, thread_ref: str) -> bool:
        """Whether a thread (by its parent's reference) is a round's, whoever opened it: an adapter asks
        before passing on a thread's messages, so chat in other threads never reaches the core."""
        def find(ctx: Ctx) -> bool:
            team = teams.find_team(ctx, platform, workspace_id)
            return team is not None and rounds.by_thread(ctx, team, thread_ref) is not None
        return self.with_ctx(find)

    def with_ctx(self, fn: Callable[[Ctx], object]):
        """Run `fn` in one transaction with a fresh context (for CLI and adapters' setup paths)."""
        with self.db.transaction() as session:
            return fn(self._ctx(session))

    def _ctx(self, session) -> Ctx:
        return Ctx(session, self.clock, self.library, self.public_url)

    def is_admin(self, who: Who) -> bool:
        """The one rule for admin rights, for chat commands and the web's admin pages alike:
        the platform says so (workspace admin/owner, Manage Server), or SENSEBOT_ADMINS names them."""
        return who.is_admin or who.user_id in self.admins

    # ------------------------------------------------------------ routing

    def _dispatch(self, ctx: Ctx, event: Event) -> Reply:
        if isinstance(event, ThreadReply):
            known = teams.find_team(ctx, event.who.platform, event.who.workspace_id)
            if known is None or rounds.by_thread(ctx, known, event.thread_ref) is None:
                return Reply()  # a thread that is not a round's: not ours to answer, nothing to store
        if event.who.claimed:
            team, member = self._claimed(ctx, event.who)
        else:
            team = teams.ensure_team(ctx, event.who, self.default_tz)
            member = teams.ensure_member(ctx, team, event.who)
        if isinstance(event, Command):
            reply = self._command(ctx, team, member, event)
            public = self.reply_is_public(event.name, event.args)
            return replace(reply, private=not public) if reply.messages and reply.private == public else reply
        if isinstance(event, Action):
            return self._action(ctx, team, member, event)
        if isinstance(event, FormSubmitted):
            return self._form(ctx, team, member, event)
        if isinstance(event, ThreadReply):
            return self._thread(ctx, team, member, event)
        if isinstance(event, DirectMessage):
            return self._direct(ctx, team, member, event)
        raise UserError("sensebot doesn't know what to do with that.")

    def _claimed(self, ctx: Ctx, who: Who) -> tuple[Team, Member]:
        """The team and member for a workspace id the person's side named (an old DM button): only an
        existing team that wasn't removed, and a member it already knows — never created, never restored."""
        team = teams.find_team(ctx, who.platform, who.workspace_id)
        if team is None or team.removed_at is not None:
            raise UserError(NOT_THERE)
        if teams.find_member(ctx, team, who.user_id) is None:
            raise UserError(NOT_YOURS)
        return team, teams.ensure_member(ctx, team, who)

    def _command(self, ctx: Ctx, team: Team, member: Member, cmd: Command) -> Reply:
        name, args = cmd.name.lower().strip(), tuple(cmd.args)
        if name in ADMIN_COMMANDS:
            if not self.is_admin(cmd.who):
                raise UserError(f"Only workspace admins can run {name}. Ask one of them, or see help.")
            return self._admin(ctx, team, cmd.who, name, args)
        if name in ("", "help"):
            return self.help(cmd.who)
        if name == "today":
            return self._today(ctx, team, member)
        if name == "answer":
            rnd = self._answerable(ctx, team)
            if args:
                return answers.submit(ctx, team, member, rnd, added=" ".join(args), source="command")
            return Reply(form=answers.form(ctx, team, rnd, member))
        if name in ("rate", "vote"):
            if len(args) == 1:
                return self._rate(ctx, team, member, args[0])
            answer_id, values = votes.parse_inline(args)
            return votes.cast(ctx, team, member, answer_id, values)
        if name == "results":
            return self._results(ctx, team)
        if name == "drill":
            return _in_dm(drills.start(ctx, team, member, args))
        if name == "streak":
            info = streaks.streak(ctx, team, member)
            nxt = next((m for m in streaks.MILESTONES if m > info.current), None)
            goal = f" Next milestone: {plural(nxt, 'day')}." if nxt else ""
            return Reply.note(f"🔥 {info.current}-day streak", f"Longest: {plural(info.longest, 'day')} · {plural(info.days, 'practice day')} in all.{goal}")
        if name == "leaderboard":
            return self._leaderboard(ctx, team, member, args)
        if name == "progress":
            return progress.report(ctx, team, member)
        if name == "reminders":
            return members.reminders(ctx, team, member, args)
        if name == "pairs":
            return pairs.command(ctx, team, member, args)
        if name == "export":
            return members.export(ctx, team, member)
        if name in ("forget-me", "forget"):
            return members.forget(ctx, team, member, confirmed=bool(args) and args[0].lower() in ("confirm", "yes"))
        return self.help(cmd.who, unknown=name)

    def _admin(self, ctx: Ctx, team: Team, who: Who, name: str, args: tuple[str, ...]) -> Reply:
        if name != "status":
            due.changed(ctx, team)  # any admin change can move the team's next step earlier
        if name == "setup":
            return Reply.note("Set up", schedule.change(ctx, team, lambda: teams.setup(ctx, team, who.user_id, args)))
        if name in ("pause", "resume"):
            return Reply.note("Paused" if name == "pause" else "Resumed", teams.pause(ctx, team, who.user_id, name == "pause"))
        if name == "skip":
            return Reply.note("Skipping a day", schedule.skip(ctx, team, who.user_id, args))
        if name == "unskip":
            return Reply.note("Practice is back on", schedule.unskip(ctx, team, who.user_id, args))
        if name == "set":
            return Reply.note("Setting changed", teams.set_option(ctx, team, who.user_id, args))
        return self._status(ctx, team)

    def _action(self, ctx: Ctx, team: Team, member: Member, act: Action) -> Reply:
        if act.action == "answer":
            rnd = rounds.find(ctx, team, parse_id(act.value)) if act.value else self._answerable(ctx, team)
            if rnd is None:
                raise UserError("That round doesn't exist in this team.")
            return Reply(form=answers.form(ctx, team, rnd, member))
        if act.action == "rate":
            return self._rate(ctx, team, member, act.value)
        if act.action == "pending_save":
            return answers.save_pending(ctx, team, member, parse_id(act.value))
        if act.action == "pending_drop":
            return answers.drop_pending(ctx, team, member, parse_id(act.value))
        if act.action == "calibrate":
            return Reply(form=calibration.form(ctx, member, act.value))
        if act.action == "calibrate_skip":
            member.calibrated_at = ctx.now()
            return Reply(form=votes.form(ctx, team, member, act.value))
        if act.action == "drill":
            return _in_dm(drills.start(ctx, team, member, tuple(act.value.split()) if act.value else ()))
        if act.action == "drill_step":
            return Reply(form=drills.step_form(ctx, team, member, act.value))
        if act.action == "drill_stop":
            return _in_dm(drills.stop(ctx, team, member, act.value or None))
        if act.action == "mock_rate":
            return Reply(form=pairs.rate_form(ctx, team, member, act.value))
        if act.action == "mock_missed":
            return pairs.missed(ctx, team, member, act.value)
        if act.action == "forget_confirm":
            if act.value != member.user_id:
                raise UserError("That button was for someone else.")
            return members.forget(ctx, team, member, confirmed=True)
        raise UserError(self.old_version())

    def _form(self, ctx: Ctx, team: Team, member: Member, f: FormSubmitted) -> Reply:
        if f.form == "answer":
            rnd = rounds.find(ctx, team, parse_id(f.meta.get("round_id", "")))
            if rnd is None:
                raise UserError("That round doesn't exist in this team.")
            return answers.submit(ctx, team, member, rnd, sections=dict(f.values), source="form", meta=f.meta)
        if f.form == "vote":
            return votes.cast(ctx, team, member, f.meta.get("answer_id", ""), f.values)
        if f.form == "mock_rate":
            return pairs.rate(ctx, team, member, f.meta, f.values, partial=f.partial)
        if f.form == "calibrate":
            return calibration.compare(ctx, member, f.meta, f.values)
        if f.form == "drill_step":
            step = f.meta.get("step", "")
            text = f.values.get(step) or f.values.get("answer") or ""
            return _in_dm(drills.submit_step(ctx, team, member, f.meta.get("drill_id", ""),
                                             "" if step == "answer" else step, text))
        raise UserError(self.old_version())

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
        if not deadlines.answers_open(ctx, rnd):
            return answers.late(ctx, team, member, rnd, t.text)  # at most one note per member and round
        answered = self._save_or_not(ctx, team, member, t.text)
        if answered is not None:
            return answered
        if chat.is_chat(t.text):
            return answers.confirm(ctx, team, member, rnd, t.text, "thread")
        return answers.submit(ctx, team, member, rnd, added=t.text, source="thread")

    def _direct(self, ctx: Ctx, team: Team, member: Member, d: DirectMessage) -> Reply:
        """A direct message: a reply to "Save this?", a command, a drill step, or text for today's case
        (the rule is `bot.chat`'s)."""
        answered = self._save_or_not(ctx, team, member, d.text)
        if answered is not None:
            return answered
        command = chat.as_command(d.text, frozenset(MEMBER_COMMANDS + ADMIN_COMMANDS), self.prefix)
        if command is not None:
            return self._command(ctx, team, member, Command(d.who, *command))
        drill = drills.active(ctx, team, member)
        if drill is not None:
            step = drills.STEPS[drill.step] if drill.kind == "case" else ""
            return drills.submit_step(ctx, team, member, str(drill.id), step, d.text)
        rnd = rounds.current(ctx, team, "answering")
        if rnd is None:
            raise UserError("Nothing is waiting for an answer — start a drill, or see help.")
        if chat.is_chat(d.text):
            return answers.confirm(ctx, team, member, rnd, d.text, "direct")
        return answers.submit(ctx, team, member, rnd, added=d.text, source="direct")

    def _save_or_not(self, ctx: Ctx, team: Team, member: Member, text: str) -> Reply | None:
        """`save` or `no` typed in answer to "Save this as your answer?" (where buttons can't be pressed)."""
        word = chat.reply_word(text)
        if word not in chat.YES and word not in chat.NO:
            return None
        pending = answers.pending_of(ctx, team, member)
        if pending is None:
            return None
        if word in chat.YES:
            return answers.save_pending(ctx, team, member, pending.id)
        return answers.drop_pending(ctx, team, member, pending.id)

    # ------------------------------------------------------------ views

    def help(self, who: Who, unknown: str | None = None) -> Reply:
        p = self.prefix
        lines = "\n".join(f"• {p}{c} — {d}" for c, d in HELP)
        sections = [Section("Commands", lines)]
        if self.is_admin(who):
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
        note = f"{deadlines.round_status(ctx, team, rnd)} " + ("You've answered." if mine else "You haven't answered.")
        case = Message(msg.title, msg.text, msg.sections, msg.buttons if deadlines.answers_open(ctx, rnd) else (),
                       footer=note)
        if mine is None:
            return Reply(messages=(case,))
        own = rounds.answer_message(ctx, team, mine, "you", with_rate=False)  # all of it, added text included
        return Reply(messages=(case, Message(f"Your answer (#{mine.id})", sections=own.sections, user_text=True)))

    def _results(self, ctx: Ctx, team: Team) -> Reply:
        """The last finished round's results; a round still open shows only counts, never who answered."""
        from bot import results
        done = rounds.latest_closed(ctx, team)
        live = rounds.current(ctx, team)
        messages = []
        if done is not None:
            res = results.compute(ctx, team, done, ctx.library.rubric)
            messages.append(rounds.results_message(ctx, team, done, ctx.library.prompt(done.prompt_id), res))
        if live is not None:
            messages.append(rounds.progress_message(ctx, team, live))
        if not messages:
            raise UserError("No rounds yet, so no results.")
        return Reply(messages=tuple(messages))

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
            sections.append(Section(f"Average weighted score (min {plural(team.min_votes, 'vote')})",
                                    "\n".join(f"{i}. {r.name} — {r.value:.2f} ({r.detail})"
                                              for i, r in zip(ranks([r.value for r in rows]), rows, strict=True))
                                    or "Nobody has enough votes yet."))
        if "score" not in words:
            rows = leaderboard.by_streak(ctx, team, period)
            sections.append(Section("Streaks", "\n".join(f"{i}. {r.name} — {plural(int(r.value), 'day')} ({r.detail})"
                                                         for i, r in zip(ranks([r.value for r in rows]), rows, strict=True)) or "No practice yet."))
        return Reply(messages=(Message(f"Leaderboard — {label}", sections=tuple(sections), user_text=True,
                                       footer="Hide yourself with: leaderboard hide"),))

    def _status(self, ctx: Ctx, team: Team) -> Reply:
        steps = day.upcoming(ctx, team)[:6]
        nxt = "\n".join(f"• {s.name} — {teams.when(s.due, team)} ({s.due:%Y-%m-%d %H:%M} UTC)" for s in steps) or "nothing scheduled"
        failed = outbox.failed_rows(ctx, team)
        fails = "\n".join(f"• {r.kind} to {r.target}: {r.error}" for r in failed) or "none"
        audit = "\n".join(f"• {a.at:%Y-%m-%d %H:%M} UTC {a.actor}: {a.action} {a.detail}"
                          for a in teams.recent_audit(ctx, team)) or "none"
        return Reply(messages=(Message("sensebot status", teams.describe(team), sections=(
            Section("Next steps", nxt), Section("Delivery problems", fails), Section("Recent admin actions", audit))),))


def _in_dm(reply: Reply) -> Reply:
    """A drill runs in the member's direct messages: it outlasts an ephemeral message, which a
    reload or another device drops (a 45-minute mock's buttons would vanish mid-drill)."""
    return replace(reply, direct=True)



def _refusal(exc: UserError) -> Reply:
    """A UserError as the person sees it: one sentence, and their unsaved text echoed back."""
    if not exc.echo:
        return Reply.note(str(exc))
    return Reply(messages=(Message(str(exc)), Message("Your text (not saved)", exc.echo, user_text=True)))
