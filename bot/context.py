"""What every use case works with: one database session (one transaction), the clock, the content."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.content import Library
from bot.ports import Clock


class UserError(Exception):
    """Something the person can fix; its message is shown to them as one sentence."""


@dataclass
class Ctx:
    session: Session
    clock: Clock
    library: Library
    public_url: str = ""  # where the web home is served (SENSEBOT_PUBLIC_URL); links in chat point there

    def now(self) -> datetime:
        return self.clock.now()
