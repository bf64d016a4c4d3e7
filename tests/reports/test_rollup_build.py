"""Building the roll-up (backend/reports/rollup_build.py): idempotent, incremental, refreshing what the triggers
marked stale and only that, and never two builds at once (the advisory lock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from backend.reports.models import RollupMonth, RollupStale, VillageMonth, WorkerMonth
from backend.reports.rollup_build import LOCK_KEY, _clear_marks, rollup_build, rollup_refresh
from tests.reports.conftest import at, visit

pytestmark = pytest.mark.django_db

NOV_28 = datetime(2026, 11, 28, 12, tzinfo=UTC)


def rows() -> list[tuple]:
    vm = sorted(
        VillageMonth.objects.values_list(
            "village_code", "month", "visits", "clients_active", "acceptance_hours"
        )
    )
    wm = sorted(WorkerMonth.objects.values_list("village_code", "month", "user_id", "visits", "tasks_open"))
    return [*vm, *wm]


@pytest.fixture
def built(world):
    with time_machine.travel(NOV_28):
        rollup_build(months=12)
        yield world


def test_the_build_stores_the_closed_months_of_every_time_zone(built):
    months = set(RollupMonth.objects.values_list("timezone", "month"))
    assert ("Asia/Jakarta", date(2026, 10, 1)) in months
    assert ("Asia/Makassar", date(2025, 11, 1)) in months
    assert ("Asia/Jakarta", date(2026, 11, 1)) not in months  # the current month is never stored
    assert VillageMonth.objects.get(village_code="62.13.01.1012", month=date(2026, 10, 1)).visits == 2


def test_the_build_is_idempotent(built):
    first = rows()

    assert rollup_build(months=12).months == 0  # nothing new to build
    assert rows() == first
    again = rollup_build(months=12, rebuild=True)
    assert again.ran and again.months == RollupMonth.objects.count()
    assert rows() == first


def test_a_new_closed_month_is_built_and_the_oldest_dropped(built):
    with time_machine.travel(NOV_28 + timedelta(days=5)):  # December: November has closed
        run = rollup_build(months=12)

    assert run.months == RollupMonth.objects.values("timezone").distinct().count()  # one per time zone
    assert ("Asia/Jakarta", date(2026, 11, 1)) in set(RollupMonth.objects.values_list("timezone", "month"))
    assert not RollupMonth.objects.filter(month=date(2025, 11, 1)).exists()


def test_a_late_write_marks_its_village_from_its_month_and_the_refresh_rebuilds_it(built):
    before = VillageMonth.objects.get(village_code="62.06.02.1003", month=date(2026, 10, 1)).visits

    visit(at(2026, 10, 28, 9), built.citra, built.cast.volunteer_katingan)

    mark = RollupStale.objects.get()
    assert (mark.village_code, mark.since) == ("62.06.02.1003", date(2026, 10, 1))
    run = rollup_refresh()
    assert (run.villages, RollupStale.objects.count()) == (1, 0)
    assert (
        VillageMonth.objects.get(village_code="62.06.02.1003", month=date(2026, 10, 1)).visits == before + 1
    )


def test_a_write_in_the_databases_current_month_marks_nothing(world):
    RollupStale.objects.all().delete()  # the world's own October writes marked their villages

    visit(timezone.now() - timedelta(minutes=1), world.citra, world.cast.volunteer_katingan)

    assert not RollupStale.objects.exists()


def test_a_mark_renewed_during_a_refresh_is_kept(built):
    visit(at(2026, 10, 28, 9), built.citra, built.cast.volunteer_katingan)
    seen = list(RollupStale.objects.values_list("village_code", "since", "gen"))
    visit(at(2026, 10, 29, 9), built.citra, built.cast.volunteer_katingan)  # a write after the refresh read

    _clear_marks(seen)

    assert RollupStale.objects.filter(village_code="62.06.02.1003").exists()


def test_a_second_build_while_one_holds_the_lock_does_nothing(world):
    # Not after `built`: its build holds the lock until the end of the test's transaction.
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            assert not rollup_build(months=12, rebuild=True).ran
            assert not rollup_refresh().ran
        finally:
            other.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    assert rollup_refresh().ran


def test_the_command_builds_and_says_what_it_did(world, capsys):
    with time_machine.travel(NOV_28):
        call_command("report_rollup", "--months", "2")
    assert "village-month rows written" in capsys.readouterr().out
    assert set(RollupMonth.objects.values_list("month", flat=True)) == {date(2026, 9, 1), date(2026, 10, 1)}
