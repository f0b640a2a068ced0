"""`sensebot console`: the whole practice loop in a terminal, for one local team.

Lines starting with `/` are commands (`/help`); anything else is text for your drill
step or your answer to today's case. Console-only commands move time: `/next` jumps to
the next scheduled step and runs it, `/wait 2h` lets time pass, `/as NAME` switches
person, `/press N` presses the Nth button of the last private reply (the calibration
before a first vote, a drill's Answer...). Time moves only when you say so, on the same
code path the scheduler uses. Admins are the person who started the console and those
named with `--admin`; the clock shows the team's timezone, also after `/setup` changes it.
"""
from __future__ import annotations

import getpass
import re
import shlex
import sys
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TextIO

from sqlmodel import select

from adapters.console.port import ConsolePort, clean, render_reply
from bot import day
from bot.clock import ManualClock, SystemClock
from bot.context import Ctx
from bot.events import Action, Command, DirectMessage, FormSubmitted, Who
from bot.messages import Button, Form, Reply
from bot.outbox import Dispatcher
from bot.practice import Practice
from bot.store.models import Team
from bot.teams import zone

CONSOLE_HELP = """Console only:
  /next [N]      jump to the next scheduled step (N steps) and run it
  /wait 90m|2h   let time pass, running whatever falls due
  /as NAME       act as another person (admins: you and anyone named with --admin)
  /press N       press the Nth button of the last private reply
  /quit          leave (everything is saved)"""
_WAIT = re.compile(r"^(\d+)\s*([mhd])$")


class Console:
    def __init__(self, practice: Practice, clock: ManualClock, *, user: str, out: TextIO,
                 read: Callable[[str], str], admins: Iterable[str] = ()):
        self.practice = practice
        self.clock = clock
        self.out = out
        self.read = read
        self.user = user
        self.admins = {user.lower(), *(a.lower() for a in admins)}
        self.buttons: list[Button] = []
        self.team_id, self.workspace, self.tz = self._team()
        self.port = ConsolePort(out, clock, self.tz)
        self.dispatcher = Dispatcher(practice.db, clock, {"console": self.port}, worker="console")

    def _team(self):
        def find(ctx: Ctx):
            team = ctx.session.exec(select(Team).where(Team.platform == "console").order_by(Team.id)).first()
            if team is None:
                team = Team(platform="console", workspace_id="local", channel_id="practice",
                            timezone=self.practice.default_tz, created_at=ctx.now())
                ctx.session.add(team)
                ctx.session.flush()
            return team.id, team.workspace_id, zone(team)
        return self.practice.with_ctx(find)

    def who(self) -> Who:
        return Who("console", self.workspace, self.user.lower(), self.user, is_admin=self.user.lower() in self.admins,
                   channel_id="practice")

    def say(self, text: str) -> None:
        if text:
            print(clean(text), file=self.out)

    def follow_zone(self) -> None:
        """Show times in the team's timezone as it is now (`setup` may have changed it)."""
        self.tz = self.practice.with_ctx(lambda ctx: zone(ctx.session.get(Team, self.team_id)))
        self.port.zone = self.tz

    def press(self, args: tuple[str, ...]) -> None:
        n = int(args[0]) if args and args[0].isdigit() else 0
        if not 1 <= n <= len(self.buttons):
            self.say("Usage: /press N, where N numbers a button of the last private reply"
                     + (f" (1 to {len(self.buttons)})." if self.buttons else " — there is none to press now."))
            return
        button = self.buttons[n - 1]
        self.show(self.practice.handle(Action(self.who(), button.action, button.value)))
        self.tick()

    def tick(self) -> None:
        for key, status in self.practice.run_due(self.team_id):
            if status != "done":
                self.say(f"(scheduler: {key} {status})")
        self.dispatcher.drain_all()

    def show(self, reply: Reply) -> None:
        self.say(render_reply(reply, self.user))
        self.buttons = [b for m in reply.messages for b in m.buttons]
        if self.buttons:
            self.say("  (" + ", ".join(f"/press {i} = {b.label}" for i, b in enumerate(self.buttons, 1)) + ")")
        if reply.attachment:
            with open(reply.attachment.filename, "wb") as fh:
                fh.write(reply.attachment.content)
            self.say(f"(saved {reply.attachment.filename})")
        if reply.form:
            self.fill(reply.form)

    def fill(self, form: Form) -> None:
        self.say(f"── {form.title} ── {form.intro}".rstrip())
        values: dict[str, str] = {}
        for f in form.fields:
            if f.kind == "choice":
                opts = "/".join(c.value for c in f.choices)
                default = f" (now {f.initial})" if f.initial else ""
                values[f.id] = self.read(f"{f.label} — {f.hint} [{opts}]{default}: ").strip() or f.initial
            else:
                self.say(f"{f.label}: {f.hint}" + (" (optional)" if f.optional else ""))
                if f.initial:
                    self.say(f"  now: {f.initial[:200]}  (empty line keeps it)")
                lines = []
                while True:
                    line = self.read("  > ")
                    if not line.strip():
                        break
                    lines.append(line)
                values[f.id] = "\n".join(lines) if lines else f.initial
        self.show(self.practice.handle(FormSubmitted(self.who(), form.id, values, dict(form.meta))))

    def next_steps(self):
        return self.practice.with_ctx(lambda ctx: day.upcoming(ctx, ctx.session.get(Team, self.team_id)))

    def line(self, text: str) -> bool:
        """Handle one line; False means quit."""
        text = text.strip()
        if not text:
            return True
        if not text.startswith("/"):
            self.show(self.practice.handle(DirectMessage(self.who(), text)))
            self.tick()
            return True
        try:
            parts = shlex.split(text[1:])
        except ValueError:
            parts = text[1:].split()
        name, args = (parts[0].lower(), tuple(parts[1:])) if parts else ("help", ())
        if name in ("quit", "exit"):
            return False
        if name == "as" and args:
            self.user = args[0]
            self.say(f"(you are now {self.user}{', an admin' if self.user.lower() in self.admins else ''})")
        elif name == "press":
            self.press(args)
        elif name == "next":
            n = int(args[0]) if args and args[0].isdigit() else 1
            for _ in range(n):
                steps = self.next_steps()
                if not steps:
                    self.say("(nothing scheduled — run /setup first)")
                    break
                self.clock.set(steps[0].due)
                self.say(f"(⏩ {steps[0].due.astimezone(self.tz):%a %d %b %H:%M %Z}: {steps[0].name})")
                self.tick()
        elif name == "wait":
            m = _WAIT.match(" ".join(args))
            if not m:
                self.say("Usage: /wait 90m, /wait 2h or /wait 1d")
            else:
                n, unit = int(m.group(1)), m.group(2)
                delta = timedelta(minutes=n) if unit == "m" else timedelta(hours=n) if unit == "h" else timedelta(days=n)
                end = self.clock.now() + delta
                for step in [s for s in self.next_steps() if s.due <= end]:
                    self.clock.set(step.due)
                    self.tick()
                self.clock.set(end)
                self.tick()
                self.say(f"(it is now {self.clock.now().astimezone(self.tz):%a %d %b %H:%M %Z})")
        else:
            reply = self.practice.handle(Command(self.who(), name, args))
            self.follow_zone()
            self.show(reply)
            if name in ("help", ""):
                self.say(CONSOLE_HELP)
            self.tick()
        return True


def run(practice: Practice, *, user: str | None = None, out: TextIO | None = None,
        read: Callable[[str], str] | None = None, admins: Iterable[str] = ()) -> int:
    out = out or sys.stdout
    clock = practice.clock if isinstance(practice.clock, ManualClock) else ManualClock(SystemClock().now())
    practice.clock = clock
    console = Console(practice, clock, user=user or getpass.getuser() or "you", out=out, read=read or input,
                      admins=admins)
    console.say(f"sensebot console — you are {console.user}, it is "
                f"{clock.now().astimezone(console.tz):%a %d %b %H:%M %Z}. Type /help; /quit to leave.")
    console.tick()
    while True:
        try:
            text = console.read("> ")
        except (EOFError, KeyboardInterrupt):
            console.say("")
            return 0
        if not console.line(text):
            return 0
