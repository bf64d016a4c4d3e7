"""Free-text reasons (of an escalation, of a declined offer) are stored trimmed and may not be blank."""

from __future__ import annotations

import pytest

from backend.escalations.models import Escalation, Offer
from tests.escalations.helpers import escalate as _escalate

pytestmark = pytest.mark.django_db


def test_an_escalation_reason_of_only_spaces_is_refused(api, cast, client_kasongan):
    """Bug: "   " was accepted as the reason of an escalation."""
    response = api.as_(cast.volunteer_katingan).post(
        "/escalations",
        {"client_id": str(client_kasongan.id), "need": "counseling", "reason": " \t\n "},
    )
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["reason"]
    assert not Escalation.objects.filter(client=client_kasongan).exists()


def test_a_reason_is_stored_without_surrounding_spaces(api, cast, client_kasongan):
    response = api.as_(cast.volunteer_katingan).post(
        "/escalations",
        {"client_id": str(client_kasongan.id), "need": "counseling", "reason": "  Krisis  "},
    )
    assert response.status_code == 201
    assert response.json()["reason"] == "Krisis"


def test_a_decline_reason_of_only_spaces_is_refused(api, cast, client_kasongan):
    esc = _escalate(cast, client_kasongan)
    response = api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/decline", {"reason": "   "})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "reason"
    assert Offer.objects.get(escalation=esc).status == "pending"
