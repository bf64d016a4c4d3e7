"""PATCH /clients/{id}/family-members/{member_id}: editing a family member (missing until review B)."""

from __future__ import annotations

import uuid

import pytest

from backend.recovery.models import FamilyMember
from backend.sync.models import ChangeLog
from tests.recovery.helpers import fast_password_hashing, offer, register  # noqa: F401

pytestmark = pytest.mark.django_db


def error(response):
    body = response.json()["error"]
    return body["code"], {d["field"]: d["code"] for d in body["details"]}


def linked(api, cast, client, **fields):
    body = {"id": str(uuid.uuid4()), "name": "Ibu Sari", "relationship": "ibu", "role": "supporter", **fields}
    assert (
        api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/family-members", body).status_code == 201
    )
    return body["id"]


def test_a_family_member_is_edited_field_by_field_with_its_version(api, cast):
    """Regression: there was no way to correct a family member's name, phone or role once linked."""
    client = register(cast, consents=[{"scope": "contact_family", "given": True}])
    member_id = linked(api, cast, client)
    response = api.as_(cast.official_katingan).patch(
        f"/clients/{client.id}/family-members/{member_id}",
        {"version": 1, "name": " Ibu Sari Rahayu ", "phone": "081299998888", "may_contact": True},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["relationship"], body["phone"], body["version"]) == (
        "Ibu Sari Rahayu",
        "ibu",
        "+6281299998888",
        2,
    )
    assert ChangeLog.objects.filter(entity="family_member", entity_id=member_id).count() == 2
    listed = api.as_(cast.official_katingan).get(f"/clients/{client.id}").json()["family_members"]
    assert [m["name"] for m in listed] == ["Ibu Sari Rahayu"]


def test_a_stale_family_edit_answers_409_with_the_current_member(api, cast):
    client = register(cast)
    member_id = linked(api, cast, client)
    path = f"/clients/{client.id}/family-members/{member_id}"
    api.as_(cast.volunteer_katingan).patch(path, {"version": 1, "relationship": "kakak"})
    response = api.as_(cast.official_katingan).patch(path, {"version": 1, "relationship": "adik"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    assert (response.json()["current"]["relationship"], response.json()["current"]["version"]) == ("kakak", 2)
    assert FamilyMember.objects.get(id=member_id).relationship == "kakak"


def test_a_family_edit_is_validated_and_names_the_fields(api, cast):
    client = register(cast)
    member_id = linked(api, cast, client)
    path = f"/clients/{client.id}/family-members/{member_id}"
    response = api.as_(cast.volunteer_katingan).patch(path, {"version": 1, "name": "   ", "phone": "12"})
    assert response.status_code == 422
    assert set(error(response)[1]) == {"name", "phone"}
    response = api.as_(cast.volunteer_katingan).patch(path, {"version": 1, "relationship": "x" * 41})
    assert set(error(response)[1]) == {"relationship"}
    assert FamilyMember.objects.get(id=member_id).version == 1


def test_a_member_edit_is_told_to_every_client_it_is_linked_to(api, cast):
    one, two = register(cast, name="Satu"), register(cast, name="Dua")
    member_id = linked(api, cast, one)
    api.as_(cast.volunteer_katingan).post(f"/clients/{two.id}/family-members", {"id": member_id})
    api.as_(cast.volunteer_katingan).patch(
        f"/clients/{one.id}/family-members/{member_id}", {"version": 1, "name": "B"}
    )
    rows = ChangeLog.objects.filter(entity="family_member", entity_id=member_id).order_by("id")
    assert {r.client_id for r in list(rows)[-2:]} == {one.id, two.id}


def test_a_member_not_linked_to_the_client_answers_404(api, cast):
    one, two = register(cast, name="Satu"), register(cast, name="Dua")
    member_id = linked(api, cast, one)
    as_vol = api.as_(cast.volunteer_katingan)
    response = as_vol.patch(f"/clients/{two.id}/family-members/{member_id}", {"version": 1, "name": "B"})
    assert (response.status_code, response.json()["error"]["code"]) == (404, "family_member_not_found")
    as_vol.delete(f"/clients/{one.id}/family-members/{member_id}")
    response = as_vol.patch(f"/clients/{one.id}/family-members/{member_id}", {"version": 1, "name": "B"})
    assert response.status_code == 404


@pytest.mark.parametrize("role,status", [("volunteer_mataram", 404), ("counselor_near", 403)])
def test_the_family_edit_is_scoped_like_the_other_family_endpoints(api, cast, role, status):
    client = register(cast)
    offer(cast, client)
    member_id = linked(api, cast, client)
    response = api.as_(getattr(cast, role)).patch(
        f"/clients/{client.id}/family-members/{member_id}", {"version": 1, "name": "B"}
    )
    assert response.status_code == status
    assert FamilyMember.objects.get(id=member_id).name == "Ibu Sari"
