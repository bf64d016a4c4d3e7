"""Erasure on a valid request (issue 10, UU 27/2022 art. 43): a coordinator of the client's area (or a system
admin) erases the client's personal data; the anonymous row keeps past reports' numbers; the erasure is logged
without personal data; legal holds (a case a facility holds, treatment, the retention period) refuse it with 409
`erasure_blocked`, saying which and until when."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from backend.privacy.models import ErasureLog
from backend.recovery.models import Client, ClientCorrection, ClientFamilyLink, Consent, FamilyMember
from backend.sync.models import IdempotencyKey
from tests.escalations.conftest import make_client
from tests.factories import ScreeningFactory
from tests.privacy.helpers import database_text
from tests.privacy.test_consent_withdrawal import taken_case
from tests.recovery.helpers import fast_password_hashing  # noqa: F401
from tests.sync.helpers import upload, visit_payload

pytestmark = pytest.mark.django_db
REQUEST = {"basis": "subject_request", "request_reference": "BNNK-KTG/017/III/2024"}
NAME, PHONE, NIK = "Rahmat Hidayatullah", "081298765432", "6206011203900004"


@pytest.fixture
def march(time_machine):  # type: ignore[no-untyped-def]
    """Set-up in March 2024 (Katingan time); the erasure more than two years later, past the retention."""
    time_machine.move_to("2024-03-12 10:00:00+07:00", tick=False)
    return time_machine


def _client(api, cast):  # type: ignore[no-untyped-def]
    """A client with what Pulih keeps of them: identity, a visit and a contact note, an edit, family."""
    client = make_client(
        cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,), status="screened"
    )
    as_off = api.as_(cast.official_katingan)
    edit = {
        "version": 1,
        "name": NAME,
        "phone": PHONE,
        "nik": NIK,
        "address": "Jl. Melati 7",
        "reason": "KTP",
    }
    assert as_off.patch(f"/clients/{client.id}", edit).status_code == 200
    visit = visit_payload(client, notes=f"{NAME} ditemui di rumah")
    assert upload(api, cast.volunteer_katingan, [visit]).status_code == 200
    ScreeningFactory(client=client, screened_by=cast.volunteer_katingan)
    own = FamilyMember.objects.create(
        name="Siti Hidayah",
        relationship="ibu",
        phone="+6281311112222",
        village_id=client.village_id,
        created_by=cast.volunteer_katingan,
    )
    shared = FamilyMember.objects.create(
        name="Pak RT Slamet",
        relationship="tetangga",
        village_id=client.village_id,
        created_by=cast.volunteer_katingan,
    )
    other = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    for member, linked in ((own, client), (shared, client), (shared, other)):
        ClientFamilyLink.objects.create(client=linked, member=member, linked_by=cast.volunteer_katingan)
    client.refresh_from_db()
    return client, own, shared


def test_the_coordinator_erases_the_personal_data_and_the_erasure_is_logged(api, cast, march):
    client, own, shared = _client(api, cast)
    march.move_to("2026-05-01 10:00:00+07:00", tick=False)
    stored = {"results": [{"current": {"client_id": str(client.id), "notes": f"{NAME} ditemui"}}]}
    IdempotencyKey.objects.create(
        user=cast.volunteer_katingan, key=uuid.uuid4(), request_hash="x", state="done", response=stored
    )
    response = api.as_(cast.coordinator_katingan).post(f"/clients/{client.id}/erasure", REQUEST)
    assert response.status_code == 200, response.content
    text = database_text()
    for gone in (NAME, PHONE[1:], NIK, "Jl. Melati", "Siti Hidayah", "81311112222", client.code):
        assert gone not in text, gone
    assert "Pak RT Slamet" in text  # another client's family member stays
    erased = Client.objects.get(id=client.id)
    assert (erased.name, erased.phone, erased.nik_hash, erased.birth_year) == ("", "", None, None)
    assert erased.erased_at is not None and erased.consent_withdrawn_at is not None
    assert (erased.village_id, erased.sex, erased.status) == (client.village_id, client.sex, client.status)
    assert not ClientCorrection.objects.filter(client=client).exclude(old_value=None, new_value=None).exists()
    log = ErasureLog.objects.get(client_id=client.id)
    assert (log.basis, log.request_reference, log.erased_by_id) == (
        "subject_request",
        "BNNK-KTG/017/III/2024",
        cast.coordinator_katingan.id,
    )
    assert log.counts["visits"] == 1 and log.counts["family_members"] == 1


def test_nothing_opens_an_erased_record_again(api, cast, march):
    client, _own, _shared = _client(api, cast)
    march.move_to("2026-05-01 10:00:00+07:00", tick=False)
    as_coord = api.as_(cast.coordinator_katingan)
    assert as_coord.post(f"/clients/{client.id}/erasure", REQUEST).status_code == 200
    again = as_coord.post(f"/clients/{client.id}/erasure", REQUEST)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "client_erased")
    consent = {"scope": "data_collection", "given": True, "given_by": "client"}
    reopen = as_coord.post(f"/clients/{client.id}/consents", consent)
    assert (reopen.status_code, reopen.json()["error"]["code"]) == (409, "client_erased")
    assert api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}").status_code == 404


def test_a_past_months_report_is_the_same_byte_for_byte(api, cast, march):
    client, _own, _shared = _client(api, cast)
    march.move_to("2026-05-01 10:00:00+07:00", tick=False)
    as_coord = api.as_(cast.coordinator_katingan)
    query = {"area": "62.06", "month": "2024-03"}
    before = {f: as_coord.get("/reports/monthly", **query, format=f).content for f in ("csv", "json")}
    ipwl_before = as_coord.get("/reports/ipwl", **query).content
    assert b"1" in before["csv"]
    assert as_coord.post(f"/clients/{client.id}/erasure", REQUEST).status_code == 200
    after = {f: as_coord.get("/reports/monthly", **query, format=f).content for f in ("csv", "json")}
    assert after == before
    assert as_coord.get("/reports/ipwl", **query).content == ipwl_before


def test_a_case_a_facility_holds_and_treatment_block_the_erasure(api, cast):
    client, _own, _shared = _client(api, cast)
    esc = taken_case(api, cast, client)
    response = api.as_(cast.system_admin).post(f"/clients/{client.id}/erasure", REQUEST)
    assert response.status_code == 409
    body = response.json()
    assert body["error"]["code"] == "erasure_blocked"
    assert {h["hold"] for h in body["holds"]} == {"open_case", "retention_period"}
    assert all(NAME not in str(d) for d in body["error"]["details"])
    Client.objects.filter(id=client.id).update(status="inpatient")
    holds = api.as_(cast.coordinator_katingan).post(f"/clients/{client.id}/erasure", REQUEST).json()["holds"]
    assert {h["hold"] for h in holds} == {"open_case", "in_treatment", "retention_period"}
    assert not ErasureLog.objects.exists() and Client.objects.get(id=client.id).name == NAME
    assert esc.id


def test_the_retention_period_runs_from_the_last_clinical_event_and_says_until_when(
    api, cast, march, settings
):
    client, _own, _shared = _client(api, cast)
    screened = timezone.now()
    march.move_to(screened + timedelta(days=729), tick=False)
    response = api.as_(cast.coordinator_katingan).post(f"/clients/{client.id}/erasure", REQUEST)
    assert response.status_code == 409
    [hold] = response.json()["holds"]
    assert hold["hold"] == "retention_period"
    assert hold["until"].startswith((screened + timedelta(days=730)).date().isoformat())
    english = api.as_(cast.coordinator_katingan, lang="en").post(f"/clients/{client.id}/erasure", REQUEST)
    assert "retention" in english.json()["error"]["details"][0]["message"].lower()
    settings.PRIVACY_RETENTION_DAYS = 0
    assert (
        api.as_(cast.coordinator_katingan).post(f"/clients/{client.id}/erasure", REQUEST).status_code == 200
    )


def test_only_the_area_coordinators_and_system_admins_erase(api, cast, march):
    client, _own, _shared = _client(api, cast)
    march.move_to("2026-05-01 10:00:00+07:00", tick=False)
    for who in (cast.volunteer_katingan, cast.official_katingan):
        response = api.as_(who).post(f"/clients/{client.id}/erasure", REQUEST)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "coordinator_required")
    for who in (cast.coordinator_mataram, cast.volunteer_mataram, cast.counselor_far):
        assert api.as_(who).post(f"/clients/{client.id}/erasure", REQUEST).status_code == 404
    assert not ErasureLog.objects.exists()


@pytest.mark.parametrize("reference", ["Budi Santoso", "6206011203900004", "surat/0812345678901", ""])
def test_the_request_reference_is_a_number_never_a_name_nik_or_phone(api, cast, march, reference):
    client, _own, _shared = _client(api, cast)
    march.move_to("2026-05-01 10:00:00+07:00", tick=False)
    body = {**REQUEST, "request_reference": reference}
    response = api.as_(cast.coordinator_katingan).post(f"/clients/{client.id}/erasure", body)
    assert response.status_code == 422


def test_the_erasure_log_is_append_only(api, cast, march):
    client, _own, _shared = _client(api, cast)
    march.move_to("2026-05-01 10:00:00+07:00", tick=False)
    assert (
        api.as_(cast.coordinator_katingan).post(f"/clients/{client.id}/erasure", REQUEST).status_code == 200
    )
    log = ErasureLog.objects.get()
    for sql in (
        "UPDATE privacy_erasurelog SET request_reference = 'x' WHERE id = %s",
        "DELETE FROM privacy_erasurelog WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [log.id])
    assert uuid.UUID(str(log.client_id)) == client.id


def test_the_consent_ledger_lets_an_erasure_blank_a_note_and_nothing_else(api, cast, march):
    """The ledger stays append-only (recovery 0007); 0013 allows exactly the erasure's change: a note to ''."""
    client, _own, _shared = _client(api, cast)
    withdraw = {"scope": "referral", "given": False, "given_by": "client", "note": f"{NAME} menolak rujukan"}
    assert api.as_(cast.official_katingan).post(f"/clients/{client.id}/consents", withdraw).status_code == 201
    event = Consent.objects.get(client=client, note__contains=NAME)
    for change in ({"note": "lain"}, {"note": "", "given": True}, {"given_by": "guardian"}):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            Consent.objects.filter(id=event.id).update(**change)
    march.move_to("2026-05-01 10:00:00+07:00", tick=False)
    assert (
        api.as_(cast.coordinator_katingan).post(f"/clients/{client.id}/erasure", REQUEST).status_code == 200
    )
    event.refresh_from_db()
    assert (event.note, event.given, event.scope) == ("", False, "referral")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Consent.objects.filter(id=event.id).delete()
