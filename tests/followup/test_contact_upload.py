"""POST /sync/contact-attempts: the visit upload's guarantees, for contact attempts."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from api.schemas.contacts import SyncContactAttemptsOut
from backend.followup.sweep import followup_sweep
from backend.recovery.models import Client, ContactAttempt
from backend.sync.models import ChangeLog
from tests.factories import VisitFactory
from tests.followup.helpers import attempt, client_in, consent_set, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def kasongan(cast) -> Client:
    return client_in(cast.kasongan_baru.code, volunteers=[cast.volunteer_katingan])


def test_it_stores_every_attempt_of_a_batch_and_logs_each_change(api, cast, kasongan):
    attempts = [
        attempt(kasongan, "no_answer"),
        attempt(kasongan, "reached", channel="home_visit", note="Di rumah"),
    ]
    response = upload(api, cast.volunteer_katingan, attempts)
    assert response.status_code == 200
    body = response.json()
    SyncContactAttemptsOut.model_validate(body)  # the service builds the documented shape
    assert body["summary"] == {"created": 2, "duplicate": 0, "rejected": 0}
    assert [r["status"] for r in body["results"]] == ["created", "created"]
    stored = ContactAttempt.objects.get(id=attempts[1]["id"])
    assert (stored.channel, stored.result, stored.note, stored.logged_by) == (
        "home_visit",
        "reached",
        "Di rumah",
        cast.volunteer_katingan,
    )
    assert len(stored.payload_hash) == 64 and stored.received_at > stored.occurred_at
    logged = ChangeLog.objects.filter(entity="contact_attempt")
    assert {(r.entity_id, r.village_code, r.client_id) for r in logged} == {
        (uuid.UUID(a["id"]), "62.06.02.1003", kasongan.id) for a in attempts
    }


def test_the_same_payload_twice_stores_nothing_twice(api, cast, kasongan):
    attempts = [attempt(kasongan, "no_answer") for _ in range(3)]
    upload(api, cast.volunteer_katingan, attempts)
    resent = [dict(reversed(list(a.items()))) for a in attempts]  # keys in another order: the same content
    body = upload(api, cast.volunteer_katingan, resent).json()
    assert [r["status"] for r in body["results"]] == ["duplicate"] * 3
    assert ContactAttempt.objects.count() == 3
    assert ChangeLog.objects.filter(entity="contact_attempt").count() == 3


def test_an_id_reused_for_other_content_is_a_conflict_in_and_across_batches(api, cast, kasongan):
    first = attempt(kasongan, "no_answer")
    upload(api, cast.volunteer_katingan, [first])
    other = {**first, "result": "reached"}
    body = upload(api, cast.volunteer_katingan, [other, {**first, "note": "lain"}]).json()
    assert [r["error"]["code"] for r in body["results"]] == ["id_conflict", "id_conflict"]
    assert upload(api, cast.volunteer_katingan, [first]).json()["results"][0]["status"] == "duplicate"
    fresh = attempt(kasongan, "no_answer")
    body = upload(api, cast.volunteer_katingan, [fresh, fresh, {**fresh, "note": "lain"}]).json()
    assert [r["status"] for r in body["results"]] == ["created", "duplicate", "rejected"]
    assert ContactAttempt.objects.get(id=first["id"]).result == "no_answer"


def test_a_client_out_of_scope_answers_like_an_unknown_one(api, cast, kasongan):
    mataram = client_in(cast.ampenan_selatan.code)
    body = upload(
        api,
        cast.volunteer_katingan,
        [attempt(mataram), attempt(kasongan, client_id=str(uuid.uuid4())), attempt(kasongan)],
    ).json()
    out_of_scope, unknown, mine = body["results"]
    assert out_of_scope["error"] == unknown["error"]
    assert (out_of_scope["error"]["code"], out_of_scope["error"]["field"]) == ("not_found", "client_id")
    assert mine["status"] == "created"
    assert not ContactAttempt.objects.filter(client=mataram).exists()


def test_data_collection_consent_is_required(api, cast, kasongan):
    withdrawn = client_in(cast.kasongan_baru.code)
    consent_set(withdrawn, "data_collection", False, cast.official_katingan)
    never = client_in(cast.kasongan_baru.code, consents=())
    body = upload(api, cast.official_katingan, [attempt(withdrawn), attempt(never), attempt(kasongan)]).json()
    assert [r["status"] for r in body["results"]] == ["rejected", "rejected", "created"]
    assert {(r["error"]["code"], r["error"]["field"]) for r in body["results"][:2]} == {
        ("consent_required", "client_id")
    }
    assert ContactAttempt.objects.count() == 1


@pytest.mark.parametrize(
    "who", ["coordinator_katingan", "counselor_near", "facility_admin_kasongan", "nobody"]
)
def test_only_field_workers_log_attempts(api, cast, kasongan, who):
    response = upload(api, getattr(cast, who), [attempt(kasongan)])
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_field_worker"
    assert not ContactAttempt.objects.exists()


def test_an_idempotency_key_replays_the_first_answer(api, cast, kasongan):
    key = str(uuid.uuid4())
    attempts = [attempt(kasongan, "no_answer"), attempt(kasongan, "bogus")]
    first = upload(api, cast.volunteer_katingan, attempts, key=key)
    again = upload(api, cast.volunteer_katingan, attempts, key=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()  # answered `created` again, not `duplicate`: the stored answer
    assert ContactAttempt.objects.count() == 1
    other = upload(api, cast.volunteer_katingan, [attempt(kasongan)], key=key)
    assert (other.status_code, other.json()["error"]["code"]) == (422, "idempotency_key_reused")
    bad = upload(api, cast.volunteer_katingan, attempts, key="not-a-uuid")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_idempotency_key")


def test_a_batch_over_500_is_refused_whole(api, cast, kasongan):
    response = upload(api, cast.volunteer_katingan, [attempt(kasongan) for _ in range(501)])
    assert (response.status_code, response.json()["error"]["code"]) == (422, "batch_too_large")
    assert not ContactAttempt.objects.exists()


def test_a_bad_item_is_rejected_alone_with_its_field(api, cast, kasongan):
    soon = (timezone.now() + timedelta(hours=1)).isoformat()
    long_ago = (timezone.now() - timedelta(days=800)).isoformat()
    items = [
        attempt(kasongan, channel="pigeon"),
        attempt(kasongan, result="maybe"),
        attempt(kasongan, occurred_at="2026-03-01T10:00:00"),
        attempt(kasongan, occurred_at=soon),
        attempt(kasongan, occurred_at=long_ago),
        attempt(kasongan, note="x" * 281),
        attempt(kasongan, note=12),  # strict: a number is no text
        attempt(kasongan, id=123),
        "attempt",
        attempt(kasongan),
    ]
    body = upload(api, cast.volunteer_katingan, items).json()
    assert [r["status"] for r in body["results"]] == ["rejected"] * 9 + ["created"]
    found = [(r["error"]["field"], r["error"]["details"][0]["code"]) for r in body["results"][:9]]
    assert found == [
        ("channel", "invalid_choice"),
        ("result", "invalid_choice"),
        ("occurred_at", "timezone_required"),
        ("occurred_at", "in_future"),
        ("occurred_at", "too_old"),
        ("note", "too_long"),
        ("note", "invalid_type"),
        ("id", "invalid_uuid"),
        ("body", "invalid_type"),
    ]


def test_the_last_contact_is_the_latest_reached_attempt_or_stored_visit(api, cast, kasongan):
    now = timezone.now()
    at = lambda hours: timezone.localtime(now - timedelta(hours=hours)).isoformat()  # noqa: E731
    upload(api, cast.volunteer_katingan, [attempt(kasongan, "no_answer", occurred_at=at(1))])
    kasongan.refresh_from_db()
    assert kasongan.last_contact_at is None  # not reached: not a contact
    upload(
        api,
        cast.volunteer_katingan,
        [attempt(kasongan, occurred_at=at(5)), attempt(kasongan, occurred_at=at(3))],
    )
    kasongan.refresh_from_db()
    assert kasongan.last_contact_at == now - timedelta(hours=3)
    upload(api, cast.volunteer_katingan, [attempt(kasongan, occurred_at=at(48))])  # synced late: older
    kasongan.refresh_from_db()
    assert kasongan.last_contact_at == now - timedelta(hours=3)
    VisitFactory(client=kasongan, logged_by=cast.volunteer_katingan, occurred_at=now - timedelta(hours=2))
    kasongan.refresh_from_db()
    assert kasongan.last_contact_at == now - timedelta(hours=2)


def test_a_last_contact_that_lags_its_contacts_is_caught_up_by_the_sweep(cast, kasongan):
    """clients_seen skips a client row another transaction holds; the sweep reads the contacts themselves."""
    VisitFactory(
        client=kasongan, logged_by=cast.volunteer_katingan, occurred_at=timezone.now() - timedelta(days=20)
    )
    seen = Client.objects.get(id=kasongan.id).last_contact_at
    Client.objects.filter(id=kasongan.id).update(last_contact_at=None)  # as if the row had been busy
    counts = followup_sweep()
    assert counts["last_contact_caught_up"] == 1
    assert Client.objects.get(id=kasongan.id).last_contact_at == seen
    assert counts["start"] == 1  # judged by the visit 20 days ago, not by the registration
