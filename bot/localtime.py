"""Local calendar rules: parsing team times and zones, and turning local wall time into UTC.

All times are stored in UTC; a team's day is computed in its zone with zoneinfo.
Wall times that do not exist (the skipped hour of a spring DST change) move forward
to the first instant that does; ambiguous ones (the repeated autumn hour) take the
first occurrence. One place for those rules, so the scheduler and streaks agree.
"""
from __future__ import annotations

import difflib
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def parse_timezone(name: str) -> ZoneInfo:
    """Return the zone, or raise ValueError with a sentence suggesting the closest name."""
    name = (name or "").strip()
    if name and name in _zone_names():
        return ZoneInfo(name)
    try:
        if name and "/" not in name.strip("/") and name.upper() == "UTC":
            return ZoneInfo("UTC")
    except ZoneInfoNotFoundError:  # pragma: no cover - tzdata always has UTC
        pass
    lowered = {z.lower(): z for z in _zone_names()}
    if name.lower() in lowered:
        return ZoneInfo(lowered[name.lower()])
    close = difflib.get_close_matches(name, _zone_names(), n=1, cutoff=0.6)
    hint = f" — did you mean {close[0]}?" if close else " — use an IANA name such as Europe/Berlin or America/New_York."
    raise ValueError(f"Timezone '{name}' is unknown{hint}")


_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_hhmm(text: str) -> time:
    """'9:30' or '09:30' -> time(9, 30); anything else raises ValueError with a sentence."""
    m = _HHMM.match((text or "").strip())
    if not m:
        raise ValueError(f"Time '{text}' is not a 24-hour HH:MM time such as 09:00 or 17:30.")
    return time(int(m.group(1)), int(m.group(2)))


def parse_weekdays(text: str) -> tuple[int, ...]:
    """'mon-fri', 'mon,wed,fri' or 'mon-sun' -> weekday numbers (Monday is 0)."""
    days: set[int] = set()
    for part in (text or "").lower().replace(" ", "").split(","):
        if not part:
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            if a[:3] not in WEEKDAYS or b[:3] not in WEEKDAYS:
                raise ValueError(f"Weekdays '{text}' should look like mon-fri or mon,wed,fri.")
            i, j = WEEKDAYS.index(a[:3]), WEEKDAYS.index(b[:3])
            days.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(j + 1)])
        elif part[:3] in WEEKDAYS:
            days.add(WEEKDAYS.index(part[:3]))
        else:
            raise ValueError(f"Weekdays '{text}' should look like mon-fri or mon,wed,fri.")
    if not days:
        raise ValueError("Pick at least one practice weekday, e.g. mon-fri.")
    return tuple(sorted(days))


def format_weekdays(days: tuple[int, ...] | list[int]) -> str:
    return ",".join(WEEKDAYS[d] for d in sorted(days))


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ValueError(f"Date '{text}' should be written YYYY-MM-DD, e.g. 2026-12-24.") from None


def local_wall_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of wall time `at` on `day` in `zone`.

    A wall time inside a spring-forward gap does not exist; it is moved forward by
    the gap, so a 02:30 practice on 2026-03-29 in Berlin runs at 03:30 local.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    roundtrip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if roundtrip != naive:  # in the gap: fold=0 maps through the earlier offset
        later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        earlier = first.astimezone(UTC)
        return max(later, earlier)
    return first.astimezone(UTC)


def local_date(at: datetime, zone: ZoneInfo) -> date:
    """The calendar date of the UTC instant `at` in `zone`."""
    return at.astimezone(zone).date()


def as_utc(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
