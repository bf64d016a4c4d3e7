"""Who sees and changes which client, through every /clients endpoint, for every role of the cast.

The client lives in Kasongan Baru (Katingan, Kalimantan Tengah), registered by volunteer_katingan, and its
escalation is offered (not yet accepted) to counselor_near at Puskesmas Kasongan.
"""

from __future__ import annotations

import uuid

import pytest

from backend.audit.models import AccessLog
from tests.recovery.helpers import ALL_CONSENTS, fast_password_hashing, offer, register  # noqa: F401

pytestmark = pytest.mark.django_db

FULL = "full"
MINIMAL = "minimal"
NONE = None

# Role -> what they get of the Kasongan Baru client with a pending offer to counselor_near.
EXPECTED = {
    "volunteer_katingan": FULL,  # their village
    "official_katingan": FULL,  # their village
    "volunteer_talian": NONE,  # same district, other village, not assigned
    "volunteer_mataram": NONE,
    "counselor_near": MINIMAL,  # offered, not accepted
    "counselor_far": NONE,  # never offered
    "assessor_near": NONE,
    "facility_admin_kasongan": MINIMAL,  # offered to their facility's staff
    "coordinator_kalteng": FULL,  # province covers the village
    "coordinator_katingan": FULL,
    "coordinator_mataram": NONE,
    "system_admin": FULL,
    "nobody": NONE,
}


@pytest.fixture
def client_offered(cast):
    client = register(cast, consents=ALL_CONSENTS)
    offer(cast, client)
    return client


@pytest.mark.parametrize("role,expected", EXPECTED.items())
def test_the_detail_is_full_minimal_or_not_found_by_role(api, cast, client_offered, role, expected):
    response = api.as_(getattr(cast, role)).get(f"/clients/{client_offered.id}")
    if expected is NONE:
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "client_not_found"
        return
    assert response.status_code == 200
    body = response.json()
    assert body["access"] == expected
    assert body["code"] == client_offered.code
    if expected == MINIMAL:
        for hidden in ("name", "phone", "address", "nik_on_file", "notes", "status", "family_members"):
            assert body[hidden] is None
        assert body["escalation"]["need"] == "counseling"
        assert body["birth_year"] == 1995
        assert body["village"]["code"] == "62.06.02.1003"
    else:
        assert body["name"] == "Budi Santoso"


@pytest.mark.parametrize("role,expected", EXPECTED.items())
def test_the_list_shows_the_client_to_exactly_those_who_may_see_it(api, cast, client_offered, role, expected):
    response = api.as_(getattr(cast, role)).get("/clients")
    assert response.status_code == 200
    items = {i["id"]: i for i in response.json()["items"]}
    if expected is NONE:
        assert str(client_offered.id) not in items
    else:
        item = items[str(client_offered.id)]
        assert item["access"] == expected
        assert (item["name"] is None) is (expected == MINIMAL)


def _writes(client_id: uuid.UUID) -> list[tuple[str, str, dict | None]]:
    member = uuid.uuid4()
    return [
        ("patch", f"/clients/{client_id}", {"version": 1, "address": "Jl. Baru"}),
        (
            "post",
            f"/clients/{client_id}/family-members",
            {"id": str(member), "name": "Ibu", "relationship": "ibu", "role": "supporter"},
        ),
        ("delete", f"/clients/{client_id}/family-members/{member}", None),
        ("post", f"/clients/{client_id}/consents", {"scope": "referral", "given": False}),
        ("post", f"/clients/{client_id}/transitions", {"to": "community_recovery", "reason": "uji"}),
        (
            "post",
            f"/clients/{client_id}/screenings",
            {"id": str(uuid.uuid4()), "answers": {}, "q8": None},
        ),
    ]


def _reads(client_id: uuid.UUID) -> list[str]:
    return [f"/clients/{client_id}", f"/clients/{client_id}/visits", f"/clients/{client_id}/timeline"]


OUT_OF_SCOPE = [role for role, level in EXPECTED.items() if level is NONE]


@pytest.mark.parametrize("role", OUT_OF_SCOPE)
def test_every_endpoint_answers_404_out_of_scope_on_read_and_write(api, cast, client_offered, role):
    as_user = api.as_(getattr(cast, role))
    for path in _reads(client_offered.id):
        response = as_user.get(path)
        assert response.status_code == 404, path
    for method, path, body in _writes(client_offered.id):
        response = as_user.request(method, path, body)
        assert response.status_code == 404, (method, path, response.json())
    client_offered.refresh_from_db()
    assert client_offered.version == 1
    assert AccessLog.objects.filter(user=getattr(cast, role)).count() == 0


@pytest.mark.parametrize("role", ["counselor_near", "facility_admin_kasongan"])
def test_staff_only_offered_the_case_can_neither_read_history_nor_write(api, cast, client_offered, role):
    as_user = api.as_(getattr(cast, role))
    for path in _reads(client_offered.id)[1:]:
        response = as_user.get(path)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "full_access_required"
    for method, path, body in _writes(client_offered.id):
        response = as_user.request(method, path, body)
        assert response.status_code == 403, (method, path)
    client_offered.refresh_from_db()
    assert client_offered.version == 1


def test_a_missing_client_answers_exactly_like_one_out_of_scope(api, cast):
    response = api.as_(cast.system_admin).get(f"/clients/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "client_not_found"


def test_accepting_the_case_gives_the_counselor_the_full_record(api, cast):
    client = register(cast)
    offer(cast, client, accepted=True)
    response = api.as_(cast.counselor_near).get(f"/clients/{client.id}")
    assert response.json()["access"] == "full"
    assert api.as_(cast.counselor_near).get(f"/clients/{client.id}/timeline").status_code == 200


def test_the_facility_admin_sees_the_full_record_of_a_case_accepted_at_their_facility(api, cast):
    client = register(cast)
    offer(cast, client, accepted=True)
    assert api.as_(cast.facility_admin_kasongan).get(f"/clients/{client.id}").json()["access"] == "full"


def test_a_declined_offer_no_longer_shows_the_client_to_the_counselor(api, cast):
    client = register(cast)
    escalation = offer(cast, client)
    escalation.offers.update(status="declined")
    assert api.as_(cast.counselor_near).get(f"/clients/{client.id}").status_code == 404


def test_a_volunteer_sees_a_client_of_another_village_assigned_to_them(api, cast):
    client = register(
        cast, actor=cast.coordinator_katingan, assigned_volunteer_ids=[cast.volunteer_talian.id]
    )
    response = api.as_(cast.volunteer_talian).get(f"/clients/{client.id}")
    assert response.status_code == 200
    assert response.json()["access"] == "full"


def test_a_deactivated_role_sees_nothing(api, cast):
    client = register(cast)
    cast.volunteer_katingan.roles.update(active=False)
    assert api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}").status_code == 404


def test_the_list_does_not_multiply_a_client_with_several_offers(api, cast):
    client = register(cast)
    offer(cast, client)
    offer(cast, client, need="assessment")
    ids = [i["id"] for i in api.as_(cast.counselor_near).get("/clients").json()["items"]]
    assert ids == [str(client.id)]


def test_every_clients_endpoint_needs_a_token(api, cast, client_offered):
    assert api.get("/clients").status_code == 401
    for path in _reads(client_offered.id):
        assert api.get(path).status_code == 401
    for method, path, body in _writes(client_offered.id):
        assert api.request(method, path, body).status_code == 401
    assert api.post("/clients", {"name": "X"}).status_code == 401
