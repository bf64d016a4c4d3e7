"""Family members, consent and lifecycle transitions of a client."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from backend.common.errors import Conflict
from backend.recovery.models import ClientFamilyLink, ClientStatusChange, Consent, FamilyMember
from backend.recovery.selectors import (
    consent_in_force,
    consent_require,
    family_contact_allowed,
    family_contact_require,
)
from backend.sync.models import ChangeLog
from tests.recovery.helpers import fast_password_hashing, register  # noqa: F401

pytestmark = pytest.mark.django_db


def member(**fields):
    body = {
        "id": str(uuid.uuid4()),
        "name": "Ibu Sari",
        "relationship": "ibu",
        "phone": "081299998888",
        "role": "guardian",
        "may_contact": True,
    }
    body.update(fields)
    return body


def error(response):
    body = response.json()["error"]
    return body["code"], {d["field"]: d["code"] for d in body["details"]}


# --- family ---------------------------------------------------------------------------------------------------


def test_a_family_member_made_on_the_phone_is_linked_and_a_resend_changes_nothing(api, cast):
    client = register(cast)
    body = member()
    first = api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/family-members", body)
    assert first.status_code == 201
    assert first.json()["id"] == body["id"]
    again = api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/family-members", body)
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    assert FamilyMember.objects.count() == 1
    assert ClientFamilyLink.objects.count() == 1
    assert (
        ChangeLog.objects.filter(entity="family_member", entity_id=body["id"], client_id=client.id).count()
        == 1
    )


def test_a_new_member_needs_a_name_and_a_relationship(api, cast):
    client = register(cast)
    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{client.id}/family-members", {"id": str(uuid.uuid4()), "phone": "12"}
    )
    assert response.status_code == 422
    assert error(response)[1] == {"name": "required", "relationship": "required", "phone": "invalid_phone"}


def test_an_existing_member_is_linked_to_a_sibling_by_id(api, cast):
    first, sibling = register(cast, name="Kakak"), register(cast, name="Adik")
    body = member()
    api.as_(cast.volunteer_katingan).post(f"/clients/{first.id}/family-members", body)
    response = api.as_(cast.official_katingan).post(
        f"/clients/{sibling.id}/family-members", {"id": body["id"]}
    )
    assert response.status_code == 201
    assert set(ClientFamilyLink.objects.filter(member_id=body["id"]).values_list("client_id", flat=True)) == {
        first.id,
        sibling.id,
    }


def test_a_member_of_someone_out_of_scope_cannot_be_linked_by_guessing_its_id(api, cast):
    katingan = register(cast)
    body = member()
    api.as_(cast.volunteer_katingan).post(f"/clients/{katingan.id}/family-members", body)
    mataram = register(cast, actor=cast.volunteer_mataram, village="52.71.01.1004", name="Klien Mataram")
    response = api.as_(cast.volunteer_mataram).post(
        f"/clients/{mataram.id}/family-members", {"id": body["id"]}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "family_member_not_found"


def test_unlinking_keeps_the_history_and_shows_in_the_timeline(api, cast):
    client = register(cast, consents=[{"scope": "data_collection", "given": True}])
    body = member()
    as_vol = api.as_(cast.volunteer_katingan)
    as_vol.post(f"/clients/{client.id}/family-members", body)
    response = as_vol.delete(f"/clients/{client.id}/family-members/{body['id']}")
    assert response.status_code == 204
    link = ClientFamilyLink.objects.get(member_id=body["id"])
    assert link.unlinked_at is not None and link.unlinked_by == cast.volunteer_katingan
    assert as_vol.get(f"/clients/{client.id}").json()["family_members"] == []
    kinds = [i["kind"] for i in as_vol.get(f"/clients/{client.id}/timeline", order="asc").json()["items"]]
    assert kinds[-2:] == ["family_link", "family_unlink"]
    assert as_vol.delete(f"/clients/{client.id}/family-members/{body['id']}").status_code == 404
    # linking again makes a new link; the old one stays
    assert as_vol.post(f"/clients/{client.id}/family-members", {"id": body["id"]}).status_code == 201
    assert ClientFamilyLink.objects.filter(member_id=body["id"]).count() == 2


def test_a_members_phone_is_shown_only_with_their_agreement_and_the_clients_consent(api, cast):
    client = register(cast)
    as_vol = api.as_(cast.volunteer_katingan)
    willing = member(name="Ayah", role="supporter", may_contact=True)
    unwilling = member(name="Paman", role="supporter", may_contact=False, phone="081277776666")
    assert (
        as_vol.post(f"/clients/{client.id}/family-members", willing).json()["phone"] is None
    )  # no consent yet
    as_vol.post(f"/clients/{client.id}/family-members", unwilling)
    as_vol.post(f"/clients/{client.id}/consents", {"scope": "contact_family", "given": True})
    phones = {m["name"]: m["phone"] for m in as_vol.get(f"/clients/{client.id}").json()["family_members"]}
    assert phones == {"Ayah": "+6281299998888", "Paman": None}
    as_vol.post(f"/clients/{client.id}/consents", {"scope": "contact_family", "given": False})
    phones = {m["name"]: m["phone"] for m in as_vol.get(f"/clients/{client.id}").json()["family_members"]}
    assert phones == {"Ayah": None, "Paman": None}


def test_the_family_contact_check_other_code_calls(cast):
    client = register(cast)
    willing = FamilyMember.objects.create(
        name="Ayah",
        relationship="ayah",
        may_contact=True,
        village=cast.kasongan_baru,
        created_by=cast.volunteer_katingan,
    )
    assert family_contact_allowed(client_id=client.id, member=willing) is False
    with pytest.raises(Conflict) as exc:
        family_contact_require(client_id=client.id, member=willing)
    assert exc.value.code == "consent_required"
    Consent.objects.create(
        client=client,
        scope="contact_family",
        given=True,
        given_by="client",
        recorded_by=cast.volunteer_katingan,
    )
    assert family_contact_allowed(client_id=client.id, member=willing) is True
    willing.may_contact = False
    with pytest.raises(Conflict) as exc:
        family_contact_require(client_id=client.id, member=willing)
    assert exc.value.code == "family_contact_not_allowed"


# --- consent --------------------------------------------------------------------------------------------------


def test_consent_is_given_and_withdrawn_and_the_latest_event_is_in_force(api, cast):
    client = register(cast)
    as_vol = api.as_(cast.volunteer_katingan)
    given = as_vol.post(
        f"/clients/{client.id}/consents", {"scope": "referral", "given": True, "note": "lisan"}
    )
    assert given.status_code == 201
    assert given.json()["in_force"] == {"data_collection": False, "contact_family": False, "referral": True}
    withdrawn = as_vol.post(f"/clients/{client.id}/consents", {"scope": "referral", "given": False})
    assert withdrawn.json()["in_force"]["referral"] is False
    assert consent_in_force(client_id=client.id, scope="referral") is False
    assert Consent.objects.filter(client=client).count() == 2  # history kept
    assert Consent.objects.filter(client=client).first().recorded_by == cast.volunteer_katingan


def test_events_recorded_within_one_clock_tick_keep_their_order(api, cast, time_machine):
    time_machine.move_to("2026-06-01 10:00:00+07:00", tick=False)
    client = register(cast)
    as_vol = api.as_(cast.volunteer_katingan)
    for given in (True, False, True, False):
        as_vol.post(f"/clients/{client.id}/consents", {"scope": "referral", "given": given})
    assert consent_in_force(client_id=client.id, scope="referral") is False


def test_consent_require_names_the_missing_scope(cast):
    client = register(cast)
    with pytest.raises(Conflict) as exc:
        consent_require(client_id=client.id, scope="referral")
    assert exc.value.status == 409
    assert exc.value.code == "consent_required"
    assert exc.value.details[0].field == "consent.referral"


def test_a_minor_needs_a_linked_guardian_to_consent(api, cast):
    client = register(cast, name="Anak", birth_date=date(2012, 5, 1), birth_year=None)
    as_vol = api.as_(cast.volunteer_katingan)
    path = f"/clients/{client.id}/consents"
    refused = as_vol.post(path, {"scope": "data_collection", "given": True})
    assert refused.status_code == 422
    assert error(refused) == ("guardian_consent_required", {"given_by": "guardian_consent_required"})
    supporter = member(role="supporter", name="Tetangga")
    as_vol.post(f"/clients/{client.id}/family-members", supporter)
    refused = as_vol.post(
        path,
        {"scope": "data_collection", "given": True, "given_by": "guardian", "guardian_id": supporter["id"]},
    )
    assert error(refused) == ("guardian_consent_required", {"guardian_id": "guardian_consent_required"})
    guardian = member(role="guardian")
    as_vol.post(f"/clients/{client.id}/family-members", guardian)
    ok = as_vol.post(
        path,
        {"scope": "data_collection", "given": True, "given_by": "guardian", "guardian_id": guardian["id"]},
    )
    assert ok.status_code == 201
    assert ok.json()["guardian_id"] == guardian["id"]
    # withdrawing never needs more than asking
    assert as_vol.post(path, {"scope": "data_collection", "given": False}).status_code == 201


def test_an_adults_consent_from_an_unlinked_guardian_does_not_say_under_age(api, cast):
    """Found by fuzzing: the guardian-consent error said "Klien di bawah umur" (a minor) for an adult client
    whose `guardian_id` was unknown."""
    adult = register(cast, name="Dewasa", birth_date=date(1990, 5, 1), birth_year=None)
    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{adult.id}/consents",
        {"scope": "referral", "given": True, "given_by": "guardian", "guardian_id": str(uuid.uuid4())},
    )
    assert response.status_code == 422
    assert error(response) == ("guardian_not_linked", {"guardian_id": "guardian_not_linked"})
    message = response.json()["error"]["message"]
    assert (
        message == "Wali tidak ditemukan: pilih anggota keluarga berperan wali yang terhubung dengan klien."
    )


def test_a_client_known_only_by_a_birth_year_who_may_be_17_counts_as_a_minor(api, cast):
    year = date.today().year - 18
    client = register(cast, name="Remaja", birth_year=year)
    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{client.id}/consents", {"scope": "referral", "given": True}
    )
    assert response.status_code == 422
    adult = register(cast, name="Dewasa", birth_year=year - 1)
    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{adult.id}/consents", {"scope": "referral", "given": True}
    )
    assert response.status_code == 201


def test_an_initial_consent_for_a_minor_at_registration_is_refused(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients",
        {
            "name": "Anak",
            "sex": "male",
            "birth_date": "2013-02-02",
            "village_code": "62.06.02.1003",
            "consents": [{"scope": "data_collection", "given": True}],
        },
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "guardian_consent_required"
    from backend.recovery.models import Client

    assert not Client.objects.exists()  # one transaction: nothing half-registered


# --- transitions ----------------------------------------------------------------------------------------------


def test_a_valid_transition_is_applied_and_kept_as_history(api, cast):
    client = register(cast)
    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{client.id}/transitions", {"to": "community_recovery", "reason": "ikut kelompok dukungan"}
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("community_recovery", 2)
    change = ClientStatusChange.objects.get(client=client)
    assert (change.from_status, change.to_status, change.actor) == (
        "identified",
        "community_recovery",
        cast.volunteer_katingan,
    )
    assert change.reason == "ikut kelompok dukungan"


@pytest.mark.parametrize("target", ["recovered", "inpatient", "identified", "nonsense"])
def test_an_invalid_transition_answers_422(api, cast, target):
    client = register(cast)
    response = api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/transitions", {"to": target})
    assert response.status_code == 422
    assert error(response) == ("invalid_transition", {"to": "invalid_transition"})
    client.refresh_from_db()
    assert client.status == "identified"
