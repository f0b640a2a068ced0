"""`SlackPort`: the outbox delivers through this `ChatPort` (chat.postMessage, conversations.open).

The bot token of a workspace is `SLACK_BOT_TOKEN` (one workspace), or the token its OAuth
install stored in the installation store. Slack's answers become `DeliveryError`s the outbox
understands: a 429 carries Retry-After, errors no retry can fix are permanent, 5xx and network
faults are transient. The WebClient has no retry handlers of its own — the outbox retries, with
the delay Slack asked for, and never posts a message twice.

`buckets` names Slack's documented posting limits for the outbox's `Pacer`
(https://docs.slack.dev/apis/web-api/rate-limits): chat.postMessage about 1 message per second
per channel and a workspace-wide limit Slack doesn't publish ("several hundred per minute": we
use 300), and conversations.open (Tier 3, 50+ per minute) for a direct message. `rate_scale`
multiplies every rate: 1 for Slack, more for a benchmark against a time-compressed fake.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store import InstallationStore

from adapters.slack import render
from bot.messages import Message
from bot.pacing import Bucket
from bot.ports import DeliveryError

if TYPE_CHECKING:
    from adapters.slack.directory import DmChannels

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"

# Errors that will be the same on every retry: fail the row at once (it shows in `status`).
PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive", "token_revoked",
    "token_expired", "missing_scope", "user_not_found", "cannot_dm_bot", "not_authed", "no_permission",
    "restricted_action", "team_access_not_granted", "ekm_access_denied", "user_disabled", "channel_is_archived",
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
    "invalid_arguments", "messages_tab_disabled", "user_is_bot", "app_uninstalled", "org_login_required",
    # the message itself is refused: block text past Slack's budget (bolt-js #2509, #2867), a bad field
    "msg_blocks_too_long", "invalid_attachments", "too_many_blocks", "invalid_metadata_format",
    "invalid_metadata_schema", "metadata_too_large", "duplicate_message_not_found", "channel_type_not_supported",
})
RATE_LIMITED = "ratelimited"

POSTS_PER_CHANNEL = 1.0  # chat.postMessage, per second per channel
POSTS_PER_WORKSPACE = 300 / 60  # chat.postMessage, per second per workspace
OPENS_PER_WORKSPACE = 50 / 60  # conversations.open (Tier 3), per second per workspace


def api_url(url: str | None) -> str:
    """SLACK_API_URL (or Slack's own), ending with '/' as WebClient needs."""
    url = (url or DEFAULT_API_URL).strip()
    return url if url.endswith("/") else url + "/"


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A response header, case-insensitively (urllib keeps the server's spelling)."""
    for k, v in (headers or {}).items():
        if k.lower() == name.lower():
            return str(v[0] if isinstance(v, (list, tuple)) and v else v)
    return None


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    raw = header(headers, "Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def delivery_error(exc: Exception, method: str = "") -> DeliveryError:
    """A Slack or network failure as a DeliveryError (never with a token in it)."""
    where = f"{method}: " if method else ""
    if isinstance(exc, SlackApiError):
        resp = exc.response
        status = getattr(resp, "status_code", 0) or 0
        data = resp.data if isinstance(getattr(resp, "data", None), dict) else {}
        error = str(data.get("error") or f"http_{status}")
        if status == 429 or error == RATE_LIMITED:
            return DeliveryError(f"{where}{RATE_LIMITED}", retry_after=retry_after(getattr(resp, "headers", None)))
        if status >= 500:
            return DeliveryError(f"{where}HTTP {status} {error}"[:200])
        return DeliveryError(f"{where}{error}"[:200], permanent=error in PERMANENT)
    if isinstance(exc, DeliveryError):
        return exc
    # SlackRequestError, URLError, timeouts, resets: the network, not the message — retry
    return DeliveryError(f"{where}{type(exc).__name__}")


class SlackPort:
    """Delivers outbound messages to Slack; returns the message ts as the platform reference."""

    platform = "slack"

    def __init__(self, *, token: str = "", installation_store: InstallationStore | None = None,
                 base_url: str | None = None, timeout: int = 10, rate_scale: float = 1.0,
                 dms: DmChannels | None = None):
        self.token = token
        self.rate_scale = rate_scale
        self.installation_store = installation_store
        self.base_url = api_url(base_url)
        self.timeout = timeout
        self._clients: dict[str, WebClient] = {}
        if dms is None:
            from adapters.slack.directory import DmChannels
            dms = DmChannels()
        self._dms = dms  # (workspace, user) -> DM channel id, shared with the replier
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ tokens and clients

    def token_for(self, workspace_id: str) -> str:
        """The bot token for a workspace: its OAuth installation's (with OAuth on, a workspace
        without one has uninstalled sensebot: SLACK_BOT_TOKEN is never its fallback), else SLACK_BOT_TOKEN."""
        if self.installation_store is not None:
            try:
                bot = self.installation_store.find_bot(enterprise_id=None, team_id=workspace_id)
            except Exception as exc:  # the store is our database: retry later
                raise DeliveryError(f"installation store unavailable ({type(exc).__name__})") from None
            if bot is not None and bot.bot_token:
                return bot.bot_token
        elif self.token:
            return self.token
        raise DeliveryError(f"sensebot is not installed in Slack workspace {workspace_id}", permanent=True)

    def client(self, workspace_id: str) -> WebClient:
        token = self.token_for(workspace_id)
        with self._lock:
            client = self._clients.get(token)
            if client is None:
                # retry_handlers=[]: no hidden retries (429s included); the outbox decides when to retry
                client = WebClient(token=token, base_url=self.base_url, timeout=self.timeout, retry_handlers=[])
                self._clients[token] = client
            return client

    def _call(self, method: str, fn: Callable[..., Any], **kwargs) -> Any:
        try:
            return fn(**kwargs)
        except (SlackClientError, OSError, ValueError) as exc:  # SlackApiError included
            raise delivery_error(exc, method) from None

    # ------------------------------------------------------------------ ChatPort

    def buckets(self, kind: str, workspace_id: str, target: str) -> list[Bucket]:
        """The rate limits a message spends: its channel's (a user's DM for a direct message), the
        workspace's chat.postMessage budget, and for a direct message one conversations.open."""
        s = self.rate_scale
        out = [Bucket(f"slack:{workspace_id}:{kind}:{target}", rate=POSTS_PER_CHANNEL * s),
               Bucket(f"slack:{workspace_id}:chat.postMessage", rate=POSTS_PER_WORKSPACE * s)]
        if kind == "direct" and self._dms.get((workspace_id, target)) is None:
            out.append(Bucket(f"slack:{workspace_id}:conversations.open", rate=OPENS_PER_WORKSPACE * s))
        return out

    def post(self, workspace_id: str, channel_id: str, message: Message, thread_ref: str | None = None) -> str:
        """Post a message — in parts when it passes Slack's block-text budget; the first part (with
        the buttons) is the message's reference. A later part that fails is logged, not retried:
        a retry would post the first part twice."""
        client = self.client(workspace_id)
        first_ts = ""
        for i, args in enumerate(render.posts(message)):
            kwargs: dict[str, Any] = dict(channel=channel_id, **args, unfurl_links=False, unfurl_media=False)
            if thread_ref:
                kwargs["thread_ts"] = thread_ref
            try:
                resp = self._call("chat.postMessage", client.chat_postMessage, **kwargs)
            except DeliveryError as exc:
                if i == 0:
                    raise
                log.warning("part %d of a message to %s failed: %s", i + 1, channel_id, exc.reason)
                break
            ts = resp.get("ts") if hasattr(resp, "get") else None
            if not ts:
                if i == 0:
                    raise DeliveryError("chat.postMessage: answer without ts")
                break
            first_ts = first_ts or str(ts)
        ts = first_ts
        if message.chart is not None:
            self._upload_chart(client, channel_id, message, thread_ref)
        return str(ts)

    def _upload_chart(self, client: WebClient, channel_id: str, message: Message, thread_ref: str | None) -> None:
        """The message is already posted, so a failed upload is logged, not retried: a retry would
        post the message twice, and the message carries the chart's description anyway."""
        chart = message.chart
        extra = {"thread_ts": thread_ref} if thread_ref else {}
        try:
            client.files_upload_v2(channel=channel_id, content=chart.png, filename=chart.filename,
                                   title=chart.alt[:250] or chart.filename, **extra)
        except (SlackClientError, OSError, ValueError) as exc:
            log.warning("chart upload to %s failed: %s", channel_id, delivery_error(exc, "files.upload"))

    def direct(self, workspace_id: str, user_id: str, message: Message) -> str:
        """Post to the member's DM, opening it once: conversations.open is a tight limit (Tier 3), and
        a DM channel's id does not change, so daily reminders to the same people open nothing."""
        channel = self._dms.get((workspace_id, user_id))
        if channel is None:
            client = self.client(workspace_id)
            resp = self._call("conversations.open", client.conversations_open, users=user_id)
            channel = (resp.get("channel") or {}).get("id") if hasattr(resp, "get") else None
            if not channel:
                raise DeliveryError("conversations.open: answer without a channel")
            self._dms.put((workspace_id, user_id), channel)
        return self.post(workspace_id, channel, message)
