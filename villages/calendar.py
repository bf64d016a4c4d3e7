"""Calendar dates in an area's time zone, as pure functions (no ORM).

Indonesia has three zones (WIB, WITA, WIT). Due dates are calendar dates in the client's area: an appointment at
23:30 WIB on the 4th is due on the 4th, even though it is already the 5th in WITA and still the 4th in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo


def local_date(*, instant: datetime, tz: str) -> date:
    """The calendar date of `instant` in time zone `tz` (an aware datetime is required)."""
    if instant.tzinfo is None:
        raise ValueError("local_date needs an aware datetime")
    return instant.astimezone(ZoneInfo(tz)).date()


def due_on(*, instant: datetime, tz: str, days_after: int = 0) -> date:
    """A due date: the local date of `instant` in `tz`, plus `days_after` calendar days."""
    return local_date(instant=instant, tz=tz) + timedelta(days=days_after)


def is_overdue(*, due: date, status: str, now: datetime, tz: str) -> bool:
    """Open and due before today in the area's zone (a task due today is not overdue yet)."""
    return status == "open" and due < local_date(instant=now, tz=tz)
