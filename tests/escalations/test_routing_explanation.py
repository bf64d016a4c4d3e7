"""Regressions found in review: scope after an offer ends, input validation, the routing explanation and history,
rescheduling, the coordinator-less area, cancelling, and stale versions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from backend.accounts.models import Role, RoleAssignment
from backend.escalations.models import Escalation, Offer
from backend.escalations.services import escalation_create, offers_expire
from backend.tasks.models import Task
from notifications.models import Notification
from tests.escalations.conftest import make_client


def _escalate(cast, client, need="counseling"):  # type: ignore[no-untyped-def]
    return escalation_create(
        actor=cast.volunteer_katingan, client=client, need=need, urgency="routine", reason="Skrining tinggi"
    )


def _accepted(api, cast, client):  # type: ignore[no-untyped-def]
    esc = _escalate(cast, client)
    assert api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/accept").status_code == 200
    return esc


# --- 2. An ended offer no longer keeps the case in the staff member's view ------------------------------------


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


# --- 4. appointment_at: aware, and within a year ----------------------------------------------------------


def test_an_appointment_without_a_utc_offset_is_refused_with_422_on_the_field(api, cast, client_kasongan):
    """Bug: a naive appointment_at reached the database comparison and answered 500."""
    esc = _accepted(api, cast, client_kasongan)
    naive = (timezone.now() + timedelta(days=2)).replace(tzinfo=None).isoformat()

    response = api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/schedule", {"appointment_at": naive})

    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["appointment_at"]


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59+07:00", "9999-12-31T23:59:59-12:00"])
def test_an_appointment_years_ahead_is_refused_with_422_on_the_field(api, cast, client_kasongan, value):
    """Bug: 9999-12-31 overflowed while computing the task's due date and answered 500."""
    esc = _accepted(api, cast, client_kasongan)

    response = api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/schedule", {"appointment_at": value})

    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("appointment_at", "too_far_ahead")


def test_an_appointment_eleven_months_ahead_is_fine(api, cast, client_kasongan):
    esc = _accepted(api, cast, client_kasongan)
    when = (timezone.now() + timedelta(days=330)).isoformat()
    response = api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/schedule", {"appointment_at": when})
    assert response.status_code == 200, response.json()


def test_a_task_list_due_before_the_last_representable_day_answers_200(api, cast):
    assert api.as_(cast.volunteer_katingan).get("/tasks", due_before="9999-12-31").status_code == 200
    assert api.as_(cast.volunteer_katingan).get("/tasks", due_before="0000-01-01").status_code == 422


# --- 5. The explanation shows nearby staff on leave or inactive -------------------------------------------


def _only_counselor_near_at_pkm_kasongan(cast):  # type: ignore[no-untyped-def]
    RoleAssignment.objects.filter(facility=cast.pkm_kasongan).exclude(user=cast.counselor_near).update(
        active=False
    )


def test_the_only_counselor_of_a_facility_on_leave_is_explained_as_on_leave(cast, client_kasongan):
    """Bug: a facility whose only staff member was on leave was missing from the explanation altogether."""
    _only_counselor_near_at_pkm_kasongan(cast)
    cast.counselor_near.on_leave_from = date.today() - timedelta(days=1)
    cast.counselor_near.save()

    esc = _escalate(cast, client_kasongan)

    reasons = {p["user_id"]: p["reason"] for p in esc.routing["passed_over"]}
    assert reasons[str(cast.counselor_near.id)] == "on_leave"
    assert esc.routing["chosen"]["user_id"] == str(cast.counselor_far.id)


def test_the_only_counselor_of_a_facility_with_a_deactivated_account_is_explained_as_inactive(
    cast, client_kasongan
):
    """Bug: same for a deactivated account."""
    _only_counselor_near_at_pkm_kasongan(cast)
    cast.counselor_near.is_active = False
    cast.counselor_near.save()

    esc = _escalate(cast, client_kasongan)

    reasons = {p["user_id"]: p["reason"] for p in esc.routing["passed_over"]}
    assert reasons[str(cast.counselor_near.id)] == "inactive"


# --- 6. Reasons of whitespace only ------------------------------------------------------------------------


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


# --- 8. Routing history and appointment history -----------------------------------------------------------


def test_each_routing_decision_is_kept_and_a_hand_assignment_names_the_assignee(api, cast, client_kasongan):
    """Bug: a re-route overwrote the earlier decision, and after a hand-assignment `chosen` still named the
    automatically chosen person."""
    esc = _escalate(cast, client_kasongan)
    api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/decline", {"reason": "Penuh"})
    coordinator = api.as_(cast.coordinator_katingan)
    coordinator.post(f"/escalations/{esc.id}/assign", {"staff_id": str(cast.counselor_mataram.id)})

    routing = coordinator.get(f"/escalations/{esc.id}").json()["routing"]

    assert routing["result"] == "assigned_by_coordinator"
    assert routing["chosen"]["user_id"] == str(cast.counselor_mataram.id)
    assert routing["assigned_by"]["user_id"] == str(cast.coordinator_katingan.id)
    assert [h["chosen"]["user_id"] for h in routing["history"]] == [
        str(cast.counselor_near.id),
        str(cast.counselor_far.id),
    ]
    assert [h["attempt"] for h in routing["history"]] == [1, 2]


def test_a_rescheduled_appointment_keeps_the_earlier_one(api, cast, client_kasongan):
    """Bug: moving an appointment erased the earlier date from the escalation (and the client's timeline)."""
    esc = _accepted(api, cast, client_kasongan)
    counselor = api.as_(cast.counselor_near)
    first = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    second = first + timedelta(days=5)
    counselor.post(f"/escalations/{esc.id}/schedule", {"appointment_at": first.isoformat()})

    body = counselor.post(f"/escalations/{esc.id}/schedule", {"appointment_at": second.isoformat()}).json()

    assert body["appointment_at"].startswith(second.strftime("%Y-%m-%dT"))
    assert [p["appointment_at"] for p in body["previous_appointments"]] == [
        first.isoformat().replace("+00:00", "Z")
    ]
    assert body["previous_appointments"][0]["replaced_by"] == str(cast.counselor_near.id)


# --- 9. No coordinator anywhere above the village --------------------------------------------------------


def test_with_no_coordinator_for_the_area_the_system_admins_are_told(cast):
    """Bug: a case sent to the coordinator of an area without one reached nobody."""
    RoleAssignment.objects.filter(role=Role.COORDINATOR).update(active=False)
    RoleAssignment.objects.filter(role__in=("counselor", "assessor")).update(active=False)
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))

    esc = _escalate(cast, client)

    assert esc.status == "with_coordinator"
    assert esc.routing["notified"] == "system_admins"
    assert esc.routing["notified_user_ids"] == [str(cast.system_admin.id)]
    assert Notification.objects.filter(
        recipient=cast.system_admin, kind="escalation_to_coordinator", data__escalation_id=str(esc.id)
    ).exists()


def test_with_a_coordinator_the_routing_says_the_coordinators_were_told(cast):
    RoleAssignment.objects.filter(role__in=("counselor", "assessor")).update(active=False)
    client = make_client(cast.kasongan_baru, cast.volunteer_katingan, volunteers=(cast.volunteer_katingan,))

    esc = _escalate(cast, client)

    assert esc.routing["notified"] == "coordinators"
    assert str(cast.coordinator_katingan.id) in esc.routing["notified_user_ids"]
    assert not Notification.objects.filter(
        recipient=cast.system_admin, kind="escalation_to_coordinator"
    ).exists()


# --- 10. Cancel, and stale versions -----------------------------------------------------------------------


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


def test_a_stale_version_on_cancel_close_and_assign_answers_409_with_the_current_record(
    api, cast, client_kasongan
):
    esc = _escalate(cast, client_kasongan)
    stale = esc.version - 1
    coordinator = api.as_(cast.coordinator_katingan)
    for path, body in (
        ("assign", {"staff_id": str(cast.counselor_far.id), "version": stale}),
        ("cancel", {"reason": "Ditarik", "version": stale}),
    ):
        response = coordinator.post(f"/escalations/{esc.id}/{path}", body)
        assert response.status_code == 409, (path, response.json())
        assert response.json()["error"]["code"] == "stale_version"
        assert response.json()["current"]["version"] == esc.version

    api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/accept")
    counselor = api.as_(cast.counselor_near)
    response = counselor.post(f"/escalations/{esc.id}/close", {"version": 1})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_version"
    current = counselor.get(f"/escalations/{esc.id}").json()["version"]
    assert counselor.post(f"/escalations/{esc.id}/close", {"version": current}).json()["status"] == "closed"


def test_close_without_a_body_still_works(api, cast, client_kasongan):
    esc = _accepted(api, cast, client_kasongan)
    assert api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/close").json()["status"] == "closed"


def test_completing_a_task_with_a_stale_version_answers_409(api, cast, client_kasongan):
    esc = _accepted(api, cast, client_kasongan)
    when = (timezone.now() + timedelta(days=2)).isoformat()
    api.as_(cast.counselor_near).post(f"/escalations/{esc.id}/schedule", {"appointment_at": when})
    task = Task.objects.get(escalation=esc, kind="accompany")
    volunteer = api.as_(cast.volunteer_katingan)

    stale = volunteer.post(f"/tasks/{task.id}/complete", {"version": task.version + 1})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    assert stale.json()["current"]["id"] == str(task.id)

    done = volunteer.post(f"/tasks/{task.id}/complete", {"version": task.version})
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_an_offer_expiring_during_time_travel_is_swept_once(cast, client_kasongan):
    esc = _escalate(cast, client_kasongan)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert offers_expire() == 1
    esc.refresh_from_db()
    assert esc.attempts == 1
    assert [h["attempt"] for h in esc.routing["history"]] == [1]
