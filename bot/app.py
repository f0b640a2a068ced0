"""Composition: settings -> database (migrated) -> content -> the core. Adapters start from here."""
from __future__ import annotations

from dataclasses import dataclass

from bot import content
from bot.clock import SystemClock
from bot.config import Settings
from bot.content import Library
from bot.ports import Clock
from bot.practice import Practice
from bot.store.db import Database


@dataclass
class App:
    settings: Settings
    db: Database
    library: Library
    practice: Practice


def build(settings: Settings, clock: Clock | None = None, *, command_prefix: str = "", migrate: bool = True) -> App:
    db = Database(settings.database_url)
    if migrate:
        db.upgrade()
    library = content.load(settings.content_dirs)
    practice = Practice(db, clock or SystemClock(), library, default_tz=settings.timezone,
                        admins=settings.admins, command_prefix=command_prefix, public_url=settings.public_url)
    return App(settings, db, library, practice)
