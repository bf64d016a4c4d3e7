"""SLA arithmetic and dates in an area's zone: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backend.escalations import sla

D_ROUTINE, D_URGENT = 24, 2


@pytest.mark.parametrize(
    ("urgency", "chain", "expected"),
    [
        ("routine", [], 24),
        ("urgent", [], 2),
        ("routine", [(None, None), (None, None)], 24),
        ("routine", [(None, None), (48, None)], 48),  # inherited from the regency
        ("urgent", [(None, None), (48, None)], 2),  # each kind inherits on its own
        ("urgent", [(None, 4), (None, 1)], 4),  # the nearest area wins
        ("routine", [(12, None), (48, 6)], 12),
        ("urgent", [(12, None), (48, 6)], 6),
        ("routine", [(0, None)], 0),  # 0 is a value, not "unset"
    ],
)
def test_sla_hours_inherit_from_the_nearest_area_that_sets_them(urgency, chain, expected):
    assert (
        sla.sla_hours(urgency=urgency, area_chain=chain, default_routine=D_ROUTINE, default_urgent=D_URGENT)
        == expected
    )


def test_an_offer_expires_sla_hours_after_it_was_made():
    at = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    assert sla.offer_expires_at(offered_at=at, hours=2) == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(("minutes_left", "expected"), [(90, 5400), (0, 0), (-30, 0)])
def test_seconds_left_is_never_negative(minutes_left, expected):
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert sla.seconds_left(now=now, expires_at=now + timedelta(minutes=minutes_left)) == expected


@pytest.mark.parametrize(
    ("utc_time", "tz", "expected"),
    [
        ("2026-12-10T16:59", "Asia/Jakarta", date(2026, 12, 10)),  # WIB 23:59
        ("2026-12-10T17:00", "Asia/Jakarta", date(2026, 12, 11)),  # WIB 00:00
        ("2026-12-10T15:59", "Asia/Makassar", date(2026, 12, 10)),  # WITA 23:59
        ("2026-12-10T16:00", "Asia/Makassar", date(2026, 12, 11)),  # WITA 00:00
        ("2026-12-10T14:59", "Asia/Jayapura", date(2026, 12, 10)),  # WIT 23:59
        ("2026-12-10T15:00", "Asia/Jayapura", date(2026, 12, 11)),  # WIT 00:00
        ("2026-12-31T17:30", "Asia/Jakarta", date(2027, 1, 1)),  # a new year in the zone first
    ],
)
def test_the_local_date_is_the_calendar_date_in_the_areas_zone(utc_time, tz, expected):
    instant = datetime.fromisoformat(utc_time).replace(tzinfo=UTC)
    assert sla.local_date(instant=instant, tz=tz) == expected


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        sla.local_date(instant=datetime(2026, 1, 1), tz="Asia/Jakarta")


def test_a_due_date_counts_calendar_days_in_the_zone():
    late_evening_wit = datetime(2026, 2, 27, 16, 0, tzinfo=UTC)  # 01:00 on the 28th in Jayapura
    assert sla.due_on(instant=late_evening_wit, tz="Asia/Jayapura", days_after=1) == date(2026, 3, 1)
    assert sla.due_on(instant=late_evening_wit, tz="Asia/Jakarta", days_after=1) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("due", "status", "expected"),
    [
        (date(2026, 12, 9), "open", True),
        (date(2026, 12, 10), "open", False),  # due today is not overdue yet
        (date(2026, 12, 11), "open", False),
        (date(2026, 12, 9), "done", False),
        (date(2026, 12, 9), "cancelled", False),
    ],
)
def test_overdue_means_open_and_due_before_today_in_the_zone(due, status, expected):
    now = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)
    assert sla.is_overdue(due=due, status=status, now=now, tz="Asia/Jakarta") is expected


def test_overdue_flips_at_local_midnight_not_utc_midnight():
    due = date(2026, 12, 10)
    before = datetime(2026, 12, 10, 14, 59, tzinfo=UTC)  # 23:59 WIT on the 10th
    after = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)  # 00:00 WIT on the 11th
    assert not sla.is_overdue(due=due, status="open", now=before, tz="Asia/Jayapura")
    assert sla.is_overdue(due=due, status="open", now=after, tz="Asia/Jayapura")


@pytest.mark.parametrize(("hours_ago", "expected"), [(None, False), (23, False), (24, False), (25, True)])
def test_an_appointment_is_missed_after_the_grace_period(hours_ago, expected):
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    at = None if hours_ago is None else now - timedelta(hours=hours_ago)
    assert sla.appointment_missed(appointment_at=at, now=now, grace_hours=24) is expected
