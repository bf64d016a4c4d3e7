"""Helpers shared by the escalation services: change log, notifications, field workers, origin, locks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Role, RoleAssignment, User
from backend.errors import Conflict, NotFound
from backend.escalations.areas import AreaSettings, ancestor_codes
from backend.escalations.models import (
    Escalation,
    EscalationStatus,
)
from backend.sync.services import change_record

S = EscalationStatus
OPEN_STATUSES = (S.OFFERED, S.WITH_COORDINATOR, S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED)
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


def consents_require_for_case(*, client_id: uuid.UUID) -> None:
    """409 `consent_required` (details: the missing scope) unless the consents a case needs are in force."""
    from backend.recovery.selectors import consent_require

    for scope in CASE_CONSENTS:
        consent_require(client_id=client_id, scope=scope)


# --- Helpers -----------------------------------------------------------------------------------------------


def _notify(**kwargs: Any) -> None:
    from notifications.services import notify

    notify(**kwargs)


def _ids(esc: Escalation, **more: Any) -> dict[str, str]:
    return {
        "escalation_id": str(esc.id),
        "client_id": str(esc.client_id),
        **{k: str(v) for k, v in more.items()},
    }


def _record(esc: Escalation, *, staff_id: Any = None) -> None:
    """Change log: the client's village sees it, and the staff member it is offered/assigned to."""
    change_record(
        entity="escalation",
        entity_id=esc.id,
        village_code=esc.client.village_id,
        client_id=esc.client_id,
        user_id=staff_id or esc.assigned_to_id,
    )


def _record_left(esc: Escalation, *, staff_id: Any) -> None:
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


ROUTING_HISTORY_MAX = 20  # earlier routing decisions kept on the escalation (a case rarely passes 5)


def _routing_push(esc: Escalation, decision: dict[str, Any]) -> None:
    """Make `decision` the current routing, keeping the earlier ones (oldest first) in `history`."""
    previous = dict(esc.routing or {})
    history = list(previous.pop("history", []))
    if previous:
        history.append(previous)
    esc.routing = {**decision, "history": history[-ROUTING_HISTORY_MAX:]}


def _save(esc: Escalation, now: datetime, *fields: str) -> None:
    esc.version += 1
    esc.updated_at = now
    esc.save(update_fields=[*fields, "version", "updated_at"])


def field_workers(esc: Escalation) -> list[User]:
    """Who gets the field tasks: the client's assigned volunteers, else whoever escalated in the village
    (walking back a referral chain, since a referral is created by staff)."""
    volunteers = list(esc.client.assigned_volunteers.filter(is_active=True))
    if volunteers:
        return volunteers
    node: Escalation | None = esc
    while node is not None:
        if node.source != "referral" and node.created_by_id is not None:
            return [node.created_by] if node.created_by.is_active else []  # type: ignore[union-attr]
        node = node.referred_from
    return []


def _origin(esc: Escalation, area: AreaSettings) -> tuple[Point | None, str]:
    """Where distances are measured from: the GPS point given, the facility referred to or from, the village."""
    if esc.location is not None:
        return esc.location, "gps"
    if esc.referred_to_facility_id is not None:
        return esc.referred_to_facility.location, "facility"  # type: ignore[union-attr]
    if esc.referred_from is not None and esc.referred_from.facility_id is not None:
        return esc.referred_from.facility.location, "facility"  # type: ignore[union-attr]
    return area.point, "village"


def _coordinators(area: AreaSettings) -> list[User]:
    ids = RoleAssignment.objects.filter(
        role=Role.COORDINATOR, active=True, region_id__in=ancestor_codes(area.village_code)
    ).values("user_id")
    return list(User.objects.filter(id__in=ids, is_active=True))


def _system_admins() -> list[User]:
    ids = RoleAssignment.objects.filter(role=Role.SYSTEM_ADMIN, active=True).values("user_id")
    return list(User.objects.filter(id__in=ids, is_active=True))


def _lock(escalation_id: uuid.UUID) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("client", "referred_from", "referred_to_facility", "facility")
        .get(id=escalation_id)
    )


def _check_version(esc: Escalation, *, actor: User, version: int | None) -> None:
    """A stale `version` (when the phone sends the one it last read): 409 `stale_version` with the record."""
    if version is None or version == esc.version:
        return
    from backend.escalations.selectors import escalation_get_for, escalation_record

    current = escalation_record(user=actor, esc=escalation_get_for(user=actor, escalation_id=esc.id))
    raise Conflict(
        _("Eskalasi sudah diubah di tempat lain."), code="stale_version", extra={"current": current}
    )


def _require_in_scope(*, escalation_id: uuid.UUID, actor: User) -> None:
    from backend.escalations.selectors import escalation_qs_for

    if not escalation_qs_for(user=actor).filter(id=escalation_id).exists():
        raise NotFound(_("Eskalasi tidak ditemukan."), code="escalation_not_found")
