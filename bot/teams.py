"""Teams and members: finding them (always scoped), their settings, and the practice calendar.

`is_practice_day` is the one rule for which local dates are practice days; the scheduler
and streaks both ask it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import due
from bot.content import CATEGORIES, DEFAULT_FAMILIES
from bot.context import Ctx, UserError
from bot.events import Who
from bot.messages import channel_ref
from bot.localtime import (
    format_weekdays,
    local_date,
    parse_hhmm,
    parse_timezone,
    parse_weekdays,
)
from bot.store.models import AuditEntry, Member, Team


def zone(team: Team) -> ZoneInfo:
    return parse_timezone(team.timezone)


def weekdays(team: Team) -> tuple[int, ...]:
    return parse_weekdays(team.weekdays)


def is_practice_day(team: Team, day: date) -> bool:
    return day.weekday() in weekdays(team) and day.isoformat() not in (team.skip_dates or [])


def today(ctx: Ctx, team: Team) -> date:
    return local_date(ctx.now(), zone(team))


def find_team(ctx: Ctx, platform: str, workspace_id: str) -> Team | None:
    return ctx.session.exec(
        select(Team).where(Team.platform == platform, Team.workspace_id == workspace_id)
    ).first()


def ensure_team(ctx: Ctx, who: Who, default_tz: str = "UTC") -> Team:
    team = find_team(ctx, who.platform, who.workspace_id)
    if team is None:
        team = Team(platform=who.platform, workspace_id=who.workspace_id, timezone=default_tz,
                    channel_id="", created_at=ctx.now())
        ctx.session.add(team)
        ctx.session.flush()
    return team


def restore(ctx: Ctx, platform: str, workspace_id: str) -> Team | None:
    """The platform says sensebot is installed again (OAuth install, server join): cancel the
    scheduled deletion. Only such an event may do this — an interaction (an old DM button from a
    server that removed the bot) never brings a team back."""
    team = find_team(ctx, platform, workspace_id)
    if team is None or team.removed_at is None:
        return None
    team.removed_at = None
    due.changed(ctx, team)
    audit(ctx, team, "platform", "restored", "reinstalled; scheduled deletion cancelled")
    return team


def find_member(ctx: Ctx, team: Team, user_id: str) -> Member | None:
    return ctx.session.exec(select(Member).where(Member.team_id == team.id, Member.user_id == user_id)).first()


def ensure_member(ctx: Ctx, team: Team, who: Who) -> Member:
    member = find_member(ctx, team, who.user_id)
    if member is None:
        member = Member(team_id=team.id, user_id=who.user_id, display_name=who.display_name or who.user_id,
                        created_at=ctx.now())
        ctx.session.add(member)
    elif who.display_name and member.display_name != who.display_name:
        member.display_name = who.display_name
    if who.timezone and member.platform_timezone != who.timezone:
        member.platform_timezone = who.timezone
    member.last_active_at = ctx.now()
    ctx.session.flush()
    return member


def members_by_id(ctx: Ctx, team: Team) -> dict[int, Member]:
    return {m.id: m for m in ctx.session.exec(select(Member).where(Member.team_id == team.id))}


def audit(ctx: Ctx, team: Team, actor: str, action: str, detail: str = "") -> None:
    ctx.session.add(AuditEntry(team_id=team.id, actor=actor, action=action, detail=detail[:500], at=ctx.now()))


def recent_audit(ctx: Ctx, team: Team, limit: int = 5) -> list[AuditEntry]:
    return list(ctx.session.exec(
        select(AuditEntry).where(AuditEntry.team_id == team.id).order_by(AuditEntry.id.desc()).limit(limit)
    ))


# ---------------------------------------------------------------- admin changes


def setup(ctx: Ctx, team: Team, actor: str, args: tuple[str, ...]) -> str:
    """`setup #channel HH:MM Area/City [mon-fri]` — every part validated before anything changes."""
    if len(args) < 3:
        raise UserError("Usage: setup #channel HH:MM Area/City [mon-fri] — e.g. setup #pm-practice 09:00 Europe/Berlin mon-fri")
    channel = args[0].strip()
    if channel.startswith("<#") and channel.endswith(">"):  # Slack's <#C123|name> form
        channel = channel[2:-1].split("|", 1)[0]
    channel = channel.lstrip("#")
    if not channel:
        raise UserError("Name the channel to post in, e.g. #pm-practice.")
    try:
        at = parse_hhmm(args[1])
        tz = parse_timezone(args[2])
        days = parse_weekdays(args[3]) if len(args) > 3 else parse_weekdays(team.weekdays)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    team.channel_id = channel
    team.practice_time = at.strftime("%H:%M")
    team.timezone = tz.key
    team.weekdays = format_weekdays(days)
    audit(ctx, team, actor, "setup", f"#{channel} {team.practice_time} {tz.key} {team.weekdays}")
    return (f"Daily prompts will go to {channel_ref(channel)} at {team.practice_time} {tz.key} on "
            f"{team.weekdays.replace(',', ', ')}.")


def pause(ctx: Ctx, team: Team, actor: str, paused: bool) -> str:
    team.paused = paused
    audit(ctx, team, actor, "pause" if paused else "resume")
    return "Paused: no prompts until someone runs resume." if paused else "Resumed: the next prompt goes out on schedule."


@dataclass(frozen=True)
class Setting:
    """One `set` option: the team attribute, its type and the range a team can sensibly use."""

    attr: str
    kind: type | tuple[str, ...]
    low: float = 0
    high: float = 0
    unit: str = ""
    off: bool = False  # 0 means "off" and is allowed below `low`


# The one table of bounds. Windows are minutes after the prompt; a grace below a few minutes
# would turn a scheduler running a second late into a day without a prompt.
SETTINGS: dict[str, Setting] = {
    "reveal": Setting("reveal", ("deadline", "immediate")),
    "pass-bar": Setting("pass_bar", float, 1, 5, "out of 5"),
    "answer-window": Setting("answer_minutes", int, 30, 1440, "minutes after the prompt"),
    "vote-window": Setting("vote_minutes", int, 60, 2880, "minutes after the prompt"),
    "reminder-at": Setting("reminder_minutes", int, 10, 1440, "minutes after the prompt"),
    "grace": Setting("grace_minutes", int, 5, 720, "minutes"),
    "min-votes": Setting("min_votes", int, 1, 20, "votes"),
    "reviewers": Setting("reviewers", int, 0, 5, "teammates per answer"),
    "retention-days": Setting("retention_days", int, 7, 3650, "days", off=True),
}


def set_families(ctx: Ctx, team: Team, actor: str, names: tuple[str, ...]) -> str:
    """`set families improve diagnose …`: the kinds of case the daily prompt rotates through.
    `default` goes back to the product-sense mix. Every name is checked before anything
    changes, so a typo never leaves the team with half a mix."""
    words = tuple(w.strip().lower() for raw in names for w in raw.split(",") if w.strip())
    if not words:
        raise UserError(f"Usage: set families <family> … — any of {', '.join(CATEGORIES)}, or default.")
    if words == ("default",):
        team.families = []
        audit(ctx, team, actor, "set", "families=default")
        return f"families is back to the default mix: {', '.join(DEFAULT_FAMILIES)}."
    unknown = [w for w in words if w not in CATEGORIES]
    if unknown:
        raise UserError(f"'{unknown[0]}' is not a family — use any of {', '.join(CATEGORIES)}, or default.")
    chosen = [c for c in CATEGORIES if c in words]  # library order, no repeats
    team.families = chosen
    audit(ctx, team, actor, "set", f"families={','.join(chosen)}")
    return f"families is now {', '.join(chosen)}: the daily case rotates through them."


def _bounded(name: str, setting: Setting, raw: str) -> object:
    """The value of `set <name> <raw>`, or a UserError that names the range."""
    if isinstance(setting.kind, tuple):
        if raw not in setting.kind:
            raise UserError(f"{name} is one of {', '.join(setting.kind)}.")
        return raw
    try:
        value = setting.kind(raw)
    except ValueError:
        raise UserError(f"{name} needs a number, not '{raw[:20]}'.") from None
    if setting.off and value == 0:
        return None
    if not setting.low <= value <= setting.high:  # NaN and infinities fail this too
        low, high = (f"{b:g}" for b in (setting.low, setting.high))
        off = ", or 0 for off" if setting.off else ""
        raise UserError(f"{name} goes from {low} to {high} {setting.unit}{off}; '{raw[:20]}' is outside that.")
    return value


def set_option(ctx: Ctx, team: Team, actor: str, args: tuple[str, ...]) -> str:
    """`set <name> <value>` for the timeline and scoring settings, each within its range;
    `set families …` for the daily mix."""
    if args and args[0] == "families":
        return set_families(ctx, team, actor, args[1:])
    if len(args) != 2 or args[0] not in SETTINGS:
        raise UserError("Usage: set <name> <value>, where name is one of " + ", ".join(SETTINGS) + ", families.")
    name, raw = args
    setting = SETTINGS[name]
    setattr(team, setting.attr, _bounded(name, setting, raw))
    if not team.reminder_minutes < team.answer_minutes < team.vote_minutes:
        raise UserError("The reminder must come before the answer deadline, and that before the vote deadline.")
    audit(ctx, team, actor, "set", f"{name}={raw}")
    return f"{name} is now {raw}."


def describe(team: Team) -> str:
    where = channel_ref(team.channel_id) if team.channel_id else "no channel yet (run setup)"
    state = "paused" if team.paused else "running"
    skips = ", ".join(team.skip_dates[-5:]) if team.skip_dates else "none"
    return (f"Prompts: {where} at {team.practice_time} {team.timezone} on {team.weekdays.replace(',', ', ')} ({state}).\n"
            f"Answers close {team.answer_minutes // 60}h{team.answer_minutes % 60:02d} after the prompt, votes "
            f"{team.vote_minutes // 60}h{team.vote_minutes % 60:02d} after; reveal: {team.reveal}; pass bar {team.pass_bar:.2f}.\n"
            f"Families: {', '.join(team.families or DEFAULT_FAMILIES)}{'' if team.families else ' (default)'}.\n"
            f"Skip dates: {skips}.")


def when(dt: datetime, team: Team) -> str:
    """A UTC instant as the team reads it: 'Mon 23 Nov 17:00 CET'."""
    return dt.astimezone(zone(team)).strftime("%a %d %b %H:%M %Z")
