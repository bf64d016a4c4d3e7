"""The routing explanation: who was passed over and why (leave, an inactive account), every decision kept, who
was told when no one could take the case, and who may read it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.accounts.models import Role, RoleAssignment
from backend.escalations.models import Escalation
from notifications.models import Notification
from tests.escalations.conftest import make_client
from tests.escalations.helpers import accepted_via_api as _accepted
from tests.escalations.helpers import escalate as _escalate

pytestmark = pytest.mark.django_db


# --- The explanation shows nearby staff on leave or inactive -----------------------------------------------


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


# --- Routing history ---------------------------------------------------------------------------------------


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


# --- No coordinator anywhere above the village -------------------------------------------------------------


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


# --- Who reads the explanation -----------------------------------------------------------------------------


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
