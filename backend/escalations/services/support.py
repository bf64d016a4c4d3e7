"""What the escalation services share: the consents a case needs, the change log, who gets told (field workers,
coordinators, system admins), and saving a new version.

Every function here is public and named for what it does; the services import them by name."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from backend.accounts.models import Role, RoleAssignment, User
from backend.accounts.scope import scope_for
from backend.escalations.areas import AreaSettings, ancestor_codes
from backend.escalations.models import Escalation
from backend.recovery.selectors import consent_require, consents_in_force
from backend.sync.changelog import change_record
from notifications.services import notify

OUTCOMES = ("outpatient", "inpatient", "methadone", "community_follow_up", "no_treatment_needed")
# Where the client goes on each outcome. "No treatment needed" also returns the client to community recovery:
# "escalated" is a waiting state, and the programme keeps supporting them in the village.
OUTCOME_CLIENT_STATUS = {
    "outpatient": "outpatient",
    "inpatient": "inpatient",
    "methadone": "methadone",
    "community_follow_up": "community_recovery",
    "no_treatment_needed": "community_recovery",
}
FOLLOW_UP_DAYS = 3  # after an outcome, the volunteer checks on the client within three days (area's calendar)

# Processing a case needs the client's referral consent (the case is a referral) and data-collection consent
# (its steps record health data); checked in this order, so a withdrawn referral names `consent.referral`.
CASE_CONSENTS = ("referral", "data_collection")


def case_consents_require(*, client_id: uuid.UUID) -> None:
    """409 `consent_required` (details: the missing scope) unless the consents a case needs are in force: one
    query when they are (the refusal reads the missing scope again to raise)."""
    in_force = consents_in_force(client_id=client_id)
    for scope in CASE_CONSENTS:
        if not in_force.get(scope):
            consent_require(client_id=client_id, scope=scope)


def escalation_ids(esc: Escalation, **more: Any) -> dict[str, str]:
    return {
        "escalation_id": str(esc.id),
        "client_id": str(esc.client_id),
        **{k: str(v) for k, v in more.items()},
    }


def escalation_log_change(esc: Escalation, *, staff_id: Any = None) -> None:
    """Change log: the client's village sees it, and the staff member it is offered/assigned to."""
    change_record(
        entity="escalation",
        entity_id=esc.id,
        village_code=esc.client.village_id,
        client_id=esc.client_id,
        user_id=staff_id or esc.assigned_to_id,
    )


def escalation_log_left(esc: Escalation, *, staff_id: Any) -> None:
    """Change log rows addressed to a staff member whose offer was declined, expired or withdrawn: the case (and
    with it the client's minimal view) has left their scope, so their phone's feed must learn it (as `leave`)."""
    change_record(
        entity="escalation",
        entity_id=esc.id,
        village_code=esc.client.village_id,
        client_id=esc.client_id,
        user_id=staff_id,
    )
    change_record(entity="client", entity_id=esc.client_id, client_id=esc.client_id, user_id=staff_id)


def escalation_save(esc: Escalation, now: datetime, *fields: str) -> None:
    esc.version += 1
    esc.updated_at = now
    esc.save(update_fields=[*fields, "version", "updated_at"])


def field_workers(esc: Escalation) -> list[User]:
    """Who gets the field tasks: the client's assigned volunteers, else whoever escalated in the village
    (walking back a referral chain, since a referral is created by staff). Only while they hold their field
    role: someone whose role ended no longer sees the client, so nothing naming the client reaches them."""
    volunteers = list(
        esc.client.assigned_volunteers.filter(
            is_active=True, roles__role=Role.VOLUNTEER, roles__active=True
        ).distinct()
    )
    if volunteers:
        return volunteers
    node: Escalation | None = esc
    while node is not None:
        if node.source != "referral" and node.created_by_id is not None:
            creator = node.created_by
            return [creator] if scope_for(creator).is_field_worker else []  # type: ignore[arg-type]
        node = node.referred_from
    return []


def notify_field_workers(
    esc: Escalation, *, kind: str, event_key: str, params: dict[str, Any] | None = None, also: list[User] = ()
) -> list[User]:
    """Tell the case's field workers (and `also`, once each) of a step; returns who was told."""
    recipients = {u.id: u for u in field_workers(esc)}
    for user in also:
        recipients.setdefault(user.id, user)
    for user in recipients.values():
        notify(
            recipient=user,
            kind=kind,
            event_key=event_key,
            params={"client_code": esc.client.code, **(params or {})},
            data=escalation_ids(esc),
        )
    return list(recipients.values())


def coordinators_of(area: AreaSettings) -> list[User]:
    ids = RoleAssignment.objects.filter(
        role=Role.COORDINATOR, active=True, region_id__in=ancestor_codes(area.village_code)
    ).values("user_id")
    return list(User.objects.filter(id__in=ids, is_active=True))


def system_admins() -> list[User]:
    ids = RoleAssignment.objects.filter(role=Role.SYSTEM_ADMIN, active=True).values("user_id")
    return list(User.objects.filter(id__in=ids, is_active=True))
