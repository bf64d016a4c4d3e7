"""Routing and offers: create an escalation, offer it, accept, decline, expire, assign by hand.

See the package docstring for the concurrency rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.access import scope_for
from backend.accounts.models import RoleAssignment, User
from backend.errors import Conflict, ErrorDetail, PermissionDenied, ValidationFailed
from backend.escalations import routing, sla
from backend.escalations.areas import AreaSettings, area_settings
from backend.escalations.models import (
    Escalation,
    Need,
    Offer,
    OfferStatus,
    Urgency,
)
from backend.escalations.services.common import (
    OPEN_STATUSES,
    S,
    _check_version,
    _coordinators,
    _ids,
    _lock,
    _notify,
    _origin,
    _record,
    _record_left,
    _require_in_scope,
    _routing_push,
    _save,
    _system_admins,
    consents_require_for_case,
    field_workers,
)
from backend.recovery.models import Client
from villages.models import Facility

# --- Routing and offers ------------------------------------------------------------------------------------


def _to_coordinator(esc: Escalation, *, area: AreaSettings, now: datetime, reason: str) -> None:
    """Hand the case to the area's coordinators; with none at any level above the village, the system admins
    (someone must see it). Who was told is recorded in the routing."""
    esc.status = S.WITH_COORDINATOR
    esc.to_coordinator_at = now
    recipients = _coordinators(area)
    notified = "coordinators"
    if not recipients:
        recipients, notified = _system_admins(), "system_admins"
    esc.routing = {
        **esc.routing,
        "result": "with_coordinator",
        "coordinator_reason": reason,
        "notified": notified,
        "notified_user_ids": [str(u.id) for u in recipients],
    }
    _save(esc, now, "status", "to_coordinator_at", "routing")
    for recipient in recipients:
        _notify(
            recipient=recipient,
            kind="escalation_to_coordinator",
            event_key=f"escalation:{esc.id}:to_coordinator:{esc.attempts}",
            params={"client_code": esc.client.code},
            data=_ids(esc),
            priority="high",
        )
    _record(esc)


def _offer_make(
    esc: Escalation, *, staff_id: Any, facility_id: Any, distance_km: float, area: AreaSettings, now: datetime
) -> Offer:
    hours = area.sla_hours(esc.urgency)
    offer = Offer.objects.create(
        escalation=esc,
        staff_id=staff_id,
        facility_id=facility_id,
        distance_km=round(distance_km, 3),
        offered_at=now,
        expires_at=sla.offer_expires_at(offered_at=now, hours=hours),
    )
    esc.status = S.OFFERED
    _save(esc, now, "status", "routing")
    _notify(
        recipient=offer.staff,
        kind="escalation_offered",
        event_key=f"offer:{offer.id}",
        params={"client_code": esc.client.code, "deadline": offer.expires_at, "tz": area.timezone},
        data=_ids(esc, offer_id=offer.id),
        priority="high",
        ttl_seconds=sla.seconds_left(now=now, expires_at=offer.expires_at),
    )
    _record(esc, staff_id=staff_id)
    return offer


class _NoRoom(Exception):
    pass


def _has_room(user_id: uuid.UUID) -> bool:
    """Lock the staff member's row, then count their open caseload again: concurrent creations choosing the same
    person queue here, and each sees the offers committed before it (READ COMMITTED reads afresh per statement).
    With room, the lock is held to the end of the transaction, so the offer made next is counted by whoever
    waits. Full: the savepoint is rolled back, which releases the lock at once (two creations each finding
    their first choice full and trying the other's must not hold one person while waiting for the next)."""
    try:
        with transaction.atomic():
            user = User.objects.select_for_update().only("id", "caseload_cap").get(id=user_id)
            if routing.caseload_of(user_id=user_id) >= user.caseload_cap:
                raise _NoRoom
    except _NoRoom:
        return False
    return True


def _decision(
    esc: Escalation, *, now: datetime, day: Any, area: AreaSettings, origin: Any, origin_source: str | None
) -> dict[str, Any]:
    """The head of one routing decision as stored in `routing` (candidates are filled in by the caller)."""
    return {
        "attempt": esc.attempts + 1,
        "decided_at": now.isoformat(),
        "day": day.isoformat(),
        "time_zone": area.timezone,
        "need": esc.need,
        "radius_km": area.max_radius_km,
        "origin": {"lat": origin.y, "lon": origin.x, "source": origin_source} if origin else None,
        "considered": [],
        "chosen": None,
        "passed_over": [],
    }


def _offer_next(esc: Escalation, *, now: datetime) -> None:
    """Route again (skipping everyone who declined or let an offer expire) and offer, or go to the coordinator.

    1. Too many declines/expiries: the coordinator.  2. No point to measure from: the coordinator.
    3. The nearest eligible person gets an offer; nobody within the radius: the coordinator.
    The previous routing decision moves into `routing.history`.
    """
    area = area_settings(village_code=esc.client.village_id)
    origin, origin_source = _origin(esc, area)
    day = sla.local_date(instant=now, tz=area.timezone)
    _routing_push(
        esc, _decision(esc, now=now, day=day, area=area, origin=origin, origin_source=origin_source)
    )
    if esc.attempts >= settings.ROUTING_DEFAULT_MAX_ATTEMPTS:
        return _to_coordinator(esc, area=area, now=now, reason="max_attempts")
    if origin is None:
        return _to_coordinator(esc, area=area, now=now, reason="no_origin")
    declined = {
        str(s)
        for s in esc.offers.filter(status__in=[OfferStatus.DECLINED, OfferStatus.EXPIRED]).values_list(
            "staff_id", flat=True
        )
    }
    full: set[str] = set()
    while True:
        decision = routing.route(
            origin=origin,
            need=esc.need,
            day=day,
            radius_km=area.max_radius_km,
            declined=declined,
            only_facility_id=esc.referred_to_facility_id,
            full=frozenset(full),
        )
        esc.routing.update(decision.as_json())
        if decision.chosen is None:
            return _to_coordinator(esc, area=area, now=now, reason="no_candidate_in_radius")
        chosen = decision.chosen
        if _has_room(uuid.UUID(chosen.user_id)):
            break
        full.add(chosen.user_id)  # filled meanwhile by a concurrent creation: the next nearest
    esc.routing["result"] = "offered"
    _offer_make(
        esc,
        staff_id=uuid.UUID(chosen.user_id),
        facility_id=uuid.UUID(chosen.facility_id),
        distance_km=chosen.distance_km,
        area=area,
        now=now,
    )


def _validate_new(*, need: str, urgency: str) -> None:
    details = []
    if need not in Need.values:
        details.append(ErrorDetail("need", "invalid_choice", _("Pilihan tidak valid.")))
    if urgency not in Urgency.values:
        details.append(ErrorDetail("urgency", "invalid_choice", _("Pilihan tidak valid.")))
    if details:
        raise ValidationFailed(details=details)


def escalation_create(
    *,
    actor: User | None,
    client: Client,
    need: str,
    urgency: str,
    reason: str,
    location: Point | None = None,
    source: str = "manual",
    referred_from: Escalation | None = None,
    referred_to_facility: Facility | None = None,
) -> Escalation:
    """Escalate `client` and offer the case to the nearest eligible staff member (or the coordinator).

    Raises 409 `consent_required` without referral and data-collection consent in force (an escalation
    processes the client's health data), and 409 `escalation_open` (with the open escalation's id in
    `existing`) when the client already has an open escalation of this need. The caller (a screening, say) may
    catch those: both are `DomainError`s and nothing was written.
    """
    _validate_new(need=need, urgency=urgency)
    consents_require_for_case(client_id=client.id)
    now = timezone.now()
    with transaction.atomic():
        esc = Escalation(
            client=client,
            need=need,
            urgency=urgency,
            reason=reason.strip(),
            location=location,
            status=S.OFFERED,
            created_by=actor,
            source=source,
            referred_from=referred_from,
            referred_to_facility=referred_to_facility,
            created_at=now,
            updated_at=now,
        )
        try:
            with transaction.atomic():
                esc.save(force_insert=True)
        except IntegrityError:
            existing = Escalation.objects.filter(client=client, need=need, status__in=OPEN_STATUSES).first()
            raise Conflict(
                _("Klien ini sudah memiliki eskalasi terbuka untuk kebutuhan yang sama."),
                code="escalation_open",
                extra={
                    "existing": {
                        "id": str(existing.id) if existing else None,
                        "status": existing.status if existing else None,
                    }
                },
            ) from None
        _offer_next(esc, now=now)
        return esc


def _answer_offer(*, escalation_id: uuid.UUID, actor: User, accept: bool, reason: str = "") -> Offer:
    """Close the actor's pending offer with one conditional UPDATE: exactly one racing answer wins.

    Someone who was ever offered the case gets 409 `offer_not_open` for a late answer even though a declined,
    expired or withdrawn offer no longer keeps the case in their scope: they know of the case already, and a
    409 tells their phone why better than a 404 would. Anyone else out of scope: 404."""
    now = timezone.now()
    mine = Offer.objects.filter(escalation_id=escalation_id, staff_id=actor.id)
    if not mine.exists():
        _require_in_scope(escalation_id=escalation_id, actor=actor)
        raise PermissionDenied(_("Kasus ini tidak ditawarkan kepada Anda."), code="not_offered_to_you")
    offer = mine.filter(status=OfferStatus.PENDING).first()
    won = 0
    if offer is not None:
        claim = Offer.objects.filter(id=offer.id, status=OfferStatus.PENDING)
        if accept:
            won = claim.filter(expires_at__gt=now).update(status=OfferStatus.ACCEPTED, answered_at=now)
        else:
            won = claim.update(status=OfferStatus.DECLINED, answered_at=now, decline_reason=reason)
    if won != 1:
        raise Conflict(_("Tawaran ini sudah tidak berlaku."), code="offer_not_open")
    offer.refresh_from_db()  # type: ignore[union-attr]
    return offer  # type: ignore[return-value]


def offer_accept(*, escalation_id: uuid.UUID, actor: User) -> Escalation:
    """The offered staff member takes the case: assigned, client escalated, the field workers told."""
    from backend.recovery.lifecycle import can_transition
    from backend.recovery.transitions import client_transition

    with transaction.atomic():
        offer = _answer_offer(escalation_id=escalation_id, actor=actor, accept=True)
        # After the claim (so 404/403/409 `offer_not_open` come first); raising rolls the claim back.
        consents_require_for_case(client_id=offer.escalation.client_id)
        now = offer.answered_at or timezone.now()
        esc = _lock(escalation_id)
        esc.status, esc.assigned_to, esc.facility_id, esc.accepted_at = (
            S.ACCEPTED,
            actor,
            offer.facility_id,
            now,
        )
        _save(esc, now, "status", "assigned_to", "facility", "accepted_at")
        if can_transition(esc.client.status, "escalated"):
            client_transition(
                client_id=esc.client_id, to_status="escalated", actor=actor, reason=f"escalation:{esc.id}"
            )
        recipients = {u.id: u for u in field_workers(esc)}
        if esc.created_by_id and esc.created_by_id != actor.id:
            recipients.setdefault(esc.created_by_id, esc.created_by)  # type: ignore[arg-type]
        for user in recipients.values():
            _notify(
                recipient=user,
                kind="escalation_accepted",
                event_key=f"escalation:{esc.id}:accepted",
                params={"client_code": esc.client.code},
                data=_ids(esc),
            )
        _record(esc)
        return esc


def offer_decline(*, escalation_id: uuid.UUID, actor: User, reason: str) -> Escalation:
    """The offered staff member declines (reason required): the next candidate is offered the case."""
    if not reason.strip():
        raise ValidationFailed(details=[ErrorDetail("reason", "required", _("Wajib diisi."))])
    with transaction.atomic():
        offer = _answer_offer(escalation_id=escalation_id, actor=actor, accept=False, reason=reason.strip())
        esc = _lock(escalation_id)
        esc.attempts += 1
        _save(esc, offer.answered_at, "attempts")  # type: ignore[arg-type]
        _record_left(esc, staff_id=offer.staff_id)
        _offer_next(esc, now=offer.answered_at)  # type: ignore[arg-type]
        return esc


def offers_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Beat sweep: expire pending offers past their deadline and move each case on. Returns how many.

    One transaction per offer, claimed with SKIP LOCKED: two sweeps never take the same offer, and an accept
    holding the row makes the sweep skip it (the accept's conditional UPDATE decides the race otherwise).
    """
    now = now or timezone.now()
    done = 0
    for _round in range(limit):
        with transaction.atomic():
            offer = (
                Offer.objects.select_for_update(skip_locked=True)
                .filter(status=OfferStatus.PENDING, expires_at__lte=now)
                .order_by("expires_at")
                .first()
            )
            if offer is None:
                break
            Offer.objects.filter(id=offer.id, status=OfferStatus.PENDING).update(
                status=OfferStatus.EXPIRED, answered_at=now
            )
            esc = _lock(offer.escalation_id)
            esc.attempts += 1
            _save(esc, now, "attempts")
            _record_left(esc, staff_id=offer.staff_id)
            _notify(
                recipient=offer.staff,
                kind="escalation_offer_expired",
                event_key=f"offer:{offer.id}:expired",
                params={"client_code": esc.client.code},
                data=_ids(esc, offer_id=offer.id),
            )
            _offer_next(esc, now=now)
            done += 1
    return done


def _lock_pending_offers(escalation_id: uuid.UUID) -> tuple[Escalation, list[Offer]]:
    """Lock the escalation's pending offers, then the escalation: the order every path takes (an answer and the
    expiry sweep claim the offer, then lock the escalation), so two paths never wait on each other in a cycle.

    An offer made between the two locks (a decline or expiry that committed meanwhile re-routed the case) is
    locked without waiting: if its staff member is answering it right now, they hold it and wait for the
    escalation we hold, so we step back with 409 `escalation_busy` rather than deadlock."""
    from django.db import DatabaseError

    pending = Offer.objects.select_for_update(of=("self",)).filter(
        escalation_id=escalation_id, status=OfferStatus.PENDING
    )
    locked = list(pending.order_by("id"))
    esc = _lock(escalation_id)
    known = [o.id for o in locked]
    try:
        with transaction.atomic():
            locked += list(
                Offer.objects.select_for_update(of=("self",), nowait=True)
                .filter(escalation_id=escalation_id, status=OfferStatus.PENDING)
                .exclude(id__in=known)
            )
    except DatabaseError:
        raise Conflict(
            _("Eskalasi ini sedang diubah oleh orang lain; coba lagi."), code="escalation_busy"
        ) from None
    return esc, locked


def escalation_assign(
    *, escalation_id: uuid.UUID, actor: User, staff_id: uuid.UUID, version: int | None = None
) -> Escalation:
    """A coordinator of the client's area offers the case by hand to a certified staff member of their choice
    (any distance, any caseload): any pending offer is withdrawn and the chosen person must still accept.
    The routing names the chosen person; the automatic decision before moves into `routing.history`."""
    now = timezone.now()
    with transaction.atomic():
        _require_in_scope(escalation_id=escalation_id, actor=actor)
        esc, pending = _lock_pending_offers(escalation_id)
        scope = scope_for(actor)
        if not (scope.is_system_admin or (scope.area_codes and scope.covers_region(esc.client.village_id))):
            raise PermissionDenied(
                _("Hanya koordinator wilayah ini yang dapat menugaskan."), code="not_coordinator"
            )
        if esc.status not in (S.OFFERED, S.WITH_COORDINATOR):
            raise Conflict(
                _("Eskalasi ini sudah ditangani."),
                code="invalid_escalation_status",
                extra={"current_status": esc.status},
            )
        _check_version(esc, actor=actor, version=version)
        consents_require_for_case(client_id=esc.client_id)
        area = area_settings(village_code=esc.client.village_id)
        origin, origin_source = _origin(esc, area)
        day = sla.local_date(instant=now, tz=area.timezone)
        post = _eligible_post(
            staff_id=staff_id, need=esc.need, day=day, origin=origin or Point(0, 0, srid=4326)
        )
        _withdraw_pending(esc, pending, now=now)
        staff = User.objects.get(id=staff_id)
        distance_km = post.distance.km if origin is not None else None  # type: ignore[attr-defined]
        _routing_push(
            esc,
            {
                **_decision(esc, now=now, day=day, area=area, origin=origin, origin_source=origin_source),
                "chosen": {
                    "user_id": str(staff.id),
                    "name": staff.name,
                    "facility_id": str(post.id),
                    "facility": post.name,
                    "distance_km": round(distance_km, 2) if distance_km is not None else None,
                    "caseload": routing.caseloads(user_ids=[staff.id]).get(str(staff.id), 0),
                },
                "passed_over": [],
                "result": "assigned_by_coordinator",
                "assigned_by": {"user_id": str(actor.id), "name": actor.name, "at": now.isoformat()},
            },
        )
        _offer_make(
            esc,
            staff_id=staff_id,
            facility_id=post.id,
            distance_km=post.distance.km,  # type: ignore[attr-defined]
            area=area,
            now=now,
        )
        return esc


def _eligible_post(*, staff_id: uuid.UUID, need: str, day: Any, origin: Point) -> Facility:
    """The staff member's nearest facility if they are certified for `need` today, else 422 on staff_id."""
    from django.contrib.gis.db.models.functions import Distance

    ids = RoleAssignment.objects.filter(
        routing.eligible_staff_q(need=need, day=day), user_id=staff_id
    ).values("facility_id")
    post = (
        Facility.objects.filter(id__in=ids, active=True)
        .annotate(distance=Distance("location", origin))
        .order_by("distance")
        .first()
    )
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
        _require_in_scope(escalation_id=escalation_id, actor=actor)
        esc, pending = _lock_pending_offers(escalation_id)
        scope = scope_for(actor)
        coordinator = scope.is_system_admin or bool(
            scope.area_codes and scope.covers_region(esc.client.village_id)
        )
        if not (coordinator or esc.created_by_id == actor.id):
            raise PermissionDenied(
                _("Hanya pembuat eskalasi atau koordinator wilayah ini yang dapat membatalkannya."),
                code="not_allowed_to_cancel",
            )
        if esc.status in (S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED, S.REFERRED):
            raise Conflict(
                _("Eskalasi sudah diterima petugas dan tidak dapat dibatalkan lagi."),
                code="escalation_accepted",
                extra={"current_status": esc.status},
            )
        if esc.status not in (S.OFFERED, S.WITH_COORDINATOR):
            raise Conflict(
                _("Langkah ini tidak sesuai dengan status eskalasi."),
                code="invalid_escalation_status",
                extra={"current_status": esc.status},
            )
        _check_version(esc, actor=actor, version=version)
        _cancel_locked(esc, pending, actor=actor, reason=reason, now=now)
        return esc


def _withdraw_pending(esc: Escalation, pending: list[Offer], *, now: datetime) -> None:
    """Withdraw locked pending offers; their staff's phones drop the client through the change feed."""
    Offer.objects.filter(id__in=[o.id for o in pending]).update(status=OfferStatus.WITHDRAWN, answered_at=now)
    for offer in pending:
        _record_left(esc, staff_id=offer.staff_id)


def _cancel_locked(esc: Escalation, pending: list[Offer], *, actor: User, reason: str, now: datetime) -> None:
    """Withdraw the pending offers and mark the case cancelled."""
    _withdraw_pending(esc, pending, now=now)
    esc.status, esc.cancelled_at, esc.cancel_reason, esc.cancelled_by = S.CANCELLED, now, reason, actor
    _save(esc, now, "status", "cancelled_at", "cancel_reason", "cancelled_by")
    _record(esc)


def escalations_cancel_for_withdrawn_consent(
    *, client_id: uuid.UUID, actor: User, reason: str
) -> list[Escalation]:
    """Referral consent was withdrawn: every escalation of the client not yet taken by staff is called off.

    The withdrawal is the authority here (UU 27/2022: processing stops), so whoever recorded it may cancel.
    Cases staff already took (accepted, scheduled, outcome recorded) stay with them, but their further steps
    answer 409 `consent_required` (only closing is left), and the assigned staff member is notified
    (`escalation_consent_withdrawn`) so they stop and close the case. Call inside the withdrawal's transaction.
    """
    now = timezone.now()
    cancelled = []
    open_ids = Escalation.objects.filter(
        client_id=client_id, status__in=(S.OFFERED, S.WITH_COORDINATOR)
    ).values_list("id", flat=True)
    for escalation_id in list(open_ids):
        esc, pending = _lock_pending_offers(escalation_id)
        if esc.status in (S.OFFERED, S.WITH_COORDINATOR):
            _cancel_locked(esc, pending, actor=actor, reason=reason, now=now)
            cancelled.append(esc)
    taken = Escalation.objects.filter(
        client_id=client_id,
        status__in=(S.ACCEPTED, S.SCHEDULED, S.OUTCOME_RECORDED),
        assigned_to__isnull=False,
        assigned_to__is_active=True,
    ).select_related("client", "assigned_to")
    for esc in taken:
        _notify(
            recipient=esc.assigned_to,
            kind="escalation_consent_withdrawn",
            event_key=f"escalation:{esc.id}:consent_withdrawn:{now.isoformat()}",
            params={"client_code": esc.client.code},
            data=_ids(esc),
            priority="high",
        )
    return cancelled
