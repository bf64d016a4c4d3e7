"""What answering an offer does to the case and to the staff member's view: a declined, expired or withdrawn offer
no longer keeps the case in view; someone never offered the case gets 404; the expiry sweep runs once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from backend.escalations.models import Offer
from backend.escalations.services import offers_expire
from tests.escalations.helpers import escalate as _escalate

pytestmark = pytest.mark.django_db


# --- An ended offer no longer keeps the case in the staff member's view ------------------------------------


def test_a_counselor_who_declined_no_longer_sees_the_escalation_but_a_late_accept_still_answers_409(
    api, cast, client_kasongan
):
    """Bug: a declined (or expired, withdrawn) offer kept the escalation in the counselor's list and detail,
    while the client record had already left their scope."""
    esc = _escalate(cast, client_kasongan)
    counselor = api.as_(cast.counselor_near)
    assert counselor.post(f"/escalations/{esc.id}/decline", {"reason": "Penuh"}).status_code == 200

    assert counselor.get(f"/escalations/{esc.id}").status_code == 404
    assert str(esc.id) not in [e["id"] for e in counselor.get("/escalations").json()["items"]]
    late = counselor.post(f"/escalations/{esc.id}/accept")
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "offer_not_open"
    # The next candidate does see it.
    assert api.as_(cast.counselor_far).get(f"/escalations/{esc.id}").status_code == 200


def test_an_expired_or_withdrawn_offer_takes_the_escalation_out_of_the_counselors_view(
    api, cast, client_kasongan
):
    """Bug: expired and withdrawn offers kept the case visible to the staff member they were made to."""
    esc = _escalate(cast, client_kasongan)
    offers_expire(now=timezone.now() + timedelta(days=2))
    assert api.as_(cast.counselor_near).get(f"/escalations/{esc.id}").status_code == 404
    assert Offer.objects.get(escalation=esc, status="pending").staff == cast.counselor_far

    assigned = api.as_(cast.coordinator_katingan).post(
        f"/escalations/{esc.id}/assign", {"staff_id": str(cast.counselor_mataram.id)}
    )
    assert assigned.status_code == 200, assigned.json()
    assert api.as_(cast.counselor_far).get(f"/escalations/{esc.id}").status_code == 404
    assert api.as_(cast.counselor_mataram).get(f"/escalations/{esc.id}").status_code == 200


def test_someone_never_offered_the_case_still_gets_404_on_accept(api, cast, client_kasongan):
    esc = _escalate(cast, client_kasongan)
    response = api.as_(cast.counselor_mataram).post(f"/escalations/{esc.id}/accept")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "escalation_not_found"


# --- The expiry sweep --------------------------------------------------------------------------------------


def test_an_offer_expiring_during_time_travel_is_swept_once(cast, client_kasongan):
    esc = _escalate(cast, client_kasongan)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert offers_expire() == 1
    esc.refresh_from_db()
    assert esc.attempts == 1
    assert [h["attempt"] for h in esc.routing["history"]] == [1]
