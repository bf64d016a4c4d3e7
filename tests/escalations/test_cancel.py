"""Cancelling a case: its creator or a coordinator of the area, while no staff member has accepted it."""

from __future__ import annotations

import pytest

from backend.accounts.models import RoleAssignment
from backend.escalations.models import Offer
from tests.escalations.conftest import make_client
from tests.escalations.helpers import escalate as _escalate
from tests.escalations.helpers import escalate_accepted as _accepted

pytestmark = pytest.mark.django_db


def test_the_creator_cancels_an_offered_escalation_and_the_offer_is_withdrawn(api, cast, client_kasongan):
    esc = _escalate(cast, client_kasongan)

    response = api.as_(cast.volunteer_katingan).post(
        f"/escalations/{esc.id}/cancel", {"reason": "Persetujuan rujukan ditarik"}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "Persetujuan rujukan ditarik"
    assert Offer.objects.get(escalation=esc).status == "withdrawn"
    assert api.as_(cast.counselor_near).get(f"/escalations/{esc.id}").status_code == 404
    # The client may be escalated again for the same need.
    assert _escalate(cast, client_kasongan).status == "offered"


def test_a_coordinator_cancels_a_case_waiting_with_the_coordinator(api, cast):
    RoleAssignment.objects.filter(role__in=("counselor", "assessor")).update(active=False)
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    esc = _escalate(cast, client)

    response = api.as_(cast.coordinator_katingan).post(f"/escalations/{esc.id}/cancel", {"reason": "Pindah"})

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_an_accepted_escalation_cannot_be_cancelled(api, cast, client_kasongan):
    esc = _accepted(api, cast, client_kasongan)
    response = api.as_(cast.volunteer_katingan).post(f"/escalations/{esc.id}/cancel", {"reason": "Ditarik"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "escalation_accepted"


def test_only_the_creator_or_a_coordinator_may_cancel(api, cast, client_kasongan):
    esc = _escalate(cast, client_kasongan)
    response = api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/cancel", {"reason": "Bukan saya"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed_to_cancel"
    response = api.as_(cast.volunteer_katingan).post(f"/escalations/{esc.id}/cancel", {"reason": "  "})
    assert response.status_code == 422
