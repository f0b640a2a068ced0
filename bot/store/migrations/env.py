"""Alembic environment: runs against the engine sensebot hands it (or SENSEBOT_DATABASE_URL)."""
from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    engine = config.attributes.get("connection_engine")
    if engine is None:
        from bot.store.db import Database

        engine = Database(os.environ.get("SENSEBOT_DATABASE_URL", "sqlite:///sensebot.db")).engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
