"""A client entering post-rehab gets the area's support schedule; the area's post-rehab places are counted
against the year's quota (GET /reports/post-rehab-quota)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backend.recovery.transitions import client_transition
from backend.tasks.models import AreaTaskSettings, PostRehabQuota, Task
from tests.escalations.conftest import make_client

pytestmark = pytest.mark.django_db

NOON_WIB = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)


def enter_post_rehab(client, actor) -> None:  # type: ignore[no-untyped-def]
    client_transition(client_id=client.id, to_status="post_rehab", actor=actor, reason="test")


def inpatient(cast):  # type: ignore[no-untyped-def]
    v = cast.volunteer_katingan
    return make_client(cast.kasongan_baru, v, volunteers=(v,), status="inpatient")


def test_the_default_schedule_is_7_30_and_90_days_the_first_visit_first(cast, time_machine):
    time_machine.move_to(NOON_WIB, tick=False)
    client = inpatient(cast)
    enter_post_rehab(client, cast.coordinator_katingan)
    tasks = Task.objects.filter(client=client, kind="post_rehab_visit").order_by("due_on")
    start = date(2026, 6, 1)
    assert [t.due_on for t in tasks] == [start + timedelta(days=d) for d in (7, 30, 90)]
    assert [t.priority for t in tasks] == [80, 70, 70]


def test_an_area_sets_its_own_schedule_and_the_nearest_area_wins(cast, time_machine):
    time_machine.move_to(NOON_WIB, tick=False)
    AreaTaskSettings.objects.create(region_id="62", post_rehab_visit_days=[5, 10])
    AreaTaskSettings.objects.create(
        region_id="62.06", post_rehab_visit_days=[3, 14, 60], daily_followup_cap=2
    )
    client = inpatient(cast)
    enter_post_rehab(client, cast.coordinator_katingan)
    dues = sorted(Task.objects.filter(client=client).values_list("due_on", flat=True))
    assert dues == [date(2026, 6, 1) + timedelta(days=d) for d in (3, 14, 60)]


def test_the_schedule_setting_applies_where_no_area_sets_one(cast, time_machine, settings):
    settings.TASKS_POST_REHAB_VISIT_DAYS = (14,)
    time_machine.move_to(NOON_WIB, tick=False)
    client = inpatient(cast)
    enter_post_rehab(client, cast.coordinator_katingan)
    assert list(Task.objects.filter(client=client).values_list("due_on", flat=True)) == [date(2026, 6, 15)]


def test_the_quota_counts_each_client_entering_post_rehab_that_year_once(api, cast, time_machine):
    PostRehabQuota.objects.create(region_id="62.06", year=2026, places=2)
    time_machine.move_to(datetime(2025, 12, 31, 16, 30, tzinfo=UTC), tick=False)  # 23:30 WIB: still 2025
    last_year = inpatient(cast)
    enter_post_rehab(last_year, cast.coordinator_katingan)
    time_machine.move_to(datetime(2025, 12, 31, 17, 30, tzinfo=UTC), tick=False)  # 00:30 WIB, 1 January 2026
    twice, once, third = inpatient(cast), inpatient(cast), inpatient(cast)
    for client in (twice, once, third):
        enter_post_rehab(client, cast.coordinator_katingan)
    for status in ("escalated", "inpatient"):  # a relapse, treatment again
        client_transition(client_id=twice.id, to_status=status, actor=cast.coordinator_katingan)
    enter_post_rehab(twice, cast.coordinator_katingan)  # a second entry takes no second place
    time_machine.move_to(NOON_WIB, tick=False)

    body = api.as_(cast.coordinator_katingan).get("/reports/post-rehab-quota", area="62.06", year=2026).json()
    assert body == {"area": "62.06", "year": 2026, "places": 2, "used": 3, "remaining": -1, "over": True}
    province = api.as_(cast.coordinator_kalteng).get("/reports/post-rehab-quota", area="62", year=2025).json()
    assert (province["places"], province["used"], province["remaining"]) == (None, 1, None)


def test_the_quota_is_read_as_the_monthly_report_is(api, cast):
    assert (
        api.as_(cast.coordinator_mataram)
        .get("/reports/post-rehab-quota", area="62.06", year=2026)
        .status_code
        == 404
    )
    assert (
        api.as_(cast.volunteer_katingan).get("/reports/post-rehab-quota", area="62.06", year=2026).status_code
        == 403
    )
