"""Time arithmetic of escalations, as pure functions (no ORM): SLA hours per area and offer expiry. Calendar
dates in an area's time zone are villages.calendar's.

Area knobs are inherited: a village takes the nearest ancestor (district, regency, province) that sets a value,
and settings' default when none does. Due dates are calendar dates in the client's area (WIB, WITA or WIT):
an appointment at 23:30 WIB on the 4th is due on the 4th, even though it is already the 5th in WITA and still
the 4th in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from villages.calendar import due_on, is_overdue, local_date

__all__ = ["due_on", "is_overdue", "local_date"]  # the area calendar, re-exported for the SLA arithmetic

URGENT = "urgent"


def inherited(values_nearest_first: Iterable[int | None], default: int) -> int:
    """The first value an area or its nearest ancestor sets, else `default`."""
    for value in values_nearest_first:
        if value is not None:
            return value
    return default


def sla_hours(
    *,
    urgency: str,
    area_chain: Iterable[tuple[int | None, int | None]],
    default_routine: int,
    default_urgent: int,
) -> int:
    """Hours an offer stays open. `area_chain` holds (routine, urgent) per area, the client's village first.

    Each kind inherits on its own: a regency may set only the urgent SLA and keep the national routine one.
    """
    chain = list(area_chain)
    if urgency == URGENT:
        return inherited((urgent for _, urgent in chain), default_urgent)
    return inherited((routine for routine, _ in chain), default_routine)


def offer_expires_at(*, offered_at: datetime, hours: int) -> datetime:
    return offered_at + timedelta(hours=hours)


def seconds_left(*, now: datetime, expires_at: datetime) -> int:
    """Whole seconds until expiry, never negative (a push TTL)."""
    return max(0, int((expires_at - now).total_seconds()))


def appointment_missed(*, appointment_at: datetime | None, now: datetime, grace_hours: int) -> bool:
    """An appointment passed more than `grace_hours` ago (and, for the caller, no outcome was recorded)."""
    return appointment_at is not None and now - appointment_at > timedelta(hours=grace_hours)
