"""A coordinator's hand on a case: assign it to a person of their choice, or call it off (as its creator may);
and the cancellation a withdrawn referral consent makes. Lock order as in locking.py."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import RoleAssignment, User
from backend.accounts.scope import is_coordinator_of
from backend.common.errors import Conflict, ErrorDetail, PermissionDenied, ValidationFailed
from backend.escalations import routing, sla
from backend.escalations.areas import area_settings
from backend.escalations.caseloads import caseloads
from backend.escalations.models import (
    TAKEN_STATUSES,
    UNTAKEN_STATUSES,
    Escalation,
    EscalationStatus,
    Offer,
    OfferStatus,
)
from backend.escalations.services.locking import (
    escalation_status_require,
    escalation_version_check,
    offers_lock_pending,
)
from backend.escalations.services.routing_flow import (
    offer_make,
    routing_decision_head,
    routing_origin,
    routing_push,
)
from backend.escalations.services.support import (
    case_consents_require,
    escalation_ids,
    escalation_log_change,
    escalation_log_left,
    escalation_save,
)
from notifications.services import notification_settle, notify
from villages.models import Facility


def escalation_assign(
    *, escalation_id: uuid.UUID, actor: User, staff_id: uuid.UUID, version: int | None = None
) -> Escalation:
    """A coordinator of the client's area offers the case by hand to a certified staff member of their choice
    (any distance, any caseload): any pending offer is withdrawn and the chosen person must still accept.
    The routing names the chosen person; the automatic decision before moves into `routing.history`."""
    now = timezone.now()
    with transaction.atomic():
        esc, pending = offers_lock_pending(escalation_id)
        if not is_coordinator_of(user=actor, village_code=esc.client.village_id):
            raise PermissionDenied(
                _("Hanya koordinator wilayah ini yang dapat menugaskan."), code="not_coordinator"
            )
        escalation_status_require(esc, UNTAKEN_STATUSES, _("Eskalasi ini sudah ditangani."))
        escalation_version_check(esc, version=version)
        case_consents_require(client_id=esc.client_id)
        area = area_settings(village_code=esc.client.village_id)
        origin, origin_source = routing_origin(esc, area)
        day = sla.local_date(instant=now, tz=area.timezone)
        post = eligible_post(staff_id=staff_id, need=esc.need, day=day, origin=origin)
        offers_withdraw(esc, pending, now=now)
        staff = User.objects.get(id=staff_id)
        # No origin known (no GPS, no village point): no distance, rather than one measured from (0, 0).
        distance_km = post.distance.km if origin is not None else None  # type: ignore[attr-defined]
        routing_push(
            esc,
            {
                **routing_decision_head(
                    esc, now=now, day=day, area=area, origin=origin, origin_source=origin_source
                ),
                "chosen": {
                    "user_id": str(staff.id),
                    "name": staff.name,
                    "facility_id": str(post.id),
                    "facility": post.name,
                    "distance_km": round(distance_km, 2) if distance_km is not None else None,
                    "caseload": caseloads(user_ids=[staff.id]).get(str(staff.id), 0),
                },
                "passed_over": [],
                "result": "assigned_by_coordinator",
                "assigned_by": {"user_id": str(actor.id), "name": actor.name, "at": now.isoformat()},
            },
        )
        offer_make(
            esc,
            staff=staff,
            facility_id=post.id,
            distance_km=distance_km,
            area=area,
            now=now,
        )
        return esc


def eligible_post(*, staff_id: uuid.UUID, need: str, day: Any, origin: Point | None) -> Facility:
    """The staff member's nearest facility (annotated `distance`; without an origin, the first by name and no
    distance) if they are certified for `need` today, else 422 on staff_id."""
    ids = RoleAssignment.objects.filter(
        routing.eligible_staff_q(need=need, day=day), user_id=staff_id
    ).values("facility_id")
    posts = Facility.objects.filter(id__in=ids, active=True)
    if origin is not None:
        post = posts.annotate(distance=Distance("location", origin)).order_by("distance").first()
    else:
        post = posts.order_by("name", "id").first()
    if post is None:
        raise ValidationFailed(
            details=[
                ErrorDetail(
                    "staff_id",
                    "staff_not_eligible",
                    _("Petugas tidak memiliki sertifikat yang berlaku atau sedang cuti."),
                )
            ]
        )
    return post


def escalation_cancel(
    *, escalation_id: uuid.UUID, actor: User, reason: str, version: int | None = None
) -> Escalation:
    """Call the escalation off before staff took it (consent withdrawn, the client moved away, a mistake): any
    pending offer is withdrawn and the case is cancelled. Allowed to its creator and to a coordinator of the
    client's area (or a system admin). Accepted by staff already: 409 `escalation_accepted` (the case is then
    closed by the staff member instead); closed or cancelled: 409 `invalid_escalation_status`."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(details=[ErrorDetail("reason", "required", _("Wajib diisi."))])
    now = timezone.now()
    with transaction.atomic():
        esc, pending = offers_lock_pending(escalation_id)
        coordinator = is_coordinator_of(user=actor, village_code=esc.client.village_id)
        if not (coordinator or esc.created_by_id == actor.id):
            raise PermissionDenied(
                _("Hanya pembuat eskalasi atau koordinator wilayah ini yang dapat membatalkannya."),
                code="not_allowed_to_cancel",
            )
        if esc.status in (*TAKEN_STATUSES, EscalationStatus.REFERRED):
            raise Conflict(
                _("Eskalasi sudah diterima petugas dan tidak dapat dibatalkan lagi."),
                code="escalation_accepted",
                extra={"current_status": esc.status},
            )
        escalation_status_require(esc, UNTAKEN_STATUSES)
        escalation_version_check(esc, version=version)
        escalation_cancel_locked(esc, pending, actor=actor, reason=reason, now=now)
        return esc


def offers_withdraw(esc: Escalation, pending: list[Offer], *, now: datetime) -> None:
    """Withdraw locked pending offers: their staff's phones drop the client through the change feed, and no
    second-channel message follows them up."""
    Offer.objects.filter(id__in=[o.id for o in pending]).update(status=OfferStatus.WITHDRAWN, answered_at=now)
    for offer in pending:
        escalation_log_left(esc, staff_id=offer.staff_id)
        # The offer is over: no WhatsApp or SMS about it any more (one waiting is skipped).
        notification_settle(recipient_id=offer.staff_id, event_key=f"offer:{offer.id}")


def escalation_cancel_locked(
    esc: Escalation, pending: list[Offer], *, actor: User, reason: str, now: datetime
) -> None:
    """Withdraw the pending offers and mark the case cancelled."""
    offers_withdraw(esc, pending, now=now)
    esc.status, esc.cancelled_at, esc.cancel_reason, esc.cancelled_by = (
        EscalationStatus.CANCELLED,
        now,
        reason,
        actor,
    )
    escalation_save(esc, now, "status", "cancelled_at", "cancel_reason", "cancelled_by")
    escalation_log_change(esc)


def escalations_cancel_for_withdrawn_consent(
    *, client_id: uuid.UUID, actor: User | None, reason: str, data_collection: bool = False
) -> list[Escalation]:
    """Referral (or data-collection) consent was withdrawn: every escalation of the client not yet taken by
    staff is called off.

    The withdrawal is the authority here (UU 27/2022: processing stops), so whoever recorded it may cancel.
    Cases staff already took (accepted, scheduled, outcome recorded) stay with them, but their further steps
    answer 409 `consent_required` (only closing is left), and the assigned staff member is notified
    (`escalation_consent_withdrawn`, or `client_consent_withdrawn` for data collection: the push itself is
    generic) so they stop and close the case. A withdrawn data-collection consent also takes the client and the
    case off the staff member's phone (change rows addressed to them: the feed answers `leave`). Call inside the
    withdrawal's transaction.
    """
    now = timezone.now()
    cancelled = []
    open_ids = Escalation.objects.filter(client_id=client_id, status__in=UNTAKEN_STATUSES).values_list(
        "id", flat=True
    )
    for escalation_id in list(open_ids):
        esc, pending = offers_lock_pending(escalation_id)
        if esc.status in UNTAKEN_STATUSES:
            escalation_cancel_locked(esc, pending, actor=actor, reason=reason, now=now)
            cancelled.append(esc)
    taken = Escalation.objects.filter(
        client_id=client_id,
        status__in=TAKEN_STATUSES,
        assigned_to__isnull=False,
        assigned_to__is_active=True,
    ).select_related("client", "assigned_to")
    kind = "client_consent_withdrawn" if data_collection else "escalation_consent_withdrawn"
    for esc in taken:
        if data_collection:
            escalation_log_left(esc, staff_id=esc.assigned_to_id)
        notify(
            recipient=esc.assigned_to,
            kind=kind,
            event_key=f"escalation:{esc.id}:{kind}:{now.isoformat()}",
            params={"client_code": esc.client.code},
            data=escalation_ids(esc),
            priority="high",
        )
    return cancelled
