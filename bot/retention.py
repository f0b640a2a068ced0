"""Data retention: old answers and votes, and teams that removed the app.

A team may set `retention-days`: answers (and the votes on them, and their posts' copies in
the outbox) older than that are deleted; off by default. When the app is uninstalled or removed from a server, the team
is marked removed and its data is deleted after `REMOVAL_GRACE`; reinstalling within
the grace period cancels the deletion (see `teams.ensure_team`).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import delete, select

from bot import outbox
from bot.context import Ctx
from bot.store.models import Answer, Team, Vote

log = logging.getLogger(__name__)

REMOVAL_GRACE = timedelta(days=30)


def apply(ctx: Ctx, team: Team) -> int:
    """Delete this team's answers (and their votes) older than its retention setting."""
    if not team.retention_days:
        return 0
    cutoff = ctx.now() - timedelta(days=team.retention_days)
    old = select(Answer.id).where(Answer.team_id == team.id, Answer.created_at < cutoff)
    ids = list(ctx.session.exec(old))
    if not ids:
        return 0
    # their posts in the outbox go too (emptied once delivered): nothing else links that text to its author
    outbox.forget(ctx, team, about=outbox.about_answers(ids), names=(), texts=())
    ctx.session.exec(delete(Vote).where(Vote.team_id == team.id, Vote.answer_id.in_(ids)))
    ctx.session.exec(delete(Answer).where(Answer.team_id == team.id, Answer.id.in_(ids)))
    log.info("team %s: retention deleted %d answers older than %d days", team.id, len(ids), team.retention_days)
    return len(ids)


def removed_past_grace(ctx: Ctx) -> list[int]:
    """Teams removed longer ago than the grace period: their data is due for deletion."""
    cutoff = ctx.now() - REMOVAL_GRACE
    return list(ctx.session.exec(select(Team.id).where(Team.removed_at.is_not(None), Team.removed_at < cutoff)))


def purge(ctx: Ctx, team: Team) -> None:
    """Delete a removed team with all its rows."""
    log.info("team %s (%s/%s): removed %s, deleting its data", team.id, team.platform, team.workspace_id,
             team.removed_at.date())
    ctx.session.delete(team)  # rows of every team table go with it (ON DELETE CASCADE)

