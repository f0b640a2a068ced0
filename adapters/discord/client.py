"""The Discord gateway client: slash commands, buttons, modals and thread replies in; the core's replies out.

`DiscordRuntime(app)` owns one `discord.AutoShardedClient` running on its own event loop in a
daemon thread (`start_background`), and `.port`, the ChatPort the outbox delivers through.
`main(settings, action)` is `sensebot discord [run|sync|invite-url]`.

Every interaction is answered within Discord's 3 seconds: the core runs in a worker thread,
and if it hasn't answered after `defer_after` seconds the interaction is deferred and the
reply follows. Nothing here decides a practice rule; it translates, calls the core, renders.
"""
from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import discord
from discord.http import Route

from adapters.discord import ids, render, translate
from adapters.discord.commands import build_tree
from adapters.discord.port import DiscordPort
from bot.app import App
from bot.config import ConfigError, Settings
from bot.events import Action, Command, Event, Who
from bot.messages import Reply

log = logging.getLogger(__name__)

# Only what sensebot uses: post in the practice channel, start and post in a round's thread,
# embeds, chart and export files, and reading the thread it answers in.
PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, send_messages_in_threads=True, create_public_threads=True,
    embed_links=True, attach_files=True, read_message_history=True,
)

OOPS = "Something went wrong on sensebot's side — nothing you did. Try again in a moment."
NO_SERVER = ("I can't tell which server this is for. Use a sensebot command in your server first "
             "(for example /today), then message me again.")
SLOW_FORM = "That took longer than Discord allows for opening a form — press the button again."
# Discord's names for what sensebot needs in the practice channel (checked at setup, named when missing)
PERMISSION_NAMES = {"view_channel": "View Channel", "send_messages": "Send Messages",
                    "send_messages_in_threads": "Send Messages in Threads",
                    "create_public_threads": "Create Public Threads", "embed_links": "Embed Links",
                    "attach_files": "Attach Files", "read_message_history": "Read Message History"}


def intents() -> discord.Intents:
    """Guilds (channels, threads), guild and DM messages. Message Content is privileged: it is needed
    to read plain replies in a round's thread (DMs to the bot carry their text without it)."""
    i = discord.Intents.none()
    i.guilds = True
    i.guild_messages = True
    i.dm_messages = True
    i.message_content = True
    return i


def invite_url(settings: Settings) -> str:
    app_id = settings.discord_application_id.strip()
    if not app_id:
        raise ConfigError(["DISCORD_APPLICATION_ID is not set — copy the Application ID from the Discord developer portal "
                           "(your application > General Information) and set it, then run `sensebot discord invite-url` again."])
    if not app_id.isdigit():
        raise ConfigError([f"DISCORD_APPLICATION_ID '{app_id}' should be the numeric Application ID from the developer portal."])
    return (f"https://discord.com/oauth2/authorize?client_id={app_id}"
            f"&scope=bot+applications.commands&permissions={PERMISSIONS.value}")


def configure_endpoints(settings: Settings) -> None:
    """DISCORD_API_URL points discord.py's REST calls (and so GET /gateway/bot) elsewhere, e.g. a local fake."""
    if settings.discord_api_url:
        Route.BASE = settings.discord_api_url.rstrip("/")


def _normalise(cmds: list[dict]) -> str:
    """Application commands as a comparable string: what we'd register vs. what Discord has."""
    def opt(o: dict) -> dict:
        out = {"name": o.get("name"), "description": o.get("description", ""), "type": o.get("type", 1),
               "required": bool(o.get("required", False)),
               "choices": [{"name": c.get("name"), "value": c.get("value")} for c in o.get("choices") or []],
               "options": [opt(x) for x in o.get("options") or []],
               "channel_types": sorted(o.get("channel_types") or []),
               "min_value": o.get("min_value"), "max_value": o.get("max_value")}
        return out

    def top(c: dict) -> dict:
        d = opt(c)
        perms = c.get("default_member_permissions")
        d["default_member_permissions"] = str(perms) if perms not in (None, "") else None
        d["contexts"] = sorted(c.get("contexts") or [])
        return d

    return json.dumps(sorted((top(c) for c in cmds), key=lambda c: c["name"]), sort_keys=True)


class SenseClient(discord.AutoShardedClient):
    def __init__(self, runtime: DiscordRuntime, sync: str = "auto", **options: Any):
        super().__init__(intents=intents(), allowed_mentions=render.NONE, max_ratelimit_timeout=30.0, **options)
        self.sensebot = runtime
        self.sync_mode = sync  # "auto": sync when the commands changed; "force"; "off"
        self.tree = build_tree(self, runtime)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(render.ActionButton)
        gateway = self.sensebot.settings.discord_gateway_url
        if gateway:
            lookup = self.http.get_bot_gateway

            async def get_bot_gateway():
                try:
                    shards, _, limits = await lookup()
                except discord.GatewayNotFound:
                    shards, limits = 1, {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
                return shards, gateway, limits
            self.http.get_bot_gateway = get_bot_gateway  # DISCORD_GATEWAY_URL wins over Discord's answer
        if self.sync_mode != "off":
            try:
                log.info(await self.sensebot.sync_commands(force=self.sync_mode == "force"))
            except discord.HTTPException as exc:
                log.warning("could not sync slash commands (%s %s): %s", exc.status, exc.code,
                            "re-invite sensebot with the link from `sensebot discord invite-url` (it needs the "
                            "applications.commands scope)" if exc.status == 403 else exc.text)
        self.sensebot.logged_in.set()

    async def on_ready(self) -> None:
        log.info("discord: connected as %s to %d servers", self.user, len(self.guilds))
        self.sensebot.ready.set()

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.modal_submit:
            await self.sensebot.on_modal(interaction)
        elif interaction.type is discord.InteractionType.component:
            await self.sensebot.on_component(interaction)

    async def on_message(self, message: discord.Message) -> None:
        await self.sensebot.on_message(message)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self.sensebot.on_guild_remove(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.sensebot.on_guild_present(guild)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.sensebot.on_guild_present(guild)


class DiscordRuntime:
    """One Discord client and its port, composed from the app (core, settings)."""

    def __init__(self, app: App, *, sync: str = "auto", defer_after: float = 2.0, guild_ready_timeout: float = 2.0,
                 send_timeout: float = 35.0):
        self.app = app
        self.settings = app.settings
        self.practice = app.practice
        self.sync = sync
        self.defer_after = defer_after
        self.guild_ready_timeout = guild_ready_timeout
        self.port = DiscordPort(self, timeout=send_timeout)
        self.client: SenseClient | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread_id: int | None = None
        self.thread: threading.Thread | None = None
        self.logged_in = threading.Event()
        self.ready = threading.Event()
        self.stopped = threading.Event()
        self.error: BaseException | None = None
        self.executor = ThreadPoolExecutor(4, thread_name_prefix="discord-core")
        # joins and removals reach the core in the order Discord sent them: on 4 worker threads a
        # GUILD_CREATE then GUILD_DELETE could otherwise land as remove-then-restore
        self._membership = asyncio.Lock()
        self.thread_parents: dict[int, int] = {}  # thread id -> parent channel id
        self._not_threads: set[int] = set()

    # ---------------------------------------------------------------- lifecycle

    def make_client(self, sync: str | None = None) -> SenseClient:
        configure_endpoints(self.settings)
        self.loop = asyncio.get_running_loop()
        self.loop_thread_id = threading.get_ident()
        self.client = SenseClient(self, sync=self.sync if sync is None else sync,
                                  guild_ready_timeout=self.guild_ready_timeout)
        return self.client

    def start_background(self) -> DiscordRuntime:
        """Run the client on its own event loop in a daemon thread."""
        self.thread = threading.Thread(target=self._thread_main, name="discord", daemon=True)
        self.thread.start()
        return self

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:
            self.error = exc
            if not isinstance(exc, (discord.LoginFailure, discord.PrivilegedIntentsRequired)):
                log.exception("discord client stopped")
        finally:
            self.logged_in.clear()
            self.stopped.set()

    async def _serve(self) -> None:
        client = self.make_client()
        async with client:
            await client.start(self.settings.discord_token)

    def stop(self, timeout: float = 10.0) -> None:
        loop, client = self.loop, self.client
        if loop is not None and client is not None and not loop.is_closed() and self.thread is not None:
            try:
                asyncio.run_coroutine_threadsafe(client.close(), loop).result(timeout)
            except Exception:  # noqa: BLE001 - already closing or closed
                pass
        if self.thread is not None:
            self.thread.join(timeout)
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def login(self) -> SenseClient:
        """Log in over REST only (no gateway) on the running loop: for `sync`, and for tests."""
        client = self.make_client(sync="off")
        await client.login(self.settings.discord_token)
        return client

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        self.executor.shutdown(wait=False, cancel_futures=True)

    async def sync_commands(self, force: bool = False) -> str:
        client = self.client
        gid = self.settings.discord_guild_id
        guild = discord.Object(int(gid)) if gid else None
        if guild is not None:
            client.tree.copy_global_to(guild=guild)
        where = f"server {gid}" if guild else "every server (global commands can take up to an hour to show)"
        if not force:
            local = [c.to_dict(client.tree) for c in client.tree.get_commands(guild=guild)]
            if guild is not None:
                remote = await client.http.get_guild_commands(client.application_id, guild.id)
            else:
                remote = await client.http.get_global_commands(client.application_id)
            if _normalise(local) == _normalise(remote):
                return f"Slash commands are up to date for {where}."
        synced = await client.tree.sync(guild=guild)
        return f"Synced {len(synced)} slash commands to {where}."

    # ---------------------------------------------------------------- calling the core

    def _handle(self, event: Event) -> Reply:
        try:
            return self.practice.handle(event)
        except Exception:
            log.exception("core failed on %s", type(event).__name__)
            return Reply.note(OOPS)

    def _replay(self, w: Who, opener: ids.Opener) -> Reply:
        if opener.kind == "a":
            return self._handle(Action(w, opener.name, opener.value))
        return self._handle(Command(w, opener.name, tuple(opener.value.split())))

    def _submit(self, w: Who, fid: ids.FormId, values: dict[str, str]) -> Reply:
        """A modal was submitted. For a form split over several modals, the fields this modal didn't
        show take their current values from a fresh copy of the form (the opener, replayed)."""
        form = None
        partial = False
        if fid.opener is not None:
            fresh = self._replay(w, fid.opener)
            if fresh.form is not None and fresh.form.id == fid.form:
                form = fresh.form
                parts = render.form_parts(form)
                shown = {f.id for f in parts[fid.part - 1]} if fid.part <= len(parts) else set()
                for f in form.fields:
                    if f.id not in shown:
                        values.setdefault(f.id, f.initial)
                partial = fid.part < len(parts)
        reply = self._handle(translate.form_submitted(w, fid.form, values, fid.meta_dict, partial))
        if form is not None and reply.form is None:
            button = render.continue_button(form, fid.part, fid.opener)
            if button is not None:
                reply = render.with_button(reply, button)
        return reply

    async def _call(self, fn, *args) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    async def _core(self, interaction: discord.Interaction, fn, *args, public: bool = False) -> Any:
        """Run `fn` off the event loop; defer the interaction if it risks Discord's 3-second deadline.

        The deferral is shown the way the reply will be (`public`, as the core says up front): Discord
        gives the reply that follows a deferral the deferral's visibility, whatever the reply asks."""
        task = asyncio.ensure_future(self._call(fn, *args))
        done, _ = await asyncio.wait({task}, timeout=self.defer_after)
        if not done and not interaction.response.is_done():
            try:
                await interaction.response.defer(ephemeral=not public, thinking=True)
                interaction.extras["deferred_public"] = public
            except discord.HTTPException as exc:
                log.warning("could not defer interaction %s: %s", interaction.id, exc)
        return await task

    # ---------------------------------------------------------------- who and where

    async def _workspace(self, interaction: discord.Interaction, encoded: str | None = None) -> str | None:
        if interaction.guild_id:
            return str(interaction.guild_id)
        return encoded or await self.dm_workspace(interaction.user.id)

    async def dm_workspace(self, user_id: int) -> str | None:
        """The server a direct message is about: the only one, the one the user last acted in (stored by
        the core, so it survives a restart), or the only one Discord shows them in."""
        guilds = self.client.guilds if self.client else []
        if len(guilds) == 1:
            return str(guilds[0].id)
        last = await self._call(self.practice.last_workspace, translate.PLATFORM, str(user_id))
        if last is not None:
            return last
        shared = [g for g in guilds if g.get_member(user_id) is not None]
        return str(shared[0].id) if len(shared) == 1 else None

    def _who(self, interaction: discord.Interaction, workspace: str, encoded: str | None = None) -> Who:
        in_guild = bool(interaction.guild_id)
        return translate.who(workspace, interaction.user.id, interaction.user.display_name,
                             manage_guild=in_guild and interaction.permissions.manage_guild,
                             channel_id=interaction.channel_id, claimed=not in_guild and workspace == encoded)

    # ---------------------------------------------------------------- inbound

    async def on_command(self, interaction: discord.Interaction, name: str, **options: Any) -> None:
        workspace = await self._workspace(interaction)
        if workspace is None:
            return await self._note(interaction, NO_SERVER)
        event = translate.command(self._who(interaction, workspace), name, **options)
        if name == "setup" and event.who.is_admin and event.args and event.args[0].isdigit():
            problem = await self._cannot_post(interaction, int(event.args[0]))
            if problem:
                return await self._note(interaction, problem)
        public = self.practice.reply_is_public(event.name, event.args)
        reply = await self._core(interaction, self._handle, event, public=public)
        await self._respond(interaction, reply, ids.Opener("c", event.name, " ".join(event.args)), None)

    async def on_component(self, interaction: discord.Interaction) -> None:
        """A button whose custom_id isn't in today's format (the view store matches the ones that are):
        answered, so Discord never shows "This interaction failed"."""
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if ids.parse_button(custom_id) is None:
            await self._note(interaction, self.practice.old_version())

    async def on_button(self, interaction: discord.Interaction, action: str, value: str, guild: str | None) -> None:
        workspace = await self._workspace(interaction, guild)
        if workspace is None:
            return await self._note(interaction, NO_SERVER)
        w = self._who(interaction, workspace, guild)
        dm_guild = None if interaction.guild_id else workspace
        if action == "form_part":
            parsed = ids.parse_part_value(value)
            if parsed is None:
                return await self._note(interaction, self.practice.old_version())
            part, opener = parsed
            reply = await self._core(interaction, self._replay, w, opener)
            return await self._respond(interaction, reply, opener, dm_guild, part=part)
        reply = await self._core(interaction, self._handle, translate.action(w, action, value))
        await self._respond(interaction, reply, ids.Opener("a", action, value), dm_guild)

    async def on_modal(self, interaction: discord.Interaction) -> None:
        data = interaction.data or {}
        fid = ids.FormId.decode(str(data.get("custom_id", "")))
        if fid is None:  # not "sbf:…" in today's format: a form from an older version
            return await self._note(interaction, self.practice.old_version())
        workspace = await self._workspace(interaction, fid.guild)
        if workspace is None:
            return await self._note(interaction, NO_SERVER)
        values = translate.modal_values(data.get("components", []))
        reply = await self._core(interaction, self._submit, self._who(interaction, workspace, fid.guild), fid, values)
        await self._respond(interaction, reply, None, None if interaction.guild_id else workspace)

    async def _cannot_post(self, interaction: discord.Interaction, channel_id: int) -> str | None:
        """Why sensebot couldn't run a round in the channel an admin picked at setup, in one sentence
        (None when it can): the permissions it lacks there, by Discord's names. A channel the cache
        doesn't hold (made after sensebot joined) is fetched."""
        guild = interaction.guild or (self.client.get_guild(interaction.guild_id) if interaction.guild_id else None)
        if guild is None:
            return None  # nothing to check against; the first post will say what's wrong
        mention = f"<#{channel_id}>"
        try:
            channel = guild.get_channel(channel_id) or await guild.fetch_channel(channel_id)
            me = guild.me or await guild.fetch_member(self.client.user.id)
        except discord.NotFound:
            return f"sensebot can't see {mention} — give its role View Channel there, then run /sensebot setup again."
        except discord.Forbidden:
            return (f"sensebot can't see {mention} — give its role View Channel there "
                    "(Edit Channel > Permissions), then run /sensebot setup again.")
        except discord.HTTPException as exc:
            log.warning("could not check channel %s at setup: %s %s", channel_id, exc.status, exc.text)
            return None
        perms = channel.permissions_for(me)
        missing = [label for flag, label in PERMISSION_NAMES.items() if getattr(PERMISSIONS, flag) and not getattr(perms, flag)]
        if not missing:
            return None
        return (f"sensebot can't run the daily case in {mention}: it is missing {', '.join(missing)} there. "
                "Give its role these in Edit Channel > Permissions, then run /sensebot setup again.")

    async def on_command_error(self, interaction: discord.Interaction, error: Exception) -> None:
        log.error("slash command failed: %r", error, exc_info=error)
        await self._note(interaction, OOPS)

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.webhook_id is not None or not (message.content or "").strip():
            return
        if message.guild is None:
            await self._direct_message(message)
            return
        workspace = str(message.guild.id)
        parent = await self._thread_parent(message.channel, workspace)
        if parent is None:
            return
        w = translate.who(workspace, message.author.id, message.author.display_name, channel_id=message.channel.id)
        reply = await self._call(self._handle, translate.thread_reply(w, parent, message.channel.id, message.content, message.id))
        if not reply.messages:
            return
        if reply.private:  # feedback on one person's answer: to them, not to the thread
            await self._send_reply_dm(message.author.id, reply, workspace)
        else:
            await self._send_reply(message.channel.id, reply, None)

    async def _direct_message(self, message: discord.Message) -> None:
        workspace = await self.dm_workspace(message.author.id)
        if workspace is None:
            await message.channel.send(NO_SERVER, allowed_mentions=render.NONE)
            return
        w = translate.who(workspace, message.author.id, message.author.display_name, channel_id=message.channel.id)
        reply = await self._call(self._handle, translate.direct_message(w, message.content))
        await self._send_reply(message.channel.id, reply, workspace)

    async def _thread_parent(self, channel: Any, workspace: str) -> int | None:
        """The parent channel of a round's thread, or None for any other channel. A round's thread is
        one started from its prompt — by sensebot for the nudges, or by a member before the first nudge
        (sensebot then posts its nudges there too); the core says which prompts are rounds'."""
        if channel.id in self.thread_parents:
            return self.thread_parents[channel.id]
        if channel.id in self._not_threads:
            return None
        thread = channel if isinstance(channel, discord.Thread) else None
        if thread is None and isinstance(channel, discord.PartialMessageable):
            try:  # a channel the cache doesn't know (a thread made before this process): ask once
                fetched = await self.client.fetch_channel(channel.id)
            except discord.HTTPException:
                fetched = None
            thread = fetched if isinstance(fetched, discord.Thread) else None
        parent = thread.parent_id if thread is not None else None
        me = self.client.user.id if self.client and self.client.user else None
        if parent is not None and (thread.owner_id == me or await self._call(
                self.practice.is_round_thread, translate.PLATFORM, workspace, translate.ref(parent, thread.id))):
            self.thread_parents[channel.id] = parent
            return parent
        self._not_threads.add(channel.id)
        return None

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        async with self._membership:
            await self._call(self.practice.team_removed, translate.PLATFORM, str(guild.id))

    async def on_guild_present(self, guild: discord.Guild) -> None:
        """A GUILD_CREATE: sensebot joined the server, or it is back after an outage or a reconnect.
        Either way sensebot is really in it, so a scheduled deletion is cancelled (the core does nothing
        for a team that wasn't removed). An outage (GUILD_DELETE with unavailable) never removes."""
        async with self._membership:
            restored = await self._call(self.practice.team_restored, translate.PLATFORM, str(guild.id))
        if restored:
            log.info("discord: back in server %s; its scheduled deletion is cancelled", guild.id)

    # ---------------------------------------------------------------- outbound

    async def _note(self, interaction: discord.Interaction, text: str) -> None:
        await self._respond(interaction, Reply.note(text), None, None)

    async def _respond(self, interaction: discord.Interaction, reply: Reply, opener: ids.Opener | None,
                       dm_guild: str | None, part: int = 1) -> None:
        """Answer an interaction with the core's reply: a modal, or messages (ephemeral when private)."""
        try:
            if reply.form is not None:
                if interaction.response.is_done():
                    await interaction.followup.send(SLOW_FORM, ephemeral=True, allowed_mentions=render.NONE)
                else:
                    await interaction.response.send_modal(render.modal_for(reply.form, part, opener, dm_guild))
                return
            outs = render.reply_outgoing(reply, dm_guild)
            if reply.private and interaction.extras.get("deferred_public"):
                # deferred in public, but the reply is private (an error): remove the public placeholder,
                # so the follow-ups below are new messages that keep their ephemeral flag
                await interaction.delete_original_response()
            if not outs:
                if not interaction.response.is_done():
                    if interaction.type is discord.InteractionType.component:
                        await interaction.response.defer()  # acknowledged; nothing to show
                    else:
                        await interaction.response.send_message("Done.", ephemeral=True, allowed_mentions=render.NONE)
                return
            for out in outs:
                kwargs = out.kwargs()
                if not interaction.response.is_done():
                    await interaction.response.send_message(ephemeral=reply.private, **kwargs)
                else:
                    await interaction.followup.send(ephemeral=reply.private, **kwargs)
        except discord.NotFound as exc:  # 10062 Unknown interaction: the 3 seconds ran out
            log.warning("interaction %s expired before sensebot answered: %s", interaction.id, exc)
        except discord.HTTPException as exc:
            log.warning("answering interaction %s failed: %s %s", interaction.id, exc.status, exc.text)

    async def _send_reply(self, channel_id: int, reply: Reply, guild: str | None) -> None:
        for m in reply.messages:
            try:
                await self.port.send(channel_id, m, guild=guild)
            except discord.HTTPException as exc:
                log.info("could not answer in channel %s: %s %s", channel_id, exc.status, exc.code)
                return

    async def _send_reply_dm(self, user_id: int, reply: Reply, workspace: str) -> None:
        try:
            channel_id = await self.port.dm_channel(user_id)
        except discord.HTTPException as exc:
            log.info("could not open a DM with %s: %s", user_id, exc.code)
            return
        await self._send_reply(channel_id, reply, workspace)


# -------------------------------------------------------------------- the CLI


def _fatal(exc: BaseException) -> ConfigError | None:
    if isinstance(exc, discord.LoginFailure):
        return ConfigError(["Discord refused DISCORD_TOKEN — copy the bot token again from the developer portal "
                            "(Bot > Reset Token) and set it."])
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return ConfigError(["Discord refused the Message Content intent — turn it on in the developer portal "
                            "(Bot > Privileged Gateway Intents > Message Content Intent); sensebot reads replies "
                            "in its round threads."])
    return None


async def _sync_once(runtime: DiscordRuntime) -> str:
    try:
        await runtime.login()
        return await runtime.sync_commands(force=True)
    except discord.Forbidden:
        raise ConfigError(["Discord refused the command sync — invite sensebot with the link from "
                           "`sensebot discord invite-url` (it needs the applications.commands scope)."]) from None
    except discord.LoginFailure as exc:
        raise _fatal(exc) from None
    finally:
        await runtime.close()


def main(settings: Settings, action: str = "run") -> int:
    if action == "invite-url":
        print(invite_url(settings))
        return 0
    settings.require_discord()
    from bot.app import build

    app = build(settings, command_prefix="/")
    runtime = DiscordRuntime(app)
    if action == "sync":
        print(asyncio.run(_sync_once(runtime)))
        return 0
    return _run(app, runtime)


def _run(app: App, runtime: DiscordRuntime) -> int:
    from bot.outbox import Dispatcher
    from bot.outbox import DispatchLoop
    from bot.scheduler import Scheduler

    scheduler = Scheduler(app.practice)
    dispatcher = Dispatcher(app.db, app.practice.clock, {"discord": runtime.port})
    outbox = DispatchLoop(dispatcher, app.settings.dispatch_seconds)
    done = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: done.set())
    scheduler.start()
    outbox.start()
    runtime.start_background()
    try:
        while not done.is_set() and not runtime.stopped.is_set():
            done.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        runtime.stop()
        outbox.stop()
        scheduler.shutdown()
        dispatcher.close()
    if runtime.error is not None:
        fatal = _fatal(runtime.error)
        if fatal is not None:
            raise fatal
        return 1
    return 0
