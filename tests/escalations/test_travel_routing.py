"""Routing by the way people travel, through the API: own catchment first, then least travel time over roads,
ferries and rivers, the IPWL service level, facility capacity, and the coordinator when nobody is reachable.

The world is tests/travel/river.py over tests/fixtures/osm/river_katingan.osm: Desa Barat's straight-line nearest
puskesmas (Seberang, 5.6 km) is across a river with no bridge, an hour away by road and ferry; Puskesmas Hulu is
7.9 km away by road (about 25 minutes with the walk to and from the road).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.accounts.models import CertificateKind, Role
from backend.escalations.models import Escalation, EscalationStatus
from tests.cast import certify, make_user
from tests.escalations.conftest import make_client
from tests.travel.river import River, river_network_load, river_world
from villages.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def river(cast) -> River:  # type: ignore[no-untyped-def]
    return river_world()


@pytest.fixture
def staff(river: River) -> dict:  # type: ignore[type-arg]
    """A certified counselor at each puskesmas, and a volunteer of the kecamatan's villages."""
    hulu = make_user("081300000001", "Konselor Hulu", (Role.COUNSELOR, None, river.hulu))
    seberang = make_user("081300000002", "Konselor Seberang", (Role.COUNSELOR, None, river.seberang))
    for person in (hulu, seberang):
        certify(person, CertificateKind.COUNSELOR)
    villages = (river.barat, river.lanting, river.timur, river.pulau)
    volunteer = make_user("081300000009", "Kader Sungai", *((Role.VOLUNTEER, v.code, None) for v in villages))
    return {"hulu": hulu, "seberang": seberang, "volunteer": volunteer}


def escalate(api, staff, village: Region, need: str = "counseling") -> dict:  # type: ignore[no-untyped-def,type-arg]
    """POST /escalations for a new client of `village`, then GET it back as the volunteer."""
    client = make_client(village, staff["volunteer"], volunteers=(staff["volunteer"],))
    as_volunteer = api.as_(staff["volunteer"])
    created = as_volunteer.post(
        "/escalations", {"client_id": str(client.id), "need": need, "urgency": "routine", "reason": "Risiko"}
    )
    assert created.status_code == 201, created.content
    return as_volunteer.get(f"/escalations/{created.json()['id']}").json()


def offered_to(body: dict) -> str:  # type: ignore[type-arg]
    return body["routing"]["chosen"]["name"]


def test_without_a_network_the_straight_line_nearest_across_the_river_gets_the_case(api, river, staff):
    body = escalate(api, staff, river.barat)

    assert offered_to(body) == "Konselor Seberang"
    assert body["routing"]["method"] == "straight_line"
    assert body["routing"]["method_note"] == "no_network"
    assert body["routing"]["tier"] == "fallback"
    assert body["offer"]["tier"] == "fallback"
    assert body["offer"]["travel_minutes"] is None


def test_the_counselor_reachable_by_road_beats_the_nearer_one_across_the_river(api, river, staff):
    river_network_load()

    body = escalate(api, staff, river.barat)

    assert offered_to(body) == "Konselor Hulu"
    routing = body["routing"]
    assert routing["method"] == "travel_time"
    assert routing["tier"] == "travel_time"
    assert routing["leave_reason"] == "geography"  # no facility has Desa Barat in its working area
    rows = {r["name"]: r for r in routing["considered"]}
    hulu, seberang = rows["Konselor Hulu"], rows["Konselor Seberang"]
    assert seberang["distance_km"] < hulu["distance_km"]  # nearer in a straight line ...
    assert hulu["minutes"] * 2 < seberang["minutes"]  # ... but twice as far in time
    assert [leg["mode"] for leg in seberang["legs"]] == ["road", "ferry", "road"]
    assert [leg["mode"] for leg in hulu["legs"]] == ["road"]
    offer = body["offer"]
    assert (offer["tier"], offer["leave_reason"]) == ("travel_time", "geography")
    assert offer["travel_minutes"] == pytest.approx(hulu["minutes"], abs=0.1)
    assert [leg["mode"] for leg in offer["legs"]] == ["road"]


def test_a_case_crosses_by_ferry_when_its_own_bank_has_nobody(api, river, staff):
    river_network_load()
    today = date.today()
    staff["seberang"].on_leave_from, staff["seberang"].on_leave_until = today, today + timedelta(days=3)
    staff["seberang"].save()

    body = escalate(api, staff, river.timur)

    assert offered_to(body) == "Konselor Hulu"
    assert [leg["mode"] for leg in body["offer"]["legs"]] == ["road", "ferry", "road"]


def test_a_village_reachable_only_by_boat_is_routed_over_the_river(api, river, staff):
    river_network_load()

    body = escalate(api, staff, river.lanting)

    # In a straight line Seberang is nearer (8 km against 16), and only reachable by boat, road and ferry.
    assert offered_to(body) == "Konselor Hulu"
    assert [leg["mode"] for leg in body["offer"]["legs"]] == ["boat", "road"]
    rows = {r["name"]: r for r in body["routing"]["considered"]}
    assert rows["Konselor Seberang"]["distance_km"] < rows["Konselor Hulu"]["distance_km"]


def test_the_puskesmas_of_the_clients_working_area_comes_first(api, river, staff):
    river_network_load()
    river.seberang.working_area = ["62.06.09"]
    river.seberang.save()

    body = escalate(api, staff, river.barat)

    # Seberang is an hour away and Hulu 25 minutes, but Desa Barat is in Seberang's wilayah kerja.
    assert offered_to(body) == "Konselor Seberang"
    assert body["routing"]["tier"] == "catchment"
    assert body["offer"]["tier"] == "catchment"
    assert body["offer"]["leave_reason"] == ""
    assert next(r for r in body["routing"]["considered"] if r["name"] == "Konselor Seberang")["catchment"]


def test_the_catchment_is_left_for_availability_when_its_counselor_is_on_leave(api, river, staff):
    river_network_load()
    river.seberang.working_area = ["62.06.09"]
    river.seberang.save()
    staff["seberang"].on_leave_from, staff["seberang"].on_leave_until = date.today(), date.today()
    staff["seberang"].save()

    body = escalate(api, staff, river.barat)

    assert offered_to(body) == "Konselor Hulu"
    assert (body["offer"]["tier"], body["offer"]["leave_reason"]) == ("travel_time", "availability")


def test_a_facility_at_capacity_is_passed_over_and_the_catchment_left_for_capacity(api, river, staff, cast):
    river_network_load()
    river.seberang.working_area = ["62.06.09"]
    river.seberang.outpatient_capacity_per_month = 1
    river.seberang.save()
    # One case in treatment at Seberang (its counselor's caseload stays far below the cap of 15).
    treated = make_client(river.timur, staff["volunteer"], volunteers=(staff["volunteer"],))
    Escalation.objects.create(
        client=treated,
        need="counseling",
        status=EscalationStatus.ACCEPTED,
        assigned_to=cast.counselor_far,
        facility=river.seberang,
    )

    body = escalate(api, staff, river.barat)

    assert offered_to(body) == "Konselor Hulu"
    assert (body["offer"]["tier"], body["offer"]["leave_reason"]) == ("travel_time", "capacity")
    assert {r["name"]: r["reason"] for r in body["routing"]["passed_over"]}[
        "Konselor Seberang"
    ] == "facility_full"


def test_the_catchment_is_left_for_geography_beyond_the_areas_maximum_travel_time(api, river, staff):
    river_network_load()
    river.seberang.working_area = ["62.06.09"]
    river.seberang.save()
    Region.objects.filter(code="62.06.09").update(routing_max_travel_minutes=40)

    body = escalate(api, staff, river.barat)

    assert offered_to(body) == "Konselor Hulu"
    assert (body["offer"]["tier"], body["offer"]["leave_reason"]) == ("travel_time", "geography")
    assert body["routing"]["max_travel_minutes"] == 40


def test_treatment_goes_only_to_a_designated_ipwl(api, river, staff):
    river_network_load()
    river.seberang.working_area = ["62.06.09"]
    river.seberang.save()
    river.hulu.is_ipwl, river.hulu.ipwl_decree_number = True, "HK.01.07/MENKES/123/2024"
    river.hulu.ipwl_valid_until = date.today() + timedelta(days=365)
    river.hulu.save()

    body = escalate(api, staff, river.barat, need="treatment")

    # Seberang is the client's puskesmas but no IPWL; Hulu is the regency's IPWL, so still the catchment tier.
    assert offered_to(body) == "Konselor Hulu"
    assert body["offer"]["tier"] == "catchment"
    assert {r["name"]: r["reason"] for r in body["routing"]["passed_over"]}["Konselor Seberang"] == "not_ipwl"


def test_treatment_waits_for_the_coordinator_when_the_ipwl_decree_has_lapsed(api, river, staff):
    river_network_load()
    river.hulu.is_ipwl, river.hulu.ipwl_valid_until = True, date.today() - timedelta(days=1)
    river.hulu.save()

    body = escalate(api, staff, river.barat, need="treatment")

    assert body["status"] == "with_coordinator"
    assert {r["name"]: r["reason"] for r in body["routing"]["passed_over"]}["Konselor Hulu"] == "not_ipwl"


def test_nobody_reachable_sends_the_case_to_the_coordinator_as_unreachable(api, river, staff):
    river_network_load()

    body = escalate(api, staff, river.pulau)

    # Both puskesmas are within 15 km in a straight line, but no road, ferry or river leaves the island.
    assert body["status"] == "with_coordinator"
    assert body["routing"]["coordinator_reason"] == "unreachable"
    assert body["routing"]["method"] == "travel_time"
    assert body["offer"] is None


def test_a_village_off_the_loaded_network_falls_back_to_the_straight_line(api, river, staff, cast):
    river_network_load()
    # Kasongan Baru is in province 62 but tens of kilometres from the hand-built network.
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    as_volunteer = api.as_(cast.volunteer_katingan)
    created = as_volunteer.post(
        "/escalations",
        {"client_id": str(client.id), "need": "counseling", "urgency": "routine", "reason": "X"},
    )

    routing = created.json()["routing"]
    assert (routing["method"], routing["method_note"], routing["tier"]) == (
        "straight_line",
        "off_network",
        "fallback",
    )
    assert routing["chosen"]["name"] == cast.counselor_near.name
