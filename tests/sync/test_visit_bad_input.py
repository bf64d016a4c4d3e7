"""POST /sync/visits with input PostgreSQL or Python arithmetic cannot take: the bad item alone is rejected.

Each case is a batch [valid, bad]: the valid visit must be created, the bad one rejected with a code and a
field, and the answer a 200 (before the fix, each of these failed the whole batch with a 500 and stored nothing).
"""

from __future__ import annotations

import uuid

import pytest

from backend.recovery import batches
from backend.recovery.models import Visit
from backend.recovery.visits import rules
from tests.sync.helpers import make_client, upload, visit_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def kasongan(cast):
    return make_client(village="62.06.02.1003", by=cast.official_katingan)


def _one_good_one_bad(api, cast, kasongan, bad, key=None):  # type: ignore[no-untyped-def]
    good = visit_payload(kasongan)
    response = upload(api, cast.volunteer_katingan, [good, bad], key=key)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert results[0]["status"] == "created"
    assert results[1]["status"] == "rejected"
    assert set(Visit.objects.values_list("id", flat=True)) == {uuid.UUID(good["id"])}
    return results[1]["error"]


@pytest.mark.parametrize("field", ["notes", "outcome"])
def test_a_nul_character_in_a_text_rejects_only_that_visit(api, cast, kasongan, field):
    """NUL cannot be stored in PostgreSQL text; the API guard lets this path through for per-item answers."""
    error = _one_good_one_bad(api, cast, kasongan, visit_payload(kasongan, **{field: "abc\x00def"}))
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert error["details"][0]["code"] == "invalid_character"


def test_a_lone_surrogate_in_a_text_rejects_only_that_visit(api, cast, kasongan):
    """A lone surrogate ("\\ud800") is not UTF-8: encoding it for PostgreSQL raised UnicodeEncodeError."""
    error = _one_good_one_bad(api, cast, kasongan, visit_payload(kasongan, notes="abc\ud800"))
    assert (error["code"], error["field"]) == ("validation_error", "notes")
    assert error["details"][0]["code"] == "invalid_character"


def test_a_lone_surrogate_with_an_idempotency_key_is_answered_and_stored(api, cast, kasongan):
    """The request hash and the stored answer (jsonb) must survive a surrogate in the body or in a bad id."""
    bad = visit_payload(kasongan, notes="abc\ud800", id="not-a-uuid\ud800")
    key = str(uuid.uuid4())
    error = _one_good_one_bad(api, cast, kasongan, bad, key=key)
    assert error["field"] == "id"
    replay = upload(api, cast.volunteer_katingan, [visit_payload(kasongan), bad], key=key)
    assert replay.status_code == 422  # same key, other payload (the good visit has a new id)
    assert replay.json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("field", ["latitude", "longitude", "location_accuracy_m"])
def test_an_integer_beyond_any_float_rejects_only_that_visit(api, cast, kasongan, field):
    """float(10**400) raised OverflowError in rules._number."""
    error = _one_good_one_bad(api, cast, kasongan, visit_payload(kasongan, **{field: 10**400}))
    assert (error["code"], error["field"]) == ("validation_error", field)
    assert error["details"][0]["code"] == "out_of_range"


@pytest.mark.parametrize(
    ("occurred_at", "code"),
    [
        ("0001-01-01T00:00:00+00:00", "too_old"),
        ("0001-01-01T00:00:00+05:00", "too_old"),
        ("9999-12-31T23:59:59-05:00", "in_future"),
    ],
)
def test_a_time_near_year_1_or_9999_with_a_next_visit_rejects_only_that_visit(
    api, cast, kasongan, occurred_at, code
):
    """_clean_occurred_at returned the flagged time and _clean_next_visit's date range overflowed on it."""
    bad = visit_payload(kasongan, occurred_at=occurred_at, next_visit_on="2026-01-01")
    error = _one_good_one_bad(api, cast, kasongan, bad)
    assert (error["code"], error["field"]) == ("validation_error", "occurred_at")
    assert [d["code"] for d in error["details"]] == [code]


def test_a_row_the_database_refuses_falls_back_to_one_row_at_a_time(api, cast, kasongan, monkeypatch):
    """The last line of defence: a DataError in the batch insert (a value the rules let through) rejects that
    row alone instead of failing the batch with a 500."""
    monkeypatch.setattr(rules, "text_storable", lambda value: True)
    monkeypatch.setattr(batches, "text_storable", lambda value: True)
    error = _one_good_one_bad(api, cast, kasongan, visit_payload(kasongan, notes="abc\x00def"))
    assert (error["code"], error["field"]) == ("validation_error", "body")
