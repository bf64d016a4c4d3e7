"""Subject access (issue 10): a coordinator of the client's area produces the complete record as JSON and XLSX;
the export is audited and lists who read the record when; other roles get 403, anyone out of scope 404."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from backend.audit.models import AccessLog
from backend.recovery.models import ClientFamilyLink, FamilyMember
from tests.escalations.conftest import make_client
from tests.privacy.test_consent_withdrawal import taken_case, withdraw
from tests.recovery.helpers import fast_password_hashing  # noqa: F401
from tests.sync.helpers import upload, visit_payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api, cast):  # type: ignore[no-untyped-def]
    client = make_client(
        cast.kasongan_baru,
        cast.volunteer_katingan,
        volunteers=(cast.volunteer_katingan,),
        status="community_recovery",
    )
    member = FamilyMember.objects.create(
        name="Ibu Sumarni",
        relationship="ibu",
        village_id=client.village_id,
        created_by=cast.volunteer_katingan,
    )
    ClientFamilyLink.objects.create(client=client, member=member, linked_by=cast.volunteer_katingan)
    assert (
        upload(api, cast.volunteer_katingan, [visit_payload(client, notes="Kunjungan pertama")]).status_code
        == 200
    )
    taken_case(api, cast, client)
    assert api.as_(cast.official_katingan).get(f"/clients/{client.id}").status_code == 200
    return client


def test_a_coordinator_exports_the_complete_record_as_json_and_the_export_is_logged(api, cast, client):
    response = api.as_(cast.coordinator_katingan).get(f"/clients/{client.id}/export")
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"].startswith("attachment;")
    sections = response.json()["sections"]
    assert sections["client"][0]["name"] == client.name
    assert [f["name"] for f in sections["family_links"]] == ["Ibu Sumarni"]
    assert {c["scope"] for c in sections["consents"]} >= {"data_collection", "referral"}
    assert [v["notes"] for v in sections["visits"]] == ["Kunjungan pertama"]
    assert [e["assigned_to"] for e in sections["escalations"]] == [cast.counselor_near.name]
    assert any(t["kind"] == "accompany" for t in sections["tasks"])
    readers = {(row["user"], row["endpoint"]) for row in sections["access_log"]}
    assert (cast.official_katingan.name, "GET /clients/{id}") in readers
    assert AccessLog.objects.filter(
        client_id=client.id, user=cast.coordinator_katingan, endpoint="subject_access_export"
    ).exists()


def test_the_xlsx_holds_one_readable_sheet_per_section(api, cast, client):
    response = api.as_(cast.coordinator_kalteng).get(f"/clients/{client.id}/export", format="xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:3] == ["Klien", "Keluarga", "Persetujuan"] and "Log akses" in book.sheetnames
    sheet = book["Klien"]
    header = [c.value for c in sheet[1]]
    assert sheet.cell(row=2, column=header.index("name") + 1).value == client.name
    assert book["Kunjungan"].max_row == 2


def test_only_the_area_coordinators_export_and_others_learn_nothing(api, cast, client):
    for who in (cast.volunteer_katingan, cast.official_katingan, cast.counselor_near):
        response = api.as_(who).get(f"/clients/{client.id}/export")
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "coordinator_required"
    for who in (cast.coordinator_mataram, cast.volunteer_mataram, cast.counselor_far):
        assert api.as_(who).get(f"/clients/{client.id}/export").status_code == 404
    assert api.as_(cast.system_admin).get(f"/clients/{client.id}/export").status_code == 200


def test_a_client_who_withdrew_consent_can_still_have_their_copy(api, cast, client):
    withdraw(api, cast.volunteer_katingan, client)
    response = api.as_(cast.coordinator_katingan).get(f"/clients/{client.id}/export")
    assert response.status_code == 200
    assert response.json()["sections"]["client"][0]["consent_withdrawn_at"] is not None
