"""Family members: who may pull an existing member onto a client, and what the stale-version answer leaves behind."""

from __future__ import annotations

import uuid

import pytest

from backend.audit.models import AccessLog
from backend.recovery.models import ClientFamilyLink
from tests.recovery.helpers import fast_password_hashing, offer, register  # noqa: F401

pytestmark = pytest.mark.django_db

PHONE = "+6281299990000"


def member(**fields):
    body = {
        "id": str(uuid.uuid4()),
        "name": "Ibu Klien",
        "relationship": "ibu",
        "phone": PHONE,
        "may_contact": True,
    }
    body.update(fields)
    return body


def test_a_member_of_a_client_seen_only_in_the_minimal_view_cannot_be_pulled_in(api, cast):
    """Leak: a counselor offered B's case (minimal view: no family) linked B's mother, by her id, to A whose case
    they had accepted, and got her name and phone back."""
    a = register(cast, name="Klien A")
    offer(cast, a, accepted=True)
    b = register(cast, actor=cast.volunteer_talian, village="62.06.02.2005", name="Klien B")
    body = member()
    assert api.as_(cast.volunteer_talian).post(f"/clients/{b.id}/family-members", body).status_code == 201
    offer(cast, b)  # only offered: the minimal view
    counselor = api.as_(cast.counselor_near)
    assert counselor.get(f"/clients/{b.id}").json()["access"] == "minimal"

    response = counselor.post(
        f"/clients/{a.id}/family-members", {"id": body["id"], "name": "x", "relationship": "x"}
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "family_member_not_found"
    assert PHONE not in response.content.decode()
    assert not ClientFamilyLink.objects.filter(client=a).exists()


def test_a_member_whose_only_link_in_scope_has_ended_cannot_be_pulled_in(api, cast):
    """Leak: an unlinked member stayed reachable through the old link, phone and all."""
    katingan = register(cast, name="Klien Lama")
    body = member()
    volunteer = api.as_(cast.volunteer_katingan)
    volunteer.post(f"/clients/{katingan.id}/family-members", body)
    volunteer.delete(f"/clients/{katingan.id}/family-members/{body['id']}")
    other = register(cast, name="Klien Baru")

    response = volunteer.post(f"/clients/{other.id}/family-members", {"id": body["id"]})

    assert response.status_code == 404
    assert PHONE not in response.content.decode()


def test_a_member_of_a_client_with_the_full_record_is_still_linked_by_id(api, cast):
    first, sibling = register(cast, name="Kakak"), register(cast, name="Adik")
    body = member()
    api.as_(cast.volunteer_katingan).post(f"/clients/{first.id}/family-members", body)

    response = api.as_(cast.coordinator_katingan).post(
        f"/clients/{sibling.id}/family-members", {"id": body["id"]}
    )

    assert response.status_code == 201


def test_the_stale_version_answer_of_a_member_edit_is_logged_as_a_read(api, cast):
    """Leak: the 409 `stale_version` carries the member as they are (phone too) without an access-log entry."""
    client = register(
        cast,
        consents=[{"scope": "data_collection", "given": True}, {"scope": "contact_family", "given": True}],
    )
    body = member()
    api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/family-members", body)
    official = cast.official_katingan

    response = api.as_(official).patch(
        f"/clients/{client.id}/family-members/{body['id']}", {"version": 9, "name": "X"}
    )

    assert response.status_code == 409
    assert response.json()["current"]["phone"] == PHONE
    log = AccessLog.objects.filter(user=official, client_id=client.id)
    assert list(log.values_list("endpoint", flat=True)) == ["PATCH /clients/{id}/family-members/{member_id}"]
