"""Withdrawing referral consent stops the referral: open escalations are called off, taken ones stay."""

import pytest

from backend.escalations.models import Escalation, EscalationStatus, Offer, OfferStatus
from backend.escalations.services import escalation_create, offer_accept

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
