"""Regression tests for the second privacy review (reviewer C, items 4, 5, 7, 8 and 10).

Each test's docstring names the leak it keeps closed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import Max
from django.utils import timezone

from backend.audit.models import AccessLog
from backend.escalations.models import Escalation, Offer
from backend.recovery.models import Client
from backend.tasks.models import Task
from notifications.models import Notification
from notifications.texts import render_push
from tests.escalations.conftest import make_client

pytestmark = pytest.mark.django_db


def _create(api, user, client, need="counseling"):
    response = api.as_(user).post(
        "/escalations",
        {"client_id": str(client.id), "need": need, "urgency": "routine", "reason": "menyuntik lagi"},
    )
    return response


def _accepted(api, cast, client):
    created = _create(api, cast.volunteer_katingan, client)
    assert created.status_code == 201, created.content
    eid = created.json()["id"]
    accepted = api.as_(cast.counselor_near).post(f"/escalations/{eid}/accept")
    assert accepted.status_code == 200, accepted.content
    return eid


def _future(hours: int = 48) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def _consent(api, user, client, scope, given):
    response = api.as_(user).post(
        f"/clients/{client.id}/consents", {"scope": scope, "given": given, "given_by": "client"}
    )
    assert response.status_code == 201, response.content


# --- 4. Referral reason and what the merely offered see ----------------------------------------------------


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


# --- 5. The creator after the client moved away ------------------------------------------------------------


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


# --- 7. Consent withdrawn ----------------------------------------------------------------------------------


def test_no_escalation_without_data_collection_consent(api, cast, client_kasongan):
    """Leak: an escalation (reason: health free text) could be created after the client withdrew consent to
    data collection; only referral consent was checked."""
    _consent(api, cast.volunteer_katingan, client_kasongan, "data_collection", False)

    response = _create(api, cast.volunteer_katingan, client_kasongan)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "consent_required"
    assert response.json()["error"]["details"][0]["field"] == "consent.data_collection"
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
    client to `escalated`) or handed to someone by the coordinator."""
    created = _create(api, cast.volunteer_katingan, client_kasongan)
    eid = created.json()["id"]
    _consent(api, cast.volunteer_katingan, client_kasongan, "data_collection", False)

    accept = api.as_(cast.counselor_near).post(f"/escalations/{eid}/accept")
    assign = api.as_(cast.coordinator_katingan).post(
        f"/escalations/{eid}/assign", {"staff_id": str(cast.counselor_far.id)}
    )

    assert accept.status_code == 409 and accept.json()["error"]["code"] == "consent_required"
    assert assign.status_code == 409 and assign.json()["error"]["code"] == "consent_required"
    assert Offer.objects.get(escalation_id=eid, staff=cast.counselor_near).status == "pending"


# --- 8. Reads are access-logged ----------------------------------------------------------------------------


def test_reading_escalations_is_access_logged(api, cast, client_kasongan):
    """Leak: GET /escalations and /escalations/{id} (client code, reason: health free text) and the records
    returned by accept/schedule/outcome left no trace in the access log."""
    other = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))
    eid = _accepted(api, cast, client_kasongan)
    assert _create(api, cast.volunteer_katingan, other).status_code == 201
    counselor = api.as_(cast.counselor_near)
    # The access log is append-only (a database trigger): count from here on instead of deleting.
    mark = AccessLog.objects.aggregate(m=Max("id"))["m"] or 0

    api.as_(cast.official_katingan).get(f"/escalations/{eid}")
    api.as_(cast.official_katingan).get("/escalations")
    counselor.post(f"/escalations/{eid}/schedule", {"appointment_at": _future()})
    counselor.post(f"/escalations/{eid}/outcome", {"outcome": "outpatient"})

    rows = set(AccessLog.objects.filter(id__gt=mark).values_list("user_id", "client_id", "endpoint"))
    official, staff = cast.official_katingan.id, cast.counselor_near.id
    assert rows == {
        (official, client_kasongan.id, "GET /escalations/{id}"),
        (official, client_kasongan.id, "GET /escalations"),
        (official, other.id, "GET /escalations"),
        (staff, client_kasongan.id, "POST /escalations/{id}/schedule"),
        (staff, client_kasongan.id, "POST /escalations/{id}/outcome"),
    }


def test_accepting_is_access_logged(api, cast, client_kasongan):
    """Leak: the record returned on accepting a case (now with the full client behind it) was not logged."""
    created = _create(api, cast.volunteer_katingan, client_kasongan)
    eid = created.json()["id"]

    assert api.as_(cast.counselor_near).post(f"/escalations/{eid}/accept").status_code == 200

    assert AccessLog.objects.filter(
        user=cast.counselor_near, client_id=client_kasongan.id, endpoint="POST /escalations/{id}/accept"
    ).exists()


# --- 10. Tasks follow the client's scope -------------------------------------------------------------------


def test_an_unassigned_volunteer_loses_the_clients_tasks(api, cast):
    """Leak: a volunteer unassigned from a client (of another village) kept listing and completing the
    client's tasks, each carrying the client's code."""
    client = make_client(cast.talian_kereng, cast.volunteer_talian, volunteers=(cast.volunteer_katingan,))
    task = Task.objects.create(
        kind="follow_up",
        client=client,
        assignee=cast.volunteer_katingan,
        due_on=date.today() + timedelta(days=2),
        rule_key=f"test:unassign:{client.id}",
    )
    volunteer = api.as_(cast.volunteer_katingan)
    assert [t["id"] for t in volunteer.get("/tasks").json()["items"]] == [str(task.id)]

    client.refresh_from_db()
    unassign = api.as_(cast.coordinator_katingan).patch(
        f"/clients/{client.id}", {"version": client.version, "assigned_volunteer_ids": []}
    )
    assert unassign.status_code == 200, unassign.content

    assert volunteer.get("/tasks").json()["items"] == []
    completed = volunteer.post(f"/tasks/{task.id}/complete", {"note": "sudah"})
    assert completed.status_code == 404
    assert completed.json()["error"]["code"] == "task_not_found"
    assert Task.objects.get(id=task.id).status == "open"


def test_the_staff_member_who_referred_does_not_read_the_referrals_routing(api, cast, client_kasongan):
    """Leak: as the referral's `created_by`, the referring counselor read its routing explanation: which
    colleagues were passed over and why (leave, caseload), which staff are not to read."""
    eid = _accepted(api, cast, client_kasongan)
    response = api.as_(cast.counselor_near).post(
        f"/escalations/{eid}/outcome", {"outcome": "outpatient", "refer_need": "assessment"}
    )
    assert response.status_code == 200, response.content
    referral = Escalation.objects.get(referred_from_id=eid)

    seen = api.as_(cast.counselor_near).get(f"/escalations/{referral.id}").json()
    coordinator = api.as_(cast.coordinator_katingan).get(f"/escalations/{referral.id}").json()

    assert seen["routing"] is None
    assert coordinator["routing"] is not None
