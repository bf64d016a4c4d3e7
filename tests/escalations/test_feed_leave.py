"""The phone of a staff member whose offer ended learns through /sync/changes that the client left its scope."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.escalations.services import escalation_create, offers_expire
from backend.sync.changelog import change_record
from tests.escalations.conftest import make_client
from tests.sync.helpers import drain, ids_of

# The feed serves a change once every older transaction has finished: only committed data shows.
pytestmark = pytest.mark.django_db(transaction=True)


def _first_sync(api, cast, esc):  # type: ignore[no-untyped-def]
    items, cursor, _pages = drain(
        api, cast.counselor_near, until=lambda items: str(esc.client_id) in ids_of(items, "client")
    )
    assert str(esc.client_id) in ids_of(items, "client")
    # Read on past a marker written now, so the cursor is beyond the escalation's own creation rows (the feed's
    # horizon may hold them back a while): a `leave` seen later comes from what the test does next.
    marker = uuid.uuid4()
    change_record(entity="notification", entity_id=marker, user_id=cast.counselor_near.id)
    items, cursor, _pages = drain(
        api,
        cast.counselor_near,
        cursor=cursor,
        until=lambda items: str(marker) in ids_of(items, "notification", "leave"),
    )
    assert str(marker) in ids_of(items, "notification", "leave")
    assert str(esc.client_id) not in ids_of(items, "client", "leave")
    return cursor


def _left(api, cast, esc, cursor):  # type: ignore[no-untyped-def]
    items, _cursor, _pages = drain(
        api,
        cast.counselor_near,
        cursor=cursor,
        until=lambda items: str(esc.client_id) in ids_of(items, "client", "leave"),
        timeout=20,
    )
    return items


def _escalate(cast):  # type: ignore[no-untyped-def]
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    return escalation_create(
        actor=cast.volunteer_katingan, client=client, need="counseling", urgency="routine", reason="Tinggi"
    )


def test_after_a_decline_the_counselors_feed_drops_the_client(api, cast):
    """Bug: the change log rows of a decline were addressed to the next candidate only, so the decliner's phone
    kept the client (minimal view) forever."""
    esc = _escalate(cast)
    cursor = _first_sync(api, cast, esc)

    assert (
        api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/decline", {"reason": "Penuh"}).status_code
        == 200
    )

    items = _left(api, cast, esc, cursor)
    assert ("client", str(esc.client_id), "leave") in {(i["entity"], i["id"], i["op"]) for i in items}
    assert not ids_of(items, "client")  # no upsert of the client any more


def test_after_an_offer_expires_the_counselors_feed_drops_the_client(api, cast):
    """Bug: same for an offer that expired (the sweep)."""
    esc = _escalate(cast)
    cursor = _first_sync(api, cast, esc)

    assert offers_expire(now=timezone.now() + timedelta(days=2)) == 1

    items = _left(api, cast, esc, cursor)
    assert str(esc.client_id) in ids_of(items, "client", "leave")


def test_after_a_hand_assignment_the_previous_counselors_feed_drops_the_client(api, cast):
    """Bug: same for an offer withdrawn by a coordinator's assignment."""
    esc = _escalate(cast)
    cursor = _first_sync(api, cast, esc)

    response = api.as_(cast.coordinator_katingan).post(
        f"/escalations/{esc.id}/assign", {"staff_id": str(cast.counselor_far.id)}
    )
    assert response.status_code == 200

    items = _left(api, cast, esc, cursor)
    assert str(esc.client_id) in ids_of(items, "client", "leave")
