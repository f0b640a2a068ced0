"""Showing the core's `Reply` to the person who acted, where they acted.

A form opens as a modal with the interaction's trigger id — or replaces the "Loading…" modal
the listener opened at once (`views.update`), since a trigger id is only good for 3 seconds.
Private messages go to the person only (response_url, an ephemeral message, or a DM); a reply
the core marks `direct` (a drill, which lasts longer than an ephemeral message survives) goes
to the member's DM; a file goes to their DM. Long messages go out in parts (`render.posts`).
"""
from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from adapters.slack import render
from adapters.slack.directory import FAILURES, DmChannels, why
from adapters.slack.translate import Origin
from bot.events import Who
from bot.messages import Attachment, Form, Message, Reply

log = logging.getLogger(__name__)

POST = dict(unfurl_links=False, unfurl_media=False)
DIDNT_OPEN = Message("The form didn't open", "Slack took too long or refused it — press the button again.")


class Replier:
    """Shows a Reply: modals, messages (in parts), DMs, files."""

    def __init__(self, dms: DmChannels, timeout: int = 10):
        self.timeout = timeout
        self.dms = dms  # shared with SlackPort: one DM-channel cache per process

    def show(self, client: WebClient, who: Who, origin: Origin, reply: Reply, view_id: str = "") -> None:
        """`view_id`: the "Loading…" modal opened for this interaction, to be replaced by the answer."""
        messages = reply.messages
        if view_id:
            if reply.form is not None:
                self.update_form(client, who, origin, view_id, reply.form)
            elif messages:
                self._update(client, who, view_id, render.notice(messages))
                # what needs a button press (a calibration invitation) is also sent where it can be pressed
                messages = tuple(m for m in messages if m.buttons)
        elif reply.form is not None:
            self.open_form(client, who, origin, reply.form)
        if reply.direct and not origin.is_dm and messages:
            if self.direct(client, who, messages):
                if origin.channel_id or origin.response_url:  # say where it went, where they acted
                    self.say(client, who, origin, Message("Your drill is in your direct messages with sensebot."))
                messages = ()
        elif reply.direct:
            origin = Origin(channel_id=origin.channel_id, is_dm=True)  # post in the DM, not as an ephemeral
        for message in messages:
            self.say(client, who, origin, message, public=not reply.private)
        if reply.attachment is not None:
            self.upload(client, who, reply.attachment)

    # ---------------------------------------------------------------- modals

    def open_loading(self, client: WebClient, who: Who, trigger_id: str, title: str) -> str:
        """Open the placeholder modal now; its view id, or "" if Slack refused it."""
        try:
            resp = client.views_open(trigger_id=trigger_id, view=render.loading(title))
        except FAILURES as exc:
            log.warning("views.open for %s failed: %s", who.user_id, why(exc))
            return ""
        view = resp.get("view") if hasattr(resp, "get") else None
        return str(view.get("id") or "") if isinstance(view, dict) else ""

    def open_form(self, client: WebClient, who: Who, origin: Origin, form: Form) -> None:
        if not origin.trigger_id:
            self.say(client, who, origin, Message("Use the button", f"Open “{form.title}” with a button or a /sensebot command."))
            return
        try:
            client.views_open(trigger_id=origin.trigger_id, view=self._modal(origin, form))
        except FAILURES as exc:
            log.warning("views.open for %s failed: %s", who.user_id, why(exc))
            self.say(client, who, origin, DIDNT_OPEN)

    def update_form(self, client: WebClient, who: Who, origin: Origin, view_id: str, form: Form) -> None:
        if not self._update(client, who, view_id, self._modal(origin, form)):
            self.say(client, who, origin, DIDNT_OPEN)

    def _modal(self, origin: Origin, form: Form) -> dict:
        return render.modal(form, {"_channel": origin.channel_id, "_thread": origin.thread_ts})

    def _update(self, client: WebClient, who: Who, view_id: str, view: dict) -> bool:
        try:
            client.views_update(view_id=view_id, view=view)
            return True
        except FAILURES as exc:  # the member closed the placeholder, or Slack refused the view
            log.info("views.update for %s failed: %s", who.user_id, why(exc))
            return False

    # ---------------------------------------------------------------- messages

    def say(self, client: WebClient, who: Who, origin: Origin, message: Message, public: bool = False) -> None:
        """response_url if there is one; else the DM it came from, the channel (public) or an ephemeral; else a DM."""
        parts = render.posts(message)
        if origin.response_url and self._respond(origin.response_url, parts[0], public):
            for args in parts[1:]:  # the rest the same way (a response_url takes up to 5 answers)
                self._respond(origin.response_url, args, public)
            return
        thread = {"thread_ts": origin.thread_ts} if origin.thread_ts else {}
        try:
            if origin.channel_id and (origin.is_dm or public):
                for args in parts:
                    client.chat_postMessage(channel=origin.channel_id, **POST, **thread, **args)
                return
            if origin.channel_id:
                for args in parts:
                    client.chat_postEphemeral(channel=origin.channel_id, user=who.user_id, **thread, **args)
                return
        except FAILURES as exc:
            log.info("reply to %s in %s failed (%s); sending it as a DM", who.user_id, origin.channel_id, why(exc))
        self.direct(client, who, (message,))

    def direct(self, client: WebClient, who: Who, messages: tuple[Message, ...]) -> bool:
        """Post messages to the member's DM with the bot; False if it could not be opened or posted."""
        channel = self.dm_channel(client, who)
        if channel is None:
            return False
        try:
            for message in messages:
                for args in render.posts(message):
                    client.chat_postMessage(channel=channel, **POST, **args)
            return True
        except FAILURES as exc:
            log.warning("DM to %s failed: %s", who.user_id, why(exc))
            return False

    def _respond(self, url: str, args: dict, public: bool) -> bool:
        try:
            resp = WebhookClient(url, timeout=self.timeout).send(
                response_type="in_channel" if public else "ephemeral", replace_original=False, **POST, **args)
        except (*FAILURES, ValueError) as exc:
            log.info("response_url failed: %s", type(exc).__name__)
            return False
        if resp.status_code != 200:
            log.info("response_url answered HTTP %s", resp.status_code)
        return resp.status_code == 200

    def dm_channel(self, client: WebClient, who: Who) -> str | None:
        key = (who.workspace_id, who.user_id)
        channel = self.dms.get(key)
        if channel is None:
            try:
                channel = str(client.conversations_open(users=who.user_id)["channel"]["id"])
            except (*FAILURES, KeyError, TypeError) as exc:
                log.warning("conversations.open for %s failed: %s", who.user_id, why(exc))
                return None
            self.dms.put(key, channel)
        return channel

    def upload(self, client: WebClient, who: Who, attachment: Attachment) -> None:
        channel = self.dm_channel(client, who)
        if channel is None:
            return
        try:
            client.files_upload_v2(channel=channel, content=attachment.content, filename=attachment.filename,
                                   title=attachment.filename)
        except FAILURES as exc:
            log.warning("file upload to %s failed: %s", who.user_id, why(exc))
