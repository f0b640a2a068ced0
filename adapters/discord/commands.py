"""The slash commands. Each callback only names the command and its options; the runtime turns
them into a `bot.events.Command` (translate.command) and answers with what the core replies."""
from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.app_commands import Choice

from bot.content import CATEGORIES, CATEGORY_NAMES, SKILLS
from bot.teams import SETTINGS

if TYPE_CHECKING:
    from adapters.discord.client import DiscordRuntime

ADMIN = discord.Permissions(manage_guild=True)


class ChannelOption(app_commands.Transformer):
    """A text channel option that hands on the channel Discord resolved, even when the client's cache
    doesn't hold it (a channel made after sensebot joined): setup fetches and checks it then. The
    default TextChannel option fails to convert such a channel, and the admin only saw an error."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: object) -> object:
        return value  # an AppCommandChannel (or the cached channel): only its id is used


class Tree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        handler = getattr(self.client, "sensebot", None)
        if handler is not None:
            await handler.on_command_error(interaction, error)


def build_tree(client: discord.Client, runtime: DiscordRuntime) -> Tree:
    tree = Tree(client, allowed_contexts=app_commands.AppCommandContext(guild=True, dm_channel=False, private_channel=False))

    async def run(interaction: discord.Interaction, name: str, **options) -> None:
        await runtime.on_command(interaction, name, **options)

    drill_kinds = [Choice(name=CATEGORY_NAMES[c], value=c) for c in CATEGORIES] + \
                  [Choice(name=f"Skill drill: {s}", value=f"skill {s}") for s in SKILLS] + \
                  [Choice(name="Mock interview (45 min, CLARITY stages)", value="mock"),
                   Choice(name="Stop my drill", value="stop")]

    @tree.command(name="drill", description="A private, timed case drill, step by step")
    @app_commands.describe(category="What kind of case (default: the next in rotation)")
    @app_commands.choices(category=drill_kinds)
    async def drill(interaction: discord.Interaction, category: str | None = None):
        await run(interaction, "drill", category=category)

    @tree.command(name="today", description="Today's case, its deadlines and your answer")
    async def today(interaction: discord.Interaction):
        await run(interaction, "today")

    @tree.command(name="answer", description="Answer today's case (Scope, Segment, Solve, Score)")
    async def answer(interaction: discord.Interaction):
        await run(interaction, "answer")

    @tree.command(name="rate", description="Rate a teammate's answer on the rubric while voting is open")
    @app_commands.describe(answer="The answer's number, as shown on it (#12)")
    async def rate(interaction: discord.Interaction, answer: app_commands.Range[int, 1]):
        await run(interaction, "rate", answer=answer)

    @tree.command(name="results", description="The last round's results")
    async def results(interaction: discord.Interaction):
        await run(interaction, "results")

    @tree.command(name="streak", description="Your current and longest streak")
    async def streak(interaction: discord.Interaction):
        await run(interaction, "streak")

    @tree.command(name="leaderboard", description="Who's practising, who's scoring")
    @app_commands.describe(period="Which days count", by="Rank by score or by streak", me="Leave or rejoin the leaderboards")
    @app_commands.choices(
        period=[Choice(name="This week", value="week"), Choice(name="This month", value="month"), Choice(name="All time", value="all")],
        by=[Choice(name="Score", value="score"), Choice(name="Streak", value="streak")],
        me=[Choice(name="Hide me", value="hide"), Choice(name="Show me", value="show")])
    async def leaderboard(interaction: discord.Interaction, period: str | None = None, by: str | None = None,
                          me: str | None = None):
        await run(interaction, "leaderboard", period=period, by=by, me=me)

    @tree.command(name="progress", description="Your scores per rubric dimension and your weakest spot")
    async def progress(interaction: discord.Interaction):
        await run(interaction, "progress")

    @tree.command(name="reminders", description="Private reminders before the answer deadline")
    @app_commands.describe(state="Turn reminders on or off", quiet_from="Quiet hours start (HH:MM)", quiet_to="Quiet hours end (HH:MM)",
                           timezone="Your own time zone for quiet hours, e.g. Europe/Berlin")
    @app_commands.choices(state=[Choice(name="on", value="on"), Choice(name="off", value="off")])
    async def reminders(interaction: discord.Interaction, state: str | None = None, quiet_from: str | None = None,
                        quiet_to: str | None = None, timezone: str | None = None):
        await run(interaction, "reminders", state=state, quiet_from=quiet_from, quiet_to=quiet_to, timezone=timezone)

    @tree.command(name="pairs", description="A weekly mock-interview partner")
    @app_commands.describe(state="Join or leave the weekly pairing (leave empty to see this week's partner)")
    @app_commands.choices(state=[Choice(name="on", value="on"), Choice(name="off", value="off")])
    async def pairs(interaction: discord.Interaction, state: str | None = None):
        await run(interaction, "pairs", state=state)

    @tree.command(name="export", description="Everything sensebot holds about you, as a JSON file")
    async def export(interaction: discord.Interaction):
        await run(interaction, "export")

    @tree.command(name="forget-me", description="Delete your answers, votes and preferences (asks first)")
    async def forget_me(interaction: discord.Interaction):
        await run(interaction, "forget-me")

    @tree.command(name="help", description="What sensebot does and its commands")
    async def help_(interaction: discord.Interaction):
        await run(interaction, "help")

    admin = app_commands.Group(name="sensebot", description="Admin: where and when sensebot posts",
                               default_permissions=ADMIN, guild_only=True)

    @admin.command(name="setup", description="Where and when the daily case is posted")
    @app_commands.describe(channel="The channel for the daily case", time="Local time, HH:MM (e.g. 09:00)",
                           timezone="Area/City, e.g. Europe/Berlin", weekdays="Practice days, e.g. mon-fri (default: unchanged)")
    async def setup(interaction: discord.Interaction, channel: app_commands.Transform[discord.abc.GuildChannel, ChannelOption],
                    time: str, timezone: str,
                    weekdays: str | None = None):
        await run(interaction, "setup", channel=channel, time=time, timezone=timezone, weekdays=weekdays)

    @admin.command(name="pause", description="Stop the daily prompts")
    async def pause(interaction: discord.Interaction):
        await run(interaction, "pause")

    @admin.command(name="resume", description="Restart the daily prompts")
    async def resume(interaction: discord.Interaction):
        await run(interaction, "resume")

    @admin.command(name="skip", description="No practice on a day (streaks won't break)")
    @app_commands.describe(date="YYYY-MM-DD")
    async def skip(interaction: discord.Interaction, date: str):
        await run(interaction, "skip", date=date)

    @admin.command(name="unskip", description="Undo a skip: practice that day after all")
    @app_commands.describe(date="YYYY-MM-DD")
    async def unskip(interaction: discord.Interaction, date: str):
        await run(interaction, "unskip", date=date)

    @admin.command(name="set", description="Change a setting (reveal, pass-bar, windows, reminders, retention)")
    @app_commands.choices(name=[Choice(name=s, value=s) for s in SETTINGS])
    async def set_(interaction: discord.Interaction, name: str, value: str):
        await run(interaction, "set", name=name, value=value)

    @admin.command(name="status", description="Settings, next steps, delivery problems and recent admin actions")
    async def status(interaction: discord.Interaction):
        await run(interaction, "status")

    tree.add_command(admin)
    return tree
