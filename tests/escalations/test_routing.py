"""Routing over the real coordinates of the demo regions (tests/cast.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.gis.geos import Point
from django.db import connection

from backend.accounts.models import CertificateKind, Certification, Role
from backend.escalations.models import Escalation, Offer
from backend.escalations.services import escalation_create
from notifications.models import Notification
from tests.cast import certify, make_user
from villages.models import Region

pytestmark = pytest.mark.django_db


def escalate(cast, client, need="counseling", **kw):
    return escalation_create(
        actor=cast.volunteer_katingan,
        client=client,
        need=need,
        urgency="routine",
        reason="Risiko tinggi",
        **kw,
    )


def passed(esc: Escalation) -> dict[str, str]:
    return {row["name"]: row["reason"] for row in esc.routing["passed_over"]}


def test_it_offers_counseling_to_the_nearest_certified_counselor(cast, client_kasongan):
    esc = escalate(cast, client_kasongan)

    offer = Offer.objects.get(escalation=esc, status="pending")
    assert esc.status == "offered"
    assert offer.staff == cast.counselor_near
    assert offer.facility == cast.pkm_kasongan
    # Kasongan Baru's centroid to Puskesmas Kasongan: about 2.9 km.
    assert 2.0 < offer.distance_km < 4.0
    assert esc.routing["chosen"]["user_id"] == str(cast.counselor_near.id)
    assert esc.routing["origin"]["source"] == "village"
    distances = [row["distance_km"] for row in esc.routing["considered"]]
    assert distances == sorted(distances)


def test_it_offers_the_case_to_the_nearest_certified_assessor(cast, client_kasongan):
    esc = escalate(cast, client_kasongan, need="assessment")

    assert esc.offers.get().staff == cast.assessor_near
    # The expired assessor sits nearer (Puskesmas Kasongan) and is passed over for it.
    reasons = passed(esc)
    assert reasons[cast.assessor_expired.name] == "certificate_expired"
    # Counselors hold the wrong kind of certificate for an assessment.
    assert reasons[cast.counselor_near.name] == "wrong_certificate"
    expired = next(r for r in esc.routing["considered"] if r["name"] == cast.assessor_expired.name)
    assert expired["distance_km"] < esc.routing["chosen"]["distance_km"]


def test_a_counselor_on_leave_is_passed_over_for_the_next_nearest(cast, client_kasongan):
    today = date.today()
    cast.counselor_near.on_leave_from = today - timedelta(days=1)
    cast.counselor_near.on_leave_until = today + timedelta(days=5)
    cast.counselor_near.save()

    esc = escalate(cast, client_kasongan)

    offer = esc.offers.get()
    assert offer.staff == cast.counselor_far  # Tamiang Layang, about 190 km away
    assert 150 < offer.distance_km < 250
    assert passed(esc)[cast.counselor_near.name] == "on_leave"


def test_leave_that_ended_yesterday_does_not_count(cast, client_kasongan):
    cast.counselor_near.on_leave_from = date.today() - timedelta(days=10)
    cast.counselor_near.on_leave_until = date.today() - timedelta(days=1)
    cast.counselor_near.save()

    assert escalate(cast, client_kasongan).offers.get().staff == cast.counselor_near


def test_a_full_caseload_is_passed_over(cast, client_kasongan):
    cast.counselor_near.caseload_cap = 1
    cast.counselor_near.save()
    other = make_client_for(cast)
    Escalation.objects.create(
        client=other, need="assessment", status="accepted", assigned_to=cast.counselor_near
    )

    esc = escalate(cast, client_kasongan)

    assert esc.offers.get().staff == cast.counselor_far
    assert passed(esc)[cast.counselor_near.name] == "caseload_full"


def test_pending_offers_count_towards_the_caseload(cast, client_kasongan):
    cast.counselor_near.caseload_cap = 1
    cast.counselor_near.save()
    first = escalate(cast, make_client_for(cast))
    assert first.offers.get().staff == cast.counselor_near

    second = escalate(cast, client_kasongan)

    assert second.offers.get().staff == cast.counselor_far
    assert passed(second)[cast.counselor_near.name] == "caseload_full"


def test_an_inactive_account_is_passed_over(cast, client_kasongan):
    cast.counselor_near.is_active = False
    cast.counselor_near.save()

    esc = escalate(cast, client_kasongan)

    assert esc.offers.get().staff == cast.counselor_far
    assert passed(esc)[cast.counselor_near.name] == "inactive"


def test_a_revoked_certificate_counts_as_expired(cast, client_kasongan):
    Certification.objects.filter(user=cast.counselor_near).update(revoked=True)

    esc = escalate(cast, client_kasongan)

    assert passed(esc)[cast.counselor_near.name] == "certificate_expired"


def test_equally_near_colleagues_are_tied_by_the_smaller_caseload(cast, client_kasongan):
    busy = cast.counselor_near
    Escalation.objects.create(
        client=make_client_for(cast), need="assessment", status="accepted", assigned_to=busy
    )
    colleague = make_user(
        "081200000051", "Konselor Kedua Kasongan", (Role.COUNSELOR, None, cast.pkm_kasongan)
    )
    certify(colleague, CertificateKind.COUNSELOR)

    esc = escalate(cast, client_kasongan)

    assert esc.offers.get().staff == colleague


def test_nobody_within_the_radius_sends_the_case_to_the_coordinators(cast, client_kasongan):
    Region.objects.filter(code="62.06").update(routing_max_radius_km=50)
    cast.counselor_near.is_active = False
    cast.counselor_near.save()

    esc = escalate(cast, client_kasongan)

    assert esc.status == "with_coordinator"
    assert not esc.offers.exists()
    assert esc.routing["coordinator_reason"] == "no_candidate_in_radius"
    assert esc.routing["radius_km"] == 50
    assert passed(esc)[cast.counselor_far.name] == "beyond_radius"
    told = set(
        Notification.objects.filter(kind="escalation_to_coordinator").values_list("recipient", flat=True)
    )
    assert told == {cast.coordinator_katingan.id, cast.coordinator_kalteng.id}


def test_the_radius_is_inherited_from_the_nearest_area_that_sets_it(cast, client_kasongan):
    Region.objects.filter(code="62").update(routing_max_radius_km=10)
    Region.objects.filter(code="62.06").update(routing_max_radius_km=300)
    cast.counselor_near.is_active = False
    cast.counselor_near.save()

    esc = escalate(cast, client_kasongan)

    assert esc.routing["radius_km"] == 300
    assert esc.offers.get().staff == cast.counselor_far


def test_a_gps_point_is_used_instead_of_the_village_centroid(cast, client_kasongan):
    near_tamiang = Point(115.1500, -2.1000, srid=4326)

    esc = escalate(cast, client_kasongan, location=near_tamiang)

    assert esc.offers.get().staff == cast.counselor_far
    assert esc.routing["origin"]["source"] == "gps"


def test_certificate_validity_is_judged_on_the_day_in_the_clients_time_zone(cast, client_mataram):
    """16:30 UTC on the 10th is already 00:30 on the 11th in Mataram (WITA): a certificate that ran until
    the 10th no longer counts there, though it is still the 10th in UTC and in WIB."""
    cert = Certification.objects.get(user=cast.counselor_mataram)
    cert.issued_on, cert.expires_on = date(2025, 1, 1), date(2026, 12, 10)
    cert.save()
    with time_machine.travel(datetime(2026, 12, 10, 16, 30, tzinfo=UTC), tick=False):
        esc = escalation_create(
            actor=cast.volunteer_mataram,
            client=client_mataram,
            need="counseling",
            urgency="routine",
            reason="x",
        )
    assert esc.routing["day"] == "2026-12-11"
    assert esc.status == "with_coordinator"
    assert passed(esc)[cast.counselor_mataram.name] == "certificate_expired"


def test_the_routing_query_walks_the_gist_index_of_facility_locations(cast):
    """KNN (`location <-> origin`) answered by walking the GiST index in distance order, stopping at the limit,
    not by collecting and sorting candidates. Planned over 3,000 facilities with statistics, as in production
    (on the cast's four facilities any plan is cheapest)."""
    import random
    import uuid

    from backend.accounts.models import RoleAssignment, User
    from backend.escalations.routing import facilities_near
    from villages.models import Facility

    rng = random.Random(7)
    facilities = [
        Facility(
            code=f"GIST-{i}",
            name=f"F{i}",
            type="puskesmas",
            village_id="62.06.02.1003",
            location=Point(rng.uniform(110, 117), rng.uniform(-4, 1), srid=4326),
        )
        for i in range(3000)
    ]
    Facility.objects.bulk_create(facilities)
    users = [User(id=uuid.uuid4(), phone=f"+62899{i:07d}", name=f"S{i}", password="!") for i in range(3000)]
    User.objects.bulk_create(users)
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=u, role="counselor", facility=f) for u, f in zip(users, facilities, strict=True)
    )
    Certification.objects.bulk_create(
        Certification(
            user=u,
            kind="counselor",
            number=f"G{i}",
            issuer="BNN",
            issued_on=date.today() - timedelta(days=10),
            expires_on=date.today() + timedelta(days=10),
        )
        for i, u in enumerate(users)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE villages_facility, accounts_roleassignment, accounts_user, accounts_certification"
        )

    seen: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        found = facilities_near(origin=cast.kasongan_baru.point, need="counseling", day=date.today(), limit=8)
    assert len(found) == 8
    sql, params = next((s, p) for s, p in reversed(seen) if "villages_facility" in s)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using villages_facility_location" in plan, plan
    assert "Order By: (location <-> " in plan, plan
    assert "Sort" not in plan, plan


def make_client_for(cast):
    from tests.escalations.conftest import make_client

    return make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
