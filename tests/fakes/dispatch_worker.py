"""A dispatcher process for the crash and multi-process tests: drains the outbox into a Sink.

    python -m tests.fakes.dispatch_worker DB_URL SINK_URL WORKER_NAME [LEASE_SECONDS]
"""
import random
import sys
from datetime import timedelta

from sqlmodel import func, select

from bot.clock import SystemClock
from bot.outbox import Dispatcher
from bot.store.db import Database
from bot.store.models import OutboxRow
from tests.fakes.sink import SinkPort


def main() -> int:
    url, sink, name = sys.argv[1:4]
    lease = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
    db = Database(url)
    d = Dispatcher(db, SystemClock(), {"test": SinkPort(sink)}, worker=name, rng=random.Random(name),
                   lease=timedelta(seconds=lease))
    while True:
        d.drain(limit=20)
        with db.session() as s:
            left = s.exec(select(func.count(OutboxRow.id)).where(OutboxRow.status == "pending")).one()
        if not left:
            return 0


if __name__ == "__main__":
    sys.exit(main())
