"""Storage: SQLModel tables, the engine, sessions and Alembic migrations."""
from bot.store.db import Database, normalize_url  # noqa: F401
