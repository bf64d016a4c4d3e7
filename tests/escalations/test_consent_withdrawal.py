"""Withdrawing consent stops the referral: open escalations are called off, taken ones stay with their staff
member (who is told) and may only be closed; without data-collection consent no case starts or is taken."""

import pytest

from backend.escalations.models import Escalation, EscalationStatus, Offer, OfferStatus
from backend.escalations.services import escalation_create, offer_accept
from notifications.models import Notification
from notifications.texts import render_push
from tests.escalations.helpers import accepted_via_api as _accepted
from tests.escalations.helpers import escalate_via_api as _create
from tests.escalations.helpers import in_hours as _future
from tests.escalations.helpers import record_consent as _consent

pytestmark = pytest.mark.django_db


def _withdraw_referral(api, cast, client):
    return api.as_(cast.volunteer_katingan).post(
        f"/clients/{client.id}/consents", {"scope": "referral", "given": False, "given_by": "client"}
    )


def test_withdrawing_referral_consent_cancels_an_offered_escalation_and_withdraws_its_offer(
    api, cast, client_kasongan
):
    esc = escalation_create(
        actor=cast.volunteer_katingan,
        client=client_kasongan,
        need="counseling",
        urgency="routine",
        reason="kambuh",
    )
    assert esc.status == EscalationStatus.OFFERED

    response = _withdraw_referral(api, cast, client_kasongan)

    assert response.status_code == 201, response.content
    esc.refresh_from_db()
    assert esc.status == EscalationStatus.CANCELLED
    assert esc.cancel_reason == "Persetujuan rujukan ditarik."
    assert not Offer.objects.filter(escalation=esc, status=OfferStatus.PENDING).exists()
    assert Offer.objects.filter(escalation=esc, status=OfferStatus.WITHDRAWN).count() == 1


def test_an_escalation_staff_already_accepted_stays_with_them(api, cast, client_kasongan):
    esc = escalation_create(
        actor=cast.volunteer_katingan,
        client=client_kasongan,
        need="counseling",
        urgency="routine",
        reason="kambuh",
    )
    offer = Offer.objects.get(escalation=esc, status=OfferStatus.PENDING)
    offer_accept(escalation_id=esc.id, actor=offer.staff)

    assert _withdraw_referral(api, cast, client_kasongan).status_code == 201

    assert Escalation.objects.get(id=esc.id).status == EscalationStatus.ACCEPTED


def test_withdrawing_another_consent_leaves_escalations_alone(api, cast, client_kasongan):
    esc = escalation_create(
        actor=cast.volunteer_katingan,
        client=client_kasongan,
        need="counseling",
        urgency="routine",
        reason="kambuh",
    )
    response = api.as_(cast.volunteer_katingan).post(
        f"/clients/{client_kasongan.id}/consents",
        {"scope": "contact_family", "given": False, "given_by": "client"},
    )
    assert response.status_code == 201
    assert Escalation.objects.get(id=esc.id).status == EscalationStatus.OFFERED


# --- Consent withdrawn: a case cannot go on ----------------------------------------------------------------


def test_no_escalation_without_data_collection_consent(api, cast, client_kasongan):
    """Leak: an escalation (reason: health free text) could be created after the client withdrew consent to
    data collection; only referral consent was checked. (Since issue 10 a withdrawn client's every write
    answers `consent_withdrawn`; a client who never gave that consent still gets `consent_required`.)"""
    _consent(api, cast.volunteer_katingan, client_kasongan, "data_collection", False)

    response = _create(api, cast.volunteer_katingan, client_kasongan)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "consent_withdrawn"
    assert not Escalation.objects.filter(client=client_kasongan).exists()


def test_a_taken_case_stops_when_referral_consent_is_withdrawn_but_may_be_closed(api, cast, client_kasongan):
    """Leak: after the client withdrew referral consent, the staff member who had accepted the case went on
    scheduling, recording outcomes and referring the client on; now every step but closing answers 409."""
    eid = _accepted(api, cast, client_kasongan)
    _consent(api, cast.volunteer_katingan, client_kasongan, "referral", False)
    counselor = api.as_(cast.counselor_near)

    steps = [
        counselor.post(f"/escalations/{eid}/schedule", {"appointment_at": _future()}),
        counselor.post(f"/escalations/{eid}/outcome", {"outcome": "outpatient", "notes": "x"}),
        counselor.post(f"/escalations/{eid}/outcome", {"outcome": "outpatient", "refer_need": "assessment"}),
    ]
    closed = counselor.post(f"/escalations/{eid}/close")

    for response in steps:
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "consent_required"
        assert response.json()["error"]["details"][0]["field"] == "consent.referral"
    assert Escalation.objects.filter(referred_from_id=eid).count() == 0
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


def test_the_staff_member_handling_the_case_is_told_of_the_withdrawal(api, cast, client_kasongan):
    """Leak: the assigned staff member was never told the client withdrew referral consent, so they kept
    processing the case; now they get an `escalation_consent_withdrawn` notification (code in the inbox only)."""
    eid = _accepted(api, cast, client_kasongan)

    _consent(api, cast.volunteer_katingan, client_kasongan, "referral", False)

    note = Notification.objects.get(recipient=cast.counselor_near, kind="escalation_consent_withdrawn")
    assert client_kasongan.code in note.body
    assert note.data["escalation_id"] == eid
    push_title, push_body = render_push("escalation_consent_withdrawn")
    assert client_kasongan.code not in push_title + push_body


def test_an_open_offer_cannot_be_accepted_or_assigned_after_data_collection_is_withdrawn(
    api, cast, client_kasongan
):
    """Leak: with data-collection consent withdrawn, the offered case could still be accepted (moving the
    client to `escalated`) or handed to someone by the coordinator. Since issue 10 the withdrawal calls the
    untaken case off at once (its offer withdrawn), so neither can happen."""
    created = _create(api, cast.volunteer_katingan, client_kasongan)
    eid = created.json()["id"]
    _consent(api, cast.volunteer_katingan, client_kasongan, "data_collection", False)

    accept = api.as_(cast.counselor_near).post(f"/escalations/{eid}/accept")
    assign = api.as_(cast.coordinator_katingan).post(
        f"/escalations/{eid}/assign", {"staff_id": str(cast.counselor_far.id)}
    )

    assert accept.status_code == 409 and accept.json()["error"]["code"] == "offer_not_open"
    assert assign.status_code == 409, assign.content
    assert Escalation.objects.get(id=eid).status == "cancelled"
    assert Offer.objects.get(escalation_id=eid, staff=cast.counselor_near).status == "withdrawn"
