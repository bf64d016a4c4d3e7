"""The report read from the roll-up (backend/reports/rollup.py) is the live report, exactly: every figure, measure,
hidden cell, series value and field worker's row, for areas at every level and several months, and still after
writes into a closed month (a late visit, a back-dated status change, a consent withdrawal, a late acceptance)
whether or not the refresh has run since.

"Live" is the report computed without the roll-up (rollup.usable answering False: the code before issue 11).
The world is conftest.py's October 2026; today is after it, so October is a closed month the build stores.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from backend.recovery.consents import consent_record
from backend.reports import rollup
from backend.reports.queries import monthly_report
from backend.reports.rollup_build import rollup_build, rollup_refresh
from backend.reports.selectors import report_spec_for
from backend.reports.series import monthly_series, worker_rows
from backend.tasks.models import Task
from tests.reports.conftest import accept, after_october, at, escalate, register, screening, transition, visit

pytestmark = pytest.mark.django_db

AREAS = ("62", "62.06", "62.06.02", "62.06.02.1003", "62.13", "52.71")
MONTHS = ("2026-09", "2026-10", "2026-11")


def everything(user: Any, area: str, month: str) -> dict[str, Any]:
    spec = report_spec_for(user=user, area=area, month=month)
    report = monthly_report(spec=spec)
    return {
        "rows": [asdict(r) for r in report.rows],
        "total": asdict(report.total),
        "series": monthly_series(spec=spec),
        "workers": [asdict(w) for w in worker_rows(spec=spec)],
    }


def live(monkeypatch: pytest.MonkeyPatch, user: Any, area: str, month: str) -> dict[str, Any]:
    with monkeypatch.context() as m:
        m.setattr(rollup, "usable", lambda spec: False)
        return everything(user, area, month)


def assert_same_as_live(monkeypatch: pytest.MonkeyPatch, users: list[Any]) -> None:
    for user in users:
        for area in AREAS:
            if area.startswith("52") and user.name.startswith("Koordinator BNNP"):
                continue  # outside the Kalteng coordinator's reach
            for month in MONTHS:
                got, expected = everything(user, area, month), live(monkeypatch, user, area, month)
                assert got == expected, (area, month)
                # The API's JSON byte for byte: the series' keys in the same order too.
                assert list(got["series"] or {}) == list(expected["series"] or {})


def october_is_read_from_the_rollup(user: Any, area: str = "62.06") -> bool:
    spec = report_spec_for(user=user, area=area, month="2026-10")
    return rollup.usable(spec) and date(2026, 10, 1) in rollup._frozen(spec, [date(2026, 10, 1)])


@pytest.fixture
def built(world):
    """The world, November's events, a September screening; the roll-up built as on 28 November 2026 (its 12
    closed months end with October), and the test run on that day."""
    after_october(world)
    screening(at(2026, 9, 21, 10), world.dedi, world.volunteer_tamiang, risk="high")
    tasks = [
        # (due, status, completed, created): on time, late, still open, and one the national set had: done in
        # October though created (bad data) after the month; the live report counts it, so must the roll-up.
        (date(2026, 10, 20), "done", at(2026, 10, 19, 10), at(2026, 10, 1, 9)),
        (date(2026, 10, 20), "done", at(2026, 10, 22, 10), at(2026, 10, 2, 9)),
        (date(2026, 10, 30), "open", None, at(2026, 9, 2, 9)),
        (date(2026, 10, 20), "done", at(2026, 10, 19, 11), at(2026, 11, 3, 9)),
    ]
    for i, (due, status, done, created) in enumerate(tasks):
        Task.objects.create(
            kind="follow_up_contact",
            client=world.citra,
            assignee=world.cast.volunteer_katingan,
            due_on=due,
            status=status,
            completed_at=done,
            rule_key=f"rollup-test-{i}",
            created_at=created,
        )
    with time_machine.travel(datetime(2026, 11, 28, 12, tzinfo=UTC)):
        assert rollup_build(months=12).ran
        yield world


def test_the_rollup_report_is_the_live_report_for_every_area_and_month(built, monkeypatch):
    c = built.cast
    assert october_is_read_from_the_rollup(c.system_admin)

    assert_same_as_live(monkeypatch, [c.system_admin, c.coordinator_kalteng])


def test_a_late_visit_into_a_closed_month_is_counted_before_and_after_the_refresh(built, monkeypatch):
    c = built.cast
    before = everything(c.system_admin, "62.06", "2026-10")["total"]["figures"]["visits"]

    # Synced today, it happened on 28 October (a phone offline for a month).
    visit(at(2026, 10, 28, 9), built.citra, c.volunteer_katingan)

    assert not october_is_read_from_the_rollup(c.system_admin)  # the village is marked stale: live
    assert everything(c.system_admin, "62.06", "2026-10")["total"]["figures"]["visits"] == before + 1
    assert_same_as_live(monkeypatch, [c.system_admin])
    rollup_refresh()
    assert october_is_read_from_the_rollup(c.system_admin)
    assert_same_as_live(monkeypatch, [c.system_admin, c.coordinator_kalteng])


def test_a_back_dated_status_change_a_late_registration_and_a_late_acceptance_are_counted(built, monkeypatch):
    c = built.cast
    transition(at(2026, 10, 26, 10), built.dedi, "dropped_out", c.coordinator_kalteng)
    fajar = register(at(2026, 9, 3, 9), built.volunteer_tamiang, "62.13.01.1012", "Fajar")
    esc = escalate(at(2026, 10, 29, 10), fajar, built.volunteer_tamiang)
    accept(at(2026, 10, 29, 11), esc)

    assert_same_as_live(monkeypatch, [c.system_admin])
    rollup_refresh()
    assert october_is_read_from_the_rollup(c.system_admin, "62.13")
    assert_same_as_live(monkeypatch, [c.system_admin, c.coordinator_kalteng])


def test_a_consent_withdrawal_is_counted(built, monkeypatch):
    c = built.cast
    with time_machine.travel(at(2026, 10, 21, 10)):
        consent_record(actor=c.volunteer_katingan, client=built.ani, scope="referral", given=False)
        consent_record(actor=c.volunteer_katingan, client=built.citra, scope="data_collection", given=False)

    assert_same_as_live(monkeypatch, [c.system_admin])
    rollup_refresh()
    assert_same_as_live(monkeypatch, [c.system_admin, c.coordinator_kalteng])
