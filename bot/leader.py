"""One scheduler leader among several processes sharing a database.

PostgreSQL: a session-level advisory lock held on a dedicated connection; when the
leader dies its connection closes and the lock is free for the next process to take.
SQLite: a lease row renewed on every check; a leader that stops renewing loses it once
the lease runs out. Either way, correctness does not depend on this: every step is
recorded once, so a second runner posts nothing twice — leadership only saves work.
"""
from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import select

from bot.ports import Clock
from bot.store.db import Database
from bot.store.models import Lease

log = logging.getLogger(__name__)

LOCK_KEY = 0x5E45E_B07  # an arbitrary, stable advisory-lock key for the scheduler
LEASE = timedelta(seconds=90)


class Leader:
    def __init__(self, db: Database, clock: Clock, name: str = "scheduler", holder: str | None = None):
        self.db, self.clock, self.name = db, clock, name
        self.holder = holder or uuid.uuid4().hex[:12]
        self._conn = None
        self.is_leader = False

    def check(self) -> bool:
        """Take or keep leadership; returns whether this process leads now."""
        was = self.is_leader
        self.is_leader = self._check_pg() if not self.db.is_sqlite else self._check_lease()
        if self.is_leader != was:
            log.info("scheduler leadership %s (%s)", "taken" if self.is_leader else "lost", self.holder)
        return self.is_leader

    def _check_pg(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self.db.engine.connect()
            if self.is_leader:
                self._conn.execute(text("SELECT 1"))
                return True
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
            self._conn.commit()
            return bool(got)
        except Exception:
            log.warning("lost the database connection holding scheduler leadership")
            self.release()
            return False

    def _check_lease(self) -> bool:
        now = self.clock.now()
        try:
            with self.db.transaction() as s:
                lease = s.exec(select(Lease).where(Lease.name == self.name)).first()
                if lease is None:
                    s.add(Lease(name=self.name, holder=self.holder, expires_at=now + LEASE))
                    return True
                if lease.holder == self.holder or lease.expires_at < now:
                    lease.holder, lease.expires_at = self.holder, now + LEASE
                    return True
                return False
        except Exception:
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                pass
            self._conn = None
        elif self.is_leader and self.db.is_sqlite:
            with self.db.transaction() as s:
                lease = s.get(Lease, self.name)
                if lease is not None and lease.holder == self.holder:
                    s.delete(lease)
        self.is_leader = False
