"""Correction history (issue 10, UU 27/2022 art. 6): every edit of a client or of a linked family member keeps
what changed (old -> new), who, when and why; a change of identity needs a reason; the history is read by those
who see the full record (audit-logged), exported with the subject-access record, and append-only in the
database."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from backend.audit.models import AccessLog
from backend.recovery.models import ClientCorrection, ClientFamilyLink, FamilyMember
from tests.escalations.conftest import make_client
from tests.recovery.helpers import fast_password_hashing  # noqa: F401

pytestmark = pytest.mark.django_db
NIK = "6206011203900004"


@pytest.fixture
def client(cast):  # type: ignore[no-untyped-def]
    return make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))


def error(response):  # type: ignore[no-untyped-def]
    body = response.json()["error"]
    return body["code"], {d["field"]: d["code"] for d in body.get("details", [])}


def test_an_edit_keeps_each_changed_field_old_and_new_with_who_when_and_why(api, cast, client):
    old_name, old_phone = client.name, client.phone
    response = api.as_(cast.official_katingan).patch(
        f"/clients/{client.id}",
        {
            "version": 1,
            "name": "Budi Santoso",
            "phone": "081234567890",
            "notes": client.notes,
            "reason": "KTP",
        },
    )
    assert response.status_code == 200, response.content
    rows = {c.field: c for c in ClientCorrection.objects.filter(client=client)}
    assert set(rows) == {"name", "phone"}  # notes sent unchanged leave nothing
    assert (rows["name"].old_value, rows["name"].new_value) == (old_name, "Budi Santoso")
    assert (rows["phone"].old_value, rows["phone"].new_value) == (old_phone, "+6281234567890")
    assert {(c.actor_id, c.reason, c.version) for c in rows.values()} == {
        (cast.official_katingan.id, "KTP", 2)
    }


def test_a_change_of_identity_without_a_reason_is_refused_and_nothing_is_kept(api, cast, client):
    as_off = api.as_(cast.official_katingan)
    for change in ({"name": "Nama Lain"}, {"sex": "female"}, {"birth_year": 1980}, {"nik": NIK}):
        response = as_off.patch(f"/clients/{client.id}", {"version": 1, **change})
        assert response.status_code == 422, change
        assert error(response) == ("validation_error", {"reason": "reason_required"})
    assert not ClientCorrection.objects.exists()
    ok = as_off.patch(f"/clients/{client.id}", {"version": 1, "address": "Jl. Baru 2"})
    assert ok.status_code == 200  # a routine change takes no reason
    english = api.as_(cast.official_katingan, lang="en").patch(
        f"/clients/{client.id}", {"version": 2, "name": "Nama Lain"}
    )
    assert "reason" in english.json()["error"]["details"][0]["message"].lower()


def test_the_nik_is_kept_only_as_whether_one_was_on_file(api, cast, client):
    response = api.as_(cast.official_katingan).patch(
        f"/clients/{client.id}", {"version": 1, "nik": NIK, "reason": "KTP"}
    )
    assert response.status_code == 200, response.content
    row = ClientCorrection.objects.get(client=client, field="nik")
    assert (row.old_value, row.new_value) == ({"on_file": False}, {"on_file": True})
    assert NIK not in str(ClientCorrection.objects.values_list())


def test_a_family_member_edit_is_kept_but_not_their_phone(api, cast, client):
    member = FamilyMember.objects.create(
        name="Ibu Sumarni",
        relationship="ibu",
        phone="+6281111111111",
        village_id=client.village_id,
        created_by=cast.volunteer_katingan,
    )
    ClientFamilyLink.objects.create(client=client, member=member, linked_by=cast.volunteer_katingan)
    response = api.as_(cast.volunteer_katingan).patch(
        f"/clients/{client.id}/family-members/{member.id}",
        {"version": 1, "name": "Ibu Sumarni Dewi", "phone": "081222222222", "reason": "ejaan"},
    )
    assert response.status_code == 200, response.content
    rows = {c.field: c for c in ClientCorrection.objects.filter(client=client, member_id=member.id)}
    assert (rows["name"].old_value, rows["name"].new_value, rows["name"].reason) == (
        "Ibu Sumarni",
        "Ibu Sumarni Dewi",
        "ejaan",
    )
    assert (rows["phone"].old_value, rows["phone"].new_value) == (None, None)
    assert "81111111111" not in str(ClientCorrection.objects.values_list())


def test_the_history_is_read_by_those_who_see_the_full_record_and_the_read_is_logged(api, cast, client):
    api.as_(cast.official_katingan).patch(
        f"/clients/{client.id}", {"version": 1, "name": "Budi Santoso", "reason": "KTP"}
    )
    response = api.as_(cast.volunteer_katingan).get(f"/clients/{client.id}/corrections")
    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    assert (item["field"], item["new_value"], item["reason"], item["changed_by"]["name"]) == (
        "name",
        "Budi Santoso",
        "KTP",
        cast.official_katingan.name,
    )
    assert AccessLog.objects.filter(
        client_id=client.id, user=cast.volunteer_katingan, endpoint="GET /clients/{id}/corrections"
    ).exists()
    for outsider in (cast.volunteer_mataram, cast.coordinator_mataram, cast.counselor_far):
        assert api.as_(outsider).get(f"/clients/{client.id}/corrections").status_code == 404


def test_the_subject_access_export_holds_the_history(api, cast, client):
    api.as_(cast.official_katingan).patch(
        f"/clients/{client.id}", {"version": 1, "name": "Budi Santoso", "reason": "KTP"}
    )
    sections = api.as_(cast.coordinator_katingan).get(f"/clients/{client.id}/export").json()["sections"]
    assert [(c["field"], c["new_value"], c["reason"]) for c in sections["corrections"]] == [
        ("name", "Budi Santoso", "KTP")
    ]


def test_the_history_is_append_only_in_the_database(api, cast, client):
    api.as_(cast.official_katingan).patch(
        f"/clients/{client.id}", {"version": 1, "name": "Budi Santoso", "reason": "KTP"}
    )
    row = ClientCorrection.objects.get(client=client)
    for sql in (
        "UPDATE recovery_clientcorrection SET reason = 'diubah' WHERE id = %s",
        "UPDATE recovery_clientcorrection SET new_value = NULL WHERE id = %s",
        "DELETE FROM recovery_clientcorrection WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.id])
    # the one change allowed: an erasure blanks the values and the reason, once
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE recovery_clientcorrection SET old_value = NULL, new_value = NULL, reason = '', "
            "erased_at = now() WHERE id = %s",
            [row.id],
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE recovery_clientcorrection SET erased_at = now() WHERE id = %s", [row.id])
