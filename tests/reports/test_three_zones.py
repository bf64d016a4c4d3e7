"""The report's month is the calendar month in the area's own time zone: the same events, placed minutes either
side of midnight between 31 October and 1 November *local time*, in Katingan (WIB, UTC+7), Mataram (WITA, UTC+8)
and Jayapura (WIT, UTC+9). 00:30 on 1 November in Jayapura is 15:30 UTC on 31 October, still October in UTC and
in WIB: a report that cut months in UTC or in WIB would count it in October.

The right answers below were worked out by hand from the story in `zones` (the same story in every zone), not
from the code. Small-number suppression is then checked for each role on the district report of Katingan.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.accounts.models import Role
from backend.common.errors import PermissionDenied
from backend.escalations.models import Escalation
from backend.recovery.models import ContactAttempt, Screening, Visit
from backend.reports.figures import FIGURES
from backend.reports.queries import monthly_report
from backend.reports.selectors import report_spec_for
from tests.cast import make_user, region
from tests.reports.conftest import register, transition
from villages.models import RegionLevel, TimeZoneName

pytestmark = pytest.mark.django_db

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")


def local(tz: ZoneInfo, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=tz)


def _story(tz: ZoneInfo, village: str, volunteer, facility=None) -> SimpleNamespace:
    """One zone's month boundary (times are local):
    - c1 registered 15 Sep (active on 1 Oct). Screened 31 Oct 22:00 (high: amphetamines high, cannabis moderate,
      tobacco low). Escalated for assessment 31 Oct 22:00, accepted 1 Nov 02:00 (4 h). Lost contact 31 Oct
      23:00; contact attempt 23:45 no answer; phone-call visit 23:59; home visit 1 Nov 00:01; attempt 00:15
      reached; back in community recovery 1 Nov 02:00.
    - c2 registered 31 Oct 23:30; escalated for counseling 31 Oct 21:00 (sic: a case may be entered before the
      client record syncs; the report reads the times), accepted 23:30 (2.5 h); screened 1 Nov 00:05 (moderate,
      cannabis moderate).
    - c3 registered 1 Nov 00:30.
    """
    s = SimpleNamespace()
    s.c1 = register(local(tz, 9, 15, 9), volunteer, village, "Satu")
    s.c2 = register(local(tz, 10, 31, 23, 30), volunteer, village, "Dua")
    s.c3 = register(local(tz, 11, 1, 0, 30), volunteer, village, "Tiga")
    Screening.objects.create(
        client=s.c1,
        screened_by=volunteer,
        screened_at=local(tz, 10, 31, 22),
        answers={},
        scores={
            "amphetamines": {"risk": "high"},
            "cannabis": {"risk": "moderate"},
            "tobacco": {"risk": "low"},
        },
        highest_risk="high",
    )
    Screening.objects.create(
        client=s.c2,
        screened_by=volunteer,
        screened_at=local(tz, 11, 1, 0, 5),
        answers={},
        scores={"cannabis": {"risk": "moderate"}},
        highest_risk="moderate",
    )
    for client, need, created, accepted in (
        (s.c1, "assessment", local(tz, 10, 31, 22), local(tz, 11, 1, 2)),
        (s.c2, "counseling", local(tz, 10, 31, 21), local(tz, 10, 31, 23, 30)),
    ):
        Escalation.objects.create(
            client=client,
            need=need,
            status="accepted",
            created_at=created,
            accepted_at=accepted,
            facility=facility,
        )
    transition(local(tz, 10, 31, 23), s.c1, "lost_contact", volunteer)
    for when, result in ((local(tz, 10, 31, 23, 45), "no_answer"), (local(tz, 11, 1, 0, 15), "reached")):
        ContactAttempt.objects.create(
            id=uuid.uuid4(),
            client=s.c1,
            logged_by=volunteer,
            occurred_at=when,
            channel="phone_call",
            result=result,
            payload_hash="-",
        )
    for when, kind in ((local(tz, 10, 31, 23, 59), "phone_call"), (local(tz, 11, 1, 0, 1), "home_visit")):
        with time_machine.travel(when):
            Visit.objects.create(
                id=uuid.uuid4(), client=s.c1, logged_by=volunteer, occurred_at=when, type=kind
            )
    transition(local(tz, 11, 1, 2), s.c1, "community_recovery", volunteer)
    return s


@pytest.fixture
def zones(cast):
    region("91", RegionLevel.PROVINCE, "Papua", None, -2.53, 140.70, TimeZoneName.WIT)
    region("91.71", RegionLevel.REGENCY, "Kota Jayapura", "91", -2.53, 140.70, TimeZoneName.WIT)
    region("91.71.01", RegionLevel.DISTRICT, "Distrik Uji", "91.71", -2.54, 140.71, TimeZoneName.WIT)
    region("91.71.01.1001", RegionLevel.VILLAGE, "Kampung Uji", "91.71.01", -2.55, 140.72, TimeZoneName.WIT)
    volunteer_papua = make_user("081200000071", "Kader Uji Papua", (Role.VOLUNTEER, "91.71.01.1001", None))
    z = SimpleNamespace(cast=cast)
    z.coordinator_jayapura = make_user(
        "081200000072", "Koordinator Uji Jayapura", (Role.COORDINATOR, "91.71", None)
    )
    z.wib = _story(WIB, "62.06.02.1003", cast.volunteer_katingan, facility=cast.pkm_kasongan)
    z.wita = _story(WITA, "52.71.01.1004", cast.volunteer_mataram)
    z.wit = _story(WIT, "91.71.01.1001", volunteer_papua)
    return z


def expected(**nonzero: int) -> dict[str, int]:
    return {k: nonzero.get(k, 0) for k in FIGURES}


OCTOBER = expected(
    clients_registered=1,  # c2 (c3 came at 00:30 on 1 Nov)
    clients_active_start=1,  # c1
    clients_active=1,  # c2; c1 lost contact at 23:00
    screenings=1,
    screenings_high_risk=1,
    screenings_substance_amphetamines=1,
    screenings_substance_cannabis=1,  # tobacco was low: not counted
    visits=1,
    visits_phone_call=1,
    clients_visited=1,
    contact_attempts=1,
    contact_attempts_no_answer=1,
    escalations_created=2,
    escalations_accepted=1,  # c2's at 23:30
    escalations_waiting=1,  # c1's, accepted at 02:00 on 1 Nov
    clients_lost_contact=1,
)
OCTOBER_MEASURES = {"acceptance_hours_median": 2.5, "acceptance_hours_p90": 2.5, "dropout_rate": 50.0}

NOVEMBER = expected(
    clients_registered=1,  # c3
    clients_active_start=1,  # c2 (c1 was lost contact on 1 Nov 00:00)
    clients_active=3,
    clients_community_recovery=1,  # c1, back
    screenings=1,
    screenings_risk_moderate=1,
    screenings_substance_cannabis=1,
    visits=1,
    visits_home_visit=1,
    clients_visited=1,
    # c2: registered 23:30 on 31 Oct, before the 30 days ending 1 Dec 00:00, and never visited.
    clients_without_visit_30d=1,
    contact_attempts=1,
    contact_attempts_reached=1,
    clients_recontacted=1,
    escalations_accepted=1,
)
NOVEMBER_MEASURES = {"acceptance_hours_median": 4.0, "acceptance_hours_p90": 4.0, "dropout_rate": 0.0}


@pytest.mark.parametrize("area", ["62.06", "52.71", "91.71"], ids=["WIB", "WITA", "WIT"])
@pytest.mark.parametrize(
    ("month", "figures", "measures"),
    [("2026-10", OCTOBER, OCTOBER_MEASURES), ("2026-11", NOVEMBER, NOVEMBER_MEASURES)],
    ids=["october", "november"],
)
def test_each_zone_cuts_the_month_at_its_own_midnight(zones, area, month, figures, measures):
    r = monthly_report(spec=report_spec_for(user=zones.cast.system_admin, area=area, month=month))

    assert r.total.figures == figures
    assert r.total.measures == measures


def test_a_coordinator_gets_the_same_regency_figures_as_the_system_admin(zones):
    """Regency rows are districts: nothing is hidden from the coordinator there."""
    r = monthly_report(spec=report_spec_for(user=zones.coordinator_jayapura, area="91.71", month="2026-10"))

    assert r.total.figures == OCTOBER
    assert not r.rows[0].hidden


# --- Suppression, role by role, on the district report of Katingan Hilir (rows: villages) ------------------------


def _village_row(user, **extra):
    spec = report_spec_for(user=user, area="62.06.02", month="2026-10", **extra)
    return next(r for r in monthly_report(spec=spec).rows if r.code == "62.06.02.1003")


@pytest.mark.parametrize("who", ["coordinator_katingan", "coordinator_kalteng"])
def test_coordinators_see_small_village_counts_as_less_than_five(zones, who):
    row = _village_row(getattr(zones.cast, who))

    assert row.hidden["clients_registered"] == "<5"
    assert row.figures["clients_registered"] is None
    assert row.figures["clients_recontacted"] == 0  # zero is no one: shown
    assert row.measures["acceptance_hours_median"] is None  # the time of the one case accepted
    assert row.measures["dropout_rate"] is None


def test_a_facility_admin_sees_small_village_counts_as_less_than_five(zones):
    c = zones.cast
    row = _village_row(c.facility_admin_kasongan, facility_id=str(c.pkm_kasongan.id))

    assert row.hidden["escalations_created"] == "<5"
    assert row.figures["escalations_created"] is None


def test_the_system_admin_sees_every_count(zones):
    row = _village_row(zones.cast.system_admin)

    assert not row.hidden
    assert row.figures == OCTOBER
    assert row.measures == OCTOBER_MEASURES


@pytest.mark.parametrize("who", ["volunteer_katingan", "official_katingan", "counselor_near"])
def test_roles_without_reports_get_none(zones, who):
    with pytest.raises(PermissionDenied):
        report_spec_for(user=getattr(zones.cast, who), area="62.06.02", month="2026-10")
