"""The bolt listeners: acknowledge, translate, call the core, show the reply.

A slash command, button press or modal submission is acknowledged first (Slack's 3-second
deadline). A modal submission is checked inside the ack (`Practice.check_form`, fast and
without side effects): a fixable mistake keeps the modal open with the member's text and the
sentence under the field (`response_action: errors`). A press that will open a form opens a
"Loading…" modal at once, on its own executor (`views`), so thread chatter and other queued
work never stand between a press and its modal. The rest is a pipeline, so that waiting on
Slack never holds up the core: users.info on the network executor (`net`), the core's
transaction on the few `work` threads (it is CPU- and database-bound), then the reply — the
form filling the modal, messages — on `net` again. No practice rule lives here.
"""
from __future__ import annotations

import logging
import re
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from slack_bolt import App as BoltApp
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

from adapters.slack import render, translate
from adapters.slack.directory import FAILURES, Directory, DmChannels, Recent, why
from adapters.slack.oauth import oauth_settings
from adapters.slack.port import api_url
from adapters.slack.replier import Replier
from adapters.slack.translate import AppRemoved, HomeOpened, Malformed, Origin
from bot.app import App
from bot.config import Settings
from bot.events import Command, DirectMessage, FormSubmitted, ThreadReply
from bot.practice import ADMIN_COMMANDS, Practice

log = logging.getLogger(__name__)

WORK_THREADS = 2  # the core is CPU- and database-bound under the GIL: more threads only slow the acks
NET_THREADS = 16  # users.info and replies: waits on Slack, not the CPU
# views.open only: each thread mostly waits on the network (a round trip to Slack), so enough of them
# to open 50 presses in flight well within a second at a 150 ms round trip; never behind the work queue
VIEW_THREADS = 32


class Listeners:
    """The bolt listeners: ack, translate, call the core, show the reply."""

    def __init__(self, practice: Practice, installation_store: InstallationStore | None, *,
                 dms: DmChannels | None = None, work: Executor | None = None, views: Executor | None = None,
                 net: Executor | None = None):
        self.practice = practice
        self.work = work or ThreadPoolExecutor(max_workers=WORK_THREADS, thread_name_prefix="slack-work")
        self.views = views or ThreadPoolExecutor(max_workers=VIEW_THREADS, thread_name_prefix="slack-views")
        self.net = net or (work if work is not None else
                           ThreadPoolExecutor(max_workers=NET_THREADS, thread_name_prefix="slack-net"))
        self.installation_store = installation_store
        self.directory = Directory()
        self.replier = Replier(dms if dms is not None else DmChannels())
        self.dms_seen = Recent()  # event ids of DMs handled (the core dedupes thread replies itself)

    def _translate(self, body: dict) -> tuple[Any, Origin]:
        try:
            return translate.payload(body), translate.origin(body)
        except Malformed as exc:
            log.info("ignored a malformed Slack %s payload: %s", translate.kind(body) or "unknown", exc)
            return None, Origin()

    def _fetch(self, body: dict, client: WebClient, opening: Future | None = None) -> None:
        """Stage 1 (net): who acted, from users.info; then queue the core's part."""
        event, origin = self._translate(body)
        if event is None:
            return
        event_id = body.get("event_id")
        if isinstance(event, DirectMessage) and event_id and not self.dms_seen.add(event_id):
            return  # Slack delivered this DM again
        if isinstance(event, ThreadReply) and not self.practice.is_round_thread(event.who.platform, event.who.workspace_id, event.thread_ref):
            return  # a thread that isn't sensebot's: no users.info, no member, nothing stored
        if isinstance(event, Command) and event.name.lower() in ADMIN_COMMANDS:
            who = self.directory.with_admin(client, event.who)
        else:
            who = self.directory.named(client, event.who)
        self.work.submit(self._guarded, "core", self._core, client, replace(event, who=who), origin, opening)

    def _core(self, client: WebClient, event: Any, origin: Origin, opening: Future | None) -> None:
        """Stage 2 (work): the core's transaction; then queue the reply."""
        reply = self.practice.handle(event)
        self.net.submit(self._guarded, "reply", self._show, client, event.who, origin, reply, opening)

    def _show(self, client: WebClient, who: Any, origin: Origin, reply: Any, opening: Future | None) -> None:
        """Stage 3 (net): show the reply, in the placeholder modal if one was opened."""
        view_id = opening.result() if opening is not None else ""
        self.replier.show(client, who, origin, reply, view_id=view_id)

    def _guarded(self, stage: str, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # noqa: BLE001 - a worker thread has nobody else to tell
            log.exception("Slack: the %s stage failed after the ack", stage)

    def acked(self, ack, body, client) -> None:
        """A slash command, button press or modal submission: check a submission inside the ack,
        ack, open the placeholder modal if the press opens a form, then queue the work (Slack
        wants acks in 3 s; the reply can follow through response_url for 30 minutes)."""
        event, origin = self._translate(body)
        if isinstance(event, FormSubmitted):
            errors = self.practice.check_form(event)
            if errors:
                ack(response_action="errors", errors=render.field_errors(translate.view_of(body), errors))
                return
        ack()
        opening = None
        title = self.practice.form_title(event) if event is not None else None
        if title is not None and origin.trigger_id:
            opening = self.views.submit(self.replier.open_loading, client, event.who, origin.trigger_id, title)
        self.net.submit(self._guarded, translate.kind(body) or "request", self._fetch, body, client, opening)

    def message(self, body, client, request) -> None:
        retry = (request.headers.get("x-slack-retry-num") or [""])[0]
        if retry:
            log.info("Slack retry %s of event %s", retry, body.get("event_id"))
        self.net.submit(self._guarded, translate.kind(body) or "event", self._fetch, body, client, None)

    def home(self, body, client) -> None:
        self.work.submit(self._guarded, "home", self._home, body, client)

    def _home(self, body, client) -> None:
        opened, _ = self._translate(body)
        if not isinstance(opened, HomeOpened):
            return
        who = self.directory.named(client, opened.who)
        try:
            client.views_publish(user_id=who.user_id, view=render.home(self.practice.home(who)))
        except FAILURES as exc:
            log.warning("views.publish for %s failed: %s", who.user_id, why(exc))

    def removed(self, body) -> None:
        gone, _ = self._translate(body)
        if not isinstance(gone, AppRemoved):
            return
        log.info("Slack workspace %s: %s", gone.workspace_id, gone.reason)
        self.practice.team_removed("slack", gone.workspace_id)
        if self.installation_store is not None:
            enterprise = gone.enterprise_id or None
            if gone.reason == "app_uninstalled":
                self.installation_store.delete_all(enterprise_id=enterprise, team_id=gone.workspace_id)
            else:
                self.installation_store.delete_bot(enterprise_id=enterprise, team_id=gone.workspace_id)

    def error(self, error, body) -> None:
        log.error("Slack %s listener failed: %s", translate.kind(body) if isinstance(body, dict) else "?",
                  type(error).__name__, exc_info=error)


def build_bolt_app(app: App, settings: Settings, *, dms: DmChannels | None = None,
                   listener_executor: Executor | None = None, view_executor: Executor | None = None,
                   token_verification: bool = True) -> BoltApp:
    """The bolt App with sensebot's listeners (the test seam: `bolt.dispatch(BoltRequest(...))`)."""
    oauth = oauth_settings(app, settings)
    # single workspace: the token rides on the client (bolt takes it from there); OAuth: per-team tokens
    token = settings.slack_bot_token if oauth is None and settings.slack_bot_token else None
    client = WebClient(token=token, base_url=api_url(settings.slack_api_url), timeout=10)
    kwargs: dict[str, Any] = dict(
        signing_secret=settings.slack_signing_secret or "", client=client, token_verification_enabled=token_verification,
        listener_executor=listener_executor or ThreadPoolExecutor(max_workers=10, thread_name_prefix="slack"),
        raise_error_for_unhandled_request=False, name="sensebot",
        # Listeners run in the request's own thread and only ack and queue the work (`Listeners.work`):
        # no hand-off to a listener thread and no polling for the ack before the answer goes out.
        process_before_response=True,
    )
    if oauth is not None:
        kwargs.update(oauth_settings=oauth, installation_store_bot_only=True)
    bolt = BoltApp(**kwargs)
    # With injected executors (the tests' inline one) the work runs on them too, in order.
    on = Listeners(app.practice, bolt.installation_store, dms=dms, work=listener_executor,
                   views=view_executor or listener_executor)
    bolt.command(re.compile(r".*"))(on.acked)
    bolt.action(re.compile(r".*"))(on.acked)
    bolt.view_submission(re.compile(r".*"))(on.acked)
    bolt.event("message")(on.message)
    bolt.event("app_home_opened")(on.home)
    bolt.event("app_uninstalled")(on.removed)
    bolt.event("tokens_revoked")(on.removed)
    bolt.error(on.error)
    return bolt
