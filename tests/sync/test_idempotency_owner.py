"""An Idempotency-Key claim lives as long as the database session of the request that made it."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from backend.recovery.models import Visit
from backend.sync.idempotency import request_hash
from backend.sync.models import IdempotencyKey, IdempotencyState
from tests.sync.helpers import make_client, upload, visit_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def kasongan(cast):  # type: ignore[no-untyped-def]
    return make_client(village="62.06.02.1003", by=cast.official_katingan)


def _fresh_claim(user, visits, owner: str) -> uuid.UUID:  # type: ignore[no-untyped-def]
    key = uuid.uuid4()
    IdempotencyKey.objects.create(
        user=user, key=key, request_hash=request_hash(visits), state=IdempotencyState.IN_PROGRESS, owner=owner
    )
    return key


def _this_session() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid || ':' || (extract(epoch FROM backend_start) * 1000000)::bigint "
            "FROM pg_stat_activity WHERE pid = pg_backend_pid()"
        )
        return str(cursor.fetchone()[0])


def test_a_claim_whose_session_died_is_taken_over_at_once(api, cast, kasongan):  # type: ignore[no-untyped-def]
    """Fault: a request that died with the database (or its worker) left its claim `in_progress`, and every
    correct retry for 10 minutes answered 409. A claim whose session is gone is now taken over by the retry."""
    visits = [visit_payload(kasongan)]
    key = _fresh_claim(cast.volunteer_katingan, visits, owner="2147483646:1")  # no such session

    response = upload(api, cast.volunteer_katingan, visits, key=str(key))

    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["status"] == "created"
    assert Visit.objects.count() == 1
    claim = IdempotencyKey.objects.get(key=key)
    assert claim.state == IdempotencyState.DONE
    assert claim.owner == _this_session()


def test_a_claim_whose_session_is_alive_answers_409(api, cast, kasongan):  # type: ignore[no-untyped-def]
    """The owner is still at work (its session is alive): the retry waits, nothing is written twice."""
    visits = [visit_payload(kasongan)]
    key = _fresh_claim(cast.volunteer_katingan, visits, owner=_this_session())

    response = upload(api, cast.volunteer_katingan, visits, key=str(key))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert Visit.objects.count() == 0


def test_a_new_claim_records_its_session(api, cast, kasongan):  # type: ignore[no-untyped-def]
    key = str(uuid.uuid4())
    assert upload(api, cast.volunteer_katingan, [visit_payload(kasongan)], key=key).status_code == 200
    assert IdempotencyKey.objects.get(key=key).owner == _this_session()
