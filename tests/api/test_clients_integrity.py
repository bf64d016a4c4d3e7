"""Rules found missing by review B: text validation, referral consent for treatment statuses, declined
offers, leaving the old area's coordinators, screening resends and clock, sex against the NIK, audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.access.policy import client_full_qs_for
from backend.common.errors import ValidationFailed
from backend.escalations.models import Offer
from backend.escalations.services import client_status_change
from backend.recovery.consents import consent_record
from backend.recovery.family import family_member_link
from backend.recovery.models import Client, Screening
from backend.recovery.nik import nik_hash
from backend.recovery.services import client_update
from backend.recovery.transitions import client_transition
from backend.sync.models import ChangeLog
from tests.api.test_clients_screening import DATA_ONLY, LOW_ALCOHOL, answers, screen
from tests.recovery.helpers import fast_password_hashing, offer, register  # noqa: F401

pytestmark = pytest.mark.django_db

NIK = "6206020501900001"  # male
NIK_WOMAN = "6206024501900002"  # female (+40 on the day)
REFERRAL = [{"scope": "referral", "given": True}]


def error(response):
    body = response.json()["error"]
    return body["code"], {d["field"]: d["code"] for d in body["details"]}


def fields_of(exc_info) -> dict[str, str]:
    return {d.field: d.code for d in exc_info.value.details}


# --- 1. free text ---------------------------------------------------------------------------------------------


def test_a_nul_character_in_a_clients_text_is_refused_by_the_service_naming_the_field(cast):
    """Regression: a NUL in a name, address or notes reached PostgreSQL and answered 500. The API guard now
    refuses NUL early, but the service is called from elsewhere too and must name the field itself."""
    with pytest.raises(ValidationFailed) as exc:
        register(cast, name="Budi\x00", address="Jl.\x00 Mawar")
    assert fields_of(exc) == {"name": "nul_character", "address": "nul_character"}
    client = register(cast)
    with pytest.raises(ValidationFailed) as exc:
        client_update(
            actor=cast.volunteer_katingan, client_id=client.id, version=1, changes={"notes": "a\x00"}
        )
    assert fields_of(exc) == {"notes": "nul_character"}
    assert not Client.objects.filter(notes__contains="a").exists()


def test_family_consent_and_transition_texts_are_checked_by_their_services(cast):
    """Regression: family member names, consent notes and transition reasons with NUL answered 500."""
    client = register(cast)
    with pytest.raises(ValidationFailed) as exc:
        family_member_link(
            actor=cast.volunteer_katingan,
            client=client,
            member_id=uuid.uuid4(),
            fields={"name": "Ibu\x00", "relationship": "x" * 41},
            clients_in_full_view=client_full_qs_for(user=cast.volunteer_katingan),
        )
    assert fields_of(exc) == {"name": "nul_character", "relationship": "too_long"}
    with pytest.raises(ValidationFailed) as exc:
        consent_record(
            actor=cast.volunteer_katingan, client=client, scope="referral", given=True, note="\x00"
        )
    assert fields_of(exc) == {"note": "nul_character"}
    with pytest.raises(ValidationFailed) as exc:
        client_status_change(
            actor=cast.volunteer_katingan, client_id=client.id, to_status="community_recovery", reason="\x00"
        )
    assert fields_of(exc) == {"reason": "nul_character"}
    client.refresh_from_db()
    assert client.status == "identified"


def test_texts_are_stored_stripped_and_a_blank_name_is_required(api, cast):
    response = api.as_(cast.volunteer_katingan).post(
        "/clients",
        {
            "name": "  Andi  ",
            "sex": "male",
            "birth_year": 1990,
            "village_code": "62.06.02.1003",
            "address": " A ",
        },
    )
    assert (response.json()["name"], response.json()["address"]) == ("Andi", "A")
    blank = api.as_(cast.volunteer_katingan).patch(
        f"/clients/{response.json()['id']}", {"version": 1, "name": "  "}
    )
    assert error(blank) == ("validation_error", {"name": "required"})


def test_the_api_refuses_a_nul_character_in_a_client_write_with_422(api, cast):
    client = register(cast)
    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{client.id}/transitions", {"to": "community_recovery", "reason": "a\u0000b"}
    )
    assert response.status_code == 422
    assert client.status_changes.count() == 0


# --- 2. transitions into escalation and treatment ------------------------------------------------------------


def test_escalated_by_hand_needs_referral_consent(api, cast):
    """Regression: POST /transitions moved a client to escalated (or into treatment) with no referral consent."""
    client = register(cast)
    response = api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/transitions", {"to": "escalated"})
    assert response.status_code == 409
    assert error(response) == ("consent_required", {"consent.referral": "consent_required"})
    client.refresh_from_db()
    assert client.status == "identified"


def test_escalated_by_hand_needs_a_case_a_staff_member_took(api, cast):
    """Regression: a manual move to escalated, with no escalation at all, left a client 'escalated' whom no
    one was handling. Only while a case is accepted (the status drifted) may a person set it."""
    client = register(cast, consents=REFERRAL)
    as_vol = api.as_(cast.volunteer_katingan)
    response = as_vol.post(f"/clients/{client.id}/transitions", {"to": "escalated"})
    assert error(response) == ("escalation_required", {"to": "escalation_required"})
    escalation = offer(cast, client)  # only offered: nobody took it yet
    assert as_vol.post(f"/clients/{client.id}/transitions", {"to": "escalated"}).status_code == 409
    escalation.status = "accepted"
    escalation.save(update_fields=["status"])
    response = as_vol.post(f"/clients/{client.id}/transitions", {"to": "escalated"})
    assert response.status_code == 200
    assert response.json()["status"] == "escalated"


@pytest.mark.parametrize("target", ["outpatient", "inpatient", "methadone"])
def test_a_move_into_treatment_needs_referral_consent(api, cast, target):
    client = register(cast)
    Client.objects.filter(id=client.id).update(status="escalated")
    as_vol = api.as_(cast.volunteer_katingan)
    response = as_vol.post(f"/clients/{client.id}/transitions", {"to": target})
    assert error(response) == ("consent_required", {"consent.referral": "consent_required"})
    consent_record(actor=cast.volunteer_katingan, client=client, scope="referral", given=True)
    response = as_vol.post(f"/clients/{client.id}/transitions", {"to": target})
    assert response.status_code == 200
    assert response.json()["status"] == target


def test_an_invalid_transition_still_answers_422_before_any_consent_check(api, cast):
    client = register(cast)
    response = api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/transitions", {"to": "methadone"})
    assert error(response) == ("invalid_transition", {"to": "invalid_transition"})


def test_the_escalation_services_path_is_not_bound_by_the_manual_checks(cast):
    """offer_accept and the outcome call client_transition directly: they run their own checks."""
    client = register(cast)
    moved = client_transition(client_id=client.id, to_status="escalated", actor=None, reason="escalation:x")
    assert moved.status == "escalated"


# --- 3. declined offers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["declined", "expired", "withdrawn"])
def test_a_facility_admin_no_longer_sees_a_client_whose_offer_is_over(api, cast, status):
    """Regression: the facility admin's minimal path matched any offer to their facility, whatever its status,
    so a declined case stayed visible (and its escalation shown) to the whole facility's admin for ever."""
    client = register(cast)
    escalation = offer(cast, client)
    as_admin = api.as_(cast.facility_admin_kasongan)
    assert as_admin.get(f"/clients/{client.id}").json()["escalation"]["id"] == str(escalation.id)
    Offer.objects.filter(escalation=escalation).update(status=status)
    assert as_admin.get(f"/clients/{client.id}").status_code == 404
    assert as_admin.get("/clients").json()["count"] == 0


def test_a_facility_admin_sees_the_open_offer_not_an_older_declined_one(api, cast):
    client = register(cast)
    old = offer(cast, client)
    Offer.objects.filter(escalation=old).update(status="declined")
    new = offer(cast, client, need="assessment")
    body = api.as_(cast.facility_admin_kasongan).get(f"/clients/{client.id}").json()
    assert (body["access"], body["escalation"]["id"]) == ("minimal", str(new.id))


# --- 4. a move out of an area ---------------------------------------------------------------------------------


def test_a_move_out_of_the_area_tells_the_old_areas_coordinator(api, cast):
    """Regression: after a move to another regency, the old regency's coordinator got no change row and their
    phone kept the client for ever (the feed filters by the reader's current scope)."""
    client = register(cast)
    response = api.as_(cast.coordinator_kalteng).patch(
        f"/clients/{client.id}", {"version": 1, "village_code": "62.13.01.1012"}
    )
    assert response.status_code == 200
    told = set(
        ChangeLog.objects.filter(entity_id=client.id, user_id__isnull=False).values_list("user_id", flat=True)
    )
    # The province's coordinator still sees the client: no row for them.
    assert told == {cast.volunteer_katingan.id, cast.official_katingan.id, cast.coordinator_katingan.id}
    assert api.as_(cast.coordinator_katingan).get(f"/clients/{client.id}").status_code == 404


def test_a_move_inside_the_area_tells_no_coordinator(api, cast):
    client = register(cast)
    api.as_(cast.coordinator_katingan).patch(
        f"/clients/{client.id}", {"version": 1, "village_code": "62.06.02.2005"}
    )
    told = set(
        ChangeLog.objects.filter(entity_id=client.id, user_id__isnull=False).values_list("user_id", flat=True)
    )
    assert told == {cast.volunteer_katingan.id, cast.official_katingan.id}


# --- 5. and 7. screenings -------------------------------------------------------------------------------------


def test_a_screening_resent_with_other_answers_is_a_conflict(api, cast):
    """Regression: the same id with different answers was answered with the stored result, silently losing
    the second screening."""
    client = register(cast, consents=DATA_ONLY)
    sid = uuid.uuid4()
    assert screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL, screening_id=sid).status_code == 201
    other = {"alcohol": {**LOW_ALCOHOL["alcohol"], "q2": 4}}
    response = screen(api, cast.volunteer_katingan, client, other, screening_id=sid)
    assert error(response) == ("id_conflict", {"id": "id_conflict"})
    response = screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL, q8=2, screening_id=sid)
    assert response.status_code == 409
    assert Screening.objects.get().answers_hash


def test_a_resend_with_the_same_answers_in_another_key_order_is_still_a_resend(api, cast):
    client = register(cast, consents=DATA_ONLY)
    sid = uuid.uuid4()
    screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL, screening_id=sid)
    shuffled = {k: dict(reversed(list(v.items()))) for k, v in reversed(list(answers(**LOW_ALCOHOL).items()))}
    body = {"id": str(sid), "answers": shuffled, "q8": 0}
    assert api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/screenings", body).status_code == 200


def test_a_screening_stored_before_the_hash_existed_is_compared_by_its_answers(api, cast):
    client = register(cast, consents=DATA_ONLY)
    sid = uuid.uuid4()
    screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL, screening_id=sid)
    Screening.objects.update(answers_hash="")
    assert screen(api, cast.volunteer_katingan, client, LOW_ALCOHOL, screening_id=sid).status_code == 200
    other = {"alcohol": {**LOW_ALCOHOL["alcohol"], "q2": 4}}
    assert screen(api, cast.volunteer_katingan, client, other, screening_id=sid).status_code == 409


@pytest.mark.parametrize(
    "when,code",
    [
        ("2099-01-01T00:00:00+07:00", "in_future"),
        ("9999-12-31T23:59:59+00:00", "in_future"),
        ("2001-01-01T00:00:00+07:00", "too_old"),
        ("2026-01-01T00:00:00", "timezone_required"),
    ],
)
def test_an_implausible_screening_time_is_refused(api, cast, when, code):
    """Regression: screened_at was stored unchecked (2099 and 9999 accepted)."""
    client = register(cast, consents=DATA_ONLY)
    body = {"id": str(uuid.uuid4()), "answers": answers(**LOW_ALCOHOL), "q8": 0, "screened_at": when}
    response = api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/screenings", body)
    assert error(response) == ("validation_error", {"screened_at": code})
    assert not Screening.objects.exists()


def test_a_screening_time_a_few_minutes_ahead_or_weeks_ago_is_kept(api, cast):
    client = register(cast, consents=DATA_ONLY)
    for when in (timezone.now() + timedelta(minutes=5), timezone.now() - timedelta(days=30)):
        body = {
            "id": str(uuid.uuid4()),
            "answers": answers(**LOW_ALCOHOL),
            "q8": 0,
            "screened_at": when.isoformat(),
        }
        response = api.as_(cast.volunteer_katingan).post(f"/clients/{client.id}/screenings", body)
        assert response.status_code == 201
        assert Screening.objects.get(id=body["id"]).screened_at == when


# --- 6. sex against the NIK -----------------------------------------------------------------------------------


def test_the_sex_cannot_change_against_the_stored_nik(api, cast):
    """Regression: PATCH sex=female on a client whose NIK encodes a man was accepted."""
    client = register(cast, nik=NIK)
    as_off = api.as_(cast.official_katingan)
    response = as_off.patch(f"/clients/{client.id}", {"version": 1, "sex": "female"})
    assert error(response) == ("validation_error", {"sex": "nik_sex_mismatch"})
    response = as_off.patch(f"/clients/{client.id}", {"version": 1, "sex": "female", "nik": NIK})
    assert response.status_code == 422
    assert error(response)[1] == {"nik": "nik_sex_mismatch"}
    response = as_off.patch(
        f"/clients/{client.id}", {"version": 1, "sex": "female", "nik": NIK_WOMAN, "reason": "KTP"}
    )
    assert response.status_code == 200
    assert (response.json()["sex"], response.json()["nik_on_file"]) == ("female", True)


def test_a_nik_can_be_removed_with_null_and_then_the_sex_changes_freely(api, cast):
    client = register(cast, nik=NIK)
    as_off = api.as_(cast.official_katingan)
    response = as_off.patch(f"/clients/{client.id}", {"version": 1, "nik": None, "reason": "salah ketik"})
    assert response.status_code == 200
    assert response.json()["nik_on_file"] is False
    client.refresh_from_db()
    assert client.nik_hash is None
    assert (
        as_off.patch(f"/clients/{client.id}", {"version": 2, "sex": "female", "reason": "KTP"}).status_code
        == 200
    )
    # the freed NIK may now be registered for someone else
    assert register(cast, name="Orang Lain", nik=NIK).nik_hash == nik_hash(NIK)


def test_a_patch_without_the_nik_keeps_it(api, cast):
    client = register(cast, nik=NIK)
    api.as_(cast.official_katingan).patch(f"/clients/{client.id}", {"version": 1, "notes": "x"})
    client.refresh_from_db()
    assert client.nik_hash == nik_hash(NIK)
