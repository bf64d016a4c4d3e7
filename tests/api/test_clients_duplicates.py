"""A NIK already enrolled outside the caller's scope: refused without naming the client, logged, limited."""

from __future__ import annotations

import logging

import pytest

from backend.recovery.duplicates import DUPLICATE_ANSWERS_PER_DAY
from backend.recovery.models import Client
from tests.recovery.helpers import fast_password_hashing, register  # noqa: F401

pytestmark = pytest.mark.django_db

NIK = "6206020501900001"  # Katingan, district 02, born 05-01-1990, male, serial 0001
MATARAM = "52.71.01.1004"


def new(**fields):
    body = {"name": "Orang Lain", "sex": "male", "birth_year": 1990, "village_code": MATARAM}
    body.update(fields)
    return body


def test_anyone_who_can_register_cannot_learn_where_a_nik_is_enrolled(api, cast):
    """Leak: a Mataram volunteer registering a Katingan client's NIK got that client's code back (regency and
    year of registration), i.e. proof that this person is in a drug-recovery programme, and where."""
    first = register(cast, nik=NIK)

    response = api.as_(cast.volunteer_mataram).post("/clients", new(nik=NIK))

    assert response.status_code == 409
    assert response.json()["existing"] is None
    assert first.code not in response.content.decode()
    assert str(first.id) not in response.content.decode()


def test_an_edit_adding_a_nik_enrolled_elsewhere_names_nothing_either(api, cast):
    first = register(cast, nik=NIK)
    mine = register(cast, actor=cast.volunteer_mataram, village=MATARAM, name="Orang Lain")

    response = api.as_(cast.volunteer_mataram).patch(f"/clients/{mine.id}", {"version": 1, "nik": NIK})

    assert response.status_code == 409
    assert response.json()["existing"] is None
    assert first.code not in response.content.decode()


def test_a_duplicate_outside_the_callers_scope_is_logged_with_ids_and_never_the_nik(api, cast, caplog):
    first = register(cast, nik=NIK)

    with caplog.at_level(logging.WARNING, logger="backend.reads.clients"):
        api.as_(cast.volunteer_mataram).post("/clients", new(nik=NIK))

    lines = [r.getMessage() for r in caplog.records if r.name == "backend.reads.clients"]
    assert len(lines) == 1
    assert str(cast.volunteer_mataram.id) in lines[0] and str(first.id) in lines[0]
    assert NIK not in caplog.text


def test_duplicate_answers_outside_the_callers_scope_are_limited_per_user(api, cast):
    """Leak: the refusal could be asked again and again to test NIKs in bulk; after a few a day it is 429."""
    register(cast, nik=NIK)
    prober = api.as_(cast.volunteer_mataram)

    answers = [prober.post("/clients", new(nik=NIK)).status_code for _ in range(DUPLICATE_ANSWERS_PER_DAY)]
    over = prober.post("/clients", new(nik=NIK))

    assert answers == [409] * DUPLICATE_ANSWERS_PER_DAY
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "rate_limited"
    assert int(over["Retry-After"]) > 0
    assert "existing" not in over.json()
    # Another user is not limited by this one's answers.
    other = api.as_(cast.coordinator_mataram).post("/clients", new(nik=NIK))
    assert other.status_code == 409
    assert Client.objects.count() == 1


def test_duplicates_inside_the_callers_scope_still_name_the_client_and_are_not_limited(api, cast):
    first = register(cast, nik=NIK)
    volunteer = api.as_(cast.official_katingan)

    for _ in range(DUPLICATE_ANSWERS_PER_DAY + 1):
        response = volunteer.post("/clients", new(village_code="62.06.02.1003", nik=NIK))
        assert response.status_code == 409
        assert response.json()["existing"] == {"id": str(first.id), "code": first.code}
