"""Who is signed in, which teams they may open, and the CSRF token every form carries.

A session (Flask's signed cookie) holds the identities a person proved at sign-in: one per
team, each (platform, workspace id, user id, name, admin). A team's pages open only for a
person with an identity in that team; any other team id answers 404, the same as an id that
doesn't exist, so ids can't be probed. Admin rights are the core's rule (`Practice.is_admin`),
applied to the identity the platform vouched for at sign-in.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, request, session

from bot.context import Ctx
from bot.events import Who
from bot.store.models import Team
from bot.teams import find_team


@dataclass(frozen=True)
class Identity:
    platform: str
    workspace_id: str
    user_id: str
    name: str
    admin: bool = False

    def who(self) -> Who:
        return Who(self.platform, self.workspace_id, self.user_id, self.name, is_admin=self.admin)

    def to_json(self) -> dict[str, Any]:
        return {"p": self.platform, "w": self.workspace_id, "u": self.user_id, "n": self.name, "a": self.admin}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Identity:
        return cls(str(d["p"]), str(d["w"]), str(d["u"]), str(d.get("n", "")), bool(d.get("a")))


def identities() -> list[Identity]:
    try:
        return [Identity.from_json(d) for d in session.get("ids", [])]
    except (KeyError, TypeError):
        return []


def sign_in(ids: list[Identity]) -> None:
    """Start a fresh session (a new CSRF token too: no fixation) holding these identities."""
    nxt = session.get("next")
    session.clear()
    session.permanent = True
    session["ids"] = [i.to_json() for i in ids]
    session["csrf"] = secrets.token_urlsafe(32)
    if nxt:
        session["next"] = nxt


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Every POST carries the session's token in its form; anything else is refused (400)."""
    if request.method != "POST":
        return
    sent = request.form.get("csrf", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, "This form has expired — reload the page and try again.")


def safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return "/"
    return target


def member_of(ctx: Ctx, team_id: int) -> tuple[Team, Identity]:
    """The team and the signed-in person's identity in it, or 404."""
    for ident in identities():
        team = find_team(ctx, ident.platform, ident.workspace_id)
        if team is not None and team.id == team_id and team.removed_at is None:
            return team, ident
    abort(404)


def my_teams(ctx: Ctx) -> list[tuple[Team, Identity]]:
    out = []
    for ident in identities():
        team = find_team(ctx, ident.platform, ident.workspace_id)
        if team is not None and team.removed_at is None:
            out.append((team, ident))
    return out


def is_admin(ident: Identity) -> bool:
    return current_app.config["PRACTICE"].is_admin(ident.who())
