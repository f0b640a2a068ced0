"""The bolt listeners: acknowledge, check, open the form's window, hand off the rest.

A slash command, button press or modal submission is acknowledged first (Slack's 3-second
deadline). A modal submission is checked inside the ack (`Practice.check_form`, fast and
without side effects): a fixable mistake keeps the modal open with the member's text and the
sentence under the field (`response_action: errors`). A press that will open a form opens a
"Loading…" modal at once, on its own executor (`views`), so thread chatter and other queued
work never stand between a press and its modal.

Everything else is the `Pipeline` (`pipeline.py`), handed off through a `Handoff`: to worker
processes (`workers.py`), so that the core's CPU never slows the process that acks, or to this
process (a `Pipeline` here: `SLACK_WORKERS=0`, and the tests). No practice rule lives here.
"""
from __future__ import annotations

import logging
import re
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from slack_bolt import App as BoltApp
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

from adapters.slack import render, translate
from adapters.slack.directory import DmChannels, Recent
from adapters.slack.oauth import oauth_settings
from adapters.slack.pipeline import Handoff, Pipeline, translated
from adapters.slack.port import api_url
from adapters.slack.replier import Replier
from adapters.slack.translate import AppRemoved
from bot.app import App
from bot.config import Settings
from bot.events import FormSubmitted
from bot.practice import Practice

log = logging.getLogger(__name__)

# views.open only, never behind other work. Each thread waits a round trip to Slack, and presses
# arrive as fast as they are acked (a thousand a second), not as fast as modals open: at a 150 ms round
# trip, 32 threads opened 200 a second and a burst of 300 presses queued for 1.5 s; 128 open 800.
VIEW_THREADS = 128


class Listeners:
    """The bolt listeners: ack (checking a form inside the ack), open the form's window, hand off."""

    def __init__(self, practice: Practice, installation_store: InstallationStore | None, handoff: Handoff, *,
                 views: Executor | None = None, replier: Replier | None = None):
        self.practice = practice
        self.handoff = handoff
        self.views = views or ThreadPoolExecutor(max_workers=VIEW_THREADS, thread_name_prefix="slack-views")
        self.replier = replier or Replier(DmChannels())
        self.installation_store = installation_store
        self.events_seen = Recent()  # event ids handed off (Slack delivers an event again when it's unsure)

    def acked(self, ack, body, client) -> None:
        """A slash command, button press or modal submission: check a submission inside the ack,
        ack, open the placeholder modal if the press opens a form, then hand off the work (Slack
        wants acks in 3 s; the reply can follow through response_url for 30 minutes)."""
        event, origin = translated(body)
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
        self.handoff.send("interaction", body, client, opening)

    def message(self, body, client, request) -> None:
        retry = (request.headers.get("x-slack-retry-num") or [""])[0]
        if retry:
            log.info("Slack retry %s of event %s", retry, body.get("event_id"))
        event_id = body.get("event_id")
        if event_id and not self.events_seen.add(event_id):
            return  # Slack delivered this event again (the core also dedupes thread replies itself)
        self.handoff.send("event", body, client)

    def home(self, body, client) -> None:
        self.handoff.send("home", body, client)

    def removed(self, body) -> None:
        gone, _ = translated(body)
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
                   token_verification: bool = True, handoff: Handoff | None = None) -> BoltApp:
    """The bolt App with sensebot's listeners (the test seam: `bolt.dispatch(BoltRequest(...))`).
    `handoff`: where the work after the ack goes; by default a `Pipeline` in this process."""
    oauth = oauth_settings(app, settings)
    # single workspace: the token rides on the client (bolt takes it from there); OAuth: per-team tokens
    token = settings.slack_bot_token if oauth is None and settings.slack_bot_token else None
    client = WebClient(token=token, base_url=api_url(settings.slack_api_url), timeout=10)
    kwargs: dict[str, Any] = dict(
        signing_secret=settings.slack_signing_secret or "", client=client, token_verification_enabled=token_verification,
        listener_executor=listener_executor or ThreadPoolExecutor(max_workers=10, thread_name_prefix="slack"),
        raise_error_for_unhandled_request=False, name="sensebot",
        # Listeners run in the request's own thread and only ack and hand off the work (`Handoff`):
        # no hand-off to a listener thread and no polling for the ack before the answer goes out.
        process_before_response=True,
    )
    if oauth is not None:
        kwargs.update(oauth_settings=oauth, installation_store_bot_only=True)
    bolt = BoltApp(**kwargs)
    # With injected executors (the tests' inline one) the work runs on them too, in order.
    dms = dms if dms is not None else DmChannels()
    if handoff is None:
        handoff = Pipeline(app.practice, dms=dms, work=listener_executor)
    on = Listeners(app.practice, bolt.installation_store, handoff, views=view_executor or listener_executor,
                   replier=Replier(dms))
    bolt.command(re.compile(r".*"))(on.acked)
    bolt.action(re.compile(r".*"))(on.acked)
    bolt.view_submission(re.compile(r".*"))(on.acked)
    bolt.event("message")(on.message)
    bolt.event("app_home_opened")(on.home)
    bolt.event("app_uninstalled")(on.removed)
    bolt.event("tokens_revoked")(on.removed)
    bolt.error(on.error)
    return bolt
