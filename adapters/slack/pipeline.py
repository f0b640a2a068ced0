"""The work after Slack's acknowledgement (`Pipeline`), and where it runs (`Handoff`).

For each acknowledged payload: who acted (users.info), the core's transaction, then the reply —
the form filling the modal the listener opened, messages. It never waits on Slack while holding
the core: users.info on the network executor (`net`), the core's transaction on the few `work`
threads (it is CPU- and database-bound), then the reply on `net` again. It runs in worker processes
(`workers.py`), or in the process that acked (a `Pipeline` is itself a `Handoff`: `SLACK_WORKERS=0`,
and the tests).
No practice rule lives here.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Protocol

from slack_sdk import WebClient

from adapters.slack import render, translate
from adapters.slack.directory import FAILURES, Directory, DmChannels, why
from adapters.slack.replier import Replier
from adapters.slack.translate import HomeOpened, Malformed, Origin
from bot.events import Command, ThreadReply
from bot.practice import ADMIN_COMMANDS, Practice

log = logging.getLogger(__name__)

WORK_THREADS = 2  # the core is CPU- and database-bound under the GIL: more threads only slow the acks
# users.info and replies: each mostly waits on a round trip to Slack, so enough of them that 50
# interactions in flight (two calls each) don't queue behind each other at a 150 ms round trip
NET_THREADS = 64


def translated(body: dict) -> tuple[Any, Origin]:
    """The core's event and where it came from; (None, Origin()) for a payload we can't read."""
    try:
        return translate.payload(body), translate.origin(body)
    except Malformed as exc:
        log.info("ignored a malformed Slack %s payload: %s", translate.kind(body) or "unknown", exc)
        return None, Origin()


class Pipeline:
    """The work after the ack: who acted (users.info), the core's transaction, the reply."""

    def __init__(self, practice: Practice, *, dms: DmChannels | None = None, work: Executor | None = None,
                 net: Executor | None = None):
        self.practice = practice
        self.work = work or ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="slack-work")
        self.net = net or (work if work is not None else
                           ThreadPoolExecutor(max_workers=NET_THREADS, thread_name_prefix="slack-net"))
        self.directory = Directory()
        self.replier = Replier(dms if dms is not None else DmChannels())
        self._busy = 0  # payloads taken and not yet finished (a stopping worker waits for 0)
        self._idle = threading.Condition()

    def send(self, kind: str, body: dict, client: WebClient, opening: Future | None = None) -> None:
        """Start the work for one acknowledged payload: "home" (App Home opened) or anything else."""
        with self._idle:
            self._busy += 1
        if kind == "home":
            self._next(self.work, "home", self._home, body, client)
        else:
            self._next(self.net, translate.kind(body) or kind, self._fetch, body, client, opening)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every payload taken has been worked through; False if `timeout` ran out first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def _next(self, executor: Executor, stage: str, fn: Any, *args: Any) -> None:
        executor.submit(self._guarded, stage, fn, *args)

    def _guarded(self, stage: str, fn: Any, *args: Any) -> None:
        """Run one stage on a worker thread (which has nobody to tell of a failure but the log); a
        stage returns True when it handed the payload on to the next, else the payload is done."""
        handed_on = False
        try:
            handed_on = bool(fn(*args))
        except Exception:  # noqa: BLE001 - a worker thread has nobody else to tell
            log.exception("Slack: the %s stage failed after the ack", stage)
        finally:
            if not handed_on:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _fetch(self, body: dict, client: WebClient, opening: Future | None) -> bool:
        """Stage 1 (net): who acted, from users.info; then queue the core's part."""
        event, origin = translated(body)
        if event is None:
            return False
        if isinstance(event, ThreadReply) and not self.practice.is_round_thread(event.who.platform, event.who.workspace_id, event.thread_ref):
            return False  # a thread that isn't sensebot's: no users.info, no member, nothing stored
        if isinstance(event, Command) and event.name.lower() in ADMIN_COMMANDS:
            who = self.directory.with_admin(client, event.who)
        else:
            who = self.directory.named(client, event.who)
        self._next(self.work, "core", self._core, client, replace(event, who=who), origin, opening)
        return True

    def _core(self, client: WebClient, event: Any, origin: Origin, opening: Future | None) -> bool:
        """Stage 2 (work): the core's transaction; then queue the reply."""
        reply = self.practice.handle(event)
        self._next(self.net, "reply", self._show, client, event.who, origin, reply, opening)
        return True

    def _show(self, client: WebClient, who: Any, origin: Origin, reply: Any, opening: Future | None) -> None:
        """Stage 3 (net): show the reply, in the placeholder modal if one was opened."""
        view_id = opening.result() if opening is not None else ""
        self.replier.show(client, who, origin, reply, view_id=view_id)

    def _home(self, body, client) -> None:
        opened, _ = translated(body)
        if not isinstance(opened, HomeOpened):
            return
        who = self.directory.named(client, opened.who)
        try:
            client.views_publish(user_id=who.user_id, view=render.home(self.practice.home(who)))
        except FAILURES as exc:
            log.warning("views.publish for %s failed: %s", who.user_id, why(exc))


class Handoff(Protocol):
    """Where acknowledged payloads go to be worked on: a `Pipeline` in this process, or the worker
    processes (`workers.WorkerPool`)."""

    def send(self, kind: str, body: dict, client: WebClient, opening: Future | None = None) -> None: ...
