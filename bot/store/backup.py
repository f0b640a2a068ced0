"""`sensebot db backup PATH`: a consistent copy of the SQLite database while the bot runs.

SQLite's online backup API copies pages under a read transaction, so writers carry on
and the copy is a snapshot of one moment. PostgreSQL has pg_dump for this.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.config import ConfigError
from bot.store.db import Database


def backup(db: Database, target: Path) -> str:
    if not db.is_sqlite:
        raise ConfigError(["db backup copies SQLite databases; for PostgreSQL use pg_dump."])
    source = db.engine.url.database
    if not source or source == ":memory:":
        raise ConfigError(["There is no database file to back up (in-memory database)."])
    if target.exists():
        raise ConfigError([f"{target} already exists — choose a new file name so nothing is overwritten."])
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return f"Backed up {source} to {target} ({target.stat().st_size:,} bytes)."
