"""The client's timeline shows an escalation's steps only to those who may read that case's course."""

from __future__ import annotations

import pytest

from backend.escalations.models import Escalation

pytestmark = pytest.mark.django_db

FIRST_REASON = "menyuntik lagi, sering berkelahi"
OUTCOME_NOTES = "HIV reaktif, riwayat overdosis"


def _first_case_referred_and_the_referral_accepted(api, cast, client):  # type: ignore[no-untyped-def]
    created = api.as_(cast.volunteer_katingan).post(
        "/escalations",
        {"client_id": str(client.id), "need": "counseling", "urgency": "routine", "reason": FIRST_REASON},
    )
    assert created.status_code == 201, created.content
    first = created.json()["id"]
    assert api.as_(cast.counselor_near).post(f"/escalations/{first}/accept").status_code == 200
    outcome = api.as_(cast.counselor_near).post(
        f"/escalations/{first}/outcome",
        {"outcome": "outpatient", "refer_need": "assessment", "notes": OUTCOME_NOTES},
    )
    assert outcome.status_code == 200, outcome.content
    referral = Escalation.objects.get(referred_from_id=first)
    assessor = referral.offers.get(status="pending").staff
    assert api.as_(assessor).post(f"/escalations/{referral.id}/accept").status_code == 200
    return first, referral, assessor


def test_an_assessor_who_took_a_referral_does_not_read_the_first_case_through_the_timeline(
    api, cast, client_kasongan
):  # type: ignore[no-untyped-def]
    """Leak: GET /escalations/{first} answered 404 to the assessor of the referral, yet the client's timeline
    showed the first case's reason, outcome, handler and facility (timeline.py never applied case_visible_q)."""
    first, referral, assessor = _first_case_referred_and_the_referral_accepted(api, cast, client_kasongan)
    as_assessor = api.as_(assessor)
    assert as_assessor.get(f"/escalations/{first}").status_code == 404

    response = as_assessor.get(f"/clients/{client_kasongan.id}/timeline?limit=200")

    assert response.status_code == 200, response.content
    items = response.json()["items"]
    escalation_ids = {
        i["data"].get("escalation_id") for i in items if i["kind"].startswith(("escalation", "offer"))
    }
    assert escalation_ids == {str(referral.id)}  # their own case is there, the first one is not
    text = str(items)
    assert FIRST_REASON not in text
    assert OUTCOME_NOTES not in text
    assert cast.counselor_near.name not in text
    assert response.json()["count"] == len(items)


def test_the_village_side_still_reads_both_cases_in_the_timeline(api, cast, client_kasongan):  # type: ignore[no-untyped-def]
    """The volunteer who escalated follows the whole course: the first case and the referral."""
    first, referral, _assessor = _first_case_referred_and_the_referral_accepted(api, cast, client_kasongan)

    response = api.as_(cast.volunteer_katingan).get(f"/clients/{client_kasongan.id}/timeline?limit=200")

    assert response.status_code == 200, response.content
    items = response.json()["items"]
    escalation_ids = {
        i["data"].get("escalation_id") for i in items if i["kind"].startswith(("escalation", "offer"))
    }
    assert escalation_ids == {first, str(referral.id)}
    assert FIRST_REASON in str(items)
