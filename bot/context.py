"""What every use case works with: one database session (one transaction), the clock, the content."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.content import Library
from bot.ports import Clock


class UserError(Exception):
    """Something the person can fix; its message is shown to them as one sentence.

    The transaction is rolled back, so nothing is half-written — unless `keep` is set: then
    what the use case recorded before refusing (a drill found expired) is committed. `echo`
    is text of theirs that was not saved, shown back to them so nothing they wrote is lost.
    """

    def __init__(self, message: str, *, keep: bool = False, echo: str = ""):
        super().__init__(message)
        self.keep = keep
        self.echo = echo


@dataclass
class Ctx:
    session: Session
    clock: Clock
    library: Library
    public_url: str = ""  # where the web home is served (SENSEBOT_PUBLIC_URL); links in chat point there

    def now(self) -> datetime:
        return self.clock.now()
