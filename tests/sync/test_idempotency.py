"""Idempotency-Key on POST /sync/visits: replay, reuse with another payload, a replay while running."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.recovery.models import Visit
from backend.sync.idempotency import idempotency_keys_purge, request_hash
from backend.sync.models import IdempotencyKey, IdempotencyState
from tests.sync.helpers import make_client, upload, visit_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def kasongan(cast):
    return make_client(village="62.06.02.1003", by=cast.official_katingan)


def test_a_replay_returns_the_stored_answer(api, cast, kasongan):
    key = str(uuid.uuid4())
    visits = [visit_payload(kasongan), visit_payload(kasongan, type="nope")]
    first = upload(api, cast.volunteer_katingan, visits, key=key)
    again = upload(api, cast.volunteer_katingan, visits, key=key)
    assert again.status_code == first.status_code == 200
    # The very answer of the first request (created, not duplicate), and nothing new stored.
    assert again.json() == first.json()
    assert again.json()["results"][0]["status"] == "created"
    assert Visit.objects.count() == 1
    row = IdempotencyKey.objects.get(key=key)
    assert row.state == IdempotencyState.DONE and row.user == cast.volunteer_katingan


def test_the_same_key_with_another_payload_is_refused(api, cast, kasongan):
    key = str(uuid.uuid4())
    upload(api, cast.volunteer_katingan, [visit_payload(kasongan)], key=key)
    response = upload(api, cast.volunteer_katingan, [visit_payload(kasongan)], key=key)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Visit.objects.count() == 1


def test_a_replay_while_the_first_is_running_answers_409(api, cast, kasongan):
    key = uuid.uuid4()
    visits = [visit_payload(kasongan)]
    IdempotencyKey.objects.create(
        user=cast.volunteer_katingan,
        key=key,
        request_hash=request_hash(visits),
        state=IdempotencyState.IN_PROGRESS,
    )
    response = upload(api, cast.volunteer_katingan, visits, key=str(key))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert Visit.objects.count() == 0


def test_a_claim_abandoned_by_a_crashed_request_is_taken_over(api, cast, kasongan):
    key = uuid.uuid4()
    visits = [visit_payload(kasongan)]
    IdempotencyKey.objects.create(
        user=cast.volunteer_katingan,
        key=key,
        request_hash=request_hash(visits),
        state=IdempotencyState.IN_PROGRESS,
        created_at=timezone.now() - timedelta(minutes=30),
    )
    response = upload(api, cast.volunteer_katingan, visits, key=str(key))
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "created"


def test_keys_belong_to_their_caller(api, cast, kasongan):
    key = str(uuid.uuid4())
    upload(api, cast.volunteer_katingan, [visit_payload(kasongan)], key=key)
    response = upload(api, cast.official_katingan, [visit_payload(kasongan)], key=key)
    assert response.status_code == 200
    assert response.json()["results"][0]["status"] == "created"


def test_a_key_that_is_not_a_uuid_is_refused(api, cast, kasongan):
    response = upload(api, cast.volunteer_katingan, [visit_payload(kasongan)], key="abc")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_idempotency_key"


def test_a_refused_request_releases_its_key(api, cast, kasongan):
    key = str(uuid.uuid4())
    too_many = [visit_payload(kasongan) for _ in range(501)]
    assert upload(api, cast.volunteer_katingan, too_many, key=key).status_code == 422
    assert not IdempotencyKey.objects.filter(key=key).exists()


def test_keys_older_than_48_hours_are_purged(cast):
    old = IdempotencyKey.objects.create(
        user=cast.volunteer_katingan,
        key=uuid.uuid4(),
        request_hash="x",
        state=IdempotencyState.DONE,
        created_at=timezone.now() - timedelta(hours=49),
    )
    fresh = IdempotencyKey.objects.create(
        user=cast.volunteer_katingan, key=uuid.uuid4(), request_hash="x", state=IdempotencyState.DONE
    )
    assert idempotency_keys_purge() == 1
    assert not IdempotencyKey.objects.filter(id=old.id).exists()
    assert IdempotencyKey.objects.filter(id=fresh.id).exists()
