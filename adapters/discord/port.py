"""`DiscordPort`: the ChatPort the outbox dispatcher delivers through.

`post` and `direct` are called from the dispatcher's threads; the REST calls run on the
client's event loop (`asyncio.run_coroutine_threadsafe`) and the caller waits with a timeout.
References: "<channel_id>:<message_id>" for a channel post, "<thread_id>:<message_id>" for a
reply in a round's thread, "<dm_channel_id>:<message_id>" for a direct message.

Errors become `DeliveryError`: 429 -> retry after what Discord said; 401/403 (Missing Access,
Missing Permissions, cannot DM this user), 404 (Unknown Channel) and other 4xx -> permanent;
5xx, timeouts and network faults -> transient.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import TYPE_CHECKING

import aiohttp
import discord

from adapters.discord import render, translate
from bot.messages import Message
from bot.pacing import Bucket
from bot.ports import Delivered, DeliveryError

if TYPE_CHECKING:
    from adapters.discord.client import DiscordRuntime

THREAD_NAME = "Steps, answers and votes"
THREAD_ARCHIVE_MINUTES = 1440
THREAD_EXISTS = 160004  # "A thread has already been created for this message"

HINTS = {
    10003: "Unknown Channel — the channel was deleted or sensebot can't see it; an admin runs /sensebot setup with another channel",
    10008: "Unknown Message — the round's message was deleted",
    10013: "Unknown User",
    50001: "Missing Access — add sensebot to the channel (View Channel)",
    50013: "Missing Permissions — sensebot needs Send Messages, Send Messages in Threads, Create Public Threads, "
           "Embed Links and Attach Files in that channel",
    50007: "Cannot send messages to this user — they don't accept direct messages from server members",
    50083: "Thread is archived or locked",
}


def _retry_after(exc: discord.HTTPException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None) or {}
    for name in ("Retry-After", "X-RateLimit-Reset-After"):
        try:
            return float(headers.get(name))
        except (TypeError, ValueError):
            continue
    return None


def delivery_error(exc: BaseException) -> DeliveryError:
    """Map what discord.py raised to a DeliveryError the outbox understands."""
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, discord.RateLimited):
        return DeliveryError(f"discord 429: rate limited, retry in {exc.retry_after:.1f}s", retry_after=exc.retry_after)
    if isinstance(exc, discord.HTTPException):
        status, code = exc.status, exc.code
        hint = HINTS.get(code) or (exc.text or "").strip()[:200]
        reason = f"discord {status}" + (f" ({code})" if code else "") + (f": {hint}" if hint else "")
        if status == 429:
            return DeliveryError(reason, retry_after=_retry_after(exc))
        if status >= 500:
            return DeliveryError(reason)
        return DeliveryError(reason, permanent=True)  # 400, 401, 403, 404...: sending again won't help
    if isinstance(exc, ValueError):
        return DeliveryError(str(exc), permanent=True)
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError, concurrent.futures.TimeoutError)):
        return DeliveryError(f"network: {type(exc).__name__}")
    return DeliveryError(f"{type(exc).__name__}: {exc}"[:300])


def _user_id(target: str) -> int | None:
    try:
        return int(target)
    except ValueError:
        return None


class DiscordPort:
    platform = "discord"

    def __init__(self, runtime: DiscordRuntime, timeout: float = 35.0, connect_timeout: float = 10.0):
        self.runtime = runtime
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._threads: dict[int, int] = {}  # thread id -> parent channel id, for threads known to exist
        self._dms: dict[int, int] = {}  # user id -> DM channel id

    # ---------------------------------------------------------- ChatPort

    def post(self, workspace_id: str, channel_id: str, message: Message, thread_ref: str | None = None, *,
             resume: Delivered | None = None) -> str:
        progress = Progress(resume)
        return self._run(lambda: self._post(workspace_id, channel_id, message, thread_ref, progress), progress)

    def direct(self, workspace_id: str, user_id: str, message: Message, *, resume: Delivered | None = None) -> str:
        progress = Progress(resume)
        return self._run(lambda: self._direct(workspace_id, user_id, message, progress), progress)

    def buckets(self, kind: str, workspace_id: str, target: str) -> list[Bucket]:
        """Discord's documented budget: about 5 messages per 5 s per channel, 50 requests per second per bot
        (45 here, for the interactions the same bot answers meanwhile). A first DM to someone is two
        requests — open the DM channel, then post — so it takes two global tokens."""
        requests = 2.0 if kind == "direct" and _user_id(target) not in self._dms else 1.0
        return [Bucket(f"discord:{kind}:{target}", rate=1.0, burst=5),
                Bucket("discord:global", rate=45.0, burst=45, cost=requests)]

    # ---------------------------------------------------------- plumbing

    def _run(self, make_coro, progress: Progress | None = None):
        rt = self.runtime
        if not rt.logged_in.wait(self.connect_timeout) or rt.loop is None or rt.loop.is_closed():
            raise DeliveryError("the Discord client is not connected yet")
        if threading.get_ident() == rt.loop_thread_id:
            raise RuntimeError("DiscordPort.post/direct block; call them from another thread (the outbox does)")
        future = asyncio.run_coroutine_threadsafe(make_coro(), rt.loop)
        try:
            return future.result(self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            error = DeliveryError(f"Discord did not answer within {self.timeout:.0f}s")
        except concurrent.futures.CancelledError:
            error = DeliveryError("the Discord client shut down during delivery")
        except Exception as exc:
            error = delivery_error(exc)
        if progress is not None:
            error.delivered = progress.delivered()
        raise error from None

    async def _post(self, workspace_id: str, channel_id: str, message: Message, thread_ref: str | None,
                    progress: Progress | None = None) -> str:
        if thread_ref:
            parent_channel, parent_message = translate.parse_ref(thread_ref)
            target = await self._thread(parent_channel, parent_message)
        else:
            target = translate.snowflake(channel_id)
        return await self.send(target, message, progress=progress)

    async def _thread(self, parent_channel: int, parent_message: int) -> int:
        """The thread started from the parent message (created on first use); its id is the message's."""
        if parent_message in self._threads:
            return parent_message
        try:
            await self.runtime.client.http.start_thread_with_message(
                parent_channel, parent_message, name=THREAD_NAME, auto_archive_duration=THREAD_ARCHIVE_MINUTES)
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:
                raise
        self._threads[parent_message] = parent_channel
        self.runtime.thread_parents[parent_message] = parent_channel
        return parent_message

    async def _direct(self, workspace_id: str, user_id: str, message: Message, progress: Progress | None = None) -> str:
        channel_id = await self.dm_channel(translate.snowflake(user_id, "user"))
        # buttons in a DM carry the server, which Discord doesn't send with DM interactions
        return await self.send(channel_id, message, guild=workspace_id, progress=progress)

    async def dm_channel(self, user_id: int) -> int:
        """The DM channel with a user, opened once per process: the one cache for the outbox's DMs and
        for private replies to thread messages (the client's own create_dm cache is not used)."""
        channel_id = self._dms.get(user_id)
        if channel_id is None:
            data = await self.runtime.client.http.start_private_message(user_id)
            channel_id = self._dms[user_id] = int(data["id"])
        return channel_id

    async def send(self, channel_id: int, message: Message, guild: str | None = None,
                   progress: Progress | None = None) -> str:
        """Send a neutral message (as one or more Discord messages) and return the first one's reference.
        With `progress`, posts an earlier attempt delivered are skipped and each post is counted as it
        goes out, so a failure partway can be resumed instead of posting the message twice."""
        channel = self.runtime.client.get_partial_messageable(channel_id)
        progress = progress or Progress()
        for i, out in enumerate(render.outgoing(message, guild=guild)):
            if i < progress.parts:
                continue
            sent = await channel.send(**out.kwargs())
            progress.sent(translate.ref(channel_id, sent.id))
        return progress.ref


class Progress:
    """The posts of one message delivered so far (shared with the waiting thread, so even a timeout
    knows what went out)."""

    def __init__(self, resume: Delivered | None = None):
        self.parts = resume.parts if resume else 0
        self.ref = resume.ref if resume else ""

    def sent(self, ref: str) -> None:
        self.ref = self.ref or ref
        self.parts += 1

    def delivered(self) -> Delivered | None:
        return Delivered(self.parts, self.ref) if self.parts and self.ref else None
