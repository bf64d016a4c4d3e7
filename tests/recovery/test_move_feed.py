"""A client moving out of a coordinator's area reaches that coordinator's phone as a `leave` (GET /sync/changes).
Committed for real (transaction=True): the feed serves a change only once every older transaction finished."""

from __future__ import annotations

import pytest

from tests.recovery.helpers import fast_password_hashing, register  # noqa: F401
from tests.sync.helpers import drain, ids_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_old_areas_coordinator_gets_a_leave_when_the_client_moves_to_another_regency(api, cast):
    """Regression (review B): after a move, the old regency's coordinator got no change they could read (the
    feed filters by the reader's scope, which no longer holds the client), so their phone kept it for ever."""
    client = register(cast)
    items, cursor, _ = drain(
        api, cast.coordinator_katingan, until=lambda i: str(client.id) in ids_of(i, "client")
    )
    assert str(client.id) in ids_of(items, "client")
    response = api.as_(cast.coordinator_kalteng).patch(
        f"/clients/{client.id}", {"version": 1, "village_code": "62.13.01.1012"}
    )
    assert response.status_code == 200
    items, _, _ = drain(
        api, cast.coordinator_katingan, cursor, until=lambda i: str(client.id) in ids_of(i, "client", op=None)
    )
    assert [i["op"] for i in items if i["id"] == str(client.id)] == ["leave"]
    # The province's coordinator still holds the client: an upsert, not a leave.
    items, _, _ = drain(api, cast.coordinator_kalteng, until=lambda i: str(client.id) in ids_of(i, "client"))
    assert str(client.id) in ids_of(items, "client")
