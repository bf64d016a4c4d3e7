"""A facility admin's report: only the cases their facility took on, never one village, small counts hidden."""

from __future__ import annotations

import csv
import io

import pytest

from backend.escalations.models import Escalation, Offer
from backend.reports.figures import FIGURES
from backend.reports.suppression import SMALL_CELL_MAX
from tests.reports.conftest import at

pytestmark = pytest.mark.django_db

URL = "/reports/monthly"


def _escalation(client, *, offers, facility=None, referred_to=None, status="offered"):
    """An October escalation of `client` with offers given as (staff, facility, offer status)."""
    when = at(2026, 10, 10, 10)
    esc = Escalation.objects.create(
        client=client,
        need="counseling",
        urgency="routine",
        reason="uji",
        status=status,
        facility=facility,
        referred_to_facility=referred_to,
        created_at=when,
        updated_at=when,
    )
    for staff, fac, offer_status in offers:
        Offer.objects.create(
            escalation=esc,
            staff=staff,
            facility=fac,
            distance_km=2.5,
            status=offer_status,
            expires_at=at(2026, 10, 11, 10),
            answered_at=when if offer_status != "pending" else None,
        )
    return esc


def _facility_total(api, world, **params):
    c = world.cast
    res = api.as_(c.facility_admin_kasongan).get(
        URL, facility=str(c.pkm_kasongan.id), month="2026-10", **params
    )
    assert res.status_code == 200, res.content
    return res.json()["total"]["figures"]


def test_a_facility_report_leaves_out_clients_the_facility_only_declined_let_expire_or_was_referred(
    api, world
):
    """Leak: any offer to the facility, whatever its status, put the client in the facility's figures, so a
    facility admin learnt of clients (screenings, status) their facility had declined or never answered."""
    c = world.cast
    before = _facility_total(api, world)
    _escalation(
        world.budi,
        offers=[
            (c.counselor_near, c.pkm_kasongan, "declined"),
            (c.assessor_expired, c.pkm_kasongan, "expired"),
            (c.counselor_far, c.pkm_tamiang, "pending"),
        ],
    )
    _escalation(world.dedi, offers=[], referred_to=c.pkm_kasongan)

    assert _facility_total(api, world) == before


def test_a_facility_report_counts_an_offer_its_staff_accepted(api, world):
    c = world.cast
    before = _facility_total(api, world)
    _escalation(world.budi, offers=[(c.counselor_near, c.pkm_kasongan, "accepted")], status="accepted")

    after = _facility_total(api, world)
    assert after["escalations_created"] == before["escalations_created"] + 1
    assert after["clients_lost_contact"] == before["clients_lost_contact"] + 1  # budi, lost in October


def test_a_facility_admin_cannot_narrow_their_report_to_one_village(api, world):
    """Leak: a facility admin could ask for their facility's cases in a single village, down to one person."""
    c = world.cast
    res = api.as_(c.facility_admin_kasongan).get(
        URL, facility=str(c.pkm_kasongan.id), area="62.06.02.1003", month="2026-10"
    )

    assert res.status_code == 422
    detail = res.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("area", "area_too_small")


def test_a_coordinator_still_gets_a_facilitys_cases_in_one_village_of_their_area(api, world):
    c = world.cast
    res = api.as_(c.coordinator_katingan).get(
        URL, facility=str(c.pkm_kasongan.id), area="62.06.02.1003", month="2026-10"
    )

    assert (
        res.status_code == 200
    )  # no area_too_small for a coordinator; the village's small counts are hidden
    assert res.json()["total"]["hidden"]["escalations_created"] == "<5"


def test_a_facility_admins_report_by_village_hides_counts_of_one_to_four(api, world):
    """Leak: a district report lists villages; a facility's handful of cases in one village points at people,
    so counts 1..4 are null with `suppressed`. The total is shown (it is the district's row of the regency
    report anyway); complementary suppression keeps it from giving the small ones back."""
    c = world.cast
    user = api.as_(c.facility_admin_kasongan)
    res = user.get(URL, facility=str(c.pkm_kasongan.id), area="62.06.02", month="2026-10")

    assert res.status_code == 200
    body = res.json()
    rows = {r["code"]: r for r in body["rows"]}
    kasongan = rows["62.06.02.1003"]  # ani's village
    assert kasongan["suppressed"] is True
    assert kasongan["figures"]["escalations_created"] is None
    assert kasongan["figures"]["visits"] is None
    assert kasongan["figures"]["clients_dropped_out"] == 0  # zero is no one: shown
    assert rows["62.06.02.2005"]["suppressed"] is False
    assert body["total"]["suppressed"] is False
    assert body["total"]["figures"]["escalations_created"] == 1
    # One village with the case: nothing else to hide beside it, so every non-zero cell of the column is hidden.
    assert kasongan["hidden"]["escalations_created"] == "<5"
    assert all(0 == v or v is None or v > SMALL_CELL_MAX for r in body["rows"] for v in r["figures"].values())

    download = user.get(URL, facility=str(c.pkm_kasongan.id), area="62.06.02", month="2026-10", format="csv")
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    kasongan_line = next(line for line in lines if line[0] == "62.06.02.1003")
    assert kasongan_line[2 + FIGURES.index("escalations_created")] == "<5"


def test_a_system_admins_report_by_village_shows_every_count(api, world):
    res = api.as_(world.cast.system_admin).get(URL, area="62.06.02", month="2026-10")

    rows = {r["code"]: r for r in res.json()["rows"]}
    assert rows["62.06.02.1003"]["suppressed"] is False
    assert rows["62.06.02.1003"]["figures"]["clients_active"] == 2
