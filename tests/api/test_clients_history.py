"""GET /clients/{id}/visits and /timeline, and the access log every read of a client's record writes."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from django.contrib import admin
from django.contrib.gis.geos import Point
from django.test import RequestFactory
from django.utils import timezone

from backend.audit.models import AccessLog
from backend.recovery.models import Visit
from tests.recovery.helpers import ALL_CONSENTS, fast_password_hashing, offer, register  # noqa: F401

pytestmark = pytest.mark.django_db


def visit(cast, client, *, days_ago: int, **fields) -> Visit:
    return Visit.objects.create(
        id=uuid.uuid4(),
        client=client,
        logged_by=cast.volunteer_katingan,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        type=fields.pop("type", "home_visit"),
        location=Point(113.447, -1.921, srid=4326),
        location_accuracy_m=12.5,
        notes="baik",
        **fields,
    )


# --- visits ---------------------------------------------------------------------------------------------------


def test_visits_are_listed_newest_first_and_paginated(api, cast):
    client = register(cast)
    old, new, middle = (visit(cast, client, days_ago=d) for d in (10, 1, 5))
    page = api.as_(cast.official_katingan).get(f"/clients/{client.id}/visits", limit=2).json()
    assert [v["id"] for v in page["items"]] == [str(new.id), str(middle.id)]
    assert (page["count"], page["has_more"]) == (3, True)
    first = page["items"][0]
    assert first["location"] == {"lat": pytest.approx(-1.921), "lon": pytest.approx(113.447)}
    assert first["logged_by"]["name"] == cast.volunteer_katingan.name
    rest = api.as_(cast.official_katingan).get(f"/clients/{client.id}/visits", limit=2, offset=2).json()
    assert [v["id"] for v in rest["items"]] == [str(old.id)]


def test_visits_of_another_client_never_appear(api, cast):
    one, two = register(cast, name="Satu"), register(cast, name="Dua")
    visit(cast, two, days_ago=1)
    assert api.as_(cast.volunteer_katingan).get(f"/clients/{one.id}/visits").json()["items"] == []


# --- timeline -------------------------------------------------------------------------------------------------


def test_the_timeline_tells_the_clients_history_in_time_order(api, cast):
    client = register(cast, consents=ALL_CONSENTS)
    as_vol = api.as_(cast.volunteer_katingan)
    member_id = str(uuid.uuid4())
    as_vol.post(
        f"/clients/{client.id}/family-members",
        {"id": member_id, "name": "Ibu", "relationship": "ibu", "role": "supporter"},
    )
    opioids = {"q1": True, "q2": 6, "q3": 6, "q4": 7, "q5": 8, "q6": 0, "q7": 0}
    screening = {s: {"q1": False} for s in ("tobacco", "alcohol", "cannabis", "cocaine", "amphetamines")}
    screening.update({s: {"q1": False} for s in ("inhalants", "sedatives", "hallucinogens", "other")})
    screening["opioids"] = opioids
    as_vol.post(f"/clients/{client.id}/screenings", {"id": str(uuid.uuid4()), "answers": screening, "q8": 0})
    visit(cast, client, days_ago=-1)  # logged after all of the above (device time just ahead)
    as_vol.delete(f"/clients/{client.id}/family-members/{member_id}")

    asc = as_vol.get(f"/clients/{client.id}/timeline", order="asc").json()
    kinds = [i["kind"] for i in asc["items"]]
    assert kinds[:3] == ["consent", "consent", "consent"]
    assert kinds[3:] == ["family_link", "screening", "status_change", "escalation", "family_unlink", "visit"]
    times = [datetime.fromisoformat(i["at"]) for i in asc["items"]]
    assert times == sorted(times)
    by_kind = {i["kind"]: i["data"] for i in asc["items"]}
    assert by_kind["screening"]["highest_risk"] == "high"
    assert by_kind["status_change"] == {
        "from": "identified",
        "to": "screened",
        "reason": "Skrining ASSIST",
        "by": cast.volunteer_katingan.name,
    }
    assert by_kind["escalation"]["need"] == "assessment"
    assert by_kind["family_unlink"]["name"] == "Ibu"
    desc = as_vol.get(f"/clients/{client.id}/timeline").json()
    assert [i["id"] for i in desc["items"]] == [i["id"] for i in reversed(asc["items"])]
    assert desc["count"] == len(asc["items"])


def test_the_timeline_shows_an_accepted_offer(api, cast):
    client = register(cast)
    escalation = offer(cast, client, accepted=True)
    items = api.as_(cast.counselor_near).get(f"/clients/{client.id}/timeline").json()["items"]
    accepted = [i for i in items if i["kind"] == "offer_accepted"]
    assert accepted[0]["data"]["escalation_id"] == str(escalation.id)
    assert accepted[0]["data"]["facility"] == "Puskesmas Kasongan"


def test_the_later_steps_of_an_escalation_are_in_the_timeline(api, cast):
    client = register(cast)
    escalation = offer(cast, client, accepted=True)
    now = timezone.now()
    escalation.scheduled_at = now + timedelta(minutes=1)
    escalation.appointment_at = now + timedelta(days=2)
    escalation.outcome_at = now + timedelta(minutes=2)
    escalation.outcome = "outpatient"
    escalation.closed_at = now + timedelta(minutes=3)
    escalation.save()
    items = api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}/timeline").json()["items"]
    assert [i["kind"] for i in items[:4]] == [
        "escalation_closed",
        "escalation_outcome",
        "escalation_scheduled",
        "offer_accepted",
    ]
    assert items[1]["data"]["outcome"] == "outpatient"
    assert items[2]["data"]["appointment_at"] is not None


def test_a_cancelled_escalation_and_its_reason_are_in_the_timeline(api, cast):
    client = register(cast)
    escalation = offer(cast, client, accepted=False)
    escalation.status = "cancelled"
    escalation.cancelled_at = timezone.now() + timedelta(minutes=1)
    escalation.cancel_reason = "Persetujuan rujukan ditarik."
    escalation.save()
    items = api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}/timeline").json()["items"]
    assert items[0]["kind"] == "escalation_cancelled"
    assert items[0]["data"]["cancel_reason"] == "Persetujuan rujukan ditarik."


def test_the_timeline_pages_with_a_bounded_number_of_queries(api, cast, django_assert_max_num_queries):
    client = register(cast, consents=ALL_CONSENTS)
    for d in range(30):
        visit(cast, client, days_ago=d)
    with django_assert_max_num_queries(16):
        page = api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}/timeline", limit=20).json()
    assert (len(page["items"]), page["count"], page["has_more"]) == (20, 33, True)


# --- audit ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "suffix,endpoint",
    [
        ("", "GET /clients/{id}"),
        ("/visits", "GET /clients/{id}/visits"),
        ("/timeline", "GET /clients/{id}/timeline"),
    ],
)
def test_every_read_of_a_clients_record_is_logged(api, cast, suffix, endpoint):
    client = register(cast)
    before = timezone.now()
    api.as_(cast.coordinator_kalteng).get(f"/clients/{client.id}{suffix}")
    entry = AccessLog.objects.get()
    assert (entry.user, entry.client_id, entry.endpoint) == (cast.coordinator_kalteng, client.id, endpoint)
    assert entry.at >= before


def test_the_minimal_view_is_logged_too(api, cast):
    client = register(cast)
    offer(cast, client)
    api.as_(cast.counselor_near).get(f"/clients/{client.id}")
    assert AccessLog.objects.filter(user=cast.counselor_near, client_id=client.id).count() == 1


def test_the_list_logs_each_client_it_shows_in_full_and_not_the_minimal_rows(api, cast):
    """Regression (review B): GET /clients showed names and statuses of fully visible clients without any
    access-log row. Now one row per client shown in full (endpoint client_list); a minimal row is not a read."""
    seen = [register(cast, name=f"Klien {i}") for i in range(3)]
    api.as_(cast.volunteer_katingan).get("/clients")
    logged = AccessLog.objects.filter(user=cast.volunteer_katingan, endpoint="client_list")
    assert sorted(logged.values_list("client_id", flat=True)) == sorted(c.id for c in seen)
    offer(cast, seen[0])
    api.as_(cast.counselor_near).get("/clients")
    assert not AccessLog.objects.filter(user=cast.counselor_near).exists()


def test_writes_that_answer_with_the_full_record_log_the_read(api, cast):
    """Regression (review B): PATCH /clients/{id}, a transition and a stale PATCH answer with the full record
    (409 `current`) and left no access-log row. Writes answering with something else log nothing."""
    client = register(cast)
    as_vol = api.as_(cast.volunteer_katingan)
    as_vol.patch(f"/clients/{client.id}", {"version": 1, "notes": "x"})
    as_vol.post(f"/clients/{client.id}/transitions", {"to": "community_recovery"})
    assert as_vol.patch(f"/clients/{client.id}", {"version": 1, "notes": "y"}).status_code == 409
    as_vol.post(f"/clients/{client.id}/consents", {"scope": "contact_family", "given": True})
    assert list(AccessLog.objects.order_by("id").values_list("endpoint", flat=True)) == [
        "PATCH /clients/{id}",
        "POST /clients/{id}/transitions",
        "PATCH /clients/{id}",
    ]


def test_no_api_endpoint_can_change_the_access_log(api, cast):
    paths = api.as_(cast.system_admin).get("/openapi.json").json()["paths"]
    assert not [p for p in paths if "audit" in p or "access" in p]
    client = register(cast)
    api.as_(cast.system_admin).get(f"/clients/{client.id}")
    entry = AccessLog.objects.get()
    for method in ("post", "patch", "delete"):
        for path in ("/audit", f"/audit/{entry.id}", "/access-log", f"/access-log/{entry.id}"):
            assert api.as_(cast.system_admin).request(method, path, {}).status_code in (404, 405)
    assert list(AccessLog.objects.values_list("id", "endpoint")) == [(entry.id, "GET /clients/{id}")]


def test_the_admin_shows_the_access_log_read_only(cast):
    from backend.audit.models import AccessLog as Model

    model_admin = admin.site._registry[Model]
    request = RequestFactory().get("/admin/")
    request.user = cast.system_admin
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
