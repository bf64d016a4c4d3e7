"""POST /sync/visits: one result per item, never all-or-nothing, nothing created twice."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.common.errors import Conflict, NotFound
from backend.mobile.visit_writes import visit_create, visit_update
from backend.recovery.models import Screening, Visit
from backend.sync.models import ChangeLog
from tests.sync.helpers import make_client, make_member, upload, visit_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def kasongan(cast):
    return make_client(village="62.06.02.1003", by=cast.official_katingan)


@pytest.fixture
def ampenan(cast):
    return make_client(village="52.71.01.1004", by=cast.volunteer_mataram)


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(-1.9213712345678912, 113.44706123456789), (-1e-05, 5e-07), (0.0, -180.0)]
)
def test_an_uploaded_point_is_stored_exactly_as_sent(api, cast, kasongan, latitude, longitude):
    """The point travels as EWKT text written from the floats (no GEOS object): every digit, small numbers in
    exponent notation and the edges of the range must reach PostGIS unchanged."""
    visit = visit_payload(kasongan, latitude=latitude, longitude=longitude)
    assert upload(api, cast.volunteer_katingan, [visit]).json()["results"][0]["status"] == "created"
    stored = Visit.objects.get(id=visit["id"])
    assert (stored.location.y, stored.location.x, stored.location.srid) == (latitude, longitude, 4326)
    again = upload(api, cast.volunteer_katingan, [visit]).json()["results"][0]
    assert again["status"] == "duplicate"


def test_it_creates_every_visit_of_a_batch_and_logs_each_change(api, cast, kasongan):
    visits = [visit_payload(kasongan) for _ in range(3)]
    response = upload(api, cast.volunteer_katingan, visits)
    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created"] * 3
    assert body["summary"] == {"created": 3, "duplicate": 0, "updated": 0, "rejected": 0}
    stored = Visit.objects.get(id=visits[0]["id"])
    assert stored.logged_by == cast.volunteer_katingan
    assert stored.location.y == pytest.approx(-1.92137)
    assert stored.received_at > stored.occurred_at
    assert stored.version == 1 and len(stored.payload_hash) == 64
    logged = ChangeLog.objects.filter(entity="visit", entity_id__in=[v["id"] for v in visits])
    assert logged.count() == 3
    assert {row.client_id for row in logged} == {kasongan.id}
    assert {row.village_code for row in logged} == {"62.06.02.1003"}


def test_resending_the_same_batch_creates_nothing_twice(api, cast, kasongan):
    visits = [visit_payload(kasongan) for _ in range(4)]
    upload(api, cast.volunteer_katingan, visits)
    # Keys in another order are the same content.
    resent = [dict(reversed(list(v.items()))) for v in visits]
    response = upload(api, cast.volunteer_katingan, resent)
    assert [r["status"] for r in response.json()["results"]] == ["duplicate"] * 4
    assert Visit.objects.count() == 4
    assert ChangeLog.objects.filter(entity="visit").count() == 4


def test_a_rejected_item_does_not_stop_the_others(api, cast, kasongan, ampenan):
    good = visit_payload(kasongan)
    future = visit_payload(kasongan, occurred_at=(timezone.now() + timedelta(hours=1)).isoformat())
    naive = visit_payload(kasongan, occurred_at="2026-11-20T10:00:00")
    bad_type = visit_payload(kasongan, type="party")
    bad_gps = visit_payload(kasongan, latitude=123.0)
    other_village = visit_payload(ampenan)
    unknown_client = visit_payload(kasongan, client_id=str(uuid.uuid4()))
    stranger = visit_payload(kasongan, participants=["client", str(uuid.uuid4())])
    not_an_object = "visit"
    good2 = visit_payload(kasongan)
    batch = [
        good,
        future,
        naive,
        bad_type,
        bad_gps,
        other_village,
        unknown_client,
        stranger,
        not_an_object,
        good2,
    ]
    results = upload(api, cast.volunteer_katingan, batch).json()["results"]
    assert [r["status"] for r in results] == ["created"] + ["rejected"] * 8 + ["created"]
    errors = [(r["error"]["code"], r["error"]["field"]) for r in results[1:-1]]
    assert errors[:4] == [
        ("validation_error", "occurred_at"),
        ("validation_error", "occurred_at"),
        ("validation_error", "type"),
        ("validation_error", "latitude"),
    ]
    assert results[1]["error"]["details"][0]["code"] == "in_future"
    assert results[2]["error"]["details"][0]["code"] == "timezone_required"
    # Out of scope and unknown answer exactly alike.
    assert results[5]["error"] == results[6]["error"]
    assert results[5]["error"]["code"] == "not_found"
    assert results[7]["error"]["details"][0]["code"] == "not_linked"
    assert results[8]["error"]["field"] == "body"
    assert set(Visit.objects.values_list("id", flat=True)) == {uuid.UUID(good["id"]), uuid.UUID(good2["id"])}


def test_a_linked_family_member_may_take_part(api, cast, kasongan):
    member = make_member(client=kasongan, by=cast.official_katingan)
    visit = visit_payload(kasongan, type="family_session", participants=[str(member.id), "client"])
    assert upload(api, cast.volunteer_katingan, [visit]).json()["results"][0]["status"] == "created"
    assert Visit.objects.get(id=visit["id"]).participants == ["client", str(member.id)]


def test_an_edit_with_the_stored_version_updates_the_visit(api, cast, kasongan):
    visit = visit_payload(kasongan)
    upload(api, cast.volunteer_katingan, [visit])
    edited = {**visit, "notes": "Catatan diperbaiki.", "version": 1}
    result = upload(api, cast.volunteer_katingan, [edited]).json()["results"][0]
    assert result["status"] == "updated" and result["version"] == 2
    assert Visit.objects.get(id=visit["id"]).notes == "Catatan diperbaiki."
    assert ChangeLog.objects.filter(entity="visit", entity_id=visit["id"]).count() == 2
    # The phone resends its edit (it never saw the answer): recognised, not stale.
    again = upload(api, cast.volunteer_katingan, [edited]).json()["results"][0]
    assert again["status"] == "duplicate" and again["version"] == 2


def test_a_stale_edit_is_rejected_with_the_current_record(api, cast, kasongan):
    visit = visit_payload(kasongan)
    upload(api, cast.volunteer_katingan, [visit])
    upload(api, cast.volunteer_katingan, [{**visit, "notes": "Versi kedua.", "version": 1}])
    result = upload(api, cast.volunteer_katingan, [{**visit, "notes": "Versi lama.", "version": 1}]).json()[
        "results"
    ][0]
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "stale_version"
    assert result["current"]["notes"] == "Versi kedua." and result["current"]["version"] == 2


def test_the_same_id_with_other_content_and_no_version_is_an_id_conflict(api, cast, kasongan):
    visit = visit_payload(kasongan)
    upload(api, cast.volunteer_katingan, [visit])
    result = upload(api, cast.volunteer_katingan, [{**visit, "notes": "lain"}]).json()["results"][0]
    assert result["error"]["code"] == "id_conflict"


def test_only_the_author_edits_a_visit(api, cast, kasongan):
    visit = visit_payload(kasongan)
    upload(api, cast.volunteer_katingan, [visit])
    result = upload(api, cast.official_katingan, [{**visit, "notes": "x", "version": 1}]).json()["results"][0]
    assert result["error"]["code"] == "forbidden"


def test_an_id_sent_twice_in_one_batch_is_created_once(api, cast, kasongan):
    visit = visit_payload(kasongan)
    results = upload(api, cast.volunteer_katingan, [visit, visit, {**visit, "notes": "lain"}]).json()[
        "results"
    ]
    assert [r["status"] for r in results] == ["created", "duplicate", "rejected"]
    assert results[2]["error"]["code"] == "id_conflict"
    assert Visit.objects.count() == 1


def test_a_screening_links_only_when_it_is_the_clients_and_free(api, cast, kasongan):
    other = make_client(village="62.06.02.1003", by=cast.official_katingan)
    screening = Screening.objects.create(
        client=kasongan, screened_by=cast.volunteer_katingan, answers={}, scores={}, highest_risk="low"
    )
    wrong_client = visit_payload(other, screening_id=str(screening.id))
    right = visit_payload(kasongan, screening_id=str(screening.id))
    taken = visit_payload(kasongan, screening_id=str(screening.id))
    results = upload(api, cast.volunteer_katingan, [wrong_client, right]).json()["results"]
    assert results[0]["error"]["details"][0]["code"] == "not_found"
    assert results[1]["status"] == "created"
    result = upload(api, cast.volunteer_katingan, [taken]).json()["results"][0]
    assert result["error"]["details"][0]["code"] == "screening_taken"


def test_staff_and_coordinators_do_not_log_field_visits(api, cast, kasongan):
    for user in (cast.counselor_near, cast.coordinator_katingan, cast.nobody):
        response = upload(api, user, [visit_payload(kasongan)])
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "not_a_field_worker"


def test_a_batch_over_the_limit_is_refused_whole(api, cast, kasongan):
    visits = [visit_payload(kasongan) for _ in range(501)]
    response = upload(api, cast.volunteer_katingan, visits)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "batch_too_large"
    assert Visit.objects.count() == 0


def test_a_malformed_body_is_a_validation_error(api, cast):
    response = api.as_(cast.volunteer_katingan).post("/sync/visits", {"visits": "none"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_a_batch_of_100_takes_a_bounded_number_of_queries(api, cast, kasongan, django_assert_max_num_queries):
    visits = [visit_payload(kasongan) for _ in range(100)]
    with django_assert_max_num_queries(20):
        response = upload(api, cast.volunteer_katingan, visits)
    assert response.json()["summary"]["created"] == 100


def test_visit_create_and_update_raise_the_items_error(cast, kasongan, ampenan):
    visit = visit_create(actor=cast.volunteer_katingan, data=visit_payload(kasongan))
    assert visit.version == 1
    with pytest.raises(NotFound):
        visit_create(actor=cast.volunteer_katingan, data=visit_payload(ampenan))
    payload = visit_payload(
        kasongan, id=str(visit.id), occurred_at=visit.occurred_at.isoformat(), notes="Diubah."
    )
    updated = visit_update(actor=cast.volunteer_katingan, visit_id=visit.id, data={**payload, "version": 1})
    assert updated.version == 2
    with pytest.raises(Conflict) as stale:
        visit_update(
            actor=cast.volunteer_katingan, visit_id=visit.id, data={**payload, "notes": "x", "version": 1}
        )
    assert stale.value.code == "stale_version"
    assert stale.value.extra["current"]["version"] == 2
    with pytest.raises(NotFound):
        visit_update(actor=cast.volunteer_katingan, visit_id=uuid.uuid4(), data={**payload, "version": 1})


def test_a_synced_visit_completes_the_authors_open_task_for_that_client(api, cast, kasongan):
    from datetime import date

    from backend.tasks.models import Task, TaskStatus

    task = Task.objects.create(
        kind="follow_up",
        client=kasongan,
        assignee=cast.volunteer_katingan,
        due_on=date.today(),
        rule_key=f"test:{uuid.uuid4()}",
        created_at=timezone.now() - timedelta(days=1),
    )
    others = make_client(village="62.06.02.1003", by=cast.official_katingan)
    visits = [visit_payload(others) for _ in range(5)] + [visit_payload(kasongan)]
    upload(api, cast.volunteer_katingan, visits)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert str(task.completed_by_visit) == visits[-1]["id"]


def _withdraw(client, scope: str, by) -> None:  # type: ignore[no-untyped-def]
    from backend.recovery.models import Consent

    Consent.objects.create(
        client=client,
        scope=scope,
        given=False,
        given_by="client",
        recorded_by=by,
        recorded_at=timezone.now() + timedelta(seconds=1),
    )


def test_a_visit_needs_the_clients_data_collection_consent(api, cast, kasongan):
    """Visits used to be stored whatever the client's consent: a visit is data collected about the client."""
    never = make_client(village="62.06.02.1003", by=cast.official_katingan, consents=())
    withdrawn = make_client(village="62.06.02.1003", by=cast.official_katingan)
    _withdraw(withdrawn, "data_collection", cast.official_katingan)
    good = visit_payload(kasongan)
    results = upload(
        api, cast.volunteer_katingan, [visit_payload(never), good, visit_payload(withdrawn)]
    ).json()["results"]
    assert [r["status"] for r in results] == ["rejected", "created", "rejected"]
    for r in (results[0], results[2]):
        assert (r["error"]["code"], r["error"]["field"]) == ("consent_required", "client_id")
    assert list(Visit.objects.values_list("id", flat=True)) == [uuid.UUID(good["id"])]


def test_a_stored_visit_resent_after_consent_is_withdrawn_is_still_a_duplicate(api, cast, kasongan):
    visit = visit_payload(kasongan)
    upload(api, cast.volunteer_katingan, [visit])
    _withdraw(kasongan, "data_collection", cast.official_katingan)
    again = upload(api, cast.volunteer_katingan, [visit]).json()["results"][0]
    assert again["status"] == "duplicate"
    edit = upload(api, cast.volunteer_katingan, [{**visit, "notes": "x", "version": 1}]).json()["results"][0]
    assert edit["error"]["code"] == "consent_required"


def test_a_family_member_takes_part_only_if_they_may_be_contacted(api, cast, kasongan):
    """Visits used to accept any linked member, even one who refused contact or whose client withdrew
    contact_family consent."""
    willing = make_member(client=kasongan, by=cast.official_katingan)
    unwilling = make_member(client=kasongan, by=cast.official_katingan, may_contact=False)
    no_contact = make_client(
        village="62.06.02.1003", by=cast.official_katingan, consents=("data_collection",)
    )
    member_of_no_contact = make_member(client=no_contact, by=cast.official_katingan)
    batch = [
        visit_payload(kasongan, type="family_session", participants=["client", str(willing.id)]),
        visit_payload(kasongan, type="family_session", participants=["client", str(unwilling.id)]),
        visit_payload(no_contact, type="family_session", participants=[str(member_of_no_contact.id)]),
        visit_payload(no_contact),  # the client alone: data collection is enough
    ]
    results = upload(api, cast.volunteer_katingan, batch).json()["results"]
    assert [r["status"] for r in results] == ["created", "rejected", "rejected", "created"]
    assert (results[1]["error"]["code"], results[1]["error"]["field"]) == (
        "family_contact_not_allowed",
        "participants",
    )
    assert (results[2]["error"]["code"], results[2]["error"]["field"]) == ("consent_required", "participants")


def test_visit_create_without_consent_raises_consent_required(cast):
    never = make_client(village="62.06.02.1003", by=cast.official_katingan, consents=())
    with pytest.raises(Conflict) as raised:
        visit_create(actor=cast.volunteer_katingan, data=visit_payload(never))
    assert raised.value.code == "consent_required"
