"""Three decisions of the access policy that the authorization matrix pins, each tested both ways (who may, and who
may not). The reasoning is in backend/access/policy.py's docstring ("Three decisions, and why")."""

from __future__ import annotations

import uuid

import pytest

from tests.recovery.helpers import ALL_CONSENTS, fast_password_hashing, offer, register  # noqa: F401

pytestmark = pytest.mark.django_db


# (a) Whoever holds the client's full record through a case (the counselor who took it, the facility's admin) may
# correct the record and the family; someone merely offered the case may not.


@pytest.mark.parametrize("role", ["counselor_near", "facility_admin_kasongan"])
def test_staff_holding_the_case_may_correct_the_client_record_and_the_family(api, cast, role):
    client = register(cast, consents=ALL_CONSENTS)
    offer(cast, client, accepted=True)
    as_user = api.as_(getattr(cast, role))

    patched = as_user.patch(
        f"/clients/{client.id}", {"version": client.version, "address": "Jl. Tjilik Riwut 3"}
    )
    member = as_user.post(
        f"/clients/{client.id}/family-members",
        {"id": str(uuid.uuid4()), "name": "Ibu Klien", "relationship": "ibu"},
    )

    assert patched.status_code == 200, patched.json()
    assert member.status_code == 201, member.json()
    edited = as_user.patch(
        f"/clients/{client.id}/family-members/{member.json()['id']}",
        {"version": member.json()["version"], "name": "Ibu Kandung Klien"},
    )
    assert edited.status_code == 200, edited.json()


@pytest.mark.parametrize("role", ["counselor_near", "facility_admin_kasongan"])
def test_staff_merely_offered_the_case_may_not_touch_the_record(api, cast, role):
    client = register(cast, consents=ALL_CONSENTS)
    offer(cast, client)
    as_user = api.as_(getattr(cast, role))

    patched = as_user.patch(f"/clients/{client.id}", {"version": client.version, "address": "Jl. Lain"})
    member = as_user.post(
        f"/clients/{client.id}/family-members",
        {"id": str(uuid.uuid4()), "name": "Ayah", "relationship": "ayah"},
    )

    assert (patched.status_code, member.status_code) == (403, 403)
    client.refresh_from_db()
    assert client.address != "Jl. Lain"


# (b) A BNN coordinator may register a client of their area, but a case is started by the village side.


def test_a_coordinator_registers_a_client_of_their_area(api, cast):
    response = api.as_(cast.coordinator_katingan).post(
        "/clients",
        {"name": "Klien Datang Sendiri", "sex": "male", "birth_year": 1990, "village_code": "62.06.02.1003",
         "consents": ALL_CONSENTS},
    )  # fmt: skip
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("role", ["coordinator_katingan", "coordinator_kalteng"])
def test_a_coordinator_does_not_escalate_the_village_side_does(api, cast, role):
    client = register(cast, consents=ALL_CONSENTS)
    body = {
        "client_id": str(client.id),
        "need": "counseling",
        "urgency": "routine",
        "reason": "Risiko tinggi",
    }

    by_coordinator = api.as_(getattr(cast, role)).post("/escalations", body)
    by_volunteer = api.as_(cast.volunteer_katingan).post("/escalations", body)

    assert by_coordinator.status_code == 403
    assert by_coordinator.json()["error"]["code"] == "field_worker_required"
    assert by_volunteer.status_code == 201, by_volunteer.json()


# (c) A report beyond one's reach is 404, like every other object out of scope; 403 only for a role that reads no
# reports at all.


def test_a_facility_admin_asking_for_a_regency_report_gets_404(api, cast):
    response = api.as_(cast.facility_admin_kasongan).get("/reports/monthly", area="62.06", month="2026-10")
    assert response.status_code == 404


def test_a_facility_admin_reads_their_facilitys_report(api, cast):
    response = api.as_(cast.facility_admin_kasongan).get(
        "/reports/monthly", facility=str(cast.pkm_kasongan.id), month="2026-10"
    )
    assert response.status_code == 200, response.json()


def test_a_role_that_reads_no_reports_gets_403(api, cast):
    response = api.as_(cast.volunteer_katingan).get("/reports/monthly", area="62.06", month="2026-10")
    assert response.status_code == 403
