"""What of a case reaches whom: the merely offered see neither outcome notes nor earlier handling (a referral
never carries them on), and the creator loses the case with the client.

Each test's docstring names the leak it keeps closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.escalations.models import Escalation, Offer
from backend.recovery.models import Client
from tests.escalations.conftest import make_client
from tests.escalations.helpers import accepted_via_api as _accepted
from tests.escalations.helpers import escalate_via_api as _create
from tests.escalations.helpers import in_hours as _future

pytestmark = pytest.mark.django_db


# --- Referral reason and what the merely offered see -------------------------------------------------------


def test_a_referral_never_carries_the_outcome_notes_to_the_next_person_offered(api, cast, client_kasongan):
    """Leak: the outcome notes of the first assessment (HIV status, overdoses) became the referral's `reason`,
    which the next staff member offered the referral reads with only the client's minimal view."""
    eid = _accepted(api, cast, client_kasongan)
    notes = "HIV reaktif, hepatitis C, riwayat overdosis"

    response = api.as_(cast.counselor_near).post(
        f"/escalations/{eid}/outcome", {"outcome": "outpatient", "refer_need": "assessment", "notes": notes}
    )

    assert response.status_code == 200, response.content
    referral = Escalation.objects.get(referred_from_id=eid)
    assert referral.reason == "Rujukan lanjutan dari kasus sebelumnya."
    offer = referral.offers.get(status="pending")
    seen = api.as_(offer.staff).get(f"/escalations/{referral.id}").json()
    assert notes not in str(seen)
    assert seen["reason"] == "Rujukan lanjutan dari kasus sebelumnya."
    assert seen["referred_from_id"] is None


def test_someone_merely_offered_a_case_sees_no_outcome_notes_or_earlier_handling(api, cast, client_kasongan):
    """Leak: GET /escalations/{id} gave a staff member who was only offered the case the outcome, its notes,
    the earlier appointments and who handled it; those are for the handling staff, their facility's admin,
    coordinators and the village side."""
    esc = Escalation.objects.create(
        client=client_kasongan,
        need="counseling",
        urgency="routine",
        reason="kambuh",
        status="offered",
        outcome="methadone",
        outcome_notes="HIV positif",
        previous_appointments=[{"appointment_at": _future(), "replaced_by": str(cast.counselor_far.id)}],
        created_by=cast.volunteer_katingan,
    )
    Offer.objects.create(
        escalation=esc,
        staff=cast.counselor_near,
        facility=cast.pkm_kasongan,
        distance_km=2.5,
        expires_at=timezone.now() + timedelta(hours=24),
    )

    offered = api.as_(cast.counselor_near).get(f"/escalations/{esc.id}").json()
    listed = api.as_(cast.counselor_near).get("/escalations").json()["items"][0]
    coordinator = api.as_(cast.coordinator_katingan).get(f"/escalations/{esc.id}").json()
    volunteer = api.as_(cast.volunteer_katingan).get(f"/escalations/{esc.id}").json()

    for seen in (offered, listed):
        assert seen["reason"] == "kambuh"  # what they decide on
        assert (seen["outcome"], seen["outcome_notes"], seen["previous_appointments"]) == ("", "", [])
    assert coordinator["outcome_notes"] == volunteer["outcome_notes"] == "HIV positif"


# --- The creator after the client moved away ---------------------------------------------------------------


def test_the_creator_loses_the_escalation_when_the_client_moves_out_of_their_scope(api, cast):
    """Leak: `created_by` kept the escalation (client code, reason, outcome notes) readable by its creator for
    good, after the client moved to another province and left the creator's scope."""
    client = make_client(cast.kasongan_baru, cast.official_katingan)  # no volunteer: only the village path
    created = _create(api, cast.official_katingan, client)
    assert created.status_code == 201, created.content
    eid = created.json()["id"]
    official = api.as_(cast.official_katingan)
    assert official.get(f"/escalations/{eid}").status_code == 200

    Client.objects.filter(id=client.id).update(village_id="52.71.01.1004")  # moved to Mataram

    assert official.get(f"/clients/{client.id}").status_code == 404
    assert official.get(f"/escalations/{eid}").status_code == 404
    assert official.get("/escalations").json()["items"] == []
